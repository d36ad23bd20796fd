package dev.patchbay.mariadb;

import dev.patchbay.Patchbay;
import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Frontend;
import dev.patchbay.mariadb.protocol.PacketDecoder;
import dev.patchbay.net.SocketListener;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;

/**
 * A {@code protocol=mariadb} listener: accepts clients onto the worker loops, each with a
 * {@link MariaDbSession}. Pipeline: [{@link SslRequestDetector}, replaced by an SslHandler after an
 * SSLRequest] → {@link PacketDecoder} → {@link MariaDbRelayHandler}.
 */
public final class MariaDbListener extends SocketListener {
    private final MariaDbService service;
    /** Replaced as a whole by a TLS reload: sessions take the one in force when they are accepted. */
    private volatile SslContext tls;

    public MariaDbListener(Patchbay patchbay, PatchbayConfig.ListenerConfig config, Frontend frontend,
                           MariaDbService service) {
        super(patchbay, config, frontend);
        this.service = service;
        this.tls = config.ssl() ? serverContext(config) : null;
    }

    /**
     * Reads {@code ssl_cert}/{@code ssl_key}/{@code ssl_ca} again (certificate rotation); the returned action puts
     * the new context in force. Throws, changing nothing, when they cannot be loaded. Call off the event loops.
     */
    public Runnable prepareTlsReload() {
        if (!config.ssl()) {
            return () -> { };
        }
        SslContext fresh = serverContext(config);
        return () -> tls = fresh;
    }

    private static SslContext serverContext(PatchbayConfig.ListenerConfig c) {
        try {
            SslContextBuilder b = SslContextBuilder.forServer(new File(c.sslCert()), new File(c.sslKey()));
            if (!c.sslCa().isEmpty()) {
                b.trustManager(new File(c.sslCa())).clientAuth(ClientAuth.OPTIONAL);
            }
            if (!c.sslProtocols().isEmpty()) {
                b.protocols(c.sslProtocols());
            }
            return b.build();
        } catch (Exception e) {
            throw new IllegalStateException("listener [" + c.name() + "]: cannot load ssl_cert/ssl_key/ssl_ca: "
                    + e.getMessage(), e);
        }
    }

    @Override
    protected void initClient(SocketChannel ch, int loop) {
        SslContext tls = this.tls;
        MariaDbSession s = new MariaDbSession(patchbay, frontend, loop, service, tls);
        if (tls != null) {
            ch.pipeline().addLast(SslRequestDetector.NAME, new SslRequestDetector(tls));
        }
        ch.pipeline().addLast(PacketDecoder.NAME, new PacketDecoder());
        ch.pipeline().addLast(MariaDbRelayHandler.NAME, new MariaDbRelayHandler(s, true));
    }

    @Override
    protected boolean proxyHeaderRequired() {
        return false;
    }

    @Override
    protected String protocolLabel() {
        return tls != null ? "mariadb, TLS" : "mariadb";
    }
}
