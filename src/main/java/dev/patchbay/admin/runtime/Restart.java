package dev.patchbay.admin.runtime;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Frontend;
import dev.patchbay.core.Service;
import dev.patchbay.core.Session;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * {@code restart session <id>} and {@code restart sessions server|backend|frontend|src|all ... [spread <delay>]}:
 * each session re-reads its service's current configuration and moves to a new backend connection at
 * its next idle moment outside a transaction (docs/live-control.md). The answer comes once the
 * restarts are scheduled, not done; {@code show sess <id>} shows what a session waits for and how its
 * last restart ended.
 */
final class Restart {
    private Restart() {}

    static Reply session(Cli cli, List<String> args) {
        String arg = args.size() > 2 ? args.get(2) : "";
        Lookup.SessionRef ref = Lookup.session(cli.patchbay(), arg);
        if (ref.error() != null) {
            return Reply.text(ref.error());
        }
        Session s = ref.session();
        AdminLog.action(cli, "restart session " + arg + ": " + Shutdown.describe(List.of(s)));
        return Reply.later(s.control().requestRestart("runtime API " + cli.who(), 0)
                .thenApply(why -> why == null ? Reply.empty() : Reply.text(why + "\n")));
    }

    /** {@code restart sessions <selector> [spread <delay>]}. */
    static Reply sessions(Cli cli, List<String> args) {
        Patchbay pb = cli.patchbay();
        String kind = args.size() > 2 ? args.get(2) : "";
        int next = 4;
        Predicate<Session> which;
        String what;
        switch (kind) {
            case "all": {
                which = s -> true;
                what = "all";
                next = 3;
                break;
            }
            case "server": {
                Lookup.ServerRef ref = Lookup.server(pb, args.size() > 3 ? args.get(3) : null);
                if (ref.error() != null) {
                    return Reply.text(ref.error());
                }
                which = s -> s.service() == ref.service() && ShowSess.onServer(s, ref.server());
                what = "server " + ref.service().name() + "/" + ref.server().name();
                break;
            }
            case "backend": {
                String name = args.size() > 3 ? args.get(3) : "";
                if (name.isEmpty()) {
                    return Reply.text("Missing backend name.\n");
                }
                Service svc = Lookup.backend(pb, name);
                if (svc == null) {
                    return Reply.text("No such backend.\n");
                }
                which = s -> s.service() == svc;
                what = "backend " + svc.name();
                break;
            }
            case "frontend": {
                String name = args.size() > 3 ? args.get(3) : "";
                if (name.isEmpty()) {
                    return Reply.text("Missing frontend name.\n");
                }
                Frontend fe = Lookup.frontend(pb, name);
                if (fe == null) {
                    return Reply.text("No such frontend.\n");
                }
                which = s -> s.frontend() == fe;
                what = "frontend " + fe.name();
                break;
            }
            case "src": {
                String net = args.size() > 3 ? args.get(3) : "";
                if (net.isEmpty()) {
                    return Reply.text("Missing source address or network.\n");
                }
                Lookup.Network n = Lookup.Network.parse(net);
                if (n == null) {
                    return Reply.text("Invalid address or network.\n");
                }
                which = s -> n.contains(s.clientAddress());
                what = "src " + net;
                break;
            }
            default:
                return Reply.text("Require 'all', 'server <backend>/<server>', 'backend <backend>', "
                        + "'frontend <frontend>' or 'src <ip|cidr>'.\n");
        }
        long spread = 0;
        if (args.size() > next) {
            if (!args.get(next).equals("spread")) {
                return Reply.text("Unknown option '" + args.get(next) + "': expects 'spread <delay>'.\n");
            }
            String d = args.size() > next + 1 ? args.get(next + 1) : "";
            spread = d.isEmpty() ? -1 : CNumbers.parseDelayNanos(d, 1_000_000_000L);
            if (spread < 0) {
                return Reply.text("Invalid delay.\n");
            }
        }
        List<Session> targets = new ArrayList<>();
        for (Session s : pb.sessions().snapshot()) {
            if (s.service() != null && s.state().isLive() && which.test(s)) {
                targets.add(s);
            }
        }
        AdminLog.action(cli, String.join(" ", args) + ": restarting " + Shutdown.describe(targets));
        int n = targets.size();
        List<CompletableFuture<String>> asks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            asks.add(targets.get(i).control().requestRestart("runtime API " + cli.who(), spread * i / n));
        }
        return Reply.later(CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).thenApply(v -> {
            StringBuilder sb = new StringBuilder();
            int failed = 0;
            for (CompletableFuture<String> a : asks) {
                if (a.join() != null) {
                    failed++;
                    sb.append(a.join()).append('\n');
                }
            }
            return failed == 0 ? Reply.empty()
                    : Reply.text(failed + " of " + n + " sessions cannot be restarted (" + what + "):\n" + sb);
        }));
    }
}
