package dev.patchbay.admin.rest;

import dev.patchbay.Patchbay;
import dev.patchbay.Version;
import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Frontend;
import dev.patchbay.core.Server;
import dev.patchbay.core.Service;
import dev.patchbay.core.ServiceSettings;
import dev.patchbay.core.Session;
import dev.patchbay.core.FilterDef;
import dev.patchbay.core.Termination;
import dev.patchbay.filter.Filter;
import dev.patchbay.mariadb.MariaDbService;
import dev.patchbay.mariadb.auth.AccountLoader;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The resources sessions point to, in MaxScale's shapes as far as Patchbay has the concepts:
 * {@code /v1/services}, {@code /v1/servers} (with {@code set} / {@code clear}), {@code /v1/listeners},
 * {@code /v1/filters} and {@code /v1/monitors} (Patchbay has neither: empty collections), and
 * {@code /v1/maxscale} with {@code /v1/maxscale/threads}.
 */
final class ObjectsResource {
    private static final Logger log = LoggerFactory.getLogger("patchbay.rest");

    private final RestApi api;

    ObjectsResource(RestApi api) {
        this.api = api;
    }

    private Patchbay pb() {
        return api.patchbay();
    }

    void register(Routes routes) {
        routes.sync("GET", "services", r -> collection(r, "services", new ArrayList<>(pb().services().values()), this::service));
        routes.sync("GET", "services/:id", r -> single(r, "services", pb().services().get(r.param(0)), this::service));
        routes.sync("GET", "services/:id/listeners", this::serviceListeners);
        routes.add("POST", "services/:id/reload", this::reloadAccounts);
        routes.sync("PUT", "listeners/:id/stop", r -> listenersStopped(r, "listeners", true));
        routes.sync("PUT", "listeners/:id/start", r -> listenersStopped(r, "listeners", false));
        routes.sync("PUT", "services/:id/stop", r -> listenersStopped(r, "services", true));
        routes.sync("PUT", "services/:id/start", r -> listenersStopped(r, "services", false));
        routes.add("POST", "maxscale/tls/reload", r -> CompletableFuture.supplyAsync(() -> {
            try {
                api.reloadTls();
            } catch (IllegalStateException e) {
                throw new CompletionException(new ApiException(400, "TLS not reloaded, the certificates in force stay: "
                        + e.getMessage()));
            }
            return ApiResponse.empty(204);
        }, api.blocking()));
        routes.sync("GET", "services/:id/listeners/:l", this::serviceListener);
        routes.sync("GET", "servers", r -> collection(r, "servers", new ArrayList<>(pb().servers().values()), this::server));
        routes.sync("GET", "servers/:id", r -> single(r, "servers", pb().servers().get(r.param(0)), this::server));
        routes.add("PUT", "servers/:id/set", r -> setState(r, true));
        routes.add("PUT", "servers/:id/clear", r -> setState(r, false));
        routes.sync("GET", "listeners", r -> collection(r, "listeners", listenerFrontends(), this::listener));
        routes.sync("GET", "listeners/:id", r -> single(r, "listeners", listenerFrontend(r.param(0)), this::listener));
        routes.sync("GET", "filters", r -> collection(r, "filters", new ArrayList<>(pb().filters().values()), this::filter));
        routes.sync("GET", "filters/:id", r -> single(r, "filters", pb().filters().get(r.param(0)), this::filter));
        routes.sync("GET", "monitors", r -> collection(r, "monitors", List.of(), (o, b) -> Json.object()));
        routes.sync("GET", "monitors/:id", r -> single(r, "monitors", null, (o, b) -> Json.object()));
        routes.sync("GET", "maxscale", this::maxscale);
        routes.sync("GET", "maxscale/threads", r -> collection(r, "threads", threadIds(), this::thread));
        routes.sync("GET", "maxscale/threads/:id", r -> single(r, "threads", threadId(r.param(0)), this::thread));
    }

    // ---- generic ------------------------------------------------------------------------------

    private static <T> ApiResponse collection(ApiRequest r, String type, List<T> items,
                                              BiFunction<T, String, ObjectNode> render) {
        Query q = Query.parse(r, true);
        String base = r.linkBase();
        Query.Selection<T> sel = q.select(items, (t, attrs) -> render.apply(t, base));
        List<ObjectNode> data = new ArrayList<>();
        for (T t : sel.rows()) {
            data.add(render.apply(t, base));
        }
        String self = base + (type.equals("threads") ? "maxscale/threads/" : type + "/");
        return ApiResponse.ok(q.collection(self, data, sel.total()));
    }

    private static <T> ApiResponse single(ApiRequest r, String type, T item, BiFunction<T, String, ObjectNode> render) {
        String what = type.equals("threads") ? "Thread" : Character.toUpperCase(type.charAt(0)) + type.substring(1, type.length() - 1);
        if (item == null) {
            throw ApiException.notFound(what + " '" + r.param(0) + "' not found");
        }
        Query q = Query.parse(r, false);
        ObjectNode res = render.apply(item, r.linkBase());
        return ApiResponse.ok(q.single(res, res.path("links").path("self").asString("")));
    }

    private static ObjectNode resource(String base, String type, String id) {
        ObjectNode o = Json.object();
        o.put("id", id);
        o.put("type", type);
        o.putObject("links").put("self", base + type + "/" + id + "/");
        return o;
    }

    /** A to-many relationship; omitted by the caller when empty, as MaxScale does. */
    private static ObjectNode relationship(String base, String selfPath, String type, List<String> ids) {
        ObjectNode rel = Json.object();
        ArrayNode data = rel.putArray("data");
        for (String id : ids) {
            data.addObject().put("id", id).put("type", type);
        }
        rel.putObject("links").put("self", base + selfPath + "/relationships/" + type + "/").put("related", base + type + "/");
        return rel;
    }

    /** MaxScale's {@code source}: the file that defines the object, {@code static} or {@code runtime}. */
    private ObjectNode source(String name) {
        ObjectNode s = Json.object();
        PatchbayConfig.Origin o = pb().config().origins().get(name);
        s.put("file", o == null ? pb().config().source() : o.file());
        s.put("type", o != null && o.runtime() ? "runtime" : "static");
        return s;
    }

    static String ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos) + "ms";
    }

    private String started() {
        return SessionDocs.HTTP_DATE.format(Instant.ofEpochMilli(pb().startedEpochMillis()));
    }

    // ---- services -----------------------------------------------------------------------------

    private ObjectNode service(Service s, String base) {
        ObjectNode o = resource(base, "services", s.name());
        ObjectNode a = o.putObject("attributes");
        ServiceSettings st = s.settings();
        String router = st.router().name().toLowerCase(Locale.ROOT);
        a.put("router", router);
        List<Frontend> own = pb().frontends().values().stream().filter(f -> f.service() == s).toList();
        boolean allStopped = !own.isEmpty() && own.stream().allMatch(Frontend::stopped);
        a.put("state", pb().isStopping() || allStopped ? "Stopped" : "Started");
        a.put("started", started());
        a.put("connections", s.connections());
        a.put("total_connections", s.totalConnections());
        ObjectNode stats = a.putObject("statistics");
        stats.put("connections", s.connections());
        stats.put("total_connections", s.totalConnections());
        stats.put("queued", s.queued());
        stats.put("refused", s.refused());
        ObjectNode p = a.putObject("parameters");
        p.put("router", router);
        p.put("connect_timeout", ms(st.connectTimeoutNanos()));
        p.put("client_timeout", ms(st.clientTimeoutNanos()));
        p.put("server_timeout", ms(st.serverTimeoutNanos()));
        p.put("queue_timeout", ms(st.queueTimeoutNanos()));
        p.put("retries", st.retries());
        p.put("max_connections", st.maxConnections());
        p.put("when_full", st.whenFull().name().toLowerCase(Locale.ROOT));
        p.put("splice", st.splice());
        p.put("on_server_down", st.onServerDown().name().toLowerCase(Locale.ROOT));
        MariaDbService mariadb = pb().mariaDbServiceOf(s.name());
        p.put("retain_last_statements", mariadb != null ? mariadb.retainLastStatements()
                : pb().config().global().retainLastStatements());
        p.put("session_trace", api.settings().sessionTrace());
        ArrayNode listeners = a.putArray("listeners");
        List<String> listenerIds = new ArrayList<>();
        for (Frontend f : listenerFrontends()) {
            if (f.service() == s) {
                listeners.add(listener(f, base));
                listenerIds.add(f.name());
            }
        }
        a.set("source", source(s.name()));
        ObjectNode rel = o.putObject("relationships");
        List<String> servers = s.servers().stream().map(Server::name).toList();
        if (!servers.isEmpty()) {
            rel.set("servers", relationship(base, "services/" + s.name(), "servers", servers));
        }
        List<String> filters = s.filters().stream().map(FilterDef::name).toList();
        if (!filters.isEmpty()) {
            rel.set("filters", relationship(base, "services/" + s.name(), "filters", filters));
        }
        if (!listenerIds.isEmpty()) {
            rel.set("listeners", relationship(base, "services/" + s.name(), "listeners", listenerIds));
        }
        return o;
    }

    private ApiResponse serviceListeners(ApiRequest r) {
        Service s = pb().services().get(r.param(0));
        if (s == null) {
            throw ApiException.notFound("Service '" + r.param(0) + "' not found");
        }
        List<Frontend> fs = listenerFrontends().stream().filter(f -> f.service() == s).toList();
        Query q = Query.parse(r, true);
        String base = r.linkBase();
        Query.Selection<Frontend> sel = q.select(fs, (f, attrs) -> listener(f, base));
        List<ObjectNode> data = sel.rows().stream().map(f -> listener(f, base)).toList();
        return ApiResponse.ok(q.collection(base + "services/" + s.name() + "/listeners/", data, sel.total()));
    }

    private ApiResponse serviceListener(ApiRequest r) {
        Service s = pb().services().get(r.param(0));
        Frontend f = listenerFrontend(r.param(1));
        if (s == null) {
            throw ApiException.notFound("Service '" + r.param(0) + "' not found");
        }
        if (f == null || f.service() != s) {
            throw ApiException.notFound("Listener '" + r.param(1) + "' not found in service '" + s.name() + "'");
        }
        ObjectNode res = listener(f, r.linkBase());
        return ApiResponse.ok(Query.parse(r, false).single(res,
                r.linkBase() + "services/" + s.name() + "/listeners/" + f.name() + "/"));
    }

    // ---- servers ------------------------------------------------------------------------------

    /** MaxScale's status string: "Maintenance, Running", "Draining, Running", "Drained, Down", "Running". */
    static String serverState(Server s) {
        List<String> parts = new ArrayList<>();
        if (s.adminState() == Server.AdminState.MAINTENANCE) {
            parts.add("Maintenance");
        } else if (s.adminState() == Server.AdminState.DRAIN) {
            parts.add(s.connections() == 0 ? "Drained" : "Draining");
        }
        parts.add(s.health() == Server.Health.UP ? "Running" : "Down");
        return String.join(", ", parts);
    }

    /**
     * MaxScale's {@code maxctrl stop|start listener} and {@code stop|start service} (every listener of the
     * service): listeners stay bound and stop or start accepting; sessions go on. 204.
     */
    private ApiResponse listenersStopped(ApiRequest r, String type, boolean stop) throws ApiException {
        List<String> names = new ArrayList<>();
        if (type.equals("listeners")) {
            Frontend fe = listenerFrontend(r.param(0));
            if (fe == null) {
                throw ApiException.notFound("Listener '" + r.param(0) + "' not found");
            }
            names.add(fe.name());
        } else {
            Service s = pb().services().get(r.param(0));
            if (s == null) {
                throw ApiException.notFound("Service '" + r.param(0) + "' not found");
            }
            pb().frontends().values().stream().filter(f -> f.service() == s).forEach(f -> names.add(f.name()));
        }
        names.forEach(n -> pb().setListenerStopped(n, stop));
        return ApiResponse.empty(204);
    }

    /**
     * MaxScale's {@code maxctrl reload service}: loads the service's accounts now (after a CREATE USER, say),
     * regardless of users_refresh_time. 204 once loaded; 500 with the reason when nothing could be read (the
     * accounts in force stay).
     */
    private CompletableFuture<ApiResponse> reloadAccounts(ApiRequest r) throws ApiException {
        Service s = pb().services().get(r.param(0));
        if (s == null) {
            throw ApiException.notFound("Service '" + r.param(0) + "' not found");
        }
        MariaDbService m = pb().mariaDbServiceOf(s.name());
        if (m == null) {
            throw ApiException.forbidden("Service '" + s.name() + "' has no accounts to reload: no protocol=mariadb listener uses it");
        }
        AccountLoader loader = m.accounts();
        return loader.refresh(true).thenApply(a -> {
            String failure = loader.lastFailure();
            if (!failure.isEmpty()) {
                throw new CompletionException(new ApiException(500, "Service '" + s.name() + "': " + failure
                        + "; the " + a.size() + " accounts loaded before stay in force"));
            }
            return ApiResponse.empty(204);
        });
    }

    /** MaxScale's spelling of the TLS versions in force: MAX for the defaults, else TLSv12,TLSv13 …. */
    private static String sslVersion(List<String> jdkProtocols) {
        if (jdkProtocols.isEmpty()) {
            return "MAX";
        }
        return String.join(",", jdkProtocols.stream().map(p -> switch (p) {
            case "TLSv1" -> "TLSv10";
            default -> p.replace(".", "");
        }).toList());
    }

    private ObjectNode server(Server s, String base) {
        ObjectNode o = resource(base, "servers", s.name());
        ObjectNode a = o.putObject("attributes");
        a.put("state", serverState(s));
        a.put("last_event", s.health() == Server.Health.UP ? "server_up" : "server_down");
        long changedAgoMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - s.healthChangedNanos());
        a.put("triggered_at", SessionDocs.HTTP_DATE.format(Instant.now().minusMillis(changedAgoMillis)));
        a.put("health_check_result", s.lastCheckResult());
        ObjectNode p = a.putObject("parameters");
        p.put("address", s.host());
        p.put("port", s.port());
        p.put("weight", s.weight());
        p.put("max_connections", s.maxConnections());
        Server.Tls tls = s.tls();
        p.put("ssl", tls.enabled());
        p.put("ssl_ca", tls.ca());
        p.put("ssl_cert", tls.cert());
        p.put("ssl_key", tls.key());
        p.put("ssl_verify_peer_certificate", tls.verifyPeerCertificate());
        p.put("ssl_verify_peer_host", tls.verifyPeerHost());
        p.put("ssl_version", sslVersion(tls.protocols()));
        p.put("proxy_protocol", switch (s.proxyProtocol()) {
            case NONE -> "false";
            case V1 -> "v1";
            case V2 -> "v2";
        });
        Server.HealthCheck hc = s.healthCheck();
        if (hc != null) {
            p.put("health_check", hc.kind().name().toLowerCase(Locale.ROOT));
            if (hc.kind() == Server.CheckKind.MARIADB) {
                p.put("health_check_user", hc.user()); // never the password, as for services
            }
            p.put("health_check_interval", ms(hc.intervalNanos()));
            p.put("health_check_timeout", ms(hc.timeoutNanos()));
            p.put("rise", hc.rise());
            p.put("fall", hc.fall());
        }
        ObjectNode stats = a.putObject("statistics");
        stats.put("connections", s.connections());
        stats.put("total_connections", s.totalConnections());
        stats.put("connect_failures", s.connectFailures());
        a.set("source", source(s.name()));
        ObjectNode rel = o.putObject("relationships");
        List<String> services = new ArrayList<>();
        for (Service svc : pb().services().values()) {
            if (svc.servers().contains(s)) {
                services.add(svc.name());
            }
        }
        if (!services.isEmpty()) {
            rel.set("services", relationship(base, "servers/" + s.name(), "services", services));
        }
        return o;
    }

    /**
     * {@code PUT /v1/servers/:id/set|clear?state=maintenance|drain[&force=yes]}, answered as MaxScale:
     * 204, or 403 for a missing or unknown state. Patchbay keeps one operator state per server, so
     * {@code set} replaces it and {@code clear} returns to ready only when that state is the one set.
     * {@code force=yes} with maintenance closes the server's sessions (MaxScale: only with maintenance).
     */
    private CompletableFuture<ApiResponse> setState(ApiRequest r, boolean set) {
        Server s = pb().servers().get(r.param(0));
        if (s == null) {
            throw ApiException.notFound("Server '" + r.param(0) + "' not found");
        }
        String state = r.query("state");
        Server.AdminState target;
        if ("maintenance".equalsIgnoreCase(state) || "maint".equalsIgnoreCase(state)) {
            target = Server.AdminState.MAINTENANCE;
        } else if ("drain".equalsIgnoreCase(state)) {
            target = Server.AdminState.DRAIN;
        } else {
            throw ApiException.forbidden("Invalid or missing value for the `state` parameter"
                    + (state == null ? "" : ": '" + state + "' (Patchbay servers take maintenance or drain)"));
        }
        r.action = set ? "server_set" : "server_clear";
        Server.AdminState before = s.adminState();
        if (set) {
            s.setAdminState(target);
        } else if (before == target) {
            s.setAdminState(Server.AdminState.READY);
        }
        if (before != s.adminState()) {
            log.info("Server {}: {} -> {} by {} via the REST API", s.name(), before, s.adminState(), r.principal.user());
        }
        boolean force = "yes".equalsIgnoreCase(r.query("force")) || "true".equalsIgnoreCase(r.query("force"));
        if (set && force && target == Server.AdminState.MAINTENANCE) {
            List<Session> hit = new ArrayList<>();
            for (Session ses : pb().sessions().snapshot()) {
                if (ses.server() == s && SessionDocs.listed(ses)) {
                    hit.add(ses);
                    r.affectedSessions.add(ses.id());
                }
            }
            Termination t = Termination.killedBy(Termination.AdminInterface.REST_API, r.principal.user());
            String reason = "Killed by " + r.principal.user() + " via the REST API: server " + s.name() + " put in maintenance";
            List<CompletableFuture<Termination>> closing = hit.stream().map(ses -> ses.kill(t, reason)).toList();
            return CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
                    .completeOnTimeout(null, SessionsResource.KILL_WAIT_SECONDS, TimeUnit.SECONDS)
                    .thenApply(v -> ApiResponse.empty(204));
        }
        return CompletableFuture.completedFuture(ApiResponse.empty(204));
    }

    // ---- filters ------------------------------------------------------------------------------

    private ObjectNode filter(Filter f, String base) {
        ObjectNode o = resource(base, "filters", f.name());
        ObjectNode a = o.putObject("attributes");
        a.put("module", f.module());
        a.set("parameters", Json.MAPPER.valueToTree(f.parameters()));
        a.set("filter_diagnostics", Json.MAPPER.valueToTree(f.diagnostics()));
        a.set("source", source(f.name()));
        List<String> services = new ArrayList<>();
        for (Service svc : pb().services().values()) {
            if (svc.filters().contains(f)) {
                services.add(svc.name());
            }
        }
        ObjectNode rel = o.putObject("relationships");
        if (!services.isEmpty()) {
            rel.set("services", relationship(base, "filters/" + f.name(), "services", services));
        }
        return o;
    }

    // ---- listeners ----------------------------------------------------------------------------

    private List<Frontend> listenerFrontends() {
        List<Frontend> out = new ArrayList<>();
        for (Frontend f : pb().frontends().values()) {
            if (!f.isRuntimeApi()) {
                out.add(f);
            }
        }
        return out;
    }

    private Frontend listenerFrontend(String name) {
        Frontend f = pb().frontends().get(name);
        return f == null || f.isRuntimeApi() ? null : f;
    }

    private ObjectNode listener(Frontend f, String base) {
        ObjectNode o = resource(base, "listeners", f.name());
        ObjectNode a = o.putObject("attributes");
        a.put("state", pb().isStopping() || f.stopped() ? "Stopped" : "Running");
        ObjectNode p = a.putObject("parameters");
        PatchbayConfig.ListenerConfig lc = pb().config().listeners().stream()
                .filter(l -> l.name().equals(f.name())).findFirst().orElse(null);
        p.put("service", f.service().name());
        p.put("protocol", f.protocol());
        if (lc != null) {
            p.put("address", lc.address());
            p.put("port", boundPort(f.name(), lc.port()));
            p.put("backlog", lc.backlog());
            p.put("max_connections", f.maxConnections()); // in force: set maxconn frontend may have changed it
            p.put("proxy_protocol_networks", String.join(",", lc.proxyProtocolNetworks()));
            p.put("ssl", lc.ssl());
            p.put("ssl_cert", lc.sslCert());
            p.put("ssl_key", lc.sslKey());
            p.put("ssl_ca", lc.sslCa());
            p.put("ssl_version", sslVersion(lc.sslProtocols()));
        }
        ObjectNode stats = a.putObject("statistics");
        stats.put("connections", f.currentSessions());
        stats.put("total_connections", f.totalSessions());
        a.set("source", source(f.name()));
        o.putObject("relationships").set("services",
                relationship(base, "listeners/" + f.name(), "services", List.of(f.service().name())));
        return o;
    }

    private int boundPort(String name, int configured) {
        try {
            return pb().listenerAddress(name).getPort();
        } catch (RuntimeException e) {
            return configured;
        }
    }

    // ---- maxscale -----------------------------------------------------------------------------

    private ApiResponse maxscale(ApiRequest r) {
        String base = r.linkBase();
        ObjectNode o = Json.object();
        o.put("id", "maxscale");
        o.put("type", "maxscale");
        o.putObject("links").put("self", base + "maxscale/");
        ObjectNode a = o.putObject("attributes");
        a.put("version", Version.VERSION);
        a.put("product", "Patchbay");
        a.put("commit", "");
        a.put("started_at", started());
        a.put("activated_at", started());
        a.put("uptime", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - pb().startedNanos()));
        a.put("process_datadir", "");
        a.putNull("config_sync");
        a.put("config_generation", pb().generation().current());
        a.put("runtime_config_dir", pb().runtimeConfig().persisted() ? pb().runtimeConfig().dir().toString() : "");
        ObjectNode sys = a.putObject("system");
        Runtime rt = Runtime.getRuntime();
        ObjectNode machine = sys.putObject("machine");
        machine.put("cores_available", rt.availableProcessors());
        machine.put("cores_virtual", (double) rt.availableProcessors());
        machine.put("memory_available", rt.maxMemory());
        ObjectNode mx = sys.putObject("maxscale");
        mx.put("threads", threadCount());
        ObjectNode os = sys.putObject("os");
        os.put("machine", System.getProperty("os.arch"));
        os.put("nodename", hostname());
        os.put("release", System.getProperty("os.version"));
        os.put("sysname", System.getProperty("os.name"));
        os.put("version", "");
        PatchbayConfig.Global g = pb().config().global();
        RestSettings s = api.settings();
        ObjectNode p = a.putObject("parameters");
        p.put("admin_host", g.adminHost());
        p.put("admin_port", g.adminPort());
        p.put("admin_enabled", g.adminEnabled());
        p.put("admin_ssl_cert", g.adminSslCert());
        p.put("admin_ssl_key", g.adminSslKey());
        p.put("admin_auth", s.authEnabled());
        p.put("admin_secure_gui", s.secureAuth());
        p.put("admin_log_auth_failures", s.logAuthFailures());
        p.put("admin_jwt_max_age", s.jwtMaxAgeSeconds() + "s");
        p.put("admin_jwt_issuer", s.jwtIssuer());
        p.put("admin_gui", false);
        p.put("threads", threadCount());
        p.put("log_level", g.logLevel());
        p.put("session_trace", s.sessionTrace());
        p.put("retain_last_statements", g.retainLastStatements());
        p.put("skip_name_resolve", s.skipNameResolve());
        p.put("passive", false);
        return ApiResponse.ok(Query.parse(r, false).single(o, base + "maxscale/"));
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "";
        }
    }

    // ---- threads ------------------------------------------------------------------------------

    private int threadCount() {
        int n = 0;
        if (pb().workers() != null) {
            for (var ignored : pb().workers()) {
                n++;
            }
        }
        return n;
    }

    private List<Integer> threadIds() {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < threadCount(); i++) {
            ids.add(i);
        }
        return ids;
    }

    private Integer threadId(String s) {
        try {
            int i = Integer.parseInt(s);
            return i >= 0 && i < threadCount() ? i : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private ObjectNode thread(Integer i, String base) {
        ObjectNode o = Json.object();
        o.put("id", Integer.toString(i));
        o.put("type", "threads");
        o.putObject("links").put("self", base + "maxscale/threads/" + i + "/");
        int sessions = 0;
        for (Session s : pb().sessions().snapshot()) {
            if (SessionDocs.listed(s) && s.threadIndex() == i) {
                sessions++;
            }
        }
        ObjectNode stats = o.putObject("attributes").putObject("stats");
        stats.put("state", "Active");
        stats.put("sessions", sessions);
        stats.put("current_descriptors", sessions);
        return o;
    }
}
