package dev.patchbay.admin.rest;

import dev.patchbay.config.Durations;
import dev.patchbay.core.Cidr;
import dev.patchbay.core.LogSelectors;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code /v1/maxscale/log-selectors} (Patchbay): the runtime API's log selectors through REST. A selector
 * gives future sessions of a client network ({@code src}) or database user ({@code user}) extra log
 * levels until it expires or is deleted (docs/live-control.md#log-levels).
 */
final class LogSelectorsResource {
    private final RestApi api;

    LogSelectorsResource(RestApi api) {
        this.api = api;
    }

    private LogSelectors selectors() {
        return api.patchbay().sessions().logSelectors();
    }

    void register(Routes routes) {
        routes.sync("GET", "maxscale/log-selectors", this::list);
        routes.sync("GET", "maxscale/log-selectors/:id", this::get);
        routes.sync("POST", "maxscale/log-selectors", this::create);
        routes.sync("DELETE", "maxscale/log-selectors/:id", this::delete);
    }

    private static ObjectNode resource(LogSelectors.Selector s, String base, long now) {
        ObjectNode o = Json.object();
        o.put("id", Integer.toString(s.id()));
        o.put("type", "log-selectors");
        o.putObject("links").put("self", base + "maxscale/log-selectors/" + s.id() + "/");
        ObjectNode a = o.putObject("attributes");
        a.put(s.kind() == LogSelectors.Kind.SRC ? "src" : "user", s.value());
        a.put("levels", LogSelectors.levelNames(s.levels()));
        if (s.expiresAtNanos() == Long.MAX_VALUE) {
            a.putNull("expires_in");
        } else {
            a.put("expires_in", Math.max(0, s.expiresAtNanos() - now) / 1e9);
        }
        a.put("matched", s.matched().get());
        a.put("created_by", s.by());
        return o;
    }

    private ApiResponse list(ApiRequest r) {
        long now = System.nanoTime();
        List<ObjectNode> data = new ArrayList<>();
        for (LogSelectors.Selector s : selectors().list()) {
            data.add(resource(s, r.linkBase(), now));
        }
        Query q = Query.parse(r, true);
        Query.Selection<ObjectNode> sel = q.select(data, (o, attrs) -> o);
        return ApiResponse.ok(q.collection(r.linkBase() + "maxscale/log-selectors/", sel.rows(), sel.total()));
    }

    private LogSelectors.Selector find(String id) {
        for (LogSelectors.Selector s : selectors().list()) {
            if (Integer.toString(s.id()).equals(id)) {
                return s;
            }
        }
        throw ApiException.notFound("Log selector '" + id + "' not found");
    }

    private ApiResponse get(ApiRequest r) {
        ObjectNode o = resource(find(r.param(0)), r.linkBase(), System.nanoTime());
        return ApiResponse.ok(Query.parse(r, false).single(o, o.path("links").path("self").asString()));
    }

    /**
     * {@code {"data":{"attributes":{"src":"10.0.0.0/8","levels":"info,debug","expire":"30m"}}}} (or {@code user}
     * instead of {@code src}; {@code levels} may also be an array). 200 with the new selector.
     */
    private ApiResponse create(ApiRequest r) {
        JsonNode a = r.requireJson().path("data").path("attributes");
        if (!a.isObject()) {
            throw ApiException.badRequest("'data.attributes' must be an object with 'src' or 'user', and 'levels'");
        }
        JsonNode src = a.get("src");
        JsonNode user = a.get("user");
        if ((src == null) == (user == null)) {
            throw ApiException.badRequest("Give exactly one of 'data.attributes.src' (an address or network) and "
                    + "'data.attributes.user' (a database user)");
        }
        JsonNode v = src != null ? src : user;
        if (!v.isString() || v.stringValue().isEmpty()) {
            throw ApiException.badRequest("'data.attributes." + (src != null ? "src" : "user") + "' must be a non-empty string");
        }
        Cidr cidr = null;
        if (src != null) {
            cidr = Cidr.parse(v.stringValue());
            if (cidr == null) {
                throw ApiException.badRequest("'" + v.stringValue() + "' is not an IP address or network (10.0.0.0/8)");
            }
        }
        JsonNode lv = a.get("levels");
        String names;
        if (lv != null && lv.isString()) {
            names = lv.stringValue();
        } else if (lv != null && lv.isArray() && !lv.isEmpty()) {
            List<String> parts = new ArrayList<>();
            lv.forEach(x -> parts.add(x.isString() ? x.stringValue() : "?"));
            names = String.join(",", parts);
        } else {
            throw ApiException.badRequest("'data.attributes.levels' must be a string (\"info,debug\") or an array of level names");
        }
        int bits = LogSelectors.parseLevels(names);
        if (bits < 0) {
            throw ApiException.badRequest("'data.attributes.levels': '" + names
                    + "' is not a list of error, warning, notice, info, debug");
        }
        long ttl = 0;
        JsonNode ex = a.get("expire");
        if (ex != null && !ex.isNull()) {
            if (!ex.isString()) {
                throw ApiException.badRequest("'data.attributes.expire' must be a duration string such as \"30m\"");
            }
            try {
                ttl = Durations.parseNanos(ex.stringValue());
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("'data.attributes.expire': " + e.getMessage());
            }
            if (ttl == 0) {
                throw ApiException.badRequest("'data.attributes.expire' must be more than 0 (leave it out for no expiry)");
            }
        }
        LogSelectors.Selector s = selectors().add(src != null ? LogSelectors.Kind.SRC : LogSelectors.Kind.USER,
                v.stringValue(), cidr, bits, ttl, r.principal.user() + " via the REST API");
        r.action = "log_selector_create";
        ObjectNode o = resource(s, r.linkBase(), System.nanoTime());
        ObjectNode doc = Json.object();
        doc.set("data", o);
        doc.putObject("links").put("self", o.path("links").path("self").asString());
        return ApiResponse.ok(doc);
    }

    private ApiResponse delete(ApiRequest r) {
        LogSelectors.Selector s = find(r.param(0));
        selectors().remove(s.id());
        r.action = "log_selector_delete";
        return ApiResponse.empty(200);
    }
}
