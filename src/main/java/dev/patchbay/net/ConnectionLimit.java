package dev.patchbay.net;

import dev.patchbay.core.Session;
import dev.patchbay.core.SessionRegistry;
import dev.patchbay.core.Termination;
import dev.patchbay.logging.EveryMinute;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process-wide session limit ({@code [patchbay] max_connections}, HAProxy's global {@code maxconn}): at
 * the limit every listener stops accepting, so new clients wait in the kernel's accept queue instead of
 * Patchbay running out of file descriptors, which would fail backend connects and health checks for every
 * service at once. Listeners accept again as soon as a session ends.
 *
 * <p>Per session: one atomic increment and one decrement; listeners re-check only when the count crosses the
 * limit, as a listener's own max_connections does ({@code Frontend}).
 */
public final class ConnectionLimit implements SessionRegistry.Listener {
    private static final Logger log = LoggerFactory.getLogger(ConnectionLimit.class);
    /** Descriptors kept out of the derived limit: the JVM's own, listeners, health checks, MariaDB KILLs, admin. */
    public static final int RESERVED_FDS = 256;

    /** The limit Patchbay started with (configured or derived): {@code set maxconn global} stays at or below it. */
    private final int hardMax;
    private volatile int max;
    private final Supplier<List<? extends BoundListener>> listeners;
    private final AtomicInteger current = new AtomicInteger();
    /** Guarded by its own lock. */
    private final EveryMinute pauses = new EveryMinute();

    public ConnectionLimit(int max, Supplier<List<? extends BoundListener>> listeners) {
        this.hardMax = max;
        this.max = max;
        this.listeners = listeners;
    }

    /** The open-file limit of this process (RLIMIT_NOFILE), or -1 where the JVM cannot tell. */
    public static long openFileLimit() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() : -1;
    }

    /**
     * The limit for {@code configured} (0: derived): each session holds two descriptors (client and server),
     * so half of what the open-file limit leaves after {@link #RESERVED_FDS}, as HAProxy derives maxconn from
     * ulimit -n. Without a known open-file limit, 0: no limit.
     */
    public static int effective(int configured, long openFileLimit) {
        if (configured > 0) {
            return configured;
        }
        if (openFileLimit <= 0) {
            return 0;
        }
        return (int) Math.max(1, Math.min(10_000_000, (openFileLimit - RESERVED_FDS) / 2));
    }

    public int max() {
        return max;
    }

    public int hardMax() {
        return hardMax;
    }

    /**
     * Changes the limit at run time (HAProxy's {@code set maxconn global}), between 1 and {@link #hardMax()}.
     * Lowering it below the sessions open cuts none: listeners pause until enough of them end.
     */
    public void setMax(int newMax) {
        if (newMax < 1 || newMax > hardMax) {
            throw new IllegalArgumentException("max_connections " + newMax + " outside 1.." + hardMax);
        }
        max = newMax;
        if (paused()) {
            reached();
        } else {
            recheckListeners();
        }
    }

    public int current() {
        return current.get();
    }

    /** At the limit: listeners do not accept until a session ends. */
    public boolean paused() {
        return current.get() >= max;
    }

    @Override
    public void opened(Session s) {
        int n = current.incrementAndGet();
        if (n == max) {
            reached();
        }
    }

    @Override
    public void closed(Session s, Termination t) {
        if (current.decrementAndGet() == max - 1) {
            recheckListeners();
        }
    }

    /**
     * Each listener re-reads {@link #paused()} on its own loop; called when the count crosses the limit (every
     * crossing is one increment or decrement, so none is missed) and when the limit changes.
     */
    private void recheckListeners() {
        listeners.get().forEach(BoundListener::updateAccepting);
    }

    private void reached() {
        recheckListeners();
        String suffix;
        synchronized (pauses) {
            suffix = pauses.occurred();
        }
        if (suffix != null) {
            log.warn("{} sessions: max_connections reached; listeners accept again when a session ends (new clients wait"
                    + " in the kernel's accept queue){}", max, suffix);
        }
    }
}
