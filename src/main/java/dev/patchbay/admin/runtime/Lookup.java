package dev.patchbay.admin.runtime;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Cidr;
import dev.patchbay.core.Frontend;
import dev.patchbay.core.Server;
import dev.patchbay.core.Session;
import dev.patchbay.core.Service;
import java.net.SocketAddress;
import java.util.List;

/** Name (or {@code #id}) lookups shared by the commands, with HAProxy's error texts. */
final class Lookup {
    private Lookup() {}

    /** A service by name or {@code #<id>}, or null. */
    static Service backend(Patchbay pb, String name) {
        for (Service s : pb.services().values()) {
            if (name.equals(s.name()) || name.equals("#" + s.id())) {
                return s;
            }
        }
        return null;
    }

    /** A listener's frontend by name or {@code #<id>}; {@code GLOBAL} / {@code #0} is the runtime API. */
    static Frontend frontend(Patchbay pb, String name) {
        for (Frontend f : pb.frontends().values()) {
            if (name.equals(f.name()) || name.equals("#" + f.id())) {
                return f;
            }
        }
        return null;
    }

    static boolean isGlobal(String name) {
        return name.equals(Frontend.GLOBAL) || name.equals("#0");
    }

    /** The result of resolving {@code <backend>/<server>}: a server or HAProxy's error text. */
    record SessionRef(Session session, String error) {}

    /** A live session from an id as {@code shutdown session} parses it, or HAProxy's error text. */
    static SessionRef session(Patchbay pb, String arg) {
        long id = arg == null || arg.isEmpty() ? 0 : CNumbers.strtoul(arg);
        if (id == 0) {
            return new SessionRef(null, "Session pointer expected (use 'show sess').\n");
        }
        Session s = pb.sessions().get(id);
        if (s == null || !s.state().isLive()) {
            return new SessionRef(null, "No such session (use 'show sess').\n");
        }
        return new SessionRef(s, null);
    }

    record ServerRef(Service service, Server server, String error) {}

    /**
     * HAProxy's {@code cli_find_server()}: split at the first {@code /}; an empty server part is
     * {@code Require 'backend/server'.}; names or {@code #id} on both sides.
     */
    static ServerRef server(Patchbay pb, String arg) {
        int slash = arg == null ? -1 : arg.indexOf('/');
        if (slash < 0 || slash == arg.length() - 1) {
            return new ServerRef(null, null, "Require 'backend/server'.\n");
        }
        Service svc = backend(pb, arg.substring(0, slash));
        if (svc == null) {
            return new ServerRef(null, null, "No such backend.\n");
        }
        String sname = arg.substring(slash + 1);
        List<Server> servers = svc.servers();
        if (sname.startsWith("#")) {
            // HAProxy reads the id with atoi: "#01" is server 1, "#x" none.
            int puid = CNumbers.atoi(sname.substring(1));
            return puid >= 1 && puid <= servers.size() ? new ServerRef(svc, servers.get(puid - 1), null)
                    : new ServerRef(svc, null, "No such server.\n");
        }
        for (Server s : servers) {
            if (sname.equals(s.name())) {
                return new ServerRef(svc, s, null);
            }
        }
        return new ServerRef(svc, null, "No such server.\n");
    }

    /**
     * A server's id inside its backend (HAProxy's puid): 1, 2, 3… in the order of the service's
     * {@code servers=} list; 0 when the server is no longer in that service. A server shared by two
     * services has one id in each. ({@link Server#id()} is Patchbay's global number, not shown here.)
     */
    static int serverId(Service svc, Server s) {
        return svc.servers().indexOf(s) + 1;
    }

    /** An address or network ({@code 10.0.0.0/8}, {@code ::1}); null when it is neither. */
    record Network(Cidr cidr) {
        static Network parse(String text) {
            Cidr c = Cidr.parse(text);
            return c == null ? null : new Network(c);
        }

        boolean contains(SocketAddress a) {
            return cidr.contains(a);
        }
    }
}
