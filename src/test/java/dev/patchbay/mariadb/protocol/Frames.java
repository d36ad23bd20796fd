package dev.patchbay.mariadb.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Test helpers that build frames. */
final class Frames {
    private Frames() {}

    static ByteBuf frame(int seq, int... payload) {
        ByteBuf b = Unpooled.buffer();
        b.writeMediumLE(payload.length).writeByte(seq);
        for (int p : payload) {
            b.writeByte(p);
        }
        return b;
    }

    static ByteBuf frame(int seq, ByteBuf payload) {
        ByteBuf b = Unpooled.buffer();
        b.writeMediumLE(payload.readableBytes()).writeByte(seq).writeBytes(payload);
        payload.release();
        return b;
    }

    static ByteBuf ok(int seq, int status) {
        return frame(seq, 0x00, 0, 0, status & 0xFF, status >> 8, 0, 0);
    }

    static ByteBuf eof(int seq, int status) {
        return frame(seq, 0xFE, 0, 0, status & 0xFF, status >> 8);
    }

    static ByteBuf okAsEof(int seq, int status) {
        return frame(seq, 0xFE, 0, 0, status & 0xFF, status >> 8, 0, 0);
    }

    static ByteBuf err(int seq) {
        return Packets.err(Unpooled.buffer().alloc(), seq, 1064, "42000", "syntax");
    }
}
