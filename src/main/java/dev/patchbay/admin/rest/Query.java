package dev.patchbay.admin.rest;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JsonPointer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The JSON:API query features of a request (MaxScale's, NOTES §1.7, plus {@code sort}), and their
 * application to a collection <em>while it is collected</em>:
 *
 * <ul>
 *   <li>{@code filter=<json-pointer>=<expr>} and {@code filter[<jsonpath>]=<expr>} (repeatable, ANDed);</li>
 *   <li>{@code sort=-attributes.seconds_alive,id} (Patchbay; {@code -} = descending);</li>
 *   <li>{@code page[size]=N&page[number]=M} with {@code meta.total} and first/last/next/prev links;</li>
 *   <li>{@code fields[<type>]=a,b/c} sparse fieldsets.</li>
 * </ul>
 *
 * Rows are rendered with only the attributes the filter and sort look at; full documents are built for
 * the rows of the returned page only. Without a filter or a sort nothing outside the page is rendered.
 */
final class Query {

    /** Renders one row's resource object with only {@code attributes} (null: all of them). */
    interface Renderer<R> {
        ObjectNode render(R row, Set<String> attributes);
    }

    /** The rows of the page, and how many matched in all. */
    record Selection<R>(List<R> rows, int total) {}

    private record Condition(JsonPointer pointer, JsonPathLite path, FilterExpr.Matcher matcher) {
        boolean test(JsonNode row) {
            if (pointer != null) {
                JsonNode v = row.at(pointer);
                return !v.isMissingNode() && matcher.match(v);
            }
            boolean[] hit = {false};
            path.forEach(row, v -> hit[0] |= matcher.match(v));
            return hit[0];
        }
    }

    private record SortKey(JsonPointer pointer, boolean descending) {}

    private final List<Condition> conditions = new ArrayList<>();
    private final List<SortKey> sort = new ArrayList<>();
    /** Attribute names the filter and sort read; null means all. */
    private Set<String> selectionAttributes = new HashSet<>();
    private final Map<String, List<String[]>> fields = new java.util.HashMap<>();
    final int pageSize;
    final int pageNumber;

    private Query(int pageSize, int pageNumber) {
        this.pageSize = pageSize;
        this.pageNumber = pageNumber;
    }

    /**
     * Reads the query features of {@code r}. On a single resource {@code filter[...]} is a 400 (MaxScale:
     * 400 without a body) and {@code filter=} is ignored, as in MaxScale.
     */
    static Query parse(ApiRequest r, boolean collection) {
        int size = 0;
        int number = 0;
        if (collection) {
            Integer s = positive(r.query("page[size]"), 1);
            if (s != null) {
                size = s;
                Integer n = positive(r.query("page[number]"), 0);
                number = n == null ? 0 : n;
            }
        }
        Query q = new Query(size, number);
        for (Map.Entry<String, List<String>> e : r.query.entrySet()) {
            String name = e.getKey();
            if (name.startsWith("filter[") && name.endsWith("]")) {
                if (!collection) {
                    throw ApiException.badRequest("'" + name + "' can only be used on a collection");
                }
                String jsonPath = name.substring(7, name.length() - 1);
                JsonPathLite path = JsonPathLite.parse(jsonPath);
                for (String expr : e.getValue()) {
                    q.conditions.add(new Condition(null, path, FilterExpr.parse(expr)));
                }
                q.need(path);
            } else if (name.equals("filter") && collection) {
                for (String v : e.getValue()) {
                    int eq = v.indexOf('=');
                    if (eq < 0) {
                        throw ApiException.badRequest("Invalid 'filter' value '" + v
                                + "': expected <json-pointer>=<expression>, e.g. filter=/attributes/user=\"app\"");
                    }
                    String ptr = v.substring(0, eq);
                    JsonPointer pointer = pointer(ptr, "filter");
                    q.conditions.add(new Condition(pointer, null, FilterExpr.parse(v.substring(eq + 1))));
                    q.need(pointer);
                }
            } else if (name.startsWith("fields[") && name.endsWith("]")) {
                String type = name.substring(7, name.length() - 1);
                List<String[]> paths = q.fields.computeIfAbsent(type, t -> new ArrayList<>());
                for (String v : e.getValue()) {
                    for (String f : v.split(",")) {
                        if (!f.isEmpty()) {
                            paths.add(f.split("/"));
                        }
                    }
                }
            } else if (name.equals("sort") && collection) {
                for (String v : e.getValue()) {
                    for (String key : v.split(",")) {
                        if (key.isEmpty()) {
                            continue;
                        }
                        boolean desc = key.startsWith("-");
                        String p = desc || key.startsWith("+") ? key.substring(1) : key;
                        JsonPointer pointer = sortPointer(p);
                        q.sort.add(new SortKey(pointer, desc));
                        q.need(pointer);
                    }
                }
            }
        }
        return q;
    }

    private static Integer positive(String v, int min) {
        if (v == null) {
            return null;
        }
        try {
            int n = Integer.parseInt(v.trim());
            return n >= min ? n : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static JsonPointer pointer(String p, String param) {
        String s = p.startsWith("/") ? p : "/" + p;
        try {
            return JsonPointer.compile(s);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("Invalid JSON pointer '" + p + "' in '" + param + "'");
        }
    }

    /**
     * A sort key: a JSON pointer ({@code /attributes/idle}), a dotted path ({@code attributes.idle}), or
     * an attribute name alone ({@code idle}, {@code -seconds_alive}).
     */
    private static JsonPointer sortPointer(String key) {
        if (key.startsWith("/")) {
            return pointer(key, "sort");
        }
        String[] parts = key.split("\\.");
        StringBuilder sb = new StringBuilder();
        Set<String> top = Set.of("id", "type", "attributes", "relationships", "links");
        if (!top.contains(parts[0])) {
            sb.append("/attributes");
        }
        for (String part : parts) {
            if (part.isEmpty()) {
                throw ApiException.badRequest("Invalid 'sort' key '" + key + "'");
            }
            sb.append('/').append(part.replace("~", "~0").replace("/", "~1"));
        }
        return JsonPointer.compile(sb.toString());
    }

    private void need(JsonPointer p) {
        if (selectionAttributes == null) {
            return;
        }
        String head = p.getMatchingProperty();
        if (head == null || p.tail() == null) {
            return;
        }
        if (head.equals("attributes")) {
            JsonPointer rest = p.tail();
            String attr = rest.getMatchingProperty();
            if (attr == null) {
                selectionAttributes = null;
            } else {
                selectionAttributes.add(attr);
            }
        }
    }

    private void need(JsonPathLite path) {
        if (selectionAttributes == null) {
            return;
        }
        List<JsonPathLite.Step> steps = path.steps();
        if (steps.isEmpty()) {
            selectionAttributes = null;
            return;
        }
        JsonPathLite.Step head = steps.get(0);
        if (head.wildcard() || head.indexes() != null) {
            selectionAttributes = null;
        } else if (head.name().equals("attributes")) {
            if (steps.size() < 2 || steps.get(1).name() == null) {
                selectionAttributes = null;
            } else {
                selectionAttributes.add(steps.get(1).name());
            }
        }
    }

    boolean filtersOrSorts() {
        return !conditions.isEmpty() || !sort.isEmpty();
    }

    boolean paginates() {
        return pageSize > 0;
    }

    /** Attribute names the rows of {@code type} need once they are in the page; null = all. */
    Set<String> fieldAttributes(String type) {
        List<String[]> f = fields.get(type);
        if (f == null) {
            return null;
        }
        Set<String> out = new HashSet<>();
        for (String[] p : f) {
            out.add(p[0]);
        }
        return out;
    }

    boolean matches(JsonNode row) {
        for (Condition c : conditions) {
            if (!c.test(row)) {
                return false;
            }
        }
        return true;
    }

    /** Picks the page of {@code rows}, rendering partial documents only where filter or sort need them. */
    <R> Selection<R> select(List<R> rows, Renderer<R> renderer) {
        if (!filtersOrSorts()) {
            int total = rows.size();
            return new Selection<>(window(rows, total), total);
        }
        Set<String> attrs = selectionAttributes == null ? null : Set.copyOf(selectionAttributes);
        if (sort.isEmpty()) {
            List<R> page = new ArrayList<>();
            List<R> head = new ArrayList<>();
            long from = (long) pageNumber * pageSize;
            int total = 0;
            for (R row : rows) {
                if (matches(renderer.render(row, attrs))) {
                    if (!paginates() || (total >= from && total < from + pageSize)) {
                        page.add(row);
                    }
                    if (paginates() && total < pageSize) {
                        head.add(row);
                    }
                    total++;
                }
            }
            // MaxScale slices only when there is more than one page.
            return new Selection<>(paginates() && total <= pageSize ? head : page, total);
        }
        record Keyed<R>(R row, JsonNode[] keys) {}
        List<Keyed<R>> matched = new ArrayList<>();
        for (R row : rows) {
            ObjectNode doc = renderer.render(row, attrs);
            if (matches(doc)) {
                JsonNode[] keys = new JsonNode[sort.size()];
                for (int i = 0; i < keys.length; i++) {
                    keys[i] = doc.at(sort.get(i).pointer());
                }
                matched.add(new Keyed<>(row, keys));
            }
        }
        matched.sort((a, b) -> {
            for (int i = 0; i < sort.size(); i++) {
                int c = compare(a.keys[i], b.keys[i], sort.get(i).descending());
                if (c != 0) {
                    return c;
                }
            }
            return 0;
        });
        List<R> sorted = new ArrayList<>(matched.size());
        for (Keyed<R> k : matched) {
            sorted.add(k.row);
        }
        return new Selection<>(window(sorted, sorted.size()), sorted.size());
    }

    private <R> List<R> window(List<R> rows, int total) {
        if (!paginates() || total <= pageSize) {
            return rows;
        }
        long from = (long) pageNumber * pageSize;
        if (from >= rows.size()) {
            return List.of();
        }
        return rows.subList((int) from, (int) Math.min(rows.size(), from + pageSize));
    }

    /** Missing values sort last whatever the direction; then numbers, strings, booleans, the rest. */
    static int compare(JsonNode a, JsonNode b, boolean descending) {
        boolean am = a == null || a.isMissingNode() || a.isNull();
        boolean bm = b == null || b.isMissingNode() || b.isNull();
        if (am || bm) {
            return am == bm ? 0 : am ? 1 : -1;
        }
        int ra = rank(a);
        int rb = rank(b);
        int c;
        if (ra != rb) {
            c = Integer.compare(ra, rb);
        } else if (a.isNumber()) {
            c = new BigDecimal(a.asString()).compareTo(new BigDecimal(b.asString()));
        } else if (a.isString()) {
            c = compareStrings(a.stringValue(), b.stringValue());
        } else if (a.isBoolean()) {
            c = Boolean.compare(a.booleanValue(), b.booleanValue());
        } else {
            c = Json.compact(a).compareTo(Json.compact(b));
        }
        return descending ? -c : c;
    }

    private static int rank(JsonNode n) {
        if (n.isNumber()) {
            return 0;
        }
        if (n.isString()) {
            return 1;
        }
        if (n.isBoolean()) {
            return 2;
        }
        return 3;
    }

    /** Digit-only strings (ids) compare as numbers, so "10" follows "9". */
    private static int compareStrings(String a, String b) {
        if (!a.isEmpty() && !b.isEmpty() && a.chars().allMatch(Character::isDigit) && b.chars().allMatch(Character::isDigit)) {
            String x = a.replaceFirst("^0+(?=.)", "");
            String y = b.replaceFirst("^0+(?=.)", "");
            return x.length() != y.length() ? Integer.compare(x.length(), y.length()) : x.compareTo(y);
        }
        return a.compareTo(b);
    }

    /**
     * The collection document: {@code data}, {@code links.self} and, with {@code page[size]},
     * {@code meta.total} and the first/last/next/prev links (MaxScale's {@code paginate}).
     */
    ObjectNode collection(String selfLink, List<ObjectNode> data, int total) {
        ObjectNode doc = Json.object();
        ArrayNode arr = doc.putArray("data");
        for (ObjectNode o : data) {
            applyFields(o);
            arr.add(o);
        }
        ObjectNode links = doc.putObject("links");
        links.put("self", selfLink);
        if (paginates() && total > pageSize) {
            String base = selfLink + "?page%5Bsize%5D=" + pageSize + "&page%5Bnumber%5D=";
            links.put("self", base + pageNumber);
            if ((long) (pageNumber + 1) * pageSize < total) {
                links.put("next", base + (pageNumber + 1));
            }
            links.put("first", base + 0);
            links.put("last", base + ((total + (pageSize - 1)) / pageSize - 1));
            if (pageNumber > 0) { // also past the last page, as MaxScale
                links.put("prev", base + (pageNumber - 1));
            }
        }
        if (paginates()) {
            doc.putObject("meta").put("total", total);
        }
        return doc;
    }

    /** A single-resource document with the sparse fieldset applied. */
    ObjectNode single(ObjectNode resource, String selfLink) {
        applyFields(resource);
        ObjectNode doc = Json.object();
        doc.set("data", resource);
        doc.putObject("links").put("self", selfLink);
        return doc;
    }

    /** MaxScale's {@code remove_fields_from_resource}: keep only the listed paths of attributes and relationships. */
    void applyFields(ObjectNode resource) {
        List<String[]> f = fields.get(resource.path("type").asString(""));
        if (f == null) {
            return;
        }
        for (String part : new String[] {"attributes", "relationships"}) {
            JsonNode src = resource.get(part);
            if (src == null || !src.isObject()) {
                continue;
            }
            ObjectNode kept = Json.object();
            for (String[] path : f) {
                merge(kept, prune((ObjectNode) src, path, 0));
            }
            if (kept.isEmpty()) {
                resource.remove(part);
            } else {
                resource.set(part, kept);
            }
        }
    }

    private static ObjectNode prune(ObjectNode src, String[] path, int i) {
        ObjectNode out = Json.object();
        JsonNode v = src.get(path[i]);
        if (v == null) {
            return out;
        }
        if (i == path.length - 1) {
            out.set(path[i], v.deepCopy());
        } else if (v.isObject()) {
            ObjectNode sub = prune((ObjectNode) v, path, i + 1);
            if (!sub.isEmpty()) {
                out.set(path[i], sub);
            }
        }
        return out;
    }

    private static void merge(ObjectNode dst, ObjectNode src) {
        for (Map.Entry<String, JsonNode> e : src.properties()) {
            JsonNode d = dst.get(e.getKey());
            if (d != null && d.isObject() && e.getValue().isObject()) {
                merge((ObjectNode) d, (ObjectNode) e.getValue());
            } else {
                dst.set(e.getKey(), e.getValue());
            }
        }
    }
}
