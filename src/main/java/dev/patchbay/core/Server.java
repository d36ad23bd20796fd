package dev.patchbay.core;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * A backend server. Health and admin state are volatile so routers on every event loop read them
 * without locks; the connection count is an atomic because sessions of all loops share it.
 */
public final class Server {

    /** Result of health checking. */
    public enum Health { UP, DOWN }

    /** Operator-set state (MaxScale's maintenance / drain, HAProxy's maint / drain). */
    public enum AdminState { READY, DRAIN, MAINTENANCE }

    /** {@code tcp}: a connect; {@code mariadb}: a login and COM_PING (see docs/configuration.md); {@code none}. */
    public enum CheckKind { TCP, MARIADB, NONE }

    /** The PROXY protocol header each session's connection to the server starts with (HAProxy send-proxy[-v2]). */
    public enum ProxyProtocol { NONE, V1, V2 }

    /** Replication role (config {@code role=}, later set by a monitor); NONE when unknown. */
    public enum Role { MASTER, SLAVE, NONE }

    /**
     * MariaDB mode's TLS to this server (MaxScale's server {@code ssl*} parameters): {@code cert}/{@code key} are
     * the client certificate Patchbay presents (both or neither); {@code ca} verifies the server's certificate
     * when {@code verifyPeerCertificate} (the JVM's trusted CAs without it), and {@code verifyPeerHost} also
     * checks that the certificate names the server's address. {@code protocols}: the TLS versions allowed, as
     * JDK names ({@code TLSv1.3}); empty for the JVM's defaults ({@code ssl_version=MAX}).
     */
    public record Tls(boolean enabled, String ca, String cert, String key, boolean verifyPeerCertificate,
                      boolean verifyPeerHost, List<String> protocols) {
        public static final Tls OFF = new Tls(false, "", "", "", false, false, List.of());
    }

    /** {@code user}/{@code password}: the account a {@code mariadb} check logs in with (empty otherwise). */
    public record HealthCheck(CheckKind kind, long intervalNanos, long timeoutNanos, int rise, int fall,
                              String user, String password) {
        public HealthCheck(CheckKind kind, long intervalNanos, long timeoutNanos, int rise, int fall) {
            this(kind, intervalNanos, timeoutNanos, rise, fall, "", "");
        }

        public HealthCheck withLogin(CheckKind kind, String user, String password) {
            return new HealthCheck(kind, intervalNanos, timeoutNanos, rise, fall, user, password);
        }

        @Override
        public String toString() {
            return "HealthCheck[" + kind + ", interval " + intervalNanos + " ns, timeout " + timeoutNanos + " ns, rise " + rise
                    + ", fall " + fall + (user.isEmpty() ? "" : ", user " + user) + "]";
        }
    }

    private final String name;
    private final int id;
    // Changed at run time by the REST API (PATCH /v1/servers/:id): new connections use the new values,
    // connections already open stay where they are.
    private volatile String host;
    private volatile int port;
    private volatile InetSocketAddress address;
    // Operators change these at run time (runtime API set weight / set maxconn server).
    private volatile int weight;
    private volatile int initialWeight;
    private volatile int maxConnections;
    private volatile HealthCheck healthCheck;
    /** Set once the server is destroyed at run time: its health check stops. */
    private volatile boolean retired;
    private volatile Tls tls;
    private volatile ProxyProtocol proxyProtocol;
    private volatile Role role = Role.NONE;

    private final Slots connections = new Slots(this::maxConnections);
    private final LongAdder connectFailures = new LongAdder();
    private volatile Health health = Health.UP;
    private volatile AdminState adminState = AdminState.READY;
    private volatile long healthChangedNanos = System.nanoTime();
    // HAProxy's last_change: any change of health or admin state (the runtime API's lastchg).
    private volatile long stateChangedNanos = healthChangedNanos;
    private volatile String lastCheckResult = "";
    // Written by the health checker only (one task per server, never concurrent).
    private int consecutiveOk;
    private int consecutiveFail;

    public Server(String name, int id, String host, int port, InetSocketAddress address, int weight,
                  int maxConnections, HealthCheck healthCheck) {
        this(name, id, host, port, address, weight, maxConnections, healthCheck, Role.NONE, Tls.OFF, ProxyProtocol.NONE);
    }

    public Server(String name, int id, String host, int port, InetSocketAddress address, int weight,
                  int maxConnections, HealthCheck healthCheck, Role role, Tls tls, ProxyProtocol proxyProtocol) {
        this.role = role;
        this.tls = tls;
        this.proxyProtocol = proxyProtocol;
        this.name = name;
        this.id = id;
        this.host = host;
        this.port = port;
        this.address = address;
        this.weight = weight;
        this.initialWeight = weight;
        this.maxConnections = maxConnections;
        this.healthCheck = healthCheck;
    }

    public String name() {
        return name;
    }

    public int id() {
        return id;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public InetSocketAddress address() {
        return address;
    }

    public int weight() {
        return weight;
    }

    /** The weight from the configuration, the base for relative ("50%") changes. */
    public int initialWeight() {
        return initialWeight;
    }

    /** Takes effect for the next routing decision; existing sessions stay where they are. */
    public void setWeight(int weight) {
        this.weight = weight;
    }

    /** 0 means unlimited. */
    public int maxConnections() {
        return maxConnections;
    }

    /** MariaDB mode: connect to this server with TLS. */
    public boolean ssl() {
        return tls.enabled();
    }

    public Tls tls() {
        return tls;
    }

    public ProxyProtocol proxyProtocol() {
        return proxyProtocol;
    }

    public Role role() {
        return role;
    }

    public void setRole(Role role) {
        this.role = role;
    }

    /** Lowering it never cuts sessions; it only stops new ones until the count falls below. */
    public void setMaxConnections(int maxConnections) {
        this.maxConnections = maxConnections;
    }

    public HealthCheck healthCheck() {
        return healthCheck;
    }

    /**
     * A runtime configuration change: address, weight (also the new base for relative weights), limit,
     * health check, and MariaDB mode's role and TLS. Open connections are not touched; the next connect and check use the new values.
     */
    public void reconfigure(String host, int port, InetSocketAddress address, int weight, int maxConnections,
                            HealthCheck healthCheck, Role role, Tls tls, ProxyProtocol proxyProtocol) {
        this.role = role;
        this.tls = tls;
        this.proxyProtocol = proxyProtocol;
        this.host = host;
        this.port = port;
        this.address = address;
        this.weight = weight;
        this.initialWeight = weight;
        this.maxConnections = maxConnections;
        this.healthCheck = healthCheck;
        if (healthCheck.kind() == CheckKind.NONE && health != Health.UP) {
            // No more checks: a server without checks is always up.
            setHealth(Health.UP);
        }
    }

    /** The server was destroyed at run time; sessions on it go on, its health check stops. */
    public void retire() {
        retired = true;
    }

    public boolean retired() {
        return retired;
    }

    public Health health() {
        return health;
    }

    public AdminState adminState() {
        return adminState;
    }

    public void setAdminState(AdminState state) {
        if (this.adminState != state) {
            stateChangedNanos = System.nanoTime();
        }
        this.adminState = state;
    }

    public long healthChangedNanos() {
        return healthChangedNanos;
    }

    /** When the health or the admin state last changed (HAProxy's last_change). */
    public long stateChangedNanos() {
        return stateChangedNanos;
    }

    public String lastCheckResult() {
        return lastCheckResult;
    }

    /** May new sessions be sent here (ignoring max_connections)? */
    public boolean acceptsNewSessions() {
        return health == Health.UP && adminState == AdminState.READY && weight > 0;
    }

    public int connections() {
        return connections.taken();
    }

    public long totalConnections() {
        return connections.total();
    }

    public long connectFailures() {
        return connectFailures.sum();
    }

    public boolean isFull() {
        return connections.isFull();
    }

    /** Takes a connection slot if max_connections allows. */
    public boolean tryAcquire() {
        return connections.tryAcquire();
    }

    public void release() {
        connections.release();
    }

    public void recordConnectFailure() {
        connectFailures.increment();
    }

    /**
     * Feeds one health-check outcome; returns the new health if it changed (rise/fall reached),
     * else null. Called only from this server's check task.
     */
    public Health recordCheck(boolean ok, String result) {
        lastCheckResult = result;
        if (ok) {
            consecutiveFail = 0;
            consecutiveOk++;
            if (health == Health.DOWN && consecutiveOk >= healthCheck.rise()) {
                setHealth(Health.UP);
                return Health.UP;
            }
        } else {
            consecutiveOk = 0;
            consecutiveFail++;
            if (health == Health.UP && consecutiveFail >= healthCheck.fall()) {
                setHealth(Health.DOWN);
                return Health.DOWN;
            }
        }
        return null;
    }

    private void setHealth(Health h) {
        health = h;
        healthChangedNanos = System.nanoTime();
        stateChangedNanos = healthChangedNanos;
    }

    @Override
    public String toString() {
        return name;
    }
}
