package dev.patchbay.filter;

import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Clock;
import dev.patchbay.core.Session;
import io.netty.buffer.ByteBuf;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Module {@code capture}: both directions of TCP sessions into pcap files, as the segments of the
 * client's connection (client address:port, listener address:port) with a synthetic handshake and
 * FIN, real times, and sequence numbers that follow the bytes.
 *
 * <p>The event loop only copies the bytes and queues them; one writer thread per filter does every
 * file operation. The queue is bounded in bytes ({@code max_queued_bytes}): when it is full, a packet is
 * dropped and counted, never waited for. A dropped packet leaves a gap in the sequence numbers, which
 * Wireshark shows as "previous segment not captured".
 */
final class CaptureFilter extends Filter {
    private static final Logger log = LoggerFactory.getLogger("patchbay.filter");
    private static final Object STOP = new Object();

    private final PatchbayConfig.CaptureSettings settings;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final LongAdder sessions = new LongAdder();
    private final LongAdder packets = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder droppedPackets = new LongAdder();
    private final LongAdder droppedBytes = new LongAdder();
    private final LongAdder writeErrors = new LongAdder();
    private volatile String lastError = "";
    private final Thread writer;

    // Writer thread only.
    private final Map<CaptureSession, Stream> streams = new HashMap<>();
    private final Set<OutputStream> dirty = new HashSet<>();
    private OutputStream unified;
    private Pcap unifiedPcap;

    CaptureFilter(PatchbayConfig.FilterConfig config, PatchbayConfig.CaptureSettings settings) {
        super(config);
        this.settings = settings;
        this.writer = new Thread(this::run, "patchbay-capture-" + config.name());
        writer.setDaemon(true);
        writer.start();
    }

    @Override
    public boolean supports(String protocol) {
        return protocol.equals("tcp");
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("file", settings.file());
        p.put("max_queued_bytes", settings.maxQueuedBytes());
        return p;
    }

    @Override
    public Map<String, Object> diagnostics() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("sessions", sessions.sum());
        d.put("active_sessions", users());
        d.put("packets", packets.sum());
        d.put("bytes", bytes.sum());
        d.put("dropped_packets", droppedPackets.sum());
        d.put("dropped_bytes", droppedBytes.sum());
        d.put("queued_bytes", queuedBytes.get());
        d.put("write_errors", writeErrors.sum());
        d.put("last_error", lastError);
        return d;
    }

    @Override
    protected TcpFilterSession openTcp(Session s, CompletableFuture<Void> started) {
        CaptureSession cs = new CaptureSession(s.id());
        queue.add(new Open(cs, endpoint(s.clientAddress()), endpoint(s.frontendAddress()), Clock.epochMicros(),
                started));
        sessions.increment();
        return cs;
    }

    private static Pcap.Endpoint endpoint(SocketAddress a) {
        if (a instanceof InetSocketAddress i && i.getAddress() != null) {
            return new Pcap.Endpoint(i.getAddress(), i.getPort());
        }
        return new Pcap.Endpoint(InetAddress.getLoopbackAddress(), 0);
    }

    @Override
    protected void close() {
        queue.add(STOP);
    }

    /** Waits (bounded) for the writer to have written and closed everything: tests and shutdown. */
    boolean awaitStopped(long millis) throws InterruptedException {
        writer.join(millis);
        return !writer.isAlive();
    }

    // ---- the event loop's side ----------------------------------------------------------------

    private record Open(CaptureSession session, Pcap.Endpoint client, Pcap.Endpoint server, long epochMicros,
                        CompletableFuture<Void> started) {}

    private record Data(CaptureSession session, boolean fromClient, long offset, byte[] data, long epochMicros) {}

    private record Close(CaptureSession session, long epochMicros) {}

    /** One session's capture: counts the bytes of each direction (event loop only) and queues copies. */
    private final class CaptureSession implements TcpFilterSession {
        private final long id;
        private long clientOffset;
        private long serverOffset;

        CaptureSession(long id) {
            this.id = id;
        }

        @Override
        public ByteBuf fromClient(ByteBuf buf) {
            int n = buf.readableBytes();
            offer(true, clientOffset, buf);
            clientOffset += n;
            return buf;
        }

        @Override
        public ByteBuf fromServer(ByteBuf buf) {
            int n = buf.readableBytes();
            offer(false, serverOffset, buf);
            serverOffset += n;
            return buf;
        }

        private void offer(boolean fromClient, long offset, ByteBuf buf) {
            int n = buf.readableBytes();
            if (n == 0) {
                return;
            }
            if (queuedBytes.addAndGet(n) > settings.maxQueuedBytes()) {
                queuedBytes.addAndGet(-n);
                droppedPackets.increment();
                droppedBytes.add(n);
                return;
            }
            byte[] copy = new byte[n];
            buf.getBytes(buf.readerIndex(), copy);
            queue.add(new Data(this, fromClient, offset, copy, Clock.epochMicros()));
        }

        @Override
        public Filter filter() {
            return CaptureFilter.this;
        }

        @Override
        public void close() {
            queue.add(new Close(this, Clock.epochMicros()));
        }

        @Override
        public String toString() {
            return "capture of session " + id;
        }
    }

    // ---- the writer thread --------------------------------------------------------------------

    /** One conversation in a file. */
    private static final class Stream {
        final Pcap.Endpoint client;
        final Pcap.Endpoint server;
        final long clientIsn = ThreadLocalRandom.current().nextInt() & 0xffffffffL;
        final long serverIsn = ThreadLocalRandom.current().nextInt() & 0xffffffffL;
        final OutputStream out;
        final Pcap pcap;
        final boolean ownFile;
        long clientNext;
        long serverNext;

        Stream(Pcap.Endpoint client, Pcap.Endpoint server, OutputStream out, Pcap pcap, boolean ownFile) {
            Pcap.Endpoint[] e = Pcap.sameFamily(client, server);
            this.client = e[0];
            this.server = e[1];
            this.out = out;
            this.pcap = pcap;
            this.ownFile = ownFile;
        }

        long clientSeq(long offset) {
            return (clientIsn + 1 + offset) & 0xffffffffL;
        }

        long serverSeq(long offset) {
            return (serverIsn + 1 + offset) & 0xffffffffL;
        }
    }

    private void run() {
        try {
            while (true) {
                Object r = queue.take();
                if (r == STOP) {
                    break;
                }
                handle(r);
                if (queue.isEmpty()) {
                    flush();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Stream st : streams.values()) {
            if (st.ownFile) {
                closeQuietly(st.out);
            }
        }
        streams.clear();
        if (unified != null) {
            closeQuietly(unified);
        }
    }

    private void handle(Object r) {
        if (r instanceof Data d) {
            queuedBytes.addAndGet(-d.data().length);
            Stream st = streams.get(d.session());
            if (st == null) {
                return;
            }
            try {
                long seq = d.fromClient() ? st.clientSeq(d.offset()) : st.serverSeq(d.offset());
                long end = d.offset() + d.data().length;
                if (d.fromClient()) {
                    st.clientNext = Math.max(st.clientNext, end);
                } else {
                    st.serverNext = Math.max(st.serverNext, end);
                }
                long ack = d.fromClient() ? st.serverSeq(st.serverNext) : st.clientSeq(st.clientNext);
                for (int off = 0; off < d.data().length; off += Pcap.MAX_SEGMENT) {
                    int len = Math.min(Pcap.MAX_SEGMENT, d.data().length - off);
                    segment(st, d.epochMicros(), d.fromClient(), (seq + off) & 0xffffffffL, ack,
                            Pcap.PSH | Pcap.ACK, d.data(), off, len);
                }
                packets.increment();
                bytes.add(d.data().length);
            } catch (IOException e) {
                failed(e);
            }
        } else if (r instanceof Open o) {
            open(o);
        } else if (r instanceof Close c) {
            Stream st = streams.remove(c.session());
            if (st == null) {
                return;
            }
            try {
                long t = c.epochMicros();
                long cs = st.clientSeq(st.clientNext);
                long ss = st.serverSeq(st.serverNext);
                segment(st, t, true, cs, ss, Pcap.FIN | Pcap.ACK, null, 0, 0);
                segment(st, t, false, ss, (cs + 1) & 0xffffffffL, Pcap.FIN | Pcap.ACK, null, 0, 0);
                segment(st, t, true, (cs + 1) & 0xffffffffL, (ss + 1) & 0xffffffffL, Pcap.ACK, null, 0, 0);
            } catch (IOException e) {
                failed(e);
            }
            if (st.ownFile) {
                dirty.remove(st.out);
                closeQuietly(st.out);
            }
        }
    }

    private void open(Open o) {
        Path path = Path.of(settings.file().replace("%i", Long.toString(o.session().id)));
        OutputStream out;
        Pcap pcap;
        boolean own = settings.perSession();
        try {
            if (own) {
                out = create(path);
                pcap = new Pcap(out);
                pcap.writeHeader();
            } else {
                if (unified == null) {
                    OutputStream u = create(path);
                    Pcap p = new Pcap(u);
                    p.writeHeader();
                    unified = u;
                    unifiedPcap = p;
                }
                out = unified;
                pcap = unifiedPcap;
            }
            Stream st = new Stream(o.client(), o.server(), out, pcap, own);
            long t = o.epochMicros();
            segment(st, t, true, st.clientIsn, 0, Pcap.SYN, null, 0, 0);
            segment(st, t, false, st.serverIsn, st.clientSeq(0), Pcap.SYN | Pcap.ACK, null, 0, 0);
            segment(st, t, true, st.clientSeq(0), st.serverSeq(0), Pcap.ACK, null, 0, 0);
            streams.put(o.session(), st);
            if (o.started() != null) {
                flush();
                o.started().complete(null);
            }
        } catch (IOException e) {
            writeErrors.increment();
            String why = "cannot write " + path + ": " + describe(e);
            lastError = why;
            log.warn("Filter {}: session {} is not captured: {}", name(), o.session().id, why);
            if (o.started() != null) {
                o.started().completeExceptionally(new IllegalStateException(
                        "Failed to create filter session for '" + name() + "': " + why));
            }
        }
    }

    private static OutputStream create(Path path) throws IOException {
        return new BufferedOutputStream(Files.newOutputStream(path, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), 65536);
    }

    private void segment(Stream st, long t, boolean fromClient, long seq, long ack, int flags, byte[] data, int off,
                         int len) throws IOException {
        Pcap.Endpoint src = fromClient ? st.client : st.server;
        Pcap.Endpoint dst = fromClient ? st.server : st.client;
        st.pcap.segment(t, src, dst, fromClient, seq, ack, flags, data == null ? new byte[0] : data, off, len);
        dirty.add(st.out);
    }

    private void flush() {
        for (OutputStream o : dirty) {
            try {
                o.flush();
            } catch (IOException e) {
                writeErrors.increment();
                lastError = "flush failed: " + describe(e);
            }
        }
        dirty.clear();
    }

    private void failed(IOException e) {
        writeErrors.increment();
        lastError = describe(e);
        log.warn("Filter {}: write failed: {}", name(), lastError);
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return m == null ? e.getClass().getSimpleName() : m;
    }

    private static void closeQuietly(OutputStream o) {
        try {
            o.close();
        } catch (IOException ignored) {
            // the file is gone or the disk is full; nothing more to do with it
        }
    }
}
