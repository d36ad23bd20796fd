package dev.patchbay.admin.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.patchbay.core.Session;
import dev.patchbay.core.SessionState;
import dev.patchbay.testing.LogCapture;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Killing sessions: HAProxy's errors, the answer after the close, the client's EOF, the logs. */
@Timeout(60)
class ShutdownTest {
    private Rig rig;
    @RegisterExtension
    final LogCapture access = new LogCapture("patchbay.access");
    @RegisterExtension
    final LogCapture admin = new LogCapture("patchbay.admin");

    @BeforeEach
    void start() throws Exception {
        rig = Rig.start();
    }

    @AfterEach
    void stop() throws Exception {
        rig.close();
    }

    private Session session(Socket client) {
        for (Session s : rig.pb.sessions().snapshot()) {
            if (s.clientAddress() instanceof InetSocketAddress a && a.getPort() == client.getLocalPort() && s.service() != null) {
                return s;
            }
        }
        throw new AssertionError("no session for client port " + client.getLocalPort());
    }

    @Test
    void shutdownSessionAnswersOnceTheSessionIsClosed() throws Exception {
        Socket c = rig.client("fe_tcp");
        Rig.ping(c);
        Session s = session(c);
        String id = "0x" + Long.toHexString(s.id());
        assertThat(rig.ask("admin", "shutdown session " + id + "\n")).isEqualTo("\n");
        // Answered after the close: the registry no longer has it, and the client sees EOF.
        assertThat(rig.pb.sessions().get(s.id())).isNull();
        assertThat(s.state()).isInstanceOf(SessionState.Closed.class);
        assertThat(c.getInputStream().read()).isEqualTo(-1);
        String who = "runtime API unix@" + rig.dir.resolve("admin.sock") + " level admin";
        assertThat(s.termination().describe()).isEqualTo("killed (" + who + ")");
        await().atMost(Duration.ofSeconds(5)).until(() -> access.lines().stream().anyMatch(
                l -> l.startsWith("session=" + s.id() + " ") && l.contains("termination=\"killed (" + who + ")\"")));
        assertThat(admin.lines()).anyMatch(l -> l.startsWith(who + ": shutdown session " + id
                + ": killing 1 session: " + id + " (fe_tcp 127.0.0.1:" + c.getLocalPort() + " -> svc/"));
        // Ids are never reused: the same id stays dead.
        assertThat(rig.ask("admin", "shutdown session " + id + ";show sess " + id + "\n"))
                .isEqualTo(Captures.raw("newest/72-shutdown-session-again.txt"));
    }

    @Test
    void shutdownSessionErrorsAsNewest70() throws Exception {
        assertThat(rig.ask("admin", "shutdown session;shutdown session garbage;shutdown session 0x0;shutdown session 0xdeadbeef\n"))
                .isEqualTo(Captures.raw("newest/70-shutdown-session-errors.txt"));
    }

    @Test
    void shutdownSessionsServerErrorsAsNewest73() throws Exception {
        String in = "shutdown sessions server;shutdown sessions server svc;shutdown sessions server nobe/s1;"
                + "shutdown sessions server svc/nosrv;shutdown sessions server fe_tcp/s1;shutdown sessions server /s1;"
                + "shutdown sessions server svc/\n";
        assertThat(rig.ask("admin", in)).isEqualTo(Captures.raw("newest/73-shutdown-sessions-server-errors.txt"));
        assertThat(rig.ask("usr", "shutdown session 0x1;shutdown sessions server svc/s1\n"))
                .isEqualTo(Captures.raw("63-shutdown-session-user.txt"));
    }

    @Test
    void shutdownSessionsServerKillsOnlyThatServer() throws Exception {
        Socket a = rig.client("fe_tcp");
        Rig.ping(a);
        Socket b = rig.client("fe_tcp");
        Rig.ping(b);
        Session sa = session(a);
        Session sb = session(b);
        assertThat(sa.server()).isNotSameAs(sb.server());
        String target = sa.server().name();
        assertThat(rig.ask("admin", "shutdown sessions server svc/" + target + "\n")).isEqualTo("\n");
        assertThat(rig.pb.sessions().get(sa.id())).isNull();
        assertThat(a.getInputStream().read()).isEqualTo(-1);
        Rig.ping(b);
        // By id as well: #<service id>/#<server id>.
        assertThat(rig.ask("admin", "shutdown sessions server #" + sb.service().id() + "/#" + sb.server().id() + "\n"))
                .isEqualTo("\n");
        assertThat(b.getInputStream().read()).isEqualTo(-1);
    }

    @Test
    void backendKillTakesQueuedSessionsToo() throws Exception {
        Socket active = rig.client("fe_q");
        Rig.ping(active);
        Socket waiting = rig.client("fe_q");
        await().atMost(Duration.ofSeconds(5)).until(() -> session(waiting).state() instanceof SessionState.Queued);
        Session queued = session(waiting);
        assertThat(rig.ask("admin", "shutdown sessions backend svcq\n")).isEqualTo("\n");
        assertThat(queued.state()).isInstanceOf(SessionState.Closed.class);
        assertThat(active.getInputStream().read()).isEqualTo(-1);
        assertThat(waiting.getInputStream().read()).isEqualTo(-1);
        assertThat(rig.ask("admin", "shutdown sessions backend\n")).isEqualTo("Missing backend name.\n\n");
        assertThat(rig.ask("admin", "shutdown sessions backend nope\n")).isEqualTo("No such backend.\n\n");
    }

    @Test
    void frontendAndSourceKills() throws Exception {
        Socket a = rig.client("fe_tcp");
        Rig.ping(a);
        Socket q = rig.client("fe_q");
        Rig.ping(q);
        assertThat(rig.ask("admin", "shutdown sessions frontend fe_q\n")).isEqualTo("\n");
        assertThat(q.getInputStream().read()).isEqualTo(-1);
        Rig.ping(a);
        assertThat(rig.ask("admin", "shutdown sessions src 10.0.0.0/8\n")).isEqualTo("\n");
        Rig.ping(a);
        assertThat(rig.ask("admin", "shutdown sessions src 127.0.0.1\n")).isEqualTo("\n");
        assertThat(a.getInputStream().read()).isEqualTo(-1);
        assertThat(rig.ask("admin", "shutdown sessions frontend nofe\n")).isEqualTo("No such frontend.\n\n");
        assertThat(rig.ask("admin", "shutdown sessions src 300.1.1.1\n")).isEqualTo("Invalid address or network.\n\n");
    }

    @Test
    void killingItsOwnSessionAnswersThenClosesAsNewest76() throws Exception {
        try (Rig.Conn c = rig.connect("admin")) {
            c.send("prompt\n");
            c.readUntil("> ");
            c.send("show sess frontend GLOBAL\n");
            String out = c.readUntil("> ");
            Session own = null;
            for (Session s : rig.pb.sessions().snapshot()) {
                if (s.io() instanceof CliHandler && out.contains("0x" + Long.toHexString(s.id()) + ": ")) {
                    own = s;
                }
            }
            assertThat(own).isNotNull();
            c.send("shutdown session 0x" + Long.toHexString(own.id()) + "\n");
            assertThat(c.readToEof()).isEqualTo("\n> ");
            Session dead = own;
            await().atMost(Duration.ofSeconds(5)).until(() -> dead.state() instanceof SessionState.Closed);
        }
    }

    @Test
    void anotherCliConnectionCanBeKilled() throws Exception {
        try (Rig.Conn victim = rig.connect("oper")) {
            victim.send("prompt\n");
            victim.readUntil("> ");
            Session v = null;
            for (Session s : rig.pb.sessions().snapshot()) {
                if (s.io() instanceof CliHandler && s.frontend().listenerId() == 2) {
                    v = s;
                }
            }
            assertThat(v).isNotNull();
            assertThat(rig.ask("admin", "shutdown session " + v.id() + "\n")).isEqualTo("\n");
            assertThat(victim.readToEof()).isEmpty();
        }
    }

    @Test
    void serverStateChanges() throws Exception {
        var s1 = rig.pb.servers().get("s1");
        assertThat(rig.ask("admin", "set server svc/s1 state maint\n")).isEqualTo("\n");
        assertThat(s1.adminState()).isEqualTo(dev.patchbay.core.Server.AdminState.MAINTENANCE);
        assertThat(rig.ask("admin", "show stat\n")).contains("\nsvc,s1,").containsPattern("svc,s1,[^\\n]*,MAINT,");
        assertThat(rig.ask("admin", "set server svc/s1 state drain\n")).isEqualTo("\n");
        assertThat(s1.adminState()).isEqualTo(dev.patchbay.core.Server.AdminState.DRAIN);
        assertThat(rig.ask("admin", "enable server svc/s1\n")).isEqualTo("\n");
        assertThat(s1.adminState()).isEqualTo(dev.patchbay.core.Server.AdminState.READY);
        assertThat(rig.ask("admin", "disable server svc/s1\n")).isEqualTo("\n");
        assertThat(s1.adminState()).isEqualTo(dev.patchbay.core.Server.AdminState.MAINTENANCE);
        assertThat(rig.ask("admin", "set server svc/s1 state ready\n")).isEqualTo("\n");
        assertThat(rig.ask("admin", "set server svc/s1 state off\n"))
                .isEqualTo("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n");
        assertThat(rig.ask("admin", "set server svc/zz state ready\n")).isEqualTo("No such server.\n\n");
        assertThat(rig.ask("admin", "get weight svc/s1\n")).isEqualTo("1 (initial 1)\n\n");
        assertThat(rig.ask("oper", "set server svc/s1 state maint\n")).isEqualTo("Permission denied\n\n");
        assertThat(admin.lines()).anyMatch(l -> l.endsWith("set server svc/s1 state maint: server s1 READY -> MAINTENANCE"));
    }
}
