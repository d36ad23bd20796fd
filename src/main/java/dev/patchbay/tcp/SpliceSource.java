package dev.patchbay.tcp;

import io.netty.channel.ChannelConfig;
import io.netty.channel.EventLoop;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * The read side of a spliced channel: a {@link RecvByteBufAllocator} around the channel's own whose
 * handle sees every byte Netty takes from the socket, by splice(2) or by a read, and can make Netty drop
 * its queued splice tasks. Verified against Netty 4.2.18's {@code AbstractEpollStreamChannel}:
 *
 * <ul>
 *   <li>Both a splice-in step ({@code SpliceInTask.spliceIn}) and a read report each syscall's result to
 *       {@code lastBytesRead}: the sum of the positive ones is exactly what left the socket, so the session's
 *       byte counters are exact and move with every read loop (spliced bytes have no other trace).</li>
 *   <li>On the event loop, {@code guess()} of this handle is asked only by a splice-in step, first, inside
 *       the step's catch-all (reads allocate through {@code allocate}, which asks the wrapped handle); it
 *       sizes each step. Once {@link #stop()} is called, it throws inside the read loop: the step fails its promise,
 *       Netty removes the task before splicing anything, and the loop goes on with ordinary reads. This is
 *       how a session leaves splice mode, and why a splice task never runs after the other channel (whose
 *       pipe it splices into) has closed: Netty checks neither.</li>
 * </ul>
 */
final class SpliceSource implements RecvByteBufAllocator {
    /**
     * Bytes asked of each splice(2) from the socket: more than a default pipe holds (16 slots, each a page
     * fragment of the socket's buffers, often larger than a page), so that one call fills the pipe as HAProxy's
     * do. 64 KiB here moved 62 KiB per event on loopback; 1 MiB moves about four times as much, with a quarter
     * of the wake-ups, and carried a single iperf3 stream 8–20 % faster (docs/PERFORMANCE.md).
     */
    static final int SPLICE_REQUEST = 1024 * 1024;
    /** What a spliced direction holds, for the admin views' buffer sizes: the pipe, in the kernel. */
    static final int PIPE_CAPACITY = 64 * 1024;

    private final RecvByteBufAllocator wrapped;
    private final EventLoop loop;
    private CountingHandle handle;
    private long bytesRead;
    private long bytesReported;
    private boolean stopped;

    private SpliceSource(RecvByteBufAllocator wrapped, EventLoop loop) {
        this.wrapped = wrapped;
        this.loop = loop;
    }

    /**
     * Puts a splice source under {@code ch}'s reads, or returns null when Netty already made the channel's
     * read handle (something read before): then it cannot be counted or stopped, and must not splice.
     */
    static SpliceSource install(EpollSocketChannel ch) {
        RecvByteBufAllocator original = ch.config().getRecvByteBufAllocator();
        SpliceSource source = new SpliceSource(original, ch.eventLoop());
        ch.config().setRecvByteBufAllocator(source);
        source.handle = null; // the config made one to check its type; the channel's is made next
        ch.unsafe().recvBufAllocHandle();
        if (source.handle == null) {
            ch.config().setRecvByteBufAllocator(original);
            return null;
        }
        return source;
    }

    @Override
    public Handle newHandle() {
        handle = new CountingHandle((ExtendedHandle) wrapped.newHandle());
        return handle;
    }

    /** From now on splice tasks of this channel are dropped before they splice (see the class comment). */
    void stop() {
        stopped = true;
    }

    /** Bytes read from the socket since the last call. */
    long takeNewBytes() {
        long n = bytesRead - bytesReported;
        bytesReported = bytesRead;
        return n;
    }

    /** Thrown into Netty's splice step to make it drop the task; never escapes Netty's catch. */
    static final class Stopped extends RuntimeException {
        static final Stopped INSTANCE = new Stopped();

        private Stopped() {
            super("splicing stopped", null, false, false);
        }
    }

    private final class CountingHandle extends DelegatingHandle implements ExtendedHandle {
        /** Inside Netty's read loop (reset … readComplete), where a guess on the loop comes from a splice step only. */
        private boolean inReadLoop;

        CountingHandle(ExtendedHandle delegate) {
            super(delegate);
        }

        @Override
        public int guess() {
            // Admin threads ask too (the read buffer size of show sess and REST): never throw at them.
            if (!inReadLoop || !loop.inEventLoop()) {
                return PIPE_CAPACITY;
            }
            if (stopped) {
                throw Stopped.INSTANCE;
            }
            return SPLICE_REQUEST;
        }

        @Override
        public void lastBytesRead(int bytes) {
            if (bytes > 0) {
                bytesRead += bytes;
            }
            super.lastBytesRead(bytes);
        }

        @Override
        public void reset(ChannelConfig config) {
            inReadLoop = true;
            super.reset(config);
        }

        @Override
        public void readComplete() {
            inReadLoop = false;
            super.readComplete();
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return ((ExtendedHandle) delegate()).continueReading(maybeMoreDataSupplier);
        }
    }
}
