package dev.patchbay.net;

import dev.patchbay.Patchbay;
import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Cidr;
import dev.patchbay.core.Frontend;
import dev.patchbay.logging.EveryMinute;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every protocol's listener does alike: accept onto the worker loops with reads off unless the
 * protocol turns them on (nothing is read before the session is ready for it), bind with a clear error,
 * report its address, close. Subclasses build each client's pipeline.
 */
public abstract class SocketListener implements BoundListener {
    private static final Logger log = LoggerFactory.getLogger(SocketListener.class);

    protected final Patchbay patchbay;
    protected final PatchbayConfig.ListenerConfig config;
    protected final Frontend frontend;
    private final Map<EventExecutor, Integer> loopIndex = new IdentityHashMap<>();
    /** Peers whose connections start with a PROXY protocol header (besides every peer when proxyFromAll: =*). */
    private final List<Cidr> proxyNetworks;
    private final boolean proxyFromAll;
    private Channel serverChannel;

    protected SocketListener(Patchbay patchbay, PatchbayConfig.ListenerConfig config, Frontend frontend) {
        this.patchbay = patchbay;
        this.config = config;
        this.frontend = frontend;
        this.proxyFromAll = config.proxyProtocolNetworks().contains("*");
        this.proxyNetworks = config.proxyProtocolNetworks().stream().filter(n -> !n.equals("*")).map(Cidr::parse).toList();
    }

    /**
     * Whether a peer in {@code proxy_protocol_networks} must send a PROXY header (TCP mode, HAProxy's accept-proxy)
     * or may (MariaDB mode, as MariaDB Server and MaxScale).
     */
    protected boolean proxyHeaderRequired() {
        return true;
    }

    private boolean sendsProxyHeader(SocketChannel ch) {
        if (proxyFromAll) {
            return true;
        }
        for (Cidr c : proxyNetworks) {
            if (c.contains(ch.remoteAddress())) {
                return true;
            }
        }
        return false;
    }

    /** Sets up one accepted client's pipeline; {@code loop} is its event loop's index (the session's thread). */
    protected abstract void initClient(SocketChannel ch, int loop);

    /** Protocol-specific child options. */
    protected void configure(ServerBootstrap b) {
    }

    /** How the start-up log line names the protocol, e.g. {@code "mariadb, TLS"}. */
    protected abstract String protocolLabel();

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
                .channelFactory(() -> patchbay.transport().newServerChannel(config.address()))
                .option(ChannelOption.SO_BACKLOG, config.backlog())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, Transport.SESSION_READS)
                // TCP_NODELAY: Netty's socket channels turn it on when they are created; setting it
                // again as a child option cost one more setsockopt per accepted connection.
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        initClient(ch, loopIndex.getOrDefault(ch.eventLoop(), 0));
                        if (sendsProxyHeader(ch)) {
                            ch.pipeline().addFirst(ProxyHeaderReader.NAME, new ProxyHeaderReader(proxyHeaderRequired()));
                        }
                    }
                });
        configure(b);
        try {
            serverChannel = b.bind(config.address(), config.port()).sync().channel();
        } catch (Exception e) {
            throw new IllegalStateException("listener [" + config.name() + "] cannot listen on " + config.address() + ":"
                    + config.port() + ": " + bindProblem(e), e);
        }
        // After Netty's acceptor, which pauses accepting for 1 s on an accept error and passes the error on.
        serverChannel.pipeline().addLast("accept-errors", new AcceptErrors());
        frontend.onAcceptingChanged(this::updateAccepting);
        updateAccepting();
        log.info("Listener {} ({}) on {} -> service {}", config.name(), protocolLabel(), boundAddress(), config.service());
    }

    /** A bind failure in words; an address that does not resolve comes without a message of its own. */
    public static String bindProblem(Throwable e) {
        if (e instanceof java.nio.channels.UnresolvedAddressException) {
            return "the host name does not resolve";
        }
        // The kernel's words ("Address already in use"), not Netty's "bind(..) failed with error(-98): ".
        return Transport.ioProblem(e);
    }

    @Override
    public void updateAccepting() {
        Channel ch = serverChannel;
        if (ch == null) {
            return;
        }
        // On the listener's loop, reading the flags there: changes from several threads end in the latest state.
        ch.eventLoop().execute(() -> {
            ConnectionLimit limit = patchbay.connectionLimit();
            ch.config().setAutoRead(!frontend.stopped() && !frontend.full() && (limit == null || !limit.paused()));
        });
    }

    /**
     * Says in one line, at most once a minute, why accepting failed (typically EMFILE: the open-file limit),
     * instead of Netty's "reached the tail of the pipeline" warning with a stack trace every second.
     */
    private final class AcceptErrors extends ChannelInboundHandlerAdapter {
        /** Used on the listener's event loop only. */
        private final EveryMinute failures = new EveryMinute();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            String suffix = failures.occurred();
            if (suffix == null) {
                return;
            }
            ConnectionLimit limit = patchbay.connectionLimit();
            log.error("Listener {} cannot accept: {} ({} sessions, open-file limit {}; max_connections {}); retrying"
                    + " every second{}", config.name(), cause.getMessage(), patchbay.sessions().size(),
                    ConnectionLimit.openFileLimit(), limit == null || limit.max() == 0 ? "none" : limit.max(), suffix);
        }
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
