package dev.patchbay.mariadb.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits a byte stream into frames: emits each complete physical packet, header included, as a
 * retained slice. Frames of a split packet (≥ 16 MiB) come out one by one, so large packets can be
 * relayed as they arrive; {@link PacketAssembler} joins them where a packet must be parsed.
 *
 * <p>{@link #maxPayload(int)} bounds what an unauthenticated peer may make Patchbay buffer; a frame
 * announcing more is a {@link ProtocolException}.
 */
public final class PacketDecoder extends ByteToMessageDecoder {
    public static final String NAME = "mariadb-frames";

    private int maxPayload = Packets.MAX_FRAME_PAYLOAD;

    /** Frames announcing a longer payload are refused. */
    public void maxPayload(int max) {
        this.maxPayload = max;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        decodeFrames(in, out, maxPayload);
    }

    /** The decoding loop, usable without a pipeline (tests, fuzzing). */
    static void decodeFrames(ByteBuf in, List<Object> out, int maxPayload) {
        while (in.readableBytes() >= Packets.HEADER) {
            int len = in.getUnsignedMediumLE(in.readerIndex());
            if (len > maxPayload) {
                throw new ProtocolException("packet of " + len + " bytes exceeds the limit of " + maxPayload);
            }
            if (in.readableBytes() < Packets.HEADER + len) {
                return;
            }
            out.add(in.readRetainedSlice(Packets.HEADER + len));
        }
    }
}
