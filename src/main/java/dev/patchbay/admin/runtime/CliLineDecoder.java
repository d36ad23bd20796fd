package dev.patchbay.admin.runtime;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Frames the CLI's input into lines (LF, without it), bytes kept as they are ({@link CliBytes}). A line whose length with its LF exceeds
 * {@link #MAX_LINE} bytes (HAProxy's tune.bufsize - 1) becomes {@link #TOO_LONG} and everything
 * after it is dropped, since the connection is closed after the message.
 */
final class CliLineDecoder extends ByteToMessageDecoder {
    static final String NAME = "lineDecoder";
    static final int MAX_LINE = 16_383;

    /** Emitted instead of a line that does not fit. */
    static final Object TOO_LONG = new Object() {
        @Override
        public String toString() {
            return "TOO_LONG";
        }
    };

    private boolean failed;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (!failed) {
            int readable = in.readableBytes();
            int lf = in.indexOf(in.readerIndex(), in.readerIndex() + Math.min(readable, MAX_LINE), (byte) '\n');
            if (lf < 0) {
                if (readable >= MAX_LINE) {
                    failed = true;
                    out.add(TOO_LONG);
                }
                break;
            }
            int len = lf - in.readerIndex();
            out.add(CliBytes.decode(in, in.readerIndex(), len));
            in.skipBytes(len + 1);
        }
        if (failed) {
            in.skipBytes(in.readableBytes());
        }
    }
}
