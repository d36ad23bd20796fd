package dev.patchbay.admin.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The line protocol against HAProxy's captured transcripts: framing, modes, levels and errors,
 * byte for byte where the content is not about Patchbay's own objects.
 */
@Timeout(60)
class FramingTest {
    private static Rig rig;

    @BeforeAll
    static void start() throws Exception {
        rig = Rig.start();
    }

    @AfterAll
    static void stop() throws Exception {
        rig.close();
    }

    @Test
    void levelsPerSocketAsCapture04() throws Exception {
        String all = rig.ask("admin", "show cli level\n") + rig.ask("oper", "show cli level\n")
                + rig.ask("usr", "show cli level\n") + rig.ask("dflt", "show cli level\n");
        assertThat(all).isEqualTo(Captures.raw("04-show-cli-level.txt"));
    }

    @Test
    void semicolonsEndCommandsAsCapture41() throws Exception {
        assertThat(rig.ask("admin", "show cli level;show cli level\n")).isEqualTo("admin\n\nadmin\n\n");
    }

    @Test
    void crlfAndBlanksAsCapture43() throws Exception {
        // HAProxy 2.6's answer; 3.2+ adds an empty command for the CR, which Patchbay does not copy.
        assertThat(rig.ask("admin", "  show \t cli   level  \r\n")).isEqualTo("admin\n\n");
    }

    @Test
    void emptyLineIsANoOpAsNewest44() throws Exception {
        assertThat(rig.ask("admin", "\n")).isEqualTo(Captures.raw("newest/44-empty-line.txt"));
    }

    @Test
    void onlyTheFirstLineRunsWithoutPromptAsNewest42() throws Exception {
        assertThat(rig.ask("admin", "show cli level\nshow cli level\n"))
                .isEqualTo(Captures.raw("newest/42-pipelined-lines.txt"));
    }

    @Test
    void escapedSemicolonStaysInTheWord() throws Exception {
        // "show sess 0x1\;show cli level": one command whose third word is "0x1;show", an id that
        // exists in no run: the newest HAProxy then reports the first unknown option ('cli').
        assertThat(rig.ask("admin", "show sess 0x1\\;show cli level\n"))
                .isEqualTo(Captures.raw("newest/45-escaped-semicolon.txt"));
    }

    @Test
    void commandWithoutLineFeedIsNeverRunAsCapture48() throws Exception {
        assertThat(rig.ask("admin", "show cli level")).isEmpty();
    }

    @Test
    void quitWritesNothingAndStopsTheLineAsCapture53() throws Exception {
        assertThat(rig.ask("admin", "show cli level;quit;show cli level\n")).isEqualTo("admin\n\n");
    }

    @Test
    void lineLengthLimitIs16383BytesWithItsLineFeed() throws Exception {
        String fits = "show cli level" + " ".repeat(16383 - 15) + "\n";
        assertThat(fits.length()).isEqualTo(16383);
        assertThat(rig.ask("admin", fits)).isEqualTo("admin\n\n");
        String tooLong = "show cli level" + " ".repeat(16384 - 15) + "\n";
        assertThat(rig.ask("admin", tooLong)).isEqualTo(CliHandler.LINE_TOO_LONG);
        assertThat(rig.ask("admin", "show sess " + "a".repeat(20000) + "\n")).isEqualTo(CliHandler.LINE_TOO_LONG);
    }

    @Test
    void tooManyArguments() throws Exception {
        assertThat(rig.ask("admin", "show sess" + " x".repeat(63) + "\n")).isEqualTo("Too many arguments. Commands must have at most 64 arguments.\n\n");
    }

    @Test
    void promptModeAsNewest50And51() throws Exception {
        try (Rig.Conn c = rig.connect("admin")) {
            c.send("prompt\n");
            assertThat(c.readUntil("> ")).isEqualTo("\n> ");
            c.send("show cli level\n");
            assertThat(c.readUntil("> ")).isEqualTo("admin\n\n> ");
            c.send("show cli level;show cli level\n");
            assertThat(c.readUntil("> ")).isEqualTo("admin\n\nadmin\n\n> ");
            c.send("\n");
            assertThat(c.readUntil("> ")).isEqualTo("\n> ");
            c.send("prompt\n");
            assertThat(c.readToEof()).isEqualTo("\n");
        }
    }

    @Test
    void promptOnTheSameLineAsNewest52() throws Exception {
        try (Rig.Conn c = rig.connect("admin")) {
            c.send("prompt;show cli level;show cli level\n");
            assertThat(c.readUntil("> ")).isEqualTo(Captures.raw("newest/52-prompt-on-same-line.txt"));
            c.send("quit\n");
            assertThat(c.readToEof()).isEmpty();
        }
    }

    @Test
    void promptSubModesAsNewest84() throws Exception {
        try (Rig.Conn c = rig.connect("admin")) {
            StringBuilder all = new StringBuilder();
            c.send("prompt i\n");
            all.append(c.readUntil("\n"));
            c.send("prompt help\n");
            all.append(c.readUntil("p->n.\n\n"));
            c.send("show cli level\n");
            all.append(c.readUntil("admin\n\n"));
            c.send("prompt p\n");
            all.append(c.readUntil("> "));
            c.send("show cli level;show cli level\n");
            all.append(c.readUntil("> "));
            String expected = Captures.raw("newest/84-prompt-modes.txt");
            assertThat(expected).startsWith(all.toString());
            c.send("prompt timed\n");
            assertThat(c.readUntil("]> ")).matches("\n\\[0:00:\\d\\d:\\d\\d]> ");
            c.send("prompt bogus\n");
            assertThat(c.readUntil("]> ")).startsWith("Usage: prompt [help | n | i | p | timed]*\n");
            c.send("prompt n\n");
            assertThat(c.readToEof()).isEqualTo("\n");
        }
    }

    @Test
    void lowerTheLevelAsCapture60() throws Exception {
        String out = rig.ask("admin", "operator;show cli level;shutdown session 0x1;user;show cli level;show sess;show info\n");
        String expected = Captures.raw("newest/60-lower-level.txt");
        // Up to "show info", whose content is Patchbay's own.
        String head = expected.substring(0, expected.indexOf("Name: "));
        assertThat(out).startsWith(head + "Name: Patchbay\n");
    }

    @Test
    void levelsNeverRiseAsCapture61() throws Exception {
        String out = rig.ask("usr", "admin;operator;show cli level\n");
        assertThat(out).startsWith("Unknown command: 'admin', but maybe one of the following ones is a better match:\n");
        assertThat(out).endsWith(Captures.raw("newest/61-raise-level.txt"));
    }

    @Test
    void lowerWithDashDropsTheEmptyLine() throws Exception {
        assertThat(rig.ask("admin", "operator -;show cli level\n")).isEqualTo("operator\n\n");
    }

    @Test
    void levelMatrix() throws Exception {
        String[][] cases = {
            // command, user, operator, admin ("ok" = anything but Permission denied)
            {"show info", "ok", "ok", "ok"},
            {"show stat", "ok", "ok", "ok"},
            {"show sess", "denied", "ok", "ok"},
            {"show sess help", "denied", "ok", "ok"},
            {"show sess garbage", "denied", "ok", "ok"},
            {"shutdown session 0x1", "denied", "denied", "ok"},
            {"shutdown sessions server svc/s1", "denied", "denied", "ok"},
            {"shutdown sessions frontend nofe", "denied", "denied", "ok"},
            {"set server svc/s1 state ready", "denied", "denied", "ok"},
            {"set profiling tasks off", "denied", "denied", "ok"},
            {"show cli sockets", "ok", "ok", "ok"},
            {"help", "ok", "ok", "ok"},
        };
        for (String[] c : cases) {
            String[] sockets = {"usr", "oper", "admin"};
            for (int i = 0; i < 3; i++) {
                String out = rig.ask(sockets[i], c[0] + "\n");
                if (c[i + 1].equals("denied")) {
                    assertThat(out).as(c[0] + " on " + sockets[i]).isEqualTo("Permission denied\n\n");
                } else {
                    assertThat(out).as(c[0] + " on " + sockets[i]).doesNotContain("Permission denied").endsWith("\n");
                }
            }
        }
    }

    @Test
    void helpIsTheSameAtEveryLevel() throws Exception {
        String admin = rig.ask("admin", "help\n");
        assertThat(rig.ask("oper", "help\n")).isEqualTo(admin);
        assertThat(rig.ask("usr", "help\n")).isEqualTo(admin);
        assertThat(admin).startsWith("The following commands are valid at this level:\n")
                .contains("  show sess [help|<id>|all] [opts...]     : report the list of current sessions or dump this exact session\n")
                .contains("  shutdown session [id]                   : kill a specific session\n")
                .contains("  shutdown sessions server <bk>/<srv>     : kill sessions on a server\n")
                .endsWith(Keywords.TRAILER + "\n");
    }

    @Test
    void helpWithPrefixLikeCapture05() throws Exception {
        String out = rig.ask("admin", "help show sess;help shutdown\n");
        String expected = Captures.raw("newest/05-help-prefix.txt");
        // Same framing and trailer; the lines are Patchbay's own commands.
        assertThat(out).isEqualTo(expected
                .replace("  show sess [help|<id>|all] [opts...]     : report the list of current streams or dump this exact stream\n",
                        "  show sess [help|<id>|all] [opts...]     : report the list of current sessions or dump this exact session\n")
                .replace("  shutdown frontend <frontend>            : stop a specific frontend\n",
                        "")
                .replace("  shutdown session [id]                   : kill a specific session\n",
                        "  shutdown session [id]                   : kill a specific session\n"
                        + "  shutdown sessions backend <backend>     : kill sessions of a backend (service)\n"
                        + "  shutdown sessions frontend <frontend>   : kill sessions accepted by a frontend (listener)\n")
                .replace("  shutdown sessions server <bk>/<srv>     : kill sessions on a server\n",
                        "  shutdown sessions server <bk>/<srv>     : kill sessions on a server\n"
                        + "  shutdown sessions src <ip|cidr>         : kill sessions from a client address or network\n"));
    }

    @Test
    void unknownCommands() throws Exception {
        String out = rig.ask("admin", "SHOW SESS\n");
        assertThat(out).isEqualTo("Unknown command: 'SHOW', but maybe one of the following ones is a better match:\n"
                + "  show sess [help|<id>|all] [opts...]     : report the list of current sessions or dump this exact session\n"
                + Keywords.TRAILER + "\n");
        assertThat(rig.ask("admin", "shutdown\n")).startsWith("Unknown command: 'shutdown', but maybe")
                .contains("  shutdown session [id]").contains("  shutdown sessions server");
    }

    @Test
    void showCliSocketsAsCapture06() throws Exception {
        String out = rig.ask("oper", "show cli sockets\n");
        int tcpOper = ((java.net.InetSocketAddress) rig.address("oper")).getPort();
        int tcpUser = ((java.net.InetSocketAddress) rig.address("usr")).getPort();
        assertThat(out).isEqualTo("# socket lvl processes\n"
                + "unix@" + rig.dir.resolve("admin.sock") + " admin all\n"
                + "ipv4@127.0.0.1:" + tcpOper + " operator all\n"
                + "ipv4@127.0.0.1:" + tcpUser + " user all\n"
                + "unix@" + rig.dir.resolve("default.sock") + " operator all\n\n");
    }

    @Test
    void invalidUtf8AndControlBytesAreJustWords() throws Exception {
        byte[] junk = {(byte) 0xff, (byte) 0xfe, 0x01, ' ', 'x', '\n'};
        try (Rig.Conn c = Rig.Conn.open(rig.address("admin"))) {
            c.send(junk);
            c.shutdownOutput();
            assertThat(c.readToEof()).startsWith("Unknown command: '").endsWith(Keywords.TRAILER + "\n");
        }
        assertThat(new String(junk, StandardCharsets.UTF_8)).isNotEmpty();
    }
}
