package dev.patchbay.mariadb.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Initial Handshake v10 (PROTOCOL.md §3): what Patchbay sends a client, and what it reads from a
 * backend. {@code capabilities} holds the lower 32 bits, {@code extendedCapabilities} MariaDB's
 * bits 32–63 (only on the wire when CLIENT_MYSQL is clear).
 *
 * @see <a href="https://mariadb.com/kb/en/connection/#initial-handshake-packet">Initial handshake packet</a>
 */
public record InitialHandshake(String serverVersion, long connectionId, byte[] scramble, int capabilities,
                               int extendedCapabilities, int collation, int status, String authPlugin) {

    public static final String NATIVE_PASSWORD = "mysql_native_password";

    /** Writes the payload. The scramble must be 20 bytes. */
    public void write(ByteBuf b) {
        b.writeByte(10);
        Packets.writeNulString(b, serverVersion);
        b.writeIntLE((int) connectionId);
        b.writeBytes(scramble, 0, 8);
        b.writeByte(0);
        b.writeShortLE(capabilities & 0xFFFF);
        b.writeByte(collation);
        b.writeShortLE(status);
        b.writeShortLE(capabilities >>> 16);
        b.writeByte(scramble.length + 1);
        b.writeZero(6);
        if (Capabilities.has(capabilities, Capabilities.CLIENT_MYSQL)) {
            b.writeZero(4);
        } else {
            b.writeIntLE(extendedCapabilities);
        }
        b.writeBytes(scramble, 8, scramble.length - 8);
        b.writeByte(0);
        Packets.writeNulString(b, authPlugin);
    }

    public ByteBuf encode(ByteBufAllocator alloc, int seq) {
        ByteBuf p = alloc.heapBuffer(128);
        try {
            write(p);
            return Packets.encode(alloc, seq, p);
        } finally {
            p.release();
        }
    }

    /** Parses a backend's handshake payload (the caller has checked it is not an ERR packet). */
    public static InitialHandshake parse(ByteBuf b) {
        int version = Packets.readInt1(b, "protocol version");
        if (version != 10) {
            throw new ProtocolException("unsupported protocol version " + version);
        }
        String serverVersion = Packets.readNulString(b, "server version");
        long connId = Packets.readInt4(b, "connection id");
        byte[] part1 = Packets.readBytes(b, 8, "scramble");
        Packets.readInt1(b, "filler");
        int caps = Packets.readInt2(b, "capabilities");
        int collation = 0;
        int status = 0;
        int ext = 0;
        int authLen = 0;
        byte[] part2 = new byte[0];
        String plugin = NATIVE_PASSWORD;
        if (b.isReadable()) {
            collation = Packets.readInt1(b, "collation");
            status = Packets.readInt2(b, "status");
            caps |= Packets.readInt2(b, "capabilities") << 16;
            authLen = Packets.readInt1(b, "auth data length");
            Packets.readBytes(b, 6, "filler");
            long extRaw = Packets.readInt4(b, "extended capabilities");
            ext = Capabilities.has(caps, Capabilities.CLIENT_MYSQL) ? 0 : (int) extRaw;
            if (Capabilities.has(caps, Capabilities.SECURE_CONNECTION)) {
                int n = Math.max(13, authLen - 8);
                part2 = Packets.readBytes(b, Math.min(n, b.readableBytes()), "scramble");
                int end = part2.length;
                while (end > 0 && part2[end - 1] == 0) {
                    end--;
                }
                part2 = Arrays.copyOf(part2, end);
            }
            if (Capabilities.has(caps, Capabilities.PLUGIN_AUTH) && b.isReadable()) {
                plugin = Packets.readNulOrEofString(b);
            }
        }
        byte[] scramble = new byte[8 + part2.length];
        System.arraycopy(part1, 0, scramble, 0, 8);
        System.arraycopy(part2, 0, scramble, 8, part2.length);
        return new InitialHandshake(serverVersion, connId, scramble, caps, ext, collation, status, plugin);
    }

    /** MariaDB 10.x announces itself as "5.5.5-10.x..."; this is the version without that prefix. */
    public static String displayVersion(String v) {
        return v.startsWith("5.5.5-") ? v.substring(6) : v;
    }

    @Override
    public String toString() {
        return "InitialHandshake[" + serverVersion + ", id " + connectionId + ", caps 0x"
                + Integer.toHexString(capabilities) + ", " + authPlugin + "]";
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
