package dev.patchbay.mariadb.protocol;

import io.netty.buffer.ByteBuf;

/**
 * One logical packet: its payload (all frames joined) and the sequence ids of its first and last
 * frame. The payload is owned by whoever holds the record and must be released.
 */
public record Packet(int firstSequence, int lastSequence, ByteBuf payload) {
    public void release() {
        payload.release();
    }
}
