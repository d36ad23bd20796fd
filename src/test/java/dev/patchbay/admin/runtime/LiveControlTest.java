package dev.patchbay.admin.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.core.LogLevels;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionState;
import dev.patchbay.core.Termination;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The runtime API's live-control commands on real sockets: {@code shutdown session <id> ttl <d> [safe]},
 * {@code restart session(s)}, {@code set session <id> log}, log selectors, and what {@code show sess}
 * shows of them.
 */
@Timeout(60)
class LiveControlTest {
    Rig rig;

    @BeforeEach
    void start() throws Exception {
        rig = Rig.start();
    }

    @AfterEach
    void stop() throws Exception {
        rig.close();
    }

    private Session sessionOf(Socket c) {
        int port = c.getLocalPort();
        return rig.pb.sessions().snapshot().stream()
                .filter(s -> s.clientAddress() instanceof InetSocketAddress a && a.getPort() == port)
                .findFirst().orElseThrow();
    }

    private static String hex(Session s) {
        return "0x" + Long.toHexString(s.id());
    }

    /** Sends a byte every 50 ms and checks its echo, so the session is never idle for 200 ms. */
    private static Thread busy(Socket c, AtomicBoolean run) {
        Thread t = new Thread(() -> {
            try {
                while (run.get()) {
                    Rig.ping(c);
                    Thread.sleep(50);
                }
            } catch (IOException | InterruptedException e) {
                // the session was killed: the test looks at the session itself
            }
        }, "busy-client");
        t.start();
        return t;
    }

    @Test
    void shutdownWithTtlAnswersAtOnceAndKillsAfterTheDelay() throws Exception {
        Socket c = rig.client("fe_tcp");
        Rig.ping(c);
        Session s = sessionOf(c);
        long t0 = System.nanoTime();
        assertThat(rig.ask("admin", "shutdown session " + hex(s) + " ttl 1\n")).isEqualTo("\n");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(800);
        assertThat(rig.ask("admin", "show sess " + hex(s) + "\n")).containsPattern("control: gen=1 started_gen=1 "
                + "restarts=0 restart=<none> kill=(1s|0s) ");
        Thread.sleep(700);
        assertThat(s.state().isLive()).as("not before the delay").isTrue();
        Rig.ping(c);
        Awaitility.await().atMost(3, TimeUnit.SECONDS).until(() -> s.state() instanceof SessionState.Closed);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(1000);
        assertThat(s.termination().cause()).isEqualTo(Termination.Cause.KILLED);
        assertThat(s.termination().detail()).startsWith("runtime API unix@");
        // The plain form is HAProxy's and extra words are still ignored.
        Socket d = rig.client("fe_tcp");
        Rig.ping(d);
        assertThat(rig.ask("admin", "shutdown session " + hex(sessionOf(d)) + " whatever\n")).isEqualTo("\n");
        assertThat(rig.ask("admin", "shutdown session 0x1 ttl\n"))
                .isEqualTo("No such session (use 'show sess').\n\n");
        Socket e = rig.client("fe_tcp");
        Rig.ping(e);
        String id = hex(sessionOf(e));
        assertThat(rig.ask("admin", "shutdown session " + id + " ttl\n"))
                .isEqualTo("Expects a delay after 'ttl' (in seconds by default).\n\n");
        assertThat(rig.ask("admin", "shutdown session " + id + " ttl soon\n")).isEqualTo("Invalid delay.\n\n");
        assertThat(rig.ask("admin", "shutdown session " + id + " ttl 5 now\n"))
                .isEqualTo("Unknown option 'now': expects 'safe' or nothing.\n\n");
        assertThat(rig.ask("oper", "shutdown session " + id + " ttl 5\n")).isEqualTo("Permission denied\n\n");
    }

    @Test
    void aSafeKillWaitsForAnIdleMomentButNotPastTheDeadline() throws Exception {
        // Busy the whole time: killed at the deadline, not before.
        Socket busyClient = rig.client("fe_tcp");
        Rig.ping(busyClient);
        Session busy = sessionOf(busyClient);
        AtomicBoolean run = new AtomicBoolean(true);
        Thread t = busy(busyClient, run);
        long t0 = System.nanoTime();
        assertThat(rig.ask("admin", "shutdown session " + hex(busy) + " ttl 2 safe\n")).isEqualTo("\n");
        Thread.sleep(1500);
        assertThat(busy.state().isLive()).as("no idle moment yet, and the deadline is not reached").isTrue();
        Awaitility.await().atMost(3, TimeUnit.SECONDS).until(() -> busy.state() instanceof SessionState.Closed);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(2000);
        run.set(false);
        t.join(5000);

        // Idle: killed at the first idle moment, long before the deadline.
        Socket idleClient = rig.client("fe_tcp");
        Rig.ping(idleClient);
        Session idle = sessionOf(idleClient);
        long t1 = System.nanoTime();
        assertThat(rig.ask("admin", "shutdown session " + hex(idle) + " ttl 30 safe\n")).isEqualTo("\n");
        Awaitility.await().atMost(3, TimeUnit.SECONDS).until(() -> idle.state() instanceof SessionState.Closed);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1)).isLessThan(3000);
        assertThat(idle.termination().cause()).isEqualTo(Termination.Cause.KILLED);
    }

    @Test
    void restartMovesTheBackendConnectionAndShowsWhatItWaitsFor() throws Exception {
        Socket c = rig.client("fe_tcp");
        Rig.ping(c);
        Session s = sessionOf(c);
        java.net.SocketAddress before = s.backendLocalAddress();
        assertThat(rig.ask("admin", "restart session " + hex(s) + "\n")).isEqualTo("\n");
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> s.control().restarts() == 1);
        assertThat(s.backendLocalAddress()).as("a new backend connection").isNotEqualTo(before);
        Rig.ping(c);
        assertThat(rig.ask("admin", "show sess " + hex(s) + "\n"))
                .contains("  control: gen=1 started_gen=1 restarts=1 restart=<none> kill=<NEVER> filters=<none>"
                        + " pending_filters=<none> last_restart=\"ok\"\n");

        // While busy, a restart waits and says so.
        AtomicBoolean run = new AtomicBoolean(true);
        Thread t = busy(c, run);
        assertThat(rig.ask("admin", "restart session " + hex(s) + "\n")).isEqualTo("\n");
        Thread.sleep(600);
        assertThat(rig.ask("admin", "show sess " + hex(s) + "\n")).contains(" restart=waiting(idle) ");
        assertThat(s.control().restarts()).isEqualTo(1);
        run.set(false);
        t.join(5000);
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> s.control().restarts() == 2);
        Rig.ping(c);

        // No server can take it: it keeps its connection and the failure is reported.
        assertThat(rig.ask("admin", "set server svc/s1 state maint;set server svc/s2 state maint\n")).isEqualTo("\n\n");
        assertThat(rig.ask("admin", "restart session " + hex(s) + "\n")).isEqualTo("\n");
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> s.control().lastRestart() != null
                && !s.control().lastRestart().ok());
        assertThat(rig.ask("admin", "show sess " + hex(s) + "\n"))
                .contains(" last_restart=\"failed: no server of service svc is up\"\n");
        Rig.ping(c);
        assertThat(s.control().restarts()).isEqualTo(2);
    }

    @Test
    void restartErrorsAndSelectors() throws Exception {
        assertThat(rig.ask("admin", "restart session\n")).isEqualTo("Session pointer expected (use 'show sess').\n\n");
        assertThat(rig.ask("admin", "restart session 0x7777\n")).isEqualTo("No such session (use 'show sess').\n\n");
        assertThat(rig.ask("oper", "restart session 0x1\n")).isEqualTo("Permission denied\n\n");
        Rig.Conn own = rig.connect("admin");
        own.send("prompt\n");
        own.readUntil("> ");
        own.send("show sess frontend GLOBAL\n");
        String line = own.readUntil("> ");
        String ownId = line.substring(0, line.indexOf(':'));
        own.send("restart session " + ownId + "\n");
        assertThat(own.readUntil("> ")).endsWith("cannot be restarted: it is a cli connection with no backend\n\n> ");

        Socket a = rig.client("fe_tcp");
        Socket b = rig.client("fe_tcp");
        Rig.ping(a);
        Rig.ping(b);
        Session sa = sessionOf(a);
        Session sb = sessionOf(b);
        assertThat(rig.ask("admin", "restart sessions\n")).startsWith("Require 'all', 'server <backend>/<server>'");
        assertThat(rig.ask("admin", "restart sessions backend nope\n")).isEqualTo("No such backend.\n\n");
        assertThat(rig.ask("admin", "restart sessions backend svc spread\n")).isEqualTo("Invalid delay.\n\n");
        assertThat(rig.ask("admin", "restart sessions backend svc spread 2s\n")).isEqualTo("\n");
        // The second of two waits spread * 1/2 = 1 s first.
        Session later = sa.control().pendingRestart() != null
                && "scheduled".equals(sa.control().pendingRestart().waitingFor()) ? sa : sb;
        assertThat(rig.ask("admin", "show sess " + hex(later) + "\n")).containsPattern(" restart=scheduled\\((1s|0s)\\) ");
        Awaitility.await().atMost(5, TimeUnit.SECONDS)
                .until(() -> sa.control().restarts() == 1 && sb.control().restarts() == 1);
        Rig.ping(a);
        Rig.ping(b);
        assertThat(rig.ask("admin", "restart sessions src 127.0.0.1\n")).isEqualTo("\n");
        assertThat(rig.ask("admin", "restart sessions server svc/s1\n")).isEqualTo("\n");
        assertThat(rig.ask("admin", "restart sessions all\n")).isEqualTo("\n");
        assertThat(rig.ask("admin", "restart sessions frontend fe_tcp spread 1s\n")).isEqualTo("\n");
        Awaitility.await().atMost(10, TimeUnit.SECONDS)
                .until(() -> sa.control().pendingRestart() == null && sb.control().pendingRestart() == null);
        Rig.ping(a);
        Rig.ping(b);
    }

    @Test
    void perSessionLogLevelsAndSelectors() throws Exception {
        Socket c = rig.client("fe_tcp");
        Rig.ping(c);
        Session s = sessionOf(c);
        assertThat(rig.ask("admin", "set session " + hex(s) + " log info,debug on\n")).isEqualTo("\n");
        assertThat(s.logFlags()).isEqualTo(LogLevels.INFO | LogLevels.DEBUG);
        assertThat(rig.ask("admin", "set session " + hex(s) + " log debug off\n")).isEqualTo("\n");
        assertThat(s.logFlags()).isEqualTo(LogLevels.INFO);
        assertThat(rig.ask("admin", "set session " + hex(s) + " log loud on\n"))
                .isEqualTo("Expects log levels among error, warning, notice, info or debug (comma-separated).\n\n");
        assertThat(rig.ask("admin", "set session " + hex(s) + " log info maybe\n")).isEqualTo("Expects 'on' or 'off'.\n\n");
        assertThat(rig.ask("admin", "set session " + hex(s) + " trace on\n"))
                .isEqualTo("Expects 'log <level>[,<level>] on|off'.\n\n");
        assertThat(rig.ask("admin", "set session 0x7777 log info on\n")).isEqualTo("No such session (use 'show sess').\n\n");

        assertThat(rig.ask("admin", "set log selector src 127.0.0.0/8 level debug expire 2s\n"))
                .isEqualTo("New log selector #1.\n\n");
        assertThat(rig.ask("admin", "set log selector user app level info\n")).isEqualTo("New log selector #2.\n\n");
        Socket d = rig.client("fe_tcp");
        Rig.ping(d);
        Session fresh = sessionOf(d);
        assertThat(fresh.logFlags()).as("the src selector applies to new sessions").isEqualTo(LogLevels.DEBUG);
        assertThat(s.logFlags()).as("not to sessions opened before it").isEqualTo(LogLevels.INFO);
        assertThat(rig.ask("oper", "show log selectors\n")).matches("(?s)# id match level expire matched by\n"
                + "1 src=127\\.0\\.0\\.0/8 debug (2s|1s) 1 runtime API unix@\\S+ level admin\n"
                + "2 user=app info - 0 runtime API unix@\\S+ level admin\n\n");
        // At expiry the levels it added go away again.
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> fresh.logFlags() == 0);
        assertThat(rig.ask("oper", "show log selectors\n")).doesNotContain("src=");
        assertThat(rig.ask("admin", "del log selector 9\n")).isEqualTo("No such log selector.\n\n");
        assertThat(rig.ask("admin", "del log selector 2\n")).isEqualTo("\n");
        assertThat(rig.ask("admin", "set log selector src nowhere level info\n")).isEqualTo("Invalid address or network.\n\n");
        assertThat(rig.ask("admin", "set log selector host x level info\n"))
                .isEqualTo("Expects 'user <name>' or 'src <ip|cidr>'.\n\n");
        assertThat(rig.ask("admin", "set log selector src 10.0.0.1 level info expire never\n")).isEqualTo("Invalid delay.\n\n");
        assertThat(rig.ask("oper", "set log selector src 10.0.0.1 level info\n")).isEqualTo("Permission denied\n\n");
    }
}
