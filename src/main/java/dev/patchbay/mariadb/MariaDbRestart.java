package dev.patchbay.mariadb;

import dev.patchbay.core.Server;
import dev.patchbay.core.Service;
import dev.patchbay.logging.SessionLog;
import dev.patchbay.mariadb.protocol.Commands;
import dev.patchbay.mariadb.protocol.InitialHandshake;
import dev.patchbay.mariadb.protocol.PacketDecoder;
import dev.patchbay.mariadb.protocol.Packets;
import dev.patchbay.mariadb.protocol.ProtocolException;
import dev.patchbay.mariadb.protocol.ResponseTracker;
import dev.patchbay.net.ProxiedSession;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Restart of a MariaDB session (docs/live-control.md): at an idle moment outside a transaction, a new
 * backend connection is made from the service's current configuration next to the old one, logged in
 * as the session's user with its current database and collation, and brought to the session's state
 * by replaying the session-command history; each reply must have the recorded outcome (OK or ERR),
 * else the restart fails as MaxScale's does ("Response from server … differs from the expected
 * response"). Prepared statements get new ids on the new server; the session maps the ids its client
 * knows to them from then on. Only when all of that succeeded, and the session is idle outside a
 * transaction again, does the new connection replace the old one; otherwise the old one stays.
 *
 * <p>The client is never held: it goes on using the old connection meanwhile. If it changes its
 * session state during the replay, the new connection no longer matches and the replay starts again
 * on a fresh connection (at most {@link #MAX_ROUNDS} times).
 */
final class MariaDbRestart {
    /** How long a ready new connection waits for an idle moment before the restart gives up. */
    static final long SWAP_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final int MAX_ROUNDS = 3;

    private final MariaDbSession owner;
    private Service.Snapshot target;
    private Consumer<String> done;
    private final List<Server> failed = new ArrayList<>(2);
    private int rounds;

    private Channel candidate;
    private Server candidateServer;
    private BackendLogin login;
    private InitialHandshake handshake;
    private int status;
    private String cipher;

    private List<SessionHistory.Entry> replay;
    private int replayIndex;
    private long replayVersion;
    private ResponseTracker tracker;
    private long preparedId = -1;
    private String lastError;
    private final Map<Long, Long> statementIds = new HashMap<>();

    private long readyAt;
    private ScheduledFuture<?> swapTimer;

    MariaDbRestart(MariaDbSession owner) {
        this.owner = owner;
    }

    boolean running() {
        return done != null;
    }

    boolean owns(Channel ch) {
        return ch == candidate;
    }

    void start(Service.Snapshot snapshot, Consumer<String> whenDone) {
        target = snapshot;
        done = whenDone;
        failed.clear();
        rounds = 0;
        connect(0);
    }

    // ---- connecting and logging in ------------------------------------------------------------

    private void connect(int attempt) {
        Service service = owner.service();
        Channel client = owner.client();
        Server server = service.acquireServer(owner.session().clientAddress(), failed);
        if (server == null) {
            finish(service.hasNoUsableServer() ? "no server of service " + service.name() + " is up"
                    : "every server of service " + service.name() + " is at max_connections");
            return;
        }
        SessionLog.info(owner.session(), "Restart: connecting to server {} ({}), attempt {}", server.name(),
                server.address(), attempt + 1);
        if (server.address().isUnresolved()) {
            connectFailed(server, attempt, "address " + server.host() + " does not resolve");
            return;
        }
        ChannelFuture f = owner.patchbay().transport().connect(client.eventLoop(), server.address(),
                target.settings().connectTimeoutNanos(), new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(PacketDecoder.NAME, PacketDecoder.batching());
                        ch.pipeline().addLast(MariaDbRelayHandler.NAME, new MariaDbRelayHandler(owner, false));
                    }
                }, owner.proxyHeaderFor(server));
        candidate = f.channel();
        candidateServer = server;
        f.addListener((ChannelFutureListener) future -> {
            if (candidate != future.channel()) {
                return; // given up meanwhile
            }
            if (!future.isSuccess()) {
                candidate = null;
                candidateServer = null;
                connectFailed(server, attempt, ProxiedSession.describe(future.cause()));
                return;
            }
            login = new BackendLogin(candidate, server, owner.credentials(), server.ssl() ? BackendTls.context(server) : null,
                    new BackendLogin.Listener() {
                        @Override
                        public void loggedIn(InitialHandshake hs, int st, String c) {
                            login = null;
                            handshake = hs;
                            status = st;
                            cipher = c;
                            SessionLog.info(owner.session(), "Restart: logged into server {} (thread id {}), replaying {}",
                                    server.name(), hs.connectionId(), owner.history().size() + " session command(s)");
                            startReplay();
                        }

                        @Override
                        public void failed(String reason, ByteBuf err) {
                            login = null;
                            if (err != null) {
                                err.release();
                            }
                            abandon("server " + server.name() + ": login failed: " + reason);
                        }
                    });
            candidate.config().setAutoRead(true);
        });
    }

    private void connectFailed(Server server, int attempt, String why) {
        server.recordConnectFailure();
        server.release();
        owner.service().serverSlotFreed();
        failed.add(server);
        SessionLog.info(owner.session(), "Restart: connect to server {} failed: {}", server.name(), why);
        if (owner.closing()) {
            finish("the session closed");
        } else if (attempt < target.settings().retries()) {
            connect(attempt + 1);
        } else {
            finish("server " + server.name() + ": " + why);
        }
    }

    // ---- replay -------------------------------------------------------------------------------

    private void startReplay() {
        SessionHistory h = owner.history();
        replay = h.snapshot();
        replayVersion = h.version();
        replayIndex = 0;
        statementIds.clear();
        tracker = new ResponseTracker(owner.deprecateEof());
        tracker.status(status);
        sendNext();
    }

    private void sendNext() {
        while (replayIndex < replay.size() && replay.get(replayIndex).ok == null) {
            replayIndex++; // still in flight on the old connection: the version check catches it
        }
        if (replayIndex == replay.size()) {
            replayed();
            return;
        }
        SessionHistory.Entry e = replay.get(replayIndex);
        ResponseTracker.Shape shape = ResponseTracker.Shape.of(e.command);
        tracker.begin(shape);
        preparedId = -1;
        lastError = null;
        candidate.writeAndFlush(Packets.encode(candidate.alloc(), 0, Unpooled.wrappedBuffer(e.payload)));
    }

    /** A frame from the new connection. */
    void onFrame(ByteBuf frame) {
        if (login != null) {
            login.onFrame(frame);
            return;
        }
        if (replay == null || replayIndex >= replay.size() || !tracker.busy()) {
            int n = frame.readableBytes();
            frame.release();
            abandon("server " + candidateServer.name() + " sent " + n + " unexpected bytes during the replay");
            return;
        }
        boolean complete;
        try {
            SessionHistory.Entry e = replay.get(replayIndex);
            int first = Packets.firstByte(frame);
            if (e.command == Commands.COM_STMT_PREPARE && preparedId < 0 && first == Packets.OK
                    && Packets.payloadLength(frame) >= 5) {
                preparedId = frame.getUnsignedIntLE(frame.readerIndex() + Packets.HEADER + 1);
            } else if (first == Packets.ERR && lastError == null) {
                ByteBuf p = Packets.payload(frame);
                lastError = "ERR " + Packets.errCode(p) + " " + Packets.errMessage(p);
            }
            complete = tracker.onFrame(frame);
        } catch (ProtocolException ex) {
            abandon("server " + candidateServer.name() + " sent a bad packet during the replay: " + ex.getMessage());
            return;
        } finally {
            frame.release();
        }
        if (complete) {
            replyComplete();
        }
    }

    private void replyComplete() {
        SessionHistory.Entry e = replay.get(replayIndex);
        boolean ok = !tracker.lastWasError();
        if (ok != e.ok) {
            abandon("Response from server '" + candidateServer.name() + "' differs from the expected response to "
                    + describe(e) + ": expected " + (e.ok ? "OK" : "an error") + ", got " + (ok ? "OK" : lastError));
            return;
        }
        if (ok && e.command == Commands.COM_STMT_PREPARE && e.statementId >= 0) {
            statementIds.put(e.statementId, preparedId);
        }
        replayIndex++;
        sendNext();
    }

    private void replayed() {
        readyAt = System.nanoTime();
        trySwap();
    }

    /** Called by the session when a response ended: swap now if the session is idle. */
    void sessionIdle() {
        if (replay != null && replayIndex == replay.size() && candidate != null && swapTimer != null) {
            swapTimer.cancel(false);
            trySwap();
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
        if (owner.history().version() != replayVersion) {
            if (++rounds >= MAX_ROUNDS) {
                abandon("the session's state changed during each of " + MAX_ROUNDS + " replays");
                return;
            }
            SessionLog.info(owner.session(), "Restart: the session's state changed during the replay; replaying again");
            dropCandidate();
            connect(0);
            return;
        }
        long now = System.nanoTime();
        if (owner.idleSinceNanos() >= 0 && !owner.inTransaction()) {
            swap();
            return;
        }
        if (now - readyAt > SWAP_WAIT_NANOS) {
            abandon("the session was not idle outside a transaction within "
                    + TimeUnit.NANOSECONDS.toSeconds(SWAP_WAIT_NANOS) + " s after the new connection was ready");
            return;
        }
        swapTimer = owner.client().eventLoop().schedule(this::trySwap, POLL_NANOS, TimeUnit.NANOSECONDS);
    }

    private void swap() {
        Channel ch = candidate;
        Server server = candidateServer;
        candidate = null;
        candidateServer = null;
        owner.swapBackend(ch, server, handshake, tracker.status(), cipher, new HashMap<>(statementIds));
        owner.replaceServiceFilters(target);
        finish(null);
    }

    // ---- giving up ----------------------------------------------------------------------------

    private void dropCandidate() {
        Channel ch = candidate;
        Server server = candidateServer;
        candidate = null;
        candidateServer = null;
        login = null;
        replay = null;
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
    }

    private void abandon(String why) {
        dropCandidate();
        finish(why);
    }

    private void finish(String error) {
        Consumer<String> d = done;
        done = null;
        target = null;
        replay = null;
        if (d != null) {
            d.accept(error);
        }
    }

    /** The session is closing: a new connection being prepared is dropped. */
    void sessionClosing() {
        if (candidate != null || done != null) {
            abandon("the session closed");
        }
    }

    /** The new connection closed or failed before it was used. */
    void candidateGone(String why) {
        if (candidate != null) {
            abandon("server " + candidateServer.name() + " closed the new connection before it was used: " + why);
        }
    }

    void candidateTls(boolean success, Throwable cause, String negotiated) {
        if (login != null) {
            login.onTls(success, cause, negotiated);
        }
    }

    private static String describe(SessionHistory.Entry e) {
        String name = Commands.name(e.command);
        if (e.command == Commands.COM_QUERY || e.command == Commands.COM_STMT_PREPARE || e.command == Commands.COM_INIT_DB) {
            String text = new String(e.payload, 1, Math.min(e.payload.length - 1, 80), java.nio.charset.StandardCharsets.UTF_8);
            return name + " '" + text + (e.payload.length > 81 ? "…" : "") + "'";
        }
        return name;
    }
}
