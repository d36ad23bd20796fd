package dev.patchbay.admin.runtime;

import dev.patchbay.core.Cidr;
import dev.patchbay.core.LogSelectors;
import dev.patchbay.core.Session;
import dev.patchbay.logging.SessionLog;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Per-session log levels on the runtime API ({@code set session <id> log ...}) and log selectors for
 * future sessions ({@code set log selector}, {@code show log selectors}, {@code del log selector}).
 */
final class LogCommands {
    private static final String LEVELS = "error, warning, notice, info or debug";

    private LogCommands() {}

    /** {@code set session <id> log <level>[,<level>] on|off}: MaxScale's per-session {@code log_*} parameters. */
    static Reply setSession(Cli cli, List<String> args) {
        String arg = args.size() > 2 ? args.get(2) : "";
        Lookup.SessionRef ref = Lookup.session(cli.patchbay(), arg);
        if (ref.error() != null) {
            return Reply.text(ref.error());
        }
        Session s = ref.session();
        if (!(args.size() > 3 && args.get(3).equals("log"))) {
            return Reply.text("Expects 'log <level>[,<level>] on|off'.\n");
        }
        String names = args.size() > 4 ? args.get(4) : "";
        int bits = names.isEmpty() ? -1 : LogSelectors.parseLevels(names);
        if (bits < 0) {
            return Reply.text("Expects log levels among " + LEVELS + " (comma-separated).\n");
        }
        String how = args.size() > 5 ? args.get(5) : "";
        if (!how.equals("on") && !how.equals("off")) {
            return Reply.text("Expects 'on' or 'off'.\n");
        }
        boolean on = how.equals("on");
        CompletableFuture<Reply> done = new CompletableFuture<>();
        s.execute(() -> {
            int before = s.ownLogFlags();
            int after = on ? before | bits : before & ~bits;
            s.setLogFlags(after);
            if (after != before) {
                SessionLog.notice(s, "Session log levels changed to [{}] by {}", LogSelectors.levelNames(after),
                        cli.who());
            }
            done.complete(Reply.empty());
        });
        AdminLog.action(cli, String.join(" ", args));
        return Reply.later(done);
    }

    /** {@code set log selector user <name>|src <ip|cidr> level <level>[,<level>] [expire <delay>]}. */
    static Reply addSelector(Cli cli, List<String> args) {
        String kind = args.size() > 3 ? args.get(3) : "";
        String value = args.size() > 4 ? args.get(4) : "";
        LogSelectors.Kind k;
        Cidr cidr = null;
        if (kind.equals("user")) {
            k = LogSelectors.Kind.USER;
            if (value.isEmpty()) {
                return Reply.text("Missing user name.\n");
            }
        } else if (kind.equals("src")) {
            k = LogSelectors.Kind.SRC;
            if (value.isEmpty()) {
                return Reply.text("Missing source address or network.\n");
            }
            cidr = Cidr.parse(value);
            if (cidr == null) {
                return Reply.text("Invalid address or network.\n");
            }
        } else {
            return Reply.text("Expects 'user <name>' or 'src <ip|cidr>'.\n");
        }
        if (!(args.size() > 5 && args.get(5).equals("level"))) {
            return Reply.text("Expects 'level <level>[,<level>]' after the " + kind + ".\n");
        }
        String names = args.size() > 6 ? args.get(6) : "";
        int bits = names.isEmpty() ? -1 : LogSelectors.parseLevels(names);
        if (bits < 0) {
            return Reply.text("Expects log levels among " + LEVELS + " (comma-separated).\n");
        }
        long ttl = 0;
        if (args.size() > 7) {
            if (!args.get(7).equals("expire")) {
                return Reply.text("Unknown option '" + args.get(7) + "': expects 'expire <delay>'.\n");
            }
            String d = args.size() > 8 ? args.get(8) : "";
            ttl = d.isEmpty() ? -1 : CNumbers.parseDelayNanos(d, 1_000_000_000L);
            if (ttl <= 0) {
                return Reply.text("Invalid delay.\n");
            }
        }
        LogSelectors.Selector s = cli.patchbay().sessions().logSelectors().add(k, value, cidr, bits, ttl, "runtime API " + cli.who());
        AdminLog.action(cli, String.join(" ", args) + ": log selector #" + s.id());
        return Reply.text("New log selector #" + s.id() + ".\n");
    }

    /** {@code show log selectors}: one line per selector. */
    static Reply showSelectors(Cli cli, List<String> args) {
        StringBuilder sb = new StringBuilder("# id match level expire matched by\n");
        long now = System.nanoTime();
        for (LogSelectors.Selector s : cli.patchbay().sessions().logSelectors().list()) {
            sb.append(s.id()).append(' ').append(s.kind() == LogSelectors.Kind.SRC ? "src=" : "user=").append(s.value())
                    .append(' ').append(LogSelectors.levelNames(s.levels())).append(' ')
                    .append(s.expiresAtNanos() == Long.MAX_VALUE ? "-"
                            : HumanTime.remaining(s.expiresAtNanos(), now, "0s"))
                    .append(' ').append(s.matched().get()).append(' ').append(s.by()).append('\n');
        }
        return Reply.text(sb.toString());
    }

    /** {@code del log selector <id>|all}. */
    static Reply deleteSelector(Cli cli, List<String> args) {
        String arg = args.size() > 3 ? args.get(3) : "";
        if (arg.equals("all")) {
            int n = cli.patchbay().sessions().logSelectors().removeAll();
            AdminLog.action(cli, "del log selector all: " + n + " removed");
            return Reply.empty();
        }
        long id = arg.isEmpty() ? 0 : CNumbers.strtoul(arg);
        if (id <= 0 || id > Integer.MAX_VALUE) {
            return Reply.text("Expects a log selector id (use 'show log selectors') or 'all'.\n");
        }
        if (!cli.patchbay().sessions().logSelectors().remove((int) id)) {
            return Reply.text("No such log selector.\n");
        }
        AdminLog.action(cli, "del log selector " + id);
        return Reply.empty();
    }
}
