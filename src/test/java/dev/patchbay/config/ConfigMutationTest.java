package dev.patchbay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded random mutations of valid configurations through {@link ConfigProperty}: the loader only
 * ever returns a consistent config or throws {@link ConfigException}. Runs in the normal suite; the
 * open-ended version is {@link ConfigFuzzTest}.
 */
class ConfigMutationTest {
    static final int RUNS = 600;

    /** Fragments that are meaningful to the parser and the loader. */
    static final String[] TOKENS = {
        "[", "]", "=", "\n", "\r\n", "\r", "#", ";", ",", " ", "\t", "\uFEFF", "\u0000", "é", "\uD83D\uDE00",
        "0", "1", "-1", "65535", "65536", "99999999999999999999", "0x1F", "1.5",
        "10s", "500ms", "2m", "1h", "1d", "36501d", "10",
        "true", "false", "maybe", "auto", "tcp", "none", "queue", "refuse", "shutdown_sessions",
        "roundrobin", "leastconn", "source", "first", "operator", "admin", "0600", "0800",
        "type=", "server", "service", "listener", "stats_socket", "monitor", "[patchbay]",
        "port=", "address=", "servers=", "service=", "socket=", "mode=", "weight=", "router=", "threads=",
        "admin_port=", "health_check_interval=", "queue_timeout=", "connect_timeout=",
        "127.0.0.1", "0.0.0.0", "::", "::1", "/tmp/x.sock", "db1", "db2", "svc", "ghost",
    };

    static final String[] BASES = {Cfg.VALID, HappyPathTest.resource("full.cnf"), HappyPathTest.resource("minimal.cnf"),
        AllErrorsTest.BROKEN};

    static String mutate(String base, Random r) {
        List<String> lines = new ArrayList<>(Arrays.asList(base.split("\n", -1)));
        int mutations = 1 + r.nextInt(5);
        for (int m = 0; m < mutations; m++) {
            int i = r.nextInt(lines.size());
            String line = lines.get(i);
            switch (r.nextInt(8)) {
                case 0: // delete a line
                    if (lines.size() > 1) {
                        lines.remove(i);
                    }
                    break;
                case 1: // duplicate a line somewhere
                    lines.add(r.nextInt(lines.size() + 1), line);
                    break;
                case 2: // swap two lines
                    int j = r.nextInt(lines.size());
                    lines.set(i, lines.get(j));
                    lines.set(j, line);
                    break;
                case 3: { // replace the value
                    int eq = line.indexOf('=');
                    lines.set(i, (eq < 0 ? line : line.substring(0, eq + 1)) + token(r));
                    break;
                }
                case 4: { // insert a token
                    int at = r.nextInt(line.length() + 1);
                    lines.set(i, line.substring(0, at) + token(r) + line.substring(at));
                    break;
                }
                case 5: { // delete a few characters
                    if (!line.isEmpty()) {
                        int at = r.nextInt(line.length());
                        int end = Math.min(line.length(), at + 1 + r.nextInt(4));
                        lines.set(i, line.substring(0, at) + line.substring(end));
                    }
                    break;
                }
                case 6: // a random character anywhere
                    lines.set(i, line + (char) r.nextInt(0x3000));
                    break;
                default: // a new line of tokens
                    lines.add(i, token(r) + token(r) + token(r));
                    break;
            }
        }
        return String.join("\n", lines);
    }

    private static String token(Random r) {
        return TOKENS[r.nextInt(TOKENS.length)];
    }

    @Test
    void mutatedConfigsOnlyEverYieldAConfigOrAConfigException() {
        int valid = 0;
        for (int run = 0; run < RUNS; run++) {
            Random r = new Random(1_000L + run);
            String text = mutate(BASES[run % BASES.length], r);
            final int seed = run;
            boolean[] ok = new boolean[1];
            assertThatCode(() -> ok[0] = ConfigProperty.check(text))
                    .as("run %d (new Random(%d)), input:%n%s", seed, 1_000L + seed, text)
                    .doesNotThrowAnyException();
            if (ok[0]) {
                valid++;
            }
        }
        // Both outcomes occur (most mutations break something), so both sides of the validator are explored.
        assertThat(valid).isBetween(5, RUNS / 2);
    }

    @Test
    void randomTokenSoup() {
        Random r = new Random(7);
        for (int run = 0; run < 300; run++) {
            StringBuilder sb = new StringBuilder();
            int n = r.nextInt(60);
            for (int i = 0; i < n; i++) {
                sb.append(token(r));
            }
            String text = sb.toString();
            assertThatCode(() -> ConfigProperty.check(text)).as("input:%n%s", text).doesNotThrowAnyException();
        }
    }

    @Test
    void thePropertyAcceptsTheBasesAsExpected() {
        assertThat(ConfigProperty.check(Cfg.VALID)).isTrue();
        assertThat(ConfigProperty.check(AllErrorsTest.BROKEN)).isFalse();
        assertThat(ConfigProperty.check("")).isTrue();
    }
}
