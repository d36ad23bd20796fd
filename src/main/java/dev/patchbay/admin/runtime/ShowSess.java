package dev.patchbay.admin.runtime;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Frontend;
import dev.patchbay.core.Server;
import dev.patchbay.core.Service;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionRegistry;
import dev.patchbay.core.SessionState;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * {@code show sess [<id> | all | help | older <age> | susp] [<options>*]}, with HAProxy 3.x's
 * selectors and error texts. Beyond HAProxy, filters combine (all must match) and {@code src}
 * and {@code user} select too.
 */
final class ShowSess implements Keywords.Command {

    static final String USAGE = "Usage: show sess [<id> | all | help] [<options>*]\n"
            + "Dumps active streams (formerly called 'sessions'). Available selectors:\n"
            + "   <id>         dump only this stream identifier (0x...)\n"
            + "   all          dump all matching streams in large format\n"
            + "   help         show this message\n"
            + "   susp         report streams considered suspicious\n"
            + "Available options: \n"
            + "   show-uri     also display the transaction URI, if available\n"
            + "   older <age>  only display streams older than <age> seconds\n"
            + "   server <b/s> only show streams attached to this backend+server\n"
            + "   backend <b>  only show streams attached to this backend\n"
            + "   frontend <f> only show streams attached to this frontend\n"
            + "   src <cidr>   only show streams from this client address or network\n"
            + "   user <name>  only show streams authenticated as this database user\n"
            + "Without any argument, all streams are dumped in a shorter format.\n";

    private final DumpEpochs epochs;

    ShowSess(DumpEpochs epochs) {
        this.epochs = epochs;
    }

    @Override
    public Reply run(Cli cli, List<String> args) {
        Patchbay pb = cli.patchbay();
        int cur = 2;
        boolean all = false;
        long target = 0;
        List<Predicate<Session>> filters = new ArrayList<>();

        String first = arg(args, cur);
        if (first.equals("older")) {
            String age = arg(args, cur + 1);
            if (age.isEmpty()) {
                return Reply.text("Expects a minimum age (in seconds by default).\n");
            }
            long min = CNumbers.parseDelayNanos(age, 1_000_000_000L);
            if (min < 0) {
                return Reply.text("Invalid age.\n");
            }
            filters.add(s -> s.ageNanos() >= min);
            all = true;
            cur += 2;
        } else if (first.equals("susp")) {
            filters.add(ShowSess::suspicious);
            all = true;
            cur++;
        } else if (first.equals("all")) {
            all = true;
            cur++;
        } else if (first.equals("help")) {
            return Reply.text(USAGE);
        } else if (!first.isEmpty()) {
            target = CNumbers.strtoul(first);
            if (target != 0) {
                cur++;
            }
        }

        for (; cur < args.size(); cur++) {
            String opt = args.get(cur);
            switch (opt) {
                case "show-uri":
                    break; // Patchbay sessions carry no HTTP transaction, so there is never a URI to add.
                case "susp":
                    filters.add(ShowSess::suspicious);
                    break;
                case "backend": {
                    String name = arg(args, ++cur);
                    if (name.isEmpty()) {
                        return Reply.text("Missing backend name.\n");
                    }
                    Service svc = Lookup.backend(pb, name);
                    if (svc == null) {
                        return Reply.text("No such backend.\n");
                    }
                    filters.add(s -> s.service() == svc);
                    break;
                }
                case "frontend": {
                    String name = arg(args, ++cur);
                    if (name.isEmpty()) {
                        return Reply.text("Missing frontend name.\n");
                    }
                    if (Lookup.isGlobal(name)) {
                        filters.add(s -> s.frontend().isRuntimeApi());
                    } else {
                        Frontend fe = Lookup.frontend(pb, name);
                        if (fe == null) {
                            return Reply.text("No such frontend.\n");
                        }
                        filters.add(s -> s.frontend() == fe);
                    }
                    break;
                }
                case "server": {
                    String name = arg(args, ++cur);
                    if (name.isEmpty()) {
                        return Reply.text("Missing server name (<backend>/<server>).\n");
                    }
                    Lookup.ServerRef ref = Lookup.server(pb, name);
                    if (ref.error() != null) {
                        return Reply.text(ref.error());
                    }
                    filters.add(s -> s.service() == ref.service() && onServer(s, ref.server()));
                    break;
                }
                case "src": {
                    String net = arg(args, ++cur);
                    if (net.isEmpty()) {
                        return Reply.text("Missing source address or network.\n");
                    }
                    Lookup.Network n = Lookup.Network.parse(net);
                    if (n == null) {
                        return Reply.text("Invalid address or network.\n");
                    }
                    filters.add(s -> n.contains(s.clientAddress()));
                    break;
                }
                case "user": {
                    String name = arg(args, ++cur);
                    if (name.isEmpty()) {
                        return Reply.text("Missing user name.\n");
                    }
                    // Only MariaDB sessions have a user (once authenticated).
                    filters.add(s -> s.protocolDetails() != null && name.equals(s.protocolDetails().user()));
                    break;
                }
                default:
                    return Reply.text("Unsupported option '" + opt + "', try 'help' for more info.\n");
            }
        }

        Predicate<Session> filter = s -> {
            for (Predicate<Session> f : filters) {
                if (!f.test(s)) {
                    return false;
                }
            }
            return true;
        };
        SessionRegistry registry = pb.sessions();
        long upTo = registry.lastId();
        if (target != 0) {
            epochs.start(upTo, 0);
            Session s = registry.get(target);
            if (s == null || s.id() > upTo || s.state() instanceof SessionState.Closed || !filter.test(s)) {
                return Reply.text("Session not found.\n");
            }
            StringBuilder sb = new StringBuilder(2048);
            SessionFormat.longForm(sb, s, System.nanoTime(), epochs.epochOf(s.id()));
            return Reply.text(sb.toString());
        }
        List<Session> snapshot = registry.snapshot(upTo);
        epochs.start(upTo, snapshot.isEmpty() ? upTo + 1 : snapshot.get(0).id());
        return new Dump(snapshot, filter, all, epochs);
    }

    /** The session is on (or connecting to) that server. */
    static boolean onServer(Session s, Server server) {
        if (s.server() == server) {
            return true;
        }
        return s.state() instanceof SessionState.Connecting c && c.server() == server;
    }

    /**
     * HAProxy's "suspicious": nothing will ever wake the session up (no timer armed), its timer
     * is already past, or it is closing.
     */
    static boolean suspicious(Session s) {
        SessionState st = s.state();
        if (!st.isLive()) {
            return true;
        }
        long next;
        if (s.io() instanceof CliHandler cli) {
            next = cli.idleTimeoutNanos() > 0 ? s.lastClientActivityNanos() + cli.idleTimeoutNanos() : Session.Timers.NEVER;
        } else {
            next = s.timers().next();
        }
        return next == Session.Timers.NEVER || next - System.nanoTime() < 0;
    }

    private static String arg(List<String> args, int i) {
        return i < args.size() ? args.get(i) : "";
    }

    /** Streams the selected sessions, one chunk per fill; sessions closed meanwhile are skipped. */
    static final class Dump implements Reply {
        private final List<Session> sessions;
        private final Predicate<Session> filter;
        private final boolean longForm;
        private final DumpEpochs epochs;
        private int next;

        Dump(List<Session> sessions, Predicate<Session> filter, boolean longForm, DumpEpochs epochs) {
            this.sessions = sessions;
            this.filter = filter;
            this.longForm = longForm;
            this.epochs = epochs;
        }

        @Override
        public boolean fill(ByteBuf out) {
            StringBuilder sb = new StringBuilder(longForm ? 2048 : 512);
            while (next < sessions.size() && out.writerIndex() < CHUNK) {
                Session s = sessions.get(next++);
                if (s.state() instanceof SessionState.Closed || !filter.test(s)) {
                    continue;
                }
                sb.setLength(0);
                long now = System.nanoTime();
                if (longForm) {
                    SessionFormat.longForm(sb, s, now, epochs.epochOf(s.id()));
                } else {
                    SessionFormat.shortLine(sb, s, now);
                }
                CliBytes.write(out, sb);
            }
            return next >= sessions.size();
        }
    }
}
