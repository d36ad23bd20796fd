package dev.patchbay.admin.runtime;

import dev.patchbay.core.Frontend;
import dev.patchbay.core.Profiling;
import dev.patchbay.core.Server;
import dev.patchbay.net.ConnectionLimit;
import java.util.List;

/** The command table of the runtime API: what exists, its help line and its level. */
final class Commands {
    private Commands() {}

    /** A help line: the syntax padded to 40 columns, then ": description", as HAProxy's. */
    static String usage(String syntax, String description) {
        return syntax.length() < 40 ? String.format("%-40s: %s", syntax, description) : syntax + " : " + description;
    }

    static Keywords build(DumpEpochs epochs) {
        Keywords k = new Keywords();
        k.add("help", null, Level.USER, (cli, args) -> Reply.text(cli.api().keywords().usage(args)));
        k.add("prompt", null, Level.USER, (cli, args) -> cli.prompt(args));
        k.add("quit", null, Level.USER, (cli, args) -> {
            cli.quit();
            return Reply.none();
        });
        k.add("operator", usage("operator", "lower the level of the current CLI session to operator"), Level.USER,
                (cli, args) -> lower(cli, args, Level.OPERATOR));
        k.add("user", usage("user", "lower the level of the current CLI session to user"), Level.USER,
                (cli, args) -> lower(cli, args, Level.USER));
        k.add("show cli level", usage("show cli level", "display the level of the current CLI session"), Level.USER,
                (cli, args) -> Reply.text(cli.level().label() + "\n"));
        k.add("show cli sockets", usage("show cli sockets", "dump list of cli sockets"), Level.USER,
                Commands::showCliSockets);
        k.add("show info", usage("show info", "report information about the running process"), Level.USER,
                Stats::info);
        k.add("show stat", usage("show stat [typed|json] [no-maint|up]*", "report counters for each proxy and server"),
                Level.USER, Stats::stat);
        k.add("show servers state", usage("show servers state [<backend>]", "dump volatile server information (all or for a single backend)"),
                Level.USER, Stats::serversState);
        k.add("get weight", usage("get weight <bk>/<srv>", "report a server's current weight"), Level.USER,
                Commands::getWeight);
        k.add("show sess", usage("show sess [help|<id>|all] [opts...]",
                "report the list of current sessions or dump this exact session"), Level.OPERATOR, new ShowSess(epochs));
        // HAProxy's help line, unchanged: "ttl <delay> [safe]" is documented in docs/runtime-api.md.
        k.add("shutdown session", usage("shutdown session [id]", "kill a specific session"), Level.ADMIN,
                Shutdown::session);
        k.add("shutdown sessions server", usage("shutdown sessions server <bk>/<srv>", "kill sessions on a server"),
                Level.ADMIN, Shutdown::server);
        k.add("shutdown sessions frontend", usage("shutdown sessions frontend <frontend>",
                "kill sessions accepted by a frontend (listener)"), Level.ADMIN, Shutdown::frontend);
        k.add("shutdown sessions backend", usage("shutdown sessions backend <backend>",
                "kill sessions of a backend (service)"), Level.ADMIN, Shutdown::backend);
        k.add("shutdown sessions src", usage("shutdown sessions src <ip|cidr>",
                "kill sessions from a client address or network"), Level.ADMIN, Shutdown::src);
        k.add("restart session", usage("restart session <id>",
                "move a session to a new backend connection at its next idle moment"), Level.ADMIN, Restart::session);
        k.add("restart sessions", usage("restart sessions <selector> [spread <delay>]",
                "restart sessions of a server, backend, frontend or src, or all"), Level.ADMIN, Restart::sessions);
        k.add("set session", usage("set session <id> log <level>[,<level>] on|off",
                "force log levels on or off for one session"), Level.ADMIN, LogCommands::setSession);
        k.add("set log selector", usage("set log selector user|src <v> level <l> [expire <d>]",
                "log future sessions of a user or network at more levels"), Level.ADMIN, LogCommands::addSelector);
        k.add("show log selectors", usage("show log selectors", "list the log selectors for future sessions"),
                Level.OPERATOR, LogCommands::showSelectors);
        k.add("del log selector", usage("del log selector <id>|all", "remove a log selector"), Level.ADMIN,
                LogCommands::deleteSelector);
        k.add("set server", usage("set server <bk>/<srv> [opts]", "change a server's state (ready, drain, maint) or weight"),
                Level.ADMIN, Commands::setServer);
        k.add("set weight", usage("set weight <bk>/<srv>  (DEPRECATED)", "change a server's weight (use 'set server' instead)"),
                Level.ADMIN, (cli, args) -> setWeight(cli, args.size() > 2 ? args.get(2) : null,
                        args.size() > 3 ? args.get(3) : null, String.join(" ", args)));
        k.add("set maxconn frontend", usage("set maxconn frontend <frontend> <value>",
                "change a frontend's max_connections"), Level.ADMIN, Commands::setMaxconnFrontend);
        k.add("set maxconn global", usage("set maxconn global <value>", "change the per-process max_connections"),
                Level.ADMIN, Commands::setMaxconnGlobal);
        k.add("set maxconn server", usage("set maxconn server <bk>/<srv>", "change a server's max_connections"),
                Level.ADMIN, Commands::setMaxconnServer);
        k.add("enable server", usage("enable server  (DEPRECATED)", "enable a disabled server (use 'set server' instead)"),
                Level.ADMIN, (cli, args) -> serverState(cli, args.size() > 2 ? args.get(2) : null, Server.AdminState.READY,
                        String.join(" ", args)));
        k.add("disable server", usage("disable server (DEPRECATED)",
                "disable a server for maintenance (use 'set server' instead)"), Level.ADMIN,
                (cli, args) -> serverState(cli, args.size() > 2 ? args.get(2) : null, Server.AdminState.MAINTENANCE,
                        String.join(" ", args)));
        k.add("disable frontend", usage("disable frontend <frontend>", "temporarily disable specific frontend"),
                Level.ADMIN, (cli, args) -> frontendStopped(cli, args, true));
        k.add("enable frontend", usage("enable frontend <frontend>", "re-enable specific frontend"),
                Level.ADMIN, (cli, args) -> frontendStopped(cli, args, false));
        k.add("set profiling", usage("set profiling tasks {on|off}", "enable/disable task profiling (cpu= in show sess)"),
                Level.ADMIN, Commands::setProfiling);
        k.add("set timeout", usage("set timeout [cli] <delay>", "change a timeout setting"), Level.USER,
                Commands::setTimeout);
        return k;
    }

    /** {@code operator} / {@code user}: never raises; {@code -} drops the trailing empty line. */
    private static Reply lower(Cli cli, List<String> args, Level to) {
        if (!cli.level().atLeast(to)) {
            return Reply.permissionDenied();
        }
        cli.setLevel(to);
        if (args.size() > 1 && args.get(1).equals("-")) {
            return Reply.none();
        }
        return Reply.empty();
    }

    private static Reply showCliSockets(Cli cli, List<String> args) {
        StringBuilder sb = new StringBuilder("# socket lvl processes\n");
        for (StatsSocket s : cli.api().sockets()) {
            sb.append(s.label()).append(' ').append(s.level().label()).append(" all\n");
        }
        return Reply.text(sb.toString());
    }

    private static Reply getWeight(Cli cli, List<String> args) {
        Lookup.ServerRef ref = Lookup.server(cli.patchbay(), args.size() > 2 ? args.get(2) : null);
        if (ref.error() != null) {
            return Reply.text(ref.error());
        }
        return Reply.text(ref.server().weight() + " (initial " + ref.server().initialWeight() + ")\n");
    }

    private static Reply setServer(Cli cli, List<String> args) {
        Lookup.ServerRef ref = Lookup.server(cli.patchbay(), args.size() > 2 ? args.get(2) : null);
        if (ref.error() != null) {
            return Reply.text(ref.error());
        }
        String what = args.size() > 3 ? args.get(3) : "";
        if (what.equals("weight")) {
            return setWeight(cli, args.get(2), args.size() > 4 ? args.get(4) : null, String.join(" ", args));
        }
        if (!what.equals("state")) {
            return Reply.text("usage: set server <backend>/<server> state|weight\n");
        }
        String st = args.size() > 4 ? args.get(4) : "";
        Server.AdminState to;
        switch (st) {
            case "ready": to = Server.AdminState.READY; break;
            case "drain": to = Server.AdminState.DRAIN; break;
            case "maint": to = Server.AdminState.MAINTENANCE; break;
            default: return Reply.text("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n");
        }
        return serverState(cli, args.get(2), to, String.join(" ", args));
    }

    /** HAProxy's {@code set weight}: absolute 0-256, or a percentage of the configured weight. */
    private static Reply setWeight(Cli cli, String serverArg, String value, String command) {
        Lookup.ServerRef ref = Lookup.server(cli.patchbay(), serverArg);
        if (ref.error() != null) {
            return Reply.text(ref.error());
        }
        Server server = ref.server();
        WeightChange change = parseWeight(value == null ? "" : value, server.initialWeight());
        if (change.error() != null) {
            return Reply.text(change.error());
        }
        int w = change.weight();
        int from = server.weight();
        server.setWeight(w);
        AdminLog.action(cli, command + ": server " + server.name() + " weight " + from + " -> " + w);
        return Reply.empty();
    }

    /** A weight to set, or HAProxy's error text. */
    record WeightChange(int weight, String error) {}

    /**
     * HAProxy's server_parse_weight_change_request(): strtol, then {@code %} relative to the configured
     * weight (the percentage capped at 25600 first, the result at 256), else absolute 0-256; the checks
     * come in HAProxy's order, so {@code 300x} is out of range rather than garbage.
     */
    static WeightChange parseWeight(String text, int initialWeight) {
        if (text.isEmpty()) {
            return new WeightChange(0, "Require <weight> or <weight%>.\n");
        }
        CNumbers.Strtol parsed = CNumbers.strtol(text);
        if (parsed.end() == 0) {
            return new WeightChange(0, "Empty weight string empty or preceded by garbage\n");
        }
        long w = parsed.value();
        String rest = text.substring(parsed.end());
        if (rest.equals("%")) {
            if (w < 0) {
                return new WeightChange(0, "Relative weight must be positive.\n");
            }
            w = Math.min(w, 25_600) * initialWeight / 100;
            return new WeightChange((int) Math.min(w, 256), null);
        }
        if (w < 0 || w > 256) {
            return new WeightChange(0, "Absolute weight can only be between 0 and 256 inclusive.\n");
        }
        if (!rest.isEmpty()) {
            return new WeightChange(0, "Trailing garbage in weight string\n");
        }
        return new WeightChange((int) w, null);
    }

    /**
     * HAProxy's disable/enable frontend: the listener stays bound and stops (or starts again) accepting; its
     * sessions go on. The same state as the REST API's listener stop/start.
     */
    private static Reply frontendStopped(Cli cli, List<String> args, boolean stop) {
        String name = args.size() > 2 ? args.get(2) : "";
        if (name.isEmpty()) {
            return Reply.text("A frontend name is expected.\n");
        }
        Boolean was = cli.patchbay().setListenerStopped(name, stop);
        if (was == null) {
            return Reply.text("No such frontend.\n");
        }
        if (was == stop) {
            return Reply.text(stop ? "All sockets are already disabled.\n" : "All sockets are already enabled.\n");
        }
        AdminLog.action(cli, String.join(" ", args));
        return Reply.empty();
    }

    private static Reply setMaxconnServer(Cli cli, List<String> args) {
        Lookup.ServerRef ref = Lookup.server(cli.patchbay(), args.size() > 3 ? args.get(3) : null);
        if (ref.error() != null) {
            return Reply.text(ref.error());
        }
        String value = args.size() > 4 ? args.get(4) : "";
        int max;
        try {
            max = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            return Reply.text("Integer value requested.\n");
        }
        if (max < 0) {
            return Reply.text("Value out of range.\n");
        }
        Server server = ref.server();
        int from = server.maxConnections();
        server.setMaxConnections(max);
        // A higher limit frees slots at once for queued sessions.
        for (dev.patchbay.core.Service svc : cli.patchbay().services().values()) {
            if (svc.servers().contains(server)) {
                svc.wakeAll();
            }
        }
        AdminLog.action(cli, String.join(" ", args) + ": server " + server.name() + " max_connections " + from + " -> " + max);
        return Reply.empty();
    }

    /**
     * HAProxy's {@code set maxconn global}: up to the configured limit; 0, a negative number or a word (HAProxy
     * reads the value with atoi) restores the configured limit.
     */
    private static Reply setMaxconnGlobal(Cli cli, List<String> args) {
        if (args.size() < 4) {
            return Reply.text("Expects an integer value.\n");
        }
        ConnectionLimit limit = cli.patchbay().connectionLimit();
        int hard = limit == null ? 0 : limit.hardMax();
        long value = CNumbers.strtol(args.get(3)).value(); // HAProxy: atoi
        if (value > hard) {
            return Reply.text("Value out of range.\n");
        }
        if (limit == null) {
            return Reply.empty(); // no limit known (no open-file limit): nothing to restore
        }
        int from = limit.max();
        int to = value <= 0 ? hard : (int) value;
        limit.setMax(to);
        AdminLog.action(cli, String.join(" ", args) + ": max_connections " + from + " -> " + to);
        return Reply.empty();
    }

    /** HAProxy's {@code set maxconn frontend}: the listener's max_connections, 0 for none. */
    private static Reply setMaxconnFrontend(Cli cli, List<String> args) {
        String name = args.size() > 3 ? args.get(3) : "";
        if (name.isEmpty()) {
            return Reply.text("A frontend name is expected.\n");
        }
        Frontend fe = cli.patchbay().frontends().get(name);
        if (fe == null) {
            return Reply.text("No such frontend.\n");
        }
        if (args.size() < 5) {
            return Reply.text("Integer value expected.\n");
        }
        long value = CNumbers.strtol(args.get(4)).value(); // HAProxy: atoi
        if (value < 0 || value > 10_000_000) {
            return Reply.text("Value out of range.\n");
        }
        int from = fe.maxConnections();
        fe.setMaxConnections((int) value);
        AdminLog.action(cli, String.join(" ", args) + ": listener " + name + " max_connections " + from + " -> " + value);
        return Reply.empty();
    }

    private static Reply serverState(Cli cli, String arg, Server.AdminState to, String command) {
        Lookup.ServerRef ref = Lookup.server(cli.patchbay(), arg);
        if (ref.error() != null) {
            return Reply.text(ref.error());
        }
        Server.AdminState from = ref.server().adminState();
        ref.server().setAdminState(to);
        AdminLog.action(cli, command + ": server " + ref.server().name() + " " + from + " -> " + to);
        return Reply.empty();
    }

    private static Reply setProfiling(Cli cli, List<String> args) {
        String what = args.size() > 2 ? args.get(2) : "";
        if (!what.equals("tasks")) {
            return Reply.text("Expects 'tasks'.\n");
        }
        String how = args.size() > 3 ? args.get(3) : "";
        boolean on;
        if (how.equals("on")) {
            on = true;
        } else if (how.equals("off")) {
            on = false;
        } else {
            return Reply.text("Expects 'on' or 'off'.\n");
        }
        Profiling.setEnabled(on);
        AdminLog.action(cli, "set profiling tasks " + how);
        return Reply.empty();
    }

    /** INT_MAX milliseconds (24d20h31m23.647s), HAProxy's longest timer. */
    static final long MAX_CLI_TIMEOUT_NANOS = Integer.MAX_VALUE * 1_000_000L;

    private static Reply setTimeout(Cli cli, List<String> args) {
        if (!(args.size() > 2 && args.get(2).equals("cli"))) {
            return Reply.text("'set timeout' only supports 'cli'.\n");
        }
        String delay = args.size() > 3 ? args.get(3) : "";
        if (delay.isEmpty()) {
            return Reply.text("Expects an integer value.\n");
        }
        long nanos = CNumbers.parseDelayNanos(delay, 1_000_000_000L);
        // HAProxy's timers are ticks of INT_MAX ms at most: 2.6 takes up to INT_MAX seconds but its timer is
        // already past (rx=?) beyond 2147483647 ms; newer versions refuse. Patchbay refuses too.
        if (nanos < 1_000_000_000L || nanos > MAX_CLI_TIMEOUT_NANOS) {
            return Reply.text("Invalid timeout value.\n");
        }
        cli.setIdleTimeoutNanos(nanos);
        return Reply.empty();
    }
}
