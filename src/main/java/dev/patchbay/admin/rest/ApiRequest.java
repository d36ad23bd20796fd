package dev.patchbay.admin.rest;

import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/** One parsed REST request: method, decoded path, query, headers, body, and who sent it. */
final class ApiRequest {
    final String method;
    /** The request target as received (path and query, still encoded), for logs and links. */
    final String rawTarget;
    /** Decoded path segments without the optional leading {@code v1}. */
    final List<String> segments;
    /** The client wrote {@code /v1/...}: generated links keep the version. */
    final boolean versioned;
    final Map<String, List<String>> query;
    final HttpHeaders headers;
    final byte[] body;
    final InetSocketAddress remote;
    final boolean tls;
    final String host;

    Principal principal;
    /** Path parameters of the matched route, in order. */
    List<String> params = List.of();
    /** Session ids a write touched, for the audit line. */
    final List<Long> affectedSessions = new ArrayList<>();
    /** What a write did ({@code session_kill}, ...), for the audit line and the admin-actions metric. */
    String action;
    private JsonNode json;
    private boolean jsonParsed;

    ApiRequest(String method, String rawTarget, List<String> segments, boolean versioned,
               Map<String, List<String>> query, HttpHeaders headers, byte[] body, InetSocketAddress remote,
               boolean tls, String host) {
        this.method = method;
        this.rawTarget = rawTarget;
        this.segments = segments;
        this.versioned = versioned;
        this.query = query;
        this.headers = headers;
        this.body = body;
        this.remote = remote;
        this.tls = tls;
        this.host = host;
    }

    /** {@code http://<Host>/v1/} (or without {@code v1/} when the client left it out). */
    String linkBase() {
        return (tls ? "https://" : "http://") + host + "/" + (versioned ? "v1/" : "");
    }

    /** The path as the client addressed it, normalised: {@code /v1/sessions/1}. */
    String path() {
        return (versioned ? "/v1/" : "/") + String.join("/", segments);
    }

    String param(int i) {
        return params.get(i);
    }

    /** The first value of a query parameter, or null. */
    String query(String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    boolean has(String name) {
        return query.containsKey(name);
    }

    /** A boolean parameter by MaxScale's config rules; {@code def} when absent or not a boolean. */
    boolean flag(String name, boolean def) {
        String v = query(name);
        Boolean b = v == null ? null : parseBool(v);
        return b == null ? def : b;
    }

    static Boolean parseBool(String v) {
        return dev.patchbay.config.Booleans.parse(v);
    }

    boolean hasBody() {
        return body.length > 0;
    }

    /** The body as JSON, or null when there is none; 400 when it is not JSON. */
    JsonNode json() {
        if (!jsonParsed) {
            json = body.length == 0 ? null : Json.parse(body);
            jsonParsed = true;
        }
        return json;
    }

    /** The body, which this route requires: 400 {@code Missing request body} without one. */
    JsonNode requireJson() {
        JsonNode j = json();
        if (j == null) {
            throw ApiException.badRequest("Missing request body");
        }
        return j;
    }

    String clientAddress() {
        return remote == null ? "-" : remote.getAddress() == null ? remote.getHostString()
                : remote.getAddress().getHostAddress();
    }

    boolean isWrite() {
        return !(method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS"));
    }
}
