package dev.patchbay.mariadb.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * HandshakeResponse41 (PROTOCOL.md §5), and the 32-byte SSLRequest that is its prefix. Auth data
 * stays {@code byte[]}: it is binary. {@code attributes} is null when the client sent none
 * (no CLIENT_CONNECT_ATTRS).
 *
 * @see <a href="https://mariadb.com/kb/en/connection/#handshake-response-packet">Handshake response packet</a>
 */
public record HandshakeResponse(int capabilities, long maxPacket, int collation, int extendedCapabilities,
                                String user, byte[] authResponse, String database, String authPlugin,
                                Map<String, String> attributes) {

    /** Payload length of an SSLRequest. */
    public static final int SSL_REQUEST_LENGTH = 32;
    /** Attribute blocks beyond this are refused, as MariaDB refuses them (ERR 1043). */
    public static final int MAX_ATTRIBUTES = 65535;

    /** True if {@code payload} is an SSLRequest: exactly the fixed part, with CLIENT_SSL set. */
    public static boolean isSslRequest(ByteBuf payload) {
        return payload.readableBytes() == SSL_REQUEST_LENGTH
                && Capabilities.has(payload.getIntLE(payload.readerIndex()), Capabilities.SSL);
    }

    /**
     * Parses a client's handshake response. {@code serverCaps} are the capabilities Patchbay
     * announced: optional fields are present when both sides have the capability.
     */
    public static HandshakeResponse parse(ByteBuf b, int serverCaps) {
        int clientCaps = (int) Packets.readInt4(b, "capabilities");
        if (!Capabilities.has(clientCaps, Capabilities.PROTOCOL_41)) {
            throw new ProtocolException("client does not speak protocol 4.1");
        }
        int caps = clientCaps & (serverCaps | Capabilities.SSL);
        long maxPacket = Packets.readInt4(b, "max packet size");
        int collation = Packets.readInt1(b, "collation");
        Packets.readBytes(b, 19, "filler");
        int ext = (int) Packets.readInt4(b, "extended capabilities");
        String user = Packets.readNulString(b, "user name");
        byte[] auth;
        if (Capabilities.has(caps, Capabilities.PLUGIN_AUTH_LENENC_CLIENT_DATA)) {
            auth = Packets.readLenencBytes(b, "auth response");
        } else if (Capabilities.has(caps, Capabilities.SECURE_CONNECTION)) {
            auth = Packets.readBytes(b, Packets.readInt1(b, "auth response length"), "auth response");
        } else {
            auth = Packets.readNulBytes(b, "auth response");
        }
        String db = null;
        if (Capabilities.has(caps, Capabilities.CONNECT_WITH_DB) && b.isReadable()) {
            db = Packets.readNulOrEofString(b);
            if (db.isEmpty()) {
                db = null;
            }
        }
        String plugin = "";
        if (Capabilities.has(caps, Capabilities.PLUGIN_AUTH) && b.isReadable()) {
            plugin = Packets.readNulOrEofString(b);
        }
        Map<String, String> attrs = null;
        if (Capabilities.has(caps, Capabilities.CONNECT_ATTRS) && b.isReadable()) {
            attrs = readAttributes(b);
        }
        return new HandshakeResponse(caps, maxPacket, collation, ext, user, auth, db, plugin, attrs);
    }

    /** The connection attribute block: a byte count, then key/value lenenc strings. */
    public static Map<String, String> readAttributes(ByteBuf b) {
        long total = Packets.readLenenc(b, "attributes length");
        if (total > MAX_ATTRIBUTES || total > b.readableBytes()) {
            throw new ProtocolException("connection attributes of " + total + " bytes do not fit the packet");
        }
        ByteBuf block = b.readSlice((int) total);
        Map<String, String> attrs = new LinkedHashMap<>();
        while (block.isReadable()) {
            String key = Packets.readLenencString(block, "attribute name");
            String value = Packets.readLenencString(block, "attribute value");
            attrs.put(key, value);
        }
        return Collections.unmodifiableMap(attrs);
    }

    public static void writeAttributes(ByteBuf out, Map<String, String> attrs) {
        ByteBuf block = out.alloc().heapBuffer();
        try {
            for (Map.Entry<String, String> e : attrs.entrySet()) {
                Packets.writeLenencString(block, e.getKey());
                Packets.writeLenencString(block, e.getValue());
            }
            Packets.writeLenenc(out, block.readableBytes());
            out.writeBytes(block);
        } finally {
            block.release();
        }
    }

    /** Writes an SSLRequest payload (the fixed 32-byte prefix). */
    public static void writeSslRequest(ByteBuf b, int caps, long maxPacket, int collation, int ext) {
        b.writeIntLE(caps);
        b.writeIntLE((int) maxPacket);
        b.writeByte(collation);
        b.writeZero(19);
        b.writeIntLE(ext);
    }

    /** Writes this response as Patchbay sends it to a backend. */
    public ByteBuf encode(ByteBufAllocator alloc, int seq) {
        ByteBuf b = alloc.heapBuffer(128);
        try {
            writeSslRequest(b, capabilities, maxPacket, collation, extendedCapabilities);
            Packets.writeNulString(b, user);
            if (Capabilities.has(capabilities, Capabilities.PLUGIN_AUTH_LENENC_CLIENT_DATA)) {
                Packets.writeLenencBytes(b, authResponse);
            } else {
                b.writeByte(authResponse.length).writeBytes(authResponse);
            }
            if (Capabilities.has(capabilities, Capabilities.CONNECT_WITH_DB)) {
                Packets.writeNulString(b, database == null ? "" : database);
            }
            if (Capabilities.has(capabilities, Capabilities.PLUGIN_AUTH)) {
                Packets.writeNulString(b, authPlugin);
            }
            if (Capabilities.has(capabilities, Capabilities.CONNECT_ATTRS)) {
                writeAttributes(b, attributes == null ? Map.of() : attributes);
            }
            return Packets.encode(alloc, seq, b);
        } finally {
            b.release();
        }
    }

    @Override
    public String toString() {
        // Never the auth response: it is derived from the password.
        return "HandshakeResponse[user=" + user + ", db=" + database + ", plugin=" + authPlugin + ", caps=0x"
                + Integer.toHexString(capabilities) + "]";
    }
}
