package dev.patchbay;

import dev.patchbay.admin.rest.RestApi;
import dev.patchbay.admin.runtime.RuntimeApi;
import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.ConfigGeneration;
import dev.patchbay.core.FilterDef;
import dev.patchbay.core.Frontend;
import dev.patchbay.core.Server;
import dev.patchbay.core.Service;
import dev.patchbay.core.SessionRegistry;
import dev.patchbay.core.Termination;
import dev.patchbay.filter.Filter;
import dev.patchbay.mariadb.BackendTls;
import dev.patchbay.mariadb.MariaDbListener;
import dev.patchbay.mariadb.MariaDbService;
import dev.patchbay.mariadb.ServerCheck;
import dev.patchbay.net.BoundListener;
import dev.patchbay.net.ConnectionLimit;
import dev.patchbay.net.HealthChecker;
import dev.patchbay.net.Transport;
import dev.patchbay.tcp.TcpListener;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running proxy: the model built from a configuration, the data-plane event loops, the
 * listeners, the health checks and the two admin views. Tests start as many as they like.
 *
 * <p>The model changes at run time ({@link RuntimeConfig}): the maps of servers, services, listeners
 * and filters are immutable copies published through volatile fields, so readers (the data plane,
 * both admin views) never lock and always see one consistent map.
 */
public final class Patchbay implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Patchbay.class);

    private volatile PatchbayConfig config;
    private final Transport transport;
    private final Transport adminTransport;
    private final ConfigGeneration generation = new ConfigGeneration();
    private final SessionRegistry sessions = new SessionRegistry(generation);
    private volatile Map<String, Server> servers = Map.of();
    private volatile Map<String, Service> services = Map.of();
    private volatile Map<String, Frontend> frontends = Map.of();
    private volatile Map<String, Filter> filters = Map.of();
    /** Every bound listener, TCP and MariaDB. */
    private volatile List<BoundListener> listeners = List.of();
    /** MariaDB mode's per-service state, by service name; replaced when the service object is. */
    private final Map<String, MariaDbService> mariaDbServices = new java.util.concurrent.ConcurrentHashMap<>();
    private final RuntimeConfig runtimeConfig;
    private int nextServerId = 1;
    private int nextProxyId = 1;
    private final long startedNanos = System.nanoTime();
    private final long startedEpochMillis = System.currentTimeMillis();
    private EventLoopGroup workers;
    private EventLoopGroup admin;
    private HealthChecker healthChecker;
    private volatile ConnectionLimit connectionLimit;
    private RuntimeApi runtimeApi;
    private RestApi restApi;
    private volatile boolean stopping;

    public Patchbay(PatchbayConfig config) {
        this(config, Transport.select(config.global().transport()));
    }

    public Patchbay(PatchbayConfig config, Transport transport) {
        this.config = config;
        this.transport = transport;
        this.adminTransport = transport.forAdmin();
        buildModel();
        this.runtimeConfig = new RuntimeConfig(this, config);
    }

    private void buildModel() {
        Map<String, Filter> fs = new LinkedHashMap<>();
        for (PatchbayConfig.FilterConfig fc : config.filters()) {
            fs.put(fc.name(), Filter.create(fc));
        }
        Map<String, Server> ss = new LinkedHashMap<>();
        for (PatchbayConfig.ServerConfig sc : config.servers()) {
            ss.put(sc.name(), newServer(sc));
        }
        // HAProxy numbers proxies from 1 with GLOBAL as 0; services and listeners share the sequence.
        long gen = generation.current();
        Map<String, Service> svcs = new LinkedHashMap<>();
        for (PatchbayConfig.ServiceConfig sc : config.services()) {
            svcs.put(sc.name(), new Service(sc.name(), nextProxyId++, sc.settings(),
                    sc.servers().stream().map(ss::get).toList(), filterList(sc.filters(), fs), gen));
        }
        Map<String, Frontend> fes = new LinkedHashMap<>();
        for (PatchbayConfig.ListenerConfig lc : config.listeners()) {
            fes.put(lc.name(), newFrontend(lc, svcs.get(lc.service())));
        }
        filters = java.util.Collections.unmodifiableMap(fs);
        servers = java.util.Collections.unmodifiableMap(ss);
        services = java.util.Collections.unmodifiableMap(svcs);
        frontends = java.util.Collections.unmodifiableMap(fes);
    }

    /** A new server object with the next server id. */
    Server newServer(PatchbayConfig.ServerConfig sc) {
        return new Server(sc.name(), nextServerId++, sc.address(), sc.port(), resolve(sc.address(), sc.port()),
                sc.weight(), sc.maxConnections(), sc.healthCheck(), sc.role(), sc.tls(), sc.proxyProtocol());
    }

    /** A new listener frontend with the next proxy id. */
    Frontend newFrontend(PatchbayConfig.ListenerConfig lc, Service service) {
        Frontend fe = new Frontend(lc.name(), nextProxyId++, 1, lc.protocol(), bindLabel(lc), service, 0);
        fe.setMaxConnections(lc.maxConnections());
        return fe;
    }

    int nextProxyId() {
        return nextProxyId++;
    }

    static String bindLabel(PatchbayConfig.ListenerConfig lc) {
        return (lc.address().contains(":") ? "ipv6@[" + lc.address() + "]:" : "ipv4@" + lc.address() + ":") + lc.port();
    }

    static List<FilterDef> filterList(List<String> names, Map<String, Filter> fs) {
        return names.stream().<FilterDef>map(fs::get).toList();
    }

    /**
     * Binds a listener of either protocol. {@code cfg} is the configuration it belongs to (at run time,
     * the one being applied, not yet {@link #config()}).
     */
    BoundListener bindListener(PatchbayConfig cfg, PatchbayConfig.ListenerConfig lc, Frontend frontend) throws Exception {
        if (lc.protocol().equals("mariadb")) {
            MariaDbListener l = new MariaDbListener(this, lc, frontend, mariaDbService(cfg, frontend.service()));
            l.bind();
            return l;
        }
        TcpListener l = new TcpListener(this, lc, frontend);
        l.bind();
        return l;
    }

    /** Publishes a new model: called by {@link RuntimeConfig} under its lock, after everything was prepared. */
    void publish(PatchbayConfig config, Map<String, Server> servers, Map<String, Service> services,
                 Map<String, Frontend> frontends, Map<String, Filter> filters, List<BoundListener> listeners) {
        this.servers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(servers));
        this.services = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(services));
        this.frontends = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(frontends));
        this.filters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(filters));
        this.listeners = List.copyOf(listeners);
        this.config = config;
    }

    /** Resolved when the server is created, off every event loop. The address stays as configured for display. */
    static InetSocketAddress resolve(String host, int port) {
        try {
            // The configured text stays the address's host name, also for an IP literal (whose address then
            // prints as "10.0.0.1/10.0.0.1:3306", as a name's does as "db1/10.0.0.1:3306"). This matters per
            // connection: Netty names a connected channel's peer with the requested address's host string,
            // which for an address without a host name is a new String (56 bytes of every idle session's heap).
            return new InetSocketAddress(InetAddress.getByAddress(host, InetAddress.getByName(host).getAddress()), port);
        } catch (UnknownHostException e) {
            log.warn("Server address '{}' does not resolve now; connections will fail until it does", host);
            return InetSocketAddress.createUnresolved(host, port);
        }
    }

    private void startConnectionLimit() {
        int configured = config.global().maxConnections();
        long fds = ConnectionLimit.openFileLimit();
        int max = ConnectionLimit.effective(configured, fds);
        if (max == 0) {
            log.info("max_connections: none (the open-file limit is unknown)");
            return;
        }
        connectionLimit = new ConnectionLimit(max, this::listeners);
        sessions.addListener(connectionLimit);
        if (configured == 0) {
            log.info("max_connections {} (from the open-file limit {})", max, fds);
        } else if (fds > 0 && 2L * configured + ConnectionLimit.RESERVED_FDS > fds) {
            log.warn("max_connections={} needs about {} file descriptors, but the open-file limit is {}: raise it"
                    + " (ulimit -n, LimitNOFILE=) or sessions will fail with 'Too many open files' first", configured,
                    2L * configured + ConnectionLimit.RESERVED_FDS, fds);
        }
    }

    /** Binds every listener and admin socket; throws if any cannot be bound. */
    public Patchbay start() throws Exception {
        int threads = config.global().threads() > 0 ? config.global().threads()
                : Runtime.getRuntime().availableProcessors();
        workers = transport.newGroup(threads, "patchbay-worker");
        admin = adminTransport().newGroup(1, "patchbay-admin");
        log.info("Patchbay {} starting: {} worker threads, {} transport{}", Version.VERSION, threads,
                transport.name(), transport.isEpoll() || !config.global().transport().equals("auto") ? ""
                        : " (epoll unavailable: " + Transport.epollUnavailableReason() + ")");
        if (!transport.isEpoll()) {
            List<String> splicing = config.services().stream().filter(s -> s.settings().splice())
                    .map(PatchbayConfig.ServiceConfig::name).toList();
            if (!splicing.isEmpty()) {
                log.warn("splice=true on service(s) {} has no effect without the epoll transport: their sessions copy",
                        String.join(", ", splicing));
            }
        }
        try {
            // Reads the servers' PEM files here, not on an event loop at the first connect.
            config.servers().forEach(sc -> BackendTls.prepare(sc.name(), sc.tls()));
            startConnectionLimit();
            List<BoundListener> bound = new ArrayList<>();
            try {
                for (PatchbayConfig.ListenerConfig lc : config.listeners()) {
                    bound.add(bindListener(config, lc, frontends.get(lc.name())));
                }
            } finally {
                listeners = List.copyOf(bound);
            }
            mariaDbServices.values().forEach(MariaDbService::start);
            healthChecker = new HealthChecker(this, Map.of(Server.CheckKind.MARIADB, new ServerCheck(this)));
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

    /** The transport of the stats sockets and the REST API ({@link Transport#forAdmin()}). */
    public Transport adminTransport() {
        return adminTransport;
    }

    public SessionRegistry sessions() {
        return sessions;
    }

    /** The servers now, by name (an immutable copy; the next change publishes another). */
    public Map<String, Server> servers() {
        return servers;
    }

    public Map<String, Service> services() {
        return services;
    }

    /** The listeners' frontends, by listener name (runtime API frontends are the runtime API's). */
    public Map<String, Frontend> frontends() {
        return frontends;
    }

    /** The filters now, by name. */
    public Map<String, Filter> filters() {
        return filters;
    }

    public List<BoundListener> listeners() {
        return listeners;
    }

    /** The configuration generation: 1 at start, +1 per change made at run time. */
    public ConfigGeneration generation() {
        return generation;
    }

    /** Creates, changes and destroys objects at run time (the REST API uses it). */
    public RuntimeConfig runtimeConfig() {
        return runtimeConfig;
    }

    HealthChecker healthChecker() {
        return healthChecker;
    }

    /**
     * Stops or restarts accepting on listener {@code name} (runtime API disable/enable frontend, REST listener
     * stop/start): it stays bound, sessions already accepted go on. Returns the previous state, or null when there
     * is no such listener.
     */
    public Boolean setListenerStopped(String name, boolean stopped) {
        Frontend fe = frontends.get(name);
        if (fe == null) {
            return null;
        }
        boolean was = fe.setStopped(stopped);
        listeners.stream().filter(l -> l.name().equals(name)).forEach(BoundListener::updateAccepting);
        if (was != stopped) {
            log.info("Listener {} {}", name, stopped ? "stopped: it accepts no new clients until started again"
                    : "started: it accepts new clients again");
        }
        return was;
    }

    /** The process-wide session limit, or null when there is none (no open-file limit known, not configured). */
    public ConnectionLimit connectionLimit() {
        return connectionLimit;
    }

    /** The {@code protocol=mariadb} listeners. */
    public List<MariaDbListener> mariaDbListeners() {
        List<MariaDbListener> out = new ArrayList<>();
        for (BoundListener l : listeners) {
            if (l instanceof MariaDbListener m) {
                out.add(m);
            }
        }
        return out;
    }

    /** The MariaDB-mode state of a service used by a mariadb listener, null otherwise. */
    public MariaDbService mariaDbServiceOf(String service) {
        return mariaDbServices.get(service);
    }

    /**
     * The MariaDB-mode state of {@code service} (created for the first mariadb listener of that service
     * object, from {@code cfg}'s settings; started at once when Patchbay already runs).
     */
    private MariaDbService mariaDbService(PatchbayConfig cfg, Service service) {
        MariaDbService m = mariaDbServices.get(service.name());
        if (m != null && m.service() == service) {
            return m;
        }
        PatchbayConfig.ServiceConfig sc = cfg.services().stream().filter(s -> s.name().equals(service.name()))
                .findFirst().orElseThrow();
        MariaDbService created = new MariaDbService(service, sc.mariadb(), cfg.global().retainLastStatements());
        MariaDbService old = mariaDbServices.put(service.name(), created);
        if (old != null) {
            old.close();
        }
        if (healthChecker != null) {
            // Patchbay is running (a listener created at run time): start it now, not with the others.
            created.start();
        }
        return created;
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
        for (BoundListener l : listeners) {
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
        for (BoundListener l : listeners) {
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
        // From the registry: sessions of listeners destroyed at run time count too.
        int n = 0;
        for (dev.patchbay.core.Session s : sessions.snapshot()) {
            if (s.service() != null) {
                n++;
            }
        }
        return n;
    }

    private void closeNow() {
        stopping = true;
        for (BoundListener l : listeners) {
            l.close();
        }
        for (Filter f : filters.values()) {
            f.retire();
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
