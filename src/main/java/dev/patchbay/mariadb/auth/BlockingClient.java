package dev.patchbay.mariadb.auth;

import dev.patchbay.core.Server;
import dev.patchbay.mariadb.BackendTls;
import dev.patchbay.mariadb.protocol.Capabilities;
import dev.patchbay.mariadb.protocol.HandshakeResponse;
import dev.patchbay.mariadb.protocol.InitialHandshake;
import dev.patchbay.mariadb.protocol.NativePassword;
import dev.patchbay.mariadb.protocol.Packets;
import dev.patchbay.mariadb.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * A minimal blocking MariaDB client for the account loader, which runs on its own thread and never
 * on an event loop: log in with mysql_native_password (optionally over TLS) and run text queries.
 */
final class BlockingClient implements AutoCloseable {
    private static final int CAPS = Capabilities.CLIENT_MYSQL | Capabilities.LONG_FLAG | Capabilities.PROTOCOL_41
            | Capabilities.TRANSACTIONS | Capabilities.SECURE_CONNECTION | Capabilities.PLUGIN_AUTH
            | Capabilities.MULTI_RESULTS | Capabilities.CONNECT_ATTRS;

    private Socket socket;
    private DataInputStream in;
    private OutputStream out;
    private int seq;
    private String serverVersion;

    /** The server's version string from its handshake. */
    String serverVersion() {
        return serverVersion;
    }

    /** Logs into {@code server} as {@code user}; with TLS (its {@code ssl*} settings) when it has {@code ssl=true}. */
    void connect(Server server, int timeoutMillis, String user, byte[] password) throws IOException {
        InetSocketAddress address = server.address();
        boolean tls = server.ssl();
        socket = new Socket();
        socket.connect(address, timeoutMillis);
        socket.setSoTimeout(timeoutMillis);
        bind(socket);
        ByteBuf hsPayload = readPacket();
        InitialHandshake hs;
        try {
            if (hsPayload.getUnsignedByte(0) == Packets.ERR) {
                throw new IOException("server refused the connection: " + Packets.errMessage(hsPayload));
            }
            hs = InitialHandshake.parse(hsPayload);
        } finally {
            hsPayload.release();
        }
        serverVersion = hs.serverVersion();
        int caps = CAPS;
        if (tls) {
            if (!Capabilities.has(hs.capabilities(), Capabilities.SSL)) {
                throw new IOException("server does not offer TLS (ssl=true on the server)");
            }
            caps |= Capabilities.SSL;
            ByteBuf req = Unpooled.buffer(32);
            HandshakeResponse.writeSslRequest(req, caps, 16 << 20, 45, 0);
            writePacket(req);
            SSLSocket ssl = (SSLSocket) BackendTls.jdkContext(server).getSocketFactory()
                    .createSocket(socket, server.host(), server.port(), true);
            ssl.setUseClientMode(true);
            if (!server.tls().protocols().isEmpty()) {
                ssl.setEnabledProtocols(server.tls().protocols().toArray(String[]::new));
            }
            if (server.tls().verifyPeerHost()) {
                SSLParameters params = ssl.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(params);
            }
            try {
                ssl.startHandshake();
            } catch (SSLException e) {
                throw new IOException(BackendTls.describe(server, e), e);
            }
            socket = ssl;
            bind(ssl);
        }
        byte[] scramble = NativePassword.scramble20(hs.scramble());
        byte[] token = NativePassword.tokenForPassword(password, scramble);
        HandshakeResponse resp = new HandshakeResponse(caps, 16 << 20, 45, 0, user, token, null,
                InitialHandshake.NATIVE_PASSWORD, Map.of("_client_name", "patchbay-accounts"));
        ByteBuf frame = resp.encode(Unpooled.buffer().alloc(), seq);
        writeFrame(frame);
        while (true) {
            ByteBuf reply = readPacket();
            try {
                int first = reply.getUnsignedByte(0);
                if (first == Packets.OK) {
                    return;
                }
                if (first == Packets.ERR) {
                    throw new IOException("login as '" + user + "' failed: " + Packets.errMessage(reply));
                }
                if (first == Packets.EOF) {
                    reply.skipBytes(1);
                    String plugin = Packets.readNulOrEofString(reply);
                    if (!plugin.equals(InitialHandshake.NATIVE_PASSWORD)) {
                        throw new IOException("account '" + user + "' uses " + plugin + "; the service account must use mysql_native_password");
                    }
                    byte[] data = new byte[Math.min(20, reply.readableBytes())];
                    reply.readBytes(data);
                    ByteBuf t = Unpooled.wrappedBuffer(NativePassword.tokenForPassword(password, data));
                    writePacket(t);
                    continue;
                }
                throw new IOException("unexpected packet 0x" + Integer.toHexString(first) + " during login");
            } finally {
                reply.release();
            }
        }
    }

    /** Runs a text query and returns its rows (NULL as null). ERR becomes an IOException. */
    List<String[]> query(String sql) throws IOException {
        seq = 0;
        ByteBuf q = Unpooled.buffer();
        q.writeByte(0x03).writeBytes(sql.getBytes(StandardCharsets.UTF_8));
        writePacket(q);
        ByteBuf first = readPacket();
        List<String[]> rows = new ArrayList<>();
        try {
            int b = first.getUnsignedByte(0);
            if (b == Packets.ERR) {
                throw new IOException(Packets.errMessage(first));
            }
            if (b == Packets.OK) {
                return rows;
            }
            int columns = (int) Packets.readLenenc(first, "column count");
            for (int i = 0; i < columns; i++) {
                readPacket().release();
            }
            readPacket().release(); // EOF
            while (true) {
                ByteBuf row = readPacket();
                try {
                    int h = row.getUnsignedByte(0);
                    if (h == Packets.EOF && row.readableBytes() < 9) {
                        break;
                    }
                    if (h == Packets.ERR) {
                        throw new IOException(Packets.errMessage(row));
                    }
                    String[] r = new String[columns];
                    for (int i = 0; i < columns; i++) {
                        if (row.getUnsignedByte(row.readerIndex()) == 0xFB) {
                            row.skipBytes(1);
                        } else {
                            r[i] = Packets.readLenencString(row, "column value");
                        }
                    }
                    rows.add(r);
                } finally {
                    row.release();
                }
            }
            return rows;
        } catch (ProtocolException e) {
            throw new IOException(e.getMessage());
        } finally {
            first.release();
        }
    }

    private void bind(Socket s) throws IOException {
        in = new DataInputStream(s.getInputStream());
        out = s.getOutputStream();
    }

    private ByteBuf readPacket() throws IOException {
        ByteBuf all = Unpooled.buffer();
        while (true) {
            byte[] h = new byte[4];
            in.readFully(h);
            int len = (h[0] & 0xFF) | (h[1] & 0xFF) << 8 | (h[2] & 0xFF) << 16;
            seq = (h[3] & 0xFF) + 1;
            byte[] body = new byte[len];
            in.readFully(body);
            all.writeBytes(body);
            if (len < Packets.MAX_FRAME_PAYLOAD) {
                if (!all.isReadable()) {
                    all.release();
                    throw new IOException("empty packet from server");
                }
                return all;
            }
        }
    }

    private void writePacket(ByteBuf payload) throws IOException {
        try {
            writeFrame(Packets.encode(Unpooled.buffer().alloc(), seq, payload));
        } finally {
            payload.release();
        }
    }

    private void writeFrame(ByteBuf frame) throws IOException {
        try {
            seq = (Packets.sequence(frame) + 1) & 0xFF;
            byte[] b = new byte[frame.readableBytes()];
            frame.readBytes(b);
            out.write(b);
            out.flush();
        } finally {
            frame.release();
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                if (!socket.isClosed() && out != null) {
                    out.write(new byte[] {1, 0, 0, 0, 1});
                    out.flush();
                }
            } catch (IOException ignored) {
                // closing anyway
            }
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing left to do
            }
        }
    }
}
