package dev.patchbay.core;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where sessions are accepted: a configured listener (HAProxy frontend, MaxScale listener) or a
 * runtime API socket (all of which belong to HAProxy's {@code GLOBAL} frontend).
 *
 * @param name        the listener's section name, or {@code GLOBAL} for stats sockets
 * @param id          numeric id as HAProxy shows it (proxy id; GLOBAL is 0)
 * @param listenerId  the listener's number inside its frontend (HAProxy luid)
 * @param protocol    {@code tcp}, {@code mariadb} or {@code cli}
 * @param bindLabel   where it listens, e.g. {@code ipv4@127.0.0.1:4006} or {@code unix@/run/x.sock}
 * @param service     the service sessions go to, null for stats sockets
 * @param idleTimeoutNanos idle timeout of runtime API connections; 0 for listeners (the service decides)
 */
public final class Frontend {
    public static final String GLOBAL = "GLOBAL";

    private final String name;
    private final int id;
    private final int listenerId;
    private final String protocol;
    private volatile String bindLabel;
    /** Stopped by an operator (runtime API disable frontend, REST listener stop): bound, not accepting. */
    private volatile boolean stopped;
    /** The listener's max_connections (HAProxy frontend maxconn), 0 for none. */
    private volatile int maxConnections;
    /** Asks the bound listener to re-read whether it accepts; crossing max_connections calls it. */
    private volatile Runnable acceptingChanged = () -> { };
    private final Service service;
    private final long idleTimeoutNanos;
    private final LongAdder totalSessions = new LongAdder();
    private final AtomicLong currentSessions = new AtomicLong();

    public Frontend(String name, int id, int listenerId, String protocol, String bindLabel, Service service,
                    long idleTimeoutNanos) {
        this.name = name;
        this.id = id;
        this.listenerId = listenerId;
        this.protocol = protocol;
        this.bindLabel = bindLabel;
        this.service = service;
        this.idleTimeoutNanos = idleTimeoutNanos;
    }

    public String name() {
        return name;
    }

    public int id() {
        return id;
    }

    public int listenerId() {
        return listenerId;
    }

    public String protocol() {
        return protocol;
    }

    public boolean stopped() {
        return stopped;
    }

    /** Returns the previous value. The listener applies it (Patchbay.setListenerStopped). */
    public boolean setStopped(boolean stopped) {
        boolean was = this.stopped;
        this.stopped = stopped;
        return was;
    }

    public int maxConnections() {
        return maxConnections;
    }

    /** Changes the limit (0: none); the listener pauses or resumes at once. Sessions open are never cut. */
    public void setMaxConnections(int maxConnections) {
        this.maxConnections = maxConnections;
        acceptingChanged.run();
    }

    /** At max_connections: the listener does not accept until a session of it ends. */
    public boolean full() {
        int max = maxConnections;
        return max > 0 && currentSessions.get() >= max;
    }

    /** The bound listener's re-check of whether it accepts, called when the frontend fills up or has room again. */
    public void onAcceptingChanged(Runnable check) {
        acceptingChanged = check;
    }

    public String bindLabel() {
        return bindLabel;
    }

    /** The listener was bound to another address at run time. */
    public void setBindLabel(String bindLabel) {
        this.bindLabel = bindLabel;
    }

    public Service service() {
        return service;
    }

    public long idleTimeoutNanos() {
        return idleTimeoutNanos;
    }

    public boolean isRuntimeApi() {
        return service == null;
    }

    public long totalSessions() {
        return totalSessions.sum();
    }

    public long currentSessions() {
        return currentSessions.get();
    }

    void sessionOpened() {
        totalSessions.increment();
        long n = currentSessions.incrementAndGet();
        int max = maxConnections;
        if (max > 0 && n == max) {
            acceptingChanged.run();
        }
    }

    void sessionClosed() {
        long n = currentSessions.decrementAndGet();
        int max = maxConnections;
        if (max > 0 && n == max - 1) {
            acceptingChanged.run();
        }
    }
}
