import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;

/**
 * A floor for the connection-rate benchmark (docs/PERFORMANCE.md, seventh session): the smallest TCP relay
 * Netty allows, one event loop, no session model, timers, counters or half-close relay (both sides close at
 * the first close). Run from source against Patchbay's jar, which carries Netty:
 *
 * <pre>java -cp target/patchbay.jar bench/lib/BareProxy.java LISTEN_PORT BACKEND_PORT [epoll|io_uring]</pre>
 */
public class BareProxy {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int backendPort = Integer.parseInt(args[1]);
        boolean uring = args.length > 2 && args[2].equals("io_uring");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                uring ? IoUringIoHandler.newFactory() : EpollIoHandler.newFactory());
        Class<? extends ServerChannel> serverChannel = uring ? IoUringServerSocketChannel.class : EpollServerSocketChannel.class;
        Class<? extends SocketChannel> channel = uring ? IoUringSocketChannel.class : EpollSocketChannel.class;
        Bootstrap connector = new Bootstrap().group(group).channel(channel).option(ChannelOption.AUTO_READ, false);
        new ServerBootstrap().group(group).channel(serverChannel)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel client) {
                        client.pipeline().addLast(new Relay(connector, backendPort, null));
                    }
                }).bind("127.0.0.1", port).sync();
        System.out.println("bare " + (uring ? "io_uring" : "epoll") + " relay on 127.0.0.1:" + port + " -> " + backendPort);
        Thread.currentThread().join();
    }

    static final class Relay extends ChannelInboundHandlerAdapter {
        private final Bootstrap connector;
        private final int backendPort;
        private Channel peer;

        Relay(Bootstrap connector, int backendPort, Channel peer) {
            this.connector = connector;
            this.backendPort = backendPort;
            this.peer = peer;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (peer != null) {
                return; // the backend side: the client side starts both reads
            }
            Channel client = ctx.channel();
            ChannelFuture f = connector.clone(client.eventLoop())
                    .handler(new Relay(null, 0, client)).connect("127.0.0.1", backendPort);
            peer = f.channel();
            f.addListener((ChannelFutureListener) cf -> {
                if (cf.isSuccess()) {
                    client.read();
                    cf.channel().read();
                } else {
                    client.close();
                }
            });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            peer.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    ctx.channel().read();
                } else {
                    f.channel().close();
                }
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (peer != null && peer.isActive()) {
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
