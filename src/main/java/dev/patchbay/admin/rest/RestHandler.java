package dev.patchbay.admin.rest;

import dev.patchbay.config.Durations;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One admin connection. Requests are answered strictly in order, one at a time: HTTP/1.1 pipelining
 * works even when an answer is computed off the loop (password hashing, waiting for a kill). A request
 * that cannot be decoded gets 400/414/431, one in an HTTP version other than 1.0 and 1.1 gets 505, an
 * HTTP/1.1 request without exactly one Host header gets 400 (RFC 9112 §3.2, as libmicrohttpd does for
 * MaxScale), one not received in full by its {@link RequestDeadline} gets 408; each then closes the
 * connection. An idle connection is closed.
 */
final class RestHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger("patchbay.rest");

    private final Dispatcher dispatcher;
    private final RequestDeadline deadline;
    private final ArrayDeque<FullHttpRequest> queue = new ArrayDeque<>();
    private boolean busy;
    private boolean streaming;
    private boolean closing;
    /** A request's deadline passed while an earlier one was being answered: 408 once that answer is out. */
    private boolean deadlinePassed;

    RestHandler(Dispatcher dispatcher, RequestDeadline deadline) {
        this.dispatcher = dispatcher;
        this.deadline = deadline;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpRequest) {
            deadline.requestReceived();
        }
        if (!(msg instanceof FullHttpRequest req) || streaming || closing || deadlinePassed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        queue.add(req);
        if (!busy) {
            next(ctx);
        }
    }

    private void next(ChannelHandlerContext ctx) {
        FullHttpRequest req = queue.poll();
        if (req == null) {
            busy = false;
            if (deadlinePassed) {
                closeWith(ctx, requestTimeout());
            }
            return;
        }
        busy = true;
        if (req.decoderResult().isFailure()) {
            Throwable cause = req.decoderResult().cause();
            HttpResponseStatus status = cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                    : cause instanceof TooLongHttpHeaderException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                    : cause instanceof TooLongFrameException ? HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE
                    : HttpResponseStatus.BAD_REQUEST;
            req.release();
            closeWith(ctx, Rest.error(status, "Malformed HTTP request: " + cause.getMessage(), true));
            return;
        }
        FullHttpResponse refusal = refuseVersionOrHost(req);
        if (refusal != null) {
            req.release();
            closeWith(ctx, refusal);
            return;
        }
        dispatcher.process(ctx.channel(), req).whenComplete((out, err) -> ctx.executor().execute(() -> {
            try {
                Dispatcher.Outcome o = out != null ? out
                        : new Dispatcher.Outcome(null, dispatcher.error(err), true);
                write(ctx, req, o);
            } finally {
                req.release();
            }
        }));
    }

    /** 505 for an HTTP version other than 1.0 and 1.1; 400 for HTTP/1.1 without exactly one Host; else null. */
    private static FullHttpResponse refuseVersionOrHost(FullHttpRequest req) {
        HttpVersion v = req.protocolVersion();
        if (!v.equals(HttpVersion.HTTP_1_1) && !v.equals(HttpVersion.HTTP_1_0)) {
            return Rest.error(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP version " + v.text()
                    + " is not supported: use HTTP/1.1 or HTTP/1.0", true);
        }
        if (v.equals(HttpVersion.HTTP_1_1)) {
            int hosts = req.headers().getAll(HttpHeaderNames.HOST).size();
            if (hosts != 1) {
                return Rest.error(HttpResponseStatus.BAD_REQUEST, hosts == 0
                        ? "Missing Host header: an HTTP/1.1 request must have one"
                        : "More than one Host header (" + hosts + "): an HTTP/1.1 request must have exactly one", true);
            }
        }
        return null;
    }

    private FullHttpResponse requestTimeout() {
        return Rest.error(HttpResponseStatus.REQUEST_TIMEOUT, "Request not received in full within "
                + Durations.format(deadline.deadlineNanos()) + " of its first byte (admin_idle_timeout)", true);
    }

    private void write(ChannelHandlerContext ctx, FullHttpRequest req, Dispatcher.Outcome o) {
        if (!ctx.channel().isActive()) {
            drain();
            return;
        }
        ApiResponse a = o.response();
        if (a.stream != null) {
            streaming = true;
            deadline.stop();
            drain();
            a.stream.accept(ctx.channel());
            return;
        }
        boolean head = req.method().name().equals("HEAD");
        FullHttpResponse resp;
        if (Dispatcher.notModified(o.request(), a)) {
            resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED, Unpooled.EMPTY_BUFFER);
            for (Map.Entry<String, String> h : a.headers) {
                resp.headers().add(h.getKey(), h.getValue());
            }
            Rest.securityHeaders(resp.headers());
        } else {
            byte[] body = a.json != null ? Json.write(a.json, o.pretty()) : a.raw;
            int length = body == null ? 0 : body.length;
            resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(a.status),
                    head || body == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
            Rest.securityHeaders(resp.headers());
            for (Map.Entry<String, String> h : a.headers) {
                resp.headers().add(h.getKey(), h.getValue());
            }
            if (length > 0 && a.contentType != null) {
                resp.headers().set(HttpHeaderNames.CONTENT_TYPE, a.contentType);
            }
            resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, length);
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req) && a.status != 413;
        if (!keepAlive) {
            resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            closeWith(ctx, resp);
            return;
        }
        if (req.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        next(ctx);
    }

    private void closeWith(ChannelHandlerContext ctx, FullHttpResponse resp) {
        closing = true;
        drain();
        ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
    }

    private void drain() {
        FullHttpRequest r;
        while ((r = queue.poll()) != null) {
            r.release();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent && !busy && !streaming) {
            ctx.close();
            return;
        }
        if (evt == RequestDeadline.EXPIRED) {
            if (streaming || closing) {
                return;
            }
            if (busy) {
                deadlinePassed = true; // answered in order, after the request in progress
            } else {
                closeWith(ctx, requestTimeout());
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        drain();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("REST API connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
