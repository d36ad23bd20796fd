package dev.patchbay.admin.runtime;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * max_connections of a stats socket, the way HAProxy applies {@code stats maxconn}: once the
 * limit is reached the socket stops accepting, so new clients wait in the kernel's backlog until
 * a connection closes. Sits on the listening channel, before the acceptor.
 */
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
    static final String NAME = "limiter";

    private final int max;
    private int active;

    ConnectionLimiter(int max) {
        this.max = max;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel child = (Channel) msg;
        Channel listener = ctx.channel();
        if (active >= max) {
            // Accepted in the same read batch as the one that reached the limit: refuse it
            // rather than exceed the limit (the listener reads one connection per round).
            child.unsafe().closeForcibly();
            return;
        }
        active++;
        if (active >= max) {
            listener.config().setAutoRead(false);
        }
        child.closeFuture().addListener(f -> listener.eventLoop().execute(() -> {
            active--;
            if (active < max && listener.isOpen()) {
                listener.config().setAutoRead(true);
            }
        }));
        ctx.fireChannelRead(child);
    }

    int active() {
        return active;
    }
}
