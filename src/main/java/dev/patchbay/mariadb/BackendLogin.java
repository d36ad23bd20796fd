package dev.patchbay.mariadb;

import dev.patchbay.core.Server;
import dev.patchbay.mariadb.protocol.Capabilities;
import dev.patchbay.mariadb.protocol.HandshakeResponse;
import dev.patchbay.mariadb.protocol.InitialHandshake;
import dev.patchbay.mariadb.protocol.NativePassword;
import dev.patchbay.mariadb.protocol.Packets;
import dev.patchbay.mariadb.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.util.Map;

/**
 * Logs a backend connection in as a client's user (PROTOCOL.md §6.3 step 5): reads the backend's
 * handshake, optionally switches to TLS, answers with a mysql_native_password token computed
 * from the backend's scramble and the session's SHA1(password), follows an auth switch to native
 * password, and reports OK or the backend's ERR. Runs on the backend channel's event loop.
 */
final class BackendLogin {

    /** Outcome of a login. */
    interface Listener {
        /** Logged in; {@code status} is the server status from the OK packet. */
        void loggedIn(InitialHandshake handshake, int status, String cipher);

        /**
         * Failed. {@code err} is the backend's ERR frame (owned by the callee) or null when the
         * failure is Patchbay's (then {@code reason} says why).
         */
        void failed(String reason, ByteBuf err);
    }

    /** Who logs in and with which session settings. */
    record Credentials(String user, byte[] sha1Password, String database, int clientCaps, int collation,
                       Map<String, String> attributes) {
        @Override
        public String toString() {
            return "Credentials[" + user + "]";
        }
    }

    private enum Phase { HANDSHAKE, TLS, AUTH, DONE }

    private final Channel channel;
    private final Server server;
    private final Credentials credentials;
    private final SslContext ssl;
    private final Listener listener;
    private Phase phase = Phase.HANDSHAKE;
    private InitialHandshake handshake;
    private int caps;
    private int seq;
    private String cipher = "";

    BackendLogin(Channel channel, Server server, Credentials credentials, SslContext ssl, Listener listener) {
        this.channel = channel;
        this.server = server;
        this.credentials = credentials;
        this.ssl = ssl;
        this.listener = listener;
    }

    InitialHandshake handshake() {
        return handshake;
    }

    boolean done() {
        return phase == Phase.DONE;
    }

    /** Takes ownership of {@code frame}. */
    void onFrame(ByteBuf frame) {
        if (phase == Phase.DONE) {
            frame.release();
            return;
        }
        boolean keep = false;
        try {
            ByteBuf p = Packets.payload(frame);
            int first = Packets.firstByte(frame);
            seq = (Packets.sequence(frame) + 1) & 0xFF;
            if (first == Packets.ERR) {
                phase = Phase.DONE;
                keep = true;
                listener.failed(server.name() + ": " + Packets.errMessage(p), frame);
                return;
            }
            switch (phase) {
                case HANDSHAKE -> onHandshake(p);
                case AUTH -> onAuthReply(p, first);
                default -> fail("unexpected packet during TLS negotiation");
            }
        } catch (ProtocolException e) {
            fail("bad packet from server " + server.name() + ": " + e.getMessage());
        } finally {
            if (!keep) {
                frame.release();
            }
        }
    }

    private void onHandshake(ByteBuf p) {
        handshake = InitialHandshake.parse(p);
        int backendCaps = handshake.capabilities();
        int missing = credentials.clientCaps() & Capabilities.SHAPING & ~backendCaps;
        if (missing != 0) {
            fail("server " + server.name() + " (" + handshake.serverVersion() + ") lacks capabilities 0x"
                    + Integer.toHexString(missing) + " that the client negotiated");
            return;
        }
        caps = (credentials.clientCaps() & backendCaps & ~(Capabilities.SSL | Capabilities.CONNECT_WITH_DB
                | Capabilities.SSL_VERIFY_SERVER_CERT)) | Capabilities.CLIENT_MYSQL | Capabilities.PLUGIN_AUTH
                | Capabilities.SECURE_CONNECTION | Capabilities.PROTOCOL_41;
        caps &= backendCaps | Capabilities.CLIENT_MYSQL;
        if (credentials.database() != null) {
            caps |= Capabilities.CONNECT_WITH_DB;
        }
        if (ssl != null) {
            if (!Capabilities.has(backendCaps, Capabilities.SSL)) {
                fail("server " + server.name() + " does not offer TLS but has ssl=true");
                return;
            }
            caps |= Capabilities.SSL;
            ByteBuf req = channel.alloc().heapBuffer(32);
            HandshakeResponse.writeSslRequest(req, caps, 16L << 20, credentials.collation(), 0);
            channel.writeAndFlush(Packets.encode(channel.alloc(), seq, req));
            req.release();
            seq++;
            phase = Phase.TLS;
            SslHandler h = ssl.newHandler(channel.alloc(), server.host(), server.port());
            channel.pipeline().addFirst("ssl", h);
            return;
        }
        sendResponse();
    }

    /** The TLS handshake with the backend finished. */
    void onTls(boolean success, Throwable cause, String negotiatedCipher) {
        if (phase != Phase.TLS) {
            return;
        }
        if (!success) {
            fail(BackendTls.describe(server, cause));
            return;
        }
        cipher = negotiatedCipher;
        sendResponse();
    }

    private void sendResponse() {
        byte[] token = NativePassword.token(credentials.sha1Password(), NativePassword.scramble20(handshake.scramble()));
        HandshakeResponse r = new HandshakeResponse(caps, 16L << 20, credentials.collation() == 0 ? 45 : credentials.collation(),
                0, credentials.user(), token, credentials.database(), InitialHandshake.NATIVE_PASSWORD,
                credentials.attributes());
        channel.writeAndFlush(r.encode(channel.alloc(), seq));
        phase = Phase.AUTH;
    }

    private void onAuthReply(ByteBuf p, int first) {
        if (first == Packets.OK) {
            Packets.readInt1(p, "header");
            Packets.readLenenc(p, "affected rows");
            Packets.readLenenc(p, "insert id");
            int status = Packets.readInt2(p, "status");
            phase = Phase.DONE;
            listener.loggedIn(handshake, status, cipher);
            return;
        }
        if (first == Packets.EOF) {
            p.skipBytes(1);
            String plugin = Packets.readNulOrEofString(p);
            if (!plugin.equals(InitialHandshake.NATIVE_PASSWORD)) {
                fail("server " + server.name() + " asks for auth plugin " + plugin + " for user '" + credentials.user()
                        + "'; Patchbay logs into servers with mysql_native_password only");
                return;
            }
            byte[] scramble = new byte[Math.min(NativePassword.SCRAMBLE_LENGTH, p.readableBytes())];
            p.readBytes(scramble);
            ByteBuf t = channel.alloc().heapBuffer(20);
            t.writeBytes(NativePassword.token(credentials.sha1Password(), scramble));
            channel.writeAndFlush(Packets.encode(channel.alloc(), seq, t));
            t.release();
            return;
        }
        fail("server " + server.name() + " sent an unsupported authentication request (0x" + Integer.toHexString(first) + ")");
    }

    private void fail(String reason) {
        phase = Phase.DONE;
        listener.failed(reason, null);
    }
}
