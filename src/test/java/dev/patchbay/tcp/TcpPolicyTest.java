package dev.patchbay.tcp;

import static dev.patchbay.testing.Bytes.random;
import static dev.patchbay.testing.Proxy.connect;
import static dev.patchbay.testing.Proxy.listener;
import static dev.patchbay.testing.Proxy.server;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Server;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionState;
import dev.patchbay.testing.Closer;
import dev.patchbay.testing.LogCapture;
import dev.patchbay.testing.Proxy;
import dev.patchbay.testing.TestBackend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Timeouts, retries and redispatch, max_connections, health checks and graceful stop, on real sockets. */
@Timeout(60)
class TcpPolicyTest {
    @RegisterExtension
    final Closer closer = new Closer();
    @RegisterExtension
    final LogCapture accessLog = new LogCapture("patchbay.access");

    private static void ping(Socket s) throws IOException {
        s.getOutputStream().write('x');
        assertThat(s.getInputStream().read()).isEqualTo('x');
    }

    /** A port with nothing listening: connects are refused at once. */
    private static int deadPort() throws IOException {
        return Proxy.freePort();
    }

    @Test
    void clientTimeoutClosesAnIdleClient() throws Exception {
        TestBackend echo = closer.track(TestBackend.start("e", TestBackend.Mode.ECHO));
        Patchbay p = closer.track(Proxy.start(server("s1", echo.port())
                + "[svc]\ntype=service\nservers=s1\nclient_timeout=300ms\n\n" + listener()));
        try (Socket s = connect(p, "l1")) {
            ping(s);
            Session session = p.sessions().snapshot().get(0);
            assertThat(session.timers().clientIdle()).isNotEqualTo(Session.Timers.NEVER);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        await().until(() -> accessLog.lines().stream().anyMatch(l -> l.contains("termination=\"client timeout\"")));
    }

    @Test
    void activityKeepsTheClientTimeoutAway() throws Exception {
        TestBackend echo = closer.track(TestBackend.start("e", TestBackend.Mode.ECHO));
        Patchbay p = closer.track(Proxy.start(server("s1", echo.port())
                + "[svc]\ntype=service\nservers=s1\nclient_timeout=400ms\n\n" + listener()));
        try (Socket s = connect(p, "l1")) {
            for (int i = 0; i < 8; i++) {
                ping(s);
                Thread.sleep(150);
            }
            assertThat(p.sessions().size()).isEqualTo(1);
        }
    }

    @Test
    void serverTimeoutClosesWhenTheBackendIsSilent() throws Exception {
        TestBackend silent = closer.track(TestBackend.start("quiet", TestBackend.Mode.SILENT));
        Patchbay p = closer.track(Proxy.start(server("s1", silent.port())
                + "[svc]\ntype=service\nservers=s1\nserver_timeout=300ms\n\n" + listener()));
        try (Socket s = connect(p, "l1")) {
            s.getOutputStream().write("anyone?".getBytes());
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        await().until(() -> accessLog.lines().stream().anyMatch(l -> l.contains("termination=\"server timeout\"")));
    }

    @Test
    void connectTimeoutRetriesThenFails() throws Exception {
        int hanging = Proxy.hangingPort(closer);
        Patchbay p = closer.track(Proxy.start(server("s1", hanging)
                + "[svc]\ntype=service\nservers=s1\nconnect_timeout=200ms\nretries=2\n\n" + listener()));
        long t0 = System.nanoTime();
        try (Socket s = connect(p, "l1")) {
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(ms).isGreaterThanOrEqualTo(550); // three attempts of 200 ms
        await().until(() -> accessLog.lines().stream().anyMatch(l -> l.contains("retries=2")
                && l.contains("termination=\"connect failure (s1: connect timeout)\"")));
        assertThat(p.servers().get("s1").connectFailures()).isEqualTo(3);
        assertThat(p.servers().get("s1").connections()).isZero();
    }

    @Test
    void clientResetDuringTheConnectEndsTheSessionWithoutBlamingTheServer() throws Exception {
        int hanging = Proxy.hangingPort(closer);
        Patchbay p = closer.track(Proxy.start(server("s1", hanging)
                + "[svc]\ntype=service\nservers=s1\nconnect_timeout=10s\n\n" + listener()));
        Socket s = connect(p, "l1");
        await().until(() -> p.sessions().size() == 1
                && p.sessions().snapshot().get(0).state() instanceof SessionState.Connecting);
        s.setSoLinger(true, 0);
        s.close(); // RST: the client is gone, unlike a FIN, which still waits for the server's answer
        await().atMost(Duration.ofSeconds(3)).until(() -> p.sessions().size() == 0);
        Server s1 = p.servers().get("s1");
        assertThat(s1.connections()).isZero();
        assertThat(s1.connectFailures()).as("the connect was abandoned, not failed by the server").isZero();
    }

    @Test
    void timedOutConnectIsRedispatchedWithTheBytesSentMeanwhile() throws Exception {
        int hanging = Proxy.hangingPort(closer);
        TestBackend good = closer.track(TestBackend.start("good", TestBackend.Mode.ECHO));
        Patchbay p = closer.track(Proxy.start(server("hang", hanging) + server("good", good.port())
                + "[svc]\ntype=service\nrouter=first\nservers=hang,good\nconnect_timeout=300ms\nretries=1\n\n"
                + listener()));
        byte[] early = random(100_000, 7);
        try (Socket s = connect(p, "l1")) {
            // Sent while the first connect hangs: held, then relayed whole to the server that answers.
            s.getOutputStream().write(early);
            byte[] back = s.getInputStream().readNBytes(early.length);
            assertThat(back).isEqualTo(early);
            Session session = p.sessions().snapshot().get(0);
            assertThat(session.server().name()).isEqualTo("good");
            assertThat(session.retries()).isEqualTo(1);
        }
        assertThat(p.servers().get("hang").connectFailures()).isEqualTo(1);
        await().until(() -> p.servers().get("hang").connections() == 0 && p.sessions().size() == 0);
    }

    @Test
    void refusedConnectIsRedispatchedToAnotherServer() throws Exception {
        TestBackend good = closer.track(TestBackend.start("good", TestBackend.Mode.ECHO));
        Patchbay p = closer.track(Proxy.start(server("dead", deadPort()) + server("good", good.port())
                + "[svc]\ntype=service\nrouter=first\nservers=dead,good\nretries=1\n\n" + listener()));
        try (Socket s = connect(p, "l1")) {
            ping(s);
            Session session = p.sessions().snapshot().get(0);
            assertThat(session.server().name()).isEqualTo("good");
            assertThat(session.retries()).isEqualTo(1);
        }
        assertThat(p.servers().get("dead").connectFailures()).isEqualTo(1);
        assertThat(p.servers().get("dead").connections()).isZero();
    }

    /** An echo server that takes one connection at a time; sessions beyond it queue for {@code queueTimeout}. */
    private Patchbay oneSlotEchoProxy(String queueTimeout) throws Exception {
        TestBackend echo = closer.track(TestBackend.start("e", TestBackend.Mode.ECHO));
        return closer.track(Proxy.start(server("s1", echo.port()).replace("health_check=none", "health_check=none\nmax_connections=1")
                + "[svc]\ntype=service\nservers=s1\nqueue_timeout=" + queueTimeout + "\n\n" + listener()));
    }

    @Test
    void serverMaxConnectionsQueuesUntilASlotFrees() throws Exception {
        Patchbay p = oneSlotEchoProxy("10s");
        Socket first = closer.track(connect(p, "l1"));
        ping(first);
        Socket second = closer.track(connect(p, "l1"));
        second.getOutputStream().write('y');
        await().until(() -> p.sessions().size() == 2);
        Session queued = p.sessions().snapshot().get(1);
        assertThat(queued.state()).isInstanceOf(SessionState.Queued.class);
        assertThat(queued.timers().queue()).isNotEqualTo(Session.Timers.NEVER);
        assertThat(p.services().get("svc").queued()).isEqualTo(1);
        first.close();
        assertThat(second.getInputStream().read()).isEqualTo('y');
        assertThat(queued.state()).isInstanceOf(SessionState.Established.class);
        assertThat(p.servers().get("s1").connections()).isEqualTo(1);
    }

    @Test
    void aWaitingSessionReadsAheadOnlyUpToTheEarlyLimitThenRelaysEverything() throws Exception {
        Patchbay p = oneSlotEchoProxy("20s");
        Socket first = closer.track(connect(p, "l1"));
        ping(first);
        Socket second = closer.track(connect(p, "l1"));
        byte[] data = random(1 << 20, 7);
        CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
            try {
                second.getOutputStream().write(data);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        await().until(() -> p.sessions().size() == 2);
        Session queued = p.sessions().snapshot().get(1);
        // Read from accept on, while waiting for a slot, but only up to the limit (plus the read that crossed it).
        await().until(() -> queued.hasFlag(Session.CLIENT_READ_PAUSED));
        long early = queued.bytesFromClient();
        assertThat(early).isBetween((long) TcpSession.EARLY_LIMIT, TcpSession.EARLY_LIMIT + 64L * 1024);
        Thread.sleep(300);
        assertThat(queued.bytesFromClient()).isEqualTo(early);
        assertThat(queued.state()).isInstanceOf(SessionState.Queued.class);
        first.close();
        byte[] back = second.getInputStream().readNBytes(data.length);
        writing.get(10, TimeUnit.SECONDS);
        assertThat(back).isEqualTo(data);
        assertThat(queued.hasFlag(Session.CLIENT_READ_PAUSED)).isFalse();
    }

    @Test
    void queueTimeoutEndsAWaitingSession() throws Exception {
        Patchbay p = oneSlotEchoProxy("300ms");
        Socket first = closer.track(connect(p, "l1"));
        ping(first);
        try (Socket second = connect(p, "l1")) {
            assertThat(second.getInputStream().read()).isEqualTo(-1);
        }
        await().until(() -> accessLog.lines().stream().anyMatch(l -> l.contains("queue timeout")));
        assertThat(p.services().get("svc").queued()).isZero();
    }

    @Test
    void serviceMaxConnectionsRefusesWhenConfigured() throws Exception {
        TestBackend echo = closer.track(TestBackend.start("e", TestBackend.Mode.ECHO));
        Patchbay p = closer.track(Proxy.start(server("s1", echo.port())
                + "[svc]\ntype=service\nservers=s1\nmax_connections=2\nwhen_full=refuse\n\n" + listener()));
        Socket a = closer.track(connect(p, "l1"));
        Socket b = closer.track(connect(p, "l1"));
        ping(a);
        ping(b);
        try (Socket c = connect(p, "l1")) {
            assertThat(c.getInputStream().read()).isEqualTo(-1);
        }
        await().until(() -> accessLog.lines().stream().anyMatch(
                l -> l.contains("refused: max_connections (service svc is at max_connections)")));
        assertThat(p.services().get("svc").refused()).isEqualTo(1);
        a.close();
        await().until(() -> p.services().get("svc").connections() == 1);
        try (Socket d = connect(p, "l1")) {
            ping(d);
        }
    }

    @Test
    void healthCheckMarksDownAndUpAndNewSessionsAvoidDownServers() throws Exception {
        TestBackend a = TestBackend.start("a", TestBackend.Mode.HELLO);
        int aPort = a.port();
        TestBackend b = closer.track(TestBackend.start("b", TestBackend.Mode.HELLO));
        String check = "health_check=tcp\nhealth_check_interval=100ms\nrise=2\nfall=2\n";
        Patchbay p = closer.track(Proxy.start(
                server("a", aPort).replace("health_check=none\n", check)
                + server("b", b.port()).replace("health_check=none\n", check)
                + "[svc]\ntype=service\nrouter=roundrobin\nservers=a,b\non_server_down=shutdown_sessions\n\n" + listener()));
        Server sa = p.servers().get("a");
        Socket onA = null;
        for (int i = 0; i < 2; i++) {
            Socket s = closer.track(connect(p, "l1"));
            String who = new String(s.getInputStream().readNBytes(2));
            if (who.equals("a\n")) {
                onA = s;
            }
        }
        assertThat(onA).isNotNull();
        a.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> sa.health() == Server.Health.DOWN);
        // on_server_down=shutdown_sessions: the session on a is cut.
        assertThat(onA.getInputStream().read()).isEqualTo(-1);
        await().until(() -> accessLog.lines().stream().anyMatch(l -> l.contains("server marked down (a)")));
        for (int i = 0; i < 4; i++) {
            try (Socket s = connect(p, "l1")) {
                assertThat(new String(s.getInputStream().readNBytes(2))).isEqualTo("b\n");
            }
        }
        closer.track(TestBackend.startOn("a", TestBackend.Mode.HELLO, aPort));
        await().atMost(Duration.ofSeconds(5)).until(() -> sa.health() == Server.Health.UP);
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            try (Socket s = connect(p, "l1")) {
                seen.add(new String(s.getInputStream().readNBytes(2)));
            }
        }
        assertThat(seen).contains("a\n", "b\n");
    }

    @Test
    void sessionsOfADownServerStayUnlessConfiguredToBeCut() throws Exception {
        TestBackend a = closer.track(TestBackend.start("a", TestBackend.Mode.ECHO));
        Patchbay p = closer.track(Proxy.start(
                server("a", a.port()).replace("health_check=none\n", "health_check=tcp\nhealth_check_interval=100ms\nfall=1\n")
                + "[svc]\ntype=service\nservers=a\n\n" + listener()));
        Socket s = closer.track(connect(p, "l1"));
        ping(s);
        a.stopListening();
        await().until(() -> p.servers().get("a").health() == Server.Health.DOWN);
        ping(s);
        assertThat(p.sessions().size()).isEqualTo(1);
        // With no usable server, a new client is turned away at once.
        try (Socket c = connect(p, "l1")) {
            assertThat(c.getInputStream().read()).isEqualTo(-1);
        }
        await().until(() -> accessLog.lines().stream().anyMatch(l -> l.contains("no server available (no server of svc is up)")));
    }

    @Test
    void gracefulStopWaitsForSessionsThenClosesTheRest() throws Exception {
        TestBackend echo = closer.track(TestBackend.start("e", TestBackend.Mode.ECHO));
        Patchbay p = Proxy.start(server("s1", echo.port()) + "[svc]\ntype=service\nservers=s1\n\n" + listener());
        InetSocketAddress address = p.listenerAddress("l1");
        Socket finishing = closer.track(connect(p, "l1"));
        Socket lingering = closer.track(connect(p, "l1"));
        ping(finishing);
        ping(lingering);
        CompletableFuture<Void> stop = CompletableFuture.runAsync(() -> {
            try {
                p.stop(TimeUnit.MILLISECONDS.toNanos(800));
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        // New connections are refused as soon as the stop begins; live ones keep working.
        await().untilAsserted(() -> {
            try (Socket s = new Socket()) {
                s.connect(address, 200);
                throw new AssertionError("still accepting");
            } catch (IOException expected) {
                // refused
            }
        });
        ping(finishing);
        finishing.close();
        assertThat(stop).isNotDone();
        stop.get(5, TimeUnit.SECONDS);
        assertThat(lingering.getInputStream().read()).isEqualTo(-1);
        assertThat(accessLog.lines()).anyMatch(l -> l.contains("termination=\"shut down\""));
        assertThat(accessLog.lines()).anyMatch(l -> l.contains("termination=\"client closed\""));
    }

    @Test
    void maxConnectionsPausesTheListenersUntilASessionEnds() throws Exception {
        TestBackend echo = closer.track(TestBackend.start("e", TestBackend.Mode.ECHO));
        Patchbay p = closer.track(Proxy.start("[patchbay]\nadmin_enabled=false\nmax_connections=2\n\n"
                + server("s1", echo.port()) + "[svc]\ntype=service\nservers=s1\n\n" + listener()));
        assertThat(p.connectionLimit().max()).isEqualTo(2);
        Socket a = closer.track(connect(p, "l1"));
        ping(a);
        Socket b = closer.track(connect(p, "l1"));
        ping(b);
        await().until(() -> p.connectionLimit().paused());
        // The kernel still completes the handshake (the accept queue), but Patchbay does not take the connection.
        Socket c = closer.track(connect(p, "l1"));
        c.getOutputStream().write('x');
        c.setSoTimeout(500);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.getInputStream().read())
                .isInstanceOf(java.net.SocketTimeoutException.class);
        assertThat(p.sessions().size()).isEqualTo(2);
        a.close();
        c.setSoTimeout(10_000);
        assertThat(c.getInputStream().read()).as("served once a session ended").isEqualTo('x');
        await().until(() -> p.sessions().size() == 2);
        ping(b);
    }

    @Test
    void aListenersMaxConnectionsPausesThatListenerOnly() throws Exception {
        TestBackend echo = closer.track(TestBackend.start("e", TestBackend.Mode.ECHO));
        Patchbay p = closer.track(Proxy.start("[patchbay]\nadmin_enabled=false\n\n"
                + server("s1", echo.port()) + "[svc]\ntype=service\nservers=s1\n\n" + listener() + "max_connections=1\n\n"
                + "[l2]\ntype=listener\nservice=svc\naddress=127.0.0.1\nport=0\n"));
        Socket a = closer.track(connect(p, "l1"));
        ping(a);
        await().until(() -> p.frontends().get("l1").full());
        Socket waiting = closer.track(connect(p, "l1"));
        waiting.getOutputStream().write('x');
        waiting.setSoTimeout(500);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> waiting.getInputStream().read())
                .isInstanceOf(java.net.SocketTimeoutException.class);
        Socket other = closer.track(connect(p, "l2"));
        ping(other); // the other listener accepts
        assertThat(p.sessions().size()).isEqualTo(2);
        // Raising the limit at run time (set maxconn frontend) lets the waiting client in at once.
        p.frontends().get("l1").setMaxConnections(2);
        waiting.setSoTimeout(10_000);
        assertThat(waiting.getInputStream().read()).isEqualTo('x');
        // Lowering it below the sessions open cuts none; the listener accepts again once they are below it.
        p.frontends().get("l1").setMaxConnections(1);
        ping(a);
        Socket third = closer.track(connect(p, "l1"));
        third.getOutputStream().write('y');
        third.setSoTimeout(500);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> third.getInputStream().read())
                .isInstanceOf(java.net.SocketTimeoutException.class);
        a.close();
        waiting.close();
        third.setSoTimeout(10_000);
        assertThat(third.getInputStream().read()).as("served once both ended").isEqualTo('y');
    }

    @Test
    void theDefaultLimitComesFromTheOpenFileLimit() {
        // Two descriptors per session, after a reserve for everything else, as HAProxy derives maxconn from ulimit -n.
        assertThat(dev.patchbay.net.ConnectionLimit.effective(0, 20_000)).isEqualTo(9_872);
        assertThat(dev.patchbay.net.ConnectionLimit.effective(0, 1_048_576)).isEqualTo(524_160);
        assertThat(dev.patchbay.net.ConnectionLimit.effective(0, 100)).isEqualTo(1);
        assertThat(dev.patchbay.net.ConnectionLimit.effective(0, -1)).as("unknown: no limit").isZero();
        assertThat(dev.patchbay.net.ConnectionLimit.effective(5, 20_000)).isEqualTo(5);
    }
}
