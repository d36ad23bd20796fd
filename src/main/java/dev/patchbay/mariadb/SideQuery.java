package dev.patchbay.mariadb;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Server;
import dev.patchbay.mariadb.protocol.InitialHandshake;
import dev.patchbay.mariadb.protocol.PacketDecoder;
import dev.patchbay.mariadb.protocol.Packets;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A one-statement backend connection on a session's event loop: logs in as the session's user,
 * runs one statement that answers OK or ERR (a translated KILL), reports the ERR frame or null for
 * OK, and closes. Used so that the server checks the issuing user's privileges, as MaxScale does.
 */
final class SideQuery {
    private final Patchbay patchbay;
    private final EventLoop loop;
    private final Server server;
    private final BackendLogin.Credentials credentials;
    private final SslContext ssl;
    private final String sql;
    private final long timeoutNanos;
    private final Consumer<ByteBuf> done;
    private Channel channel;
    private BackendLogin login;
    private ScheduledFuture<?> timer;
    private boolean finished;

    SideQuery(Patchbay patchbay, EventLoop loop, Server server, BackendLogin.Credentials credentials, SslContext ssl,
              String sql, long timeoutNanos, Consumer<ByteBuf> done) {
        this.patchbay = patchbay;
        this.loop = loop;
        this.server = server;
        this.credentials = credentials;
        this.ssl = ssl;
        this.sql = sql;
        this.timeoutNanos = timeoutNanos;
        this.done = done;
    }

    boolean finished() {
        return finished;
    }

    void start() {
        timer = loop.schedule(() -> fail("no answer from server " + server.name()), 2 * timeoutNanos, TimeUnit.NANOSECONDS);
        Bootstrap b = new Bootstrap().group(loop).channel(patchbay.transport().socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(PacketDecoder.NAME, new PacketDecoder());
                        ch.pipeline().addLast("side-query", new Handler());
                    }
                });
        ChannelFuture f = b.connect(server.address());
        channel = f.channel();
        f.addListener(x -> {
            if (!x.isSuccess()) {
                fail("cannot connect to server " + server.name() + ": " + x.cause().getMessage());
            }
        });
        login = new BackendLogin(channel, server, credentials, ssl, new BackendLogin.Listener() {
            @Override
            public void loggedIn(InitialHandshake handshake, int status, String cipher) {
                ByteBuf q = channel.alloc().heapBuffer();
                q.writeByte(0x03).writeBytes(sql.getBytes(StandardCharsets.UTF_8));
                channel.writeAndFlush(Packets.encode(channel.alloc(), 0, q));
                q.release();
            }

            @Override
            public void failed(String reason, ByteBuf err) {
                if (err != null) {
                    finish(err);
                } else {
                    fail(reason);
                }
            }
        });
    }

    void cancel() {
        finished = true;
        if (timer != null) {
            timer.cancel(false);
        }
        if (channel != null) {
            channel.close();
        }
    }

    private void fail(String reason) {
        finish(Packets.err(io.netty.buffer.ByteBufAllocator.DEFAULT, 1, 1105, "HY000", "Patchbay: KILL not carried out: " + reason));
    }

    private void finish(ByteBuf result) {
        if (finished) {
            if (result != null) {
                result.release();
            }
            return;
        }
        finished = true;
        timer.cancel(false);
        channel.close();
        done.accept(result);
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            if (finished) {
                frame.release();
            } else if (!login.done()) {
                login.onFrame(frame);
            } else if (Packets.firstByte(frame) == Packets.ERR) {
                finish(frame);
            } else {
                frame.release();
                finish(null);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent e) {
                String cipher = e.isSuccess() ? ctx.pipeline().get(SslHandler.class).engine().getSession().getCipherSuite() : "";
                login.onTls(e.isSuccess(), e.cause(), cipher);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail("server " + server.name() + " closed the connection");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause.toString());
        }
    }
}
