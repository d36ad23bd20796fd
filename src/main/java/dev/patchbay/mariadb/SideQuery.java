package dev.patchbay.mariadb;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Server;
import dev.patchbay.mariadb.protocol.Commands;
import dev.patchbay.mariadb.protocol.InitialHandshake;
import dev.patchbay.mariadb.protocol.PacketDecoder;
import dev.patchbay.mariadb.protocol.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A one-command backend connection on an event loop: logs in, sends one command, reports its
 * answer, says COM_QUIT and closes. Used for a translated KILL (logged in as the issuing user, so
 * that the server checks that user's privileges, as MaxScale does) and for {@code health_check=mariadb}.
 */
final class SideQuery {

    /** How the exchange ended; called once, on the loop. */
    interface Outcome {
        /**
         * The server answered the command or refused the login; {@code err} is its ERR frame (owned by the
         * callee), null for any other answer.
         */
        void answered(ByteBuf err);

        /** No answer: connect, TLS or protocol failure, the connection closed, or the deadline passed. */
        void failed(String reason);
    }

    private static final byte[] QUIT = {Commands.COM_QUIT};

    private final Patchbay patchbay;
    private final EventLoop loop;
    private final Server server;
    private final BackendLogin.Credentials credentials;
    private final SslContext ssl;
    private final byte[] command;
    private final long timeoutNanos;
    private final Outcome outcome;
    private Channel channel;
    private BackendLogin login;
    private ScheduledFuture<?> timer;
    private boolean finished;
    private final HAProxyMessage proxyHeader;

    /**
     * @param proxyHeader  the PROXY protocol header the connection starts with (server proxy_protocol), or null
     * @param command      the command packet's payload (command byte first)
     * @param timeoutNanos the deadline for connect, login and answer together
     */
    SideQuery(Patchbay patchbay, EventLoop loop, Server server, BackendLogin.Credentials credentials, SslContext ssl,
              HAProxyMessage proxyHeader, byte[] command, long timeoutNanos, Outcome outcome) {
        this.proxyHeader = proxyHeader;
        this.patchbay = patchbay;
        this.loop = loop;
        this.server = server;
        this.credentials = credentials;
        this.ssl = ssl;
        this.command = command;
        this.timeoutNanos = timeoutNanos;
        this.outcome = outcome;
    }

    /** The payload of a COM_QUERY for {@code sql}. */
    static byte[] query(String sql) {
        byte[] text = sql.getBytes(StandardCharsets.UTF_8);
        byte[] p = new byte[text.length + 1];
        p[0] = Commands.COM_QUERY;
        System.arraycopy(text, 0, p, 1, text.length);
        return p;
    }

    boolean finished() {
        return finished;
    }

    /** Starts the exchange; call on {@code loop}. */
    void start() {
        timer = loop.schedule(() -> fail("no answer from server " + server.name() + " within "
                + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"), timeoutNanos, TimeUnit.NANOSECONDS);
        ChannelFuture connected = patchbay.transport().connect(loop, server.address(), timeoutNanos, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(PacketDecoder.NAME, new PacketDecoder());
                ch.pipeline().addLast("side-query", new Handler());
            }
        }, proxyHeader);
        channel = connected.channel();
        channel.config().setAutoRead(true);
        connected.addListener(x -> {
            if (!x.isSuccess()) {
                fail("cannot connect to server " + server.name() + ": " + x.cause().getMessage());
            }
        });
        login = new BackendLogin(channel, server, credentials, ssl, new BackendLogin.Listener() {
            @Override
            public void loggedIn(InitialHandshake handshake, int status, String cipher) {
                send(command);
            }

            @Override
            public void failed(String reason, ByteBuf err) {
                if (err != null) {
                    answered(err, false);
                } else {
                    fail(reason);
                }
            }
        });
    }

    private void send(byte[] payload) {
        ByteBuf p = channel.alloc().heapBuffer(payload.length);
        p.writeBytes(payload);
        channel.writeAndFlush(Packets.encode(channel.alloc(), 0, p), channel.voidPromise());
        p.release();
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
        if (finished) {
            return;
        }
        finish();
        outcome.failed(reason);
    }

    private void answered(ByteBuf err, boolean loggedIn) {
        if (finished) {
            if (err != null) {
                err.release();
            }
            return;
        }
        if (loggedIn) {
            // A polite goodbye: a connection closed without COM_QUIT is an "aborted connection" to the server.
            send(QUIT);
        }
        finish();
        outcome.answered(err);
    }

    private void finish() {
        finished = true;
        timer.cancel(false);
        channel.close();
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
                answered(frame, true);
            } else {
                frame.release();
                answered(null, true);
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
