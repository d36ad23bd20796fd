package dev.patchbay.admin.rest;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.util.DefaultIndenter;
import tools.jackson.core.util.DefaultPrettyPrinter;
import tools.jackson.core.util.Separators;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * JSON as MaxScale writes it (jansson with {@code JSON_SORT_KEYS}): keys sorted, and either a 4-space
 * indent with {@code "key": value} and empty containers as {@code []} and {@code {}}, or compact.
 */
final class Json {
    /** Objects keep their keys sorted as they are built, so writing needs no sorting pass. */
    private static final class SortedNodes extends JsonNodeFactory {
        private static final long serialVersionUID = 1L;

        @Override
        public ObjectNode objectNode() {
            return new ObjectNode(this, new TreeMap<>());
        }
    }

    static final JsonMapper MAPPER = JsonMapper.builder()
            .nodeFactory(new SortedNodes())
            .build();
    static final JsonNodeFactory NODES = MAPPER.getNodeFactory();

    private static final ObjectWriter PRETTY;
    private static final ObjectWriter COMPACT = MAPPER.writer();

    static {
        DefaultIndenter indent = new DefaultIndenter("    ", "\n");
        Separators seps = Separators.createDefaultInstance()
                .withObjectNameValueSpacing(Separators.Spacing.AFTER)
                .withObjectEmptySeparator("")
                .withArrayEmptySeparator("");
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter(seps)
                .withObjectIndenter(indent)
                .withArrayIndenter(indent);
        PRETTY = MAPPER.writer().with(pp);
    }

    private Json() {}

    static ObjectNode object() {
        return NODES.objectNode();
    }

    static ArrayNode array() {
        return NODES.arrayNode();
    }

    static byte[] write(JsonNode node, boolean pretty) {
        return (pretty ? PRETTY : COMPACT).writeValueAsBytes(node);
    }

    static String compact(JsonNode node) {
        return COMPACT.writeValueAsString(node);
    }

    /** Parses a request body; throws {@link ApiException} 400 with MaxScale's message when it is not JSON. */
    static JsonNode parse(byte[] body) {
        String text;
        try {
            // JSON over HTTP is UTF-8 (RFC 8259); Jackson would otherwise guess UTF-16 or UTF-32 from the first bytes.
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.badRequest("Invalid JSON in request: the body is not UTF-8");
        }
        try {
            return MAPPER.readTree(text);
        } catch (JacksonException e) {
            throw ApiException.badRequest("Invalid JSON in request: " + parserMessage(e));
        }
    }

    /**
     * The parser's message for a client: without Jackson's source excerpts and the names of its settings,
     * with the line and column where parsing stopped.
     */
    static String parserMessage(JacksonException e) {
        String m = e.getOriginalMessage()
                .replaceAll("\\s*\\(start marker at \\[Source:[^\\]]*\\]\\)", "")
                .replaceAll("\\s*\\[Source:[^\\]]*\\]", "")
                .replaceAll(",? from `[^`]*`", "")
                .replaceAll("\\s+", " ")
                .trim();
        TokenStreamLocation at = e.getLocation();
        if (at != null && at.getLineNr() > 0) {
            m += " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        }
        return m;
    }

    /** {@code {"errors":[{"detail":"a"},{"detail":"b"}]}}, de-duplicated, in order. */
    static ObjectNode errors(Iterable<String> details) {
        ObjectNode doc = object();
        ArrayNode arr = doc.putArray("errors");
        java.util.Set<String> seen = new java.util.LinkedHashSet<>();
        for (String d : details) {
            if (seen.add(d)) {
                arr.addObject().put("detail", d);
            }
        }
        return doc;
    }

    /** The JSON type name as jansson says it in error messages. */
    static String typeName(JsonNode n) {
        if (n == null || n.isMissingNode()) {
            return "missing value";
        }
        if (n.isObject()) {
            return "object";
        }
        if (n.isArray()) {
            return "array";
        }
        if (n.isString()) {
            return "string";
        }
        if (n.isIntegralNumber()) {
            return "integer";
        }
        if (n.isNumber()) {
            return "real";
        }
        if (n.isBoolean()) {
            return n.booleanValue() ? "true" : "false";
        }
        return "null";
    }

    /** Equality as jansson's json_equal: an integer never equals a real, objects compare by key sets. */
    static boolean equal(JsonNode a, JsonNode b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a.isIntegralNumber() && b.isIntegralNumber()) {
            return a.bigIntegerValue().equals(b.bigIntegerValue());
        }
        if (a.isFloatingPointNumber() && b.isFloatingPointNumber()) {
            return a.doubleValue() == b.doubleValue();
        }
        if (a.isNumber() || b.isNumber()) {
            return false;
        }
        if (a.getNodeType() != b.getNodeType()) {
            return false;
        }
        if (a.isString()) {
            return a.stringValue().equals(b.stringValue());
        }
        if (a.isBoolean()) {
            return a.booleanValue() == b.booleanValue();
        }
        if (a.isNull()) {
            return true;
        }
        if (a.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!equal(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a.isObject()) {
            if (a.size() != b.size()) {
                return false;
            }
            Iterator<Map.Entry<String, JsonNode>> it = a.properties().iterator();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!equal(e.getValue(), b.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }
}
