package dev.patchbay.admin.rest;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * MaxScale's row-filter expressions ({@code httpresponse.cc} {@code MatcherParser}):
 * <pre>
 *   expr := json                         equality with a JSON value ("x", 5, 1.5, true, null, [..], {..})
 *         | eq(json) | ne(json) | lt(json) | le(json) | gt(json) | ge(json)
 *         | and(expr, ...) | or(expr, ...) | not(expr, ...)     not: none of them matches
 * </pre>
 * Comparisons see the row's value on the left: {@code lt(5)} is "value &lt; 5". Ordering exists only
 * between two strings, two integers or two reals; across types {@code lt} is false, so {@code le} and
 * {@code ge} are true (MaxScale's rule, kept so that the same URLs give the same rows). Unlike MaxScale,
 * a bare {@code true}, {@code false} or {@code null} is accepted as JSON and trailing text is an error.
 */
final class FilterExpr {

    interface Matcher {
        boolean match(JsonNode value);
    }

    private final String text;
    private int pos;

    private FilterExpr(String text) {
        this.text = text;
    }

    static Matcher parse(String text) {
        FilterExpr p = new FilterExpr(text);
        Matcher m = p.expr();
        if (p.pos != text.length()) {
            throw ApiException.badRequest("Not a valid filter expression: " + text
                    + " (unexpected '" + text.substring(p.pos) + "')");
        }
        return m;
    }

    private Matcher expr() {
        if (pos >= text.length()) {
            throw ApiException.badRequest("Empty filter expression");
        }
        char c = text.charAt(pos);
        if (!Character.isLetter(c) || startsWithLiteral()) {
            JsonNode v = json();
            return value -> Json.equal(value, v);
        }
        if (consume("eq")) {
            JsonNode v = argument();
            return value -> Json.equal(value, v);
        }
        if (consume("ne")) {
            JsonNode v = argument();
            return value -> !Json.equal(value, v);
        }
        if (consume("lt")) {
            JsonNode v = argument();
            return value -> lt(value, v);
        }
        if (consume("gt")) {
            JsonNode v = argument();
            return value -> lt(v, value);
        }
        if (consume("le")) {
            JsonNode v = argument();
            return value -> lt(value, v) || !lt(v, value);
        }
        if (consume("ge")) {
            JsonNode v = argument();
            return value -> lt(v, value) || !lt(value, v);
        }
        if (consume("and")) {
            List<Matcher> l = list();
            return value -> l.stream().allMatch(m -> m.match(value));
        }
        if (consume("or")) {
            List<Matcher> l = list();
            return value -> l.stream().anyMatch(m -> m.match(value));
        }
        if (consume("not")) {
            List<Matcher> l = list();
            return value -> l.stream().noneMatch(m -> m.match(value));
        }
        throw ApiException.badRequest("Not a valid filter expression: " + text.substring(pos));
    }

    private boolean startsWithLiteral() {
        for (String lit : new String[] {"true", "false", "null"}) {
            if (text.startsWith(lit, pos)) {
                int end = pos + lit.length();
                return end == text.length() || !Character.isLetterOrDigit(text.charAt(end)) && text.charAt(end) != '(';
            }
        }
        return false;
    }

    private JsonNode argument() {
        expect("(");
        JsonNode v = json();
        expect(")");
        return v;
    }

    private List<Matcher> list() {
        expect("(");
        List<Matcher> out = new ArrayList<>();
        do {
            out.add(expr());
        } while (consume(","));
        expect(")");
        return out;
    }

    private boolean consume(String s) {
        if (text.startsWith(s, pos)) {
            pos += s.length();
            return true;
        }
        return false;
    }

    private void expect(String s) {
        if (!consume(s)) {
            String got = pos >= text.length() ? "end of expression" : "'" + text.charAt(pos) + "'";
            throw ApiException.badRequest("Not a valid filter expression: " + text + " (expected '" + s + "', got "
                    + got + ")");
        }
    }

    /** One JSON value starting at {@code pos}; {@code pos} moves past it. */
    private JsonNode json() {
        int end = JsonScan.valueEnd(text, pos);
        if (end < 0) {
            throw ApiException.badRequest("Invalid JSON: " + text.substring(pos));
        }
        String chunk = text.substring(pos, end);
        try {
            JsonNode v = Json.MAPPER.readTree(chunk);
            pos = end;
            return v;
        } catch (RuntimeException e) {
            throw ApiException.badRequest("Invalid JSON: " + chunk);
        }
    }

    /** MaxScale's lt_json: only string/string, integer/integer and real/real are ordered. */
    static boolean lt(JsonNode a, JsonNode b) {
        if (a == null || b == null) {
            return false;
        }
        if (a.isString() && b.isString()) {
            return a.stringValue().compareTo(b.stringValue()) < 0;
        }
        if (a.isIntegralNumber() && b.isIntegralNumber()) {
            return a.bigIntegerValue().compareTo(b.bigIntegerValue()) < 0;
        }
        if (a.isFloatingPointNumber() && b.isFloatingPointNumber()) {
            return a.doubleValue() < b.doubleValue();
        }
        return false;
    }

    /** Finds where a JSON value ends, without parsing it. */
    static final class JsonScan {
        private JsonScan() {}

        /** Index just past the value starting at {@code i} (leading blanks allowed), or -1. */
        static int valueEnd(String s, int i) {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (i >= s.length()) {
                return -1;
            }
            char c = s.charAt(i);
            if (c == '"') {
                return stringEnd(s, i);
            }
            if (c == '{' || c == '[') {
                int depth = 0;
                for (int j = i; j < s.length(); j++) {
                    char d = s.charAt(j);
                    if (d == '"') {
                        j = stringEnd(s, j);
                        if (j < 0) {
                            return -1;
                        }
                        j--;
                    } else if (d == '{' || d == '[') {
                        depth++;
                    } else if (d == '}' || d == ']') {
                        depth--;
                        if (depth == 0) {
                            return j + 1;
                        }
                    }
                }
                return -1;
            }
            int j = i;
            while (j < s.length()) {
                char d = s.charAt(j);
                if (Character.isLetterOrDigit(d) || d == '-' || d == '+' || d == '.') {
                    j++;
                } else {
                    break;
                }
            }
            return j > i ? j : -1;
        }

        private static int stringEnd(String s, int i) {
            for (int j = i + 1; j < s.length(); j++) {
                char d = s.charAt(j);
                if (d == '\\') {
                    j++;
                } else if (d == '"') {
                    return j + 1;
                }
            }
            return -1;
        }
    }
}
