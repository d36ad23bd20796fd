package dev.patchbay.admin.rest;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * One request from bytes to answer: URL rules (§1.2), method override, authentication and
 * authorization, routing (404/405/OPTIONS), preconditions, the handler, then ETag / Last-Modified /
 * 304, the audit line and the admin-actions metric.
 */
final class Dispatcher {
    private static final Logger log = LoggerFactory.getLogger("patchbay.rest");
    private static final Logger audit = LoggerFactory.getLogger("patchbay.audit");

    /** What the connection handler writes: the answer and the request it belongs to (null when unparsable). */
    record Outcome(ApiRequest request, ApiResponse response, boolean pretty) {}

    private final RestApi api;
    private final Routes routes;
    /** Last successful write per path (without {@code /v1}), for Last-Modified; parents are touched too. */
    private final Map<String, Long> lastWrite = new ConcurrentHashMap<>();

    Dispatcher(RestApi api, Routes routes) {
        this.api = api;
        this.routes = routes;
    }

    CompletableFuture<Outcome> process(Channel ch, FullHttpRequest req) {
        ApiRequest r;
        try {
            r = parse(ch, req);
        } catch (ApiException e) {
            return CompletableFuture.completedFuture(new Outcome(null, error(e), true));
        }
        boolean pretty = !Boolean.FALSE.equals(r.query("pretty") == null ? null : ApiRequest.parseBool(r.query("pretty")));
        if (!Routes.KNOWN_METHODS.contains(r.method)) {
            return CompletableFuture.completedFuture(new Outcome(r, error(new ApiException(405,
                    "Method " + r.method + " is not supported")), pretty));
        }
        CompletableFuture<Principal> who;
        if (isMetrics(r) && !api.settings().metricsAuth()) {
            who = CompletableFuture.completedFuture(Principal.NO_AUTH);
        } else if (r.segments.equals(List.of("auth")) && r.flag("logout", false)) {
            // Clearing the token cookies needs no credentials: an expired token must be able to log out.
            who = CompletableFuture.completedFuture(new Principal("-", false, false));
        } else {
            who = api.auth().authenticate(r);
        }
        return who.thenCompose(p -> {
            r.principal = p;
            return route(r);
        }).handle((resp, err) -> {
            ApiResponse out = err == null ? resp : error(err);
            finish(r, out);
            return new Outcome(r, out, pretty);
        });
    }

    private static boolean isMetrics(ApiRequest r) {
        return r.segments.equals(List.of("metrics"));
    }

    private CompletableFuture<ApiResponse> route(ApiRequest r) throws ApiException {
        if (r.method.equals("OPTIONS")) {
            if (!routes.hasPath(r.segments) && !r.segments.isEmpty()) {
                throw ApiException.notFound("No resource at " + r.path());
            }
            ApiResponse resp = ApiResponse.empty(200);
            List<String> accepted = r.segments.isEmpty() ? List.of("GET") : routes.accepted(r.segments);
            resp.header("Accept", String.join(", ", accepted));
            return CompletableFuture.completedFuture(resp);
        }
        if (r.segments.isEmpty()) {
            if (r.method.equals("GET") || r.method.equals("HEAD")) {
                // The health check: 200 with an empty body.
                return CompletableFuture.completedFuture(ApiResponse.empty(200));
            }
            throw ApiException.notFound("No resource at " + r.path() + " for " + r.method);
        }
        Routes.Match m = routes.find(r.method, r.segments);
        if (m == null) {
            throw ApiException.notFound(routes.hasPath(r.segments)
                    ? "No " + r.method + " route for " + r.path() + " (OPTIONS lists the methods it takes)"
                    : "No resource at " + r.path());
        }
        r.params = m.params();
        api.auth().authorize(r, r.principal, m.route().anyAccountMayWrite());
        if (r.isWrite()) {
            checkIfMatch(r);
        }
        // As MaxScale: a body, if present, must be JSON, also on routes that do not read it (a DELETE or a
        // restart with a broken body is refused before it acts).
        r.json();
        try {
            return m.route().handler().handle(r);
        } catch (ApiException e) {
            throw e;
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }

    /**
     * {@code If-Match} on a write is checked <em>before</em> the change, against the resource's current
     * GET document, or the nearest parent's for an action path (MaxScale checks after the handler ran and
     * has already changed things).
     */
    private void checkIfMatch(ApiRequest r) {
        String ifMatch = r.headers.get(HttpHeaderNames.IF_MATCH);
        if (ifMatch == null || ifMatch.trim().equals("*")) {
            return;
        }
        // The resource itself, or for an action (servers/x/set, sessions/1/restart) the one it acts on.
        List<String> target = r.segments;
        Routes.Match get = routes.find("GET", target);
        while (get == null && target.size() > 1) {
            target = target.subList(0, target.size() - 1);
            get = routes.find("GET", target);
        }
        if (get == null) {
            return;
        }
        ApiRequest probe = new ApiRequest("GET", r.rawTarget, target, r.versioned, Map.of(), r.headers,
                new byte[0], r.remote, r.tls, r.host);
        probe.principal = r.principal;
        probe.params = get.params();
        ApiResponse current;
        try {
            current = get.route().handler().handle(probe).join();
        } catch (Exception e) {
            return;
        }
        if (current.json == null) {
            return;
        }
        String etag = etag(current.json);
        for (String t : ifMatch.split(",")) {
            if (t.trim().equals(etag)) {
                return;
            }
        }
        throw new ApiException(412, "Precondition failed: the resource's ETag is " + etag
                + ", not the one given in If-Match; nothing was changed");
    }

    /** ETag, Last-Modified and 304 for reads; Last-Modified, the metric and the audit line for writes. */
    private void finish(ApiRequest r, ApiResponse out) {
        String key = String.join("/", r.segments);
        if (!r.isWrite()) {
            if (out.status == 200 && out.json != null) {
                String etag = etag(out.json);
                out.header("ETag", etag);
                long lm = lastModified(key);
                out.header("Last-Modified", SessionDocs.HTTP_DATE.format(Instant.ofEpochMilli(lm)));
            }
            return;
        }
        boolean ok = out.status >= 200 && out.status < 300;
        if (ok) {
            long now = System.currentTimeMillis();
            List<String> path = new ArrayList<>(r.segments);
            while (true) {
                lastWrite.put(String.join("/", path), now);
                if (path.isEmpty()) {
                    break;
                }
                path.remove(path.size() - 1);
            }
            if (r.action != null) {
                api.metrics().adminAction(r.action);
            }
        }
        StringBuilder ids = new StringBuilder();
        for (Long id : r.affectedSessions) {
            if (ids.length() > 0) {
                ids.append(',');
            }
            ids.append(id);
        }
        String user = r.principal == null ? "-" : r.principal.user();
        audit.info("REST API audit: user={} client={} method={} path={} status={} sessions=[{}]", user,
                r.clientAddress(), r.method, r.rawTarget, out.status, ids);
    }

    private long lastModified(String key) {
        Long t = lastWrite.get(key);
        return t != null ? t : api.patchbay().startedEpochMillis();
    }

    /** {@code "<sha-1 of the compact JSON>"}, as MaxScale. */
    static String etag(JsonNode doc) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-1").digest(Json.compact(doc).getBytes(StandardCharsets.UTF_8));
            return "\"" + HexFormat.of().formatHex(d) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True when an If-None-Match header matches the answer's ETag: the handler then sends 304. */
    static boolean notModified(ApiRequest r, ApiResponse out) {
        if (r == null || out.status != 200 || out.json == null || r.isWrite()) {
            return false;
        }
        String inm = r.headers.get(HttpHeaderNames.IF_NONE_MATCH);
        if (inm == null) {
            return false;
        }
        String etag = null;
        for (Map.Entry<String, String> h : out.headers) {
            if (h.getKey().equals("ETag")) {
                etag = h.getValue();
            }
        }
        for (String t : inm.split(",")) {
            String s = t.trim();
            if (s.equals("*") || s.equals(etag) || s.equals("W/" + etag)) {
                return true;
            }
        }
        return false;
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    ApiResponse error(Throwable t) {
        Throwable c = unwrap(t);
        if (c instanceof ApiException e) {
            ApiResponse resp = ApiResponse.json(e.status(), Json.errors(e.details()));
            e.headers().forEach(resp::header);
            return resp;
        }
        if (c instanceof java.util.concurrent.TimeoutException) {
            return ApiResponse.json(500, Json.errors(List.of("The request timed out inside Patchbay")));
        }
        log.error("REST API: unexpected error", c);
        return ApiResponse.json(500, Json.errors(List.of("Internal error: " + c)));
    }

    // ---- parsing ------------------------------------------------------------------------------

    private ApiRequest parse(Channel ch, FullHttpRequest req) {
        String target = req.uri();
        int q = target.indexOf('?');
        String rawPath = q < 0 ? target : target.substring(0, q);
        String rawQuery = q < 0 ? "" : target.substring(q + 1);
        int hash = rawQuery.indexOf('#');
        if (hash >= 0) {
            rawQuery = rawQuery.substring(0, hash);
        }
        if (rawPath.startsWith("http://") || rawPath.startsWith("https://")) {
            // Absolute form (RFC 7230 §5.3.2): keep the path only.
            int slash = rawPath.indexOf('/', rawPath.indexOf("//") + 2);
            rawPath = slash < 0 ? "/" : rawPath.substring(slash);
        }
        if (!rawPath.startsWith("/")) {
            throw ApiException.badRequest("Invalid request target: " + (target.length() > 100 ? target.substring(0, 100) : target));
        }
        List<String> segments = Uris.segments(rawPath);
        boolean versioned = !segments.isEmpty() && segments.get(0).equals("v1");
        if (versioned) {
            segments = segments.subList(1, segments.size());
        }
        Map<String, List<String>> query = Uris.query(rawQuery);
        String method = req.method().name();
        String override = req.headers().get("X-HTTP-Method-Override");
        if (override != null && !override.isEmpty()) {
            method = override.trim();
        }
        byte[] body = new byte[req.content().readableBytes()];
        req.content().getBytes(req.content().readerIndex(), body);
        String host = req.headers().get(HttpHeaderNames.HOST);
        if (host == null || host.isEmpty() || host.chars().anyMatch(c -> c <= 0x20 || c == 0x7f || c == '/' || c == '\\')) {
            InetSocketAddress local = (InetSocketAddress) ch.localAddress();
            String h = local.getAddress().getHostAddress();
            host = (h.contains(":") ? "[" + h + "]" : h) + ":" + local.getPort();
        }
        boolean tls = ch.pipeline().get(SslHandler.class) != null;
        return new ApiRequest(method, target, List.copyOf(segments), versioned, query, req.headers(), body,
                (InetSocketAddress) ch.remoteAddress(), tls, host);
    }
}
