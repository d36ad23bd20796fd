package dev.patchbay;

import dev.patchbay.admin.rest.RestApi;
import dev.patchbay.admin.runtime.RuntimeApi;
import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Frontend;
import dev.patchbay.core.Server;
import dev.patchbay.core.Service;
import dev.patchbay.core.SessionRegistry;
import dev.patchbay.core.Termination;
import dev.patchbay.mariadb.MariaDbListener;
import dev.patchbay.mariadb.MariaDbService;
import dev.patchbay.net.HealthChecker;
import dev.patchbay.net.Transport;
import dev.patchbay.tcp.TcpListener;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running proxy: the model built from a configuration, the data-plane event loops, the
 * listeners, the health checks and the two admin views. Tests start as many as they like.
 */
public final class Patchbay implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Patchbay.class);

    private final PatchbayConfig config;
    private final Transport transport;
    private final SessionRegistry sessions = new SessionRegistry();
    private final Map<String, Server> servers = new LinkedHashMap<>();
    private final Map<String, Service> services = new LinkedHashMap<>();
    private final Map<String, Frontend> frontends = new LinkedHashMap<>();
    private final List<TcpListener> listeners = new ArrayList<>();
    private final List<MariaDbListener> mariaDbListeners = new ArrayList<>();
    private final Map<String, MariaDbService> mariaDbServices = new LinkedHashMap<>();
    private final long startedNanos = System.nanoTime();
    private final long startedEpochMillis = System.currentTimeMillis();
    private EventLoopGroup workers;
    private EventLoopGroup admin;
    private HealthChecker healthChecker;
    private RuntimeApi runtimeApi;
    private RestApi restApi;
    private volatile boolean stopping;

    public Patchbay(PatchbayConfig config) {
        this(config, Transport.detect());
    }

    public Patchbay(PatchbayConfig config, Transport transport) {
        this.config = config;
        this.transport = transport;
        buildModel();
    }

    private void buildModel() {
        int serverId = 1;
        for (PatchbayConfig.ServerConfig sc : config.servers()) {
            servers.put(sc.name(), new Server(sc.name(), serverId++, sc.address(), sc.port(),
                    resolve(sc.address(), sc.port()), sc.weight(), sc.maxConnections(), sc.healthCheck(),
                    sc.role(), sc.ssl()));
        }
        // HAProxy numbers proxies from 1 with GLOBAL as 0; services and listeners share the sequence.
        int proxyId = 1;
        for (PatchbayConfig.ServiceConfig sc : config.services()) {
            List<Server> list = sc.servers().stream().map(servers::get).toList();
            services.put(sc.name(), new Service(sc.name(), proxyId++, sc.settings(), list));
        }
        for (PatchbayConfig.ListenerConfig lc : config.listeners()) {
            String label = (lc.address().contains(":") ? "ipv6@[" + lc.address() + "]:" : "ipv4@" + lc.address() + ":")
                    + lc.port();
            frontends.put(lc.name(), new Frontend(lc.name(), proxyId++, 1, lc.protocol(), label,
                    services.get(lc.service()), 0));
        }
    }

    /** Resolved once at start-up, off every event loop. The address stays as configured for display. */
    private static InetSocketAddress resolve(String host, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            log.warn("Server address '{}' does not resolve now; connections will fail until it does", host);
            return InetSocketAddress.createUnresolved(host, port);
        }
    }

    /** Binds every listener and admin socket; throws if any cannot be bound. */
    public Patchbay start() throws Exception {
        int threads = config.global().threads() > 0 ? config.global().threads()
                : Runtime.getRuntime().availableProcessors();
        workers = transport.newGroup(threads, "patchbay-worker");
        admin = transport.newGroup(1, "patchbay-admin");
        log.info("Patchbay {} starting: {} worker threads, {} transport{}", Version.VERSION, threads,
                transport.name(), transport.isEpoll() ? "" : " (epoll unavailable: " + Transport.epollUnavailableReason() + ")");
        try {
            for (PatchbayConfig.ListenerConfig lc : config.listeners()) {
                if (lc.protocol().equals("mariadb")) {
                    MariaDbListener l = new MariaDbListener(this, lc, frontends.get(lc.name()), mariaDbService(lc.service()));
                    l.bind();
                    mariaDbListeners.add(l);
                    continue;
                }
                TcpListener l = new TcpListener(this, lc, frontends.get(lc.name()));
                l.bind();
                listeners.add(l);
            }
            mariaDbServices.values().forEach(MariaDbService::start);
            healthChecker = new HealthChecker(this);
            healthChecker.start();
            runtimeApi = new RuntimeApi(this);
            runtimeApi.start();
            if (config.global().adminEnabled()) {
                restApi = new RestApi(this);
                restApi.start();
            }
        } catch (Exception e) {
            closeNow();
            throw e;
        }
        return this;
    }

    public PatchbayConfig config() {
        return config;
    }

    public Transport transport() {
        return transport;
    }

    public SessionRegistry sessions() {
        return sessions;
    }

    public Map<String, Server> servers() {
        return Collections.unmodifiableMap(servers);
    }

    public Map<String, Service> services() {
        return Collections.unmodifiableMap(services);
    }

    /** The listeners' frontends, by listener name (runtime API frontends are the runtime API's). */
    public Map<String, Frontend> frontends() {
        return Collections.unmodifiableMap(frontends);
    }

    public List<TcpListener> listeners() {
        return Collections.unmodifiableList(listeners);
    }

    /** The {@code protocol=mariadb} listeners. */
    public List<MariaDbListener> mariaDbListeners() {
        return Collections.unmodifiableList(mariaDbListeners);
    }

    /** The MariaDB-mode state of a service used by a mariadb listener, null otherwise. */
    public MariaDbService mariaDbServiceOf(String service) {
        return mariaDbServices.get(service);
    }

    private MariaDbService mariaDbService(String name) {
        return mariaDbServices.computeIfAbsent(name, n -> {
            PatchbayConfig.ServiceConfig sc = config.services().stream().filter(s -> s.name().equals(n)).findFirst()
                    .orElseThrow();
            return new MariaDbService(services.get(n), sc.mariadb(), config.global().retainLastStatements());
        });
    }

    /** The data-plane event loops. Sessions and their backend connections live here. */
    public EventLoopGroup workers() {
        return workers;
    }

    /** The admin thread(s): REST and health-check bookkeeping, never a data-plane loop. */
    public EventLoopGroup adminGroup() {
        return admin;
    }

    public RuntimeApi runtimeApi() {
        return runtimeApi;
    }

    public RestApi restApi() {
        return restApi;
    }

    public long startedNanos() {
        return startedNanos;
    }

    public long startedEpochMillis() {
        return startedEpochMillis;
    }

    public boolean isStopping() {
        return stopping;
    }

    /** The address a listener is bound to (its real port when configured with port=0). */
    public InetSocketAddress listenerAddress(String name) {
        for (TcpListener l : listeners) {
            if (l.name().equals(name)) {
                return l.boundAddress();
            }
        }
        for (MariaDbListener l : mariaDbListeners) {
            if (l.name().equals(name)) {
                return l.boundAddress();
            }
        }
        throw new IllegalArgumentException("no listener " + name);
    }

    /**
     * Graceful stop: listeners close at once, live sessions get {@code graceNanos} to finish, the
     * rest are closed, then everything shuts down.
     */
    public void stop(long graceNanos) throws InterruptedException {
        stopping = true;
        for (TcpListener l : listeners) {
            l.close();
        }
        for (MariaDbListener l : mariaDbListeners) {
            l.close();
        }
        long deadline = System.nanoTime() + graceNanos;
        int live = proxiedSessionCount();
        if (live > 0) {
            log.info("Stopping: waiting up to {} ms for {} sessions to finish", TimeUnit.NANOSECONDS.toMillis(graceNanos), live);
        }
        while (proxiedSessionCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        int left = proxiedSessionCount();
        if (left > 0) {
            log.info("Stopping: closing {} sessions still open after the grace period", left);
            try {
                sessions.killAll(s -> s.service() != null, Termination.of(Termination.Cause.SHUTDOWN))
                        .get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("Stopping: some sessions did not close in time: {}", e.toString());
            }
        }
        closeNow();
    }

    private int proxiedSessionCount() {
        int n = 0;
        for (Frontend f : frontends.values()) {
            n += (int) f.currentSessions();
        }
        return n;
    }

    private void closeNow() {
        stopping = true;
        for (TcpListener l : listeners) {
            l.close();
        }
        for (MariaDbListener l : mariaDbListeners) {
            l.close();
        }
        mariaDbServices.values().forEach(MariaDbService::close);
        if (healthChecker != null) {
            healthChecker.close();
        }
        if (restApi != null) {
            restApi.close();
        }
        if (runtimeApi != null) {
            runtimeApi.close();
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (admin != null) {
            admin.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Override
    public void close() {
        try {
            stop(0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
