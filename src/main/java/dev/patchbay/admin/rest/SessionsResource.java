package dev.patchbay.admin.rest;

import dev.patchbay.config.Durations;
import dev.patchbay.core.FilterDef;
import dev.patchbay.core.LogLevels;
import dev.patchbay.core.Session;
import dev.patchbay.core.Termination;
import dev.patchbay.filter.Filter;
import dev.patchbay.logging.SessionLog;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
        routes.add("POST", "sessions/:id/restart", this::restart);
    }

    void close() {
        // Pending ttl kills, restarts and filter swaps live in each session's control, on its own loop.
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
        ArrayNode data = doc.putArray("data");
        for (FilterDef f : s.sessionFilters()) {
            data.addObject().put("id", f.name()).put("type", "filters");
        }
        doc.putObject("links").put("self", base + "sessions/" + s.id() + "/relationships/filters/")
                .put("related", base + "filters/");
        return ApiResponse.ok(doc);
    }

    private ApiResponse events(ApiRequest r) {
        return ApiResponse.stream(api.events()::subscribe);
    }

    // ---- PATCH --------------------------------------------------------------------------------

    /** A validated PATCH: the log bits to set and clear, and the new session filter list (null: untouched). */
    private record Update(int set, int clear, List<FilterDef> filters) {}

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
        List<FilterDef> filterDefs = filters == null ? null : filterDefs(s, filters.get("data"), where);
        Update u = new Update(set, clear, filterDefs);
        r.action = "session_patch";
        return apply(r, s, u);
    }

    private CompletableFuture<ApiResponse> patchFilters(ApiRequest r) {
        Session s = find(r);
        JsonNode body = r.requireJson();
        List<FilterDef> defs = filterDefs(s, body.get("data"), "data");
        r.action = "session_patch";
        return apply(r, s, new Update(0, 0, defs));
    }

    /**
     * The filters of a relationship's {@code data} (MaxScale §3.7): each {@code id} must be a string naming a
     * filter; an empty array, null or a non-array clears the session's filters (maxctrl clears with
     * {@code []}); the same filter may appear twice.
     */
    private List<FilterDef> filterDefs(Session s, JsonNode arr, String where) {
        List<String> names = new ArrayList<>();
        if (arr == null || !arr.isArray()) {
            return List.of();
        }
        for (int i = 0; i < arr.size(); i++) {
            JsonNode id = arr.get(i).get("id");
            if (id == null || !id.isString()) {
                throw ApiException.badRequest("'" + where + "[" + i + "].id': Not a JSON string but a "
                        + Json.typeName(id));
            }
            names.add(id.stringValue());
        }
        Map<String, Filter> all = api.patchbay().filters();
        List<FilterDef> defs = new ArrayList<>();
        for (String n : names) {
            Filter f = all.get(n);
            if (f == null) {
                throw ApiException.badRequest("Not a valid filter: " + n);
            }
            if (!f.supports(s.frontend().protocol())) {
                throw ApiException.badRequest("Failed to create filter session for '" + n + "': module " + f.module()
                        + " does not work with " + s.frontend().protocol() + " sessions");
            }
            defs.add(f);
        }
        return defs;
    }

    private CompletableFuture<ApiResponse> apply(ApiRequest r, Session s, Update u) {
        r.affectedSessions.add(s.id());
        if (u.filters() != null) {
            // The new filter sessions open first: if one cannot, nothing at all is changed.
            String who = r.principal.user() + " via the REST API";
            return s.control().setFilters(u.filters(), who)
                    .handle((v, err) -> {
                        if (err != null) {
                            Throwable c = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                            throw ApiException.badRequest(c.getMessage());
                        }
                        return null;
                    })
                    .thenCompose(v -> applyLogFlags(r, s, u))
                    .orTimeout(KILL_WAIT_SECONDS, TimeUnit.SECONDS);
        }
        return applyLogFlags(r, s, u);
    }

    private CompletableFuture<ApiResponse> applyLogFlags(ApiRequest r, Session s, Update u) {
        CompletableFuture<ApiResponse> done = new CompletableFuture<>();
        s.execute(() -> {
            int before = s.ownLogFlags();
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
     * {@code POST /v1/sessions/:id/restart}: schedules a restart at the session's next idle moment outside a
     * transaction (MaxScale §3.8) and answers 200 at once; 400 with the reason when it cannot be done.
     */
    private CompletableFuture<ApiResponse> restart(ApiRequest r) {
        Session s = find(r);
        r.affectedSessions.add(s.id());
        r.action = "session_restart";
        return s.control().requestRestart(r.principal.user() + " via the REST API", 0).thenApply(why -> {
            if (why != null) {
                throw ApiException.badRequest(why);
            }
            return ApiResponse.empty(200);
        });
    }

    /**
     * {@code POST /v1/sessions/restart}: every session (or those {@code filter} selects), each at its next
     * idle moment; with {@code spread=30s} the i-th of n sessions waits {@code i * 30s / n} first, so that a
     * service's sessions do not all reconnect at once.
     */
    private CompletableFuture<ApiResponse> restartAll(ApiRequest r) {
        refuseUnknownParameters(r, "POST /v1/sessions/restart", BULK_RESTART_PARAMETERS);
        long spread = 0;
        String sp = r.query("spread");
        if (sp != null) {
            try {
                spread = Durations.parseNanos(sp);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("Invalid value for 'spread': " + e.getMessage());
            }
        }
        Bulk b = bulk(r, false);
        if (b.dryRun) {
            return CompletableFuture.completedFuture(ApiResponse.ok(b.meta(true)));
        }
        r.action = "session_restart";
        String who = r.principal.user() + " via the REST API";
        int n = b.sessions.size();
        List<CompletableFuture<String>> asks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Session s = b.sessions.get(i);
            r.affectedSessions.add(s.id());
            asks.add(s.control().requestRestart(who, n == 0 ? 0 : spread * i / n));
        }
        long spreadNanos = spread;
        return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<String> errors = new ArrayList<>();
            for (CompletableFuture<String> a : asks) {
                if (a.join() != null) {
                    errors.add(a.join());
                }
            }
            if (!errors.isEmpty()) {
                errors.add("Could not restart all sessions");
                throw new ApiException(400, errors);
            }
            if (spreadNanos > 0) {
                log.info("Restart of {} sessions spread over {} ms (REST API, {})", n,
                        TimeUnit.NANOSECONDS.toMillis(spreadNanos), who);
            }
            return ApiResponse.empty(200);
        });
    }

    // ---- DELETE -------------------------------------------------------------------------------

    private CompletableFuture<ApiResponse> delete(ApiRequest r) {
        Session s = find(r);
        KillOptions k = KillOptions.of(r);
        r.affectedSessions.add(s.id());
        String who = r.principal.user();
        if (k.ttlSeconds() > 0) {
            r.action = "session_kill_scheduled";
            log.info("Session {} will be killed in {} seconds{} (REST API, {})", s.id(), k.ttlSeconds(),
                    k.safe() ? ", or earlier when idle" : "", who);
            return scheduleKills(List.of(s), k, who).thenApply(v -> ApiResponse.empty(200));
        }
        r.action = "session_kill";
        return kill(List.of(s), who).thenApply(n -> ApiResponse.empty(200));
    }

    /** A DELETE's {@code ttl} (whole seconds; 0 or less: at once) and {@code safe} (earlier at an idle moment). */
    private record KillOptions(long ttlSeconds, boolean safe) {
        static KillOptions of(ApiRequest r) {
            long ttl = parseTtl(r.query("ttl"));
            String safeArg = r.query("safe");
            Boolean safe = safeArg == null ? Boolean.FALSE : ApiRequest.parseBool(safeArg.isEmpty() ? "true" : safeArg);
            if (safe == null) {
                throw ApiException.badRequest("Invalid value for 'safe': '" + safeArg + "' (expected true or false)");
            }
            return new KillOptions(ttl, safe);
        }
    }

    /** Schedules the ttl kill of each session (SessionControl: a repeat restarts the countdown). */
    private CompletableFuture<Void> scheduleKills(List<Session> sessions, KillOptions k, String who) {
        Termination t = Termination.killedBy(Termination.AdminInterface.REST_API, who);
        List<CompletableFuture<Void>> scheduled = new ArrayList<>(sessions.size());
        for (Session s : sessions) {
            scheduled.add(s.control().scheduleKill(TimeUnit.SECONDS.toNanos(k.ttlSeconds()), k.safe(), t,
                    who + " via the REST API", "Killed by " + who + " via the REST API"));
        }
        return CompletableFuture.allOf(scheduled.toArray(CompletableFuture[]::new))
                .orTimeout(KILL_WAIT_SECONDS, TimeUnit.SECONDS);
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

    /** Kills the sessions and completes with their number once every one of them is closed. */
    private CompletableFuture<Integer> kill(List<Session> sessions, String who) {
        Termination t = Termination.killedBy(Termination.AdminInterface.REST_API, who);
        List<CompletableFuture<Termination>> closing = new ArrayList<>(sessions.size());
        for (Session s : sessions) {
            closing.add(s.kill(t, "Killed by " + who + " via the REST API"));
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

    /** What every route takes (MaxScale's global parameters); fields[...] is matched by its prefix. */
    private static final Set<String> GLOBAL_PARAMETERS = Set.of("pretty", "sync");
    private static final Set<String> BULK_DELETE_PARAMETERS = Set.of("dry_run", "limit", "ttl", "safe");
    private static final Set<String> BULK_RESTART_PARAMETERS = Set.of("dry_run", "limit", "spread");

    /**
     * A bulk action acts on many sessions at once: a parameter it does not know (a typo, or an option of
     * another route) is refused rather than ignored, so that it never acts other than the caller meant.
     * {@code page[size]}, {@code page[number]} and {@code sort} pass here and get their own refusal in
     * {@link #bulk}.
     */
    private static void refuseUnknownParameters(ApiRequest r, String route, Set<String> own) {
        List<String> unknown = new ArrayList<>();
        for (String name : r.query.keySet()) {
            boolean known = own.contains(name) || GLOBAL_PARAMETERS.contains(name) || name.equals("filter")
                    || bracketed(name, "filter[") || bracketed(name, "fields[")
                    || name.equals("sort") || name.equals("page[size]") || name.equals("page[number]");
            if (!known) {
                unknown.add("'" + name + "'");
            }
        }
        if (!unknown.isEmpty()) {
            List<String> takes = new ArrayList<>(List.of("filter", "filter[<json-path>]"));
            own.stream().sorted().forEach(takes::add);
            takes.addAll(List.of("pretty", "sync", "fields[<type>]"));
            throw ApiException.badRequest("Unknown query parameter" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown) + " for " + route + " (it takes " + String.join(", ", takes) + ")");
        }
    }

    private static boolean bracketed(String name, String prefix) {
        return name.startsWith(prefix) && name.endsWith("]") && name.length() > prefix.length() + 1;
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

    /** Kills what the filter selects, at once or, with {@code ttl}/{@code safe}, as DELETE /v1/sessions/:id does. */
    private CompletableFuture<ApiResponse> bulkDelete(ApiRequest r) {
        refuseUnknownParameters(r, "DELETE /v1/sessions", BULK_DELETE_PARAMETERS);
        KillOptions k = KillOptions.of(r);
        Bulk b = bulk(r, true);
        if (b.dryRun) {
            return CompletableFuture.completedFuture(ApiResponse.ok(b.meta(true)));
        }
        for (Session s : b.sessions) {
            r.affectedSessions.add(s.id());
        }
        String who = r.principal.user();
        if (k.ttlSeconds() > 0) {
            r.action = "session_kill_scheduled";
            log.info("{} sessions will be killed in {} seconds{} (REST API, {})", b.sessions.size(), k.ttlSeconds(),
                    k.safe() ? ", or earlier when idle" : "", who);
            return scheduleKills(b.sessions, k, who).thenApply(v -> ApiResponse.ok(b.meta(false)));
        }
        r.action = "session_kill";
        return kill(b.sessions, who).thenApply(n -> ApiResponse.ok(b.meta(false)));
    }
}
