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
 *
 * <p>A {@link #batching() batching} decoder (a server connection's) emits all complete frames of a
 * read as one slice instead: the session walks their headers and relays them with one write, the
 * way TCP mode relays a read, rather than paying a pipeline pass and an object per packet of a
 * result set.
 */
public final class PacketDecoder extends ByteToMessageDecoder {
    public static final String NAME = "mariadb-frames";

    private int maxPayload = Packets.MAX_FRAME_PAYLOAD;
    private final boolean batching;

    /** One frame per message. */
    public PacketDecoder() {
        this(false);
    }

    private PacketDecoder(boolean batching) {
        this.batching = batching;
    }

    /** Complete frames come out together, as one slice per read (at least one whole frame each). */
    public static PacketDecoder batching() {
        return new PacketDecoder(true);
    }

    /** Frames announcing a longer payload are refused. */
    public void maxPayload(int max) {
        this.maxPayload = max;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (batching) {
            decodeBatch(in, out, maxPayload);
        } else {
            decodeFrames(in, out, maxPayload);
        }
    }

    /** All complete frames at the start of {@code in}, as one retained slice. */
    static void decodeBatch(ByteBuf in, List<Object> out, int maxPayload) {
        int start = in.readerIndex();
        int pos = start;
        int end = in.writerIndex();
        while (end - pos >= Packets.HEADER) {
            int len = in.getUnsignedMediumLE(pos);
            if (len > maxPayload) {
                throw new ProtocolException("packet of " + len + " bytes exceeds the limit of " + maxPayload);
            }
            if (end - pos < Packets.HEADER + len) {
                break;
            }
            pos += Packets.HEADER + len;
        }
        if (pos > start) {
            out.add(in.readRetainedSlice(pos - start));
        }
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
