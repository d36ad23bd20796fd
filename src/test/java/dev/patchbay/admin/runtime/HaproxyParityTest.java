package dev.patchbay.admin.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.core.Server;
import dev.patchbay.core.Session;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Behaviours an audit compared with a live HAProxy 2.6 (the expected values are what it answered):
 * show stat filters, server ids per backend, check numbers in show servers state, set weight and
 * set timeout limits, bytes that are not UTF-8.
 */
@Timeout(60)
class HaproxyParityTest {
    private ServerSocket checkTarget;
    private Rig rig;

    @BeforeEach
    void start() throws Exception {
        // svcc/chk has a TCP health check against a socket that accepts (the kernel's backlog suffices).
        checkTarget = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        rig = Rig.start("[chk]\ntype=server\naddress=127.0.0.1\nport=" + checkTarget.getLocalPort()
                + "\nhealth_check=tcp\nhealth_check_interval=1h\n\n[svcc]\ntype=service\nservers=chk\n\n", "");
    }

    @AfterEach
    void stop() throws Exception {
        rig.close();
        checkTarget.close();
    }

    /** The data rows (pxname,svname) of a show stat CSV, after checking its header. */
    private static List<String> rows(String csv) {
        assertThat(csv).startsWith("# pxname,svname,").endsWith("\n\n");
        return Arrays.stream(csv.split("\n")).skip(1).filter(l -> !l.isEmpty())
                .map(l -> l.split(",")[0] + "," + l.split(",")[1]).toList();
    }

    @Test
    void showStatNumbersTooBigForAnIntWrapAsWithAtoi() throws Exception {
        // 999999999999 wraps to a negative id no proxy has: the header alone.
        assertThat(rows(rig.ask("usr", "show stat 999999999999 4 -1\n"))).isEmpty();
        // 99999999999999 wraps to a mask with the 1, 2 and 4 bits: everything.
        assertThat(rows(rig.ask("usr", "show stat -1 99999999999999 -1\n")))
                .containsExactlyInAnyOrderElementsOf(rows(rig.ask("usr", "show stat\n")));
        // 4294967300 wraps to 4: servers only.
        assertThat(rows(rig.ask("usr", "show stat -1 4294967300 -1\n")))
                .containsExactly("svc,s1", "svc,s2", "svcq,q1", "svcc,chk");
        // strtol saturates to LONG_MAX, which the cast to int makes -1: any proxy.
        assertThat(rows(rig.ask("usr", "show stat 99999999999999999999 2 -1\n")))
                .containsExactly("svc,BACKEND", "svcq,BACKEND", "svcc,BACKEND");
        // 4294967298 wraps to sid 2.
        assertThat(rows(rig.ask("usr", "show stat -1 4 4294967298\n"))).containsExactly("svc,s2");
    }

    @Test
    void showStatFirstFieldMayBeAProxyName() throws Exception {
        assertThat(rows(rig.ask("usr", "show stat svc 4 -1\n"))).containsExactly("svc,s1", "svc,s2");
        assertThat(rows(rig.ask("usr", "show stat svc 6 2\n"))).containsExactly("svc,s2", "svc,BACKEND");
        assertThat(rows(rig.ask("usr", "show stat fe_q 7 -1\n"))).containsExactly("fe_q,FRONTEND");
        assertThat(rig.ask("usr", "show stat nosuch 4 -1\n")).isEqualTo("No such proxy.\n\n");
        assertThat(rig.ask("usr", "show stat 0 4 -1\n")).isEqualTo("No such proxy.\n\n");
        // The filter is words 2-4 only, as in HAProxy: no-maint first makes "no-maint" the proxy.
        assertThat(rig.ask("usr", "show stat no-maint svc 4 -1\n")).isEqualTo("No such proxy.\n\n");
        assertThat(rows(rig.ask("usr", "show stat svc 4 1 no-maint\n"))).containsExactly("svc,s1");
        // Fewer than three words: no filter at all.
        assertThat(rows(rig.ask("usr", "show stat svc 4\n"))).hasSize(rows(rig.ask("usr", "show stat\n")).size());
    }

    @Test
    void serverIdsCountFromOneInsideEachBackend() throws Exception {
        // q1 is Patchbay's third server overall but the first (and only) of svcq.
        assertThat(rig.ask("admin", "get weight svcq/#1\n")).isEqualTo("1 (initial 1)\n\n");
        assertThat(rig.ask("admin", "set weight svcq/#1 3\n")).isEqualTo("\n");
        assertThat(rig.pb.servers().get("q1").weight()).isEqualTo(3);
        assertThat(rig.ask("admin", "get weight svcq/#01\n")).isEqualTo("3 (initial 1)\n\n"); // atoi, as HAProxy
        assertThat(rig.ask("admin", "get weight svc/#3\n")).isEqualTo("No such server.\n\n");
        assertThat(rig.ask("admin", "get weight svc/#2\n")).isEqualTo("1 (initial 1)\n\n");
        assertThat(rig.ask("usr", "show servers state svcq\n").split("\n")[2]).startsWith(
                rig.pb.services().get("svcq").id() + " svcq 1 q1 ");
        String q1Row = rig.ask("usr", "show stat svcq 4 1\n").split("\n")[1];
        assertThat(q1Row.split(",")[1]).isEqualTo("q1");
        assertThat(q1Row.split(",")[28]).isEqualTo("1"); // sid
        assertThat(rows(rig.ask("usr", "show stat -1 4 3\n"))).isEmpty(); // no backend has a third server

        Socket c = rig.client("fe_q");
        Rig.ping(c);
        Session s = rig.pb.sessions().snapshot().stream()
                .filter(x -> x.server() == rig.pb.servers().get("q1")).findFirst().orElseThrow();
        assertThat(rig.ask("oper", "show sess 0x" + Long.toHexString(s.id()) + "\n")).contains("  server=q1 (id=1) addr=");
        assertThat(rig.ask("admin", "shutdown sessions server #" + rig.pb.services().get("svcq").id() + "/#1\n"))
                .isEqualTo("\n");
        assertThat(c.getInputStream().read()).isEqualTo(-1);
    }

    @Test
    void showServersStateUsesHaproxysCheckNumbersAndResetsThemInMaintenance() throws Exception {
        String port = String.valueOf(checkTarget.getLocalPort());
        String svcc = rig.pb.services().get("svcc").id() + " svcc 1 chk 127.0.0.1 ";
        // Up with a passing TCP check: L4OK 6, CHK_RES_PASSED 3, health rise+fall-1 = 4, CONFIGURED|ENABLED 6.
        assertThat(rig.ask("usr", "show servers state svcc\n").split("\n")[2])
                .matches(java.util.regex.Pattern.quote(svcc) + "2 0 1 1 \\d+ 6 3 4 6 0 0 0 - " + port + " - 0 0 - - 0");
        // No check: INI 1, result unknown 0, health = rise 2, no check state.
        assertThat(rig.ask("usr", "show servers state svc\n").split("\n")[2]).contains(" 1 1 0 1 0 2 0 0 0 0 - ");

        Thread.sleep(1_100); // so that a time since the last change not reset would read 1
        assertThat(rig.ask("admin", "disable server svcc/chk\n")).isEqualTo("\n");
        // HAProxy 2.6: op_state 0, admin 1, time reset, health 0, checks paused (2|4|8 = 14).
        assertThat(rig.ask("usr", "show servers state svcc\n").split("\n")[2])
                .isEqualTo(svcc + "0 1 1 1 0 6 3 0 14 0 0 0 - " + port + " - 0 0 - - 0");
        String[] row = rig.ask("usr", "show stat svcc 4 -1\n").split("\n")[1].split(",", -1);
        assertThat(row[17]).isEqualTo("MAINT");
        assertThat(row[23]).isEqualTo("0");  // lastchg reset
        assertThat(row[36]).isEmpty();       // check_status
        assertThat(row[65]).isEmpty();       // check_desc
        assertThat(row[67]).isEmpty();       // check_rise

        assertThat(rig.ask("admin", "enable server svcc/chk\n")).isEqualTo("\n");
        assertThat(rig.ask("usr", "show servers state svcc\n").split("\n")[2]).contains(" 2 0 1 1 0 6 3 4 6 ");
        assertThat(rig.ask("usr", "show stat svcc 4 -1\n").split("\n")[1].split(",", -1)[36]).isEqualTo("L4OK");
    }

    @Test
    void setWeightAnswersHaproxysTexts() throws Exception {
        Server s1 = rig.pb.servers().get("s1");
        assertThat(rig.ask("admin", "set weight svc/s1\n")).isEqualTo("Require <weight> or <weight%>.\n\n");
        assertThat(rig.ask("admin", "set server svc/s1 weight\n")).isEqualTo("Require <weight> or <weight%>.\n\n");
        assertThat(rig.ask("admin", "set weight\n")).isEqualTo("Require 'backend/server'.\n\n");
        assertThat(rig.ask("admin", "set weight svc/s1 abc\n"))
                .isEqualTo("Empty weight string empty or preceded by garbage\n\n");
        assertThat(rig.ask("admin", "set weight svc/s1 %\n"))
                .isEqualTo("Empty weight string empty or preceded by garbage\n\n");
        assertThat(rig.ask("admin", "set weight svc/s1 5x\n")).isEqualTo("Trailing garbage in weight string\n\n");
        assertThat(rig.ask("admin", "set weight svc/s1 5%x\n")).isEqualTo("Trailing garbage in weight string\n\n");
        // Range before garbage, in HAProxy's order.
        assertThat(rig.ask("admin", "set weight svc/s1 300x\n"))
                .isEqualTo("Absolute weight can only be between 0 and 256 inclusive.\n\n");
        assertThat(rig.ask("admin", "set weight svc/s1 99999999999999999999\n"))
                .isEqualTo("Absolute weight can only be between 0 and 256 inclusive.\n\n");
        assertThat(s1.weight()).isEqualTo(1);
        assertThat(rig.ask("admin", "set weight svc/s1 99999999999999999999%\n")).isEqualTo("\n");
        assertThat(rig.ask("admin", "get weight svc/s1\n")).isEqualTo("256 (initial 1)\n\n");
        assertThat(rig.ask("admin", "set weight svc/s1 +5\n")).isEqualTo("\n");
        assertThat(s1.weight()).isEqualTo(5);
        assertThat(rig.ask("admin", "set weight svc/s1 50%\n")).isEqualTo("\n"); // 1 * 50 / 100
        assertThat(s1.weight()).isZero();
    }

    @Test
    void setTimeoutCliMustFitIntMaxMilliseconds() throws Exception {
        for (String ok : List.of("2147483", "2147483647ms", "24d")) {
            assertThat(rig.ask("usr", "set timeout cli " + ok + "\n")).as(ok).isEqualTo("\n");
        }
        for (String bad : List.of("2147484", "2147483648", "2147483648ms", "25d", "99999999999999999999")) {
            assertThat(rig.ask("usr", "set timeout cli " + bad + "\n")).as(bad).isEqualTo("Invalid timeout value.\n\n");
        }
    }

    private String askBytes(byte[] input) throws Exception {
        try (Rig.Conn c = Rig.Conn.open(rig.address("admin"))) {
            c.send(input);
            c.shutdownOutput();
            return new String(c.readBytesToEof(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void commandBytesAreEchoedUnchangedAndNulEndsACommand() throws Exception {
        assertThat(askBytes(new byte[] {'s', 'h', (byte) 0xff, 'w', '\n'}))
                .startsWith("Unknown command: 'sh\u00ffw', ");
        // Valid UTF-8 goes back as the same bytes (é is C3 A9).
        assertThat(askBytes("caf\u00e9\n".getBytes(StandardCharsets.UTF_8))).startsWith("Unknown command: 'caf\u00c3\u00a9', ");
        assertThat(askBytes("show cli level\0 foo\n".getBytes(StandardCharsets.ISO_8859_1))).isEqualTo("admin\n\n");
        // HAProxy 2.6: the NUL ends its command; the next one after ';' still runs.
        assertThat(askBytes("show cli level\0x;show cli level\n".getBytes(StandardCharsets.ISO_8859_1)))
                .isEqualTo("admin\n\nadmin\n\n");
    }
}
