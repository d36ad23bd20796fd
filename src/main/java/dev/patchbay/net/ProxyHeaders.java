package dev.patchbay.net;

import dev.patchbay.core.Server;
import io.netty.channel.Channel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** PROXY protocol headers: the ones Patchbay sends to servers with {@code proxy_protocol}, and reading a received one. */
public final class ProxyHeaders {
    private ProxyHeaders() {}

    /**
     * The header of a connection made for a client at {@code client} that connected to {@code frontend}; null
     * when the server takes none. Addresses that are not both IP (cannot happen for TCP listeners) give the
     * header with no addresses (v1 {@code UNKNOWN}, v2 {@code LOCAL}), which servers take as "no client".
     */
    public static HAProxyMessage of(Server.ProxyProtocol version, SocketAddress client, SocketAddress frontend) {
        if (version == Server.ProxyProtocol.NONE) {
            return null;
        }
        if (!(client instanceof InetSocketAddress src) || !(frontend instanceof InetSocketAddress dst)
                || src.getAddress() == null || dst.getAddress() == null) {
            return local(version);
        }
        boolean v4 = src.getAddress() instanceof Inet4Address && dst.getAddress() instanceof Inet4Address;
        return new HAProxyMessage(version(version), HAProxyCommand.PROXY,
                v4 ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6,
                text(src.getAddress(), v4), text(dst.getAddress(), v4), src.getPort(), dst.getPort());
    }

    /** The header of a connection that is not a client's (health checks): no addresses; null when none is sent. */
    public static HAProxyMessage local(Server.ProxyProtocol version) {
        if (version == Server.ProxyProtocol.NONE) {
            return null;
        }
        return new HAProxyMessage(version(version), version == Server.ProxyProtocol.V1 ? HAProxyCommand.PROXY
                : HAProxyCommand.LOCAL, HAProxyProxiedProtocol.UNKNOWN, null, null, 0, 0);
    }

    /** Writes {@code header} as the connection's first bytes (the channel is connected, nothing written yet). */
    public static void write(Channel ch, HAProxyMessage header) {
        ch.pipeline().addFirst("proxy-header-encoder", HAProxyMessageEncoder.INSTANCE);
        ch.writeAndFlush(header, ch.voidPromise());
        ch.pipeline().remove(HAProxyMessageEncoder.INSTANCE);
    }

    /**
     * The client and frontend addresses a received header names, or null when it names none (a v2 LOCAL
     * command, v1 UNKNOWN: the connection's own addresses stand, as the specification says).
     */
    public static InetSocketAddress[] addresses(HAProxyMessage m) {
        if (m.command() != HAProxyCommand.PROXY || m.sourceAddress() == null || m.destinationAddress() == null
                || (m.proxiedProtocol() != HAProxyProxiedProtocol.TCP4 && m.proxiedProtocol() != HAProxyProxiedProtocol.TCP6)) {
            return null;
        }
        // The decoder checked that these are IP literals: no name lookup here.
        return new InetSocketAddress[] {
            new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(m.sourceAddress()), m.sourcePort()),
            new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(m.destinationAddress()), m.destinationPort())};
    }

    private static HAProxyProtocolVersion version(Server.ProxyProtocol v) {
        return v == Server.ProxyProtocol.V1 ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2;
    }

    /** An IPv4 address as IPv4, or as IPv4-mapped IPv6 when the other address of the header is IPv6. */
    private static String text(InetAddress a, boolean v4) {
        String s = NetUtil.toAddressString(a);
        return v4 || !(a instanceof Inet4Address) ? s : "::ffff:" + s;
    }
}
