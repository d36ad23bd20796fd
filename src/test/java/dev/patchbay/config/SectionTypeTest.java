package dev.patchbay.config;

import static dev.patchbay.config.Cfg.assertErrors;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code type=}: required, known, case-insensitive; and unknown keys in every section type. */
class SectionTypeTest {

    @Test
    void missingType() {
        assertErrors("""
                [s1]
                address=127.0.0.1
                port=1
                """,
                "test.cnf:1: [s1] type: is required (server, service, listener, filter or stats_socket)");
    }

    @Test
    void unknownType() {
        assertErrors("""
                [mon]
                type=monitor
                module=mariadbmon
                """,
                "test.cnf:2: [mon] type: 'monitor' is not a known type (server, service, listener, filter, stats_socket)");
    }

    @Test
    void emptyType() {
        assertErrors("[x]\ntype=\n",
                "test.cnf:2: [x] type: '' is not a known type (server, service, listener, filter, stats_socket)");
    }

    @Test
    void typeIsCaseInsensitive() {
        PatchbayConfig c = Cfg.parse("""
                [s1]
                type=Server
                address=127.0.0.1
                port=1
                [svc]
                type=SERVICE
                servers=s1
                [l]
                type=Listener
                service=svc
                port=0
                [cli]
                type=Stats_Socket
                port=0
                """);
        assertThat(c.servers()).hasSize(1);
        assertThat(c.services()).hasSize(1);
        assertThat(c.listeners()).hasSize(1);
        assertThat(c.statsSockets()).hasSize(1);
    }

    @Test
    void theGlobalSectionTakesNoType() {
        assertErrors("""
                [patchbay]
                type=maxscale
                """,
                "test.cnf:2: [patchbay] type: the [patchbay] section takes no type");
    }

    @Test
    void keysAreCaseSensitive() {
        assertErrors("""
                [s1]
                type=server
                address=127.0.0.1
                Port=3306
                """,
                "test.cnf:1: [s1] port: is required",
                "test.cnf:4: [s1] Port: unknown key");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            global       | [patchbay]                                                       | bogus
            global-mxs   | [patchbay]                                                       | admin_gui
            server       | [x]\\ntype=server\\naddress=127.0.0.1\\nport=1                    | router
            server-mxs   | [x]\\ntype=server\\naddress=127.0.0.1\\nport=1                    | protocol
            service      | [x]\\ntype=service\\nservers=s1                                   | port
            service-mxs  | [x]\\ntype=service\\nservers=s1                                   | enable_root_user
            listener     | [x]\\ntype=listener\\nservice=svc\\nport=0                        | backlogg
            listener-mxs | [x]\\ntype=listener\\nservice=svc\\nport=0                        | socket
            stats        | [x]\\ntype=stats_socket\\nsocket=/tmp/a.sock                       | weight
            stats-hap    | [x]\\ntype=stats_socket\\nsocket=/tmp/a.sock                       | expose-fd
            """)
    void unknownKeyInEachSectionType(String what, String section, String key) {
        String head = section.replace("\\n", "\n") + "\n";
        int line = (int) head.lines().count() + 1;
        String name = head.substring(1, head.indexOf(']'));
        String text = head + key + "=1\n\n" + Cfg.BACKEND;
        assertErrors(text, "test.cnf:" + line + ": [" + name + "] " + key + ": unknown key");
    }

    @Test
    void everyUnknownKeyIsReported() {
        assertErrors("""
                [s1]
                type=server
                address=127.0.0.1
                port=1
                colour=blue
                flavour=mint
                """,
                "test.cnf:5: [s1] colour: unknown key",
                "test.cnf:6: [s1] flavour: unknown key");
    }

    @Test
    void keysOfASectionWithoutAValidTypeAreNotCheckedFurther() {
        // Without a known type there is no telling which keys are valid: only the type is reported.
        assertErrors("""
                [x]
                type=monitor
                whatever=1
                port=banana
                """,
                "test.cnf:2: [x] type: 'monitor' is not a known type (server, service, listener, filter, stats_socket)");
    }
}
