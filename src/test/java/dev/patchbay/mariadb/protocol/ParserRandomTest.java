package dev.patchbay.mariadb.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated inputs for every decoder, in the default run (the Jazzer variant,
 * {@link ProtocolFuzzTest}, explores further when fuzzing is switched on).
 */
class ParserRandomTest {

    @Test
    void randomBytesGiveProtocolErrorsOnly() {
        Random r = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[r.nextInt(200)];
            r.nextBytes(b);
            ParserRobustness.check(b);
        }
    }

    @Test
    void mutatedValidPacketsGiveProtocolErrorsOnly() {
        HandshakeResponse resp = new HandshakeResponse(Capabilities.ADVERTISED, 1 << 24, 45, 0, "app", new byte[20], "db",
                InitialHandshake.NATIVE_PASSWORD, Map.of("_client_name", "x", "program_name", "y"));
        ByteBuf frame = resp.encode(Unpooled.buffer().alloc(), 1);
        byte[] valid = ByteBufUtil.getBytes(Packets.payload(frame));
        frame.release();
        Random r = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = valid.clone();
            int flips = 1 + r.nextInt(4);
            for (int k = 0; k < flips; k++) {
                b[r.nextInt(b.length)] = (byte) r.nextInt(256);
            }
            ParserRobustness.check(b);
            ParserRobustness.check(java.util.Arrays.copyOf(b, r.nextInt(b.length + 1)));
        }
    }
}
