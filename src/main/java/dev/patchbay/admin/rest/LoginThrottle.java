package dev.patchbay.admin.rest;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed logins per client address. After {@code maxFailures} failures within one window the address
 * is refused for the rest of the window (HTTP 429 with Retry-After) without its credentials being
 * checked, so guessing costs the attacker time and costs us no hashing. A success clears the address.
 * At most {@link #MAX_TRACKED} addresses are remembered; expired entries are dropped first.
 */
final class LoginThrottle {
    static final int MAX_TRACKED = 10_000;

    private static final class Entry {
        long windowStart;
        int failures;
        long blockedUntil;
    }

    private final int maxFailures;
    private final long windowNanos;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    LoginThrottle(int maxFailures, long windowNanos) {
        this.maxFailures = maxFailures;
        this.windowNanos = windowNanos;
    }

    /** Nanoseconds the address must still wait, 0 when it may try. */
    long blockedFor(String address, long now) {
        Entry e = entries.get(address);
        if (e == null) {
            return 0;
        }
        synchronized (e) {
            return e.blockedUntil - now > 0 ? e.blockedUntil - now : 0;
        }
    }

    /** Records a failure; returns true when this failure starts a block. */
    boolean failure(String address, long now) {
        if (entries.size() >= MAX_TRACKED && !entries.containsKey(address)) {
            purge(now);
        }
        Entry e = entries.computeIfAbsent(address, k -> new Entry());
        synchronized (e) {
            if (e.failures == 0 || now - e.windowStart > windowNanos) {
                e.windowStart = now;
                e.failures = 0;
            }
            e.failures++;
            if (e.failures >= maxFailures && e.blockedUntil - now <= 0) {
                e.blockedUntil = now + windowNanos;
                e.failures = 0;
                return true;
            }
            return false;
        }
    }

    void success(String address) {
        Entry e = entries.get(address);
        if (e != null) {
            synchronized (e) {
                if (e.blockedUntil == 0 || e.blockedUntil - System.nanoTime() <= 0) {
                    entries.remove(address, e);
                }
            }
        }
    }

    int tracked() {
        return entries.size();
    }

    private void purge(long now) {
        for (Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator(); it.hasNext(); ) {
            Entry e = it.next().getValue();
            synchronized (e) {
                if (e.blockedUntil - now <= 0 && now - e.windowStart > windowNanos) {
                    it.remove();
                }
            }
        }
        // Still full: forget the oldest windows rather than grow without bound.
        while (entries.size() >= MAX_TRACKED) {
            String oldest = null;
            long oldestStart = Long.MAX_VALUE;
            for (Map.Entry<String, Entry> me : entries.entrySet()) {
                if (me.getValue().windowStart < oldestStart) {
                    oldestStart = me.getValue().windowStart;
                    oldest = me.getKey();
                }
            }
            if (oldest == null) {
                break;
            }
            entries.remove(oldest);
        }
    }
}
