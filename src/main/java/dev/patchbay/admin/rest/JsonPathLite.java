package dev.patchbay.admin.rest;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;

/**
 * The JSONPath subset of MaxScale's {@code filter[<path>]=}: {@code $.a.b} or {@code a.b} ({@code $} is
 * optional), {@code ['a']}, {@code [0]}, {@code [0,1]}, {@code [*]} and {@code .*}.
 */
final class JsonPathLite {

    /** One step: a member name, a list of array indexes, or every child. */
    record Step(String name, int[] indexes, boolean wildcard) {}

    private final List<Step> steps;

    private JsonPathLite(List<Step> steps) {
        this.steps = steps;
    }

    List<Step> steps() {
        return steps;
    }

    static JsonPathLite parse(String path) {
        List<Step> steps = new ArrayList<>();
        int i = 0;
        int n = path.length();
        if (i < n && path.charAt(i) == '$') {
            i++;
        }
        boolean first = true;
        while (i < n) {
            char c = path.charAt(i);
            if (c == '.') {
                i++;
                if (i < n && path.charAt(i) == '*') {
                    steps.add(new Step(null, null, true));
                    i++;
                } else {
                    int start = i;
                    while (i < n && path.charAt(i) != '.' && path.charAt(i) != '[') {
                        i++;
                    }
                    if (i == start) {
                        throw bad(path);
                    }
                    steps.add(new Step(path.substring(start, i), null, false));
                }
            } else if (c == '[') {
                int close = findClose(path, i);
                String inner = path.substring(i + 1, close).trim();
                i = close + 1;
                if (inner.equals("*")) {
                    steps.add(new Step(null, null, true));
                } else if (inner.startsWith("'") || inner.startsWith("\"")) {
                    char q = inner.charAt(0);
                    if (inner.length() < 2 || inner.charAt(inner.length() - 1) != q) {
                        throw bad(path);
                    }
                    steps.add(new Step(inner.substring(1, inner.length() - 1), null, false));
                } else {
                    String[] parts = inner.split(",");
                    int[] idx = new int[parts.length];
                    try {
                        for (int k = 0; k < parts.length; k++) {
                            idx[k] = Integer.parseInt(parts[k].trim());
                            if (idx[k] < 0) {
                                throw bad(path);
                            }
                        }
                    } catch (NumberFormatException e) {
                        throw bad(path);
                    }
                    steps.add(new Step(null, idx, false));
                }
            } else if (first) {
                int start = i;
                while (i < n && path.charAt(i) != '.' && path.charAt(i) != '[') {
                    i++;
                }
                steps.add(new Step(path.substring(start, i), null, false));
            } else {
                throw bad(path);
            }
            first = false;
        }
        return new JsonPathLite(steps);
    }

    private static int findClose(String path, int open) {
        int close = path.indexOf(']', open);
        if (close < 0) {
            throw bad(path);
        }
        return close;
    }

    private static ApiException bad(String path) {
        return ApiException.badRequest("Invalid JSON Path: " + path);
    }

    /** Calls {@code out} for every node the path reaches in {@code root}. */
    void forEach(JsonNode root, Consumer<JsonNode> out) {
        walk(root, 0, out);
    }

    private void walk(JsonNode node, int step, Consumer<JsonNode> out) {
        if (node == null || node.isMissingNode()) {
            return;
        }
        if (step == steps.size()) {
            out.accept(node);
            return;
        }
        Step s = steps.get(step);
        if (s.wildcard) {
            if (node.isObject() || node.isArray()) {
                for (JsonNode child : node.values()) {
                    walk(child, step + 1, out);
                }
            }
        } else if (s.indexes != null) {
            if (node.isArray()) {
                for (int i : s.indexes) {
                    walk(node.get(i), step + 1, out);
                }
            }
        } else if (node.isObject()) {
            walk(node.get(s.name), step + 1, out);
        }
    }
}
