package dev.patchbay.tcp;

import static dev.patchbay.testing.Proxy.request;
import static dev.patchbay.testing.Proxy.server;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionState;
import dev.patchbay.testing.Closer;
import dev.patchbay.testing.Proxy;
import dev.patchbay.testing.TestBackend;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * TCP-mode restart on real sockets: a request/response client keeps working, byte for byte, across
 * 100 restarts that move it between two backends; the client's connection is never touched.
 */
@Timeout(120)
class TcpRestartTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private static Session sessionOf(Patchbay pb, Socket c) {
        int port = c.getLocalPort();
        return pb.sessions().snapshot().stream()
                .filter(s -> s.clientAddress() instanceof InetSocketAddress a && a.getPort() == port)
                .findFirst().orElseThrow();
    }

    @Test
    void aClientKeepsWorkingAcross100RestartsWithNoLostByte() throws Exception {
        TestBackend a = closer.track(TestBackend.start("a", TestBackend.Mode.ECHO));
        TestBackend b = closer.track(TestBackend.start("b", TestBackend.Mode.ECHO));
        // TCP mode cannot see that an echo is still on its way: the quiet time must exceed the backend's
        // slowest answer (on a loaded CI machine tens of ms), or a swap would drop the answer (documented).
        Patchbay pb = closer.track(Proxy.start("[patchbay]\nadmin_enabled=false\naccess_log=off\nidle_quiet_time=60ms\n\n"
                + server("a", a.port()) + server("b", b.port())
                + "[svc]\ntype=service\nservers=a,b\n\n"
                + "[l1]\ntype=listener\nservice=svc\naddress=127.0.0.1\nport=0\n"));
        Socket c = closer.track(Proxy.connect(pb, "l1"));
        assertThat(request(c, "first")).isEqualTo("first");
        Session s = sessionOf(pb, c);
        AtomicBoolean run = new AtomicBoolean(true);
        AtomicInteger asked = new AtomicInteger();
        // An operator asking for restarts as fast as the session takes them.
        Thread operator = new Thread(() -> {
            while (run.get()) {
                if (s.control().pendingRestart() == null) {
                    s.control().requestRestart("test", 0).join();
                    asked.incrementAndGet();
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        operator.start();
        int i = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (s.control().restarts() < 100 && System.nanoTime() < deadline) {
            String line = "request " + i++ + " " + "x".repeat(i % 500);
            assertThat(request(c, line)).isEqualTo(line);
            Thread.sleep(70); // a pause the restart can use
        }
        run.set(false);
        operator.join(5000);
        assertThat(s.control().restarts()).isGreaterThanOrEqualTo(100);
        assertThat(s.control().lastRestart().ok()).isTrue();
        assertThat(i).as("requests interleaved with the restarts").isGreaterThan(20);
        assertThat(request(c, "last")).isEqualTo("last");
        assertThat(s.state()).isInstanceOf(SessionState.Established.class);
        // Round robin moved it back and forth, and every old backend connection was closed.
        assertThat(a.accepted() + b.accepted()).isGreaterThanOrEqualTo(101);
        assertThat(a.accepted()).isGreaterThan(10);
        assertThat(b.accepted()).isGreaterThan(10);
        await().atMost(5, TimeUnit.SECONDS).until(() -> a.openConnections() + b.openConnections() == 1);
        assertThat(pb.servers().get("a").connections() + pb.servers().get("b").connections()).isEqualTo(1);
    }

    @Test
    void aFailedRestartKeepsTheOldConnectionAndARetryOnAnotherServerSucceeds() throws Exception {
        TestBackend a = closer.track(TestBackend.start("a", TestBackend.Mode.ECHO));
        TestBackend dead = TestBackend.start("dead", TestBackend.Mode.ECHO);
        int deadPort = dead.port();
        dead.close();
        Patchbay pb = closer.track(Proxy.start(server("a", a.port()) + server("dead", deadPort)
                + "[svc]\ntype=service\nservers=a,dead\nrouter=first\nretries=0\n\n"
                + "[l1]\ntype=listener\nservice=svc\naddress=127.0.0.1\nport=0\n"));
        Socket c = closer.track(Proxy.connect(pb, "l1"));
        assertThat(request(c, "on a")).isEqualTo("on a");
        Session s = sessionOf(pb, c);
        // Only the dead server is left for new connections: the restart fails, the session stays on a.
        pb.servers().get("a").setAdminState(dev.patchbay.core.Server.AdminState.DRAIN);
        assertThat(s.control().requestRestart("test", 0).join()).isNull();
        await().atMost(10, TimeUnit.SECONDS).until(() -> s.control().lastRestart() != null);
        assertThat(s.control().lastRestart().ok()).isFalse();
        assertThat(s.control().lastRestart().detail()).isEqualTo("server dead: connection refused");
        assertThat(s.server().name()).isEqualTo("a");
        assertThat(request(c, "still on a")).isEqualTo("still on a");
        assertThat(pb.servers().get("dead").connections()).as("the failed attempt gave its slot back").isZero();
        assertThat(pb.servers().get("dead").connectFailures()).isEqualTo(1);
    }
}
