package dev.patchbay.filter;

import dev.patchbay.config.Durations;
import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Session;
import dev.patchbay.logging.SessionLog;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Module {@code throttlefilter}: keeps each session at most {@code max_qps} statements per second.
 *
 * <p>The rate is a token bucket kept as one number, the theoretical arrival time of the next
 * statement (GCRA): the bucket holds {@code max_qps × sampling_duration} statements (at least one)
 * and refills at {@code max_qps} per second. A statement that finds a token passes; one that does
 * not is delayed until the next token ({@code action=delay}, {@link Verdict.Delay}) or refused
 * ({@code action=error}). Nothing is allocated for a statement that passes.
 *
 * <p>Throttling starts with the first statement over the rate and ends once none has been over it
 * for {@code continuous_duration}. A session throttled for longer than {@code throttling_duration}
 * is cut off: MaxScale disconnects it; Patchbay refuses every statement of the session with an ERR
 * until it has sent nothing for {@code continuous_duration} (the session's connection stays open:
 * a statement verdict cannot close it).
 */
final class ThrottleFilter extends Filter {
    /** ER_USER_LIMIT_REACHED: MySQL's error for a user over a resource limit (max_queries_per_hour). */
    static final int ERR_CODE = 1226;
    static final String SQL_STATE = "42000";

    private final PatchbayConfig.ThrottleSettings settings;
    private final LongSupplier clock;
    /** Nanoseconds between two tokens. */
    private final long interval;
    /** How far ahead of now the next token may be and still be used: a full bucket minus one token. */
    private final long tolerance;
    private final long burst;
    private final Verdict.Reject overRate;
    private final Verdict.Reject cutOff;

    private final LongAdder sessions = new LongAdder();
    private final LongAdder delayed = new LongAdder();
    private final LongAdder delayNanos = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder episodes = new LongAdder();
    private final LongAdder cutOffs = new LongAdder();
    private final AtomicInteger throttlingNow = new AtomicInteger();

    ThrottleFilter(PatchbayConfig.FilterConfig config, PatchbayConfig.ThrottleSettings settings) {
        this(config, settings, System::nanoTime);
    }

    /** {@code clock} is {@link System#nanoTime} but for tests. */
    ThrottleFilter(PatchbayConfig.FilterConfig config, PatchbayConfig.ThrottleSettings settings, LongSupplier clock) {
        super(config);
        this.settings = settings;
        this.clock = clock;
        this.interval = Math.max(1, 1_000_000_000L / settings.maxQps());
        double tokens = (double) settings.maxQps() * settings.samplingNanos() / 1e9;
        // Capped so that the tolerance in nanoseconds cannot overflow (a bucket of more than ~146 years).
        this.burst = (long) Math.max(1, Math.min(tokens, (double) (Long.MAX_VALUE / 4 / interval)));
        this.tolerance = (burst - 1) * interval;
        this.overRate = new Verdict.Reject(ERR_CODE, SQL_STATE, "Statement refused by filter '" + name()
                + "': this session sends more than " + settings.maxQps() + " statements per second (max_qps)");
        this.cutOff = new Verdict.Reject(ERR_CODE, SQL_STATE, "Statement refused by filter '" + name()
                + "': this session has been throttled to " + settings.maxQps() + " statements per second for more"
                + " than " + Durations.format(settings.throttlingNanos()) + " (throttling_duration); its statements"
                + " are refused until it sends none for " + Durations.format(settings.continuousNanos())
                + " (continuous_duration)");
    }

    @Override
    public boolean supports(String protocol) {
        return protocol.equals("mariadb");
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("max_qps", settings.maxQps());
        p.put("sampling_duration", Durations.format(settings.samplingNanos()));
        p.put("throttling_duration", Durations.format(settings.throttlingNanos()));
        p.put("continuous_duration", Durations.format(settings.continuousNanos()));
        p.put("action", settings.delay() ? "delay" : "error");
        return p;
    }

    @Override
    public Map<String, Object> diagnostics() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("sessions", sessions.sum());
        d.put("active_sessions", users());
        d.put("burst", burst);
        d.put("throttling_sessions", throttlingNow.get());
        d.put("throttling_episodes", episodes.sum());
        d.put("delayed", delayed.sum());
        d.put("delay_ms", delayNanos.sum() / 1_000_000);
        d.put("rejected", rejected.sum());
        d.put("cut_off", cutOffs.sum());
        return d;
    }

    @Override
    protected StatementFilterSession openStatement(Session s, CompletableFuture<Void> started) {
        sessions.increment();
        if (started != null) {
            started.complete(null);
        }
        return new ThrottleSession(s, clock.getAsLong());
    }

    @Override
    protected void close() {
        // No thread, no file.
    }

    /** One session's bucket and throttling state; event loop only. */
    final class ThrottleSession implements StatementFilterSession {
        private final Session session;
        /** When the next token is due; earlier than now means the bucket is full. */
        private long nextToken;
        /** The statement now being delayed already has its token: its next pass goes through. */
        private boolean reserved;
        private boolean throttling;
        private boolean cut;
        private long throttlingSince;
        private long lastOverRate;

        ThrottleSession(Session session, long now) {
            this.session = session;
            this.nextToken = now;
        }

        @Override
        public Verdict onStatement(Statement st) {
            if (reserved) {
                // The chain runs again from this filter once a delay is over: this is that statement.
                reserved = false;
                return Verdict.PASS;
            }
            long now = clock.getAsLong();
            if (throttling && now - lastOverRate > settings.continuousNanos()) {
                stopThrottling();
            }
            if (cut) {
                lastOverRate = now;
                rejected.increment();
                return cutOff;
            }
            long due = nextToken - now < 0 ? now : nextToken;
            long wait = due - now - tolerance;
            if (wait <= 0) {
                nextToken = due + interval;
                return Verdict.PASS;
            }
            if (!throttling) {
                throttling = true;
                throttlingSince = now;
                throttlingNow.incrementAndGet();
                episodes.increment();
                SessionLog.info(session, "Query throttling started by filter {} (more than {} statements per second)",
                        name(), settings.maxQps());
            }
            lastOverRate = now;
            if (now - throttlingSince > settings.throttlingNanos()) {
                cut = true;
                cutOffs.increment();
                rejected.increment();
                SessionLog.notice(session, "Query throttling by filter {}: throttled for more than {}, statements are"
                        + " refused until the session pauses", name(), Durations.format(settings.throttlingNanos()));
                return cutOff;
            }
            if (!settings.delay()) {
                rejected.increment();
                return overRate;
            }
            nextToken = due + interval;
            reserved = true;
            delayed.increment();
            delayNanos.add(wait);
            return new Verdict.Delay(wait);
        }

        private void stopThrottling() {
            throttling = false;
            cut = false;
            throttlingNow.decrementAndGet();
            SessionLog.info(session, "Query throttling stopped by filter {}", name());
        }

        @Override
        public void onResponse(Statement statement, boolean ok, long durationNanos) {
            // The rate counts statements as they arrive.
        }

        @Override
        public Filter filter() {
            return ThrottleFilter.this;
        }

        @Override
        public void close() {
            if (throttling) {
                throttling = false;
                throttlingNow.decrementAndGet();
            }
        }
    }
}
