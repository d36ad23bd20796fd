package dev.patchbay.mariadb;

import dev.patchbay.Patchbay;
import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Frontend;
import dev.patchbay.mariadb.protocol.PacketDecoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.EventExecutor;
import java.io.File;
import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code protocol=mariadb} listener: accepts clients onto the worker loops, each with a
 * {@link MariaDbSession}. Pipeline: [{@link SslRequestDetector}, replaced by an SslHandler after an
 * SSLRequest] → {@link PacketDecoder} → {@link MariaDbRelayHandler}.
 */
public final class MariaDbListener implements dev.patchbay.net.BoundListener {
    private static final Logger log = LoggerFactory.getLogger(MariaDbListener.class);

    private final Patchbay patchbay;
    private final PatchbayConfig.ListenerConfig config;
    private final Frontend frontend;
    private final MariaDbService service;
    private final SslContext tls;
    private final Map<EventExecutor, Integer> loopIndex = new IdentityHashMap<>();
    private Channel serverChannel;

    public MariaDbListener(Patchbay patchbay, PatchbayConfig.ListenerConfig config, Frontend frontend,
                           MariaDbService service) {
        this.patchbay = patchbay;
        this.config = config;
        this.frontend = frontend;
        this.service = service;
        this.tls = config.ssl() ? serverContext(config) : null;
    }

    private static SslContext serverContext(PatchbayConfig.ListenerConfig c) {
        try {
            SslContextBuilder b = SslContextBuilder.forServer(new File(c.sslCert()), new File(c.sslKey()));
            if (!c.sslCa().isEmpty()) {
                b.trustManager(new File(c.sslCa())).clientAuth(ClientAuth.OPTIONAL);
            }
            return b.build();
        } catch (Exception e) {
            throw new IllegalStateException("listener [" + c.name() + "]: cannot load ssl_cert/ssl_key/ssl_ca: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return config.name();
    }

    public Frontend frontend() {
        return frontend;
    }

    public void bind() throws Exception {
        int i = 0;
        for (EventExecutor e : patchbay.workers()) {
            loopIndex.put(e, i++);
        }
        ServerBootstrap b = new ServerBootstrap()
                .group(patchbay.workers())
                .channel(patchbay.transport().serverChannel())
                .option(ChannelOption.SO_BACKLOG, config.backlog())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        MariaDbSession s = new MariaDbSession(patchbay, frontend,
                                loopIndex.getOrDefault(ch.eventLoop(), 0), service, tls);
                        if (tls != null) {
                            ch.pipeline().addLast(SslRequestDetector.NAME, new SslRequestDetector(tls));
                        }
                        ch.pipeline().addLast(PacketDecoder.NAME, new PacketDecoder());
                        ch.pipeline().addLast(MariaDbRelayHandler.NAME, new MariaDbRelayHandler(s, true));
                    }
                });
        try {
            serverChannel = b.bind(config.address(), config.port()).sync().channel();
        } catch (Exception e) {
            throw new IllegalStateException("listener [" + config.name() + "] cannot listen on " + config.address() + ":"
                    + config.port() + ": " + e.getMessage(), e);
        }
        log.info("Listener {} (mariadb{}) on {} -> service {}", config.name(), tls != null ? ", TLS" : "",
                boundAddress(), config.service());
    }

    @Override
    public InetSocketAddress boundAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    @Override
    public void close() {
        if (serverChannel != null && serverChannel.isOpen()) {
            serverChannel.close().syncUninterruptibly();
        }
    }
}
