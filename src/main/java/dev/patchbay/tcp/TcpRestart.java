package dev.patchbay.tcp;

import dev.patchbay.core.FilterDef;
import dev.patchbay.core.LiveSession;
import dev.patchbay.core.Server;
import dev.patchbay.core.Service;
import dev.patchbay.core.Session;
import dev.patchbay.filter.Filter;
import dev.patchbay.filter.TcpFilterChain;
import dev.patchbay.filter.TcpFilterSession;
import dev.patchbay.logging.SessionLog;
import dev.patchbay.net.ProxiedSession;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Restart of a TCP session: at an idle moment the session opens a new backend connection from the
 * service's current configuration, on its own loop, next to the old one. Once it is connected and the
 * session is (still, or again) idle, the new connection takes the old one's place and the old one is
 * closed; if it cannot connect, or the session does not become idle within {@link #SWAP_WAIT_NANOS},
 * the new connection is dropped and the session keeps the old one. The backend sees a new connection.
 *
 * <p>Bytes the old backend sends after the swap are dropped (logged): the session was idle for the
 * quiet interval, so a TCP protocol whose server speaks only in answer to the client never sends any.
 * The new backend is not read until the swap, so a greeting it sends reaches the client after the swap.
 */
final class TcpRestart {
    /** How long a connected new backend waits for an idle moment before the restart gives up. */
    static final long SWAP_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final TcpSession owner;
    private Channel candidate;
    private Server candidateServer;
    private Service.Snapshot target;
    private Consumer<String> done;
    private final List<Server> failed = new ArrayList<>(2);
    private long connectedAt;
    private ScheduledFuture<?> swapTimer;

    TcpRestart(TcpSession owner) {
        this.owner = owner;
    }

    void restart(Service.Snapshot snapshot, Consumer<String> whenDone) {
        Session session = owner.session();
        if (owner.closing()) {
            whenDone.accept("the session is closing");
            return;
        }
        if (candidate != null) {
            whenDone.accept("a restart is already connecting");
            return;
        }
        if (!owner.established()) {
            // Not connected yet: its connection will be made from the current servers anyway.
            replaceServiceFilters(snapshot);
            whenDone.accept(null);
            return;
        }
        int shut = Session.CLIENT_INPUT_SHUT | Session.CLIENT_OUTPUT_SHUT | Session.SERVER_INPUT_SHUT
                | Session.SERVER_OUTPUT_SHUT;
        if ((session.flags() & shut) != 0) {
            whenDone.accept("the session is half-closed");
            return;
        }
        target = snapshot;
        done = whenDone;
        failed.clear();
        // The new backend is read in user space, and no queued splice task may run into the old one.
        owner.leaveSpliceMode("restart");
        connect(0);
    }

    private void connect(int attempt) {
        Session session = owner.session();
        Service service = owner.service();
        Channel client = owner.client();
        Server server = service.acquireServer(owner.session().clientAddress(), failed);
        if (server == null) {
            finish(service.hasNoUsableServer() ? "no server of service " + service.name() + " is up"
                    : "every server of service " + service.name() + " is at max_connections");
            return;
        }
        SessionLog.info(session, "Restart: connecting to server {} ({}), attempt {}", server.name(), server.address(),
                attempt + 1);
        if (server.address().isUnresolved()) {
            connectFailed(server, attempt, new IOException("address " + server.host() + " does not resolve"));
            return;
        }
        ChannelFuture f = owner.patchbay().transport().connect(client.eventLoop(), server.address(),
                target.settings().connectTimeoutNanos(), new TcpRelayHandler(owner, false), owner.proxyHeaderFor(server));
        candidate = f.channel();
        candidateServer = server;
        f.addListener((ChannelFutureListener) future -> {
            if (candidate != future.channel()) {
                return; // given up meanwhile (the session closed)
            }
            if (future.isSuccess()) {
                connectedAt = System.nanoTime();
                SessionLog.info(session, "Restart: connected to server {} from {}", server.name(),
                        future.channel().localAddress());
                trySwap();
            } else {
                candidate = null;
                candidateServer = null;
                connectFailed(server, attempt, future.cause());
            }
        });
    }

    private void connectFailed(Server server, int attempt, Throwable cause) {
        server.recordConnectFailure();
        server.release();
        owner.service().serverSlotFreed();
        failed.add(server);
        String why = ProxiedSession.describe(cause);
        SessionLog.info(owner.session(), "Restart: connect to server {} failed: {}", server.name(), why);
        if (owner.closing()) {
            finish("the session closed");
        } else if (attempt < target.settings().retries()) {
            connect(attempt + 1);
        } else {
            finish("server " + server.name() + ": " + why);
        }
    }

    private void trySwap() {
        swapTimer = null;
        if (candidate == null) {
            return;
        }
        if (owner.closing()) {
            abandon("the session closed");
            return;
        }
        long now = System.nanoTime();
        long since = owner.idleSinceNanos();
        long quiet = owner.quietNanos();
        if (since >= 0 && now - since >= quiet) {
            swap();
            return;
        }
        if (now - connectedAt > SWAP_WAIT_NANOS) {
            abandon("the session was not idle again within " + TimeUnit.NANOSECONDS.toSeconds(SWAP_WAIT_NANOS)
                    + " s after the new connection was made");
            return;
        }
        long at = since >= 0 ? since + quiet : now + POLL_NANOS;
        swapTimer = owner.client().eventLoop().schedule(this::trySwap, Math.max(0, at - now), TimeUnit.NANOSECONDS);
    }

    private void swap() {
        Channel ch = candidate;
        Server server = candidateServer;
        candidate = null;
        candidateServer = null;
        Channel old = owner.swapBackend(ch, server);
        SessionLog.info(owner.session(), "Restart: now on server {} ({}); closed the connection from {}", server.name(),
                ch.remoteAddress(), old.localAddress());
        replaceServiceFilters(target);
        finish(null);
    }

    private void replaceServiceFilters(Service.Snapshot snapshot) {
        TcpFilterChain chain = owner.filters();
        if (chain != null) {
            chain.replaceServicePart(owner.session(), snapshot.filters());
        } else if (!snapshot.filters().isEmpty()) {
            owner.setFilters(TcpFilterChain.forService(owner.session(), snapshot.filters()));
        }
    }

    private void abandon(String why) {
        Channel ch = candidate;
        Server server = candidateServer;
        candidate = null;
        candidateServer = null;
        if (swapTimer != null) {
            swapTimer.cancel(false);
            swapTimer = null;
        }
        if (ch != null) {
            ch.close();
        }
        if (server != null) {
            server.release();
            owner.service().serverSlotFreed();
        }
        finish(why);
    }

    private void finish(String error) {
        Consumer<String> d = done;
        done = null;
        target = null;
        if (d != null) {
            d.accept(error);
        }
    }

    /** The session is closing: a new backend being connected is dropped. */
    void sessionClosing() {
        if (candidate != null || done != null) {
            abandon("the session closed");
        }
    }

    void otherBackendRead(Channel ch, ByteBuf buf) {
        int n = buf.readableBytes();
        buf.release();
        SessionLog.info(owner.session(), "Restart: dropped {} bytes from the replaced backend connection {}", n,
                ch.localAddress());
    }

    void otherBackendInactive(Channel ch) {
        if (ch == candidate) {
            abandon("server " + candidateServer.name() + " closed the new connection before it was used");
        }
    }

    // ---- session-level filters -----------------------------------------------------------------

    /** Prepared filter sessions of a TCP session. */
    private record Prepared(List<FilterDef> filters, List<TcpFilterSession> sessions)
            implements LiveSession.PreparedFilters {
        @Override
        public void discard() {
            sessions.forEach(TcpFilterSession::close);
        }
    }

    static List<TcpFilterSession> sessionsOf(LiveSession.PreparedFilters chain) {
        return ((Prepared) chain).sessions();
    }

    /** Starts a filter session per filter; if one cannot start, the others are closed and the first reason is given. */
    static CompletionStage<LiveSession.PreparedFilters> prepareFilters(Session session, List<FilterDef> defs) {
        List<CompletableFuture<TcpFilterSession>> starts = new ArrayList<>();
        for (FilterDef d : defs) {
            if (!(d instanceof Filter f) || !f.supports("tcp")) {
                starts.forEach(s -> s.thenAccept(TcpFilterSession::close));
                return CompletableFuture.failedFuture(new IllegalArgumentException("Failed to create filter session for '"
                        + d.name() + "': module " + d.module() + " does not work with TCP sessions"));
            }
            starts.add(f.startTcpSession(session));
        }
        return CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).handle((v, err) -> {
            List<TcpFilterSession> ok = new ArrayList<>();
            for (CompletableFuture<TcpFilterSession> s : starts) {
                if (!s.isCompletedExceptionally()) {
                    ok.add(s.join());
                }
            }
            if (err != null) {
                ok.forEach(TcpFilterSession::close);
                Throwable c = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                throw new CompletionException(c);
            }
            return new Prepared(List.copyOf(defs), ok);
        });
    }
}
