package dev.patchbay.admin.rest;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An error answer: a status, the {@code errors[].detail} messages and extra headers. Thrown anywhere
 * while a request is handled; the handler turns it into {@code {"errors":[{"detail":"..."}]}}.
 */
final class ApiException extends RuntimeException {
    private final int status;
    private final List<String> details;
    private final Map<String, String> headers = new LinkedHashMap<>();

    ApiException(int status, List<String> details) {
        super(details.isEmpty() ? "HTTP " + status : details.get(0), null, false, false);
        this.status = status;
        this.details = List.copyOf(details);
    }

    ApiException(int status, String detail) {
        this(status, List.of(detail));
    }

    static ApiException badRequest(String detail) {
        return new ApiException(400, detail);
    }

    static ApiException notFound(String detail) {
        return new ApiException(404, detail);
    }

    static ApiException forbidden(String detail) {
        return new ApiException(403, detail);
    }

    ApiException header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    int status() {
        return status;
    }

    List<String> details() {
        return details;
    }

    Map<String, String> headers() {
        return headers;
    }
}
