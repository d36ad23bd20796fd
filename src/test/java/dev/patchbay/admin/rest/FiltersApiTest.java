package dev.patchbay.admin.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.core.Session;
import dev.patchbay.core.SessionState;
import dev.patchbay.testing.PcapReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Filters on real sockets: the {@code capture} module's pcap read back and checked segment by segment,
 * session-level chains set by PATCH (opened at once, swapped at an idle moment), and the bounded queue
 * that drops instead of blocking the event loop.
 */
@Timeout(60)
class FiltersApiTest {
    @TempDir
    Path dir;
    RestRig rig;

    @AfterEach
    void stop() throws Exception {
        if (rig != null) {
            rig.close();
        }
    }

    private void start(String filters, String serviceExtra) throws Exception {
        rig = RestRig.start(Map.of(), "\n" + filters, serviceExtra);
    }

    private static String capture(String name, Path file, String extra) {
        return "[" + name + "]\ntype=filter\nmodule=capture\nfile=" + file + "\n" + extra + "\n";
    }

    private static byte[] exchange(Socket s, byte[] data) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(data);
        out.flush();
        byte[] back = new byte[data.length];
        InputStream in = s.getInputStream();
        int n = 0;
        while (n < back.length) {
            int r = in.read(back, n, back.length - n);
            if (r < 0) {
                throw new IOException("closed after " + n);
            }
            n += r;
        }
        return back;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The segments of a file once it holds {@code fins} FIN segments (the conversations have ended). */
    @SuppressWarnings("unchecked")
    private static List<PcapReader.Segment> capture(Path file, int fins) {
        List<PcapReader.Segment>[] got = new List[1];
        Awaitility.await().atMost(10, TimeUnit.SECONDS).ignoreExceptions().until(() -> {
            List<PcapReader.Segment> segs = PcapReader.read(file);
            got[0] = segs;
            return segs.stream().filter(PcapReader.Segment::isFin).count() == fins;
        });
        return got[0];
    }

    @Test
    void serviceCaptureIsAWellFormedTcpConversationOfBothDirections() throws Exception {
        Path pattern = dir.resolve("cap-%i.pcap");
        start(capture("cap", pattern, ""), "filters=cap");
        long t0 = System.currentTimeMillis() * 1000;
        Session s = rig.openSession(); // exchanges "hello"
        Socket c = rig.socketOf(s);
        byte[] big = new byte[300_000];
        new Random(7).nextBytes(big);
        assertThat(exchange(c, big)).isEqualTo(big);
        assertThat(exchange(c, bytes("bye"))).isEqualTo(bytes("bye"));
        c.close();
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> s.state() instanceof SessionState.Closed);
        long t1 = System.currentTimeMillis() * 1000;
        Path file = Path.of(pattern.toString().replace("%i", Long.toString(s.id())));
        List<PcapReader.Segment> segs = capture(file, 2);

        int clientPort = ((InetSocketAddress) s.clientAddress()).getPort();
        int listenerPort = rig.patchbay.listenerAddress("Echo-Listener").getPort();
        PcapReader.Segment syn = segs.get(0);
        PcapReader.Segment synAck = segs.get(1);
        PcapReader.Segment ack = segs.get(2);
        assertThat(syn.isSyn() && !syn.hasAck()).isTrue();
        assertThat(syn.src()).isInstanceOf(Inet4Address.class);
        assertThat(syn.src().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(syn.srcPort()).isEqualTo(clientPort);
        assertThat(syn.dstPort()).isEqualTo(listenerPort);
        assertThat(synAck.isSyn() && synAck.hasAck()).isTrue();
        assertThat(synAck.srcPort()).isEqualTo(listenerPort);
        assertThat(synAck.ack()).isEqualTo((syn.seq() + 1) & 0xffffffffL);
        assertThat(ack.hasAck() && !ack.isSyn()).isTrue();
        assertThat(ack.seq()).isEqualTo((syn.seq() + 1) & 0xffffffffL);
        assertThat(ack.ack()).isEqualTo((synAck.seq() + 1) & 0xffffffffL);

        // Each direction, reassembled by sequence number, is exactly what went through.
        byte[] up = PcapReader.stream(segs, clientPort, syn.seq());
        byte[] down = PcapReader.stream(segs, listenerPort, synAck.seq());
        byte[] expected = new byte[5 + big.length + 3];
        System.arraycopy(bytes("hello"), 0, expected, 0, 5);
        System.arraycopy(big, 0, expected, 5, big.length);
        System.arraycopy(bytes("bye"), 0, expected, 5 + big.length, 3);
        assertThat(up).isEqualTo(expected);
        assertThat(down).isEqualTo(expected);
        // Acknowledgements never run ahead of what the other side has sent; times move forward.
        long upEnd = (syn.seq() + 1 + expected.length) & 0xffffffffL;
        long downEnd = (synAck.seq() + 1 + expected.length) & 0xffffffffL;
        long last = 0;
        for (PcapReader.Segment g : segs) {
            assertThat(g.payload().length).isLessThanOrEqualTo(65000);
            assertThat(g.epochMicros()).isBetween(t0 - 1_000_000, t1 + 1_000_000).isGreaterThanOrEqualTo(last);
            last = g.epochMicros();
            if (g.payload().length > 0) {
                long limit = g.srcPort() == clientPort ? downEnd : upEnd;
                assertThat(Long.compareUnsigned(g.ack(), limit)).isLessThanOrEqualTo(0);
            }
        }
        // The end: FIN from each side, then the last ACK.
        PcapReader.Segment fin1 = segs.get(segs.size() - 3);
        PcapReader.Segment fin2 = segs.get(segs.size() - 2);
        assertThat(fin1.isFin() && fin1.seq() == upEnd).isTrue();
        assertThat(fin2.isFin() && fin2.seq() == downEnd && fin2.ack() == ((upEnd + 1) & 0xffffffffL)).isTrue();
        JsonNode diag = rig.getJson("/v1/filters/cap").path("data").path("attributes").path("filter_diagnostics");
        assertThat(diag.path("bytes").asLong()).isEqualTo(2L * expected.length);
        assertThat(diag.path("dropped_packets").asLong()).isZero();
        assertThat(diag.path("sessions").asLong()).isEqualTo(1);
    }

    @Test
    void sessionFiltersOpenAtOnceAreShownAndReportFailures() throws Exception {
        Path shared = dir.resolve("shared.pcap");
        start(capture("cap", shared, "") + capture("broken", Path.of("/nonexistent-dir/x-%i.pcap"), ""), "");
        Session s = rig.openSession();
        String path = "/v1/sessions/" + s.id();
        HttpResponse<String> r = rig.send("PATCH", path, "{\"data\":{\"relationships\":{\"filters\":{\"data\":"
                + "[{\"id\":\"broken\",\"type\":\"filters\"}]}}}}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).isEqualTo("Failed to create filter session for 'broken': cannot write "
                + "/nonexistent-dir/x-" + s.id() + ".pcap: no such directory");
        assertThat(s.sessionFilters()).isEmpty();
        assertThat(s.control().pendingFilters()).isNull();

        // The documented form (data.attributes.relationships) works too; the same filter may come twice.
        r = rig.send("PATCH", path, "{\"data\":{\"attributes\":{\"parameters\":{\"log_info\":true},"
                + "\"relationships\":{\"filters\":{\"data\":[{\"id\":\"cap\"}]}}}}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> s.sessionFilters().size() == 1);
        JsonNode doc = rig.getJson(path).path("data");
        assertThat(doc.path("relationships").path("filters").path("data").path(0).path("id").asString()).isEqualTo("cap");
        assertThat(doc.path("attributes").path("parameters").path("log_info").asBoolean()).isTrue();
        assertThat(rig.getJson(path + "/relationships/filters").path("data").path(0).path("id").asString())
                .isEqualTo("cap");
        assertThat(exchange(rig.socketOf(s), bytes("captured"))).isEqualTo(bytes("captured"));
        // Clearing: the capture ends with its FINs.
        r = rig.send("PATCH", path + "/relationships/filters", "{\"data\":[]}");
        assertThat(r.statusCode()).isEqualTo(200);
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> s.sessionFilters().isEmpty());
        List<PcapReader.Segment> segs = capture(shared, 2);
        int clientPort = ((InetSocketAddress) s.clientAddress()).getPort();
        assertThat(new String(PcapReader.stream(segs, clientPort, segs.get(0).seq()), StandardCharsets.UTF_8))
                .isEqualTo("captured");
        assertThat(exchange(rig.socketOf(s), bytes("not captured"))).isEqualTo(bytes("not captured"));
    }

    @Test
    void aNewChainWaitsForAnIdleMomentWhileTrafficFlows() throws Exception {
        Path file = dir.resolve("swap-%i.pcap");
        start(capture("cap", file, ""), "");
        Session s = rig.openSession();
        Socket c = rig.socketOf(s);
        AtomicBoolean run = new AtomicBoolean(true);
        Thread busy = new Thread(() -> {
            try {
                while (run.get()) {
                    exchange(c, bytes("x"));
                    Thread.sleep(40);
                }
            } catch (IOException | InterruptedException e) {
                run.set(false);
            }
        });
        busy.start();
        HttpResponse<String> r = rig.send("PATCH", "/v1/sessions/" + s.id() + "/relationships/filters",
                "{\"data\":[{\"id\":\"cap\",\"type\":\"filters\"}]}");
        assertThat(r.statusCode()).isEqualTo(200);
        Thread.sleep(700);
        // Opened (its file exists) but not in use: the session has not been idle for idle_quiet_time.
        Path f = Path.of(file.toString().replace("%i", Long.toString(s.id())));
        assertThat(f).exists();
        assertThat(s.sessionFilters()).isEmpty();
        JsonNode control = rig.getJson("/v1/sessions/" + s.id()).path("data").path("attributes").path("control");
        assertThat(control.path("pending_filters").path(0).asString()).isEqualTo("cap");
        run.set(false);
        busy.join(5000);
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> s.sessionFilters().size() == 1);
        assertThat(exchange(c, bytes("after the swap"))).isEqualTo(bytes("after the swap"));
        c.close();
        List<PcapReader.Segment> segs = capture(f, 2);
        int clientPort = ((InetSocketAddress) s.clientAddress()).getPort();
        assertThat(new String(PcapReader.stream(segs, clientPort, segs.get(0).seq()), StandardCharsets.UTF_8))
                .as("bytes before the swap went through the old chain").isEqualTo("after the swap");
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlockingTheEventLoop() throws Exception {
        // A FIFO that nobody reads: the writer thread blocks opening it, so nothing leaves the queue.
        Path fifo = dir.resolve("stuck.pcap");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertThat(p.waitFor()).isZero();
        start(capture("cap", fifo, "max_queued_bytes=65536"), "filters=cap");
        Session s = rig.openSession();
        byte[] chunk = new byte[32 * 1024];
        for (int i = 0; i < 64; i++) {
            assertThat(exchange(rig.socketOf(s), chunk)).isEqualTo(chunk);
        }
        JsonNode diag = rig.getJson("/v1/filters/cap").path("data").path("attributes").path("filter_diagnostics");
        assertThat(diag.path("dropped_packets").asLong()).isPositive();
        assertThat(diag.path("dropped_bytes").asLong()).isGreaterThan(2L * 64 * chunk.length - 2 * 65536);
        assertThat(diag.path("queued_bytes").asLong()).isLessThanOrEqualTo(65536);
        // Unblock the writer (a reader opens the FIFO and drains it) and let Patchbay stop it.
        Thread drain = new Thread(() -> {
            try (InputStream in = Files.newInputStream(fifo)) {
                in.transferTo(OutputStream.nullOutputStream());
            } catch (IOException e) {
                // the writer went away
            }
        }, "fifo-drain");
        drain.setDaemon(true);
        drain.start();
        rig.close();
        rig = null;
        drain.join(10_000);
        assertThat(drain.isAlive()).as("the writer closed the file when the filter was stopped").isFalse();
    }
}
