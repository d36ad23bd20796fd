package dev.patchbay.admin.rest;

import java.net.InetAddress;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Reverse DNS for {@code rdns=true}, off the event loop: lookups run on a small blocking pool, a
 * request waits at most {@code timeoutMillis} for them, and results (names and failures) are cached
 * for {@link #TTL_NANOS}. An address whose lookup fails, times out or is still running keeps its IP,
 * as MaxScale shows it when {@code getnameinfo} fails.
 */
final class ReverseDns {
    static final long TTL_NANOS = TimeUnit.MINUTES.toNanos(5);
    static final int MAX_ENTRIES = 10_000;

    private record Entry(String name, long expires) {}

    /** Resolves one address; replaceable in tests. Returns null when there is no name. */
    interface Lookup {
        String nameOf(String ip) throws Exception;
    }

    private final Executor blocking;
    private final long timeoutMillis;
    private final Lookup lookup;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<String>> inFlight = new ConcurrentHashMap<>();

    ReverseDns(Executor blocking, long timeoutMillis) {
        this(blocking, timeoutMillis, ReverseDns::system);
    }

    ReverseDns(Executor blocking, long timeoutMillis, Lookup lookup) {
        this.blocking = blocking;
        this.timeoutMillis = timeoutMillis;
        this.lookup = lookup;
    }

    private static String system(String ip) throws Exception {
        InetAddress a = InetAddress.getByName(ip);
        String name = a.getCanonicalHostName();
        return name == null || name.equals(ip) || name.equals(a.getHostAddress()) ? null : name;
    }

    /** Names for {@code ips}; the map holds only addresses that resolved in time. */
    CompletableFuture<Map<String, String>> resolve(Collection<String> ips) {
        long now = System.nanoTime();
        Map<String, String> out = new HashMap<>();
        Map<String, CompletableFuture<String>> pending = new LinkedHashMap<>();
        for (String ip : ips) {
            if (ip == null || ip.isEmpty() || out.containsKey(ip) || pending.containsKey(ip)) {
                continue;
            }
            Entry e = cache.get(ip);
            if (e != null && e.expires - now > 0) {
                if (e.name != null) {
                    out.put(ip, e.name);
                }
                continue;
            }
            pending.put(ip, start(ip));
        }
        if (pending.isEmpty()) {
            return CompletableFuture.completedFuture(out);
        }
        CompletableFuture<?>[] all = pending.values().toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(all)
                .completeOnTimeout(null, timeoutMillis, TimeUnit.MILLISECONDS)
                .handle((v, err) -> {
                    for (Map.Entry<String, CompletableFuture<String>> p : pending.entrySet()) {
                        String name = p.getValue().getNow(null);
                        if (name != null) {
                            out.put(p.getKey(), name);
                        }
                    }
                    return out;
                });
    }

    private CompletableFuture<String> start(String ip) {
        CompletableFuture<String> mine = new CompletableFuture<>();
        CompletableFuture<String> running = inFlight.putIfAbsent(ip, mine);
        if (running != null) {
            return running;
        }
        try {
            blocking.execute(() -> {
                String name = null;
                try {
                    name = lookup.nameOf(ip);
                } catch (Exception e) {
                    name = null;
                } finally {
                    store(ip, name);
                    inFlight.remove(ip, mine);
                    mine.complete(name);
                }
            });
        } catch (RejectedExecutionException e) {
            inFlight.remove(ip, mine);
            mine.complete(null);
        }
        return mine;
    }

    private void store(String ip, String name) {
        long now = System.nanoTime();
        if (cache.size() >= MAX_ENTRIES) {
            for (Iterator<Entry> it = cache.values().iterator(); it.hasNext(); ) {
                if (it.next().expires - now <= 0) {
                    it.remove();
                }
            }
            if (cache.size() >= MAX_ENTRIES) {
                cache.clear();
            }
        }
        cache.put(ip, new Entry(name, now + TTL_NANOS));
    }
}
