package dev.patchbay.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Log selectors: extra log levels for <em>future</em> sessions of one client network or one database
 * user, until an expiry time, so an operator can debug one client without raising the log level of
 * everything. A selector adds its levels to each matching session when the session opens (network) or
 * when its user becomes known (MariaDB mode calls {@link Session#authenticated()}); when it expires or is
 * deleted, the levels it added are taken away again from the sessions still open.
 *
 * <p>The selector list is copy-on-write: a session open reads it without a lock.
 */
public final class LogSelectors {
    /** Level names in MaxScale's order, with their bits. */
    public static final List<String> LEVEL_NAMES = List.of("error", "warning", "notice", "info", "debug");
    private static final int[] LEVEL_BITS = {LogLevels.ERROR, LogLevels.WARNING, LogLevels.NOTICE, LogLevels.INFO,
        LogLevels.DEBUG};

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "patchbay-log-selectors");
        t.setDaemon(true);
        return t;
    });

    public enum Kind { USER, SRC }

    /**
     * One selector: sessions from {@code cidr} ({@link Kind#SRC}) or of database user {@code value}
     * ({@link Kind#USER}) log at {@code levels} too, until {@code expiresAtNanos} (System.nanoTime(),
     * {@link Long#MAX_VALUE}: never). {@code matched} counts the sessions it was applied to.
     */
    public record Selector(int id, Kind kind, String value, Cidr cidr, int levels, long expiresAtNanos, String by,
                           AtomicLong matched) {
        public boolean matches(Session s) {
            if (kind == Kind.SRC) {
                return cidr.contains(s.clientAddress());
            }
            ProtocolDetails d = s.protocolDetails();
            return d != null && value.equals(d.user());
        }

        public boolean expired(long now) {
            return expiresAtNanos != Long.MAX_VALUE && now - expiresAtNanos >= 0;
        }
    }

    private final SessionRegistry registry;
    private final CopyOnWriteArrayList<Selector> selectors = new CopyOnWriteArrayList<>();
    private final AtomicInteger nextId = new AtomicInteger(1);

    LogSelectors(SessionRegistry registry) {
        this.registry = registry;
    }

    /** Level names ({@code info,debug}) to bits; -1 when a name is unknown. */
    public static int parseLevels(String text) {
        int bits = 0;
        for (String part : text.split(",", -1)) {
            int i = LEVEL_NAMES.indexOf(part.strip().toLowerCase(Locale.ROOT));
            if (i < 0) {
                return -1;
            }
            bits |= LEVEL_BITS[i];
        }
        return bits;
    }

    /** Bits to names, in MaxScale's order: {@code info,debug}. */
    public static String levelNames(int bits) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < LEVEL_BITS.length; i++) {
            if ((bits & LEVEL_BITS[i]) != 0) {
                out.add(LEVEL_NAMES.get(i));
            }
        }
        return String.join(",", out);
    }

    /** Adds a selector; {@code ttlNanos} 0 or less: it never expires. */
    public Selector add(Kind kind, String value, Cidr cidr, int levels, long ttlNanos, String by) {
        long expires = ttlNanos > 0 ? System.nanoTime() + ttlNanos : Long.MAX_VALUE;
        Selector s = new Selector(nextId.getAndIncrement(), kind, value, cidr, levels, expires, by, new AtomicLong());
        selectors.add(s);
        if (ttlNanos > 0) {
            TIMER.schedule(() -> remove(s.id()), ttlNanos, TimeUnit.NANOSECONDS);
        }
        return s;
    }

    /** Removes a selector (deleted or expired); the levels it added leave the sessions still open. */
    public boolean remove(int id) {
        boolean removed = selectors.removeIf(s -> s.id() == id);
        if (removed) {
            reapplyAll();
        }
        return removed;
    }

    public int removeAll() {
        int n = selectors.size();
        selectors.clear();
        reapplyAll();
        return n;
    }

    /** The selectors in force, oldest first. */
    public List<Selector> list() {
        long now = System.nanoTime();
        return selectors.stream().filter(s -> !s.expired(now)).toList();
    }

    /** A session just opened: its network is known (runs on the session's loop). */
    void opened(Session s) {
        apply(s, true);
    }

    /** A session's user just became known (MariaDB mode, after authentication). */
    void authenticated(Session s) {
        apply(s, true);
    }

    private void apply(Session s, boolean count) {
        if (s.service() == null) {
            return; // runtime API connections are not what selectors are for
        }
        long now = System.nanoTime();
        int bits = 0;
        for (Selector sel : selectors) {
            if (!sel.expired(now) && sel.matches(s)) {
                bits |= sel.levels();
                if (count) {
                    sel.matched().incrementAndGet();
                }
            }
        }
        int f = bits;
        if (f != s.selectorLogFlags()) {
            s.execute(() -> s.setSelectorLogFlags(f));
        }
    }

    private void reapplyAll() {
        for (Session s : registry.snapshot()) {
            apply(s, false);
        }
    }
}
