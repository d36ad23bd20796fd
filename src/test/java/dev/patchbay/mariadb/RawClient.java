package dev.patchbay.mariadb;

import dev.patchbay.mariadb.protocol.Capabilities;
import dev.patchbay.mariadb.protocol.ChangeUser;
import dev.patchbay.mariadb.protocol.HandshakeResponse;
import dev.patchbay.mariadb.protocol.InitialHandshake;
import dev.patchbay.mariadb.protocol.NativePassword;
import dev.patchbay.mariadb.protocol.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A byte-level client for tests that real drivers cannot express (COM_CHANGE_USER, malformed packets). */
final class RawClient implements AutoCloseable {
    final Socket socket = new Socket();
    private final DataInputStream in;
    private final OutputStream out;
    InitialHandshake handshake;

    RawClient(InetSocketAddress address) throws IOException {
        socket.connect(address, 5000);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    InitialHandshake readHandshake() throws IOException {
        ByteBuf p = Unpooled.wrappedBuffer(readPayload());
        handshake = InitialHandshake.parse(p);
        return handshake;
    }

    /** Logs in with mysql_native_password; returns the server's reply payload. */
    byte[] login(String user, String password, String db) throws IOException {
        readHandshake();
        int caps = Capabilities.ADVERTISED & ~Capabilities.DEPRECATE_EOF;
        HandshakeResponse r = new HandshakeResponse(caps, 1 << 24, 45, 0, user,
                NativePassword.tokenForPassword(password.getBytes(StandardCharsets.UTF_8), handshake.scramble()), db,
                InitialHandshake.NATIVE_PASSWORD, Map.of("_client_name", "rawclient"));
        writeFrame(r.encode(Unpooled.buffer().alloc(), 1));
        return readPayload();
    }

    /** Sends a handshake response naming {@code plugin} with a token that is not a native one. */
    byte[] loginWithPlugin(String user, String plugin) throws IOException {
        readHandshake();
        HandshakeResponse r = new HandshakeResponse(Capabilities.ADVERTISED, 1 << 24, 45, 0, user, new byte[32], null,
                plugin, Map.of());
        writeFrame(r.encode(Unpooled.buffer().alloc(), 1));
        return readPayload();
    }

    /** Answers an auth switch with the native token for {@code scramble}. */
    byte[] authSwitchReply(String password, byte[] scramble, int seq) throws IOException {
        ByteBuf t = Unpooled.wrappedBuffer(NativePassword.tokenForPassword(password.getBytes(StandardCharsets.UTF_8), scramble));
        writeFrame(Packets.encode(Unpooled.buffer().alloc(), seq, t));
        t.release();
        return readPayload();
    }

    byte[] changeUser(String user, String password, String db) throws IOException {
        ChangeUser cu = new ChangeUser(user, NativePassword.tokenForPassword(password.getBytes(StandardCharsets.UTF_8),
                handshake.scramble()), db, 45, InitialHandshake.NATIVE_PASSWORD, Map.of("_client_name", "rawclient"));
        writeFrame(cu.encode(Unpooled.buffer().alloc(), Capabilities.ADVERTISED));
        return readPayload();
    }

    /** Sends COM_QUERY and returns the first response packet. */
    byte[] query(String sql) throws IOException {
        writeCommand(0x03, sql.getBytes(StandardCharsets.UTF_8));
        return readPayload();
    }

    void writeCommand(int cmd, byte[] body) throws IOException {
        ByteBuf p = Unpooled.buffer().writeByte(cmd).writeBytes(body);
        writeFrame(Packets.encode(Unpooled.buffer().alloc(), 0, p));
        p.release();
    }

    void writeFrame(ByteBuf frame) throws IOException {
        out.write(ByteBufUtil.getBytes(frame));
        out.flush();
        frame.release();
    }

    void writeRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    byte[] readPayload() throws IOException {
        byte[] h = new byte[4];
        in.readFully(h);
        int len = (h[0] & 0xFF) | (h[1] & 0xFF) << 8 | (h[2] & 0xFF) << 16;
        byte[] b = new byte[len];
        in.readFully(b);
        return b;
    }

    /** Reads until EOF; true if the server closed the connection. */
    boolean closedByServer() {
        try {
            return in.read() == -1;
        } catch (IOException e) {
            return true;
        }
    }

    static int errCode(byte[] payload) {
        return payload[0] == (byte) 0xFF ? (payload[1] & 0xFF) | (payload[2] & 0xFF) << 8 : 0;
    }

    static String errMessage(byte[] payload) {
        return Packets.errMessage(Unpooled.wrappedBuffer(payload));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
