package dev.patchbay.admin.rest;

import dev.patchbay.core.FilterDef;
import dev.patchbay.core.LogLevels;
import dev.patchbay.core.ProtocolDetails;
import dev.patchbay.core.Server;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionControl;
import dev.patchbay.core.SessionIo;
import dev.patchbay.core.SessionState;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.Set;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * MaxScale's session resource ({@code Session::as_json_resource}) built from Patchbay's session model.
 *
 * <p>For TCP sessions the MariaDB-only parts are left out as MaxScale leaves them out for other
 * protocols: no {@code user} (there is no login), {@code client} holds only {@code cipher} (no
 * {@code connection_attributes} or {@code sescmd_history_*}), {@code connections[]} has no
 * {@code connection_id} (there is no backend thread id), {@code memory} has no {@code sescmd_history}
 * or {@code exec_metadata}, and {@code queries} is empty (there are no statements). MariaDB sessions
 * fill these from {@link ProtocolDetails} (see docs/mariadb.md).
 */
final class SessionDocs {
    /** MaxScale's query times: local time with milliseconds, no zone ({@code Session::QueryInfo::as_json}). */
    static final DateTimeFormatter QUERY_TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS", Locale.ENGLISH).withZone(java.time.ZoneId.systemDefault());
    static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ENGLISH).withZone(ZoneOffset.UTC);

    /** The attributes a session resource has; a render may be limited to some of them. */
    static final Set<String> ATTRIBUTES = Set.of("client", "connected", "connections", "control", "generation", "idle",
            "io_activity", "log", "memory", "parameters", "port", "queries", "remote", "seconds_alive", "state", "thread",
            "user");

    private SessionDocs() {}

    /** Sessions of the REST view: proxied sessions, not runtime-API connections (frontend GLOBAL). */
    static boolean listed(Session s) {
        return s.service() != null && !(s.state() instanceof SessionState.Applet);
    }

    /** MaxScale's {@code session_state_to_string}. */
    static String stateName(SessionState st) {
        if (st instanceof SessionState.Established) {
            return "Session started";
        }
        if (st instanceof SessionState.Closing) {
            return "Stopping session";
        }
        if (st instanceof SessionState.Closed) {
            return "Freed session";
        }
        // Queued and Connecting: accepted, not yet routed to a server.
        return "Session created";
    }

    static String selfLink(String base, Session s) {
        return base + "sessions/" + s.id() + "/";
    }

    /**
     * The resource object ({@code data}) of one session.
     *
     * @param attrs      attributes to compute, null for all (filters compute only what they read)
     * @param remoteName reverse-DNS name to show as {@code remote}, or null for the IP
     */
    static ObjectNode resource(Session s, String base, Set<String> attrs, String remoteName) {
        ObjectNode o = Json.object();
        String id = Long.toString(s.id());
        o.put("id", id);
        o.put("type", "sessions");
        o.putObject("links").put("self", selfLink(base, s));
        ObjectNode rel = o.putObject("relationships");
        if (s.service() != null) {
            ObjectNode services = rel.putObject("services");
            services.putArray("data").addObject().put("id", s.service().name()).put("type", "services");
            services.putObject("links")
                    .put("self", base + "sessions/" + id + "/relationships/services/")
                    .put("related", base + "services/");
        }
        if (!s.sessionFilters().isEmpty()) {
            ObjectNode filters = rel.putObject("filters");
            ArrayNode fd = filters.putArray("data");
            for (FilterDef f : s.sessionFilters()) {
                fd.addObject().put("id", f.name()).put("type", "filters");
            }
            filters.putObject("links")
                    .put("self", base + "sessions/" + id + "/relationships/filters/")
                    .put("related", base + "filters/");
        }
        ObjectNode a = o.putObject("attributes");
        SessionState st = s.state();
        ProtocolDetails pd = s.protocolDetails();
        if (want(attrs, "state")) {
            a.put("state", stateName(st));
        }
        if (want(attrs, "user") && pd != null && pd.user() != null && !pd.user().isEmpty()) {
            a.put("user", pd.user());
        }
        SocketAddress client = s.clientAddress();
        if (want(attrs, "remote")) {
            a.put("remote", remoteName != null ? remoteName : ip(client));
        }
        if (want(attrs, "port")) {
            a.put("port", client instanceof InetSocketAddress isa ? isa.getPort() : 0);
        }
        if (want(attrs, "connected")) {
            a.put("connected", HTTP_DATE.format(Instant.ofEpochMilli(s.acceptedEpochMicros() / 1000)));
        }
        long now = System.nanoTime();
        if (want(attrs, "seconds_alive")) {
            a.put("seconds_alive", (now - s.acceptedNanos()) / 1e9);
        }
        if (want(attrs, "idle")) {
            // MaxScale's resolution is 100 ms.
            long idleNanos = Math.max(0, now - s.lastClientActivityNanos());
            // MariaDB sessions: 0 until logged in and while a response is pending (MaxScale's rule).
            if (pd != null && (pd.awaitingResponse() || !(st instanceof SessionState.Established))) {
                idleNanos = 0;
            }
            a.put("idle", (idleNanos / 100_000_000L) / 10.0);
        }
        if (want(attrs, "io_activity")) {
            a.put("io_activity", s.ioActivity());
        }
        if (want(attrs, "thread")) {
            a.put("thread", s.threadIndex());
        }
        if (want(attrs, "client")) {
            ObjectNode c = a.putObject("client");
            c.put("cipher", pd == null ? "" : pd.clientCipher());
            if (pd != null) {
                Map<String, String> ca = pd.connectionAttributes();
                if (ca == null) {
                    c.putNull("connection_attributes");
                } else {
                    ObjectNode co = c.putObject("connection_attributes");
                    new TreeMap<>(ca).forEach(co::put);
                }
                ProtocolDetails.History h = pd.history();
                c.put("sescmd_history_len", h.length());
                c.put("sescmd_history_stored_metadata", h.storedMetadata());
                c.put("sescmd_history_stored_responses", h.storedResponses());
            }
        }
        Server server = s.server();
        if (want(attrs, "connections")) {
            ArrayNode conns = a.putArray("connections");
            if (pd != null) {
                for (ProtocolDetails.BackendConnection bc : pd.backendConnections()) {
                    conns.addObject().put("cipher", bc.cipher()).put("connection_id", bc.connectionId())
                            .put("server", bc.server());
                }
            } else if (server != null && hasBackend(st)) {
                conns.addObject().put("cipher", "").put("server", server.name());
            }
        }
        if (want(attrs, "memory")) {
            a.set("memory", memory(s, server, st));
        }
        if (want(attrs, "parameters")) {
            int f = s.logFlags();
            a.putObject("parameters")
                    .put("log_debug", (f & LogLevels.DEBUG) != 0)
                    .put("log_error", (f & LogLevels.ERROR) != 0)
                    .put("log_info", (f & LogLevels.INFO) != 0)
                    .put("log_notice", (f & LogLevels.NOTICE) != 0)
                    .put("log_warning", (f & LogLevels.WARNING) != 0);
        }
        if (want(attrs, "queries")) {
            ArrayNode q = a.putArray("queries");
            if (pd != null) {
                for (ProtocolDetails.Statement stmt : pd.recentStatements()) {
                    ObjectNode e = q.addObject();
                    if (stmt.sql() != null) {
                        e.put("command", stmt.command());
                        e.put("statement", stmt.sql());
                    }
                    e.put("received", QUERY_TIME.format(Instant.ofEpochMilli(stmt.receivedEpochMicros() / 1000)));
                    if (stmt.completedEpochMicros() != 0) {
                        e.put("completed", QUERY_TIME.format(Instant.ofEpochMilli(stmt.completedEpochMicros() / 1000)));
                    }
                    ArrayNode r = e.putArray("responses");
                    for (ProtocolDetails.Response resp : stmt.responses()) {
                        r.addObject().put("duration", resp.durationMillis()).put("server", resp.server());
                    }
                }
            }
        }
        if (want(attrs, "generation")) {
            a.put("generation", s.generation());
        }
        if (want(attrs, "control")) {
            a.set("control", control(s, now));
        }
        if (want(attrs, "log")) {
            ArrayNode log = a.putArray("log");
            for (String line : s.trace().lines()) {
                log.add(line);
            }
        }
        return o;
    }

    /**
     * Patchbay's live control of the session (docs/live-control.md): the generation it started under, its
     * restarts, and what is pending (a restart and what it waits for, a ttl kill, a filter chain).
     */
    private static ObjectNode control(Session s, long now) {
        SessionControl c = s.controlIfAny();
        ObjectNode o = Json.object();
        o.put("started_generation", s.startGeneration());
        o.put("restarts", c == null ? 0 : c.restarts());
        SessionControl.PendingRestart pr = c == null ? null : c.pendingRestart();
        if (pr == null) {
            o.putNull("pending_restart");
        } else {
            ObjectNode p = o.putObject("pending_restart");
            p.put("requested_by", pr.by());
            p.put("seconds_ago", Math.max(0, now - pr.requestedNanos()) / 1e9);
            p.put("waiting_for", pr.waitingFor());
            p.put("not_before_seconds", Math.max(0, pr.notBeforeNanos() - now) / 1e9);
        }
        SessionControl.RestartResult lr = c == null ? null : c.lastRestart();
        if (lr == null) {
            o.putNull("last_restart");
        } else {
            ObjectNode p = o.putObject("last_restart");
            p.put("result", lr.ok() ? "ok" : "failed");
            p.put("detail", lr.detail());
            p.put("at", HTTP_DATE.format(Instant.ofEpochMilli(lr.atEpochMillis())));
            p.put("generation", lr.generation());
        }
        SessionControl.PendingKill pk = c == null ? null : c.pendingKill();
        if (pk == null) {
            o.putNull("pending_kill");
        } else {
            ObjectNode p = o.putObject("pending_kill");
            p.put("seconds_left", Math.max(0, pk.deadlineNanos() - now) / 1e9);
            p.put("safe", pk.safe());
            p.put("requested_by", pk.by());
        }
        SessionControl.PendingFilters pf = c == null ? null : c.pendingFilters();
        if (pf == null) {
            o.putNull("pending_filters");
        } else {
            ArrayNode names = o.putArray("pending_filters");
            pf.names().forEach(names::add);
        }
        return o;
    }

    private static boolean want(Set<String> attrs, String name) {
        return attrs == null || attrs.contains(name);
    }

    private static boolean hasBackend(SessionState st) {
        return st instanceof SessionState.Connecting || st instanceof SessionState.Established
                || st instanceof SessionState.Closing;
    }

    /**
     * MaxScale's memory figures from the real buffers: {@code writeq} is what waits to be written to
     * that side, {@code readq} the receive buffer a read on that side takes. Patchbay does not measure
     * per-connection object overhead, so {@code misc} is 0.
     */
    private static ObjectNode memory(Session s, Server server, SessionState st) {
        SessionIo io = s.io();
        ObjectNode m = Json.object();
        ObjectNode buffers = m.putObject("connection_buffers");
        long clientTotal = buffer(buffers.putObject("client"), io.clientPendingWriteBytes(), io.clientReadBufferSize());
        ObjectNode backends = buffers.putObject("backends");
        long backendTotal = 0;
        if (server != null && hasBackend(st)) {
            backendTotal = buffer(backends.putObject(server.name()), io.serverPendingWriteBytes(),
                    io.serverReadBufferSize());
        }
        long total = clientTotal + backendTotal;
        buffers.put("total", total);
        ProtocolDetails pd = s.protocolDetails();
        if (pd != null) {
            ProtocolDetails.Memory pm = pd.memory();
            m.put("exec_metadata", pm.execMetadata());
            m.put("last_queries", pm.lastQueries());
            m.put("sescmd_history", pm.history());
            m.put("variables", 0);
            m.put("total", total + pm.execMetadata() + pm.lastQueries() + pm.history() + pm.buffers());
            return m;
        }
        m.put("last_queries", 0);
        m.put("variables", 0);
        m.put("total", total);
        return m;
    }

    private static long buffer(ObjectNode o, long writeq, long readq) {
        o.put("writeq", writeq);
        o.put("readq", readq);
        o.put("misc", 0);
        o.put("total", writeq + readq);
        return writeq + readq;
    }

    /** The client IP as text ({@code 127.0.0.1}, {@code ::1}); a UNIX peer shows its path. */
    static String ip(SocketAddress a) {
        if (a instanceof InetSocketAddress isa) {
            return isa.getAddress() != null ? isa.getAddress().getHostAddress() : isa.getHostString();
        }
        return a == null ? "" : a.toString();
    }
}
