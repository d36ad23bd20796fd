package dev.patchbay.admin.rest;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The time a client has to send one whole request (head and body), counted from the request's first byte.
 * The idle timeout alone cannot stop a client that trickles one byte at a time, since every byte resets
 * it; this deadline does not move. When it passes, {@link #EXPIRED} goes down the pipeline and
 * {@link RestHandler} answers 408 and closes. Between requests nothing is armed: an idle keep-alive
 * connection is left to the idle timeout.
 *
 * <p>It sits first in the pipeline, so that raw bytes arm it (a TLS handshake counts as part of the first
 * request); {@link RestHandler} disarms it when the aggregator hands over a whole request. A pipelined
 * request whose first bytes came in the same read as the end of the previous one is timed from the next
 * read, at most one idle timeout later.
 */
final class RequestDeadline extends ChannelInboundHandlerAdapter {
    /** The user event fired when a request was not received in time. */
    static final Object EXPIRED = new Object() {
        @Override
        public String toString() {
            return "RequestDeadline.EXPIRED";
        }
    };

    private final long deadlineNanos;
    private ScheduledFuture<?> timer;
    /** No more requests on this connection (an event stream took it over). */
    private boolean stopped;

    RequestDeadline(long deadlineNanos) {
        this.deadlineNanos = deadlineNanos;
    }

    long deadlineNanos() {
        return deadlineNanos;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (timer == null && !stopped && msg instanceof ByteBuf b && b.isReadable()) {
            timer = ctx.executor().schedule(() -> {
                timer = null;
                ctx.fireUserEventTriggered(EXPIRED);
            }, deadlineNanos, TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelRead(msg);
    }

    /** A whole request arrived: the next one's deadline starts with its first byte. */
    void requestReceived() {
        cancel();
    }

    /** The connection takes no more requests. */
    void stop() {
        stopped = true;
        cancel();
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stop();
        super.channelInactive(ctx);
    }
}
