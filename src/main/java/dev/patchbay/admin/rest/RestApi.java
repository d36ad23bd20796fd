package dev.patchbay.admin.rest;

import dev.patchbay.Patchbay;
import dev.patchbay.logging.SessionLogging;
import dev.patchbay.mariadb.BackendTls;
import dev.patchbay.mariadb.MariaDbListener;
import dev.patchbay.metrics.PatchbayMetrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.io.File;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MaxScale-compatible REST API on {@code [patchbay] admin_host:admin_port} (docs/rest-api.md).
 *
 * <p>Threads: HTTP runs on its own single event loop ({@code patchbay-rest}), never on a data-plane
 * loop, so a listing of many sessions never stalls traffic and health checks never wait for it.
 * Slow work (PBKDF2, reverse DNS, writing the users file) runs on a small bounded pool
 * ({@code patchbay-rest-blocking}). Changes to a session run on that session's own loop.
 *
 * <p>{@link #start()} also attaches per-session log levels and the session trace to Logback
 * ({@link SessionLogging}) for this Patchbay's sessions; {@link #close()} detaches them.
 */
public final class RestApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("patchbay.rest");
    /** Longest request line (URL) accepted; longer gets 414. */
    static final int MAX_INITIAL_LINE = 8192;
    /** Largest header block accepted; larger gets 431. */
    static final int MAX_HEADER_SIZE = 16384;

    private final Patchbay patchbay;
    private final RestSettings settings;
    private EventLoopGroup group;
    private EventExecutor loop;
    private ExecutorService blocking;
    private Channel serverChannel;
    private UserStore users;
    private Jwt jwt;
    private Auth auth;
    private ReverseDns rdns;
    private PatchbayMetrics metrics;
    private SessionWatcher watcher;
    private SessionEvents events;
    private SessionsResource sessionsResource;
    private SessionLogging.Handle logging;
    private final AtomicInteger connections = new AtomicInteger();
    /** HTTPS (admin_ssl_cert), null for plain HTTP; replaced as a whole by a TLS reload. */
    private volatile SslContext sslContext;

    public RestApi(Patchbay patchbay) {
        this(patchbay, RestSettings.from(patchbay.config()));
    }

    RestApi(Patchbay patchbay, RestSettings settings) {
        this.patchbay = patchbay;
        this.settings = settings;
    }

    private SslContext httpsContext() {
        for (String[] f : new String[][] {{"admin_ssl_cert", settings.sslCert()}, {"admin_ssl_key", settings.sslKey()}}) {
            if (!new File(f[1]).isFile() || !new File(f[1]).canRead()) {
                // Netty would say "does not contain valid certificates" of a file that is not there at all.
                throw new IllegalStateException("REST API TLS: " + f[0] + " " + f[1] + " is not a readable file");
            }
        }
        try {
            return SslContextBuilder.forServer(new File(settings.sslCert()), new File(settings.sslKey())).build();
        } catch (Exception e) {
            throw new IllegalStateException("REST API TLS: cannot load admin_ssl_cert " + settings.sslCert()
                    + " / admin_ssl_key " + settings.sslKey() + " (PEM, key in PKCS#8): " + e.getMessage(), e);
        }
    }

    /**
     * {@code POST /v1/maxscale/tls/reload}: every certificate Patchbay uses is read again (REST HTTPS, MariaDB
     * listeners, servers) and the new ones are put in force together, for connections made from then on; if
     * any cannot be loaded, none changes. Runs on the blocking pool.
     */
    void reloadTls() {
        List<Runnable> apply = new ArrayList<>();
        if (settings.tls()) {
            SslContext https = httpsContext();
            apply.add(() -> sslContext = https);
        }
        for (MariaDbListener l : patchbay.mariaDbListeners()) {
            apply.add(l.prepareTlsReload());
        }
        apply.add(BackendTls.prepareReload(patchbay.servers()));
        apply.forEach(Runnable::run);
        log.info("TLS certificates reloaded (REST API, {} MariaDB listener(s), servers with ssl=true)",
                patchbay.mariaDbListeners().size());
    }

    /** Binds the admin port; throws when it cannot (port in use, bad certificate, unreadable users file). */
    public void start() throws Exception {
        users = new UserStore(settings.usersFile(), settings.pbkdf2Iterations(), patchbay.startedEpochMillis());
        if (settings.tls()) {
            if (settings.sslCert().isEmpty() || settings.sslKey().isEmpty()) {
                throw new IllegalStateException("REST API TLS needs both admin_ssl_cert and admin_ssl_key");
            }
            sslContext = httpsContext();
        }
        group = patchbay.adminTransport().newGroup(1, "patchbay-rest");
        loop = group.next();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(256),
                new DefaultThreadFactory("patchbay-rest-blocking", true));
        pool.allowCoreThreadTimeOut(true);
        blocking = pool;
        jwt = new Jwt(settings.jwtIssuer());
        metrics = new PatchbayMetrics(patchbay);
        auth = new Auth(settings, users, jwt, blocking, metrics::authFailure);
        rdns = new ReverseDns(blocking, settings.rdnsTimeoutMillis());
        events = new SessionEvents(loop);
        watcher = new SessionWatcher(patchbay.sessions(), loop);
        watcher.addListener(events);
        watcher.addListener(new SessionWatcher.Listener() {
            @Override
            public void opened(dev.patchbay.core.Session s) {
            }

            @Override
            public void closed(dev.patchbay.core.Session s, dev.patchbay.core.Termination t) {
                metrics.sessionClosed(s);
            }
        });
        watcher.start();
        logging = SessionLogging.attach(patchbay.sessions(), settings.sessionTrace());

        Routes routes = new Routes();
        sessionsResource = new SessionsResource(this);
        sessionsResource.register(routes);
        new ObjectsResource(this).register(routes);
        new ConfigResource(this).register(routes);
        new LogSelectorsResource(this).register(routes);
        new UsersResource(this).register(routes);
        routes.sync("GET", "metrics", r -> ApiResponse.raw(200, metrics.scrape(), PatchbayMetrics.CONTENT_TYPE));
        Dispatcher dispatcher = new Dispatcher(this, routes);

        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(patchbay.adminTransport().serverChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.SO_BACKLOG, 256)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (connections.incrementAndGet() > settings.maxConnections()) {
                            connections.decrementAndGet();
                            ch.writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(overloadedResponse()))
                                    .addListener(ChannelFutureListener.CLOSE);
                            return;
                        }
                        ch.closeFuture().addListener(f -> connections.decrementAndGet());
                        // One request must arrive in full within admin_idle_timeout of its first byte.
                        RequestDeadline deadline = new RequestDeadline(settings.idleTimeoutNanos());
                        ch.pipeline().addLast("deadline", deadline);
                        SslContext tls = sslContext;
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, settings.idleTimeoutNanos(),
                                TimeUnit.NANOSECONDS));
                        ch.pipeline().addLast("http", new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, 8192));
                        ch.pipeline().addLast("aggregate", new BodyLimit(settings.maxBodyBytes()));
                        ch.pipeline().addLast("rest", new RestHandler(dispatcher, deadline));
                    }
                });
        try {
            serverChannel = b.bind(settings.host(), settings.port()).sync().channel();
        } catch (Exception e) {
            close();
            throw new IllegalStateException("REST API cannot listen on " + settings.host() + ":" + settings.port() + ": "
                    + e.getMessage(), e);
        }
        log.info("REST API on {}://{} (users file {}{})", settings.tls() ? "https" : "http", addressLabel(boundAddress()),
                users.file(), settings.authEnabled() ? "" : ", authentication OFF");
        if (users.get(UserStore.DEFAULT_USER) != null && users.get(UserStore.DEFAULT_USER).isBuiltInDefault()) {
            log.warn("REST API: the default account admin/mariadb is active (accepted from localhost only); "
                    + "create your own with POST /v1/users/inet and delete or change it");
        }
    }

    private static String addressLabel(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    private byte[] overloadedResponse() {
        byte[] body = Json.write(Json.errors(java.util.List.of("Too many REST API connections (admin_max_connections="
                + settings.maxConnections() + ")")), false);
        String head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\nConnection: close\r\n\r\n";
        byte[] h = head.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] out = new byte[h.length + body.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(body, 0, out, h.length, body.length);
        return out;
    }

    /** The bound address (its real port when admin_port=0). */
    public InetSocketAddress boundAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    @Override
    public void close() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        if (watcher != null) {
            watcher.stop();
        }
        if (events != null) {
            events.close();
        }
        if (sessionsResource != null) {
            sessionsResource.close();
        }
        if (logging != null) {
            logging.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (blocking != null) {
            blocking.shutdownNow();
        }
    }

    // ---- for the resources --------------------------------------------------------------------

    Patchbay patchbay() {
        return patchbay;
    }

    RestSettings settings() {
        return settings;
    }

    EventExecutor loop() {
        return loop;
    }

    ExecutorService blocking() {
        return blocking;
    }

    UserStore users() {
        return users;
    }

    Jwt jwt() {
        return jwt;
    }

    Auth auth() {
        return auth;
    }

    ReverseDns rdns() {
        return rdns;
    }

    PatchbayMetrics metrics() {
        return metrics;
    }

    SessionEvents events() {
        return events;
    }

    /** The body limit: 413 with an error body, then the connection is closed. */
    private static final class BodyLimit extends HttpObjectAggregator {
        BodyLimit(int max) {
            // closeOnExpectationFailed: a refused "Expect: 100-continue" closes the connection, as an oversized body does.
            super(max, true);
        }

        private FullHttpResponse tooLarge() {
            return Rest.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "Request body larger than the limit of " + maxContentLength() + " bytes", true);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            ctx.writeAndFlush(tooLarge()).addListener(ChannelFutureListener.CLOSE);
        }

        /** Netty refuses an announced oversized body with a bare 413; this one has the JSON error body. */
        @Override
        protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
            Object answer = super.newContinueResponse(start, maxContentLength, pipeline);
            if (answer instanceof HttpResponse r && r.status().code() == HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE.code()) {
                ReferenceCountUtil.release(answer);
                return tooLarge();
            }
            return answer;
        }
    }
}
