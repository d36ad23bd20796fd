package dev.patchbay.mariadb;

import dev.patchbay.Patchbay;
import dev.patchbay.core.FilterDef;
import dev.patchbay.core.Frontend;
import dev.patchbay.core.LiveSession;
import dev.patchbay.core.ProtocolDetails;
import dev.patchbay.core.Server;
import dev.patchbay.core.Service;
import dev.patchbay.core.SessionControl;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionState;
import dev.patchbay.core.Termination;
import dev.patchbay.core.Termination.Cause;
import dev.patchbay.filter.Statement;
import dev.patchbay.filter.StatementFilterSession;
import dev.patchbay.filter.Verdict;
import dev.patchbay.logging.AccessLog;
import dev.patchbay.logging.SessionLog;
import dev.patchbay.mariadb.auth.Account;
import dev.patchbay.mariadb.auth.UserAccounts;
import dev.patchbay.mariadb.protocol.Capabilities;
import dev.patchbay.mariadb.protocol.ChangeUser;
import dev.patchbay.mariadb.protocol.Commands;
import dev.patchbay.mariadb.protocol.HandshakeResponse;
import dev.patchbay.mariadb.protocol.InitialHandshake;
import dev.patchbay.mariadb.protocol.NativePassword;
import dev.patchbay.mariadb.protocol.PacketDecoder;
import dev.patchbay.mariadb.protocol.Packets;
import dev.patchbay.mariadb.protocol.ProtocolException;
import dev.patchbay.mariadb.protocol.ResponseTracker;
import dev.patchbay.mariadb.protocol.ServerStatus;
import dev.patchbay.net.ProxiedSession;
import dev.patchbay.net.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One MariaDB-mode session: Patchbay greets and authenticates the client itself, then connects a
 * backend (admission, retries and timers are {@link ProxiedSession}'s), logs into it as the client's
 * user with the recovered SHA1(password), and relays commands and responses byte for byte while a
 * {@link ResponseTracker} pairs responses with requests. KILL and COM_CHANGE_USER are handled by
 * Patchbay. Every method runs on the client's event loop; {@link #terminate} is the one closing path.
 */
final class MariaDbSession extends ProxiedSession implements LiveSession {
    /** MariaDB's connect_timeout default: the login must be done within it. */
    static final long AUTH_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** What an unauthenticated client may make Patchbay buffer in one packet. */
    private static final int LOGIN_MAX_PAYLOAD = 128 * 1024;
    /** Frames per composite write (below IOV_MAX, and CompositeByteBuf never consolidates under it). */
    private static final int RELAY_COMPONENTS = 256;

    /** Where the client connection is; transitions are explicit assignments to {@link #phase}. */
    sealed interface Phase {
        /** Handshake sent; waiting for the SSLRequest or HandshakeResponse with sequence {@code seq}. */
        record Greeting(int seq) implements Phase {}

        /** SSLRequest received; the TLS handshake runs. */
        record Tls() implements Phase {}

        /** AuthSwitchRequest sent for a login or change user; the client's token comes with {@code seq}. */
        record AuthSwitch(Login login, int seq) implements Phase {}

        /** Waiting for the accounts to be (re)loaded before deciding. */
        record Verifying() implements Phase {}

        /** Authenticated; choosing, connecting and logging into a server. The client's OK will carry {@code seq}. */
        record Routing(int seq) implements Phase {}

        /** Command phase: frames are relayed. */
        record Ready() implements Phase {}

        /** A KILL or COM_CHANGE_USER is being carried out; client input waits. */
        record Local(String what) implements Phase {}

        /** Closing. */
        record Done() implements Phase {}
    }

    /** A login attempt (handshake response or change user) being verified. */
    record Login(String user, byte[] token, String database, int collation, Map<String, String> attributes,
                 boolean changeUser, int replySeq, boolean retried) {
        Login withToken(byte[] t, int seq) {
            return new Login(user, t, database, collation, attributes, changeUser, seq, retried);
        }

        Login retry() {
            return new Login(user, token, database, collation, attributes, changeUser, replySeq, true);
        }
    }

    /** A command sent to the backend whose response has not completed. */
    private static final class InFlight {
        final int command;
        final ResponseTracker.Shape shape;
        final long startNanos;
        final SessionHistory.Entry history;
        final String database;
        ProtocolDetails.Statement statement;
        boolean started;
        /** CREATE TEMPORARY / DROP TABLE: the statement, to apply to the temporary tables on OK. */
        String tableChange;
        /** What each statement filter saw (null without filters), for their onResponse. */
        Statement[] filtered;
        StatementFilterSession[] filterChain;

        InFlight(int command, ResponseTracker.Shape shape, long startNanos, SessionHistory.Entry history, String database) {
            this.command = command;
            this.shape = shape;
            this.startNanos = startNanos;
            this.history = history;
            this.database = database;
        }
    }

    private final MariaDbService mdb;
    private final SslContext tls;
    private final MariaDbDetails details;
    private final SessionHistory history;
    private final byte[] scramble = NativePassword.newScramble();
    private Phase phase;
    private PacketDecoder clientDecoder;

    private int serverCaps;
    private int clientCaps;
    private int collation;
    private String user;
    private byte[] sha1Password;
    private String database;
    private Map<String, String> attributes;

    private Channel backendChannel;
    private BackendLogin login;
    private InitialHandshake backendHandshake;
    private byte[] backendScramble;
    private String backendCipher = "";
    private ResponseTracker tracker;
    private final ArrayDeque<InFlight> pending = new ArrayDeque<>();
    private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
    private long heldBytes;
    private boolean clientContinuation;
    /** Server frames of the current read burst, not yet written to the client (see {@link #relayToClient}). */
    private ByteBuf toClient;
    private io.netty.buffer.CompositeByteBuf toClientMany;
    private boolean flushClient;
    private boolean flushBackend;
    private boolean clientErrorSent;
    /**
     * Another session's {@code KILL CONNECTION} of this one is at the server (set on this loop by the killer):
     * the end of the backend connection that follows is that kill.
     */
    private Termination expectedKill;
    private int channelsOpen;
    private boolean draining;
    private Login changeUser;
    private final List<SideQuery> sideQueries = new ArrayList<>(1);

    // Live control (LiveSession).
    /** When the last response ended (System.nanoTime()), for idle detection. */
    private long idleSince;
    private MariaDbRestart restart;
    /** After a restart: the statement ids the client knows → the backend's ids; null before any. */
    private Map<Long, Long> statementIds;
    private long nextStatementId;
    /** Temporary tables the session created (lower case); null when none ever were. */
    private Set<String> tempTables;
    private StatementFilters filters;
    /** A statement a filter delayed: where its pass through the chain resumes. */
    private FilterPass delayed;
    private io.netty.util.concurrent.ScheduledFuture<?> delayTimer;

    /** A statement's way through the statement filters. */
    private static final class FilterPass {
        final Statement[] seen;
        int next;
        Statement current;

        FilterPass(int n, Statement s) {
            seen = new Statement[n];
            current = s;
        }
    }

    MariaDbSession(Patchbay patchbay, Frontend frontend, int threadIndex, MariaDbService mdb, SslContext tls) {
        super(patchbay, frontend, threadIndex);
        this.mdb = mdb;
        this.tls = tls;
        this.details = new MariaDbDetails(mdb.retainLastStatements());
        this.history = new SessionHistory(mdb.settings().maxSescmdHistory());
    }

    // ---- accept and greeting ------------------------------------------------------------------

    void clientActive(Channel ch, PacketDecoder decoder) {
        clientDecoder = decoder;
        decoder.maxPayload(LOGIN_MAX_PAYLOAD);
        openSession(ch, new SessionState.Authenticating(System.nanoTime()));
        session.setProtocolDetails(details);
        if (!session.config().filters().isEmpty()) {
            filters = new StatementFilters();
            filters.replaceServicePart(session, session.config().filters());
        }
        SessionLog.info(session, "Accepted {} on listener {}", ch.remoteAddress(), frontend.name());
        if (patchbay.isStopping()) {
            terminate(Termination.of(Cause.SHUTDOWN));
            return;
        }
        serverCaps = Capabilities.ADVERTISED | (tls != null ? Capabilities.SSL : 0);
        InitialHandshake hs = new InitialHandshake(mdb.versionString(), session.id() & 0xFFFFFFFFL, scramble,
                serverCaps, 0, 45, ServerStatus.AUTOCOMMIT, InitialHandshake.NATIVE_PASSWORD);
        phase = new Phase.Greeting(1);
        client.writeAndFlush(hs.encode(client.alloc(), 0));
        session.recordClientWrite(System.nanoTime());
        armTimer();
        client.config().setAutoRead(true);
    }

    @Override
    protected long extraDeadline() {
        Phase p = phase;
        boolean loggingIn = p instanceof Phase.Greeting || p instanceof Phase.Tls || p instanceof Phase.Verifying
                || (p instanceof Phase.AuthSwitch a && !a.login().changeUser());
        return loggingIn ? session.acceptedNanos() + AUTH_TIMEOUT_NANOS : Session.Timers.NEVER;
    }

    @Override
    protected void onExtraDeadline() {
        terminate(new Termination(Cause.CLIENT_TIMEOUT, "no login within " + TimeUnit.NANOSECONDS.toSeconds(AUTH_TIMEOUT_NANOS) + " s"));
    }

    @Override
    protected void backendAbandoned(Channel ch) {
        if (ch == backendChannel) {
            backendChannel = null;
            login = null;
        }
    }

    // ---- client frames ------------------------------------------------------------------------

    void onClientFrame(ByteBuf frame) {
        long now = System.nanoTime();
        session.recordClientRead(frame.readableBytes(), now);
        if (closing) {
            frame.release();
            return;
        }
        try {
            Phase p = phase;
            if (p instanceof Phase.Ready) {
                relayClientFrame(frame, false);
            } else if (p instanceof Phase.Greeting g) {
                onHandshakeResponse(frame, g.seq());
            } else if (p instanceof Phase.AuthSwitch a) {
                onAuthSwitchReply(frame, a);
            } else if (p instanceof Phase.Tls) {
                frame.release();
                clientError(1043, "08S01", "Bad handshake", "data before the TLS handshake finished");
            } else {
                hold(frame);
            }
        } catch (ProtocolException e) {
            clientError(1043, "08S01", "Bad handshake", e.getMessage());
        }
    }

    private void onHandshakeResponse(ByteBuf frame, int expectedSeq) {
        try {
            int seq = Packets.sequence(frame);
            ByteBuf payload = Packets.payload(frame);
            if (seq != expectedSeq) {
                throw new ProtocolException("handshake response with sequence " + seq + ", expected " + expectedSeq);
            }
            if (HandshakeResponse.isSslRequest(payload)) {
                if (tls == null) {
                    throw new ProtocolException("SSLRequest but TLS is not enabled on this listener");
                }
                // SslRequestDetector has put the SslHandler in place; wait for its handshake.
                phase = new Phase.Tls();
                return;
            }
            HandshakeResponse r = HandshakeResponse.parse(payload, serverCaps);
            clientCaps = r.capabilities() & ~Capabilities.SSL | (isTls() ? Capabilities.SSL : 0);
            collation = r.collation();
            details.user(r.user());
            details.attributes(r.attributes() == null ? Map.of() : r.attributes());
            attributes = r.attributes();
            Login login = new Login(r.user(), r.authResponse(), r.database(), r.collation(), r.attributes(), false,
                    seq + 1, false);
            if (!r.authPlugin().isEmpty() && !r.authPlugin().equals(InitialHandshake.NATIVE_PASSWORD)) {
                authSwitch(login, seq + 1);
                return;
            }
            authenticate(login);
        } finally {
            frame.release();
        }
    }

    /** Asks the client to use mysql_native_password with our scramble (MaxScale's answer to other plugins). */
    private void authSwitch(Login login, int seq) {
        if (!Capabilities.has(clientCaps, Capabilities.PLUGIN_AUTH)) {
            deny(login, "the client cannot switch to mysql_native_password");
            return;
        }
        ByteBuf b = client.alloc().heapBuffer(64);
        b.writeByte(Packets.EOF);
        Packets.writeNulString(b, InitialHandshake.NATIVE_PASSWORD);
        b.writeBytes(scramble).writeByte(0);
        client.writeAndFlush(Packets.encode(client.alloc(), seq, b));
        b.release();
        phase = new Phase.AuthSwitch(login, seq + 1);
    }

    private void onAuthSwitchReply(ByteBuf frame, Phase.AuthSwitch a) {
        try {
            int seq = Packets.sequence(frame);
            if (seq != a.seq()) {
                throw new ProtocolException("auth switch response with sequence " + seq + ", expected " + a.seq());
            }
            byte[] token = new byte[Packets.payloadLength(frame)];
            Packets.payload(frame).readBytes(token);
            authenticate(a.login().withToken(token, seq + 1));
        } finally {
            frame.release();
        }
    }

    private String clientIp() {
        return hostOf(session.clientAddress());
    }

    /**
     * The client's PROXY protocol header (its peer is in proxy_protocol_networks): taken before the client's
     * first packet only, so accounts are matched against the address it names.
     */
    void onProxyHeader(HAProxyMessage m) {
        if (!(phase instanceof Phase.Greeting) || closing) {
            m.release();
            return;
        }
        acceptProxyHeader(m);
    }

    /**
     * Verifies a login against the service's accounts. Loads them first if they never were; on a
     * failure, reloads (rate-limited) and verifies once more before denying, as MaxScale does.
     */
    private void authenticate(Login login) {
        UserAccounts accounts = mdb.accounts().accounts();
        if (accounts.loadedAtNanos() == 0 && !mdb.accounts().firstLoad().isDone()) {
            // Patchbay has just started: wait for the first load rather than refuse. If it fails, the
            // failed verification below asks for another load, as for any unknown account.
            phase = new Phase.Verifying();
            mdb.accounts().firstLoad().whenComplete((a, e) -> session.execute(() -> {
                if (!closing) {
                    authenticate(login);
                }
            }));
            return;
        }
        Account account = accounts.find(login.user(), clientIp());
        byte[] sha1 = null;
        if (account != null && account.isNative()) {
            sha1 = NativePassword.verify(scramble, account.nativeHash(), login.token());
        }
        // A refusal may come from accounts loaded before a CREATE USER or GRANT: reload (at most once per
        // users_refresh_time) and check this login again, as MaxScale does for any failed login.
        boolean databaseDenied = sha1 != null && !UserAccounts.databaseAllowed(account, login.database());
        if ((sha1 == null || databaseDenied) && !login.retried()) {
            phase = new Phase.Verifying();
            mdb.accounts().refresh(false).whenComplete((a, e) -> session.execute(() -> {
                if (!closing) {
                    authenticate(login.retry());
                }
            }));
            return;
        }
        if (account != null && !account.isNative()) {
            deny(login, "account " + account + " uses " + account.plugin());
            return;
        }
        if (sha1 == null) {
            deny(login, account == null ? "no matching account" : "wrong password");
            return;
        }
        if (!UserAccounts.databaseAllowed(account, login.database())) {
            String msg = "Access denied for user '" + login.user() + "'@'" + clientIp() + "' to database '"
                    + login.database() + "'";
            SessionLog.notice(session, "Login of '{}' refused: no grant on database '{}'", login.user(), login.database());
            sendToClient(Packets.err(client.alloc(), login.replySeq(), 1044, "42000", msg));
            if (login.changeUser()) {
                finishLocal();
            } else {
                clientErrorSent = true;
                terminate(new Termination(Cause.AUTH_FAILURE, "no grant on database " + login.database()));
            }
            return;
        }
        if (login.changeUser()) {
            changeUserOnBackend(login, sha1);
            return;
        }
        user = login.user();
        sha1Password = sha1;
        database = login.database();
        details.database(database);
        SessionLog.info(session, "Authenticated '{}'@'{}' as {}", user, clientIp(), account);
        session.authenticated();
        clientDecoder.maxPayload(Packets.MAX_FRAME_PAYLOAD);
        phase = new Phase.Routing(login.replySeq());
        admit(false);
    }

    private void deny(Login login, String why) {
        boolean usedPassword = login.token().length > 0;
        String msg = "Access denied for user '" + login.user() + "'@'" + clientIp() + "' (using password: "
                + (usedPassword ? "YES" : "NO") + ")";
        if (why.startsWith("account ")) {
            msg = "Access denied for user '" + login.user() + "'@'" + clientIp() + "': " + why
                    + "; Patchbay supports mysql_native_password only";
        }
        SessionLog.notice(session, "Login of '{}'@'{}' refused: {}", login.user(), clientIp(), why);
        sendToClient(Packets.err(client.alloc(), login.replySeq(), 1045, "28000", msg));
        if (login.changeUser()) {
            finishLocal();
            return;
        }
        clientErrorSent = true;
        terminate(new Termination(Cause.AUTH_FAILURE, why));
    }

    // ---- backend login ------------------------------------------------------------------------

    @Override
    protected ChannelHandler backendInitializer(Server server) {
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                // A failed write only shuts the output: a server that refuses a statement (too big for its
                // max_allowed_packet) answers with an ERR and closes, and that ERR, already received, is
                // read and relayed before the connection's end is seen.
                ch.config().setAutoClose(false);
                ch.pipeline().addLast(PacketDecoder.NAME, PacketDecoder.batching());
                ch.pipeline().addLast(MariaDbRelayHandler.NAME, new MariaDbRelayHandler(MariaDbSession.this, false));
            }
        };
    }

    @Override
    protected void onBackendConnected(Server server) {
        backendChannel = backend;
        channelsOpen++;
        Channel ch = backend;
        ch.closeFuture().addListener(f -> channelClosed());
        login = new BackendLogin(ch, server, credentials(), server.ssl() ? BackendTls.context(server) : null, new BackendLogin.Listener() {
            @Override
            public void loggedIn(InitialHandshake hs, int status, String cipher) {
                onBackendLoggedIn(server, hs, status, cipher);
            }

            @Override
            public void failed(String reason, ByteBuf err) {
                onBackendLoginFailed(reason, err);
            }
        });
        ch.config().setAutoRead(true);
    }

    /** Who logs into a backend for this session, with its current database and collation. */
    BackendLogin.Credentials credentials() {
        Map<String, String> attrs = new LinkedHashMap<>(attributes == null ? Map.of() : attributes);
        attrs.put("_proxy_conn_id", Long.toString(session.id()));
        return new BackendLogin.Credentials(user, sha1Password, database, clientCaps, collation, attrs);
    }

    private void onBackendLoggedIn(Server server, InitialHandshake hs, int status, String cipher) {
        backendHandshake = hs;
        backendScramble = NativePassword.scramble20(hs.scramble());
        backendCipher = cipher;
        mdb.versionSeen(hs.serverVersion());
        login = null;
        tracker = new ResponseTracker(Capabilities.has(clientCaps, Capabilities.DEPRECATE_EOF));
        tracker.status(status);
        details.backends(List.of(new ProtocolDetails.BackendConnection(server.name(), hs.connectionId(), cipher)));
        session.setState(new SessionState.Established(System.nanoTime()));
        SessionLog.info(session, "Logged into server {} as '{}' (thread id {})", server.name(), user, hs.connectionId());
        int seq = phase instanceof Phase.Routing r ? r.seq() : 2;
        phase = new Phase.Ready();
        idleSince = System.nanoTime();
        sendToClient(loginOk(seq, status & ~ServerStatus.SESSION_STATE_CHANGED));
        rearmTimer();
        drainHeld();
    }

    /**
     * The OK that ends the client's login. Over TLS with a password it carries MariaDB 11.4's
     * zero-configuration proof for Patchbay's own certificate, as the server would for its own.
     */
    private ByteBuf loginOk(int seq, int status) {
        SslHandler h = client.pipeline().get(SslHandler.class);
        if (h != null && sha1Password.length > 0) {
            java.security.cert.Certificate[] local = h.engine().getSession().getLocalCertificates();
            if (local != null && local.length > 0) {
                try {
                    byte[] proof = NativePassword.tlsProof(NativePassword.sha1(sha1Password), scramble, local[0].getEncoded());
                    return Packets.ok(client.alloc(), seq, status, proof, Capabilities.has(clientCaps, Capabilities.SESSION_TRACK));
                } catch (java.security.cert.CertificateEncodingException e) {
                    SessionLog.warning(session, "Cannot encode the listener certificate: {}", e.getMessage());
                }
            }
        }
        return Packets.ok(client.alloc(), seq, status);
    }

    private void onBackendLoginFailed(String reason, ByteBuf err) {
        login = null;
        int seq = phase instanceof Phase.Routing r ? r.seq() : 2;
        SessionLog.warning(session, "Login into the server failed: {}", reason);
        if (err != null) {
            Packets.setSequence(err, seq);
            sendToClient(err);
        } else {
            sendToClient(Packets.err(client.alloc(), seq, 1105, "HY000", "Patchbay: " + reason));
        }
        clientErrorSent = true;
        terminate(new Termination(Cause.SERVER_ERROR, reason));
    }

    // ---- backend frames -----------------------------------------------------------------------

    /**
     * What the server connection {@code ch} sent in one read: whole frames, one after the other. While
     * the session relays responses they are walked in place and relayed as one buffer; anything else
     * (a login, a COM_CHANGE_USER reply, a restart's new connection, a closing session) takes them one
     * frame at a time.
     */
    void onBackendData(Channel ch, ByteBuf data) {
        long now = System.nanoTime();
        session.recordServerRead(data.readableBytes(), now);
        if (relaying(ch)) {
            relayResponses(ch, data, now);
        }
        while (data.isReadable()) {
            int len = Packets.HEADER + data.getUnsignedMediumLE(data.readerIndex());
            onBackendFrame(ch, data.readRetainedSlice(len), now);
        }
        data.release();
    }

    private boolean relaying(Channel ch) {
        return ch == backendChannel && !closing && login == null && changeUser == null && tracker != null;
    }

    /**
     * Relays the frames of {@code data} while {@link #relaying} holds, feeding each to the response
     * tracker through {@code data}'s own indexes (no object per frame). What is relayed goes to the
     * client as slices of {@code data}; {@code data}'s reader index ends after the last frame handled.
     */
    private void relayResponses(Channel ch, ByteBuf data, long now) {
        int from = data.readerIndex();
        int end = data.writerIndex();
        int pos = from;
        try {
            while (pos < end) {
                int len = Packets.HEADER + data.getUnsignedMediumLE(pos);
                boolean complete = false;
                if (tracker.busy()) {
                    data.setIndex(pos, pos + len);
                    InFlight head = pending.peek();
                    if (head != null && !head.started && head.command == Commands.COM_STMT_PREPARE
                            && Packets.firstByte(data) == Packets.OK && Packets.payloadLength(data) >= 5) {
                        preparedStatement(head, data);
                    }
                    if (head != null) {
                        head.started = true;
                    }
                    try {
                        complete = tracker.onFrame(data);
                    } catch (ProtocolException e) {
                        relayed(data, from, pos);
                        pos = end; // the rest is dropped with the session
                        SessionLog.warning(session, "Bad response from server: {}", e.getMessage());
                        terminate(new Termination(Cause.SERVER_ERROR, "bad packet: " + e.getMessage()));
                        return;
                    }
                }
                pos += len;
                if (complete) {
                    relayed(data, from, pos);
                    from = pos;
                    onResponseComplete(now);
                    if (!relaying(ch)) {
                        break;
                    }
                }
            }
            relayed(data, from, pos);
        } finally {
            data.setIndex(pos, end);
        }
    }

    private void relayed(ByteBuf data, int from, int to) {
        if (to > from) {
            relayToClient(data.retainedSlice(from, to - from));
        }
    }

    private void onBackendFrame(Channel ch, ByteBuf frame, long now) {
        if (ch != backendChannel && restart != null && restart.owns(ch) && !closing) {
            restart.onFrame(frame);
            return;
        }
        if (closing || ch != backendChannel) {
            frame.release();
            return;
        }
        if (login != null) {
            login.onFrame(frame);
            return;
        }
        if (changeUser != null) {
            onChangeUserReply(frame);
            return;
        }
        boolean complete = false;
        InFlight head = pending.peek();
        if (tracker.busy()) {
            try {
                if (head != null && !head.started && head.command == Commands.COM_STMT_PREPARE
                        && Packets.firstByte(frame) == Packets.OK && Packets.payloadLength(frame) >= 5) {
                    preparedStatement(head, frame);
                }
                if (head != null) {
                    head.started = true;
                }
                complete = tracker.onFrame(frame);
            } catch (ProtocolException e) {
                frame.release();
                SessionLog.warning(session, "Bad response from server: {}", e.getMessage());
                terminate(new Termination(Cause.SERVER_ERROR, "bad packet: " + e.getMessage()));
                return;
            }
        }
        relayToClient(frame);
        if (complete) {
            onResponseComplete(now);
        }
    }

    /**
     * The OK of a COM_STMT_PREPARE: records the statement's id for the history. After a restart the
     * client must keep seeing ids of its own (the new server's ids could repeat the ones it holds), so
     * the id is replaced by a fresh one and mapped to the server's.
     */
    private void preparedStatement(InFlight head, ByteBuf frame) {
        int at = frame.readerIndex() + Packets.HEADER + 1;
        long id = frame.getUnsignedIntLE(at);
        if (statementIds != null) {
            long clientId = nextStatementId++;
            statementIds.put(clientId, id);
            frame.setIntLE(at, (int) clientId);
            id = clientId;
        }
        if (head.history != null) {
            head.history.statementId = id;
        }
    }

    private void onResponseComplete(long now) {
        InFlight f = pending.poll();
        int status = tracker.status();
        details.inTransaction(ServerStatus.inTransaction(status));
        if (f != null) {
            boolean ok = !tracker.lastWasError();
            if (f.history != null) {
                history.completed(f.history, ok);
                publishHistory();
            }
            if (ok && f.tableChange != null) {
                temporaryTables(f.tableChange);
            }
            if (f.filtered != null) {
                responded(f.filterChain, f.filtered, f.filtered.length, ok, now - f.startNanos);
            }
            if (ok && f.database != null) {
                database = f.database;
                details.database(database);
            }
            if (ok && f.command == Commands.COM_RESET_CONNECTION) {
                history.reset(database);
                publishHistory();
                forgetServerState();
            }
            if (f.statement != null) {
                ProtocolDetails.Statement s = f.statement;
                long ms = TimeUnit.NANOSECONDS.toMillis(now - f.startNanos);
                ProtocolDetails.Statement done = new ProtocolDetails.Statement(s.command(), s.sql(), s.receivedEpochMicros(),
                        epochMicros(), List.of(new ProtocolDetails.Response(heldServer == null ? "" : heldServer.name(), ms)));
                details.statementUpdated(s, done);
            }
        }
        InFlight next = pending.peek();
        if (next != null) {
            tracker.begin(next.shape);
        } else {
            details.awaiting(false);
            drainHeld();
            if (pending.isEmpty() && phase instanceof Phase.Ready) {
                becameIdle(now);
            }
        }
    }

    /** A response ended and nothing else is in flight: whatever waits for an idle moment may act now. */
    private void becameIdle(long now) {
        idleSince = now;
        if (restart != null && restart.running()) {
            restart.sessionIdle();
        }
        SessionControl c = session.controlIfAny();
        if (c != null) {
            c.poke();
        }
    }

    private void temporaryTables(String sql) {
        String created = StatementKind.createdTable(sql);
        if (created != null) {
            if (tempTables == null) {
                tempTables = new TreeSet<>();
            }
            tempTables.add(created);
        } else if (tempTables != null) {
            StatementKind.droppedTables(sql).forEach(tempTables::remove);
        }
    }

    private static long epochMicros() {
        return dev.patchbay.core.Clock.epochMicros();
    }

    // ---- relaying client commands -------------------------------------------------------------

    /**
     * Relays one client frame in the command phase. Returns false when the frame must wait (it was
     * put back at the head of {@link #held}).
     */
    private boolean relayClientFrame(ByteBuf frame, boolean fromHeld) {
        if (!fromHeld && !held.isEmpty()) {
            hold(frame);
            return true;
        }
        if (clientContinuation) {
            clientContinuation = Packets.continues(frame);
            forward(frame);
            return true;
        }
        clientContinuation = Packets.continues(frame);
        if (tracker.awaitingInfile()) {
            if (Packets.payloadLength(frame) == 0) {
                tracker.infileSent();
            }
            forward(frame);
            return true;
        }
        int cmd = Packets.firstByte(frame);
        KillStatement kill = null;
        if (cmd == Commands.COM_CHANGE_USER || cmd == Commands.COM_PROCESS_KILL
                || (cmd == Commands.COM_QUERY && (kill = KillStatement.of(frame)) != null)) {
            if (!pending.isEmpty()) {
                return waitWith(frame, fromHeld);
            }
            if (cmd == Commands.COM_CHANGE_USER) {
                startChangeUser(frame);
            } else {
                startKill(kill != null ? kill : KillStatement.of(frame), frame);
            }
            return true;
        }
        if (cmd == Commands.COM_QUIT) {
            forward(frame);
            terminate(Termination.of(Cause.CLIENT_CLOSE));
            return true;
        }
        long now = System.nanoTime();
        FilterPass pass = null;
        StatementFilterSession[] chain = null;
        if (filters != null && !clientContinuation && (cmd == Commands.COM_QUERY || cmd == Commands.COM_STMT_PREPARE)
                && (chain = filters.all()).length > 0) {
            if (!pending.isEmpty()) {
                // A filter may answer in Patchbay's name: that answer must come after those in flight.
                return waitWith(frame, fromHeld);
            }
            pass = delayed != null ? delayed : new FilterPass(chain.length,
                    new Statement(session, user, cmd, StatementKind.sql(frame), now, epochMicros()));
            delayed = null;
            frame = runFilters(frame, cmd, chain, pass, fromHeld);
            if (frame == null) {
                return delayed == null;
            }
        }
        ResponseTracker.Shape shape = ResponseTracker.Shape.of(cmd);
        SessionHistory.Entry h = null;
        String newDb = null;
        String tableChange = null;
        if (!clientContinuation) {
            StatementKind kind = cmd == Commands.COM_QUERY ? StatementKind.of(frame) : StatementKind.OTHER;
            if (cmd == Commands.COM_INIT_DB || cmd == Commands.COM_STMT_PREPARE || cmd == Commands.COM_SET_OPTION
                    || kind == StatementKind.SESSION || kind == StatementKind.USE) {
                byte[] payload = new byte[Packets.payloadLength(frame)];
                Packets.payload(frame).getBytes(0, payload);
                h = history.record(cmd, payload);
                if (h != null) {
                    publishHistory();
                }
                if (cmd == Commands.COM_INIT_DB) {
                    newDb = new String(payload, 1, payload.length - 1, StandardCharsets.UTF_8);
                } else if (kind == StatementKind.USE) {
                    newDb = useDatabase(payload);
                }
            } else if (kind == StatementKind.CREATE_TEMPORARY || (kind == StatementKind.DROP_TABLE && tempTables != null)) {
                tableChange = StatementKind.sql(frame);
            }
            if (cmd == Commands.COM_STMT_CLOSE && Packets.payloadLength(frame) >= 5) {
                history.statementClosed(frame.getUnsignedIntLE(frame.readerIndex() + Packets.HEADER + 1));
                publishHistory();
            }
            if (statementIds != null && Commands.carriesStatementId(cmd) && Packets.payloadLength(frame) >= 5) {
                mapStatementId(frame, cmd);
            }
        }
        if (shape != null) {
            InFlight f = new InFlight(cmd, shape, now, h, newDb);
            f.tableChange = tableChange;
            if (pass != null) {
                f.filtered = pass.seen;
                f.filterChain = chain;
            }
            if (details.retainsStatements()) {
                String sql = null;
                if (cmd == Commands.COM_QUERY || cmd == Commands.COM_STMT_PREPARE) {
                    sql = Packets.payload(frame).toString(1, Packets.payloadLength(frame) - 1, StandardCharsets.UTF_8);
                }
                f.statement = new ProtocolDetails.Statement(Commands.name(cmd), sql, epochMicros(), 0, List.of());
                details.statementReceived(f.statement);
            }
            pending.add(f);
            if (!tracker.busy()) {
                tracker.begin(shape);
            }
            details.awaiting(true);
        }
        forward(frame);
        return true;
    }

    /** After a restart: the statement id the client sent becomes the current server's. */
    private void mapStatementId(ByteBuf frame, int cmd) {
        int at = frame.readerIndex() + Packets.HEADER + 1;
        long id = frame.getUnsignedIntLE(at);
        if (id == 0xFFFFFFFFL) {
            return; // MariaDB's "the statement just prepared": the server resolves it
        }
        Long serverId = cmd == Commands.COM_STMT_CLOSE ? statementIds.remove(id) : statementIds.get(id);
        if (serverId != null) {
            frame.setIntLE(at, (int) (long) serverId);
        }
    }

    // ---- statement filters --------------------------------------------------------------------

    /**
     * Runs {@code frame}'s statement through the filters from {@code pass.next}. Returns the frame to
     * send (rewritten if a filter asked), or null when it was answered here (rejected) or must wait
     * (delayed: then {@link #delayed} is set and the frame is back at the head of {@link #held}).
     */
    private ByteBuf runFilters(ByteBuf frame, int cmd, StatementFilterSession[] chain, FilterPass pass, boolean fromHeld) {
        for (; pass.next < chain.length; pass.next++) {
            int i = pass.next;
            Verdict v;
            try {
                v = chain[i].onStatement(pass.current);
            } catch (RuntimeException e) {
                SessionLog.warning(session, "Filter {} failed on a statement, passing it on: {}", chain[i].filter().name(),
                        e.toString());
                v = Verdict.PASS;
            }
            if (v instanceof Verdict.Rewrite r) {
                pass.seen[i] = pass.current;
                int len = 1 + io.netty.buffer.ByteBufUtil.utf8Bytes(r.sql());
                if (len >= Packets.MAX_FRAME_PAYLOAD) {
                    v = new Verdict.Reject(1105, "HY000", "Filter " + chain[i].filter().name()
                            + " rewrote the statement to " + len + " bytes, more than one packet can carry");
                } else {
                    ByteBuf payload = client.alloc().buffer(len);
                    payload.writeByte(cmd);
                    payload.writeCharSequence(r.sql(), StandardCharsets.UTF_8);
                    ByteBuf rewritten = Packets.encode(client.alloc(), Packets.sequence(frame), payload);
                    payload.release();
                    frame.release();
                    frame = rewritten;
                    pass.current = pass.current.withSql(r.sql());
                    continue;
                }
            }
            if (v instanceof Verdict.Reject r) {
                frame.release();
                pass.seen[i] = null;
                long now = System.nanoTime();
                responded(chain, pass.seen, i, false, now - pass.current.receivedNanos());
                SessionLog.info(session, "Filter {} rejected a statement: {}", chain[i].filter().name(), r.message());
                sendToClient(Packets.err(client.alloc(), 1, r.code(), r.sqlState(), r.message()));
                if (held.isEmpty()) {
                    becameIdle(now);
                }
                return null;
            }
            if (v instanceof Verdict.Delay d) {
                delayed = pass;
                phase = new Phase.Local("delayed by filter " + chain[i].filter().name());
                details.awaiting(true);
                delayTimer = client.eventLoop().schedule(this::delayOver, Math.max(0, d.nanos()), TimeUnit.NANOSECONDS);
                waitWith(frame, fromHeld);
                return null;
            }
            pass.seen[i] = pass.current;
        }
        return frame;
    }

    private void delayOver() {
        delayTimer = null;
        if (!closing) {
            phase = new Phase.Ready();
            drainHeld();
        }
    }

    /** Tells the first {@code n} filters that saw a statement how it ended. */
    private void responded(StatementFilterSession[] chain, Statement[] seen, int n, boolean ok, long tookNanos) {
        for (int i = 0; i < n; i++) {
            if (seen[i] != null) {
                try {
                    chain[i].onResponse(seen[i], ok, tookNanos);
                } catch (RuntimeException e) {
                    SessionLog.warning(session, "Filter {} failed on a response: {}", chain[i].filter().name(), e.toString());
                }
            }
        }
    }

    /** Puts a client frame back to wait (at the head of {@link #held}); returns false for {@link #relayClientFrame}. */
    private boolean waitWith(ByteBuf frame, boolean fromHeld) {
        clientContinuation = false;
        if (fromHeld) {
            held.addFirst(frame);
        } else {
            hold(frame);
        }
        return false;
    }

    /** {@code USE db} in a COM_QUERY: the database it switches to, else null. */
    private static String useDatabase(byte[] payload) {
        if (payload.length > 300) {
            return null;
        }
        String sql = new String(payload, 1, payload.length - 1, StandardCharsets.UTF_8).strip();
        if (sql.length() < 5 || !sql.substring(0, 4).equalsIgnoreCase("USE ")) {
            return null;
        }
        String db = sql.substring(4).strip();
        if (db.endsWith(";")) {
            db = db.substring(0, db.length() - 1).strip();
        }
        if (db.length() > 1 && db.startsWith("`") && db.endsWith("`")) {
            db = db.substring(1, db.length() - 1).replace("``", "`");
        }
        return db.isEmpty() ? null : db;
    }

    private void forward(ByteBuf frame) {
        backendChannel.write(frame, backendChannel.voidPromise());
        flushBackend = true;
        if (!backendChannel.isWritable()) {
            client.config().setAutoRead(false);
            session.setFlag(Session.CLIENT_READ_PAUSED, true);
        }
    }

    private void hold(ByteBuf frame) {
        held.addLast(frame);
        heldBytes += frame.readableBytes();
        details.heldBytes(heldBytes);
        client.config().setAutoRead(false);
    }

    /** Relays held client frames while the session can take them. */
    private void drainHeld() {
        while (!held.isEmpty() && phase instanceof Phase.Ready && !closing) {
            ByteBuf f = held.poll();
            heldBytes -= f.readableBytes();
            if (!relayClientFrame(f, true)) {
                heldBytes += held.peek().readableBytes(); // put back, possibly rewritten by a filter
                break;
            }
        }
        details.heldBytes(heldBytes);
        if (flushBackend && backendChannel != null) {
            flushBackend = false;
            backendChannel.flush();
            session.recordServerWrite(System.nanoTime());
        }
        if (held.isEmpty() && !closing && phase instanceof Phase.Ready && !client.config().isAutoRead()
                && (backendChannel == null || backendChannel.isWritable())) {
            client.config().setAutoRead(true);
            session.setFlag(Session.CLIENT_READ_PAUSED, false);
        }
    }

    private void publishHistory() {
        details.history(history.stats(), history.bytes());
    }

    void onReadComplete(boolean clientSide) {
        long now = System.nanoTime();
        if (clientSide && flushBackend && backendChannel != null) {
            flushBackend = false;
            backendChannel.flush();
            session.recordServerWrite(now);
        } else if (!clientSide && (flushClient || toClient != null)) {
            writeRelayed();
            flushClient = false;
            client.flush();
            session.recordClientWrite(now);
        }
        if (!closing) {
            armTimer();
        }
    }

    void onWritabilityChanged(boolean clientSide, boolean writable) {
        if (!writable || closing || !(phase instanceof Phase.Ready || phase instanceof Phase.Local)) {
            return;
        }
        if (clientSide) {
            if (backendChannel != null) {
                backendChannel.config().setAutoRead(true);
            }
            session.setFlag(Session.SERVER_READ_PAUSED, false);
        } else if (held.isEmpty() && phase instanceof Phase.Ready) {
            client.config().setAutoRead(true);
            session.setFlag(Session.CLIENT_READ_PAUSED, false);
        }
    }

    /**
     * Queues a server frame for the client. The frames of one read burst (a result set's rows) go out
     * as one composite buffer at the end of the burst: one pipeline write and one outbound entry per
     * burst instead of per packet.
     */
    private void relayToClient(ByteBuf frame) {
        if (toClient == null) {
            toClient = frame;
            return;
        }
        if (toClientMany == null) {
            toClientMany = client.alloc().compositeBuffer(RELAY_COMPONENTS);
            toClientMany.addComponent(true, toClient);
            toClient = toClientMany;
        }
        toClientMany.addComponent(true, frame);
        if (toClientMany.numComponents() == RELAY_COMPONENTS) {
            writeRelayed();
        }
    }

    /** Writes what {@link #relayToClient} queued (before anything else is written to the client). */
    private void writeRelayed() {
        ByteBuf out = toClient;
        if (out == null) {
            return;
        }
        toClient = null;
        toClientMany = null;
        client.write(out, client.voidPromise());
        flushClient = true;
        if (!client.isWritable() && backendChannel != null) {
            backendChannel.config().setAutoRead(false);
            session.setFlag(Session.SERVER_READ_PAUSED, true);
        }
    }

    private void sendToClient(ByteBuf frame) {
        writeRelayed();
        client.writeAndFlush(frame, client.voidPromise());
        session.recordClientWrite(System.nanoTime());
    }

    // ---- KILL ---------------------------------------------------------------------------------

    private void startKill(KillStatement kill, ByteBuf frame) {
        frame.release();
        phase = new Phase.Local("KILL");
        details.awaiting(true);
        Session target = patchbay.sessions().get(kill.id());
        if (target == null || !(target.protocolDetails() instanceof MariaDbDetails td)) {
            replyLocal(Packets.err(client.alloc(), 1, 1094, "HY000", "Unknown thread id: " + kill.id()));
            return;
        }
        if (target == session) {
            if (kill.queryOnly()) {
                replyLocal(Packets.ok(client.alloc(), 1, currentStatus()));
            } else {
                sendToClient(Packets.err(client.alloc(), 1, 1927, "70100", "Connection was killed"));
                terminate(Termination.killedBy(Termination.AdminInterface.SQL_KILL, "session " + session.id() + " itself"));
            }
            return;
        }
        List<ProtocolDetails.BackendConnection> conns = td.backendConnections();
        String by = "session " + session.id() + " ('" + user + "')";
        if (conns.isEmpty()) {
            if (!user.equals(td.user())) {
                replyLocal(Packets.err(client.alloc(), 1, 1095, "HY000", "You are not owner of thread " + kill.id()));
                return;
            }
            if (!kill.queryOnly()) {
                target.kill(Termination.killedBy(Termination.AdminInterface.SQL_KILL, by));
            }
            replyLocal(Packets.ok(client.alloc(), 1, currentStatus()));
            return;
        }
        SessionLog.info(session, "KILL {}{}: {} backend connection(s)", kill.queryOnly() ? "QUERY " : "", kill.id(), conns.size());
        if (!kill.queryOnly()) {
            // The server will close the target's backend connection before it answers us: tell the target
            // first, so that it ends as killed (and its client is told so), not as a server close.
            expectKillOf(target, Termination.killedBy(Termination.AdminInterface.SQL_KILL, by));
        }
        List<ByteBuf> errors = new ArrayList<>();
        int[] left = {conns.size()};
        for (ProtocolDetails.BackendConnection c : conns) {
            Server server = target.service() == null ? null : target.service().server(c.server());
            if (server == null) {
                left[0]--;
                continue;
            }
            BackendLogin.Credentials creds = new BackendLogin.Credentials(user, sha1Password, null,
                    clientCaps & ~Capabilities.DEPRECATE_EOF, collation, Map.of("_proxy_conn_id", Long.toString(session.id())));
            SideQuery q = new SideQuery(patchbay, client.eventLoop(), server, creds,
                    server.ssl() ? BackendTls.context(server) : null, proxyHeaderFor(server),
                    SideQuery.query(kill.forBackend(c.connectionId())),
                    2 * service.settings().connectTimeoutNanos(), new SideQuery.Outcome() {
                        @Override
                        public void answered(ByteBuf err) {
                            if (err != null) {
                                errors.add(err);
                            }
                            if (--left[0] == 0) {
                                killDone(kill, target, errors, by);
                            }
                        }

                        @Override
                        public void failed(String reason) {
                            answered(Packets.err(client.alloc(), 1, 1105, "HY000", "Patchbay: KILL not carried out: " + reason));
                        }
                    });
            sideQueries.add(q);
            q.start();
        }
        if (left[0] == 0) {
            killDone(kill, target, errors, by);
        }
    }

    private void killDone(KillStatement kill, Session target, List<ByteBuf> errors, String by) {
        sideQueries.removeIf(SideQuery::finished);
        if (closing) {
            errors.forEach(ByteBuf::release);
            return;
        }
        if (!errors.isEmpty()) {
            if (!kill.queryOnly()) {
                expectKillOf(target, null); // refused (not the owner …): the target goes on
            }
            ByteBuf first = errors.remove(0);
            errors.forEach(ByteBuf::release);
            if (Packets.errCode(Packets.payload(first)) == 1095) {
                // The server names its own thread; the client named Patchbay's session id.
                first.release();
                first = Packets.err(client.alloc(), 1, 1095, "HY000", "You are not owner of thread " + kill.id());
            }
            Packets.setSequence(first, 1);
            replyLocal(first);
            return;
        }
        if (!kill.queryOnly()) {
            target.kill(Termination.killedBy(Termination.AdminInterface.SQL_KILL, by));
        }
        replyLocal(Packets.ok(client.alloc(), 1, currentStatus()));
    }

    private static void expectKillOf(Session target, Termination why) {
        if (target.io() instanceof MariaDbSession m) {
            target.execute(() -> m.expectedKill = why);
        }
    }

    private int currentStatus() {
        return tracker == null ? ServerStatus.AUTOCOMMIT : tracker.status() & ~ServerStatus.SESSION_STATE_CHANGED;
    }

    private void replyLocal(ByteBuf reply) {
        sendToClient(reply);
        finishLocal();
    }

    private void finishLocal() {
        if (closing) {
            return;
        }
        phase = new Phase.Ready();
        details.awaiting(false);
        drainHeld();
    }

    // ---- COM_CHANGE_USER ----------------------------------------------------------------------

    private void startChangeUser(ByteBuf frame) {
        ChangeUser cu = null;
        String bad = null;
        try {
            cu = ChangeUser.parse(Packets.payload(frame), clientCaps);
        } catch (ProtocolException e) {
            bad = e.getMessage();
        } finally {
            frame.release();
        }
        if (cu == null) {
            clientError(1043, "08S01", "Bad handshake", bad);
            return;
        }
        phase = new Phase.Local("COM_CHANGE_USER");
        details.awaiting(true);
        Login l = new Login(cu.user(), cu.authResponse(), cu.database(), cu.collation() == 0 ? collation : cu.collation(),
                cu.attributes() == null ? attributes : cu.attributes(), true, 1, false);
        if (!cu.authPlugin().isEmpty() && !cu.authPlugin().equals(InitialHandshake.NATIVE_PASSWORD)) {
            authSwitch(l, 1);
            return;
        }
        authenticate(l);
    }

    private void changeUserOnBackend(Login l, byte[] sha1) {
        phase = new Phase.Local("COM_CHANGE_USER");
        changeUser = new Login(l.user(), sha1, l.database(), l.collation(), l.attributes(), true, l.replySeq(), false);
        Map<String, String> attrs = new LinkedHashMap<>(l.attributes() == null ? Map.of() : l.attributes());
        attrs.put("_proxy_conn_id", Long.toString(session.id()));
        ChangeUser cu = new ChangeUser(l.user(), NativePassword.token(sha1, backendScramble), l.database(),
                l.collation(), InitialHandshake.NATIVE_PASSWORD, attrs);
        backendChannel.writeAndFlush(cu.encode(backendChannel.alloc(), backendHandshake.capabilities() & clientCaps
                | Capabilities.PLUGIN_AUTH | Capabilities.SECURE_CONNECTION));
    }

    /** The backend's answer to Patchbay's COM_CHANGE_USER: OK, ERR, or a switch to native password. */
    private void onChangeUserReply(ByteBuf frame) {
        Login l = changeUser;
        int first = Packets.firstByte(frame);
        ByteBuf p = Packets.payload(frame);
        try {
            if (first == Packets.EOF && Packets.payloadLength(frame) > 1) {
                p.skipBytes(1);
                String plugin = Packets.readNulOrEofString(p);
                if (plugin.equals(InitialHandshake.NATIVE_PASSWORD)) {
                    byte[] s = new byte[Math.min(20, p.readableBytes())];
                    p.readBytes(s);
                    backendScramble = s;
                    ByteBuf t = Unpooled.wrappedBuffer(NativePassword.token(l.token(), s));
                    backendChannel.writeAndFlush(Packets.encode(backendChannel.alloc(), Packets.sequence(frame) + 1, t));
                    t.release();
                    frame.release();
                    return;
                }
            }
            changeUser = null;
            if (first == Packets.OK) {
                Packets.readInt1(p, "header");
                Packets.readLenenc(p, "rows");
                Packets.readLenenc(p, "id");
                int status = Packets.readInt2(p, "status");
                tracker.status(status);
                user = l.user();
                sha1Password = l.token();
                database = l.database();
                attributes = l.attributes();
                collation = l.collation();
                details.user(user);
                details.database(database);
                session.authenticated();
                if (l.attributes() != null) {
                    details.attributes(l.attributes());
                }
                history.clear();
                publishHistory();
                forgetServerState();
                SessionLog.info(session, "Changed user to '{}'", user);
                frame.release();
                replyLocal(Packets.ok(client.alloc(), l.replySeq(), status & ~ServerStatus.SESSION_STATE_CHANGED));
                return;
            }
            Packets.setSequence(frame, l.replySeq());
            replyLocal(frame);
        } catch (ProtocolException e) {
            frame.release();
            terminate(new Termination(Cause.SERVER_ERROR, "bad COM_CHANGE_USER reply: " + e.getMessage()));
        }
    }

    // ---- TLS ----------------------------------------------------------------------------------

    private boolean isTls() {
        return client.pipeline().get(SslHandler.class) != null;
    }

    void onClientTls(boolean success, Throwable cause) {
        if (closing) {
            return;
        }
        if (!success) {
            terminate(new Termination(Cause.CLIENT_ERROR, "TLS handshake failed: " + (cause == null ? "" : cause.getMessage())));
            return;
        }
        SslHandler h = client.pipeline().get(SslHandler.class);
        details.clientCipher(h.engine().getSession().getCipherSuite());
        phase = new Phase.Greeting(2);
    }

    void onBackendTls(Channel ch, boolean success, Throwable cause) {
        if (restart != null && restart.owns(ch)) {
            restart.candidateTls(success, cause,
                    success ? ch.pipeline().get(SslHandler.class).engine().getSession().getCipherSuite() : "");
            return;
        }
        if (ch != backendChannel || login == null) {
            return;
        }
        String cipher = success ? ch.pipeline().get(SslHandler.class).engine().getSession().getCipherSuite() : "";
        login.onTls(success, cause, cipher);
    }

    // ---- live control (LiveSession; the restart is MariaDbRestart's) ---------------------------

    /** COM_RESET_CONNECTION or COM_CHANGE_USER: the server dropped temporary tables and prepared statements. */
    private void forgetServerState() {
        tempTables = null;
        if (statementIds != null) {
            statementIds.clear();
        }
    }

    @Override
    public long idleSinceNanos() {
        if (closing || !(phase instanceof Phase.Ready) || !pending.isEmpty() || !held.isEmpty() || clientContinuation
                || backendChannel == null || tracker == null || tracker.awaitingInfile()) {
            return -1;
        }
        return idleSince;
    }

    @Override
    public long quietNanos() {
        return 0;
    }

    @Override
    public boolean inTransaction() {
        return tracker != null && ServerStatus.inTransaction(tracker.status());
    }

    @Override
    public void restartBackend(Service.Snapshot target, Consumer<String> done) {
        if (closing) {
            done.accept("the session is closing");
            return;
        }
        if (backendChannel == null || login != null) {
            // Still logging in: the connection being made comes from the current servers anyway.
            replaceServiceFilters(target);
            done.accept(null);
            return;
        }
        if (!(phase instanceof Phase.Ready)) {
            done.accept("the session is busy (" + phase + ")");
            return;
        }
        if (!history.enabled()) {
            done.accept("max_sescmd_history is 0: the session's state is not recorded, so it cannot be replayed");
            return;
        }
        if (history.pruned()) {
            done.accept("the session-command history overflowed (max_sescmd_history="
                    + mdb.settings().maxSescmdHistory() + "): its state can no longer be replayed");
            return;
        }
        if (tempTables != null && !tempTables.isEmpty()) {
            done.accept("the session has temporary tables (" + String.join(", ", tempTables)
                    + "): they cannot be moved to a new connection; drop them first");
            return;
        }
        if (restart == null) {
            restart = new MariaDbRestart(this);
        }
        if (restart.running()) {
            done.accept("a restart is already running");
            return;
        }
        restart.start(target, done);
    }

    /**
     * The restart's new connection takes the old one's place: from now on commands go to it, prepared
     * statement ids are mapped to its ids, and the old connection gets COM_QUIT and gives its server
     * slot back.
     */
    void swapBackend(Channel ch, Server server, InitialHandshake hs, int status, String cipher, Map<Long, Long> ids) {
        Channel old = backendChannel;
        Server oldServer = heldServer;
        backendChannel = ch;
        backend = ch;
        heldServer = server;
        session.setServer(server);
        session.setBackendAddresses(ch.localAddress(), ch.remoteAddress());
        channelsOpen++;
        ch.closeFuture().addListener(f -> channelClosed());
        backendHandshake = hs;
        backendScramble = NativePassword.scramble20(hs.scramble());
        backendCipher = cipher;
        mdb.versionSeen(hs.serverVersion());
        tracker = new ResponseTracker(deprecateEof());
        tracker.status(status);
        if (!ids.isEmpty() || statementIds != null) {
            long next = Math.max(1, nextStatementId);
            for (Long clientId : ids.keySet()) {
                next = Math.max(next, clientId + 1);
            }
            if (statementIds != null) {
                for (Long clientId : statementIds.keySet()) {
                    next = Math.max(next, clientId + 1);
                }
            }
            nextStatementId = next;
            statementIds = ids;
        }
        details.backends(List.of(new ProtocolDetails.BackendConnection(server.name(), hs.connectionId(), cipher)));
        details.inTransaction(ServerStatus.inTransaction(status));
        if (oldServer != null) {
            oldServer.release();
            service.serverSlotFreed();
        }
        if (old != null) {
            ByteBuf quit = old.alloc().buffer(5);
            quit.writeMediumLE(1).writeByte(0).writeByte(Commands.COM_QUIT);
            old.writeAndFlush(quit).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            SessionLog.info(session, "Restart: now on server {} (thread id {}); closed the connection from {}",
                    server.name(), hs.connectionId(), old.localAddress());
        }
        idleSince = System.nanoTime();
        rearmTimer();
    }

    void replaceServiceFilters(Service.Snapshot target) {
        if (filters == null && target.filters().isEmpty()) {
            return;
        }
        if (filters == null) {
            filters = new StatementFilters();
        }
        filters.replaceServicePart(session, target.filters());
    }

    @Override
    public CompletionStage<PreparedFilters> prepareFilters(List<FilterDef> defs) {
        return StatementFilters.prepare(session, defs);
    }

    @Override
    public void installFilters(PreparedFilters chain) {
        if (filters == null) {
            filters = new StatementFilters();
        }
        filters.replaceSessionPart(chain);
    }

    /**
     * Ends the session telling the client why, as MariaDB's KILL does: ERR 1927 when the client can
     * take a packet (waiting for an answer that has not started, or between commands), a bare close
     * in the middle of a result set.
     */
    @Override
    public void kill(Termination termination, String reason) {
        if (closing) {
            return;
        }
        InFlight head = pending.peek();
        boolean between = (phase instanceof Phase.Ready || phase instanceof Phase.Local) && (head == null || !head.started);
        if (between && client.isActive()) {
            int seq = head != null || phase instanceof Phase.Local ? 1 : 0;
            String msg = "Connection was killed" + (reason == null || reason.isBlank() ? "" : ": " + reason);
            writeRelayed();
            client.write(Packets.err(client.alloc(), seq, 1927, "70100", msg), client.voidPromise());
            clientErrorSent = true;
        }
        terminate(termination);
    }

    // Accessors for MariaDbRestart.

    Channel client() {
        return client;
    }

    Service service() {
        return service;
    }

    Patchbay patchbay() {
        return patchbay;
    }

    boolean closing() {
        return closing;
    }

    SessionHistory history() {
        return history;
    }

    boolean deprecateEof() {
        return Capabilities.has(clientCaps, Capabilities.DEPRECATE_EOF);
    }


    // ---- errors and closing -------------------------------------------------------------------

    /** Sends an ERR for a protocol violation by the client and closes. */
    private void clientError(int code, String state, String message, String detail) {
        if (closing) {
            return;
        }
        SessionLog.warning(session, "Client protocol error: {}", detail);
        sendToClient(Packets.err(client.alloc(), 2, code, state, message));
        clientErrorSent = true;
        terminate(new Termination(Cause.CLIENT_ERROR, detail));
    }

    void onInactive(Channel ch, boolean clientSide) {
        if (clientSide) {
            terminate(Termination.of(Cause.CLIENT_CLOSE));
        } else if (ch == backendChannel) {
            backendGone("connection closed by server");
        } else if (restart != null && restart.owns(ch)) {
            restart.candidateGone("connection closed");
        }
    }

    void onInputShutdown(Channel ch, boolean clientSide) {
        onInactive(ch, clientSide);
    }

    void onError(Channel ch, boolean clientSide, Throwable cause) {
        if (closing) {
            return;
        }
        // Before the client's first packet: nothing to answer in the MariaDB protocol.
        if (clientSide && refusedProxyHeader(cause)) {
            return;
        }
        String why = cause instanceof IOException ? Transport.ioProblem(cause) : cause.toString();
        if (cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() instanceof ProtocolException pe) {
            why = pe.getMessage();
            if (clientSide) {
                clientError(1153, "08S01", "Got a packet bigger than 'max_allowed_packet' bytes", why);
                return;
            }
        }
        if (!clientSide && cause instanceof io.netty.channel.socket.ChannelOutputShutdownException) {
            // The write failed (see backendInitializer); the read side reports the server's answer and its end.
            SessionLog.info(session, "Writing to the server failed: {}", Transport.ioProblem(cause.getCause() != null ? cause.getCause() : cause));
            return;
        }
        if (!clientSide && ch != backendChannel) {
            if (restart != null && restart.owns(ch)) {
                restart.candidateGone(why);
            }
            return;
        }
        if (!clientSide) {
            backendGone(why);
            return;
        }
        terminate(new Termination(Cause.CLIENT_ERROR, why));
    }

    /**
     * The backend connection ended on its own. A login in progress is a connect failure (retried
     * on another server); a session that was waiting for a response not yet started gets an ERR
     * saying so; otherwise the client connection is closed, which clients report as a lost
     * connection.
     */
    private void backendGone(String why) {
        if (closing) {
            return;
        }
        if (expectedKill != null) {
            kill(expectedKill, null);
            return;
        }
        if (login != null && heldServer != null) {
            Server s = heldServer;
            Channel ch = backendChannel;
            backendAbandoned(ch);
            // Half-closure is on: a server's FIN only shut the channel's input. Left open, the socket would
            // leak and the session would wait for its close forever.
            ch.close();
            onConnectFailed(s, currentAttempt(), new IOException(why));
            return;
        }
        InFlight head = pending.peek();
        String server = heldServer == null ? "?" : heldServer.name();
        if (phase instanceof Phase.Ready && head != null && !head.started) {
            sendToClient(Packets.err(client.alloc(), 1, 1053, "08S01",
                    "Lost connection to server '" + server + "': " + why));
            clientErrorSent = true;
        }
        terminate(new Termination(Cause.SERVER_CLOSE, why));
    }

    @Override
    public void terminate(Termination t) {
        if (!beginClosing(t)) {
            return;
        }
        Phase before = phase;
        phase = new Phase.Done();
        writeRelayed();
        if (!clientErrorSent && client.isActive() && needsClientError(before, t)) {
            int seq = before instanceof Phase.Routing r ? r.seq() : 2;
            boolean full = t.cause() == Cause.REFUSED || t.cause() == Cause.QUEUE_TIMEOUT;
            ByteBuf err = full
                    ? Packets.err(client.alloc(), seq, 1040, "08004", "Too many connections")
                    : Packets.err(client.alloc(), seq, 1105, "HY000", "Patchbay: " + t.describe());
            client.write(err, client.voidPromise());
            clientErrorSent = true;
        }
        while (!held.isEmpty()) {
            held.poll().release();
        }
        heldBytes = 0;
        if (restart != null) {
            restart.sessionClosing();
        }
        if (delayTimer != null) {
            delayTimer.cancel(false);
            delayTimer = null;
        }
        if (filters != null) {
            filters.close();
        }
        for (SideQuery q : sideQueries) {
            q.cancel();
        }
        sideQueries.clear();
        boolean drain = t.cause() == Cause.CLIENT_CLOSE || t.cause() == Cause.SERVER_CLOSE || clientErrorSent;
        channelsOpen++;
        client.closeFuture().addListener(f -> channelClosed());
        close(client, drain);
        Channel b = backendChannel;
        if (b != null) {
            close(b, t.cause() == Cause.CLIENT_CLOSE);
        } else if (backend != null) {
            backend.close();
        }
        SessionLog.info(session, "Closing: {}", t.describe());
    }

    /** Before the login completed, a client waiting for our answer gets an ERR, not just a closed socket. */
    private static boolean needsClientError(Phase p, Termination t) {
        if (!(p instanceof Phase.Routing || p instanceof Phase.Verifying)) {
            return false;
        }
        return t.cause() != Cause.CLIENT_CLOSE && t.cause() != Cause.CLIENT_ERROR;
    }

    private void channelClosed() {
        if (--channelsOpen > 0 || !closing || draining) {
            return;
        }
        draining = true;
        releaseSlots();
        AccessLog.log(session, session.termination());
        session.markClosed();
    }

    void recordCpu(long nanos) {
        if (session != null) {
            session.recordCpu(nanos);
        }
    }

    /** The client's address as MariaDB's error messages show it. */
    static String hostOf(java.net.SocketAddress a) {
        return a instanceof InetSocketAddress isa && isa.getAddress() != null
                ? isa.getAddress().getHostAddress().toLowerCase(Locale.ROOT) : String.valueOf(a);
    }
}
