package dev.patchbay.mariadb.auth;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * MariaDB's host part of an account: an exact address, a {@code %}/{@code _} wildcard pattern
 * ({@code '%'}, {@code '10.%'}, {@code '192.168.1._'}), an {@code address/netmask}, or
 * {@code localhost}, which Patchbay matches for loopback clients (MariaDB would only match a UNIX
 * socket or a resolved name; Patchbay resolves no names). Host names other than localhost never
 * match: Patchbay does not reverse-resolve clients (MaxScale with skip_name_resolve).
 */
public final class HostPattern {
    private HostPattern() {}

    /** Does {@code pattern} match a client whose address is {@code ip} (textual, as InetAddress prints it)? */
    public static boolean matches(String pattern, String ip) {
        String p = pattern.toLowerCase(Locale.ROOT);
        String addr = ip.startsWith("::ffff:") ? ip.substring(7) : ip;
        if (p.equals("localhost")) {
            return addr.equals("127.0.0.1") || addr.equals("0:0:0:0:0:0:0:1") || addr.equals("::1");
        }
        int slash = p.indexOf('/');
        if (slash > 0) {
            return netmask(p.substring(0, slash), p.substring(slash + 1), addr);
        }
        return Wildcards.matches(p, addr.toLowerCase(Locale.ROOT), false);
    }

    /**
     * Sort rank as MariaDB orders accounts: exact hosts first, then patterns by how much fixed
     * text precedes the first wildcard, {@code '%'} last. Higher sorts first.
     */
    public static int specificity(String pattern) {
        int wild = -1;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '%' || c == '_') {
                wild = i;
                break;
            }
        }
        return wild < 0 ? Integer.MAX_VALUE : wild;
    }

    private static boolean netmask(String net, String mask, String addr) {
        try {
            byte[] n = InetAddress.getByName(net).getAddress();
            byte[] m = InetAddress.getByName(mask).getAddress();
            byte[] a = InetAddress.getByName(addr).getAddress();
            if (n.length != m.length || n.length != a.length) {
                return false;
            }
            for (int i = 0; i < n.length; i++) {
                if ((a[i] & m[i]) != (n[i] & m[i])) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
