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
        OnServerDown onServerDown) {

    public enum RouterKind { ROUNDROBIN, LEASTCONN, SOURCE, FIRST }

    /** What happens to a session that finds the service or all its servers at max_connections. */
    public enum WhenFull { QUEUE, REFUSE }

    /** What happens to a server's sessions when its health check marks it down. */
    public enum OnServerDown { NONE, SHUTDOWN_SESSIONS }
}
