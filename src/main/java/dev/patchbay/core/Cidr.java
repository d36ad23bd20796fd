package dev.patchbay.core;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 address or network ({@code 10.0.0.7}, {@code 10.0.0.0/8}, {@code ::1}, {@code fd00::/8}).
 * Literal addresses only: nothing is ever sent to a resolver. IPv4 clients seen as IPv4-mapped IPv6
 * addresses match IPv4 networks, and the other way round.
 */
public record Cidr(byte[] prefix, int bits, String text) {

    /** The network, or null when {@code text} is not a literal address with an optional {@code /bits}. */
    public static Cidr parse(String text) {
        int slash = text.indexOf('/');
        String host = slash < 0 ? text : text.substring(0, slash);
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
        return new Cidr(addr, bits, text);
    }

    public boolean contains(SocketAddress a) {
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

    @Override
    public String toString() {
        return text;
    }
}
