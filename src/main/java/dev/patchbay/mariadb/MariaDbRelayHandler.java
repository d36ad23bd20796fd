package dev.patchbay.mariadb;

import dev.patchbay.core.Profiling;
import dev.patchbay.mariadb.protocol.PacketDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;

/**
 * The last stage of both pipelines of a MariaDB session: hands frames and events of one side to
 * the {@link MariaDbSession} that owns both sides. One instance per channel, never shared.
 */
final class MariaDbRelayHandler extends ChannelInboundHandlerAdapter {
    static final String NAME = "mariadb-session";

    private final MariaDbSession session;
    private final boolean clientSide;

    MariaDbRelayHandler(MariaDbSession session, boolean clientSide) {
        this.session = session;
        this.clientSide = clientSide;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (clientSide) {
            session.clientActive(ctx.channel(), ctx.pipeline().get(PacketDecoder.class));
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HAProxyMessage header) {
            session.onProxyHeader(header); // only a client pipeline has the PROXY header reader
            return;
        }
        long t0 = Profiling.enabled() ? System.nanoTime() : 0;
        if (clientSide) {
            session.onClientFrame((ByteBuf) msg);
        } else {
            session.onBackendData(ctx.channel(), (ByteBuf) msg);
        }
        if (t0 != 0) {
            session.recordCpu(System.nanoTime() - t0);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        session.onReadComplete(clientSide);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        session.onWritabilityChanged(clientSide, ctx.channel().isWritable());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent e) {
            if (clientSide) {
                session.onClientTls(e.isSuccess(), e.cause());
            } else {
                session.onBackendTls(ctx.channel(), e.isSuccess(), e.cause());
            }
        } else if (evt == ChannelInputShutdownEvent.INSTANCE) {
            session.onInputShutdown(ctx.channel(), clientSide);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        session.onInactive(ctx.channel(), clientSide);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        session.onError(ctx.channel(), clientSide, cause);
    }
}
