package dev.patchbay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;

/** Shared helpers: parse INI text as {@code test.cnf} and look at the config or the errors. */
final class Cfg {
    static final String FILE = "test.cnf";

    /** A small valid configuration: one of each section type, admin on its default 127.0.0.1:8989. */
    static final String VALID = """
            [patchbay]
            threads=2

            [db1]
            type=server
            address=10.0.0.1
            port=3306

            [db2]
            type=server
            address=10.0.0.2
            port=3306

            [svc]
            type=service
            servers=db1,db2

            [lst]
            type=listener
            service=svc
            port=4006

            [cli]
            type=stats_socket
            socket=/run/patchbay.sock
            """;

    /** Server and service sections that other snippets can reference: servers s1, s2 and service svc. */
    static final String BACKEND = """
            [s1]
            type=server
            address=127.0.0.1
            port=3306

            [s2]
            type=server
            address=127.0.0.1
            port=3307

            [svc]
            type=service
            servers=s1,s2
            """;

    private Cfg() {}

    static PatchbayConfig parse(String text) {
        try {
            return ConfigLoader.parse(FILE, text);
        } catch (ConfigException e) {
            throw new AssertionError("expected a valid configuration, got:\n" + e.getMessage(), e);
        }
    }

    /** The errors of an invalid configuration, in the order they are reported. */
    static List<String> errors(String text) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(FILE, text));
        assertThat(e).as("expected the configuration to be rejected:\n%s", text).isNotNull();
        assertThat(e.errors()).isNotEmpty();
        assertThat(e.getMessage()).isEqualTo(String.join("\n", e.errors()));
        return e.errors();
    }

    /** Asserts that {@code text} is rejected with exactly these errors, in this order, and nothing else. */
    static void assertErrors(String text, String... expected) {
        assertThat(errors(text)).as("errors of:\n%s", text).containsExactly(expected);
    }
}
