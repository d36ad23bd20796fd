package dev.patchbay.admin.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.core.Server;
import java.net.Socket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Server state, weight and max_connections changes at run time, and their effect on routing. */
@Timeout(60)
class ServerCommandsTest {
    private Rig rig;

    @BeforeEach
    void start() throws Exception {
        rig = Rig.start();
    }

    @AfterEach
    void stop() throws Exception {
        rig.close();
    }

    @Test
    void setWeightAbsoluteAndRelativeAndItsErrors() throws Exception {
        Server s1 = rig.pb.servers().get("s1");
        assertThat(rig.ask("admin", "set weight svc/s1 5\n")).isEqualTo("\n");
        assertThat(s1.weight()).isEqualTo(5);
        assertThat(rig.ask("admin", "get weight svc/s1\n")).isEqualTo("5 (initial 1)\n\n");
        assertThat(rig.ask("admin", "set server svc/s1 weight 300%\n")).isEqualTo("\n");
        assertThat(s1.weight()).isEqualTo(3);
        assertThat(rig.ask("admin", "set weight svc/s1 257\n"))
                .isEqualTo("Absolute weight can only be between 0 and 256 inclusive.\n\n");
        assertThat(rig.ask("admin", "set weight svc/s1 -5%\n")).isEqualTo("Relative weight must be positive.\n\n");
        assertThat(rig.ask("admin", "set weight svc/s1\n")).isEqualTo("Require <weight> or <weight%>.\n\n");
        assertThat(rig.ask("oper", "set weight svc/s1 1\n")).isEqualTo("Permission denied\n\n");
        assertThat(s1.weight()).isEqualTo(3);
    }

    @Test
    void weightZeroSendsNewSessionsElsewhere() throws Exception {
        assertThat(rig.ask("admin", "set weight svc/s1 0\n")).isEqualTo("\n");
        for (int i = 0; i < 4; i++) {
            Socket c = rig.client("fe_tcp");
            Rig.ping(c);
        }
        assertThat(rig.pb.servers().get("s1").connections()).isZero();
        assertThat(rig.pb.servers().get("s2").connections()).isEqualTo(4);
    }

    @Test
    void setMaxconnServerReleasesQueuedSessions() throws Exception {
        // q1 has max_connections=1: a second client waits in the queue.
        Socket first = rig.client("fe_q");
        Rig.ping(first);
        Socket second = rig.client("fe_q");
        second.getOutputStream().write('z');
        org.awaitility.Awaitility.await().until(() -> rig.pb.services().get("svcq").queued() == 1);
        assertThat(rig.ask("admin", "set maxconn server svcq/q1 2\n")).isEqualTo("\n");
        assertThat(second.getInputStream().read()).isEqualTo('z');
        assertThat(rig.pb.servers().get("q1").maxConnections()).isEqualTo(2);
        assertThat(rig.ask("admin", "set maxconn server svcq/q1 lots\n")).isEqualTo("Integer value requested.\n\n");
    }

    @Test
    void drainAndMaintKeepNewSessionsAwayButLeaveExistingOnes() throws Exception {
        Socket before = rig.client("fe_tcp");
        Rig.ping(before);
        Rig.ping(rig.client("fe_tcp"));
        assertThat(rig.ask("admin", "set server svc/s1 state drain\n")).isEqualTo("\n");
        assertThat(rig.ask("admin", "disable server svc/s2\n")).isEqualTo("\n");
        Rig.ping(before);
        assertThat(rig.pb.servers().get("s1").adminState()).isEqualTo(Server.AdminState.DRAIN);
        assertThat(rig.pb.servers().get("s2").adminState()).isEqualTo(Server.AdminState.MAINTENANCE);
        assertThat(rig.pb.services().get("svc").hasNoUsableServer()).isTrue();
        assertThat(rig.ask("admin", "enable server svc/s2\n")).isEqualTo("\n");
        assertThat(rig.pb.services().get("svc").hasNoUsableServer()).isFalse();
    }

    @Test
    void showServersStateListsEveryServerInHaproxyFormatOne() throws Exception {
        assertThat(rig.ask("admin", "set server svc/s1 state drain\n")).isEqualTo("\n");
        assertThat(rig.ask("admin", "set weight svc/s2 7\n")).isEqualTo("\n");
        String out = rig.ask("usr", "show servers state svc\n");
        String[] lines = out.split("\n");
        assertThat(lines[0]).isEqualTo("1");
        assertThat(lines[1]).isEqualTo(Stats.SERVERS_STATE_HEADER);
        assertThat(lines).hasSize(4);
        String[] s1 = lines[2].split(" ");
        String[] s2 = lines[3].split(" ");
        assertThat(s1).hasSize(25);
        assertThat(s1[1]).isEqualTo("svc");
        assertThat(s1[3]).isEqualTo("s1");
        assertThat(s1[4]).isEqualTo("127.0.0.1");
        assertThat(s1[5]).isEqualTo("2");      // running
        assertThat(s1[6]).isEqualTo("8");      // SRV_ADMF_FDRAIN
        assertThat(s2[6]).isEqualTo("0");
        assertThat(s2[7]).isEqualTo("7");      // user weight
        assertThat(s2[8]).isEqualTo("1");      // initial weight
        assertThat(s1[18]).isEqualTo(String.valueOf(rig.pb.servers().get("s1").port()));
        assertThat(out).endsWith("\n\n");
        assertThat(rig.ask("usr", "show servers state nope\n")).isEqualTo("Can't find backend.\n\n");
    }

    @Test
    void showStatTypedAndJsonCarryTheSameValuesAsTheCsv() throws Exception {
        Rig.ping(rig.client("fe_tcp"));
        String typed = rig.ask("usr", "show stat typed\n");
        assertThat(typed).contains("F." + rig.pb.frontends().get("fe_tcp").id() + ".0.0.pxname.1:MGP:str:fe_tcp\n");
        assertThat(typed).contains("B." + rig.pb.services().get("svc").id() + ".0.1.svname.1:MGP:str:BACKEND\n");
        assertThat(typed).containsPattern("S\\.\\d+\\.\\d+\\.7\\.stot\\.1:MCP:u64:\\d+\\n");
        for (String line : typed.split("\n")) {
            if (!line.isEmpty()) {
                assertThat(line).matches("[FBS]\\.\\d+\\.\\d+\\.\\d+\\.[a-z_0-9]+\\.1:M[CG]P:(str|u32|u64):.*");
            }
        }
        String json = rig.ask("usr", "show stat json\n");
        tools.jackson.databind.JsonNode root = tools.jackson.databind.json.JsonMapper.builder().build().readTree(json);
        assertThat(root.isArray()).isTrue();
        boolean found = false;
        for (tools.jackson.databind.JsonNode obj : root) {
            for (tools.jackson.databind.JsonNode f : obj) {
                if (f.get("objType").asString().equals("Frontend") && f.get("field").get("name").asString().equals("stot")
                        && f.get("proxyId").asInt() == rig.pb.frontends().get("fe_tcp").id()) {
                    assertThat(f.get("value").get("value").asLong()).isGreaterThanOrEqualTo(1);
                    assertThat(f.get("value").get("type").asString()).isEqualTo("u64");
                    found = true;
                }
            }
        }
        assertThat(found).isTrue();
    }

    @Test
    void disableFrontendStopsAcceptingUntilItIsEnabledAgain() throws Exception {
        java.net.Socket before = rig.client("fe_tcp");
        Rig.ping(before);
        assertThat(rig.ask("oper", "disable frontend fe_tcp\n")).isEqualTo("Permission denied\n\n");
        assertThat(rig.ask("admin", "disable frontend fe_tcp\n")).isEqualTo("\n");
        assertThat(rig.ask("admin", "disable frontend fe_tcp\n")).isEqualTo("All sockets are already disabled.\n\n");
        assertThat(rig.ask("admin", "show stat\n")).containsPattern("(?m)^fe_tcp,FRONTEND,.*,PAUSED,");
        // Bound but not accepting: the kernel completes the handshake, Patchbay does not take the connection.
        java.net.Socket waiting = rig.client("fe_tcp");
        waiting.getOutputStream().write('x');
        waiting.setSoTimeout(500);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> waiting.getInputStream().read())
                .isInstanceOf(java.net.SocketTimeoutException.class);
        Rig.ping(before); // sessions already accepted go on
        assertThat(rig.ask("admin", "enable frontend fe_tcp\n")).isEqualTo("\n");
        waiting.setSoTimeout(10_000);
        assertThat(waiting.getInputStream().read()).isEqualTo('x');
        assertThat(rig.ask("admin", "enable frontend fe_tcp\n")).isEqualTo("All sockets are already enabled.\n\n");
        assertThat(rig.ask("admin", "enable frontend nope\n")).isEqualTo("No such frontend.\n\n");
        assertThat(rig.ask("admin", "show stat\n")).containsPattern("(?m)^fe_tcp,FRONTEND,.*,OPEN,");
    }

    @Test
    void setMaxconnGlobalLowersTheProcessLimitUpToTheConfiguredOne() throws Exception {
        int hard = rig.pb.connectionLimit().hardMax(); // from the open-file limit: the rig configures none
        java.net.Socket before = rig.client("fe_tcp");
        Rig.ping(before);
        assertThat(rig.ask("oper", "set maxconn global 1\n")).isEqualTo("Permission denied\n\n");
        assertThat(rig.ask("admin", "set maxconn global\n")).isEqualTo("Expects an integer value.\n\n");
        assertThat(rig.ask("admin", "set maxconn global " + (hard + 1) + "\n")).isEqualTo("Value out of range.\n\n");
        assertThat(rig.ask("admin", "set maxconn global 1\n")).isEqualTo("\n");
        assertThat(rig.ask("admin", "show info\n")).contains("\nMaxconn: 1\n", "\nHard_maxconn: " + hard + "\n");
        // One session open: listeners pause, the session already accepted goes on.
        java.net.Socket waiting = rig.client("fe_tcp");
        waiting.getOutputStream().write('x');
        waiting.setSoTimeout(500);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> waiting.getInputStream().read())
                .isInstanceOf(java.net.SocketTimeoutException.class);
        Rig.ping(before);
        // 0 (or a word, read as 0 the way HAProxy's atoi does) restores the configured limit.
        assertThat(rig.ask("admin", "set maxconn global none\n")).isEqualTo("\n");
        waiting.setSoTimeout(10_000);
        assertThat(waiting.getInputStream().read()).isEqualTo('x');
        assertThat(rig.ask("admin", "show info\n")).contains("\nMaxconn: " + hard + "\n");
    }

    @Test
    void setMaxconnFrontendChangesTheListenersLimitAndShowStatShowsIt() throws Exception {
        assertThat(rig.ask("oper", "set maxconn frontend fe_tcp 5\n")).isEqualTo("Permission denied\n\n");
        assertThat(rig.ask("admin", "set maxconn frontend\n")).isEqualTo("A frontend name is expected.\n\n");
        assertThat(rig.ask("admin", "set maxconn frontend nope 5\n")).isEqualTo("No such frontend.\n\n");
        assertThat(rig.ask("admin", "set maxconn frontend fe_tcp\n")).isEqualTo("Integer value expected.\n\n");
        assertThat(rig.ask("admin", "set maxconn frontend fe_tcp -1\n")).isEqualTo("Value out of range.\n\n");
        assertThat(rig.ask("admin", "set maxconn frontend fe_tcp 5\n")).isEqualTo("\n");
        assertThat(rig.pb.frontends().get("fe_tcp").maxConnections()).isEqualTo(5);
        assertThat(rig.ask("admin", "show stat\n")).containsPattern("(?m)^fe_tcp,FRONTEND,,,0,\\d*,5,");
        assertThat(rig.ask("admin", "set maxconn frontend fe_tcp 0\n")).isEqualTo("\n");
        assertThat(rig.ask("admin", "show stat\n")).containsPattern("(?m)^fe_tcp,FRONTEND,,,0,\\d*,,");
    }
}
