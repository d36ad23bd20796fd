package dev.patchbay.mariadb.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.Map;

/**
 * COM_CHANGE_USER (0x11): a new login on an open connection.
 *
 * @see <a href="https://mariadb.com/kb/en/com_change_user/">COM_CHANGE_USER</a>
 */
public record ChangeUser(String user, byte[] authResponse, String database, int collation, String authPlugin,
                         Map<String, String> attributes) {

    /** Parses the payload (command byte included). {@code caps} are the session's capabilities. */
    public static ChangeUser parse(ByteBuf b, int caps) {
        int cmd = Packets.readInt1(b, "command");
        if (cmd != Commands.COM_CHANGE_USER) {
            throw new ProtocolException("not a COM_CHANGE_USER");
        }
        String user = Packets.readNulString(b, "user name");
        byte[] auth = Capabilities.has(caps, Capabilities.SECURE_CONNECTION)
                ? Packets.readBytes(b, Packets.readInt1(b, "auth response length"), "auth response")
                : Packets.readNulBytes(b, "auth response");
        String db = b.isReadable() ? Packets.readNulOrEofString(b) : "";
        int collation = 0;
        if (b.readableBytes() >= 2) {
            collation = Packets.readInt2(b, "character set");
        }
        String plugin = "";
        if (Capabilities.has(caps, Capabilities.PLUGIN_AUTH) && b.isReadable()) {
            plugin = Packets.readNulOrEofString(b);
        }
        Map<String, String> attrs = null;
        if (Capabilities.has(caps, Capabilities.CONNECT_ATTRS) && b.isReadable()) {
            attrs = HandshakeResponse.readAttributes(b);
        }
        return new ChangeUser(user, auth, db.isEmpty() ? null : db, collation, plugin, attrs);
    }

    public ByteBuf encode(ByteBufAllocator alloc, int caps) {
        ByteBuf b = alloc.heapBuffer(128);
        try {
            b.writeByte(Commands.COM_CHANGE_USER);
            Packets.writeNulString(b, user);
            b.writeByte(authResponse.length).writeBytes(authResponse);
            Packets.writeNulString(b, database == null ? "" : database);
            b.writeShortLE(collation);
            if (Capabilities.has(caps, Capabilities.PLUGIN_AUTH)) {
                Packets.writeNulString(b, authPlugin);
            }
            if (Capabilities.has(caps, Capabilities.CONNECT_ATTRS)) {
                HandshakeResponse.writeAttributes(b, attributes == null ? Map.of() : attributes);
            }
            return Packets.encode(alloc, 0, b);
        } finally {
            b.release();
        }
    }

    @Override
    public String toString() {
        return "ChangeUser[user=" + user + ", db=" + database + "]";
    }
}
