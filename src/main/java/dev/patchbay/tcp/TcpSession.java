package dev.patchbay.tcp;

import dev.patchbay.Patchbay;
import dev.patchbay.core.FilterDef;
import dev.patchbay.core.Frontend;
import dev.patchbay.core.LiveSession;
import dev.patchbay.core.Server;
import dev.patchbay.core.Service;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionState;
import dev.patchbay.core.Termination;
import dev.patchbay.core.Termination.Cause;
import dev.patchbay.filter.TcpFilterChain;
import dev.patchbay.logging.AccessLog;
import dev.patchbay.logging.SessionLog;
import dev.patchbay.net.ProxiedSession;
import dev.patchbay.net.ProxyHeaderReader;
import dev.patchbay.net.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One TCP-mode session: the client channel, its backend channel on the same event loop, and the
 * state machine between them. Every method runs on that event loop, so no field needs a lock;
 * the {@link Session} it owns publishes what admin threads may read. Admission, connecting,
 * retries and timers are {@link ProxiedSession}'s.
 *
 * <p>Every way a session can end goes through {@link #terminate(Termination)}. Live control (restart,
 * session filters, safe kills) comes through {@link LiveSession}; the restart itself is {@link TcpRestart}.
 */
final class TcpSession extends ProxiedSession implements LiveSession {

    private boolean established;
    /** The peer is in the listener's proxy_protocol_networks and its header has not come yet. */
    private boolean awaitingHeader;
    private int channelsOpen;
    private boolean flushBackend;
    private boolean flushClient;
    private Cause firstShut;
    /**
     * Client bytes read before the backend is connected (the client is read from accept on, see
     * TcpListener), sent when it is; past {@link #EARLY_LIMIT} bytes, client reads pause until then.
     */
    private ArrayDeque<ByteBuf> early;
    private int earlyBytes;
    static final int EARLY_LIMIT = 64 * 1024;
    /** The session's filters (session-level, then the service's), null while it has none. */
    private TcpFilterChain filters;
    /** Restart: a new backend connection swapped in at an idle moment (created on first use). */
    private TcpRestart restart;
    /** Splice mode (service splice=true on epoll), null when the session only copies. */
    private TcpSplice splice;

    TcpSession(Patchbay patchbay, Frontend frontend, int threadIndex) {
        super(patchbay, frontend, threadIndex);
    }

    // ---- accept -------------------------------------------------------------------------------

    void clientActive(Channel ch) {
        long now = System.nanoTime();
        awaitingHeader = expectsProxyHeaderOn(ch);
        // Waiting for the PROXY header is the client identifying itself: no queue timer runs then.
        openSession(ch, awaitingHeader ? new SessionState.Authenticating(now) : new SessionState.Queued(now));
        SessionLog.info(session, "Accepted {} on listener {}", ch.remoteAddress(), frontend.name());
        if (session.serviceSettings().splice()) {
            // Now, before the first read: splice mode counts every byte read from the client.
            splice = TcpSplice.forClient(this, ch);
        }
        List<FilterDef> serviceFilters = session.config().filters();
        if (!serviceFilters.isEmpty()) {
            filters = TcpFilterChain.forService(session, serviceFilters);
        }
        if (patchbay.isStopping()) {
            terminate(Termination.of(Cause.SHUTDOWN));
            return;
        }
        if (awaitingHeader) {
            // Routed once the header says who the client is (bytes after it are held as early bytes).
            armTimer();
            return;
        }
        // No timer yet: most sessions connect at once; a queued one arms its own.
        admit(false);
    }

    /** The client's PROXY protocol header (TcpRelayHandler): the session is routed now. */
    void onProxyHeader(HAProxyMessage m) {
        if (!awaitingHeader || closing) {
            m.release();
            return;
        }
        awaitingHeader = false;
        acceptProxyHeader(m);
        session.setState(new SessionState.Queued(System.nanoTime()));
        rearmTimer();
        admit(false);
    }

    @Override
    protected long extraDeadline() {
        return awaitingHeader ? session.acceptedNanos() + ProxyHeaderReader.TIMEOUT_NANOS : Session.Timers.NEVER;
    }

    @Override
    protected void onExtraDeadline() {
        terminate(new Termination(Cause.CLIENT_TIMEOUT, "no PROXY protocol header within "
                + TimeUnit.NANOSECONDS.toSeconds(ProxyHeaderReader.TIMEOUT_NANOS) + " s"));
    }

    // ---- connecting ---------------------------------------------------------------------------

    @Override
    protected ChannelHandler backendInitializer(Server server) {
        return new TcpRelayHandler(this, false);
    }

    @Override
    protected void onBackendConnected(Server server) {
        established = true;
        session.setState(new SessionState.Established(System.nanoTime()));
        SessionLog.info(session, "Connected to server {} from {}", heldServer.name(), backend.localAddress());
        channelsOpen++;
        backend.closeFuture().addListener(f -> channelClosed());
        armTimer(); // an earlier timer (connect_timeout) stays: when it fires it re-arms
        if (splice != null) {
            splice.backendConnected(backend);
        }
        if (early != null) {
            if (session.hasFlag(Session.CLIENT_INPUT_SHUT)) {
                corkBeforeFin(backend); // relayed just below
            }
            while (!early.isEmpty()) {
                backend.write(early.poll(), backend.voidPromise());
            }
            backend.flush();
            session.recordServerWrite(System.nanoTime());
            early = null;
        }
        if (session.hasFlag(Session.CLIENT_INPUT_SHUT)) {
            relayShutdown(true);
        }
        // Filters need the bytes in user space: a session with filters copies.
        if (splice != null && filters == null
                && splice.start(client, backend, !session.hasFlag(Session.CLIENT_INPUT_SHUT))) {
            SessionLog.info(session, "Splicing both ways");
        }
        if (!session.hasFlag(Session.CLIENT_INPUT_SHUT)) {
            client.config().setAutoRead(true);
            if (session.hasFlag(Session.CLIENT_READ_PAUSED)) {
                session.setFlag(Session.CLIENT_READ_PAUSED, false); // paused at EARLY_LIMIT
            }
        }
        backend.config().setAutoRead(true);
    }

    // ---- forwarding ---------------------------------------------------------------------------

    void onRead(boolean fromClient, ByteBuf buf) {
        if (splice == null || !splice.counts(fromClient)) {
            recordRead(fromClient, buf.readableBytes());
        }
        forward(fromClient, buf);
    }

    /** A buffer of the tail a spliced side left in its socket (TcpSplice.readTail): not seen by its counter. */
    void relayTail(boolean fromClient, ByteBuf buf) {
        recordRead(fromClient, buf.readableBytes());
        forward(fromClient, buf);
        onReadComplete(fromClient);
    }

    private void recordRead(boolean fromClient, int n) {
        long now = System.nanoTime();
        if (fromClient) {
            session.recordClientRead(n, now);
        } else {
            session.recordServerRead(n, now);
        }
    }

    private void forward(boolean fromClient, ByteBuf buf) {
        Channel dst = fromClient ? backend : client;
        if (closing) {
            buf.release();
            return;
        }
        if (filters != null) {
            buf = fromClient ? filters.fromClient(buf) : filters.fromServer(buf);
        }
        if (!established) {
            if (early == null) {
                early = new ArrayDeque<>(2);
            }
            early.add(buf);
            earlyBytes += buf.readableBytes();
            if (earlyBytes >= EARLY_LIMIT && client.config().isAutoRead()) {
                client.config().setAutoRead(false);
                session.setFlag(Session.CLIENT_READ_PAUSED, true);
            }
            return;
        }
        dst.write(buf, dst.voidPromise());
        if (fromClient) {
            flushBackend = true;
        } else {
            flushClient = true;
        }
        if (!dst.isWritable()) {
            // Backpressure: stop reading this side until the other drains (see onWritabilityChanged).
            (fromClient ? client : backend).config().setAutoRead(false);
            session.setFlag(fromClient ? Session.CLIENT_READ_PAUSED : Session.SERVER_READ_PAUSED, true);
        }
    }

    void onReadComplete(boolean fromClient) {
        if (splice != null) {
            splice.publish(fromClient);
        }
        if (fromClient && flushBackend) {
            flushBackend = false;
            corkIfFinFollows(client, backend);
            backend.flush();
            session.recordServerWrite(System.nanoTime());
        } else if (!fromClient && flushClient) {
            flushClient = false;
            corkIfFinFollows(backend, client);
            client.flush();
            session.recordClientWrite(System.nanoTime());
        }
    }

    /** Corks dst (see {@link #corkBeforeFin}) when src's FIN came with the bytes about to be flushed to dst. */
    private void corkIfFinFollows(Channel src, Channel dst) {
        // Once src's end is read, in this same event, the FIN is relayed at once or the session closes.
        if (Transport.endOfStreamFollows(src) && src.config().isAutoRead()) {
            corkBeforeFin(dst);
        }
    }

    /**
     * Holds the bytes about to be flushed to dst in its socket (TCP_CORK) when a FIN is relayed to dst right
     * after them: the FIN then leaves in the same segment, one packet and one wake-up of the peer fewer for
     * every connection that ends with its last message (HAProxy sends with MSG_MORE there). The FIN, or the
     * close that sends one, follows in the same loop turn and releases what is held; dst's output is shut
     * then, so the cork is never lifted. Not with filters (a throttle writes later, and would be held) nor
     * with splice (bytes never pass here). A failure only costs the optimisation.
     */
    private void corkBeforeFin(Channel dst) {
        if (filters == null && splice == null && dst instanceof EpollSocketChannel e) {
            try {
                e.config().setTcpCork(true);
            } catch (ChannelException ignored) {
                // the write or the FIN that follows reports what is wrong with the socket
            }
        }
    }

    void onWritabilityChanged(boolean clientSide, boolean writable) {
        if (!writable || closing || !established) {
            return;
        }
        // This side drained: the other may read again, unless its input is finished.
        Channel other = clientSide ? backend : client;
        int otherShut = clientSide ? Session.SERVER_INPUT_SHUT : Session.CLIENT_INPUT_SHUT;
        if (other != null && !session.hasFlag(otherShut)) {
            other.config().setAutoRead(true);
        }
        session.setFlag(clientSide ? Session.SERVER_READ_PAUSED : Session.CLIENT_READ_PAUSED, false);
    }

    void recordCpu(long nanos) {
        if (session != null) {
            session.recordCpu(nanos);
        }
    }

    // ---- half-close and close -----------------------------------------------------------------

    void onInputShutdown(boolean fromClient) {
        if (closing) {
            return;
        }
        session.setFlag(fromClient ? Session.CLIENT_INPUT_SHUT : Session.SERVER_INPUT_SHUT, true);
        if (fromClient && awaitingHeader) {
            // Nothing to route and nobody to answer: not a session that waits out the header timeout.
            terminate(new Termination(Cause.CLIENT_CLOSE, "before its PROXY protocol header"));
            return;
        }
        Cause cause = fromClient ? Cause.CLIENT_CLOSE : Cause.SERVER_CLOSE;
        if (firstShut == null) {
            firstShut = cause;
        }
        SessionLog.info(session, "{} closed its side", fromClient ? "Client" : "Server");
        if (!established) {
            // Relayed once connected (onConnected), after the bytes that came before it.
            return;
        }
        if (splice != null) {
            // Netty's splice path leaves the end of the stream in the kernel: send it before the FIN.
            splice.readTail(fromClient, fromClient ? client : backend);
            if (closing) {
                return;
            }
        }
        if (session.hasFlag(Session.CLIENT_INPUT_SHUT) && session.hasFlag(Session.SERVER_INPUT_SHUT)) {
            terminate(Termination.of(firstShut));
            return;
        }
        relayShutdown(fromClient);
    }

    /** Relays a FIN once everything read before it has been written. */
    private void relayShutdown(boolean fromClient) {
        Channel dst = fromClient ? backend : client;
        if (splice == null) {
            allowCloseAtEnd(dst);
        }
        dst.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            if (dst.isActive() && dst instanceof DuplexChannel d) {
                shutdownOutput(d);
                session.setFlag(fromClient ? Session.SERVER_OUTPUT_SHUT : Session.CLIENT_OUTPUT_SHUT, true);
            }
        });
    }

    /**
     * Once dst gets our FIN, its own FIN ends the session (both inputs shut): let Netty close dst at its end
     * of stream instead of shutting its input first. Same termination, reported through onInactive, and it
     * spares a shutdown(SHUT_RD) that fails with ENOTCONN on a socket closed both ways, plus the stack-traced
     * exception Netty makes of that failure. Not in splice mode: closing there skips the input-shutdown event,
     * and with it the reading of the tail a spliced side leaves in the kernel (TcpSplice.readTail).
     */
    private static void allowCloseAtEnd(Channel dst) {
        ((SocketChannelConfig) dst.config()).setAllowHalfClosure(false);
    }

    /**
     * Sends a FIN on {@code ch} (everything queued has been written). On a native transport the socket is shut directly:
     * Netty's {@code shutdownOutput()} builds a {@code ChannelOutputShutdownException} with a full stack trace
     * on every call, for the writes it would fail; nothing is queued here, and the socket records that its
     * output is shut, which is what the channel reports and checks before writing.
     */
    private static void shutdownOutput(DuplexChannel ch) {
        if (ch instanceof UnixChannel u && u.fd() instanceof Socket s) {
            try {
                s.shutdown(false, true);
                return;
            } catch (IOException | RuntimeException e1) {
                // fall through: Netty reports it
            }
        }
        ch.shutdownOutput();
    }

    void onInactive(boolean clientSide) {
        if (clientSide) {
            terminate(Termination.of(firstShut != null ? firstShut : Cause.CLIENT_CLOSE));
        } else if (established) {
            terminate(Termination.of(firstShut != null ? firstShut : Cause.SERVER_CLOSE));
        }
    }

    void onError(boolean clientSide, Throwable cause) {
        if (closing) {
            return;
        }
        if (clientSide && refusedProxyHeader(cause)) {
            return;
        }
        String why = cause instanceof IOException ? Transport.ioProblem(cause) : cause.toString();
        SessionLog.debug(session, "Error on the {} side: {}", clientSide ? "client" : "server", cause.toString());
        if (!(cause instanceof IOException)) {
            SessionLog.warning(session, "Unexpected error on the {} side: {}", clientSide ? "client" : "server", cause.toString());
        }
        terminate(new Termination(clientSide ? Cause.CLIENT_ERROR : Cause.SERVER_ERROR, why));
    }

    /** The single closing path: both channels close, slots are released, the access log is written. */
    @Override
    public void terminate(Termination t) {
        if (!beginClosing(t)) {
            return;
        }
        if (restart != null) {
            restart.sessionClosing();
        }
        if (filters != null) {
            filters.close();
        }
        if (splice != null) {
            splice.closing();
        }
        while (early != null && !early.isEmpty()) {
            early.poll().release();
        }
        // Natural ends deliver what is already queued; kills, timeouts and errors cut at once.
        boolean drain = t.cause() == Cause.CLIENT_CLOSE || t.cause() == Cause.SERVER_CLOSE;
        channelsOpen++;
        client.closeFuture().addListener(f -> channelClosed());
        close(client, drain);
        if (backend != null) {
            if (!established) {
                // Connect in flight: its failure listener or onConnected will see closing.
                backend.close();
            } else {
                close(backend, drain);
            }
        }
        SessionLog.info(session, "Closing: {}", t.describe());
    }

    // ---- live control (LiveSession; the restart is TcpRestart's) ---------------------------------

    @Override
    public long idleSinceNanos() {
        if (!established || closing || (early != null && !early.isEmpty()) || flushBackend || flushClient) {
            return -1;
        }
        int shut = Session.CLIENT_INPUT_SHUT | Session.CLIENT_OUTPUT_SHUT | Session.SERVER_INPUT_SHUT
                | Session.SERVER_OUTPUT_SHUT;
        if ((session.flags() & shut) != 0 || pending(client) > 0 || pending(backend) > 0) {
            return -1;
        }
        return Math.max(session.lastClientActivityNanos(), session.lastServerActivityNanos());
    }

    @Override
    public long quietNanos() {
        return patchbay.config().global().idleQuietNanos();
    }

    @Override
    public boolean inTransaction() {
        return false;
    }

    @Override
    public void restartBackend(Service.Snapshot target, Consumer<String> done) {
        if (restart == null) {
            restart = new TcpRestart(this);
        }
        restart.restart(target, done);
    }

    @Override
    public CompletionStage<PreparedFilters> prepareFilters(List<FilterDef> defs) {
        return TcpRestart.prepareFilters(session, defs);
    }

    @Override
    public void installFilters(PreparedFilters chain) {
        leaveSpliceMode("session filters");
        if (filters == null) {
            filters = new TcpFilterChain();
        }
        filters.replaceSessionPart(TcpRestart.sessionsOf(chain));
    }

    @Override
    public void kill(Termination termination, String reason) {
        terminate(termination);
    }

    /** Filters and restarts need the bytes in user space: splicing stops for the rest of the session. */
    void leaveSpliceMode(String why) {
        if (splice != null) {
            splice.stop(why);
        }
    }

    // For TcpRestart (same loop).

    Patchbay patchbay() {
        return patchbay;
    }

    Service service() {
        return service;
    }

    Channel client() {
        return client;
    }

    boolean closing() {
        return closing;
    }

    boolean established() {
        return established;
    }

    boolean isCurrentBackend(Channel ch) {
        return ch == backend;
    }

    /** Events of a backend channel that is not the session's backend: a restart's new one or the replaced one. */
    void onOtherBackendRead(Channel ch, ByteBuf buf) {
        if (restart != null) {
            restart.otherBackendRead(ch, buf);
        } else {
            buf.release();
        }
    }

    void onOtherBackendInactive(Channel ch) {
        if (restart != null) {
            restart.otherBackendInactive(ch);
        }
    }

    TcpFilterChain filters() {
        return filters;
    }

    void setFilters(TcpFilterChain chain) {
        filters = chain;
    }

    /**
     * Puts {@code newBackend} (connected, holding a slot on {@code server}) in place of the backend,
     * closes the old connection and gives its server slot back. Returns the old channel.
     */
    Channel swapBackend(Channel newBackend, Server server) {
        Channel old = backend;
        Server oldServer = heldServer;
        backend = newBackend;
        heldServer = server;
        session.setServer(server);
        session.setBackendAddresses(newBackend.localAddress(), newBackend.remoteAddress());
        if (splice != null) {
            splice.backendReplaced();
        }
        channelsOpen++;
        newBackend.closeFuture().addListener(f -> channelClosed());
        if (oldServer != null) {
            oldServer.release();
            service.serverSlotFreed();
        }
        old.close();
        newBackend.config().setAutoRead(true);
        rearmTimer();
        return old;
    }

    private void channelClosed() {
        if (--channelsOpen > 0 || !closing) {
            return;
        }
        releaseSlots();
        if (splice != null) {
            splice.publishAll();
        }
        AccessLog.log(session, session.termination());
        session.markClosed();
    }
}
