package dev.patchbay.filter;

import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.FilterDef;
import dev.patchbay.core.Session;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One configured filter ({@code type=filter} section) with its module's running state (a capture's
 * writer thread). A change at run time creates a new instance; sessions that use the old one keep
 * it, and it is closed once it is {@link #retire() retired} and its last filter session has closed.
 */
public abstract class Filter implements FilterDef {
    private final PatchbayConfig.FilterConfig config;
    private final AtomicInteger users = new AtomicInteger();
    private volatile boolean retired;
    private volatile boolean closed;

    protected Filter(PatchbayConfig.FilterConfig config) {
        this.config = config;
    }

    /** The module's instance for a filter section. */
    public static Filter create(PatchbayConfig.FilterConfig c) {
        PatchbayConfig.FilterSettings s = c.settings();
        if (s instanceof PatchbayConfig.CaptureSettings cs) {
            return new CaptureFilter(c, cs);
        }
        if (s instanceof PatchbayConfig.QlaSettings qs) {
            return new QlaFilter(c, qs);
        }
        if (s instanceof PatchbayConfig.RegexSettings rs) {
            return new RegexFilter(c, rs);
        }
        if (s instanceof PatchbayConfig.ThrottleSettings ts) {
            return new ThrottleFilter(c, ts);
        }
        if (s instanceof PatchbayConfig.TopSettings ts) {
            return new TopFilter(c, ts);
        }
        throw new IllegalArgumentException("no implementation for filter module " + c.module());
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public String module() {
        return config.module();
    }

    public PatchbayConfig.FilterConfig config() {
        return config;
    }

    /** The module's parameters as the REST API shows them ({@code parameters}). */
    public abstract Map<String, Object> parameters();

    /** What the module has done so far ({@code filter_diagnostics}). */
    public abstract Map<String, Object> diagnostics();

    /** Whether the module filters sessions of this listener protocol ({@code tcp}, {@code mariadb}). */
    public abstract boolean supports(String protocol);

    /**
     * A filter session for a TCP session, for a chain used from the start (service filters): must not
     * block; a failure to start (a file that cannot be created) is logged and counted by the module.
     */
    public final TcpFilterSession newTcpSession(Session s) {
        users.incrementAndGet();
        return wrap(openTcp(s, null));
    }

    /**
     * A filter session that is reported started only once the module could really start it (a session
     * PATCH reports the failure to the caller). Completes exceptionally with the reason.
     */
    public final CompletableFuture<TcpFilterSession> startTcpSession(Session s) {
        users.incrementAndGet();
        CompletableFuture<Void> started = new CompletableFuture<>();
        TcpFilterSession fs = wrap(openTcp(s, started));
        return whenStarted(started, fs, fs::close);
    }

    /** {@code fs} once {@code started} completes; if it fails, {@code fs} is closed and the failure passed on. */
    private static <T> CompletableFuture<T> whenStarted(CompletableFuture<Void> started, T fs, Runnable close) {
        return started.handle((v, err) -> {
            if (err != null) {
                close.run();
                throw new java.util.concurrent.CompletionException(err);
            }
            return fs;
        });
    }

    /**
     * The module's filter session. {@code started}, when not null, is completed once the session's
     * resources are ready (or failed); the module completes it off the event loop if it has to wait.
     */
    protected TcpFilterSession openTcp(Session s, CompletableFuture<Void> started) {
        throw new IllegalStateException("module " + module() + " does not filter TCP sessions");
    }

    /** A statement filter session for a MariaDB session's service chain; as {@link #newTcpSession}. */
    public final StatementFilterSession newStatementSession(Session s) {
        users.incrementAndGet();
        return wrap(openStatement(s, null));
    }

    /** A statement filter session reported started only once the module could start it; as {@link #startTcpSession}. */
    public final CompletableFuture<StatementFilterSession> startStatementSession(Session s) {
        users.incrementAndGet();
        CompletableFuture<Void> started = new CompletableFuture<>();
        StatementFilterSession fs = wrap(openStatement(s, started));
        return whenStarted(started, fs, fs::close);
    }

    /**
     * The module's statement filter session (MariaDB sessions); {@code started} as for
     * {@link #openTcp}. Only called for modules whose {@link #supports} names {@code mariadb}.
     */
    protected StatementFilterSession openStatement(Session s, CompletableFuture<Void> started) {
        throw new IllegalStateException("module " + module() + " does not filter MariaDB sessions");
    }

    private StatementFilterSession wrap(StatementFilterSession inner) {
        return new StatementFilterSession() {
            private boolean done;

            @Override
            public Verdict onStatement(Statement statement) {
                return inner.onStatement(statement);
            }

            @Override
            public void onResponse(Statement statement, boolean ok, long durationNanos) {
                inner.onResponse(statement, ok, durationNanos);
            }

            @Override
            public Filter filter() {
                return Filter.this;
            }

            @Override
            public void close() {
                if (done) {
                    return;
                }
                done = true;
                inner.close();
                released();
            }
        };
    }

    private void released() {
        if (users.decrementAndGet() == 0 && retired) {
            closeOnce();
        }
    }

    private TcpFilterSession wrap(TcpFilterSession inner) {
        return new TcpFilterSession() {
            private boolean done;

            @Override
            public io.netty.buffer.ByteBuf fromClient(io.netty.buffer.ByteBuf buf) {
                return inner.fromClient(buf);
            }

            @Override
            public io.netty.buffer.ByteBuf fromServer(io.netty.buffer.ByteBuf buf) {
                return inner.fromServer(buf);
            }

            @Override
            public Filter filter() {
                return Filter.this;
            }

            @Override
            public void close() {
                if (done) {
                    return;
                }
                done = true;
                inner.close();
                released();
            }
        };
    }

    /** Filter sessions open now. */
    public int users() {
        return users.get();
    }

    /** Replaced or destroyed at run time: no new sessions; closes once its sessions are gone. */
    public void retire() {
        retired = true;
        if (users.get() == 0) {
            closeOnce();
        }
    }

    public boolean retired() {
        return retired;
    }

    private synchronized void closeOnce() {
        if (!closed) {
            closed = true;
            close();
        }
    }

    /** Releases the module's resources (threads, files). */
    protected abstract void close();

    @Override
    public String toString() {
        return name();
    }
}
