package dev.patchbay.admin.rest;

import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;

/**
 * A REST answer before it is written: a status and a JSON document, raw bytes (metrics), nothing (200
 * and 204 with an empty body), or a stream that takes the connection over (Server-Sent Events).
 */
final class ApiResponse {
    final int status;
    final JsonNode json;
    final byte[] raw;
    final String contentType;
    final List<Map.Entry<String, String>> headers = new ArrayList<>();
    /** When set, the handler writes the status line and headers itself and keeps the connection. */
    final Consumer<Channel> stream;

    private ApiResponse(int status, JsonNode json, byte[] raw, String contentType, Consumer<Channel> stream) {
        this.status = status;
        this.json = json;
        this.raw = raw;
        this.contentType = contentType;
        this.stream = stream;
    }

    static ApiResponse json(int status, JsonNode doc) {
        return new ApiResponse(status, doc, null, "application/json", null);
    }

    static ApiResponse ok(JsonNode doc) {
        return json(200, doc);
    }

    /** A status with an empty body and no Content-Type (MaxScale's 200 for session writes, 204 elsewhere). */
    static ApiResponse empty(int status) {
        return new ApiResponse(status, null, null, null, null);
    }

    static ApiResponse raw(int status, byte[] body, String contentType) {
        return new ApiResponse(status, null, body, contentType, null);
    }

    static ApiResponse stream(Consumer<Channel> takeOver) {
        return new ApiResponse(200, null, null, null, takeOver);
    }

    ApiResponse header(String name, String value) {
        headers.add(Map.entry(name, value));
        return this;
    }
}
