package dev.patchbay.admin.runtime;

import dev.patchbay.Patchbay;
import dev.patchbay.Version;
import dev.patchbay.core.Frontend;
import dev.patchbay.core.Server;
import dev.patchbay.core.Service;
import dev.patchbay.core.Session;
import dev.patchbay.net.ConnectionLimit;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code show info} and {@code show stat}: HAProxy's layouts, with the values Patchbay has
 * (listeners are frontends, services backends). Fields Patchbay has no notion of stay empty in
 * the CSV, as HAProxy leaves fields that do not apply.
 */
final class Stats {
    /** HAProxy's stat columns up to agg_check_status (the per-module extras are left out). */
    static final List<String> COLUMNS = List.of(("pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,"
            + "econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,"
            + "throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,"
            + "hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,"
            + "srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,"
            + "agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,"
            + "agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,"
            + "intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,"
            + "ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,"
            + "agg_server_status,agg_server_check_status,agg_check_status").split(","));

    private Stats() {}

    // ---- show info -----------------------------------------------------------------------------

    static Reply info(Cli cli, List<String> args) {
        Patchbay pb = cli.patchbay();
        long upSec = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - pb.startedNanos());
        List<Session> all = pb.sessions().snapshot();
        int splicing = 0;
        for (Session s : all) {
            if (s.hasFlag(Session.SPLICING)) {
                splicing++;
            }
        }
        int threads = 0;
        long queued = 0;
        for (EventExecutor e : pb.workers()) {
            threads++;
            if (e instanceof SingleThreadEventExecutor st) {
                queued += st.pendingTasks();
            }
        }
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("Name", "Patchbay");
        info.put("Version", Version.VERSION);
        info.put("Release_date", "-");
        info.put("Nbthread", threads);
        info.put("Nbproc", 1);
        info.put("Process_num", 1);
        info.put("Pid", ProcessHandle.current().pid());
        info.put("Uptime", String.format("%dd %dh%02dm%02ds", upSec / 86_400, upSec % 86_400 / 3_600, upSec % 3_600 / 60, upSec % 60));
        info.put("Uptime_sec", upSec);
        info.put("Memmax_MB", Runtime.getRuntime().maxMemory() / (1024 * 1024));
        ConnectionLimit limit = pb.connectionLimit();
        info.put("Maxconn", limit == null ? 0 : limit.max());
        info.put("Hard_maxconn", limit == null ? 0 : limit.hardMax());
        info.put("Ulimit-n", Math.max(0, ConnectionLimit.openFileLimit()));
        info.put("CurrConns", all.size());
        info.put("CumConns", pb.sessions().lastId());
        info.put("Maxpipes", 0);
        info.put("PipesUsed", 2 * splicing); // a splicing session has one pipe per direction
        info.put("PipesFree", 0);
        info.put("Tasks", all.size());
        info.put("Run_queue", queued);
        info.put("node", hostname());
        info.put("Stopping", pb.isStopping() ? 1 : 0);
        info.put("Listeners", pb.listeners().size() + cli.api().sockets().size());
        StringBuilder sb = new StringBuilder(1024);
        info.forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
        return Reply.text(sb.toString());
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    // ---- show stat -----------------------------------------------------------------------------

    static Reply stat(Cli cli, List<String> args) {
        Patchbay pb = cli.patchbay();
        boolean noMaint = args.contains("no-maint");
        boolean up = args.contains("up");
        // "show stat <proxy> <type> <sid>" (hatop's form), as HAProxy 2.6 reads it: only when words 2-4 are all
        // there; <proxy> is a frontend or backend name, else an id read with atoi like the two numbers (so a
        // number too big for an int wraps, never fails); -1 means any; type is a mask (1 fe, 2 be, 4 srv).
        int iid = -1;
        int types = -1;
        int sid = -1;
        if (args.size() >= 5 && !args.get(2).isEmpty() && !args.get(3).isEmpty() && !args.get(4).isEmpty()) {
            iid = proxyId(pb, args.get(2));
            if (iid == 0) {
                return Reply.text("No such proxy.\n");
            }
            types = CNumbers.atoi(args.get(3));
            sid = CNumbers.atoi(args.get(4));
        }
        List<Map<String, Object>> rows = new java.util.ArrayList<>();
        for (Frontend fe : pb.frontends().values()) {
            if (wanted(iid, types, sid, fe.id(), 1, 0)) {
                rows.add(frontendRow(fe));
            }
        }
        for (Service svc : pb.services().values()) {
            for (Server s : svc.servers()) {
                if ((noMaint && s.adminState() == Server.AdminState.MAINTENANCE) || (up && !s.acceptsNewSessions())) {
                    continue;
                }
                if (wanted(iid, types, sid, svc.id(), 4, Lookup.serverId(svc, s))) {
                    rows.add(serverRow(svc, s));
                }
            }
            if (wanted(iid, types, sid, svc.id(), 2, 0)) {
                rows.add(backendRow(svc));
            }
        }
        if (args.contains("json")) {
            return Reply.text(json(rows) + "\n");
        }
        StringBuilder sb = new StringBuilder(4096);
        if (args.contains("typed")) {
            rows.forEach(r -> typed(sb, r));
            return Reply.text(sb.toString());
        }
        sb.append("# ").append(String.join(",", COLUMNS)).append(",\n");
        rows.forEach(r -> row(sb, r));
        return Reply.text(sb.toString());
    }

    /** Counters only grow; everything else numeric is a gauge. */
    private static final java.util.Set<String> COUNTERS = java.util.Set.of("stot", "bin", "bout", "dreq", "econ",
            "lbtot", "conn_tot", "chkfail", "chkdown");

    /** The object letter of a row (F frontend, B backend, S server), from its CSV {@code type}. */
    private static String objType(Map<String, Object> r) {
        switch (((Number) r.get("type")).intValue()) {
            case 0: return "F";
            case 1: return "B";
            default: return "S";
        }
    }

    private static String typeOf(String column, Object v) {
        if (!(v instanceof Number)) {
            return "str";
        }
        return COUNTERS.contains(column) ? "u64" : "u32";
    }

    /** {@code show stat typed}: {@code <obj>.<iid>.<sid>.<pos>.<name>.<pid>:<tags>:<type>:<value>}, one field a line. */
    private static void typed(StringBuilder sb, Map<String, Object> r) {
        String prefix = objType(r) + "." + r.get("iid") + "." + r.get("sid") + ".";
        for (int pos = 0; pos < COLUMNS.size(); pos++) {
            String c = COLUMNS.get(pos);
            Object v = r.get(c);
            if (v == null) {
                continue;
            }
            sb.append(prefix).append(pos).append('.').append(c).append(".1:")
                    .append(COUNTERS.contains(c) ? "MCP" : "MGP").append(':').append(typeOf(c, v)).append(':')
                    .append(v).append('\n');
        }
    }

    /** {@code show stat json}: HAProxy's array (one per object) of field objects. */
    private static String json(List<Map<String, Object>> rows) {
        tools.jackson.databind.json.JsonMapper mapper = tools.jackson.databind.json.JsonMapper.builder().build();
        tools.jackson.databind.node.ArrayNode all = mapper.createArrayNode();
        for (Map<String, Object> r : rows) {
            tools.jackson.databind.node.ArrayNode obj = all.addArray();
            String type = objType(r);
            for (int pos = 0; pos < COLUMNS.size(); pos++) {
                String c = COLUMNS.get(pos);
                Object v = r.get(c);
                if (v == null) {
                    continue;
                }
                tools.jackson.databind.node.ObjectNode f = obj.addObject();
                f.put("objType", type.equals("F") ? "Frontend" : type.equals("B") ? "Backend" : "Server");
                f.put("proxyId", ((Number) r.get("iid")).intValue());
                f.put("id", ((Number) r.get("sid")).intValue());
                tools.jackson.databind.node.ObjectNode field = f.putObject("field");
                field.put("pos", pos);
                field.put("name", c);
                f.put("processNum", 1);
                tools.jackson.databind.node.ObjectNode tags = f.putObject("tags");
                tags.put("origin", "Metric");
                tags.put("nature", COUNTERS.contains(c) ? "Counter" : "Gauge");
                tags.put("scope", "Process");
                tools.jackson.databind.node.ObjectNode value = f.putObject("value");
                String t = typeOf(c, v);
                value.put("type", t);
                if (v instanceof Number n) {
                    value.put("value", n.longValue());
                } else {
                    value.put("value", v.toString());
                }
            }
        }
        return mapper.writeValueAsString(all);
    }

    // ---- show servers state --------------------------------------------------------------------

    static final String SERVERS_STATE_HEADER = "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state "
            + "srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health "
            + "srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl "
            + "srv_check_port srv_check_addr srv_agent_addr srv_agent_port";

    /** {@code show servers state [<backend>]}: HAProxy's format version 1, values as documented in runtime-api.md. */
    static Reply serversState(Cli cli, List<String> args) {
        Patchbay pb = cli.patchbay();
        String only = args.size() > 3 ? args.get(3) : null;
        if (only != null && pb.services().get(only) == null) {
            return Reply.text("Can't find backend.\n");
        }
        StringBuilder sb = new StringBuilder("1\n").append(SERVERS_STATE_HEADER).append('\n');
        for (Service svc : pb.services().values()) {
            if (only != null && !svc.name().equals(only)) {
                continue;
            }
            for (Server s : svc.servers()) {
                boolean checked = s.healthCheck().kind() != Server.CheckKind.NONE;
                boolean l7 = s.healthCheck().kind() == Server.CheckKind.MARIADB;
                boolean maint = s.adminState() == Server.AdminState.MAINTENANCE;
                boolean up = s.health() == Server.Health.UP && !maint;
                int admin = maint ? 0x01 : s.adminState() == Server.AdminState.DRAIN ? 0x08 : 0;
                int rise = s.healthCheck().rise();
                int fall = s.healthCheck().fall();
                // HAProxy's enum healthcheck_status: INI 1 (never checked), L4OK 6, L4CON 8, L7OKD 15, L7STS 17.
                int checkStatus = !checked ? 1 : l7 ? (s.health() == Server.Health.UP ? 15 : 17)
                        : s.health() == Server.Health.UP ? 6 : 8;
                // CHK_RES_PASSED 3, FAILED 2, UNKNOWN 0 (never checked).
                int checkResult = !checked ? 0 : s.health() == Server.Health.UP ? 3 : 2;
                // The health counter: rise+fall-1 when up, rise for an unchecked server (HAProxy's start value);
                // maintenance zeroes it. Patchbay does not expose the running counter while it climbs.
                int checkHealth = maint ? 0 : !checked ? rise : up ? rise + fall - 1 : 0;
                // CHK_ST_CONFIGURED 2 | ENABLED 4, plus PAUSED 8 while in maintenance.
                int checkState = !checked ? 0 : maint ? 14 : 6;
                sb.append(svc.id()).append(' ').append(svc.name()).append(' ').append(Lookup.serverId(svc, s)).append(' ')
                        .append(s.name()).append(' ')
                        .append(s.address().isUnresolved() ? s.host() : s.address().getAddress().getHostAddress())
                        .append(' ').append(up ? 2 : 0)
                        .append(' ').append(admin)
                        .append(' ').append(s.weight()).append(' ').append(s.initialWeight())
                        .append(' ').append(secondsSince(s.stateChangedNanos()))
                        .append(' ').append(checkStatus)
                        .append(' ').append(checkResult)
                        .append(' ').append(checkHealth)
                        .append(' ').append(checkState)
                        .append(" 0 0 0 - ").append(s.port()).append(" - 0 0 - - 0\n");
            }
        }
        return Reply.text(sb.toString());
    }

    /** HAProxy's proxy_find_by_name() then atoi(): a frontend's or backend's id, 0 when there is none. */
    private static int proxyId(Patchbay pb, String arg) {
        Frontend fe = pb.frontends().get(arg);
        if (fe != null) {
            return fe.id();
        }
        Service svc = pb.services().get(arg);
        if (svc != null) {
            return svc.id();
        }
        return CNumbers.atoi(arg);
    }

    private static long secondsSince(long nanos) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - nanos);
    }

    private static boolean wanted(int iid, int types, int sid, int objIid, int type, int objSid) {
        return (iid == -1 || iid == objIid) && (types & type) != 0 && (sid == -1 || type != 4 || sid == objSid);
    }

    private static void row(StringBuilder sb, Map<String, Object> values) {
        for (String c : COLUMNS) {
            Object v = values.get(c);
            if (v != null) {
                sb.append(v);
            }
            sb.append(',');
        }
        sb.append('\n');
    }

    static Map<String, Object> frontendRow(Frontend fe) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("pxname", fe.name());
        r.put("svname", "FRONTEND");
        r.put("scur", fe.currentSessions());
        if (fe.maxConnections() > 0) {
            r.put("slim", fe.maxConnections());
        }
        r.put("stot", fe.totalSessions());
        r.put("status", fe.stopped() ? "PAUSED" : "OPEN"); // HAProxy's word for a disabled frontend
        r.put("pid", 1);
        r.put("iid", fe.id());
        r.put("sid", 0);
        r.put("type", 0);
        r.put("mode", "tcp");
        r.put("conn_tot", fe.totalSessions());
        return r;
    }

    static Map<String, Object> backendRow(Service svc) {
        int weight = 0;
        int active = 0;
        for (Server s : svc.servers()) {
            if (s.acceptsNewSessions()) {
                weight += s.weight();
                active++;
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("pxname", svc.name());
        r.put("svname", "BACKEND");
        r.put("qcur", svc.queued());
        r.put("scur", svc.connections());
        if (svc.settings().maxConnections() > 0) {
            r.put("slim", svc.settings().maxConnections());
        }
        r.put("stot", svc.totalConnections());
        r.put("dreq", svc.refused());
        r.put("status", active > 0 ? "UP" : "DOWN");
        r.put("weight", weight);
        r.put("act", active);
        r.put("bck", 0);
        r.put("pid", 1);
        r.put("iid", svc.id());
        r.put("sid", 0);
        r.put("lbtot", svc.totalConnections());
        r.put("type", 1);
        r.put("mode", "tcp");
        r.put("algo", svc.settings().router().name().toLowerCase(java.util.Locale.ROOT));
        return r;
    }

    static Map<String, Object> serverRow(Service svc, Server s) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("pxname", svc.name());
        r.put("svname", s.name());
        r.put("qcur", 0);
        r.put("scur", s.connections());
        if (s.maxConnections() > 0) {
            r.put("slim", s.maxConnections());
        }
        r.put("stot", s.totalConnections());
        r.put("econ", s.connectFailures());
        r.put("status", status(s));
        r.put("weight", s.weight());
        r.put("act", 1);
        r.put("bck", 0);
        r.put("lastchg", secondsSince(s.stateChangedNanos()));
        r.put("pid", 1);
        r.put("iid", svc.id());
        r.put("sid", Lookup.serverId(svc, s));
        r.put("lbtot", s.totalConnections());
        r.put("type", 2);
        // HAProxy leaves the check fields empty while a server is in maintenance (its checks are paused).
        if (s.healthCheck().kind() != Server.CheckKind.NONE && s.adminState() != Server.AdminState.MAINTENANCE) {
            boolean l7 = s.healthCheck().kind() == Server.CheckKind.MARIADB;
            r.put("check_status", s.health() == Server.Health.UP ? (l7 ? "L7OK" : "L4OK") : (l7 ? "L7STS" : "L4CON"));
            r.put("check_desc", s.lastCheckResult().replace(',', ';'));
            r.put("check_rise", s.healthCheck().rise());
            r.put("check_fall", s.healthCheck().fall());
        }
        r.put("addr", s.host() + ":" + s.port());
        r.put("mode", "tcp");
        r.put("uweight", s.weight());
        return r;
    }

    /** HAProxy's server status words: MAINT, DRAIN, UP, DOWN, or "no check" when never checked. */
    static String status(Server s) {
        if (s.adminState() == Server.AdminState.MAINTENANCE) {
            return "MAINT";
        }
        if (s.adminState() == Server.AdminState.DRAIN) {
            return "DRAIN";
        }
        if (s.healthCheck().kind() == Server.CheckKind.NONE) {
            return "no check";
        }
        return s.health() == Server.Health.UP ? "UP" : "DOWN";
    }
}
