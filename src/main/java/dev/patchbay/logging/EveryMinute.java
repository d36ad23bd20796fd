package dev.patchbay.logging;

import java.util.concurrent.TimeUnit;

/**
 * Lets an event that can repeat many times a second (accept errors, reaching max_connections) be logged at most
 * once a minute, the line saying how often it happened in between. Not thread-safe: one owner thread or lock.
 */
public final class EveryMinute {
    private static final long MINUTE_NANOS = TimeUnit.MINUTES.toNanos(1);

    private long lastNanos;
    private int since;

    /**
     * Counts one occurrence. Returns null when it is not time to log; otherwise what to append to the line:
     * empty, or {@code " [n times since the last message]"}.
     */
    public String occurred() {
        since++;
        long now = System.nanoTime();
        if (lastNanos != 0 && now - lastNanos < MINUTE_NANOS) {
            return null;
        }
        String suffix = since > 1 ? " [" + since + " times since the last message]" : "";
        lastNanos = now;
        since = 0;
        return suffix;
    }
}
