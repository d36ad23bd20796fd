package dev.patchbay.tcp;

import static dev.patchbay.testing.Bytes.random;
import static dev.patchbay.testing.Proxy.connect;
import static dev.patchbay.testing.Proxy.listener;
import static dev.patchbay.testing.Proxy.request;
import static dev.patchbay.testing.Proxy.server;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.patchbay.Patchbay;
import dev.patchbay.config.ConfigLoader;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionState;
import dev.patchbay.core.Termination;
import dev.patchbay.net.Transport;
import dev.patchbay.testing.Closer;
import dev.patchbay.testing.LogCapture;
import dev.patchbay.testing.Proxy;
import dev.patchbay.testing.TestBackend;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * splice=true on the epoll transport, on real sockets: byte-exact relaying both ways, the tail after a
 * half-close in either direction, exact byte counters, idle timeouts, kills, no leaked descriptors, and
 * leaving splice mode for a restart or session filters.
 */
@Timeout(60)
class TcpSpliceTest {
    private static final int MIB = 1024 * 1024;

    @RegisterExtension
    final Closer closer = new Closer();
    @RegisterExtension
    final LogCapture accessLog = new LogCapture("patchbay.access");

    @TempDir
    Path tmp;

    @BeforeEach
    void setUp() {
        // Splice needs epoll; Netty ships its native library for Linux x86_64 and aarch64, CI's machines.
        assertThat(Epoll.isAvailable()).as("epoll transport (%s)", Epoll.unavailabilityCause()).isTrue();
        // Hundreds of short sessions are awaited one by one: poll at once and often.
        Awaitility.setDefaultPollDelay(Duration.ZERO);
        Awaitility.setDefaultPollInterval(Duration.ofMillis(5));
    }

    @AfterEach
    void resetAwaitility() {
        Awaitility.reset();
    }

    private Patchbay spliceProxy(int backendPort, String extraService) throws Exception {
        return closer.track(Proxy.start(server("s1", backendPort) + "[svc]\ntype=service\nservers=s1\nsplice=true\n"
                + extraService + "\n" + listener()));
    }

    private Patchbay echoSpliceProxy(String extraService) throws Exception {
        TestBackend echo = closer.track(TestBackend.start("echo", TestBackend.Mode.ECHO));
        return spliceProxy(echo.port(), extraService);
    }

    private ServerSocket backendSocket() throws IOException {
        return closer.track(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    }

    private static Session only(Patchbay p) {
        await().until(() -> p.sessions().size() == 1);
        return p.sessions().snapshot().get(0);
    }

    /** Writes {@code data} from another thread (both directions flow at once) and reads as many bytes back. */
    private static byte[] echoed(Socket s, byte[] data) throws Exception {
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                s.getOutputStream().write(data);
                s.getOutputStream().flush();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        byte[] back = s.getInputStream().readNBytes(data.length);
        writer.get(30, TimeUnit.SECONDS);
        return back;
    }

    private static long openFds() throws IOException {
        try (var files = Files.list(Path.of("/proc/self/fd"))) {
            return files.count();
        }
    }

    // ---- relaying ---------------------------------------------------------------------------

    @Test
    void eightMebibytesEachWayArriveByteExactAndAreCountedExactly() throws Exception {
        Patchbay p = echoSpliceProxy("");
        byte[] data = random(8 * MIB, 1);
        Session session;
        try (Socket s = connect(p, "l1")) {
            byte[] back = echoed(s, data);
            assertThat(Arrays.equals(back, data)).isTrue();
            session = only(p);
            assertThat(session.hasFlag(Session.SPLICING)).isTrue();
            await().untilAsserted(() -> {
                assertThat(session.bytesFromClient()).isEqualTo(data.length);
                assertThat(session.bytesFromServer()).isEqualTo(data.length);
            });
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> p.sessions().size() == 0);
        assertThat(session.bytesFromClient()).isEqualTo(data.length);
        assertThat(session.bytesFromServer()).isEqualTo(data.length);
        await().until(() -> !accessLog.lines().isEmpty());
        assertThat(accessLog.lines().get(0)).contains("bytes_in=" + data.length + " bytes_out=" + data.length);
    }

    @Test
    void concurrentSplicedSessionsEachGetTheirOwnBytes() throws Exception {
        Patchbay p = echoSpliceProxy("");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                long seed = 100 + i;
                results.add(pool.submit(() -> {
                    byte[] data = random(MIB + (int) seed, seed);
                    try (Socket s = connect(p, "l1")) {
                        return Arrays.equals(echoed(s, data), data);
                    }
                }));
            }
            for (Future<Boolean> r : results) {
                assertThat(r.get(30, TimeUnit.SECONDS)).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> p.sessions().size() == 0);
    }

    /**
     * The client sends 8 MiB and half-closes while the backend is still slow to read, so the FIN reaches the
     * proxy with much of the stream still queued in its client socket; the backend answers 8 MiB after the end
     * of the request, then closes. Netty's splice alone lost the queued tail.
     */
    @Test
    void clientHalfCloseAfterEightMebibytesLosesNothing20TimesInARow() throws Exception {
        byte[] request = random(8 * MIB, 2);
        byte[] response = random(8 * MIB, 3);
        splicedRuns(20, (c, i) -> {
            Thread.sleep(150);
            byte[] got = c.getInputStream().readAllBytes();
            if (!Arrays.equals(got, request)) {
                throw new AssertionError("run " + i + ": backend got " + got.length + " bytes, not the request");
            }
            c.getOutputStream().write(response);
            c.shutdownOutput();
        }, (s, i) -> {
            s.getOutputStream().write(request);
            s.shutdownOutput();
            byte[] back = s.getInputStream().readAllBytes();
            assertThat(back.length).as("run %d", i).isEqualTo(response.length);
            assertThat(Arrays.equals(back, response)).as("run %d", i).isTrue();
        }, request.length, response.length);
    }

    /**
     * The backend sends 8 MiB and half-closes at once while the client is slow to read; the client then sends
     * its 8 MiB and half-closes, which the backend reads whole.
     */
    @Test
    void serverHalfCloseAfterEightMebibytesLosesNothing20TimesInARow() throws Exception {
        byte[] greeting = random(8 * MIB, 4);
        byte[] upload = random(8 * MIB, 5);
        splicedRuns(20, (c, i) -> {
            c.getOutputStream().write(greeting);
            c.shutdownOutput();
            byte[] got = c.getInputStream().readAllBytes();
            if (!Arrays.equals(got, upload)) {
                throw new AssertionError("run " + i + ": backend got " + got.length + " bytes, not the upload");
            }
        }, (s, i) -> {
            Thread.sleep(150);
            byte[] back = s.getInputStream().readAllBytes();
            assertThat(back.length).as("run %d", i).isEqualTo(greeting.length);
            assertThat(Arrays.equals(back, greeting)).as("run %d", i).isTrue();
            s.getOutputStream().write(upload);
            s.shutdownOutput();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }, upload.length, greeting.length);
    }

    /** Both ends send 8 MiB and half-close at the same time, each reading only after its own FIN went out. */
    @Test
    void bothSidesHalfCloseAtOnceAfterEightMebibytesLoseNothing() throws Exception {
        byte[] up = random(8 * MIB, 9);
        byte[] down = random(8 * MIB, 10);
        splicedRuns(5, (c, i) -> {
            CompletableFuture<byte[]> got = readAllAsync(c);
            c.getOutputStream().write(down);
            c.shutdownOutput();
            if (!Arrays.equals(got.get(30, TimeUnit.SECONDS), up)) {
                throw new AssertionError("run " + i + ": the backend did not get the upload");
            }
        }, (s, i) -> {
            CompletableFuture<byte[]> got = readAllAsync(s);
            s.getOutputStream().write(up);
            s.shutdownOutput();
            assertThat(Arrays.equals(got.get(30, TimeUnit.SECONDS), down)).as("run %d", i).isTrue();
        }, up.length, down.length);
    }

    /** One side of one connection in {@link #splicedRuns}. */
    private interface SocketScript {
        void run(Socket s, int run) throws Exception;
    }

    /**
     * {@code runs} sessions, one after another, through a spliced proxy to a backend playing {@code backendSide}
     * while the client plays {@code clientSide}; then no session is left and each access line counts the bytes.
     */
    private void splicedRuns(int runs, SocketScript backendSide, SocketScript clientSide, int bytesIn, int bytesOut)
            throws Exception {
        ServerSocket backend = backendSocket();
        CompletableFuture<Void> server = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < runs; i++) {
                try (Socket c = backend.accept()) {
                    backendSide.run(c, i);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }
        });
        Patchbay p = spliceProxy(backend.getLocalPort(), "");
        for (int i = 0; i < runs; i++) {
            try (Socket s = connect(p, "l1")) {
                clientSide.run(s, i);
            }
        }
        server.get(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> p.sessions().size() == 0);
        assertThat(accessLog.lines()).hasSize(runs).allSatisfy(line -> assertThat(line)
                .contains("bytes_in=" + bytesIn + " bytes_out=" + bytesOut));
    }

    /** Reads {@code s} to its end on a thread of its own, starting a little late. */
    private static CompletableFuture<byte[]> readAllAsync(Socket s) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(100);
                result.complete(s.getInputStream().readAllBytes());
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        }, "reader");
        t.setDaemon(true);
        t.start();
        return result;
    }

    // ---- counters and timers --------------------------------------------------------------------

    @Test
    void aTenByteExchangeIsCountedWhileOpenAndAfterClose() throws Exception {
        Patchbay p = echoSpliceProxy("");
        Session session;
        try (Socket s = connect(p, "l1")) {
            byte[] ten = "0123456789".getBytes(StandardCharsets.US_ASCII);
            assertThat(echoed(s, ten)).isEqualTo(ten);
            session = only(p);
            assertThat(session.hasFlag(Session.SPLICING)).isTrue();
            await().untilAsserted(() -> {
                assertThat(session.bytesFromClient()).isEqualTo(10);
                assertThat(session.bytesFromServer()).isEqualTo(10);
            });
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> p.sessions().size() == 0);
        assertThat(session.bytesFromClient()).isEqualTo(10);
        assertThat(session.bytesFromServer()).isEqualTo(10);
        await().until(() -> !accessLog.lines().isEmpty());
        assertThat(accessLog.lines().get(0)).contains("bytes_in=10 bytes_out=10");
    }

    @Test
    void idleTimeoutClosesAnIdleSplicedSessionButNotAnActiveOne() throws Exception {
        Patchbay p = echoSpliceProxy("client_timeout=600ms\nserver_timeout=600ms\n");
        try (Socket idle = connect(p, "l1"); Socket active = connect(p, "l1")) {
            assertThat(request(idle, "hello")).isEqualTo("hello");
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2000);
            int i = 0;
            while (System.nanoTime() < until) {
                String line = "ping " + i++;
                assertThat(request(active, line)).isEqualTo(line);
                Thread.sleep(100);
            }
            assertThat(idle.getInputStream().read()).as("the idle session was closed").isEqualTo(-1);
            assertThat(request(active, "still here")).isEqualTo("still here");
            Session s = only(p);
            assertThat(s.hasFlag(Session.SPLICING)).isTrue();
            assertThat(s.bytesFromClient()).isGreaterThan(100);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> p.sessions().size() == 0);
        assertThat(accessLog.lines()).anySatisfy(l -> assertThat(l).contains("client timeout"));
    }

    // ---- closing ----------------------------------------------------------------------------

    @Test
    void killByIdClosesASplicedSessionAndTheRegistryEmpties() throws Exception {
        TestBackend echo = closer.track(TestBackend.start("echo", TestBackend.Mode.ECHO));
        Patchbay p = spliceProxy(echo.port(), "");
        try (Socket s = connect(p, "l1")) {
            assertThat(request(s, "x")).isEqualTo("x");
            Session session = only(p);
            assertThat(session.hasFlag(Session.SPLICING)).isTrue();
            Termination t = p.sessions().get(session.id())
                    .kill(Termination.killedBy(Termination.AdminInterface.RUNTIME_API, "test")).get(5, TimeUnit.SECONDS);
            assertThat(t.cause()).isEqualTo(Termination.Cause.KILLED);
            assertThat(session.state()).isInstanceOf(SessionState.Closed.class);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(p.sessions().size()).isZero();
        await().until(() -> echo.openConnections() == 0);
        assertThat(p.servers().get("s1").connections()).isZero();
    }

    @Test
    void twoHundredSplicedSessionsClosedOrKilledLeaveNoDescriptorBehind() throws Exception {
        Patchbay p = echoSpliceProxy("");
        for (int i = 0; i < 20; i++) {
            try (Socket s = connect(p, "l1")) {
                assertThat(request(s, "warm " + i)).isEqualTo("warm " + i);
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> p.sessions().size() == 0);
        long before = openFds();
        for (int i = 0; i < 200; i++) {
            try (Socket s = connect(p, "l1")) {
                assertThat(request(s, "session " + i)).isEqualTo("session " + i);
                if (i % 2 == 1) {
                    // Every other session is killed rather than closed by its client.
                    only(p).kill(Termination.killedBy(Termination.AdminInterface.RUNTIME_API, "test"))
                            .get(5, TimeUnit.SECONDS);
                    assertThat(s.getInputStream().read()).isEqualTo(-1);
                }
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> p.sessions().size() == 0);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> p.sessions().size() == 0);
        // Each spliced session had two sockets and two pipes (6 descriptors) in the proxy.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(openFds()).isLessThan(before + 30));
    }

    // ---- live control -----------------------------------------------------------------------

    @Test
    void aRestartLeavesSpliceModeAndNoByteIsLost() throws Exception {
        TestBackend a = closer.track(TestBackend.start("a", TestBackend.Mode.ECHO));
        TestBackend b = closer.track(TestBackend.start("b", TestBackend.Mode.ECHO));
        Patchbay p = closer.track(Proxy.start("[patchbay]\nadmin_enabled=false\naccess_log=stdout\nidle_quiet_time=60ms\n\n"
                + server("a", a.port()) + server("b", b.port())
                + "[svc]\ntype=service\nservers=a,b\nsplice=true\n\n" + listener()));
        try (Socket c = connect(p, "l1")) {
            assertThat(request(c, "before")).isEqualTo("before");
            Session s = only(p);
            assertThat(s.hasFlag(Session.SPLICING)).isTrue();
            String first = s.server().name();
            assertThat(s.control().requestRestart("test", 0).join()).isNull();
            await().atMost(10, TimeUnit.SECONDS).until(() -> s.control().lastRestart() != null);
            assertThat(s.control().lastRestart().ok()).isTrue();
            assertThat(s.server().name()).isNotEqualTo(first);
            assertThat(s.hasFlag(Session.SPLICING)).isFalse();
            for (int i = 0; i < 50; i++) {
                assertThat(request(c, "after " + i)).isEqualTo("after " + i);
            }
            byte[] data = random(4 * MIB, 6);
            assertThat(Arrays.equals(echoed(c, data), data)).isTrue();
            long expected = "before\n".length() + data.length;
            for (int i = 0; i < 50; i++) {
                expected += ("after " + i + "\n").length();
            }
            long want = expected;
            await().untilAsserted(() -> {
                assertThat(s.bytesFromClient()).isEqualTo(want);
                assertThat(s.bytesFromServer()).isEqualTo(want);
            });
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> p.sessions().size() == 0);
        await().until(() -> a.openConnections() + b.openConnections() == 0);
    }

    @Test
    void sessionFiltersLeaveSpliceModeAndSeeTheBytesThatFollow() throws Exception {
        TestBackend echo = closer.track(TestBackend.start("echo", TestBackend.Mode.ECHO));
        Path pcap = tmp.resolve("cap.pcap");
        Patchbay p = closer.track(Proxy.start("[patchbay]\nadmin_enabled=false\naccess_log=stdout\nidle_quiet_time=60ms\n\n"
                + server("s1", echo.port())
                + "[cap]\ntype=filter\nmodule=capture\nfile=" + pcap + "\n\n"
                + "[svc]\ntype=service\nservers=s1\nsplice=true\n\n" + listener()));
        try (Socket c = connect(p, "l1")) {
            assertThat(request(c, "spliced")).isEqualTo("spliced");
            Session s = only(p);
            assertThat(s.hasFlag(Session.SPLICING)).isTrue();
            s.control().setFilters(List.of(p.filters().get("cap")), "test").get(5, TimeUnit.SECONDS);
            await().atMost(5, TimeUnit.SECONDS).until(() -> !s.hasFlag(Session.SPLICING));
            for (int i = 0; i < 20; i++) {
                assertThat(request(c, "filtered " + i)).isEqualTo("filtered " + i);
            }
            await().untilAsserted(() -> assertThat(new String(Files.readAllBytes(pcap), StandardCharsets.ISO_8859_1))
                    .contains("filtered 19"));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> p.sessions().size() == 0);
    }

    @Test
    void aServiceWithFiltersCopies() throws Exception {
        TestBackend echo = closer.track(TestBackend.start("echo", TestBackend.Mode.ECHO));
        Path pcap = tmp.resolve("svc.pcap");
        Patchbay p = closer.track(Proxy.start(server("s1", echo.port())
                + "[cap]\ntype=filter\nmodule=capture\nfile=" + pcap + "\n\n"
                + "[svc]\ntype=service\nservers=s1\nsplice=true\nfilters=cap\n\n" + listener()));
        try (Socket c = connect(p, "l1")) {
            assertThat(request(c, "copied")).isEqualTo("copied");
            Session s = only(p);
            assertThat(s.hasFlag(Session.SPLICING)).isFalse();
            await().untilAsserted(() -> assertThat(s.bytesFromClient()).isEqualTo(7));
        }
    }

    // ---- configuration and transport ----------------------------------------------------------

    @Test
    void spliceOnAServiceOfAMariaDbListenerIsAConfigError() {
        assertThatThrownBy(() -> ConfigLoader.parse("t.cnf", "[s1]\ntype=server\naddress=127.0.0.1\nport=1\n"
                + "[svc]\ntype=service\nservers=s1\nuser=u\npassword=p\nsplice=true\n"
                + "[l1]\ntype=listener\nservice=svc\nprotocol=mariadb\nport=0\n"))
                .hasMessageContaining("t.cnf:10: [svc] splice: splice applies to protocol=tcp listeners only;"
                        + " listener [l1] uses protocol=mariadb");
    }

    @Test
    void onNioASpliceServiceCopiesAndWarnsOnce() throws Exception {
        ListAppender<ILoggingEvent> warnings = new ListAppender<>();
        warnings.start();
        Logger log = (Logger) LoggerFactory.getLogger(Patchbay.class);
        log.addAppender(warnings);
        try {
            TestBackend echo = closer.track(TestBackend.start("echo", TestBackend.Mode.ECHO));
            Patchbay p = closer.track(new Patchbay(ConfigLoader.parse("nio.cnf", "[patchbay]\nadmin_enabled=false\n"
                    + "access_log=off\n\n" + server("s1", echo.port()) + "[svc]\ntype=service\nservers=s1\nsplice=true\n\n"
                    + listener()), Transport.nio()).start());
            try (Socket c = connect(p, "l1")) {
                byte[] data = random(MIB, 8);
                assertThat(Arrays.equals(echoed(c, data), data)).isTrue();
                assertThat(only(p).hasFlag(Session.SPLICING)).isFalse();
            }
            assertThat(warnings.list).filteredOn(e -> e.getFormattedMessage().contains("splice=true")).hasSize(1);
        } finally {
            log.detachAppender(warnings);
        }
    }
}
