package dev.patchbay.admin.rest;

import dev.patchbay.core.LogLevels;
import dev.patchbay.core.Session;
import dev.patchbay.core.Termination;
import dev.patchbay.logging.SessionLog;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code /v1/sessions}: MaxScale's session resource (NOTES §3) on Patchbay's sessions, plus the
 * operator additions of issue 4 (bulk actions by selector, the event stream).
 */
final class SessionsResource {
    private static final Logger log = LoggerFactory.getLogger("patchbay.rest");
    /** How long DELETE waits for a killed session to be really closed before answering. */
    static final long KILL_WAIT_SECONDS = 10;

    static final Map<String, Integer> LOG_PARAMETERS = new LinkedHashMap<>();

    static {
        LOG_PARAMETERS.put("log_debug", LogLevels.DEBUG);
        LOG_PARAMETERS.put("log_error", LogLevels.ERROR);
        LOG_PARAMETERS.put("log_info", LogLevels.INFO);
        LOG_PARAMETERS.put("log_notice", LogLevels.NOTICE);
        LOG_PARAMETERS.put("log_warning", LogLevels.WARNING);
    }

    private final RestApi api;
    /** Pending {@code DELETE ?ttl=N} kills, by session id. Touched on the REST loop only. */
    private final Map<Long, ScheduledFuture<?>> ttlKills = new ConcurrentHashMap<>();

    SessionsResource(RestApi api) {
        this.api = api;
    }

    void register(Routes routes) {
        routes.add("GET", "sessions", this::list);
        routes.add("DELETE", "sessions", this::bulkDelete);
        routes.sync("GET", "sessions/events", this::events);
        routes.add("POST", "sessions/restart", this::restartAll);
        routes.add("GET", "sessions/:id", this::get);
        routes.add("PATCH", "sessions/:id", this::patch);
        routes.add("DELETE", "sessions/:id", this::delete);
        routes.sync("GET", "sessions/:id/relationships/services", this::servicesRelationship);
        routes.sync("GET", "sessions/:id/relationships/filters", this::filtersRelationship);
        routes.add("PATCH", "sessions/:id/relationships/filters", this::patchFilters);
        routes.sync("POST", "sessions/:id/restart", this::restart);
    }

    void close() {
        ttlKills.values().forEach(f -> f.cancel(false));
        ttlKills.clear();
    }

    int pendingTtlKills() {
        return ttlKills.size();
    }

    // ---- lookup -------------------------------------------------------------------------------

    /** MaxScale's {@code :session} segment: a uint64 &gt; 0, else 404 "X is not a session". */
    static long parseId(String s) {
        if (s.isEmpty() || s.length() > 20 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw ApiException.notFound(s + " is not a session");
        }
        try {
            long id = Long.parseUnsignedLong(s);
            if (id == 0) {
                throw ApiException.notFound(s + " is not a session");
            }
            return id;
        } catch (NumberFormatException e) {
            throw ApiException.notFound(s + " is not a session");
        }
    }

    private Session find(ApiRequest r) {
        long id = parseId(r.param(0));
        Session s = api.patchbay().sessions().get(id);
        if (s == null || !SessionDocs.listed(s)) {
            throw ApiException.notFound("Session " + Long.toUnsignedString(id) + " not found");
        }
        return s;
    }

    private List<Session> listedSessions() {
        List<Session> out = new ArrayList<>();
        for (Session s : api.patchbay().sessions().snapshot()) {
            if (SessionDocs.listed(s)) {
                out.add(s);
            }
        }
        return out;
    }

    // ---- GET ----------------------------------------------------------------------------------

    private CompletableFuture<ApiResponse> list(ApiRequest r) {
        Query q = Query.parse(r, true);
        String base = r.linkBase();
        Query.Selection<Session> sel = q.select(listedSessions(), (s, attrs) -> SessionDocs.resource(s, base, attrs, null));
        Set<String> attrs = q.fieldAttributes("sessions");
        return names(r, sel.rows()).thenApply(names -> {
            List<ObjectNode> data = new ArrayList<>(sel.rows().size());
            for (Session s : sel.rows()) {
                data.add(SessionDocs.resource(s, base, attrs, names.get(SessionDocs.ip(s.clientAddress()))));
            }
            return ApiResponse.ok(q.collection(base + "sessions/", data, sel.total()));
        });
    }

    private CompletableFuture<ApiResponse> get(ApiRequest r) {
        Session s = find(r);
        Query q = Query.parse(r, false);
        String base = r.linkBase();
        Set<String> attrs = q.fieldAttributes("sessions");
        return names(r, List.of(s)).thenApply(names -> ApiResponse.ok(q.single(
                SessionDocs.resource(s, base, attrs, names.get(SessionDocs.ip(s.clientAddress()))),
                SessionDocs.selfLink(base, s))));
    }

    /** Reverse-DNS names for {@code rdns=true} (ignored with skip_name_resolve), else none. */
    private CompletableFuture<Map<String, String>> names(ApiRequest r, List<Session> sessions) {
        if (!r.flag("rdns", false) || api.settings().skipNameResolve() || sessions.isEmpty()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        Set<String> ips = new HashSet<>();
        for (Session s : sessions) {
            ips.add(SessionDocs.ip(s.clientAddress()));
        }
        return api.rdns().resolve(ips);
    }

    private ApiResponse servicesRelationship(ApiRequest r) {
        Session s = find(r);
        String base = r.linkBase();
        ObjectNode doc = Json.object();
        ArrayNode data = doc.putArray("data");
        data.addObject().put("id", s.service().name()).put("type", "services");
        doc.putObject("links").put("self", base + "sessions/" + s.id() + "/relationships/services/")
                .put("related", base + "services/");
        return ApiResponse.ok(doc);
    }

    private ApiResponse filtersRelationship(ApiRequest r) {
        Session s = find(r);
        String base = r.linkBase();
        ObjectNode doc = Json.object();
        // Patchbay has no filters yet, so no session has session-level filters.
        doc.putArray("data");
        doc.putObject("links").put("self", base + "sessions/" + s.id() + "/relationships/filters/")
                .put("related", base + "filters/");
        return ApiResponse.ok(doc);
    }

    private ApiResponse events(ApiRequest r) {
        return ApiResponse.stream(api.events()::subscribe);
    }

    // ---- PATCH --------------------------------------------------------------------------------

    /** A validated PATCH: the log bits to set and clear, and the new session filter list (null: untouched). */
    private record Update(int set, int clear, List<String> filters) {}

    private CompletableFuture<ApiResponse> patch(ApiRequest r) {
        Session s = find(r);
        JsonNode body = r.requireJson();
        JsonNode data = body.get("data");
        if (data == null || !data.isObject()) {
            throw ApiException.badRequest("'data' must be an object, e.g. {\"data\":{\"attributes\":{\"parameters\":{\"log_info\":true}}}}");
        }
        int set = 0;
        int clear = 0;
        JsonNode attributes = data.get("attributes");
        if (attributes != null && !attributes.isNull() && !attributes.isObject()) {
            throw ApiException.badRequest("'data.attributes' must be an object, not " + article(attributes));
        }
        JsonNode params = attributes == null ? null : attributes.get("parameters");
        if (params != null && !params.isNull()) {
            if (!params.isObject()) {
                throw ApiException.badRequest("'data.attributes.parameters' must be an object, not " + article(params));
            }
            for (Map.Entry<String, JsonNode> e : params.properties()) {
                Integer bit = LOG_PARAMETERS.get(e.getKey());
                if (bit == null) {
                    throw ApiException.badRequest("Unknown session parameter 'data.attributes.parameters." + e.getKey()
                            + "' (a session has " + String.join(", ", LOG_PARAMETERS.keySet()) + ")");
                }
                if (!e.getValue().isBoolean()) {
                    throw ApiException.badRequest("'data.attributes.parameters." + e.getKey() + "' must be a boolean, not "
                            + article(e.getValue()));
                }
                if (e.getValue().booleanValue()) {
                    set |= bit;
                } else {
                    clear |= bit;
                }
            }
        }
        // The code's form (what maxctrl sends) first, then the documented data.attributes.relationships form.
        JsonNode filters = data.path("relationships").get("filters");
        String where = "data.relationships.filters.data";
        if (filters == null && attributes != null) {
            filters = attributes.path("relationships").get("filters");
            where = "data.attributes.relationships.filters.data";
        }
        List<String> filterNames = filters == null ? null : filterNames(filters.get("data"), where);
        Update u = new Update(set, clear, filterNames);
        r.action = "session_patch";
        return apply(r, s, u);
    }

    private CompletableFuture<ApiResponse> patchFilters(ApiRequest r) {
        Session s = find(r);
        JsonNode body = r.requireJson();
        List<String> names = filterNames(body.get("data"), "data");
        r.action = "session_patch";
        return apply(r, s, new Update(0, 0, names));
    }

    /**
     * The filter names of a relationship's {@code data}. An empty array, null or a non-array clears the
     * session's filters (maxctrl clears with {@code []}). Any name is an error: no filter exists yet.
     */
    private List<String> filterNames(JsonNode arr, String where) {
        List<String> names = new ArrayList<>();
        if (arr == null || !arr.isArray()) {
            return names;
        }
        for (int i = 0; i < arr.size(); i++) {
            JsonNode id = arr.get(i).get("id");
            if (id == null || !id.isString()) {
                throw ApiException.badRequest("'" + where + "[" + i + "].id': Not a JSON string but a "
                        + Json.typeName(id));
            }
            names.add(id.stringValue());
        }
        for (String n : names) {
            if (api.filterNames().contains(n)) {
                continue;
            }
            throw ApiException.badRequest("Not a valid filter: " + n);
        }
        return names;
    }

    private CompletableFuture<ApiResponse> apply(ApiRequest r, Session s, Update u) {
        r.affectedSessions.add(s.id());
        CompletableFuture<ApiResponse> done = new CompletableFuture<>();
        s.execute(() -> {
            int before = s.logFlags();
            int after = (before | u.set()) & ~u.clear();
            s.setLogFlags(after);
            if (after != before) {
                SessionLog.notice(s, "Session log levels changed to [{}] by {} via the REST API", levels(after),
                        r.principal.user());
            }
            done.complete(ApiResponse.empty(200));
        });
        return done.orTimeout(KILL_WAIT_SECONDS, TimeUnit.SECONDS);
    }

    static String levels(int flags) {
        List<String> on = new ArrayList<>();
        for (Map.Entry<String, Integer> e : LOG_PARAMETERS.entrySet()) {
            if ((flags & e.getValue()) != 0) {
                on.add(e.getKey().substring(4));
            }
        }
        return String.join(",", on);
    }

    private static String article(JsonNode n) {
        String t = Json.typeName(n);
        return (t.startsWith("a") || t.startsWith("i") || t.startsWith("o") ? "an " : "a ") + t;
    }

    // ---- restart ------------------------------------------------------------------------------

    /**
     * Why {@code s} cannot be restarted. Patchbay's session model has no restart request yet (nothing to
     * record one in, no protocol that knows an idle point), so every session answers with the reason,
     * as MaxScale answers 400 for a session it cannot restart. Returns null when it can (never, today).
     */
    static String restartRefusal(Session s) {
        return "Session " + s.id() + " cannot be restarted: its listener '" + s.frontend().name() + "' uses protocol '"
                + s.frontend().protocol() + "', which has no request boundary at which the backend connection could be"
                + " replaced safely; restart needs a protocol that knows when a session is idle (MariaDB, not yet"
                + " available)";
    }

    private ApiResponse restart(ApiRequest r) {
        Session s = find(r);
        r.affectedSessions.add(s.id());
        String why = restartRefusal(s);
        throw ApiException.badRequest(why);
    }

    private CompletableFuture<ApiResponse> restartAll(ApiRequest r) {
        Bulk b = bulk(r, false);
        if (b.dryRun) {
            return CompletableFuture.completedFuture(ApiResponse.ok(b.meta(true)));
        }
        List<String> errors = new ArrayList<>();
        for (Session s : b.sessions) {
            r.affectedSessions.add(s.id());
            String why = restartRefusal(s);
            if (why != null) {
                errors.add(why);
            }
        }
        if (!errors.isEmpty()) {
            errors.add("Could not restart all sessions");
            throw new ApiException(400, errors);
        }
        r.action = "session_restart";
        return CompletableFuture.completedFuture(ApiResponse.empty(200));
    }

    // ---- DELETE -------------------------------------------------------------------------------

    private CompletableFuture<ApiResponse> delete(ApiRequest r) {
        Session s = find(r);
        long ttl = parseTtl(r.query("ttl"));
        r.affectedSessions.add(s.id());
        String who = r.principal.user();
        if (ttl > 0) {
            r.action = "session_kill_scheduled";
            scheduleKill(s, ttl, who);
            return CompletableFuture.completedFuture(ApiResponse.empty(200));
        }
        r.action = "session_kill";
        cancelTtl(s.id());
        return kill(List.of(s), who).thenApply(n -> ApiResponse.empty(200));
    }

    /** ttl as a whole number of seconds; absent = 0 (at once). Negative values kill at once, as MaxScale. */
    static long parseTtl(String v) {
        if (v == null || v.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("Invalid value for 'ttl': '" + v + "' (expected a whole number of seconds)");
        }
    }

    /** Kills {@code s} {@code ttl} seconds from now; a repeated DELETE restarts the countdown. */
    private void scheduleKill(Session s, long ttl, String who) {
        long id = s.id();
        api.loop().execute(() -> {
            cancelTtl(id);
            ScheduledFuture<?> f = api.loop().schedule(() -> {
                ttlKills.remove(id);
                if (s.state().isLive()) {
                    SessionLog.warning(s, "Killing session {}, session TTL of {} seconds exceeded (set by {})", id, ttl, who);
                    s.kill(Termination.killedBy(Termination.AdminInterface.REST_API, who));
                }
            }, ttl, TimeUnit.SECONDS);
            ttlKills.put(id, f);
            s.closedFuture().whenComplete((t, e) -> api.loop().execute(() -> {
                ScheduledFuture<?> pending = ttlKills.get(id);
                if (pending == f) {
                    ttlKills.remove(id);
                    f.cancel(false);
                }
            }));
        });
        log.info("Session {} will be killed in {} seconds (REST API, {})", id, ttl, who);
    }

    private void cancelTtl(long id) {
        ScheduledFuture<?> f = ttlKills.remove(id);
        if (f != null) {
            f.cancel(false);
        }
    }

    /** Kills the sessions and completes with their number once every one of them is closed. */
    private CompletableFuture<Integer> kill(List<Session> sessions, String who) {
        Termination t = Termination.killedBy(Termination.AdminInterface.REST_API, who);
        List<CompletableFuture<Termination>> closing = new ArrayList<>(sessions.size());
        for (Session s : sessions) {
            closing.add(s.kill(t));
        }
        return CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
                .orTimeout(KILL_WAIT_SECONDS, TimeUnit.SECONDS)
                .handle((v, err) -> {
                    if (err != null) {
                        Throwable c = err instanceof java.util.concurrent.CompletionException ? err.getCause() : err;
                        if (c instanceof TimeoutException) {
                            long open = closing.stream().filter(f -> !f.isDone()).count();
                            throw new ApiException(500, open + " of " + sessions.size()
                                    + " killed sessions did not close within " + KILL_WAIT_SECONDS + " seconds");
                        }
                        throw new java.util.concurrent.CompletionException(c);
                    }
                    return sessions.size();
                });
    }

    /** The sessions a bulk action selects, with its {@code dry_run} and {@code limit} options. */
    private record Bulk(List<Session> sessions, boolean dryRun) {
        ObjectNode meta(boolean dry) {
            ObjectNode doc = Json.object();
            ObjectNode meta = doc.putObject("meta");
            meta.put("dry_run", dry);
            meta.put("total", sessions.size());
            ArrayNode ids = meta.putArray("ids");
            for (Session s : sessions) {
                ids.add(Long.toString(s.id()));
            }
            return doc;
        }
    }

    /**
     * Selects by the request's filters ({@code filter=}, {@code filter[...]=}). {@code requireFilter}:
     * a bulk DELETE without a selector is refused, so that "kill everything" is never one typo away.
     */
    private Bulk bulk(ApiRequest r, boolean requireFilter) {
        boolean hasFilter = r.query.keySet().stream().anyMatch(k -> k.equals("filter") || k.startsWith("filter["));
        if (requireFilter && !hasFilter) {
            throw ApiException.badRequest("DELETE /v1/sessions needs a selector: filter=<json-pointer>=<expr> or "
                    + "filter[<json-path>]=<expr> (e.g. filter=/attributes/remote=\"10.0.0.7\"); to kill one session "
                    + "use DELETE /v1/sessions/:id");
        }
        if (r.has("page[size]") || r.has("page[number]") || r.has("sort")) {
            throw ApiException.badRequest("page[...] and sort cannot be used with a bulk action: it acts on every "
                    + "session the filter selects");
        }
        Integer limit = null;
        String l = r.query("limit");
        if (l != null) {
            try {
                limit = Integer.parseInt(l.trim());
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 0) {
                throw ApiException.badRequest("Invalid value for 'limit': '" + l + "' (expected a whole number >= 0)");
            }
        }
        String dry = r.query("dry_run");
        Boolean dryRun = dry == null ? Boolean.FALSE : ApiRequest.parseBool(dry.isEmpty() ? "true" : dry);
        if (dryRun == null) {
            throw ApiException.badRequest("Invalid value for 'dry_run': '" + dry + "' (expected true or false)");
        }
        Query q = Query.parse(r, true);
        String base = r.linkBase();
        List<Session> selected = new ArrayList<>(q.select(listedSessions(),
                (s, attrs) -> SessionDocs.resource(s, base, attrs, null)).rows());
        if (limit != null && selected.size() > limit && !dryRun) {
            throw new ApiException(409, selected.size() + " sessions match, more than limit=" + limit
                    + "; nothing was done (check the selection with dry_run=true)");
        }
        return new Bulk(selected, dryRun);
    }

    private CompletableFuture<ApiResponse> bulkDelete(ApiRequest r) {
        Bulk b = bulk(r, true);
        if (b.dryRun) {
            return CompletableFuture.completedFuture(ApiResponse.ok(b.meta(true)));
        }
        for (Session s : b.sessions) {
            r.affectedSessions.add(s.id());
            cancelTtl(s.id());
        }
        r.action = "session_kill";
        return kill(b.sessions, r.principal.user()).thenApply(n -> ApiResponse.ok(b.meta(false)));
    }
}
