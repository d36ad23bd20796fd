package dev.patchbay.net;

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
import dev.patchbay.logging.SessionLog;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.unix.UnixChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * What every proxied session (TCP and MariaDB mode) shares: admission under the service's and
 * servers' max_connections with the wait queue, server choice with retries and redispatch, the
 * backend connect on the client's event loop, the one session timer, and slot release on close.
 * Subclasses add the protocol: what to do once the backend is connected, how bytes flow, and the
 * single closing path {@link #terminate(Termination)}, which must call {@link #beginClosing} first
 * and {@link #releaseSlots()} once both channels are closed.
 *
 * <p>Every method runs on the client channel's event loop.
 */
public abstract class ProxiedSession implements SessionIo, Service.Waiter {

    protected final Patchbay patchbay;
    protected final Frontend frontend;
    protected final Service service;
    private final int threadIndex;

    protected Channel client;
    protected Channel backend;
    protected Session session;
    protected boolean closing;
    /** The server whose slot this session holds (connecting or connected), null otherwise. */
    protected Server heldServer;

    private boolean serviceSlot;
    /** Servers that failed for this session; allocated on the first failure (most sessions have none). */
    private List<Server> failedServers = List.of();
    private long queuedSince;
    private boolean queued;
    private ScheduledFuture<?> timer;
    private long timerAt;
    /** The backend's TCP connect while it is in flight: the session timer fails it at connect_timeout. */
    private ChannelPromise pendingConnect;

    protected ProxiedSession(Patchbay patchbay, Frontend frontend, int threadIndex) {
        this.patchbay = patchbay;
        this.frontend = frontend;
        this.service = frontend.service();
        this.threadIndex = threadIndex;
    }

    /** Registers the session of a client channel just accepted. */
    protected final Session openSession(Channel ch, SessionState initial) {
        client = ch;
        queuedSince = System.nanoTime();
        session = patchbay.sessions().open(frontend, ch.remoteAddress(), ch.localAddress(), this, initial);
        return session;
    }

    /** Whether the client's connection starts with a PROXY protocol header (its peer is in proxy_protocol_networks). */
    protected static boolean expectsProxyHeaderOn(Channel client) {
        return client.pipeline().get(ProxyHeaderReader.NAME) != null;
    }

    /**
     * A PROXY protocol header from the client's peer: from now on the session's client is the one it names
     * (routing, accounts, logs, both admin views, and the header sent on to servers). Releases {@code m}.
     */
    protected final void acceptProxyHeader(HAProxyMessage m) {
        try {
            InetSocketAddress[] a = ProxyHeaders.addresses(m);
            if (a == null) {
                SessionLog.info(session, "PROXY header without addresses ({} {}): the peer is the client",
                        m.protocolVersion(), m.command());
                return;
            }
            SessionLog.info(session, "PROXY header from {}: client {} to {}", client.remoteAddress(), a[0], a[1]);
            session.setProxiedAddresses(a[0], a[1]);
        } finally {
            m.release();
        }
    }

    /** The header a connection to {@code server} for this session starts with, or null. */
    public final HAProxyMessage proxyHeaderFor(Server server) {
        return ProxyHeaders.of(server.proxyProtocol(), session.clientAddress(), session.frontendAddress());
    }

    // ---- admission ----------------------------------------------------------------------------

    /** Takes the service slot, then a server; queues or refuses when either is full. */
    protected final void admit(boolean resumed) {
        if (!resumed && !queued && !serviceSlot) {
            queuedSince = System.nanoTime();
        }
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
        Server server = service.acquireServer(session.clientAddress(), failedServers);
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
        if (session.serviceSettings().whenFull() == ServiceSettings.WhenFull.REFUSE) {
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

    /** The handler of a new backend channel's pipeline. */
    protected abstract ChannelHandler backendInitializer(Server server);

    /** The backend TCP connection is up (not called once the session is closing). */
    protected abstract void onBackendConnected(Server server);

    private void connect(Server server, int attempt) {
        queued = false;
        heldServer = server;
        session.setServer(server);
        session.setRetries(attempt);
        session.setState(new SessionState.Connecting(server, attempt, System.nanoTime()));
        SessionLog.info(session, "Connecting to server {} ({}), attempt {}", server.name(), server.address(), attempt + 1);
        if (server.address().isUnresolved()) {
            onConnectFailed(server, attempt, new IOException("address " + server.host() + " does not resolve"));
            return;
        }
        armTimer();
        // connect_timeout is the session timer's (the Connecting state's deadline), not a second task.
        ChannelPromise connected = patchbay.transport().connect(client.eventLoop(), server.address(), 0,
                backendInitializer(server), proxyHeaderFor(server));
        Channel ch = connected.channel();
        backend = ch;
        pendingConnect = connected;
        connected.addListener((ChannelFutureListener) future -> {
            pendingConnect = null;
            if (future.isSuccess()) {
                if (closing) {
                    ch.close();
                    return;
                }
                session.setBackendAddresses(ch.localAddress(), ch.remoteAddress());
                onBackendConnected(server);
            } else {
                onConnectFailed(server, attempt, future.cause());
            }
        });
    }

    /**
     * The connection to {@code server} failed before the session was established: the slot is
     * given back and the next server is tried while retries last. A connect the session gave up because it
     * was ending (client gone, kill, shutdown) is not counted against the server.
     */
    protected final void onConnectFailed(Server server, int attempt, Throwable cause) {
        if (heldServer == server) {
            server.release();
            heldServer = null;
            service.serverSlotFreed();
        }
        session.setServer(null);
        backend = null;
        if (closing) {
            return;
        }
        server.recordConnectFailure();
        String why = describe(cause);
        if (failedServers.isEmpty()) {
            failedServers = new ArrayList<>(2);
        }
        failedServers.add(server);
        SessionLog.info(session, "Connect to server {} failed: {}", server.name(), why);
        if (attempt < session.serviceSettings().retries()) {
            connectNext(attempt + 1, false);
        } else {
            terminate(new Termination(Cause.CONNECT_FAILURE, server.name() + ": " + why));
        }
    }

    /**
     * A backend channel given up before the session was established: timed out, or gone during a login
     * (it is closed right after).
     */
    protected void backendAbandoned(Channel ch) {
    }

    /** The attempt number of the connection in progress (0 for the first). */
    protected final int currentAttempt() {
        return session.retries();
    }

    /**
     * Ends the session as a client error when {@code cause} (from the client side) is about its PROXY protocol
     * header; false when it is about something else.
     */
    protected final boolean refusedProxyHeader(Throwable cause) {
        String problem = proxyHeaderProblem(cause);
        if (problem == null) {
            return false;
        }
        SessionLog.info(session, "Refused: {}", problem);
        terminate(new Termination(Cause.CLIENT_ERROR, problem));
        return true;
    }

    /**
     * What was wrong with a client's PROXY protocol header (missing from a listed peer, or malformed: the
     * decoder's reason), or null when {@code cause} is about something else.
     */
    private static String proxyHeaderProblem(Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof ProxyHeaderReader.MissingHeader) {
            return c.getMessage();
        }
        if (c instanceof HAProxyProtocolException) {
            // The decoder wraps the precise reason ("invalid IPv4 address: …") in a general one.
            Throwable inner = c;
            while (inner.getCause() != null && inner.getCause().getMessage() != null) {
                inner = inner.getCause();
            }
            String why = inner.getMessage();
            String enumPrefix = "No enum constant " + HAProxyProxiedProtocol.class.getName() + ".";
            if (why.startsWith(enumPrefix)) {
                // HAProxyProxiedProtocol.valueOf's own words for a v1 header's protocol field.
                why = "unknown protocol '" + why.substring(enumPrefix.length()) + "' (expected TCP4, TCP6 or UNKNOWN)";
            }
            return "invalid PROXY protocol header: " + why;
        }
        return null;
    }

    /** A connect failure as operators read it ("connection refused", "connect timeout", …). */
    public static String describe(Throwable t) {
        if (t instanceof ConnectException && t.getMessage() != null && t.getMessage().contains("refused")) {
            return "connection refused";
        }
        return Transport.connectFailure(t);
    }

    // ---- closing ------------------------------------------------------------------------------

    /**
     * First step of the closing path: marks the session closing, stops the timer and leaves the
     * queue. Returns false if the session was already closing.
     */
    protected final boolean beginClosing(Termination t) {
        if (closing) {
            return false;
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
        return true;
    }

    /** Last step of the closing path: gives the server and service slots back. */
    protected final void releaseSlots() {
        if (heldServer != null) {
            heldServer.release();
            heldServer = null;
            service.serverSlotFreed();
        }
        if (serviceSlot) {
            serviceSlot = false;
            service.release();
        }
    }

    /** How long a closing side may take to drain what is still queued for it. */
    private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(10);

    /**
     * Closes one side: natural ends ({@code drain}) first deliver what is queued, bounded by
     * {@link #LINGER_NANOS}; the bound is cancelled as soon as the channel closes, so closed
     * sessions are not kept reachable. With nothing queued (the usual end) the channel closes at once:
     * the kernel still delivers what its send buffer holds, and no flush, listener or timer is spent.
     */
    protected static void close(Channel ch, boolean drain) {
        if (drain && ch.isActive() && pending(ch) > 0) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            ScheduledFuture<?> linger = ch.eventLoop().schedule(() -> {
                ch.close();
            }, LINGER_NANOS, TimeUnit.NANOSECONDS);
            ch.closeFuture().addListener(f -> linger.cancel(false));
        } else {
            ch.close();
        }
    }

    // ---- timers -------------------------------------------------------------------------------

    /** Starts the timer over: the one in force may belong to a phase that is over (the queue's). */
    protected final void rearmTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        armTimer();
    }

    /** One timer per session, set at the earliest deadline; activity only moves deadlines later. */
    protected final void armTimer() {
        if (closing) {
            return;
        }
        Session.Timers t = session.timers();
        long at = Math.min(t.clientIdle(), Math.min(t.serverIdle(), t.queue()));
        at = Math.min(at, Math.min(t.connect(), extraDeadline()));
        if (at == Session.Timers.NEVER || (timer != null && timerAt <= at)) {
            return;
        }
        if (timer != null) {
            timer.cancel(false);
        }
        timerAt = at;
        timer = client.eventLoop().schedule(this::onTimer, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /**
     * connect_timeout passed in the Connecting state. A TCP connect still in flight fails its promise, whose
     * listener moves on (one path, so a timed-out attempt is counted and retried once); past the TCP connect
     * (MariaDB mode's backend login) the backend is given up here.
     */
    private void connectTimedOut() {
        Server s = heldServer;
        Throwable timeout = Transport.connectTimeout(
                TimeUnit.NANOSECONDS.toMillis(session.serviceSettings().connectTimeoutNanos()), s.address());
        ChannelPromise inFlight = pendingConnect;
        if (inFlight != null && inFlight.tryFailure(timeout)) {
            return;
        }
        Channel b = backend;
        if (b != null) {
            backendAbandoned(b);
            b.close();
        }
        onConnectFailed(s, currentAttempt(), timeout);
    }

    /** A protocol-specific deadline (System.nanoTime()), {@link Session.Timers#NEVER} when none. */
    protected long extraDeadline() {
        return Session.Timers.NEVER;
    }

    /** Called when {@link #extraDeadline()} has passed. */
    protected void onExtraDeadline() {
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
        } else if (t.connect() <= now && heldServer != null) {
            connectTimedOut();
        } else if (extraDeadline() <= now) {
            onExtraDeadline();
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

    protected static long pending(Channel ch) {
        if (ch == null) {
            return 0;
        }
        ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    /** The allocator's current guess for the next read: the buffer a read on this side would take. */
    protected static int readBuffer(Channel ch) {
        return ch == null || !ch.isActive() ? 0 : ch.unsafe().recvBufAllocHandle().guess();
    }
}
