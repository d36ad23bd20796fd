package dev.patchbay.admin.runtime;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Frontend;
import dev.patchbay.core.Service;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionState;
import dev.patchbay.core.Termination;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code shutdown session <id>} and {@code shutdown sessions server|frontend|backend|src ...}.
 * Unlike HAProxy the answer comes once the sessions are really closed (bounded by
 * {@link #WAIT_SECONDS}); the termination names the socket and level, so the access log shows who
 * killed what.
 */
final class Shutdown {
    static final long WAIT_SECONDS = 10;

    private Shutdown() {}

    /**
     * {@code shutdown session <id> [ttl <delay> [safe]]}. Without {@code ttl} it is HAProxy's command (extra
     * words ignored). With it, the kill is scheduled {@code <delay>} from now (seconds by default) and the
     * answer is immediate; {@code safe} kills earlier at the first idle moment outside a transaction.
     */
    static Reply session(Cli cli, List<String> args) {
        String arg = args.size() > 2 ? args.get(2) : "";
        Lookup.SessionRef ref = Lookup.session(cli.patchbay(), arg);
        if (ref.error() != null) {
            return Reply.text(ref.error());
        }
        Session s = ref.session();
        if (args.size() > 3 && args.get(3).equals("ttl")) {
            String delay = args.size() > 4 ? args.get(4) : "";
            if (delay.isEmpty()) {
                return Reply.text("Expects a delay after 'ttl' (in seconds by default).\n");
            }
            long nanos = CNumbers.parseDelayNanos(delay, 1_000_000_000L);
            if (nanos < 0) {
                return Reply.text("Invalid delay.\n");
            }
            String opt = args.size() > 5 ? args.get(5) : "";
            if (!opt.isEmpty() && !opt.equals("safe")) {
                return Reply.text("Unknown option '" + opt + "': expects 'safe' or nothing.\n");
            }
            boolean safe = opt.equals("safe");
            if (nanos == 0 && !safe) {
                return kill(cli, "shutdown session " + arg + " ttl 0", List.of(s));
            }
            if (s == cli.session()) {
                return Reply.text("A connection cannot schedule its own end; use 'quit'.\n");
            }
            Termination why = Termination.killedBy(Termination.AdminInterface.RUNTIME_API, cli.who());
            AdminLog.action(cli, String.join(" ", args) + ": " + describe(List.of(s)) + " will be killed in "
                    + (nanos / 1_000_000) + " ms" + (safe ? " or earlier when idle" : ""));
            CompletableFuture<Reply> answer = s.control().scheduleKill(Math.max(nanos, 1), safe, why, "runtime API " + cli.who(),
                    "Killed by the runtime API (" + cli.who() + ")").thenApply(v -> Reply.empty());
            return Reply.later(answer);
        }
        return kill(cli, "shutdown session " + arg, List.of(s));
    }

    static Reply server(Cli cli, List<String> args) {
        Lookup.ServerRef ref = Lookup.server(cli.patchbay(), args.size() > 3 ? args.get(3) : null);
        if (ref.error() != null) {
            return Reply.text(ref.error());
        }
        // Sessions connecting to the server count too, not only the established ones.
        return kill(cli, "shutdown sessions server " + ref.service().name() + "/" + ref.server().name(),
                select(cli.patchbay(), s -> s.service() == ref.service() && ShowSess.onServer(s, ref.server())));
    }

    static Reply frontend(Cli cli, List<String> args) {
        String name = args.size() > 3 ? args.get(3) : "";
        if (name.isEmpty()) {
            return Reply.text("Missing frontend name.\n");
        }
        Predicate<Session> which;
        if (Lookup.isGlobal(name)) {
            which = s -> s.frontend().isRuntimeApi();
        } else {
            Frontend fe = Lookup.frontend(cli.patchbay(), name);
            if (fe == null) {
                return Reply.text("No such frontend.\n");
            }
            which = s -> s.frontend() == fe;
        }
        return kill(cli, "shutdown sessions frontend " + name, select(cli.patchbay(), which));
    }

    static Reply backend(Cli cli, List<String> args) {
        String name = args.size() > 3 ? args.get(3) : "";
        if (name.isEmpty()) {
            return Reply.text("Missing backend name.\n");
        }
        Service svc = Lookup.backend(cli.patchbay(), name);
        if (svc == null) {
            return Reply.text("No such backend.\n");
        }
        return kill(cli, "shutdown sessions backend " + svc.name(), select(cli.patchbay(), s -> s.service() == svc));
    }

    static Reply src(Cli cli, List<String> args) {
        String net = args.size() > 3 ? args.get(3) : "";
        if (net.isEmpty()) {
            return Reply.text("Missing source address or network.\n");
        }
        Lookup.Network n = Lookup.Network.parse(net);
        if (n == null) {
            return Reply.text("Invalid address or network.\n");
        }
        return kill(cli, "shutdown sessions src " + net, select(cli.patchbay(), s -> n.contains(s.clientAddress())));
    }

    private static List<Session> select(Patchbay pb, Predicate<Session> which) {
        List<Session> out = new ArrayList<>();
        for (Session s : pb.sessions().snapshot()) {
            if (s.state().isLive() && which.test(s)) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * Kills {@code targets} and answers once they are closed. The connection's own session, if
     * targeted, ends only after the answer is delivered.
     */
    private static Reply kill(Cli cli, String command, List<Session> targets) {
        Termination why = Termination.killedBy(Termination.AdminInterface.RUNTIME_API, cli.who());
        List<CompletableFuture<Termination>> closing = new ArrayList<>(targets.size());
        boolean self = false;
        for (Session s : targets) {
            if (s == cli.session()) {
                self = true;
            } else {
                closing.add(s.kill(why, "Killed by the runtime API (" + cli.who() + ")"));
            }
        }
        AdminLog.action(cli, command + ": killing " + describe(targets));
        if (self) {
            cli.endAfterCommand(why);
        }
        if (closing.isEmpty()) {
            return Reply.empty();
        }
        int n = closing.size();
        CompletableFuture<Reply> answer = CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
                .orTimeout(WAIT_SECONDS, TimeUnit.SECONDS)
                .handle((v, e) -> {
                    if (e == null) {
                        return Reply.empty();
                    }
                    long open = closing.stream().filter(f -> !f.isDone()).count();
                    AdminLog.action(cli, command + ": " + open + " of " + n + " sessions still open after "
                            + WAIT_SECONDS + "s");
                    return Reply.text(open + " of " + n + " sessions did not close within " + WAIT_SECONDS
                            + "s; they are still closing.\n");
                });
        return Reply.later(answer);
    }

    /** "3 sessions: 0x1f (fe_tcp 127.0.0.1:51234 -> be_tcp/s1), ..." (at most 20 listed). */
    static String describe(List<Session> sessions) {
        StringBuilder sb = new StringBuilder();
        sb.append(sessions.size()).append(sessions.size() == 1 ? " session" : " sessions");
        int shown = 0;
        for (Session s : sessions) {
            if (shown == 20) {
                sb.append(", ...");
                break;
            }
            sb.append(shown++ == 0 ? ": " : ", ").append(SessionFormat.id(s)).append(" (")
                    .append(s.frontend().name()).append(' ')
                    .append(SessionFormat.address(s.clientAddress(), s.frontend()));
            if (s.service() != null) {
                sb.append(" -> ").append(s.service().name());
                if (s.server() != null) {
                    sb.append('/').append(s.server().name());
                } else if (s.state() instanceof SessionState.Queued) {
                    sb.append(" queued");
                }
            }
            sb.append(')');
        }
        return sb.toString();
    }
}
