package dev.patchbay.admin.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.patchbay.core.Session;
import dev.patchbay.core.SessionState;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code show sess} against real sessions: the seed's grammar, and each field against the model. */
@Timeout(60)
class ShowSessTest {
    /** The seed's short line, field by field. */
    static final Pattern SHORT = Pattern.compile("0x[0-9a-f]+: proto=(tcpv4|tcpv6|unix_stream) src=\\S+ fe=\\S+ be=\\S+ srv=\\S+"
            + " ts=[0-9a-f]{2} age=(\\d+[dhms])+ calls=\\d+ rate=\\d+ cpu=\\d+ lat=\\d+"
            + " rq\\[f=[0-9a-f]{6,8}h,i=\\d+,an=[0-9a-f]{2,}h,rx=[0-9dhms?]*,wx=[0-9dhms?]*,ax=[0-9dhms?]*]"
            + " rp\\[f=[0-9a-f]{6,8}h,i=\\d+,an=[0-9a-f]{2,}h,rx=[0-9dhms?]*,wx=[0-9dhms?]*,ax=[0-9dhms?]*]"
            + " s0=\\[\\d+,[0-9a-f]+h,fd=-?\\d+,ex=[0-9dhms?]*] s1=\\[\\d+,[0-9a-f]+h,fd=-?\\d+,ex=[0-9dhms?]*]"
            + " exp=[0-9dhms?]* gen=\\d+");

    private static Rig rig;
    private static Socket tcp1;
    private static Socket tcp2;
    private static Socket qActive;
    private static Socket qWaiting;

    @BeforeAll
    static void start() throws Exception {
        rig = Rig.start();
        tcp1 = rig.client("fe_tcp");
        Rig.ping(tcp1);
        tcp2 = rig.client("fe_tcp");
        Rig.ping(tcp2);
        qActive = rig.client("fe_q");
        Rig.ping(qActive);
        qWaiting = rig.client("fe_q");
        await().atMost(Duration.ofSeconds(5)).until(() -> session(qWaiting) != null
                && session(qWaiting).state() instanceof SessionState.Queued);
    }

    @AfterAll
    static void stop() throws Exception {
        rig.close();
    }

    static Session session(Socket client) {
        for (Session s : rig.pb.sessions().snapshot()) {
            if (s.clientAddress() instanceof java.net.InetSocketAddress a && a.getPort() == client.getLocalPort()
                    && s.service() != null) {
                return s;
            }
        }
        return null;
    }

    static String lineOf(String dump, String marker) {
        return Arrays.stream(dump.split("\n")).filter(l -> l.contains(marker)).findFirst().orElseThrow(
                () -> new AssertionError("no line with " + marker + " in\n" + dump));
    }

    @Test
    void everyLineFollowsTheSeedGrammar() throws Exception {
        String out = rig.ask("admin", "show sess\n");
        assertThat(out).endsWith("\n\n");
        List<String> lines = Arrays.asList(out.substring(0, out.length() - 2).split("\n"));
        assertThat(lines).hasSizeGreaterThanOrEqualTo(5);
        for (String l : lines) {
            assertThat(l).matches(SHORT);
        }
    }

    @Test
    void establishedTcpSessionFields() throws Exception {
        Session s = session(tcp1);
        String line = lineOf(rig.ask("admin", "show sess\n"), " src=127.0.0.1:" + tcp1.getLocalPort() + " ");
        assertThat(line).startsWith("0x" + Long.toHexString(s.id()) + ": proto=tcpv4 src=127.0.0.1:" + tcp1.getLocalPort()
                + " fe=fe_tcp be=svc srv=" + s.server().name() + " ts=00 age=");
        assertThat(line).contains(" cpu=0 lat=0 ");
        // client_timeout=1h: the read timeouts show just under an hour; nothing is pending.
        assertThat(line).containsPattern("rq\\[f=[0-9a-f]+h,i=0,an=00h,rx=59m5\\dsh?,wx=,ax=]".replace("sh?", "s"));
        assertThat(line).containsPattern("rp\\[f=8[0-9a-f]{7}h,i=0,an=00h,rx=59m5\\ds,wx=,ax=]");
        assertThat(line).containsPattern(" s0=\\[8,[0-9a-f]+h,fd=-1,ex=] s1=\\[8,[0-9a-f]*[13579bdf][0-9a-f]h,fd=-1,ex=] exp=59m5\\ds gen=1$");
        long calls = Long.parseLong(line.replaceAll(".* calls=(\\d+) .*", "$1"));
        assertThat(calls).isGreaterThanOrEqualTo(4).isLessThanOrEqualTo(s.ioEvents());
    }

    @Test
    void queuedSessionHasNoServerAndAQueueTimer() throws Exception {
        Session s = session(qWaiting);
        String line = lineOf(rig.ask("admin", "show sess\n"), " src=127.0.0.1:" + qWaiting.getLocalPort() + " ");
        assertThat(line).startsWith("0x" + Long.toHexString(s.id()) + ": proto=tcpv4 src=127.0.0.1:"
                + qWaiting.getLocalPort() + " fe=fe_q be=svcq srv=<none> ts=00 ");
        assertThat(line).containsPattern(" s1=\\[2,[0-9a-f]+h,fd=-1,ex=59m5\\ds] exp=59m5\\ds gen=1$");
        String block = rig.ask("admin", "show sess 0x" + Long.toHexString(s.id()) + "\n");
        assertThat(block).contains("  server=<none> (id=0)\n").contains(" state=QUE endp=NONE,(nil),")
                .containsPattern("conn_exp=59m5\\ds conn_et=0x000 srv_conn=\\(nil\\), pend_pos=0x[0-9a-f]+ ");
    }

    @Test
    void cliSessionsAreListedLikeHaproxys() throws Exception {
        String unix = rig.ask("admin", "show sess\n");
        assertThat(lineOf(unix, "fe=GLOBAL")).matches("0x[0-9a-f]+: proto=unix_stream src=unix:1 fe=GLOBAL be=<NONE> srv=<none> ts=00 "
                + "age=0s calls=\\d+ rate=0 cpu=0 lat=0 rq\\[f=[0-9a-f]+h,i=0,an=00h,rx=(2m|1m59s),wx=,ax=] "
                + "rp\\[f=8[0-9a-f]+h,i=\\d+,an=00h,rx=,wx=[0-9ms]*,ax=] s0=\\[8,[0-9a-f]+h,fd=-?\\d+,ex=] "
                + "s1=\\[8,[0-9a-f]+h,fd=-1,ex=] exp=(2m|1m59s) gen=1");
        String viaTcp = rig.ask("oper", "show sess\n");
        assertThat(lineOf(viaTcp, "fe=GLOBAL")).startsWith("0x").contains(": proto=tcpv4 src=127.0.0.1:")
                .contains(" fe=GLOBAL be=<NONE> srv=<none> ");
        String dflt = rig.ask("dflt", "show sess\n");
        assertThat(lineOf(dflt, "fe=GLOBAL")).contains("proto=unix_stream src=unix:4 fe=GLOBAL");
    }

    @Test
    void longFormOfOneSession() throws Exception {
        Session s = session(tcp2);
        String id = "0x" + Long.toHexString(s.id());
        String block = rig.ask("oper", "show sess " + id + "\n");
        String[] lines = block.split("\n");
        assertThat(lines[0]).matches(Pattern.quote(id) + ": \\[\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d\\.\\d{6}] id="
                + s.id() + " proto=tcpv4 source=127.0.0.1:" + tcp2.getLocalPort());
        assertThat(lines[1]).startsWith("  flags=0x4a, conn_retries=0, conn_exp=<NEVER> conn_et=0x000 srv_conn=0x");
        assertThat(lines[2]).matches("  frontend=fe_tcp \\(id=\\d+ mode=tcp\\), listener=fe_tcp \\(id=1\\) addr=127\\.0\\.0\\.1:"
                + rig.pb.listenerAddress("fe_tcp").getPort());
        assertThat(lines[3]).matches("  backend=svc \\(id=" + s.service().id() + " mode=tcp\\) addr=127\\.0\\.0\\.1:\\d+");
        assertThat(lines[4]).isEqualTo("  server=" + s.server().name() + " (id=" + Lookup.serverId(s.service(), s.server()) + ") addr=127.0.0.1:"
                + s.server().port());
        assertThat(lines[5]).startsWith("  task=0x").contains(" calls=").contains(" exp=59m5");
        assertThat(block).contains("  req=0x").contains(" total=1)\n").contains("  res=0x").endsWith("\n\n");
    }

    @Test
    void longFormOfTheCliItself() throws Exception {
        String all = rig.ask("admin", "show sess all\n");
        int at = all.indexOf("proto=unix_stream source=unix:1");
        assertThat(at).isPositive();
        String cli = all.substring(all.lastIndexOf('\n', at) + 1);
        assertThat(cli).contains("  frontend=GLOBAL (id=0 mode=tcp), listener=admin (id=1) addr=unix:1\n"
                + "  backend=<NONE> (id=-1 mode=-)\n  server=<NONE> (id=-1)\n");
        assertThat(cli).containsPattern("  scb=0x[0-9a-f]+ flags=0x[0-9a-f]{8} state=EST endp=APPCTX,");
        assertThat(cli).containsPattern("      app1=0x[0-9a-f]+ st0=3 st1=0 applet=<CLI> ");
        // show sess all: one block per session, each starting at column 0 with its id.
        long blocks = Arrays.stream(all.split("\n")).filter(l -> l.matches("0x[0-9a-f]+: \\[.*")).count();
        assertThat(blocks).isGreaterThanOrEqualTo(5);
    }

    @Test
    void idsParseLikeStrtoul() throws Exception {
        Session s = session(tcp1);
        String hex = Long.toHexString(s.id());
        String first = "0x" + hex + ": [";
        assertThat(rig.ask("admin", "show sess 0X" + hex.toUpperCase() + "\n")).startsWith(first);
        assertThat(rig.ask("admin", "show sess " + s.id() + "\n")).startsWith(first);
        assertThat(rig.ask("admin", "show sess 0x" + hex + "zzz\n")).startsWith(first);
        assertThat(rig.ask("admin", "show sess 0" + Long.toOctalString(s.id()) + "\n")).startsWith(first);
        assertThat(rig.ask("admin", "show sess 0xdeadbeef;show sess 12345678\n")).isEqualTo(
                Captures.raw("newest/24-show-sess-bad-ids.txt").replace("Unsupported option '0x0', try 'help' for more info.\n\n", ""));
        assertThat(rig.ask("admin", "show sess 0x0\n")).isEqualTo("Unsupported option '0x0', try 'help' for more info.\n\n");
    }

    @Test
    void helpAndOptionErrorsAsNewest() throws Exception {
        String help = rig.ask("admin", "show sess help\n");
        String haproxy = Captures.raw("newest/80-show-sess-help.txt");
        String beforeLast = haproxy.substring(0, haproxy.indexOf("Without any argument"));
        assertThat(help).startsWith(beforeLast)
                .endsWith("Without any argument, all streams are dumped in a shorter format.\n\n");
        // The option errors of capture 83, with this rig's names (svc for be_tcp).
        java.util.Map<String, String> expected = Captures.sections("newest/83-show-sess-option-errors.txt");
        expected.remove("show sess backend be_tcp frontend fe_tcp"); // filters combine in Patchbay
        for (var e : expected.entrySet()) {
            String cmd = e.getKey().replace("be_tcp", "svc");
            assertThat(rig.ask("admin", cmd + "\n")).as(cmd).isEqualTo(e.getValue());
        }
        assertThat(rig.ask("admin", "show sess src\n")).isEqualTo("Missing source address or network.\n\n");
        assertThat(rig.ask("admin", "show sess src nowhere\n")).isEqualTo("Invalid address or network.\n\n");
        assertThat(rig.ask("admin", "show sess user\n")).isEqualTo("Missing user name.\n\n");
        assertThat(rig.ask("admin", "show sess frontend\n")).isEqualTo("Missing frontend name.\n\n");
    }

    @Test
    void filtersSelectAndCombine() throws Exception {
        String svc = rig.ask("admin", "show sess backend svc\n");
        assertThat(svc.split("\n")).hasSize(2).allMatch(l -> l.contains(" be=svc "));
        String s1 = rig.ask("admin", "show sess server svc/" + session(tcp1).server().name() + "\n");
        assertThat(s1).contains(":" + tcp1.getLocalPort() + " ").doesNotContain(":" + tcp2.getLocalPort() + " ");
        String q = rig.ask("admin", "show sess frontend fe_q\n");
        assertThat(q.split("\n")).hasSize(2);
        assertThat(rig.ask("admin", "show sess frontend GLOBAL\n")).contains("fe=GLOBAL").doesNotContain("fe=fe_");
        assertThat(rig.ask("admin", "show sess frontend fe_q backend svc\n")).isEqualTo("\n");
        assertThat(rig.ask("admin", "show sess frontend fe_q backend svcq server svcq/q1\n").split("\n")).hasSize(1);
        assertThat(rig.ask("admin", "show sess src 127.0.0.0/8 backend svc\n").split("\n")).hasSize(2);
        assertThat(rig.ask("admin", "show sess src 10.0.0.0/8\n")).isEqualTo("\n");
        assertThat(rig.ask("admin", "show sess user app\n")).isEqualTo("\n");
        assertThat(rig.ask("admin", "show sess older 1h\n")).isEqualTo("\n");
        assertThat(rig.ask("admin", "show sess older 0 backend svcq\n")).contains("] id=").contains("  server=<none> (id=0)");
        assertThat(rig.ask("admin", "show sess susp\n")).isEqualTo("\n");
        assertThat(rig.ask("admin", "show sess 0x" + Long.toHexString(session(tcp1).id()) + " backend svcq\n"))
                .isEqualTo("Session not found.\n\n");
    }

    @Test
    void profilingShowsCpuOnlyWhenOn() throws Exception {
        assertThat(lineOf(rig.ask("admin", "show sess\n"), ":" + tcp1.getLocalPort() + " ")).contains(" cpu=0 lat=0 ");
        assertThat(rig.ask("admin", "set profiling tasks on\n")).isEqualTo("\n");
        try {
            for (int i = 0; i < 20; i++) {
                Rig.ping(tcp1);
            }
            Session s = session(tcp1);
            String line = lineOf(rig.ask("admin", "show sess\n"), ":" + tcp1.getLocalPort() + " ");
            long cpu = Long.parseLong(line.replaceAll(".* cpu=(\\d+) .*", "$1"));
            assertThat(cpu).isEqualTo(cpu == 0 ? 0 : cpu).isLessThanOrEqualTo(s.cpuNanos());
        } finally {
            assertThat(rig.ask("admin", "set profiling tasks off\n")).isEqualTo("\n");
        }
        assertThat(rig.ask("admin", "set profiling tasks maybe\n")).isEqualTo("Expects 'on' or 'off'.\n\n");
    }
}
