package dev.patchbay.tcp;

import dev.patchbay.core.Session;
import dev.patchbay.logging.SessionLog;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.epoll.EpollMode;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;

/**
 * Splice mode of one TCP session ({@code splice=true} on epoll): once the backend is connected, each
 * direction is relayed with Netty's {@code spliceTo(dst, Integer.MAX_VALUE)}, bytes going socket → pipe →
 * socket in the kernel. Netty leaves three things to us:
 *
 * <ul>
 *   <li>The tail after a half-close: when EPOLLRDHUP arrives, Netty's splice path shuts the socket's input
 *       and never reads again, with bytes still queued in the kernel. {@link #readTail} reads them and the
 *       session writes them to the other side's ordinary write path, behind the splice-out tasks already
 *       queued there, before the FIN is relayed.</li>
 *   <li>Counting: {@link SpliceSource} counts what leaves each socket; {@link #publish} moves it to the
 *       session's counters and activity times after every read loop.</li>
 *   <li>Stopping: a queued splice task is dropped (see {@link SpliceSource}) when the session leaves splice
 *       mode for live control, and when either channel closes (Netty would splice into the closed pipe).</li>
 * </ul>
 *
 * Every method runs on the session's event loop.
 */
final class TcpSplice {
    private final TcpSession owner;
    private final SpliceSource clientSource;
    /** The current backend's source; null before the connect and once a restart replaced that backend. */
    private SpliceSource backendSource;
    private boolean splicing;

    private TcpSplice(TcpSession owner, SpliceSource clientSource) {
        this.owner = owner;
        this.clientSource = clientSource;
    }

    /** Splice mode for a client channel just accepted (before it reads), or null when it cannot splice. */
    static TcpSplice forClient(TcpSession owner, Channel client) {
        if (!(client instanceof EpollSocketChannel e)) {
            return null;
        }
        SpliceSource source = SpliceSource.install(e);
        return source == null ? null : new TcpSplice(owner, source);
    }

    /** Puts a source under the backend's reads; call before the backend reads anything. */
    void backendConnected(Channel backend) {
        backendSource = backend instanceof EpollSocketChannel e ? SpliceSource.install(e) : null;
    }

    /**
     * Starts splicing both ways ({@code clientOpen}: the client has not half-closed yet). Returns false
     * when the backend cannot splice; the session then copies.
     */
    boolean start(Channel client, Channel backend, boolean clientOpen) {
        if (backendSource == null || !(client instanceof EpollSocketChannel c)
                || !(backend instanceof EpollSocketChannel b)) {
            return false;
        }
        // Netty splices only on level-triggered channels.
        c.config().setEpollMode(EpollMode.LEVEL_TRIGGERED);
        b.config().setEpollMode(EpollMode.LEVEL_TRIGGERED);
        splicing = true;
        owner.session().setFlag(Session.SPLICING, true);
        // The first of the two channels to close stops both tasks, before anything splices into its pipe.
        c.closeFuture().addListener(f -> stopSources());
        b.closeFuture().addListener(f -> stopSources());
        if (clientOpen) {
            watch(c.spliceTo(b, Integer.MAX_VALUE), true, b);
        }
        watch(b.spliceTo(c, Integer.MAX_VALUE), false, c);
        return true;
    }

    /** A splice task ends only by failing: a stop, a close, or an I/O error worth ending the session for. */
    private void watch(ChannelFuture f, boolean fromClient, Channel dst) {
        f.addListener(done -> {
            Throwable cause = done.cause();
            if (owner.closing() || cause == null || cause instanceof SpliceSource.Stopped
                    || cause instanceof ClosedChannelException) {
                return;
            }
            // A failed splice-out closed dst before its promise failed: the error is dst's.
            boolean dstFailed = !dst.isOpen();
            owner.onError(dstFailed ? !fromClient : fromClient, cause);
        });
    }

    boolean splicing() {
        return splicing;
    }

    /** Leaves splice mode for good: from the next read on, each side's bytes come to user space. */
    void stop(String why) {
        if (!splicing) {
            return;
        }
        splicing = false;
        owner.session().setFlag(Session.SPLICING, false);
        stopSources();
        SessionLog.info(owner.session(), "Splice mode off ({}): bytes are copied from now on", why);
    }

    /** The session is closing: nothing may splice into a channel about to close. */
    void closing() {
        stopSources();
    }

    private void stopSources() {
        clientSource.stop();
        if (backendSource != null) {
            backendSource.stop();
        }
    }

    /** Whether that side's bytes are counted here rather than by the session's read path. */
    boolean counts(boolean fromClient) {
        return fromClient || backendSource != null;
    }

    /** Moves the bytes taken from one side's socket since the last call to the session's counters. */
    void publish(boolean fromClient) {
        SpliceSource source = fromClient ? clientSource : backendSource;
        if (source == null) {
            return;
        }
        long n = source.takeNewBytes();
        if (n <= 0) {
            return;
        }
        long now = System.nanoTime();
        if (fromClient) {
            owner.session().recordClientRead((int) Math.min(Integer.MAX_VALUE, n), now);
            if (splicing) {
                owner.session().recordServerWrite(now);
            }
        } else {
            owner.session().recordServerRead((int) Math.min(Integer.MAX_VALUE, n), now);
            if (splicing) {
                owner.session().recordClientWrite(now);
            }
        }
    }

    void publishAll() {
        publish(true);
        publish(false);
    }

    /** A restart put a new backend in place: the old one's count is final, the new one is read by copying. */
    void backendReplaced() {
        publish(false);
        backendSource = null;
    }

    /**
     * Reads what is left in {@code src}'s socket after its input shut (the kernel keeps the receive queue
     * through shutdown(SHUT_RD) and reports the end after it) and hands each buffer to the session, which
     * counts and writes it behind what was spliced before. Everything is read at once: Netty may close
     * {@code src} right after this event (its shutdown fails with ENOTCONN once both FINs are through), and
     * the queue is bounded by the socket's receive buffer.
     */
    void readTail(boolean fromClient, Channel src) {
        if (!(src instanceof EpollSocketChannel e) || !src.isOpen() || !(e.fd() instanceof Socket socket)) {
            return;
        }
        long total = 0;
        for (;;) {
            ByteBuf buf = src.alloc().directBuffer(SpliceSource.PIPE_CAPACITY);
            int n;
            try {
                n = recv(socket, buf);
            } catch (IOException ex) {
                buf.release();
                owner.onError(fromClient, ex);
                return;
            }
            if (n <= 0) {
                buf.release();
                break;
            }
            total += n;
            owner.relayTail(fromClient, buf);
            if (owner.closing()) {
                return;
            }
        }
        if (total > 0) {
            SessionLog.debug(owner.session(), "Read {} bytes left in the {} socket after its input shut", total,
                    fromClient ? "client" : "server");
        }
    }

    /** One recv(2) into {@code buf}: bytes read, or 0/-1 at the end (EAGAIN/EOF). */
    private static int recv(Socket socket, ByteBuf buf) throws IOException {
        int w = buf.writerIndex();
        int n;
        if (buf.hasMemoryAddress()) {
            n = socket.recvAddress(buf.memoryAddress(), w, buf.capacity());
        } else {
            ByteBuffer nio = buf.internalNioBuffer(w, buf.writableBytes());
            n = socket.recv(nio, nio.position(), nio.limit());
        }
        if (n > 0) {
            buf.writerIndex(w + n);
        }
        return n;
    }
}
