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
        assertThat(rig.ask("admin", "set weight svc/s1\n"))
                .isEqualTo("Require <backend>/<server> and <weight> or <weight%>.\n\n");
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
}
