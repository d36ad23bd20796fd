package dev.patchbay.tcp;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Frontend;
import dev.patchbay.core.Server;
import dev.patchbay.core.Service;
import dev.patchbay.core.ServiceSettings;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionIo;
import dev.patchbay.core.SessionState;
import dev.patchbay.core.Termination;
import dev.patchbay.core.Termination.Cause;
import dev.patchbay.logging.AccessLog;
import dev.patchbay.logging.SessionLog;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.ConnectException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * One TCP-mode session: the client channel, its backend channel on the same event loop, and the
 * state machine between them. Every method runs on that event loop, so no field needs a lock;
 * the {@link Session} it owns publishes what admin threads may read.
 *
 * <p>Every way a session can end goes through {@link #terminate(Termination)}.
 */
final class TcpSession implements SessionIo, Service.Waiter {
    /** How long a closing side may take to drain what is still queued for it. */
    private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Patchbay patchbay;
    private final Frontend frontend;
    private final Service service;
    private final int threadIndex;

    private Channel client;
    private Channel backend;
    private Session session;
    private boolean serviceSlot;
    private Server heldServer;
    private List<Server> failedServers = List.of();
    private long queuedSince;
    private boolean queued;
    private boolean established;
    private boolean closing;
    private int channelsOpen;
    private boolean flushBackend;
    private boolean flushClient;
    private Cause firstShut;
    private ScheduledFuture<?> timer;
    private long timerAt;
    /**
     * Client bytes read before the backend is connected. Reads are off until then, but epoll still
     * reads when the client half-closes (RDHUP), so a request and its FIN can arrive early.
     */
    private ArrayDeque<ByteBuf> early;

    TcpSession(Patchbay patchbay, Frontend frontend, int threadIndex) {
        this.patchbay = patchbay;
        this.frontend = frontend;
        this.service = frontend.service();
        this.threadIndex = threadIndex;
    }

    // ---- accept and admission ---------------------------------------------------------------

    void clientActive(Channel ch) {
        client = ch;
        long now = System.nanoTime();
        queuedSince = now;
        session = patchbay.sessions().open(frontend, ch.remoteAddress(), ch.localAddress(), this,
                new SessionState.Queued(now));
        SessionLog.info(session, "Accepted {} on listener {}", ch.remoteAddress(), frontend.name());
        if (patchbay.isStopping()) {
            terminate(Termination.of(Cause.SHUTDOWN));
            return;
        }
        // No timer yet: most sessions connect at once, and a queued one arms its own in waitOrRefuse.
        admit(false);
    }

    /** Takes the service slot, then a server; queues or refuses when either is full. */
    private void admit(boolean resumed) {
        if (!serviceSlot) {
            if (!service.tryAcquire()) {
                waitOrRefuse(resumed, "service " + service.name() + " is at max_connections");
                return;
            }
            serviceSlot = true;
        }
        connectNext(0, resumed);
    }

    private void connectNext(int attempt, boolean resumed) {
        Server server = service.acquireServer(client.remoteAddress(), failedServers);
        if (server == null) {
            if (service.hasNoUsableServer()) {
                terminate(new Termination(Cause.NO_SERVER, "no server of " + service.name() + " is up"));
            } else {
                waitOrRefuse(resumed, "every server of " + service.name() + " is at max_connections");
            }
            return;
        }
        connect(server, attempt);
    }

    private void waitOrRefuse(boolean resumed, String why) {
        if (service.settings().whenFull() == ServiceSettings.WhenFull.REFUSE) {
            service.recordRefused();
            terminate(new Termination(Cause.REFUSED, why));
            return;
        }
        if (!queued) {
            queued = true;
            session.setState(new SessionState.Queued(queuedSince));
            SessionLog.info(session, "Queued: {}", why);
        }
        if (resumed) {
            service.requeueFirst(this);
        } else {
            service.enqueue(this);
        }
        armTimer();
        // A slot may have been freed between our failed attempt and the enqueue.
        if (slotLikelyFree() && service.dequeue(this)) {
            client.eventLoop().execute(this::resume);
        }
    }

    private boolean slotLikelyFree() {
        int max = service.settings().maxConnections();
        if (!serviceSlot && max > 0 && service.connections() >= max) {
            return false;
        }
        for (Server s : service.servers()) {
            if (s.acceptsNewSessions() && !s.isFull()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Session session() {
        return session;
    }

    /** Woken by the service because a slot was freed (runs on our loop). */
    @Override
    public void resume() {
        if (closing) {
            // The slot we were woken for goes to the next waiter.
            service.serverSlotFreed();
            return;
        }
        admit(true);
    }

    // ---- connecting ---------------------------------------------------------------------------

    private void connect(Server server, int attempt) {
        queued = false;
        heldServer = server;
        session.setServer(server);
        session.setRetries(attempt);
        session.setState(new SessionState.Connecting(server, attempt, System.nanoTime()));
        armTimer();
        SessionLog.info(session, "Connecting to server {} ({}), attempt {}", server.name(), server.address(), attempt + 1);
        if (server.address().isUnresolved()) {
            onConnectFailed(server, attempt, new IOException("address " + server.host() + " does not resolve"));
            return;
        }
        long timeoutMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(service.settings().connectTimeoutNanos()));
        Bootstrap b = new Bootstrap()
                .group(client.eventLoop())
                .channel(patchbay.transport().socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMs))
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new TcpRelayHandler(this, false));
        ChannelFuture f = b.connect(server.address());
        backend = f.channel();
        f.addListener((ChannelFutureListener) future -> {
            if (future.isSuccess()) {
                onConnected();
            } else {
                onConnectFailed(server, attempt, future.cause());
            }
        });
    }

    private void onConnected() {
        if (closing) {
            backend.close();
            return;
        }
        established = true;
        session.setBackendAddresses(backend.localAddress(), backend.remoteAddress());
        session.setState(new SessionState.Established(System.nanoTime()));
        SessionLog.info(session, "Connected to server {} from {}", heldServer.name(), backend.localAddress());
        channelsOpen++;
        backend.closeFuture().addListener(f -> channelClosed());
        // The timer in force may be the queue's, which no longer applies: start over from the idle timers.
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        armTimer();
        if (early != null) {
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
        if (!session.hasFlag(Session.CLIENT_INPUT_SHUT)) {
            client.config().setAutoRead(true);
        }
        backend.config().setAutoRead(true);
    }

    private void onConnectFailed(Server server, int attempt, Throwable cause) {
        server.recordConnectFailure();
        if (heldServer == server) {
            server.release();
            heldServer = null;
            service.serverSlotFreed();
        }
        session.setServer(null);
        backend = null;
        String why = describe(cause);
        if (closing) {
            return;
        }
        if (failedServers.isEmpty()) {
            failedServers = new ArrayList<>(2);
        }
        failedServers.add(server);
        SessionLog.info(session, "Connect to server {} failed: {}", server.name(), why);
        if (attempt < service.settings().retries()) {
            connectNext(attempt + 1, false);
        } else {
            terminate(new Termination(Cause.CONNECT_FAILURE, server.name() + ": " + why));
        }
    }

    private static String describe(Throwable t) {
        if (t instanceof io.netty.channel.ConnectTimeoutException) {
            return "connect timeout";
        }
        if (t instanceof ConnectException && t.getMessage() != null && t.getMessage().contains("refused")) {
            return "connection refused";
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    // ---- forwarding ---------------------------------------------------------------------------

    void onRead(boolean fromClient, ByteBuf buf) {
        int n = buf.readableBytes();
        long now = System.nanoTime();
        if (fromClient) {
            session.recordClientRead(n, now);
        } else {
            session.recordServerRead(n, now);
        }
        Channel dst = fromClient ? backend : client;
        if (closing) {
            buf.release();
            return;
        }
        if (!established) {
            if (early == null) {
                early = new ArrayDeque<>(2);
            }
            early.add(buf);
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
        long now = System.nanoTime();
        if (fromClient && flushBackend) {
            flushBackend = false;
            backend.flush();
            session.recordServerWrite(now);
        } else if (!fromClient && flushClient) {
            flushClient = false;
            client.flush();
            session.recordClientWrite(now);
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
        Cause cause = fromClient ? Cause.CLIENT_CLOSE : Cause.SERVER_CLOSE;
        if (firstShut == null) {
            firstShut = cause;
        }
        SessionLog.info(session, "{} closed its side", fromClient ? "Client" : "Server");
        if (!established) {
            // Relayed once connected (onConnected), after the bytes that came before it.
            return;
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
        dst.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            if (dst.isActive() && dst instanceof DuplexChannel d) {
                d.shutdownOutput();
                session.setFlag(fromClient ? Session.SERVER_OUTPUT_SHUT : Session.CLIENT_OUTPUT_SHUT, true);
            }
        });
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
        String why = cause instanceof IOException ? String.valueOf(cause.getMessage()) : cause.toString();
        SessionLog.debug(session, "Error on the {} side: {}", clientSide ? "client" : "server", cause.toString());
        if (!(cause instanceof IOException)) {
            SessionLog.warning(session, "Unexpected error on the {} side: {}", clientSide ? "client" : "server", cause.toString());
        }
        terminate(new Termination(clientSide ? Cause.CLIENT_ERROR : Cause.SERVER_ERROR, why));
    }

    /** The single closing path: both channels close, slots are released, the access log is written. */
    @Override
    public void terminate(Termination t) {
        if (closing) {
            return;
        }
        closing = true;
        session.setState(new SessionState.Closing(t));
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        if (queued) {
            service.dequeue(this);
            queued = false;
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

    private void close(Channel ch, boolean drain) {
        if (drain && ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            // Bounds the drain; cancelled as soon as the channel closes so closed sessions are not kept alive.
            ScheduledFuture<?> linger = ch.eventLoop().schedule(() -> {
                ch.close();
            }, LINGER_NANOS, TimeUnit.NANOSECONDS);
            ch.closeFuture().addListener(f -> linger.cancel(false));
        } else {
            ch.close();
        }
    }

    private void channelClosed() {
        if (--channelsOpen > 0 || !closing) {
            return;
        }
        if (heldServer != null) {
            heldServer.release();
            heldServer = null;
            service.serverSlotFreed();
        }
        if (serviceSlot) {
            serviceSlot = false;
            service.release();
        }
        AccessLog.log(session, session.termination());
        session.markClosed();
    }

    // ---- timers -------------------------------------------------------------------------------

    /** One timer per session, set at the earliest idle/queue deadline; activity only moves deadlines later. */
    private void armTimer() {
        if (closing) {
            return;
        }
        Session.Timers t = session.timers();
        long at = Math.min(t.clientIdle(), Math.min(t.serverIdle(), t.queue()));
        if (at == Session.Timers.NEVER || (timer != null && timerAt <= at)) {
            return;
        }
        if (timer != null) {
            timer.cancel(false);
        }
        timerAt = at;
        timer = client.eventLoop().schedule(this::onTimer, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void onTimer() {
        timer = null;
        if (closing) {
            return;
        }
        Session.Timers t = session.timers();
        long now = System.nanoTime();
        if (t.queue() <= now) {
            terminate(new Termination(Cause.QUEUE_TIMEOUT, "no slot within queue_timeout"));
        } else if (t.clientIdle() <= now) {
            terminate(Termination.of(Cause.CLIENT_TIMEOUT));
        } else if (t.serverIdle() <= now) {
            terminate(Termination.of(Cause.SERVER_TIMEOUT));
        } else {
            armTimer();
        }
    }

    // ---- SessionIo ----------------------------------------------------------------------------

    @Override
    public Executor executor() {
        return client.eventLoop();
    }

    @Override
    public boolean inExecutor() {
        return client.eventLoop().inEventLoop();
    }

    @Override
    public int threadIndex() {
        return threadIndex;
    }

    @Override
    public long clientPendingWriteBytes() {
        return pending(client);
    }

    @Override
    public long serverPendingWriteBytes() {
        return pending(backend);
    }

    @Override
    public int clientReadBufferSize() {
        return readBuffer(client);
    }

    @Override
    public int serverReadBufferSize() {
        return readBuffer(backend);
    }

    @Override
    public int clientFd() {
        return fd(client);
    }

    @Override
    public int serverFd() {
        return fd(backend);
    }

    private static int fd(Channel ch) {
        return ch instanceof UnixChannel u && ch.isOpen() ? u.fd().intValue() : -1;
    }

    private static long pending(Channel ch) {
        if (ch == null) {
            return 0;
        }
        ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    /** The allocator's current guess for the next read: the buffer a read on this side would take. */
    private static int readBuffer(Channel ch) {
        return ch == null || !ch.isActive() ? 0 : ch.unsafe().recvBufAllocHandle().guess();
    }
}
