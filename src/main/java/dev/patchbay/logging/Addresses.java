package dev.patchbay.logging;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** Socket addresses as operators read them: {@code 127.0.0.1:4242}, {@code [::1]:4242}, {@code unix:/path}. */
public final class Addresses {
    private Addresses() {}

    public static String format(SocketAddress a) {
        if (a instanceof InetSocketAddress i) {
            String host = i.getAddress() != null ? i.getAddress().getHostAddress() : i.getHostString();
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + i.getPort();
        }
        return a == null ? "-" : a.toString();
    }
}
