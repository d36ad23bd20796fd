package dev.patchbay.tcp;

import static dev.patchbay.testing.Proxy.connect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Session;
import dev.patchbay.testing.Closer;
import dev.patchbay.testing.LogCapture;
import dev.patchbay.testing.Proxy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * PROXY protocol in TCP mode on real sockets: headers taken from peers in a listener's
 * {@code proxy_protocol_networks} (required from them, as HAProxy's accept-proxy), and sent to servers with
 * {@code proxy_protocol} (v1 text, v2 binary) carrying the client's address.
 */
@Timeout(60)
class ProxyProtocolTest {
    @RegisterExtension
    final Closer closer = new Closer();
    @RegisterExtension
    final LogCapture accessLog = new LogCapture("patchbay.access");

    /** Byte 13 of a v2 header is the version and command; the 12 before it are the signature. */
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    /** A backend that reads one connection to its end, answers "pong" and closes; completes with what it read. */
    private CompletableFuture<byte[]> oneShotBackend(ServerSocket ss) {
        CompletableFuture<byte[]> got = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (Socket s = ss.accept()) {
                byte[] all = s.getInputStream().readAllBytes();
                s.getOutputStream().write("pong".getBytes(StandardCharsets.US_ASCII));
                got.complete(all);
            } catch (IOException e) {
                got.completeExceptionally(e);
            }
        });
        t.setDaemon(true);
        t.start();
        return got;
    }

    private Patchbay start(int backendPort, String serverLine, String listenerLine) throws Exception {
        return closer.track(Proxy.start("[s1]\ntype=server\naddress=127.0.0.1\nport=" + backendPort
                + "\nhealth_check=none\n" + serverLine + "\n[svc]\ntype=service\nservers=s1\n\n" + Proxy.listener()
                + listenerLine + "\n"));
    }

    /** Sends {@code bytes}, half-closes, returns what comes back. */
    private static String exchange(Patchbay p, byte[] bytes) throws IOException {
        try (Socket s = connect(p, "l1")) {
            s.getOutputStream().write(bytes);
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    /** The header a server received, and the bytes after it. */
    private static HAProxyMessage decode(byte[] received, ByteArrayOutputStream rest) {
        EmbeddedChannel ch = new EmbeddedChannel(new HAProxyMessageDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(received));
        HAProxyMessage m = ch.readInbound();
        for (ByteBuf b = ch.readInbound(); b != null; b = ch.readInbound()) {
            byte[] a = new byte[b.readableBytes()];
            b.readBytes(a);
            rest.writeBytes(a);
            b.release();
        }
        ch.finishAndReleaseAll();
        return m;
    }

    @Test
    void aHeaderFromAListedPeerNamesTheClientAndAV2HeaderCarriesItToTheServer() throws Exception {
        ServerSocket ss = closer.track(new ServerSocket(0, 5, InetAddress.getLoopbackAddress()));
        CompletableFuture<byte[]> got = oneShotBackend(ss);
        Patchbay p = start(ss.getLocalPort(), "proxy_protocol=v2", "proxy_protocol_networks=127.0.0.0/8");
        // The header and the first request bytes in one segment, as a load balancer sends them.
        try (Socket s = connect(p, "l1")) {
            s.getOutputStream().write("PROXY TCP4 198.51.100.7 192.0.2.10 40123 443\r\nping".getBytes(StandardCharsets.US_ASCII));
            await().until(() -> p.sessions().size() == 1
                    && p.sessions().snapshot().get(0).clientAddress().toString().contains("198.51.100.7"));
            Session session = p.sessions().snapshot().get(0);
            assertThat(session.clientAddress()).isEqualTo(new InetSocketAddress("198.51.100.7", 40123));
            assertThat(session.frontendAddress()).isEqualTo(new InetSocketAddress("192.0.2.10", 443));
            s.shutdownOutput();
            assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("pong");
        }
        byte[] received = got.get(10, TimeUnit.SECONDS);
        assertThat(received).startsWith(V2_SIGNATURE);
        ByteArrayOutputStream rest = new ByteArrayOutputStream();
        HAProxyMessage m = decode(received, rest);
        assertThat(m.protocolVersion()).isEqualTo(HAProxyProtocolVersion.V2);
        assertThat(m.command()).isEqualTo(HAProxyCommand.PROXY);
        assertThat(m.sourceAddress()).isEqualTo("198.51.100.7");
        assertThat(m.sourcePort()).isEqualTo(40123);
        assertThat(m.destinationAddress()).isEqualTo("192.0.2.10");
        assertThat(m.destinationPort()).isEqualTo(443);
        m.release();
        assertThat(rest.toString(StandardCharsets.US_ASCII)).isEqualTo("ping");
        await().until(() -> accessLog.lines().stream().anyMatch(l -> l.contains("client=198.51.100.7:40123")));
    }

    @Test
    void aV2HeaderIsReadAndAPeerOutsideTheNetworksIsAClientItself() throws Exception {
        ServerSocket ss = closer.track(new ServerSocket(0, 5, InetAddress.getLoopbackAddress()));
        CompletableFuture<byte[]> got = oneShotBackend(ss);
        // v2 from a listed peer: a binary header (PROXY command, TCP over IPv6) built by Netty's own encoder.
        Patchbay p = start(ss.getLocalPort(), "proxy_protocol=v1", "proxy_protocol_networks=*");
        HAProxyMessage v2 = new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY,
                io.netty.handler.codec.haproxy.HAProxyProxiedProtocol.TCP6, "2001:db8::5", "2001:db8::1", 5555, 80);
        EmbeddedChannel enc = new EmbeddedChannel(io.netty.handler.codec.haproxy.HAProxyMessageEncoder.INSTANCE);
        enc.writeOutbound(v2);
        ByteBuf header = enc.readOutbound();
        byte[] bytes = new byte[header.readableBytes() + 4];
        header.readBytes(bytes, 0, header.readableBytes());
        header.release();
        System.arraycopy("ping".getBytes(StandardCharsets.US_ASCII), 0, bytes, bytes.length - 4, 4);
        assertThat(exchange(p, bytes)).isEqualTo("pong");
        // Sent on as v1 text, the client's IPv6 address.
        assertThat(new String(got.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII))
                .isEqualTo("PROXY TCP6 2001:db8::5 2001:db8::1 5555 80\r\nping");

        // A listener whose networks do not include 127.0.0.1: the peer is the client, no header is read,
        // and the header sent on names the peer.
        ServerSocket ss2 = closer.track(new ServerSocket(0, 5, InetAddress.getLoopbackAddress()));
        CompletableFuture<byte[]> got2 = oneShotBackend(ss2);
        Patchbay direct = start(ss2.getLocalPort(), "proxy_protocol=true", "proxy_protocol_networks=10.0.0.0/8");
        assertThat(exchange(direct, "ping".getBytes(StandardCharsets.US_ASCII))).isEqualTo("pong");
        String sent = new String(got2.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII);
        int lport = direct.listenerAddress("l1").getPort();
        assertThat(sent).matches("PROXY TCP4 127\\.0\\.0\\.1 127\\.0\\.0\\.1 \\d+ " + lport + "\r\nping");
    }

    @Test
    void aListedPeerWithoutAHeaderIsRefusedAndNoServerIsAsked() throws Exception {
        ServerSocket ss = closer.track(new ServerSocket(0, 5, InetAddress.getLoopbackAddress()));
        Patchbay p = start(ss.getLocalPort(), "", "proxy_protocol_networks=127.0.0.1");
        try (Socket s = connect(p, "l1")) {
            s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            assertThat(in.read()).isEqualTo(-1);
        }
        await().until(() -> accessLog.lines().stream().anyMatch(l -> l.contains("termination=\"client error (no PROXY"
                + " protocol header from /127.0.0.1:") && l.contains("(the listener's proxy_protocol_networks lists it))\"")));
        // A header that is broken halfway is refused too, with the decoder's reason.
        try (Socket s = connect(p, "l1")) {
            s.getOutputStream().write("PROXY TCP4 not-an-address 192.0.2.10 1 2\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        await().until(() -> accessLog.lines().stream().anyMatch(l -> l.contains(
                "termination=\"client error (invalid PROXY protocol header: invalid IPv4 address: not-an-address)\"")));
        try (Socket s = connect(p, "l1")) {
            s.getOutputStream().write("PROXY GARBAGE 192.0.2.1 192.0.2.10 1 2\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        await().until(() -> accessLog.lines().stream().anyMatch(l -> l.contains("termination=\"client error (invalid PROXY"
                + " protocol header: unknown protocol 'GARBAGE' (expected TCP4, TCP6 or UNKNOWN))\"")));
        ss.setSoTimeout(200);
        org.assertj.core.api.Assertions.assertThatThrownBy(ss::accept)
                .as("no connection was made to the server").isInstanceOf(java.net.SocketTimeoutException.class);
        assertThat(p.sessions().size()).isZero();
    }

    @Test
    void aListedPeerThatHangsUpBeforeItsHeaderEndsAtOnce() throws Exception {
        ServerSocket ss = closer.track(new ServerSocket(0, 5, InetAddress.getLoopbackAddress()));
        Patchbay p = start(ss.getLocalPort(), "", "proxy_protocol_networks=127.0.0.1");
        for (int i = 0; i < 20; i++) {
            connect(p, "l1").close();
        }
        // Not 10 s later, at the header timeout: a few hundred of these must not fill max_connections.
        await().atMost(3, TimeUnit.SECONDS).until(() -> p.sessions().size() == 0
                && accessLog.lines().stream().filter(l -> l.contains(
                        "termination=\"client closed (before its PROXY protocol header)\"")).count() == 20);
    }

    @Test
    void aListedPeerThatSendsNothingIsClosedAfterTenSeconds() throws Exception {
        ServerSocket ss = closer.track(new ServerSocket(0, 5, InetAddress.getLoopbackAddress()));
        Patchbay p = start(ss.getLocalPort(), "", "proxy_protocol_networks=127.0.0.1");
        try (Socket s = connect(p, "l1")) {
            await().until(() -> p.sessions().size() == 1);
            // Not queued for a server: no queue timer, no server slot, until the header says who the client is.
            assertThat(p.sessions().snapshot().get(0).state()).isInstanceOf(dev.patchbay.core.SessionState.Authenticating.class);
            s.setSoTimeout(20_000);
            long t0 = System.nanoTime();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThan(8_000);
        }
        await().until(() -> accessLog.lines().stream().anyMatch(l -> l.contains(
                "termination=\"client timeout (no PROXY protocol header within 10 s)\"")));
    }
}
