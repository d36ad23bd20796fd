package dev.patchbay.mariadb.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HandshakeTest {

    @Test
    void initialHandshakeRoundTrips() {
        byte[] scramble = NativePassword.newScramble();
        InitialHandshake hs = new InitialHandshake("11.4.5-MariaDB", 0x12345678L, scramble,
                Capabilities.ADVERTISED | Capabilities.SSL, 0, 45, 2, InitialHandshake.NATIVE_PASSWORD);
        ByteBuf frame = hs.encode(Unpooled.buffer().alloc(), 0);
        assertThat(Packets.sequence(frame)).isZero();
        InitialHandshake back = InitialHandshake.parse(Packets.payload(frame));
        assertThat(back.serverVersion()).isEqualTo("11.4.5-MariaDB");
        assertThat(back.connectionId()).isEqualTo(0x12345678L);
        assertThat(back.scramble()).isEqualTo(scramble);
        assertThat(back.capabilities()).isEqualTo(Capabilities.ADVERTISED | Capabilities.SSL);
        assertThat(back.authPlugin()).isEqualTo(InitialHandshake.NATIVE_PASSWORD);
        assertThat(back.status()).isEqualTo(2);
        frame.release();
        for (byte b : scramble) {
            assertThat(b).isBetween((byte) '!', (byte) '~');
        }
    }

    @Test
    void advertisedCapabilitiesLeaveOutCompressionAndExtendedCapabilities() {
        assertThat(Capabilities.ADVERTISED & Capabilities.COMPRESS).isZero();
        assertThat(Capabilities.ADVERTISED & Capabilities.SSL).isZero();
        assertThat(Capabilities.ADVERTISED & Capabilities.CLIENT_MYSQL).isNotZero();
    }

    @Test
    void handshakeResponseRoundTripsWithAttributes() {
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("_client_name", "MariaDB Connector/J");
        attrs.put("program_name", "x".repeat(300));
        int caps = Capabilities.ADVERTISED;
        HandshakeResponse r = new HandshakeResponse(caps, 1 << 24, 45, 0, "app", new byte[] {1, 2, 0, (byte) 0xFF}, "shop",
                InitialHandshake.NATIVE_PASSWORD, attrs);
        ByteBuf frame = r.encode(Unpooled.buffer().alloc(), 1);
        HandshakeResponse back = HandshakeResponse.parse(Packets.payload(frame), Capabilities.ADVERTISED);
        assertThat(back.user()).isEqualTo("app");
        assertThat(back.authResponse()).containsExactly(1, 2, 0, (byte) 0xFF);
        assertThat(back.database()).isEqualTo("shop");
        assertThat(back.authPlugin()).isEqualTo(InitialHandshake.NATIVE_PASSWORD);
        assertThat(back.attributes()).containsExactlyEntriesOf(attrs);
        assertThat(back.toString()).doesNotContain("\u0001");
        assertThat(HandshakeResponse.isSslRequest(Packets.payload(frame))).isFalse();
        frame.release();
    }

    @Test
    void sslRequestIsRecognised() {
        ByteBuf b = Unpooled.buffer();
        HandshakeResponse.writeSslRequest(b, Capabilities.ADVERTISED | Capabilities.SSL, 1 << 24, 45, 0);
        assertThat(b.readableBytes()).isEqualTo(HandshakeResponse.SSL_REQUEST_LENGTH);
        assertThat(HandshakeResponse.isSslRequest(b)).isTrue();
        b.release();
    }

    @Test
    void truncatedHandshakeResponsesAreProtocolErrors() {
        HandshakeResponse r = new HandshakeResponse(Capabilities.ADVERTISED, 1 << 24, 45, 0, "app", new byte[20], "db",
                InitialHandshake.NATIVE_PASSWORD, Map.of("k", "v"));
        ByteBuf frame = r.encode(Unpooled.buffer().alloc(), 1);
        byte[] payload = ByteBufUtil.getBytes(Packets.payload(frame));
        frame.release();
        for (int n = 0; n < 40; n++) {
            int len = n;
            assertThatThrownBy(() -> HandshakeResponse.parse(Unpooled.wrappedBuffer(payload, 0, len), Capabilities.ADVERTISED))
                    .isInstanceOf(ProtocolException.class);
        }
    }

    @Test
    void changeUserRoundTrips() {
        ChangeUser cu = new ChangeUser("bob", new byte[20], "shop", 45, InitialHandshake.NATIVE_PASSWORD, Map.of("a", "b"));
        ByteBuf frame = cu.encode(Unpooled.buffer().alloc(), Capabilities.ADVERTISED);
        ChangeUser back = ChangeUser.parse(Packets.payload(frame), Capabilities.ADVERTISED);
        assertThat(back.user()).isEqualTo("bob");
        assertThat(back.database()).isEqualTo("shop");
        assertThat(back.collation()).isEqualTo(45);
        assertThat(back.attributes()).containsEntry("a", "b");
        frame.release();
    }

    /** PROTOCOL.md §16: bench/bench has the stored hash *61A7BF... and SHA1('bench') = e5c89c52... */
    @Test
    void nativePasswordRecoversSha1OfThePassword() {
        byte[] stored = NativePassword.parseStoredHash("*61A7BFA719D1CB40DA1D05DBA4EF433C970BBBE6");
        byte[] sha1 = HexFormat.of().parseHex("e5c89c529dccb9b42716f4d9118d61079c883d9e");
        assertThat(NativePassword.sha1(sha1)).isEqualTo(stored);
        byte[] scramble = NativePassword.newScramble();
        byte[] token = NativePassword.tokenForPassword("bench".getBytes(), scramble);
        assertThat(NativePassword.verify(scramble, stored, token)).isEqualTo(sha1);
        byte[] backendScramble = NativePassword.newScramble();
        assertThat(NativePassword.token(sha1, backendScramble))
                .isEqualTo(NativePassword.tokenForPassword("bench".getBytes(), backendScramble));
        token[0] ^= 1;
        assertThat(NativePassword.verify(scramble, stored, token)).isNull();
        assertThat(NativePassword.verify(scramble, new byte[0], new byte[0])).isEmpty();
        assertThat(NativePassword.verify(scramble, new byte[0], new byte[20])).isNull();
        assertThat(NativePassword.parseStoredHash("secret")).isNull();
    }
}
