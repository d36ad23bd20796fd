package dev.patchbay.admin.rest;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Instant;
import java.util.List;

/** Response headers every answer carries, and raw error answers written outside the dispatcher. */
final class Rest {
    private Rest() {}

    /**
     * MaxScale's fixed headers. {@code Date} uses the RFC 7231 four-digit year (MaxScale's code prints a
     * two-digit one, a bug clients ignore).
     */
    static void securityHeaders(HttpHeaders h) {
        h.set(HttpHeaderNames.DATE, SessionDocs.HTTP_DATE.format(Instant.now()));
        h.set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        h.set("X-Frame-Options", "Deny");
        h.set("X-XSS-Protection", "1");
        h.set("Referrer-Policy", "same-origin");
    }

    /** A complete JSON error answer for paths that never reach the dispatcher (bad HTTP, 413, 503). */
    static FullHttpResponse error(HttpResponseStatus status, String detail, boolean close) {
        byte[] body = Json.write(Json.errors(List.of(detail)), true);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        securityHeaders(r.headers());
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (close) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return r;
    }
}
