package dev.patchbay.admin.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded random bytes, in the default run: through the parser (no exception escapes) and through
 * a real socket (every connection answers and closes: no hang, no crash).
 */
@Timeout(90)
class RandomInputTest {
    private static final String[] WORDS = {"show", "sess", "all", "help", "older", "susp", "backend", "frontend",
        "server", "src", "user", "svc", "svc/s1", "fe_tcp", "GLOBAL", "0x1", "0x0", "shutdown", "session", "sessions",
        "prompt", "quit", "operator", "set", "state", "maint", "ready", "info", "stat", "cli", "level", "\\", ";", "\t",
        "\r", " ", "  ", "10.0.0.0/8", "127.0.0.1", "-", "1h", "typed"};

    private static byte[] randomInput(Random r) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(12);
        for (int i = 0; i < n; i++) {
            if (r.nextInt(5) == 0) {
                byte[] b = new byte[r.nextInt(8)];
                r.nextBytes(b);
                sb.append(new String(b, java.nio.charset.StandardCharsets.ISO_8859_1));
            } else {
                sb.append(WORDS[r.nextInt(WORDS.length)]);
            }
            sb.append(r.nextInt(4) == 0 ? ";" : " ");
        }
        byte[] bytes = sb.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] out = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        out[bytes.length] = '\n';
        return out;
    }

    @Test
    void parserSurvivesRandomInput() {
        Random r = new Random(20261121);
        for (int i = 0; i < 5_000; i++) {
            ParserProperty.check(randomInput(r));
            byte[] raw = new byte[r.nextInt(200)];
            r.nextBytes(raw);
            ParserProperty.check(raw);
        }
    }

    @Test
    void connectionsAlwaysAnswerAndClose() throws Exception {
        Random r = new Random(42);
        try (Rig rig = Rig.start()) {
            for (int i = 0; i < 300; i++) {
                byte[] in = randomInput(r);
                // "quit" and kills of the own session legitimately answer nothing; everything else answers.
                try (Rig.Conn c = Rig.Conn.open(rig.address(i % 2 == 0 ? "admin" : "usr"))) {
                    c.send(in);
                    c.shutdownOutput();
                    String out = c.readToEof();
                    assertThat(out.isEmpty() || out.endsWith("\n") || out.endsWith("> ")).as(new String(in)).isTrue();
                }
            }
            // Still serving, and no session leaked.
            assertThat(rig.ask("admin", "show cli level\n")).isEqualTo("admin\n\n");
            assertThat(rig.pb.sessions().size()).isLessThanOrEqualTo(1);
        }
    }
}
