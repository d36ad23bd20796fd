package dev.patchbay.mariadb.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

/**
 * Joins the frames of a split packet (payload ≥ 0xFFFFFF bytes) into one payload. Frames must
 * carry consecutive sequence ids; a packet longer than the limit is a {@link ProtocolException}.
 * Not thread-safe: one per connection direction.
 */
public final class PacketAssembler {
    private final ByteBufAllocator alloc;
    private final long maxPacket;
    private CompositeByteBuf parts;
    private int firstSeq;
    private int lastSeq;

    public PacketAssembler(ByteBufAllocator alloc, long maxPacket) {
        this.alloc = alloc;
        this.maxPacket = maxPacket;
    }

    /**
     * Takes ownership of {@code frame}. Returns the whole packet once its last frame arrived, else
     * null.
     */
    public Packet add(ByteBuf frame) {
        try {
            int len = Packets.payloadLength(frame);
            int seq = Packets.sequence(frame);
            if (parts == null) {
                if (!Packets.continues(frame)) {
                    return new Packet(seq, seq, Packets.payload(frame).retain());
                }
                parts = alloc.compositeBuffer(Integer.MAX_VALUE);
                firstSeq = seq;
            } else if (seq != ((lastSeq + 1) & 0xFF)) {
                discard();
                throw new ProtocolException("packets out of order: expected sequence " + ((lastSeq + 1) & 0xFF) + ", got " + seq);
            }
            lastSeq = seq;
            if ((long) parts.readableBytes() + len > maxPacket) {
                discard();
                throw new ProtocolException("packet exceeds the limit of " + maxPacket + " bytes");
            }
            parts.addComponent(true, Packets.payload(frame).retain());
            if (Packets.continues(frame)) {
                return null;
            }
            Packet p = new Packet(firstSeq, lastSeq, parts);
            parts = null;
            return p;
        } finally {
            frame.release();
        }
    }

    /** True while a split packet is half-assembled. */
    public boolean inProgress() {
        return parts != null;
    }

    public void discard() {
        if (parts != null) {
            parts.release();
            parts = null;
        }
    }
}
