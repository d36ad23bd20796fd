package dev.patchbay.core;

/**
 * The tunables of a service, immutable; a configuration change replaces the whole record.
 * Timeouts are in nanoseconds, 0 meaning "no timeout".
 */
public record ServiceSettings(
        RouterKind router,
        long connectTimeoutNanos,
        long clientTimeoutNanos,
        long serverTimeoutNanos,
        long queueTimeoutNanos,
        int retries,
        int maxConnections,
        WhenFull whenFull,
        OnServerDown onServerDown,
        RouterOptions routerOptions,
        boolean splice) {

    /** Settings that predate readconnroute and splice: {@code routerOptions} RUNNING, no splice. */
    public ServiceSettings(RouterKind router, long connectTimeoutNanos, long clientTimeoutNanos, long serverTimeoutNanos,
                           long queueTimeoutNanos, int retries, int maxConnections, WhenFull whenFull,
                           OnServerDown onServerDown) {
        this(router, connectTimeoutNanos, clientTimeoutNanos, serverTimeoutNanos, queueTimeoutNanos, retries,
                maxConnections, whenFull, onServerDown, RouterOptions.RUNNING, false);
    }

    /** READCONNROUTE is MaxScale's: least connections among the servers {@code routerOptions} allows. */
    public enum RouterKind { ROUNDROBIN, LEASTCONN, SOURCE, FIRST, READCONNROUTE }

    /** MaxScale readconnroute's {@code router_options}: which server roles a session may go to. */
    public enum RouterOptions { MASTER, SLAVE, RUNNING }

    /** What happens to a session that finds the service or all its servers at max_connections. */
    public enum WhenFull { QUEUE, REFUSE }

    /** What happens to a server's sessions when its health check marks it down. */
    public enum OnServerDown { NONE, SHUTDOWN_SESSIONS }
}
