package dev.patchbay.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** One file with a bit of everything wrong: every problem is reported, and each names file, line, section and key. */
class AllErrorsTest {

    static final String BROKEN = """
            [patchbay]
            threads=many
            log_level=loud

            [db1]
            type=server
            address=10.0.0.1
            port=0
            weight=1000

            [db2]
            type=server
            port=3306
            health_check=http
            colour=blue

            [db3
            type=server

            [rw]
            type=service
            router=random
            servers=db1,db2,db9
            connect_timeout=10
            retries=lots

            [rw-listener]
            type=listener
            service=rw
            port=4006

            [ro-listener]
            type=listener
            service=ro
            port=4006

            [rw]
            type=service

            [cli]
            type=stats_socket
            socket=/run/patchbay.sock
            port=9999
            mode=rw

            [mon]
            type=monitor
            just a line
            """;

    static final List<String> EXPECTED = List.of(
            "test.cnf:17: section header '[db3' is missing its closing ']'",
            "test.cnf:37: [rw] is defined twice (first at line 20)",
            "test.cnf:48: expected 'key=value', '[section]' or a comment, got 'just a line'",
            "test.cnf:2: [patchbay] threads: 'many' is not a whole number",
            "test.cnf:3: [patchbay] log_level: 'loud' is not one of error, warning, notice, info, debug",
            "test.cnf:8: [db1] port: '0' is not a port number (1-65535)",
            "test.cnf:9: [db1] weight: '1000' is out of range (0-256)",
            "test.cnf:11: [db2] address: is required",
            "test.cnf:14: [db2] health_check: 'http' is not one of tcp, mariadb, none",
            "test.cnf:15: [db2] colour: unknown key",
            "test.cnf:22: [rw] router: 'random' is not one of roundrobin, leastconn, source, first, readconnroute",
            "test.cnf:24: [rw] connect_timeout: '10' needs a unit (ms, s, m, h or d), e.g. 10s",
            "test.cnf:25: [rw] retries: 'lots' is not a whole number",
            "test.cnf:42: [cli] socket: give either socket=PATH or address and port, not both",
            "test.cnf:44: [cli] mode: 'rw' is not an octal permission such as 0600",
            "test.cnf:47: [mon] type: 'monitor' is not a known type (server, service, listener, filter, stats_socket)",
            "test.cnf:23: [rw] servers: 'db9' is not a server defined in this file",
            "test.cnf:34: [ro-listener] service: 'ro' is not a service defined in this file",
            "test.cnf:35: [ro-listener] port: 0.0.0.0:4006 is already used by [rw-listener]");

    @Test
    void everyErrorIsReportedAtOnce() {
        assertThat(Cfg.errors(BROKEN)).containsExactlyElementsOf(EXPECTED);
    }

    /** file:line: [section] key: message, or file:line: message for syntax errors. */
    private static final Pattern KEYED = Pattern.compile("test\\.cnf:(\\d+): \\[([^\\]]+)\\] ([A-Za-z_]+): .+");

    @Test
    void eachErrorNamesFileLineSectionAndKey() {
        List<String> lines = BROKEN.lines().toList();
        for (String error : Cfg.errors(BROKEN)) {
            assertThat(error).startsWith("test.cnf:");
            Matcher m = KEYED.matcher(error);
            if (!m.matches()) {
                // Syntax errors come from the line itself; they may not belong to a section.
                assertThat(error).matches("test\\.cnf:\\d+: .+");
                continue;
            }
            String line = lines.get(Integer.parseInt(m.group(1)) - 1).strip();
            String section = m.group(2);
            String key = m.group(3);
            // The line is the key's own line, or the section's header when the key is missing.
            assertThat(line).as(error).satisfiesAnyOf(
                    l -> assertThat(l).startsWith(key + "="),
                    l -> assertThat(l).isEqualTo("[" + section + "]"));
        }
    }

    @Test
    void errorsBlameTheLineOfTheKeyEvenInALargeFile() {
        StringBuilder sb = new StringBuilder(Cfg.VALID);
        for (int i = 0; i < 200; i++) {
            sb.append("\n[srv").append(i).append("]\ntype=server\naddress=10.1.0.").append(i % 250)
                    .append("\nport=").append(i == 150 ? "99999" : "3306").append('\n');
        }
        int line = (int) Cfg.VALID.lines().count() + 150 * 5 + 5;
        assertThat(Cfg.errors(sb.toString()))
                .containsExactly("test.cnf:" + line + ": [srv150] port: '99999' is not a port number (1-65535)");
    }

    @Test
    void theFileNameIsWhateverTheCallerGave() {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(
                () -> ConfigLoader.parse("/etc/patchbay/patchbay.cnf", "[x]\n"));
        assertThat(((ConfigException) t).errors()).containsExactly(
                "/etc/patchbay/patchbay.cnf:1: [x] type: is required (server, service, listener, filter or stats_socket)");
    }

    /** Within a section the errors come in line order, not in the order the loader checks the keys. */
    @Test
    void aSectionsErrorsComeInLineOrder() {
        assertThat(Cfg.errors("""
                [db1]
                type=server
                colour=blue
                health_check=http
                weight=high
                port=0
                address=
                """)).containsExactly(
                "test.cnf:3: [db1] colour: unknown key",
                "test.cnf:4: [db1] health_check: 'http' is not one of tcp, mariadb, none",
                "test.cnf:5: [db1] weight: 'high' is not a whole number",
                "test.cnf:6: [db1] port: '0' is not a port number (1-65535)",
                "test.cnf:7: [db1] address: is required");
    }

    /** Errors about missing keys share the section's line, and keep the order the checks found them in. */
    @Test
    void errorsOnOneLineKeepTheirOrder() {
        List<String> errors = Cfg.errors("[patchbay]\nthreads=2\n\n[db1]\ntype=server\ncolour=blue\n");
        assertThat(errors).hasSizeGreaterThanOrEqualTo(2);
        assertThat(errors.get(errors.size() - 1)).isEqualTo("test.cnf:6: [db1] colour: unknown key");
        assertThat(errors.subList(0, errors.size() - 1)).allMatch(e -> e.startsWith("test.cnf:4: [db1] "));
        List<String> unsorted = new java.util.ArrayList<>(errors);
        ConfigLoader.sortByLine(unsorted, "test.cnf");
        assertThat(unsorted).containsExactlyElementsOf(errors);
    }

    @Test
    void sortingIsStableAndByLineNumberNotText() {
        List<String> errors = new java.util.ArrayList<>(List.of(
                "a:b.cnf:10: [s] x: first at 10",
                "a:b.cnf:9: [s] y: at 9",
                "a:b.cnf:10: [s] z: second at 10",
                "a:b.cnf:100: [s] w: at 100",
                "a:b.cnf:2: [s] v: at 2"));
        ConfigLoader.sortByLine(errors, "a:b.cnf");
        assertThat(errors).containsExactly(
                "a:b.cnf:2: [s] v: at 2",
                "a:b.cnf:9: [s] y: at 9",
                "a:b.cnf:10: [s] x: first at 10",
                "a:b.cnf:10: [s] z: second at 10",
                "a:b.cnf:100: [s] w: at 100");
    }
}
