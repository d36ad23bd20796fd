package dev.patchbay.demo;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The backends behind the demo configuration, so that {@code --demo} serves with nothing else
 * installed: a TCP echo service and small HTTP services that say which backend answered.
 */
public final class DemoBackends implements AutoCloseable {
    private final EventLoopGroup group;
    private final Class<? extends io.netty.channel.ServerChannel> channelClass;
    private final List<Channel> channels = new ArrayList<>();

    public DemoBackends(EventLoopGroup group, Class<? extends io.netty.channel.ServerChannel> channelClass) {
        this.group = group;
        this.channelClass = channelClass;
    }

    /** Starts an echo server on 127.0.0.1 and an ephemeral port; returns the port. */
    public int startEcho() throws InterruptedException {
        return bind(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast("echo", new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ctx.write(msg);
                    }

                    @Override
                    public void channelReadComplete(ChannelHandlerContext ctx) {
                        ctx.flush();
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        ctx.close();
                    }
                });
            }
        });
    }

    /** Starts an HTTP server that answers every request with a line naming {@code name}. */
    public int startHttp(String name) throws InterruptedException {
        return bind(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast("http", new HttpServerCodec());
                ch.pipeline().addLast("aggregator", new HttpObjectAggregator(1 << 20));
                ch.pipeline().addLast("hello", new SimpleChannelInboundHandler<FullHttpRequest>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                        ByteBuf body = Unpooled.copiedBuffer("Hello from Patchbay demo backend " + name + ": "
                                + req.method() + " " + req.uri() + "\n", StandardCharsets.UTF_8);
                        DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                HttpResponseStatus.OK, body);
                        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
                        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
                        boolean keepAlive = HttpUtil.isKeepAlive(req);
                        if (keepAlive) {
                            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                            ctx.writeAndFlush(res);
                        } else {
                            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
                        }
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        ctx.close();
                    }
                });
            }
        });
    }

    private int bind(ChannelInitializer<SocketChannel> init) throws InterruptedException {
        Channel ch = new ServerBootstrap().group(group).channel(channelClass).childHandler(init)
                .bind("127.0.0.1", 0).sync().channel();
        channels.add(ch);
        return ((InetSocketAddress) ch.localAddress()).getPort();
    }

    @Override
    public void close() {
        channels.forEach(c -> c.close().syncUninterruptibly());
    }
}
