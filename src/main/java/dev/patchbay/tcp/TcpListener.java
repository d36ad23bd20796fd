package dev.patchbay.tcp;

import dev.patchbay.Patchbay;
import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Frontend;
import dev.patchbay.net.BoundListener;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A {@code protocol=tcp} listener: accepts clients onto the worker loops and gives each a {@link TcpSession}. */
public final class TcpListener implements BoundListener {
    private static final Logger log = LoggerFactory.getLogger(TcpListener.class);

    private final Patchbay patchbay;
    private final PatchbayConfig.ListenerConfig config;
    private final Frontend frontend;
    private final Map<EventExecutor, Integer> loopIndex = new IdentityHashMap<>();
    private Channel serverChannel;

    public TcpListener(Patchbay patchbay, PatchbayConfig.ListenerConfig config, Frontend frontend) {
        this.patchbay = patchbay;
        this.config = config;
        this.frontend = frontend;
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
                // Reads start only once the backend is connected: nothing piles up meanwhile.
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        EventLoop loop = ch.eventLoop();
                        TcpSession session = new TcpSession(patchbay, frontend, loopIndex.getOrDefault(loop, 0));
                        ch.pipeline().addLast(TcpRelayHandler.NAME, new TcpRelayHandler(session, true));
                    }
                });
        try {
            serverChannel = b.bind(config.address(), config.port()).sync().channel();
        } catch (Exception e) {
            throw new IllegalStateException("listener [" + config.name() + "] cannot listen on " + config.address() + ":"
                    + config.port() + ": " + e.getMessage(), e);
        }
        log.info("Listener {} on {} -> service {}", config.name(), boundAddress(), config.service());
    }

    @Override
    public InetSocketAddress boundAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Stops accepting; sessions already accepted go on. */
    @Override
    public void close() {
        if (serverChannel != null && serverChannel.isOpen()) {
            serverChannel.close().syncUninterruptibly();
        }
    }
}
