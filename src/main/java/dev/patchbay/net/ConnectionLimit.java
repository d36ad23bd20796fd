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
 * <p>Per session: one atomic increment and one decrement; pausing and resuming are the rare transitions.
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
    private volatile boolean paused;
    /** Guarded by this object's lock (pause). */
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
        if (current.get() >= newMax) {
            pause();
        } else {
            resume();
        }
    }

    public int current() {
        return current.get();
    }

    public boolean paused() {
        return paused;
    }

    @Override
    public void opened(Session s) {
        if (current.incrementAndGet() >= max && !paused) {
            pause();
        }
    }

    @Override
    public void closed(Session s, Termination t) {
        if (current.decrementAndGet() < max && paused) {
            resume();
        }
    }

    private synchronized void pause() {
        if (paused || current.get() < max) {
            return;
        }
        paused = true;
        listeners.get().forEach(BoundListener::updateAccepting);
        String suffix = pauses.occurred();
        if (suffix != null) {
            log.warn("{} sessions: max_connections reached; listeners accept again when a session ends (new clients wait"
                    + " in the kernel's accept queue){}", max, suffix);
        }
    }

    private synchronized void resume() {
        if (!paused || current.get() >= max) {
            return;
        }
        paused = false;
        listeners.get().forEach(BoundListener::updateAccepting);
    }
}
