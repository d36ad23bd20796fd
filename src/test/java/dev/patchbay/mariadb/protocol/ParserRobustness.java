package dev.patchbay.mariadb.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;

/**
 * The property the decoders must have on any input: produce packets or throw
 * {@link ProtocolException}, never any other exception, and never leak a buffer.
 */
final class ParserRobustness {
    private ParserRobustness() {}

    static void check(byte[] data) {
        ByteBuf in = Unpooled.wrappedBuffer(data);
        List<Object> out = new ArrayList<>();
        try {
            PacketDecoder.decodeFrames(in, out, data.length > 0 && (data[0] & 1) == 1 ? 1024 : Packets.MAX_FRAME_PAYLOAD);
        } catch (ProtocolException expected) {
            // a clean protocol error
        }
        for (Object o : out) {
            ((ByteBuf) o).release();
        }
        in.release();
        parse(() -> HandshakeResponse.parse(Unpooled.wrappedBuffer(data), Capabilities.ADVERTISED));
        parse(() -> HandshakeResponse.parse(Unpooled.wrappedBuffer(data), Capabilities.ADVERTISED & ~Capabilities.PLUGIN_AUTH_LENENC_CLIENT_DATA));
        parse(() -> InitialHandshake.parse(Unpooled.wrappedBuffer(data)));
        parse(() -> ChangeUser.parse(Unpooled.wrappedBuffer(data), Capabilities.ADVERTISED));
        for (ResponseTracker.Shape shape : ResponseTracker.Shape.values()) {
            for (boolean deprecateEof : new boolean[] {true, false}) {
                parse(() -> track(data, shape, deprecateEof));
            }
        }
    }

    private static Object track(byte[] data, ResponseTracker.Shape shape, boolean deprecateEof) {
        ResponseTracker t = new ResponseTracker(deprecateEof);
        t.begin(shape);
        ByteBuf in = Unpooled.wrappedBuffer(data);
        List<Object> frames = new ArrayList<>();
        try {
            PacketDecoder.decodeFrames(in, frames, Packets.MAX_FRAME_PAYLOAD);
            for (Object f : frames) {
                if (!t.busy()) {
                    t.begin(shape);
                }
                if (t.awaitingInfile()) {
                    t.infileSent();
                }
                t.onFrame((ByteBuf) f);
            }
        } finally {
            frames.forEach(f -> ((ByteBuf) f).release());
            in.release();
        }
        return t;
    }

    private interface Parse {
        Object run();
    }

    private static void parse(Parse p) {
        try {
            p.run();
        } catch (ProtocolException expected) {
            // a clean protocol error
        }
    }
}
