package dev.patchbay.tcp;

import static dev.patchbay.testing.Proxy.server;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.patchbay.Patchbay;
import dev.patchbay.testing.Closer;
import dev.patchbay.testing.Proxy;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * When a side's last bytes and its FIN come in one segment, Patchbay relays them in one segment too (on epoll,
 * the default transport): the receiver finds the end of the stream as soon as it finds the bytes. Relayed
 * separately, the FIN leaves a moment after the bytes, and a reader that looks at once usually finds it not
 * there yet; twenty sessions in a row would not all pass.
 */
@Timeout(60)
class FinWithLastBytesTest {
    private static final int SESSIONS = 20;

    @RegisterExtension
    final Closer closer = new Closer();

    private MultiThreadIoEventLoopGroup group() {
        MultiThreadIoEventLoopGroup g = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        closer.track(() -> g.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly());
        return g;
    }

    /**
     * Sends {@code text} and a FIN in one segment as soon as its channel is active (corked, the FIN is added to
     * the unsent bytes), and discards what it reads. One instance serves every channel of a bootstrap.
     */
    @ChannelHandler.Sharable
    private static final class SendsWithFin extends ChannelInboundHandlerAdapter {
        private final String text;

        SendsWithFin(String text) {
            this.text = text;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            EpollSocketChannel ch = (EpollSocketChannel) ctx.channel();
            ch.config().setTcpCork(true);
            ch.writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII)).addListener(f -> ch.shutdownOutput());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }

    /** Reads the first bytes (blocking), then looks for the end of the stream without waiting. */
    private static String readExpectingEndRightBehind(SocketChannel ch) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        ch.configureBlocking(true);
        int n = ch.read(buf);
        ch.configureBlocking(false);
        int next = ch.read(ByteBuffer.allocate(4096));
        assertThat(next).as("read right after the bytes (-1: the FIN came with them, 0: not yet)").isEqualTo(-1);
        return new String(buf.array(), 0, n, StandardCharsets.US_ASCII);
    }

    private Patchbay proxyTo(int port) throws Exception {
        return closer.track(Proxy.start(server("s1", port)
                + "[svc]\ntype=service\nservers=s1\n" + Proxy.listener()));
    }

    @Test
    void serverBytesAndFinReachTheClientInOneSegment() throws Exception {
        // A server that answers each connection with its last bytes and FIN in one segment, then waits for the close.
        Channel backend = new ServerBootstrap().group(group()).channel(EpollServerSocketChannel.class)
                .childHandler(new SendsWithFin("goodbye"))
                .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
        Patchbay p = proxyTo(((InetSocketAddress) backend.localAddress()).getPort());
        for (int i = 0; i < SESSIONS; i++) {
            try (SocketChannel client = SocketChannel.open(p.listenerAddress("l1"))) {
                assertThat(readExpectingEndRightBehind(client)).isEqualTo("goodbye");
            }
        }
        await().until(() -> p.sessions().size() == 0);
    }

    @Test
    void clientBytesAndFinReachTheServerInOneSegment() throws Exception {
        ServerSocketChannel backend = closer.track(ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        Patchbay p = proxyTo(((InetSocketAddress) backend.getLocalAddress()).getPort());
        Bootstrap clients = new Bootstrap().group(group()).channel(EpollSocketChannel.class)
                .handler(new SendsWithFin("request"));
        for (int i = 0; i < SESSIONS; i++) {
            CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
                try (SocketChannel accepted = backend.accept()) {
                    return readExpectingEndRightBehind(accepted);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Channel client = clients.connect(p.listenerAddress("l1")).sync().channel();
            assertThat(received.get(10, TimeUnit.SECONDS)).isEqualTo("request");
            client.closeFuture().await(10, TimeUnit.SECONDS);
        }
        await().until(() -> p.sessions().size() == 0);
    }
}
