package dev.patchbay.tcp;

import dev.patchbay.core.Profiling;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.haproxy.HAProxyMessage;

/**
 * The last stage of both pipelines of a TCP session: hands every event of one side to the
 * {@link TcpSession} that owns both sides. One instance per channel, never shared.
 */
final class TcpRelayHandler extends ChannelInboundHandlerAdapter {
    static final String NAME = "relay";

    private final TcpSession session;
    private final boolean clientSide;

    TcpRelayHandler(TcpSession session, boolean clientSide) {
        this.session = session;
        this.clientSide = clientSide;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (clientSide) {
            session.clientActive(ctx.channel());
        }
        ctx.fireChannelActive();
    }

    /** A backend channel that is not (or no longer) the session's backend: a restart's candidate or the replaced one. */
    private boolean other(ChannelHandlerContext ctx) {
        return !clientSide && !session.isCurrentBackend(ctx.channel());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HAProxyMessage header) {
            session.onProxyHeader(header); // only a client pipeline has the PROXY header reader
            return;
        }
        if (other(ctx)) {
            session.onOtherBackendRead(ctx.channel(), (ByteBuf) msg);
            return;
        }
        long t0 = Profiling.enabled() ? System.nanoTime() : 0;
        session.onRead(clientSide, (ByteBuf) msg);
        if (t0 != 0) {
            session.recordCpu(System.nanoTime() - t0);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (other(ctx)) {
            return;
        }
        session.onReadComplete(clientSide);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (other(ctx)) {
            return;
        }
        session.onWritabilityChanged(clientSide, ctx.channel().isWritable());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (other(ctx)) {
            return;
        }
        if (evt == ChannelInputShutdownEvent.INSTANCE) {
            session.onInputShutdown(clientSide);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (other(ctx)) {
            session.onOtherBackendInactive(ctx.channel());
            return;
        }
        session.onInactive(clientSide);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (other(ctx)) {
            // The channel closes; its inactive event says what it means for a restart.
            ctx.close();
            return;
        }
        session.onError(clientSide, cause);
    }
}
