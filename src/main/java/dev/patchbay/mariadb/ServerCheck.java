package dev.patchbay.mariadb;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Server;
import dev.patchbay.mariadb.protocol.Capabilities;
import dev.patchbay.mariadb.protocol.Commands;
import dev.patchbay.mariadb.protocol.NativePassword;
import dev.patchbay.mariadb.protocol.Packets;
import dev.patchbay.net.HealthChecker;
import dev.patchbay.net.ProxyHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code health_check=mariadb}: logs into the server with the check's account (TLS when the server
 * has {@code ssl=true}), sends COM_PING, then COM_QUIT. The server is up when the login and the ping
 * succeed; its ERR (too many connections, host blocked, access denied, shutdown in progress) is the
 * check's description. Unlike a bare TCP connect this is a complete connection to the server, so it
 * never counts towards {@code max_connect_errors}, and a successful one resets that count.
 */
public final class ServerCheck implements HealthChecker.Probe {
    private static final byte[] PING = {Commands.COM_PING};
    /** The capabilities a plain client (the mariadb CLI) asks for; attributes name the check in the processlist. */
    private static final int CAPS = Capabilities.PROTOCOL_41 | Capabilities.SECURE_CONNECTION | Capabilities.PLUGIN_AUTH
            | Capabilities.TRANSACTIONS | Capabilities.CONNECT_ATTRS;
    private static final Map<String, String> ATTRIBUTES = Map.of("program_name", "patchbay-health-check");

    private final Patchbay patchbay;

    public ServerCheck(Patchbay patchbay) {
        this.patchbay = patchbay;
    }

    @Override
    public void run(EventLoop loop, Server server, Server.HealthCheck check, HealthChecker.Result result) {
        long started = System.nanoTime();
        BackendLogin.Credentials login = new BackendLogin.Credentials(check.user(),
                check.password().isEmpty() ? new byte[0] : NativePassword.sha1(check.password().getBytes(StandardCharsets.UTF_8)),
                null, CAPS, 0, ATTRIBUTES);
        // Not a client's connection: a header without addresses (v2 LOCAL, v1 UNKNOWN), as the PROXY protocol
        // specification says for health checks.
        new SideQuery(patchbay, loop, server, login, server.ssl() ? BackendTls.context(server) : null,
                ProxyHeaders.local(server.proxyProtocol()), PING, check.timeoutNanos(),
                new SideQuery.Outcome() {
                    @Override
                    public void answered(ByteBuf err) {
                        if (err == null) {
                            result.report(true, "login ok in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + "ms");
                            return;
                        }
                        try {
                            ByteBuf p = Packets.payload(err);
                            int code = p.readableBytes() >= 3 ? p.getUnsignedShortLE(p.readerIndex() + 1) : 0;
                            result.report(false, "error " + code + ": " + Packets.errMessage(p));
                        } finally {
                            err.release();
                        }
                    }

                    @Override
                    public void failed(String reason) {
                        result.report(false, reason);
                    }
                }).start();
    }
}
