package dev.patchbay.mariadb.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PacketCodecTest {

    @Test
    void decoderEmitsWholeFramesHowEverTheBytesArrive() {
        EmbeddedChannel ch = new EmbeddedChannel(new PacketDecoder());
        ByteBuf two = Unpooled.buffer();
        two.writeBytes(Frames.frame(0, 3, 'a', 'b'));
        two.writeBytes(Frames.frame(1));
        byte[] bytes = ByteBufUtil.getBytes(two);
        two.release();
        for (byte b : bytes) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        ByteBuf f1 = ch.readInbound();
        ByteBuf f2 = ch.readInbound();
        assertThat(Packets.payloadLength(f1)).isEqualTo(3);
        assertThat(Packets.sequence(f1)).isZero();
        assertThat(Packets.firstByte(f1)).isEqualTo(3);
        assertThat(Packets.payloadLength(f2)).isZero();
        assertThat(Packets.firstByte(f2)).isEqualTo(-1);
        assertThat(Packets.sequence(f2)).isEqualTo(1);
        assertThat((Object) ch.readInbound()).isNull();
        f1.release();
        f2.release();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void aBatchingDecoderEmitsTheCompleteFramesOfEachReadAsOneSlice() {
        EmbeddedChannel ch = new EmbeddedChannel(PacketDecoder.batching());
        ByteBuf in = Unpooled.buffer();
        in.writeBytes(Frames.frame(1, 3, 'a'));
        in.writeBytes(Frames.frame(2, 'r', 'o', 'w'));
        in.writeBytes(Frames.frame(3, 0xfe, 0, 0, 2, 0));
        byte[] all = ByteBufUtil.getBytes(in);
        in.release();
        int firstTwo = 4 + 2 + 4 + 3;
        // Two whole frames and part of the third: one slice with the two; then the rest completes the third.
        ch.writeInbound(Unpooled.wrappedBuffer(all, 0, firstTwo + 6));
        ByteBuf batch = ch.readInbound();
        assertThat(ByteBufUtil.getBytes(batch)).isEqualTo(java.util.Arrays.copyOf(all, firstTwo));
        assertThat((Object) ch.readInbound()).isNull();
        ch.writeInbound(Unpooled.wrappedBuffer(all, firstTwo + 6, all.length - firstTwo - 6));
        ByteBuf last = ch.readInbound();
        assertThat(Packets.sequence(last)).isEqualTo(3);
        assertThat(Packets.payloadLength(last)).isEqualTo(5);
        assertThat(last.readableBytes()).isEqualTo(9);
        batch.release();
        last.release();
        // Byte by byte: frames still come out whole, never split across slices.
        for (byte b : all) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        int total = 0;
        for (ByteBuf b; (b = ch.readInbound()) != null; b.release()) {
            assertThat(Packets.HEADER + Packets.payloadLength(b)).isEqualTo(b.readableBytes());
            total += b.readableBytes();
        }
        assertThat(total).isEqualTo(all.length);
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void decoderRefusesFramesOverItsLimit() {
        PacketDecoder d = new PacketDecoder();
        d.maxPayload(10);
        EmbeddedChannel ch = new EmbeddedChannel(d);
        ByteBuf big = Unpooled.buffer().writeMediumLE(11).writeByte(0);
        assertThatThrownBy(() -> {
            ch.writeInbound(big);
            ch.checkException();
        })
                .isInstanceOf(DecoderException.class).hasCauseInstanceOf(ProtocolException.class);
        // The header is still there at close: the decoder refuses it again rather than emitting it.
        assertThatThrownBy(ch::finishAndReleaseAll).hasCauseInstanceOf(ProtocolException.class);
    }

    @Test
    void packetsOf16MiBAndMoreAreSplitAndJoinedByteExact() {
        for (int len : new int[] {0, 1, Packets.MAX_FRAME_PAYLOAD - 1, Packets.MAX_FRAME_PAYLOAD,
                Packets.MAX_FRAME_PAYLOAD + 1, 2 * Packets.MAX_FRAME_PAYLOAD + 5}) {
            byte[] payload = new byte[len];
            new Random(len).nextBytes(payload);
            ByteBuf encoded = Packets.encode(Unpooled.buffer().alloc(), 7, Unpooled.wrappedBuffer(payload));
            int expectedFrames = len / Packets.MAX_FRAME_PAYLOAD + 1;
            assertThat(encoded.readableBytes()).isEqualTo(len + 4 * expectedFrames);
            EmbeddedChannel ch = new EmbeddedChannel(new PacketDecoder());
            ch.writeInbound(encoded);
            PacketAssembler asm = new PacketAssembler(Unpooled.buffer().alloc(), Long.MAX_VALUE);
            Packet p = null;
            int frames = 0;
            ByteBuf f;
            while ((f = ch.readInbound()) != null) {
                assertThat(Packets.sequence(f)).isEqualTo(7 + frames);
                frames++;
                assertThat(p).isNull();
                p = asm.add(f);
            }
            assertThat(frames).isEqualTo(expectedFrames);
            assertThat(p).isNotNull();
            assertThat(p.firstSequence()).isEqualTo(7);
            assertThat(p.lastSequence()).isEqualTo(7 + frames - 1);
            assertThat(ByteBufUtil.getBytes(p.payload())).isEqualTo(payload);
            p.release();
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void assemblerRefusesOutOfOrderFramesAndOversizePackets() {
        PacketAssembler asm = new PacketAssembler(Unpooled.buffer().alloc(), Long.MAX_VALUE);
        ByteBuf first = Unpooled.buffer().writeMediumLE(Packets.MAX_FRAME_PAYLOAD).writeByte(0)
                .writeZero(Packets.MAX_FRAME_PAYLOAD);
        assertThat(asm.add(first)).isNull();
        assertThat(asm.inProgress()).isTrue();
        assertThatThrownBy(() -> asm.add(Frames.frame(5, 1))).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("out of order");
        assertThat(asm.inProgress()).isFalse();

        PacketAssembler small = new PacketAssembler(Unpooled.buffer().alloc(), 100);
        ByteBuf big = Unpooled.buffer().writeMediumLE(Packets.MAX_FRAME_PAYLOAD).writeByte(0)
                .writeZero(Packets.MAX_FRAME_PAYLOAD);
        assertThatThrownBy(() -> small.add(big)).isInstanceOf(ProtocolException.class).hasMessageContaining("limit");
    }

    @Test
    void lenencRoundTrips() {
        for (long v : new long[] {0, 250, 251, 0xFFFF, 0x10000, 0xFFFFFF, 0x1000000, Long.MAX_VALUE}) {
            ByteBuf b = Unpooled.buffer();
            Packets.writeLenenc(b, v);
            assertThat(Packets.readLenenc(b, "v")).isEqualTo(v);
            assertThat(b.isReadable()).isFalse();
            b.release();
        }
        assertThatThrownBy(() -> Packets.readLenenc(Unpooled.wrappedBuffer(new byte[] {(byte) 0xFC, 1}), "x"))
                .isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> Packets.readLenenc(Unpooled.wrappedBuffer(new byte[] {(byte) 0xFF}), "x"))
                .isInstanceOf(ProtocolException.class);
        // Found by Jazzer: an 8-byte length with the top bit set is negative as a long.
        byte[] negative = {(byte) 0xFE, -1, -1, -1, -1, -1, -1, -1, -1};
        assertThatThrownBy(() -> Packets.readLenenc(Unpooled.wrappedBuffer(negative), "x"))
                .isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> HandshakeResponse.readAttributes(Unpooled.wrappedBuffer(negative)))
                .isInstanceOf(ProtocolException.class);
    }

    @Test
    void errPacketsCarryCodeStateAndMessage() {
        ByteBuf e = Packets.err(Unpooled.buffer().alloc(), 2, 1045, "28000", "Access denied");
        assertThat(Packets.sequence(e)).isEqualTo(2);
        assertThat(Packets.errCode(Packets.payload(e))).isEqualTo(1045);
        assertThat(Packets.errMessage(Packets.payload(e))).isEqualTo("Access denied");
        assertThat(ByteBufUtil.hexDump(Packets.payload(e), 0, 9)).isEqualTo("ff1504233238303030");
        e.release();
    }
}
