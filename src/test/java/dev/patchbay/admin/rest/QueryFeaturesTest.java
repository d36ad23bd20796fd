package dev.patchbay.admin.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Units: JSON output, filter expressions, JSONPath, sparse fields, pagination, sort, URI decoding. */
class QueryFeaturesTest {

    static JsonNode j(String s) {
        return Json.MAPPER.readTree(s);
    }

    @Test
    void jsonIsSortedWithFourSpacesAndJanssonSpacing() {
        ObjectNode o = Json.object();
        o.put("b", 1);
        o.putArray("a");
        o.putObject("c").put("z", "x").put("y", true);
        o.putArray("d").add(1).add(2);
        String pretty = new String(Json.write(o, true), StandardCharsets.UTF_8);
        assertThat(pretty).isEqualTo("{\n    \"a\": [],\n    \"b\": 1,\n    \"c\": {\n        \"y\": true,\n"
                + "        \"z\": \"x\"\n    },\n    \"d\": [\n        1,\n        2\n    ]\n}");
        assertThat(Json.compact(o)).isEqualTo("{\"a\":[],\"b\":1,\"c\":{\"y\":true,\"z\":\"x\"},\"d\":[1,2]}");
        assertThat(Json.compact(Json.object())).isEqualTo("{}");
    }

    @Test
    void filterExpressionsFollowMaxScalesRules() {
        assertThat(FilterExpr.parse("\"a\"").match(j("\"a\""))).isTrue();
        assertThat(FilterExpr.parse("5").match(j("5"))).isTrue();
        assertThat(FilterExpr.parse("5").match(j("5.0"))).as("integer never equals real").isFalse();
        assertThat(FilterExpr.parse("eq(5)").match(j("5"))).isTrue();
        assertThat(FilterExpr.parse("ne(5)").match(j("6"))).isTrue();
        assertThat(FilterExpr.parse("lt(5)").match(j("4"))).isTrue();
        assertThat(FilterExpr.parse("lt(5)").match(j("5"))).isFalse();
        assertThat(FilterExpr.parse("le(5)").match(j("5"))).isTrue();
        assertThat(FilterExpr.parse("gt(1.5)").match(j("2.5"))).isTrue();
        assertThat(FilterExpr.parse("ge(\"b\")").match(j("\"a\""))).isFalse();
        // Across types lt is false, so le and ge are true (MaxScale's quirk, documented in NOTES §0 row 8).
        assertThat(FilterExpr.parse("lt(5)").match(j("\"5\""))).isFalse();
        assertThat(FilterExpr.parse("le(5)").match(j("\"5\""))).isTrue();
        assertThat(FilterExpr.parse("ge(5)").match(j("\"5\""))).isTrue();
        assertThat(FilterExpr.parse("and(ge(50),le(100))").match(j("75"))).isTrue();
        assertThat(FilterExpr.parse("and(ge(50),le(100))").match(j("175"))).isFalse();
        assertThat(FilterExpr.parse("or(\"x\",\"y\")").match(j("\"y\""))).isTrue();
        assertThat(FilterExpr.parse("not(\"x\",\"y\")").match(j("\"z\""))).isTrue();
        assertThat(FilterExpr.parse("not(\"x\",\"y\")").match(j("\"x\""))).isFalse();
        assertThat(FilterExpr.parse("eq(\"a,b)\")").match(j("\"a,b)\""))).as("commas and parens inside strings").isTrue();
        assertThat(FilterExpr.parse("eq({\"a\":[1,2]})").match(j("{\"a\":[1,2]}"))).isTrue();
        assertThat(FilterExpr.parse("true").match(j("true"))).isTrue();
        assertThat(FilterExpr.parse("null").match(j("null"))).isTrue();
        assertThatThrownBy(() -> FilterExpr.parse("")).hasMessage("Empty filter expression");
        assertThatThrownBy(() -> FilterExpr.parse("foo(1)")).hasMessage("Not a valid filter expression: foo(1)");
        assertThatThrownBy(() -> FilterExpr.parse("eq(1")).hasMessageStartingWith("Not a valid filter expression: eq(1");
        assertThatThrownBy(() -> FilterExpr.parse("eq(\"x)")).hasMessageStartingWith("Invalid JSON: ");
        assertThatThrownBy(() -> FilterExpr.parse("5 6")).hasMessageStartingWith("Not a valid filter expression: 5 6");
    }

    @Test
    void jsonPathSubset() {
        JsonNode doc = j("{\"a\":{\"b\":[{\"c\":1},{\"c\":2},{\"c\":3}]},\"x y\":5}");
        List<JsonNode> hits = new ArrayList<>();
        JsonPathLite.parse("$.a.b[*].c").forEach(doc, hits::add);
        assertThat(hits).extracting(JsonNode::asInt).containsExactly(1, 2, 3);
        hits.clear();
        JsonPathLite.parse("a.b[0,2].c").forEach(doc, hits::add);
        assertThat(hits).extracting(JsonNode::asInt).containsExactly(1, 3);
        hits.clear();
        JsonPathLite.parse("$['x y']").forEach(doc, hits::add);
        assertThat(hits).extracting(JsonNode::asInt).containsExactly(5);
        hits.clear();
        JsonPathLite.parse("$.a.*").forEach(doc, hits::add);
        assertThat(hits).hasSize(1);
        hits.clear();
        JsonPathLite.parse("$.nothing.here").forEach(doc, hits::add);
        assertThat(hits).isEmpty();
        assertThatThrownBy(() -> JsonPathLite.parse("$.a[x]")).hasMessage("Invalid JSON Path: $.a[x]");
        assertThatThrownBy(() -> JsonPathLite.parse("$.a[1")).hasMessage("Invalid JSON Path: $.a[1");
    }

    static ApiRequest request(String query) {
        return new ApiRequest("GET", "/v1/x?" + query, List.of("x"), true, Uris.query(query), new DefaultHttpHeaders(),
                new byte[0], null, false, "h");
    }

    record Row(int n, String name) {}

    static ObjectNode render(Row r, Set<String> attrs, AtomicInteger full, AtomicInteger partial) {
        ObjectNode o = Json.object();
        o.put("id", Integer.toString(r.n));
        o.put("type", "rows");
        ObjectNode a = o.putObject("attributes");
        if (attrs == null) {
            full.incrementAndGet();
        } else {
            partial.incrementAndGet();
        }
        if (attrs == null || attrs.contains("n")) {
            a.put("n", r.n);
        }
        if (attrs == null || attrs.contains("name")) {
            a.put("name", r.name);
        }
        if (attrs == null || attrs.contains("nested")) {
            a.putObject("nested").put("x", r.n * 10).put("y", "y");
        }
        return o;
    }

    static List<Row> rows(int n) {
        List<Row> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(new Row(i, i % 2 == 0 ? "even" : "odd"));
        }
        return out;
    }

    @Test
    void pagingWithoutAFilterRendersOnlyThePage() {
        AtomicInteger full = new AtomicInteger();
        AtomicInteger partial = new AtomicInteger();
        Query q = Query.parse(request("page[size]=50&page[number]=3"), true);
        Query.Selection<Row> sel = q.select(rows(10_000), (r, a) -> render(r, a, full, partial));
        assertThat(sel.total()).isEqualTo(10_000);
        assertThat(sel.rows()).extracting(Row::n).startsWith(151).hasSize(50);
        assertThat(full.get() + partial.get()).as("nothing rendered to choose the page").isZero();
        List<ObjectNode> data = sel.rows().stream().map(r -> render(r, null, full, partial)).toList();
        ObjectNode doc = q.collection("http://h/v1/rows/", data, sel.total());
        assertThat(doc.path("meta").path("total").asInt()).isEqualTo(10_000);
        assertThat(doc.path("links").path("next").asString()).isEqualTo("http://h/v1/rows/?page%5Bsize%5D=50&page%5Bnumber%5D=4");
        assertThat(doc.path("links").path("last").asString()).endsWith("page%5Bnumber%5D=199");
    }

    @Test
    void filteringRendersOnlyWhatTheFilterReads() {
        AtomicInteger full = new AtomicInteger();
        AtomicInteger partial = new AtomicInteger();
        Query q = Query.parse(request("filter=/attributes/name=%22even%22&page[size]=10"), true);
        Query.Selection<Row> sel = q.select(rows(1_000), (r, a) -> {
            if (a != null) {
                assertThat(a).containsExactly("name");
            }
            return render(r, a, full, partial);
        });
        assertThat(sel.total()).isEqualTo(500);
        assertThat(sel.rows()).extracting(Row::n).containsExactly(2, 4, 6, 8, 10, 12, 14, 16, 18, 20);
        assertThat(full.get()).isZero();
        assertThat(partial.get()).isEqualTo(1_000);
    }

    @Test
    void smallResultsAreNotSlicedAndLinksStayPlain() {
        Query q = Query.parse(request("page[size]=10&page[number]=2"), true);
        Query.Selection<Row> sel = q.select(rows(4), (r, a) -> render(r, a, new AtomicInteger(), new AtomicInteger()));
        assertThat(sel.rows()).hasSize(4);
        ObjectNode doc = q.collection("http://h/v1/rows/", List.of(), sel.total());
        assertThat(doc.path("links").path("self").asString()).isEqualTo("http://h/v1/rows/");
        assertThat(doc.path("meta").path("total").asInt()).isEqualTo(4);
        // Invalid page values are ignored.
        Query bad = Query.parse(request("page[size]=abc"), true);
        assertThat(bad.paginates()).isFalse();
    }

    @Test
    void sortIsStableOnMissingValuesAndNumericOnIds() {
        AtomicInteger c = new AtomicInteger();
        Query q = Query.parse(request("sort=-n"), true);
        Query.Selection<Row> sel = q.select(rows(12), (r, a) -> render(r, a, c, c));
        assertThat(sel.rows()).extracting(Row::n).startsWith(12, 11, 10);
        Query byId = Query.parse(request("sort=id"), true);
        assertThat(byId.select(rows(12), (r, a) -> render(r, a, c, c)).rows()).extracting(Row::n)
                .startsWith(1, 2, 3).endsWith(10, 11, 12);
        Query two = Query.parse(request("sort=name,-attributes.n"), true);
        assertThat(two.select(rows(6), (r, a) -> render(r, a, c, c)).rows()).extracting(Row::n)
                .containsExactly(6, 4, 2, 5, 3, 1);
        Query missing = Query.parse(request("sort=-nothing"), true);
        assertThat(missing.select(rows(3), (r, a) -> render(r, a, c, c)).rows()).extracting(Row::n).containsExactly(1, 2, 3);
    }

    @Test
    void sparseFieldsKeepOnlyTheListedPaths() {
        Query q = Query.parse(request("fields[rows]=name,nested/x&fields[other]=zzz"), true);
        ObjectNode o = render(new Row(3, "odd"), null, new AtomicInteger(), new AtomicInteger());
        q.applyFields(o);
        assertThat(Json.compact(o)).isEqualTo("{\"attributes\":{\"name\":\"odd\",\"nested\":{\"x\":30}},\"id\":\"3\",\"type\":\"rows\"}");
        assertThat(q.fieldAttributes("rows")).containsExactlyInAnyOrder("name", "nested");
        Query none = Query.parse(request("fields[rows]=nope"), true);
        ObjectNode p = render(new Row(3, "odd"), null, new AtomicInteger(), new AtomicInteger());
        none.applyFields(p);
        assertThat(p.has("attributes")).isFalse();
        assertThat(p.path("id").asString()).isEqualTo("3");
    }

    @Test
    void filterOnASingleResourceIsRefused() {
        assertThatThrownBy(() -> Query.parse(request("filter[id]=%221%22"), false))
                .hasMessage("'filter[id]' can only be used on a collection");
        assertThatThrownBy(() -> Query.parse(request("filter=noequals"), true))
                .hasMessageStartingWith("Invalid 'filter' value 'noequals'");
    }

    @Test
    void urisAreDecodedStrictly() {
        assertThat(Uris.segments("/v1//sessions/a%20b/")).containsExactly("v1", "sessions", "a b");
        assertThat(Uris.query("a=1&b=x+y&c=%2Fz&a=2&flag")).isEqualTo(Map.of("a", List.of("1", "2"), "b", List.of("x y"),
                "c", List.of("/z"), "flag", List.of("")));
        assertThatThrownBy(() -> Uris.segments("/a/%4")).hasMessageStartingWith("Invalid percent-encoding in URL");
        assertThatThrownBy(() -> Uris.segments("/a/%ff")).hasMessageStartingWith("Invalid percent-encoding in URL");
        assertThatThrownBy(() -> Uris.segments("/a/../b")).hasMessageStartingWith("Invalid path");
        assertThatThrownBy(() -> Uris.segments("/a/%00")).hasMessageStartingWith("Invalid path");
        assertThat(Uris.encode("a b/é")).isEqualTo("a%20b%2F%C3%A9");
    }

    @Test
    void routesPreferLiteralsAndListAcceptedMethods() throws Exception {
        Routes r = new Routes();
        r.sync("GET", "sessions/:id", x -> ApiResponse.empty(200));
        r.sync("DELETE", "sessions/:id", x -> ApiResponse.empty(200));
        r.sync("POST", "sessions/restart", x -> ApiResponse.empty(201));
        r.sync("PATCH", "sessions/:id", x -> ApiResponse.empty(200));
        assertThat(r.find("POST", List.of("sessions", "restart")).route().template()).containsExactly("sessions", "restart");
        assertThat(r.find("GET", List.of("sessions", "restart")).params()).containsExactly("restart");
        assertThat(r.find("HEAD", List.of("sessions", "7")).params()).containsExactly("7");
        assertThat(r.accepted(List.of("sessions", "7"))).containsExactly("GET", "DELETE");
        assertThat(r.accepted(List.of("sessions", "restart"))).containsExactly("POST");
        assertThat(r.find("PUT", List.of("sessions", "7"))).isNull();
        assertThat(r.hasPath(List.of("nothing"))).isFalse();
    }
}
