package dev.patchbay.admin.rest;

import dev.patchbay.core.Server;
import dev.patchbay.core.Session;
import dev.patchbay.core.Termination;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code GET /v1/sessions/events}: a Server-Sent Events stream of sessions opened, closed and killed.
 *
 * <pre>
 * id: 12
 * event: killed
 * data: {"actor":"REST API admin","cause":"killed","id":"5","listener":"L",...}
 * </pre>
 *
 * A comment line is sent every 15 s so proxies and idle timeouts keep the stream open. A subscriber
 * that does not read (its socket buffer full) is disconnected rather than buffered without bound.
 */
final class SessionEvents implements SessionWatcher.Listener {
    private static final Logger log = LoggerFactory.getLogger("patchbay.rest");
    static final long HEARTBEAT_SECONDS = 15;

    private final Set<Channel> subscribers = ConcurrentHashMap.newKeySet();
    private final AtomicLong sequence = new AtomicLong();
    private final ScheduledFuture<?> heartbeat;

    SessionEvents(EventExecutor loop) {
        heartbeat = loop.scheduleAtFixedRate(() -> send(": keepalive\n\n"), HEARTBEAT_SECONDS, HEARTBEAT_SECONDS,
                TimeUnit.SECONDS);
    }

    void close() {
        heartbeat.cancel(false);
        for (Channel ch : subscribers) {
            ch.close();
        }
    }

    int subscribers() {
        return subscribers.size();
    }

    /** Takes over {@code ch}: writes the stream's headers and adds it to the subscribers. */
    void subscribe(Channel ch) {
        DefaultHttpResponse resp = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        resp.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        resp.headers().set("X-Accel-Buffering", "no");
        Rest.securityHeaders(resp.headers());
        HttpUtil.setTransferEncodingChunked(resp, true);
        ch.write(resp);
        // The stream writes a heartbeat; the connection's idle timeout must not cut it.
        if (ch.pipeline().get(IdleStateHandler.class) != null) {
            ch.pipeline().remove(IdleStateHandler.class);
        }
        subscribers.add(ch);
        ch.closeFuture().addListener(f -> subscribers.remove(ch));
        ch.writeAndFlush(chunk(": subscribed to session events\n\n"));
    }

    @Override
    public void opened(Session s) {
        if (subscribers.isEmpty()) {
            return;
        }
        ObjectNode o = base(s);
        event("opened", o);
    }

    @Override
    public void closed(Session s, Termination t) {
        if (subscribers.isEmpty()) {
            return;
        }
        ObjectNode o = base(s);
        boolean killed = t != null && t.cause() == Termination.Cause.KILLED;
        if (t != null) {
            o.put("cause", t.cause().text());
            if (!t.detail().isEmpty()) {
                o.put(killed ? "actor" : "detail", t.detail());
            }
        }
        o.put("seconds_alive", s.ageNanos() / 1e9);
        o.put("bytes_from_client", s.bytesFromClient());
        o.put("bytes_from_server", s.bytesFromServer());
        event(killed ? "killed" : "closed", o);
    }

    private static ObjectNode base(Session s) {
        ObjectNode o = Json.object();
        o.put("id", Long.toString(s.id()));
        o.put("time", Instant.now().toString());
        o.put("listener", s.frontend().name());
        o.put("service", s.service() == null ? "" : s.service().name());
        o.put("remote", SessionDocs.ip(s.clientAddress()));
        if (s.clientAddress() instanceof java.net.InetSocketAddress isa) {
            o.put("port", isa.getPort());
        }
        Server server = s.server();
        if (server != null) {
            o.put("server", server.name());
        }
        return o;
    }

    private void event(String name, ObjectNode data) {
        send("id: " + sequence.incrementAndGet() + "\nevent: " + name + "\ndata: " + Json.compact(data) + "\n\n");
    }

    private void send(String text) {
        for (Channel ch : subscribers) {
            if (!ch.isActive()) {
                subscribers.remove(ch);
                continue;
            }
            if (!ch.isWritable()) {
                log.warn("Session events subscriber {} does not keep up; disconnecting it", ch.remoteAddress());
                subscribers.remove(ch);
                ch.close();
                continue;
            }
            ch.writeAndFlush(chunk(text)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
    }

    private static DefaultHttpContent chunk(String text) {
        return new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    }
}
