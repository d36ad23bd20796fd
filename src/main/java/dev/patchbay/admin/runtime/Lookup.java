package dev.patchbay.admin.runtime;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Frontend;
import dev.patchbay.core.Server;
import dev.patchbay.core.Service;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;

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
        for (Server s : svc.servers()) {
            if (sname.equals(s.name()) || sname.equals("#" + s.id())) {
                return new ServerRef(svc, s, null);
            }
        }
        return new ServerRef(svc, null, "No such server.\n");
    }

    /** An address or network ({@code 10.0.0.0/8}, {@code ::1}); null when it is neither. */
    record Network(byte[] prefix, int bits) {
        static Network parse(String text) {
            int slash = text.indexOf('/');
            String host = slash < 0 ? text : text.substring(0, slash);
            // Literal addresses only, so that nothing is ever sent to a resolver.
            boolean v4 = host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
            boolean v6 = host.contains(":") && host.matches("[0-9a-fA-F:.]+");
            if (!v4 && !v6) {
                return null;
            }
            byte[] addr;
            try {
                addr = InetAddress.getByName(host).getAddress();
            } catch (UnknownHostException e) {
                return null;
            }
            int bits = addr.length * 8;
            if (slash >= 0) {
                String b = text.substring(slash + 1);
                if (!b.matches("\\d{1,3}")) {
                    return null;
                }
                bits = Integer.parseInt(b);
                if (bits > addr.length * 8) {
                    return null;
                }
            }
            return new Network(addr, bits);
        }

        boolean contains(SocketAddress a) {
            if (!(a instanceof InetSocketAddress i) || i.getAddress() == null) {
                return false;
            }
            byte[] addr = i.getAddress().getAddress();
            if (addr.length != prefix.length) {
                addr = mapped(addr, prefix.length);
                if (addr == null) {
                    return false;
                }
            }
            int full = bits / 8;
            for (int k = 0; k < full; k++) {
                if (addr[k] != prefix[k]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (addr[full] & mask) == (prefix[full] & mask);
        }

        /** IPv4 clients seen as IPv4-mapped IPv6 and the other way round. */
        private static byte[] mapped(byte[] addr, int wanted) {
            if (addr.length == 16 && wanted == 4) {
                for (int k = 0; k < 10; k++) {
                    if (addr[k] != 0) {
                        return null;
                    }
                }
                if (addr[10] != (byte) 0xff || addr[11] != (byte) 0xff) {
                    return null;
                }
                return new byte[] {addr[12], addr[13], addr[14], addr[15]};
            }
            if (addr.length == 4 && wanted == 16) {
                byte[] m = new byte[16];
                m[10] = (byte) 0xff;
                m[11] = (byte) 0xff;
                System.arraycopy(addr, 0, m, 12, 4);
                return m;
            }
            return null;
        }
    }
}
