package dev.patchbay.mariadb.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * Framing constants, frame accessors and the readers and writers of the protocol's basic types
 * (PROTOCOL.md §1). A <em>frame</em> is one physical packet as it travels: a 4-byte header
 * ({@code int<3>} payload length, {@code int<1>} sequence id) and up to 0xFFFFFF payload bytes.
 * Every reader checks bounds and throws {@link ProtocolException}, never an index exception.
 */
public final class Packets {
    public static final int HEADER = 4;
    /** A frame of this payload length is followed by at least one more frame of the same packet. */
    public static final int MAX_FRAME_PAYLOAD = 0xFFFFFF;

    public static final int OK = 0x00;
    public static final int LOCAL_INFILE = 0xFB;
    public static final int EOF = 0xFE;
    public static final int ERR = 0xFF;

    private Packets() {}

    // ---- frames --------------------------------------------------------------------------

    public static int payloadLength(ByteBuf frame) {
        return frame.getUnsignedMediumLE(frame.readerIndex());
    }

    public static int sequence(ByteBuf frame) {
        return frame.getUnsignedByte(frame.readerIndex() + 3);
    }

    public static void setSequence(ByteBuf frame, int seq) {
        frame.setByte(frame.readerIndex() + 3, seq);
    }

    /** First payload byte, -1 for an empty payload. */
    public static int firstByte(ByteBuf frame) {
        return payloadLength(frame) == 0 ? -1 : frame.getUnsignedByte(frame.readerIndex() + HEADER);
    }

    /** A view of the payload (shares the frame's memory and reference count). */
    public static ByteBuf payload(ByteBuf frame) {
        return frame.slice(frame.readerIndex() + HEADER, payloadLength(frame));
    }

    /** True if another frame of the same logical packet follows this one. */
    public static boolean continues(ByteBuf frame) {
        return payloadLength(frame) == MAX_FRAME_PAYLOAD;
    }

    /** Writes a whole packet, split into frames when it is 0xFFFFFF bytes or more. */
    public static ByteBuf encode(ByteBufAllocator alloc, int seq, ByteBuf payload) {
        int len = payload.readableBytes();
        int frames = len / MAX_FRAME_PAYLOAD + 1;
        ByteBuf out = alloc.buffer(len + frames * HEADER);
        int off = payload.readerIndex();
        int left = len;
        while (true) {
            int n = Math.min(left, MAX_FRAME_PAYLOAD);
            out.writeMediumLE(n);
            out.writeByte(seq & 0xFF);
            out.writeBytes(payload, off, n);
            off += n;
            left -= n;
            seq++;
            if (n < MAX_FRAME_PAYLOAD) {
                break;
            }
        }
        return out;
    }

    // ---- readers (payload-relative, advance the reader index) -------------------------------

    private static void need(ByteBuf b, int n, String what) {
        if (n < 0 || b.readableBytes() < n) {
            throw new ProtocolException("truncated packet: " + what);
        }
    }

    public static int readInt1(ByteBuf b, String what) {
        need(b, 1, what);
        return b.readUnsignedByte();
    }

    public static int readInt2(ByteBuf b, String what) {
        need(b, 2, what);
        return b.readUnsignedShortLE();
    }

    public static int readInt3(ByteBuf b, String what) {
        need(b, 3, what);
        return b.readUnsignedMediumLE();
    }

    public static long readInt4(ByteBuf b, String what) {
        need(b, 4, what);
        return b.readUnsignedIntLE();
    }

    /** {@code int<lenenc>}; NULL (0xFB) and 0xFF are errors here. */
    public static long readLenenc(ByteBuf b, String what) {
        int first = readInt1(b, what);
        if (first < 0xFB) {
            return first;
        }
        switch (first) {
            case 0xFC:
                return readInt2(b, what);
            case 0xFD:
                return readInt3(b, what);
            case 0xFE:
                need(b, 8, what);
                long v = b.readLongLE();
                if (v < 0) {
                    throw new ProtocolException("length-encoded integer out of range in " + what);
                }
                return v;
            default:
                throw new ProtocolException("bad length-encoded integer in " + what);
        }
    }

    public static byte[] readBytes(ByteBuf b, long n, String what) {
        if (n < 0 || n > Integer.MAX_VALUE) {
            throw new ProtocolException("truncated packet: " + what);
        }
        need(b, (int) n, what);
        byte[] out = new byte[(int) n];
        b.readBytes(out);
        return out;
    }

    public static byte[] readLenencBytes(ByteBuf b, String what) {
        return readBytes(b, readLenenc(b, what), what);
    }

    public static String readLenencString(ByteBuf b, String what) {
        return new String(readLenencBytes(b, what), StandardCharsets.UTF_8);
    }

    /** {@code string<NUL>}; a missing terminator is an error. */
    public static byte[] readNulBytes(ByteBuf b, String what) {
        int end = b.indexOf(b.readerIndex(), b.writerIndex(), (byte) 0);
        if (end < 0) {
            throw new ProtocolException("unterminated string: " + what);
        }
        byte[] out = new byte[end - b.readerIndex()];
        b.readBytes(out);
        b.skipBytes(1);
        return out;
    }

    public static String readNulString(ByteBuf b, String what) {
        return new String(readNulBytes(b, what), StandardCharsets.UTF_8);
    }

    /** {@code string<NUL>} that may also end at the end of the packet (seen from some clients). */
    public static String readNulOrEofString(ByteBuf b) {
        int end = b.indexOf(b.readerIndex(), b.writerIndex(), (byte) 0);
        int stop = end < 0 ? b.writerIndex() : end;
        String s = b.toString(b.readerIndex(), stop - b.readerIndex(), StandardCharsets.UTF_8);
        b.readerIndex(end < 0 ? stop : stop + 1);
        return s;
    }

    // ---- writers ----------------------------------------------------------------------------

    public static void writeLenenc(ByteBuf b, long v) {
        if (v < 0xFB) {
            b.writeByte((int) v);
        } else if (v < 0x10000) {
            b.writeByte(0xFC).writeShortLE((int) v);
        } else if (v < 0x1000000) {
            b.writeByte(0xFD).writeMediumLE((int) v);
        } else {
            b.writeByte(0xFE).writeLongLE(v);
        }
    }

    public static void writeLenencBytes(ByteBuf b, byte[] bytes) {
        writeLenenc(b, bytes.length);
        b.writeBytes(bytes);
    }

    public static void writeLenencString(ByteBuf b, String s) {
        writeLenencBytes(b, s.getBytes(StandardCharsets.UTF_8));
    }

    public static void writeNulString(ByteBuf b, String s) {
        b.writeBytes(s.getBytes(StandardCharsets.UTF_8)).writeByte(0);
    }

    // ---- generic responses -----------------------------------------------------------------

    /** An OK packet frame: no affected rows, no insert id, the given status, no warnings. */
    public static ByteBuf ok(ByteBufAllocator alloc, int seq, int status) {
        ByteBuf b = alloc.buffer(11);
        b.writeMediumLE(7).writeByte(seq).writeByte(OK).writeByte(0).writeByte(0).writeShortLE(status).writeShortLE(0);
        return b;
    }

    /**
     * An OK packet frame with an info string: length-encoded when the client has SESSION_TRACK,
     * else the rest of the packet (as the server writes it).
     */
    public static ByteBuf ok(ByteBufAllocator alloc, int seq, int status, byte[] info, boolean lenencInfo) {
        ByteBuf p = alloc.heapBuffer(16 + info.length);
        try {
            p.writeByte(OK).writeByte(0).writeByte(0).writeShortLE(status).writeShortLE(0);
            if (lenencInfo) {
                writeLenencBytes(p, info);
            } else {
                p.writeBytes(info);
            }
            return encode(alloc, seq, p);
        } finally {
            p.release();
        }
    }

    /** An ERR packet frame with SQLSTATE (PROTOCOL_41 form). */
    public static ByteBuf err(ByteBufAllocator alloc, int seq, int code, String sqlState, String message) {
        byte[] msg = message.getBytes(StandardCharsets.UTF_8);
        ByteBuf b = alloc.buffer(HEADER + 9 + msg.length);
        b.writeMediumLE(9 + msg.length).writeByte(seq).writeByte(ERR).writeShortLE(code).writeByte('#')
                .writeBytes(sqlState.getBytes(StandardCharsets.US_ASCII)).writeBytes(msg);
        return b;
    }

    /** The error code of an ERR payload, or -1 if the payload is too short. */
    public static int errCode(ByteBuf payload) {
        return payload.readableBytes() >= 3 ? payload.getUnsignedShortLE(payload.readerIndex() + 1) : -1;
    }

    /** The message of an ERR payload (after the SQLSTATE marker when there is one). */
    public static String errMessage(ByteBuf payload) {
        int off = payload.readerIndex() + 3;
        int end = payload.writerIndex();
        if (off < end && payload.getByte(off) == '#') {
            off = Math.min(end, off + 6);
        }
        return off >= end ? "" : payload.toString(off, end - off, StandardCharsets.UTF_8);
    }
}
