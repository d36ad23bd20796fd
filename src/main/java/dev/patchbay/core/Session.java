package dev.patchbay.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One client connection through Patchbay, from accept to close: the single model behind
 * HAProxy's {@code show sess} and MaxScale's session resource.
 *
 * <p>Threading: every field is written only on the session's event loop ({@link SessionIo#executor()}).
 * Counters are plain longs written with opaque stores (no fence on the hot path) and read from admin
 * threads with opaque loads: readers see recent, never torn, values and never block the data plane.
 * Anything that changes the session from another thread goes through {@link #execute(Runnable)}.
 */
public final class Session {

    private static final VarHandle BYTES_FROM_CLIENT;
    private static final VarHandle BYTES_FROM_SERVER;
    private static final VarHandle CLIENT_READS;
    private static final VarHandle CLIENT_WRITES;
    private static final VarHandle SERVER_READS;
    private static final VarHandle SERVER_WRITES;
    private static final VarHandle LAST_CLIENT_ACTIVITY;
    private static final VarHandle LAST_SERVER_ACTIVITY;
    private static final VarHandle CPU_NANOS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            BYTES_FROM_CLIENT = l.findVarHandle(Session.class, "bytesFromClient", long.class);
            BYTES_FROM_SERVER = l.findVarHandle(Session.class, "bytesFromServer", long.class);
            CLIENT_READS = l.findVarHandle(Session.class, "clientReads", long.class);
            CLIENT_WRITES = l.findVarHandle(Session.class, "clientWrites", long.class);
            SERVER_READS = l.findVarHandle(Session.class, "serverReads", long.class);
            SERVER_WRITES = l.findVarHandle(Session.class, "serverWrites", long.class);
            LAST_CLIENT_ACTIVITY = l.findVarHandle(Session.class, "lastClientActivityNanos", long.class);
            LAST_SERVER_ACTIVITY = l.findVarHandle(Session.class, "lastServerActivityNanos", long.class);
            CPU_NANOS = l.findVarHandle(Session.class, "cpuNanos", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Flag bits of {@link #flags()}: which half of which side is shut, who is paused. */
    public static final int CLIENT_INPUT_SHUT = 1;
    public static final int CLIENT_OUTPUT_SHUT = 1 << 1;
    public static final int SERVER_INPUT_SHUT = 1 << 2;
    public static final int SERVER_OUTPUT_SHUT = 1 << 3;
    /** Client reads are paused because the backend is not writable (backpressure). */
    public static final int CLIENT_READ_PAUSED = 1 << 4;
    /** Backend reads are paused because the client is not writable. */
    public static final int SERVER_READ_PAUSED = 1 << 5;
    /** Bytes move by splice(2) in the kernel (one pipe per direction). */
    public static final int SPLICING = 1 << 6;

    private final long id;
    private final long acceptedEpochMicros;
    private final long acceptedNanos;
    private final Frontend frontend;
    private final Service service;
    // The TCP peer and the listener's address, until a PROXY protocol header names the real ones (once, early).
    private volatile SocketAddress clientAddress;
    private volatile SocketAddress frontendAddress;
    private final SessionIo io;
    private final CompletableFuture<Termination> closed = new CompletableFuture<>();
    private final SessionRegistry registry;

    private volatile SessionState state;
    private volatile Server server;
    private volatile SocketAddress backendLocalAddress;
    private volatile SocketAddress backendRemoteAddress;
    private volatile int flags;
    private volatile int retries;
    private volatile Termination killRequest;
    private volatile int logFlags;
    /** Levels added by log selectors ({@link LogSelectors}), kept apart so that they can be taken away again. */
    private volatile int selectorLogFlags;
    private volatile ProtocolDetails protocolDetails;
    /** The service configuration this session runs under: the one it started with, or its last restart's. */
    private volatile Service.Snapshot config;
    /** The configuration generation of {@link #config}'s adoption (session start or last restart). */
    private volatile long generation;
    private final long startGeneration;
    /** The session-level filters (REST PATCH), in front of the service's. */
    private volatile List<FilterDef> sessionFilters = List.of();
    /** Created on first use: most sessions are never controlled. */
    private volatile SessionControl control;
    private volatile SessionTrace trace;
    @SuppressWarnings("unused") private long cpuNanos;
    /**
     * I/O events per bucket of 2^32 ns (4.3 s), a ring of the last 8 buckets, for MaxScale's {@code io_activity};
     * {@link #ioBucket} is the bucket of the latest event. Written by the event loop only; readers tolerate a
     * bucket being reset under them. (An array of 8 ints: 48 bytes of every session's heap.)
     */
    private final int[] ioCounts = new int[8];
    private volatile long ioBucket;

    @SuppressWarnings("unused") private long bytesFromClient;
    @SuppressWarnings("unused") private long bytesFromServer;
    @SuppressWarnings("unused") private long clientReads;
    @SuppressWarnings("unused") private long clientWrites;
    @SuppressWarnings("unused") private long serverReads;
    @SuppressWarnings("unused") private long serverWrites;
    @SuppressWarnings("unused") private long lastClientActivityNanos;
    @SuppressWarnings("unused") private long lastServerActivityNanos;

    Session(SessionRegistry registry, long id, Frontend frontend, Service service, SocketAddress clientAddress,
            SocketAddress frontendAddress, SessionIo io, SessionState initial, long generation) {
        this.registry = registry;
        this.config = service == null ? null : service.snapshot();
        this.generation = generation;
        this.startGeneration = generation;
        this.id = id;
        this.acceptedEpochMicros = Clock.epochMicros();
        this.acceptedNanos = System.nanoTime();
        this.frontend = frontend;
        this.service = service;
        this.clientAddress = clientAddress;
        this.frontendAddress = frontendAddress;
        this.io = io;
        this.state = initial;
        this.lastClientActivityNanos = acceptedNanos;
        this.lastServerActivityNanos = acceptedNanos;
    }

    // ---- identity -------------------------------------------------------------------------

    public long id() {
        return id;
    }

    public long acceptedEpochMicros() {
        return acceptedEpochMicros;
    }

    public long acceptedNanos() {
        return acceptedNanos;
    }

    public long ageNanos() {
        return System.nanoTime() - acceptedNanos;
    }

    public Frontend frontend() {
        return frontend;
    }

    /** The service (HAProxy backend), or null for runtime API sessions. */
    public Service service() {
        return service;
    }

    public SocketAddress clientAddress() {
        return clientAddress;
    }

    /** The addresses a PROXY protocol header gave: the real client, and the address it connected to. */
    public void setProxiedAddresses(SocketAddress client, SocketAddress frontend) {
        this.clientAddress = client;
        this.frontendAddress = frontend;
    }

    /** The local address the client connected to. */
    public SocketAddress frontendAddress() {
        return frontendAddress;
    }

    public SessionIo io() {
        return io;
    }

    public int threadIndex() {
        return io.threadIndex();
    }

    // ---- configuration ----------------------------------------------------------------------

    /** The service snapshot this session uses (null for runtime API sessions). */
    public Service.Snapshot config() {
        return config;
    }

    /** The settings of {@link #config()}: the timeouts, retries and limits this session obeys. */
    public ServiceSettings serviceSettings() {
        Service.Snapshot c = config;
        return c != null ? c.settings() : service.settings();
    }

    /** The configuration generation the session runs under: the one it started with, or its last restart's. */
    public long generation() {
        return generation;
    }

    /** The configuration generation at the time the session was accepted. */
    public long startGeneration() {
        return startGeneration;
    }

    /** After a successful restart: the session now runs under {@code snapshot}, adopted at {@code generation}. */
    void useConfig(Service.Snapshot snapshot, long generation) {
        this.config = snapshot;
        this.generation = generation;
    }

    long registryGeneration() {
        return registry.generation().current();
    }

    /** The session-level filters in use, in order (in front of the service's). */
    public List<FilterDef> sessionFilters() {
        return sessionFilters;
    }

    void setSessionFilters(List<FilterDef> filters) {
        this.sessionFilters = List.copyOf(filters);
    }

    /** The session's control if anything ever used it, else null (the admin views show the defaults). */
    public SessionControl controlIfAny() {
        return control;
    }

    /** Kill with ttl, restart and filter changes of this session. */
    public SessionControl control() {
        SessionControl c = control;
        if (c == null) {
            synchronized (this) {
                c = control;
                if (c == null) {
                    c = new SessionControl(this);
                    control = c;
                }
            }
        }
        return c;
    }

    // ---- state ----------------------------------------------------------------------------

    public SessionState state() {
        return state;
    }

    /** Data plane only. */
    public void setState(SessionState state) {
        this.state = state;
    }

    /** The server chosen for this session, null while queued or for applet sessions. */
    public Server server() {
        return server;
    }

    public void setServer(Server server) {
        this.server = server;
    }

    public SocketAddress backendLocalAddress() {
        return backendLocalAddress;
    }

    public SocketAddress backendRemoteAddress() {
        return backendRemoteAddress;
    }

    public void setBackendAddresses(SocketAddress local, SocketAddress remote) {
        this.backendLocalAddress = local;
        this.backendRemoteAddress = remote;
    }

    public int flags() {
        return flags;
    }

    public boolean hasFlag(int flag) {
        return (flags & flag) != 0;
    }

    /** Data plane only (single writer). */
    public void setFlag(int flag, boolean on) {
        int f = flags;
        flags = on ? f | flag : f & ~flag;
    }

    /** Connect retries done so far (HAProxy's conn_retries). */
    public int retries() {
        return retries;
    }

    public void setRetries(int retries) {
        this.retries = retries;
    }

    /** The termination once the closing path started, else null. */
    public Termination termination() {
        SessionState s = state;
        if (s instanceof SessionState.Closing c) {
            return c.termination();
        }
        if (s instanceof SessionState.Closed c) {
            return c.termination();
        }
        return null;
    }

    // ---- counters (single writer: the event loop) -----------------------------------------

    private void bookIo(long nowNanos) {
        long bucket = nowNanos >>> 32;
        long latest = ioBucket;
        if (bucket > latest) {
            // the buckets passed since the latest event had none
            for (long b = Math.max(latest + 1, bucket - 7); b <= bucket; b++) {
                ioCounts[(int) (b & 7)] = 0;
            }
            ioBucket = bucket;
        } else if (latest - bucket > 7) {
            return; // a time older than the ring (callers pass a time taken a little earlier)
        }
        ioCounts[(int) (bucket & 7)]++;
    }

    /** I/O events of this session in the last 26 to 30 seconds (MaxScale's {@code io_activity}). */
    public int ioActivity() {
        long latest = ioBucket;
        int n = 0;
        for (long b = Math.max(latest - 7, (System.nanoTime() >>> 32) - 6); b <= latest; b++) {
            n += ioCounts[(int) (b & 7)];
        }
        return n;
    }

    public void recordClientRead(int bytes, long nowNanos) {
        bookIo(nowNanos);
        BYTES_FROM_CLIENT.setOpaque(this, (long) BYTES_FROM_CLIENT.getOpaque(this) + bytes);
        CLIENT_READS.setOpaque(this, (long) CLIENT_READS.getOpaque(this) + 1);
        LAST_CLIENT_ACTIVITY.setOpaque(this, nowNanos);
    }

    public void recordServerRead(int bytes, long nowNanos) {
        bookIo(nowNanos);
        BYTES_FROM_SERVER.setOpaque(this, (long) BYTES_FROM_SERVER.getOpaque(this) + bytes);
        SERVER_READS.setOpaque(this, (long) SERVER_READS.getOpaque(this) + 1);
        LAST_SERVER_ACTIVITY.setOpaque(this, nowNanos);
    }

    /** A write to the client completed. */
    public void recordClientWrite(long nowNanos) {
        bookIo(nowNanos);
        CLIENT_WRITES.setOpaque(this, (long) CLIENT_WRITES.getOpaque(this) + 1);
        LAST_CLIENT_ACTIVITY.setOpaque(this, nowNanos);
    }

    /** A write to the backend completed. */
    public void recordServerWrite(long nowNanos) {
        bookIo(nowNanos);
        SERVER_WRITES.setOpaque(this, (long) SERVER_WRITES.getOpaque(this) + 1);
        LAST_SERVER_ACTIVITY.setOpaque(this, nowNanos);
    }

    /** Bytes received from the client (request direction). */
    public long bytesFromClient() {
        return (long) BYTES_FROM_CLIENT.getOpaque(this);
    }

    /** Bytes received from the backend (response direction). */
    public long bytesFromServer() {
        return (long) BYTES_FROM_SERVER.getOpaque(this);
    }

    public long clientReads() {
        return (long) CLIENT_READS.getOpaque(this);
    }

    public long clientWrites() {
        return (long) CLIENT_WRITES.getOpaque(this);
    }

    public long serverReads() {
        return (long) SERVER_READS.getOpaque(this);
    }

    public long serverWrites() {
        return (long) SERVER_WRITES.getOpaque(this);
    }

    /** Every I/O event handled for this session (HAProxy's calls=). */
    public long ioEvents() {
        return clientReads() + clientWrites() + serverReads() + serverWrites();
    }

    public long lastClientActivityNanos() {
        return (long) LAST_CLIENT_ACTIVITY.getOpaque(this);
    }

    public long lastServerActivityNanos() {
        return (long) LAST_SERVER_ACTIVITY.getOpaque(this);
    }

    /** Protocol-specific details (MariaDB mode), null for plain TCP sessions. */
    public ProtocolDetails protocolDetails() {
        return protocolDetails;
    }

    public void setProtocolDetails(ProtocolDetails details) {
        this.protocolDetails = details;
    }

    // ---- per-session logging --------------------------------------------------------------

    /**
     * Log levels forced on for this session only (bits of {@link LogLevels}), whatever the global level:
     * its own ({@link #ownLogFlags()}, set by an operator) and those of the log selectors it matches.
     */
    public int logFlags() {
        return logFlags | selectorLogFlags;
    }

    /** The levels an operator set on this session (REST PATCH, {@code set session <id> log}). */
    public int ownLogFlags() {
        return logFlags;
    }

    /** Event loop only. */
    public void setLogFlags(int flags) {
        this.logFlags = flags;
    }

    /** The levels added by log selectors. */
    public int selectorLogFlags() {
        return selectorLogFlags;
    }

    /** Event loop only. */
    void setSelectorLogFlags(int flags) {
        this.selectorLogFlags = flags;
    }

    /**
     * The session's database user is now known ({@link ProtocolDetails#user()}): MariaDB mode calls this
     * after authentication so that user log selectors apply. Event loop only.
     */
    public void authenticated() {
        registry.logSelectors().authenticated(this);
    }

    /** The session's last log lines, when session tracing is on (created on first use: most sessions never trace). */
    public SessionTrace trace() {
        SessionTrace t = trace;
        if (t == null) {
            synchronized (this) {
                t = trace;
                if (t == null) {
                    t = new SessionTrace();
                    trace = t;
                }
            }
        }
        return t;
    }

    // ---- profiling (HAProxy's cpu=) ---------------------------------------------------------

    /** Time spent in this session's I/O callbacks while profiling was on, in nanoseconds. */
    public long cpuNanos() {
        return (long) CPU_NANOS.getOpaque(this);
    }

    /** Data plane only: adds handler time measured while {@link Profiling#enabled()}. */
    public void recordCpu(long nanos) {
        CPU_NANOS.setOpaque(this, (long) CPU_NANOS.getOpaque(this) + nanos);
    }

    // ---- timers ---------------------------------------------------------------------------

    /** Timers in force right now, with the System.nanoTime() at which each expires. */
    public Timers timers() {
        long none = Timers.NEVER;
        SessionState s = state;
        if (service == null) {
            long cli = frontend.idleTimeoutNanos();
            return new Timers(cli > 0 ? lastClientActivityNanos() + cli : none, none, none, none);
        }
        ServiceSettings settings = serviceSettings();
        long clientTo = settings.clientTimeoutNanos();
        long serverTo = settings.serverTimeoutNanos();
        long client = clientTo > 0 ? lastClientActivityNanos() + clientTo : none;
        long serverIdle = none;
        long connect = none;
        long queue = none;
        if (s instanceof SessionState.Established) {
            serverIdle = serverTo > 0 ? lastServerActivityNanos() + serverTo : none;
        } else if (s instanceof SessionState.Connecting c) {
            connect = c.sinceNanos() + settings.connectTimeoutNanos();
        } else if (s instanceof SessionState.Authenticating) {
            // client idle timer as set above
        } else if (s instanceof SessionState.Queued q) {
            queue = q.sinceNanos() + settings.queueTimeoutNanos();
        } else {
            client = none;
        }
        return new Timers(client, serverIdle, connect, queue);
    }

    /** Absolute expiries (System.nanoTime()), {@link #NEVER} when a timer is not armed. */
    public record Timers(long clientIdle, long serverIdle, long connect, long queue) {
        public static final long NEVER = Long.MAX_VALUE;

        /** The earliest armed timer, or NEVER. */
        public long next() {
            return Math.min(Math.min(clientIdle, serverIdle), Math.min(connect, queue));
        }
    }

    // ---- control (any thread) -------------------------------------------------------------

    /** Runs {@code task} on the session's event loop. */
    public void execute(Runnable task) {
        if (io.inExecutor()) {
            task.run();
        } else {
            io.executor().execute(task);
        }
    }

    /**
     * Closes the session from any thread. The future completes once both sides are closed and the
     * session has left the registry, so admin commands can answer after the fact, not before.
     */
    public CompletableFuture<Termination> kill(Termination why) {
        return kill(why, null);
    }

    /**
     * {@link #kill(Termination)} telling the client {@code reason} where the protocol can (MariaDB mode:
     * ERR 1927 {@code Connection was killed: reason}, as a ttl kill does); null: no reason given.
     */
    public CompletableFuture<Termination> kill(Termination why, String reason) {
        killRequest = why;
        execute(() -> {
            if (why.cause() == Termination.Cause.KILLED && io instanceof LiveSession live) {
                live.kill(why, reason);
            } else {
                io.terminate(why);
            }
        });
        return closed;
    }

    /** Completes with the termination when the session is fully closed. */
    public CompletableFuture<Termination> closedFuture() {
        return closed;
    }

    /** Called by the data plane's closing path once every connection of the session is closed. */
    public void markClosed() {
        Termination t = termination();
        if (t == null) {
            t = killRequest != null ? killRequest : Termination.of(Termination.Cause.CLIENT_CLOSE);
        }
        state = new SessionState.Closed(t);
        SessionControl c = control;
        if (c != null) {
            c.sessionClosed();
        }
        registry.remove(this, t);
        closed.complete(t);
    }

    @Override
    public String toString() {
        return "Session[" + id + " " + frontend.name() + "]";
    }
}
