package dev.patchbay.filter;

import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Clock;
import dev.patchbay.core.ProtocolDetails;
import dev.patchbay.core.Session;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;

/**
 * Module {@code topfilter}: the {@code count} slowest statements of each session (time from the
 * statement to the end of its response), written when the session ends to
 * {@code <filebase>.<session id>} in MaxScale's report format. The event loop keeps them in two small
 * arrays sorted slowest first; the report is written by the filter's writer thread.
 */
final class TopFilter extends Filter {
    /** Longest SQL text kept for the report: a multi-megabyte INSERT is often among the slowest. */
    static final int MAX_SQL_CHARS = 65536;
    private static final String RULE =
            "-----------+-----------------------------------------------------------------\n";
    private static final DateTimeFormatter STARTED =
            DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.ENGLISH);

    private final PatchbayConfig.TopSettings settings;
    private final Selection selection;
    private final LogWriter writer;
    private final ZoneId zone = ZoneId.systemDefault();
    private final LongAdder sessions = new LongAdder();
    private final LongAdder statements = new LongAdder();
    private final LongAdder reports = new LongAdder();

    TopFilter(PatchbayConfig.FilterConfig config, PatchbayConfig.TopSettings settings) {
        super(config);
        this.settings = settings;
        this.selection = new Selection(settings.selection());
        this.writer = new LogWriter("patchbay-top-" + config.name(), config.name(), settings.maxQueuedBytes(), false);
    }

    @Override
    public boolean supports(String protocol) {
        return protocol.equals("mariadb");
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("filebase", settings.filebase());
        p.put("count", settings.count());
        selection.parameters(p, true);
        p.put("max_queued_bytes", settings.maxQueuedBytes());
        return p;
    }

    @Override
    public Map<String, Object> diagnostics() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("sessions", sessions.sum());
        d.put("active_sessions", users());
        d.put("statements", statements.sum());
        d.put("reports", reports.sum());
        writer.diagnostics(d);
        return d;
    }

    @Override
    protected StatementFilterSession openStatement(Session s, CompletableFuture<Void> started) {
        sessions.increment();
        TopSession t = new TopSession(s, selection.source(s));
        Path p = t.path;
        // The report is written at the end, but a directory that is not there should show now.
        writer.submit(() -> {
            String why = null;
            try {
                writer.close(writer.open(p, true));
            } catch (IOException e) {
                why = writer.failed("cannot open " + p + ": " + LogWriter.describe(e));
            }
            if (started != null) {
                if (why == null) {
                    started.complete(null);
                } else {
                    started.completeExceptionally(new IllegalStateException(
                            "Failed to create filter session for '" + name() + "': " + why));
                }
            }
        });
        return t;
    }

    @Override
    protected void close() {
        writer.stop(() -> { });
    }

    boolean awaitStopped(long millis) throws InterruptedException {
        return writer.awaitStopped(millis);
    }

    /** What a report needs, taken on the event loop when the session ends. */
    private record Report(Path path, long sessionId, long[] nanos, String[] sql, int n, long statements,
                          long totalNanos, long startedMicros, long connectedNanos, String client, String user) {}

    private final class TopSession implements StatementFilterSession {
        final Session session;
        final boolean selected;
        final Path path;
        final long startedMicros = Clock.epochMicros();
        final long startedNanos = System.nanoTime();
        final long[] nanos = new long[settings.count()];
        final String[] sql = new String[settings.count()];
        int n;
        long count;
        long totalNanos;
        String lastUser;
        boolean done;

        TopSession(Session session, boolean selected) {
            this.session = session;
            this.selected = selected;
            this.path = Path.of(settings.filebase() + "." + session.id());
        }

        @Override
        public Verdict onStatement(Statement statement) {
            return Verdict.PASS;
        }

        @Override
        public void onResponse(Statement st, boolean ok, long d) {
            if (!selected || !selection.user(st.user()) || !selection.sql(st.sql())) {
                return;
            }
            lastUser = st.user();
            count++;
            totalNanos += d;
            statements.increment();
            if (n == nanos.length && d <= nanos[n - 1]) {
                return;
            }
            // Insertion into the sorted arrays; the slowest is first, ties keep the earlier statement first.
            int i = n == nanos.length ? n - 1 : n++;
            while (i > 0 && nanos[i - 1] < d) {
                nanos[i] = nanos[i - 1];
                sql[i] = sql[i - 1];
                i--;
            }
            nanos[i] = d;
            String text = st.sql();
            sql[i] = text.length() > MAX_SQL_CHARS ? text.substring(0, MAX_SQL_CHARS) + "..." : text;
        }

        @Override
        public Filter filter() {
            return TopFilter.this;
        }

        @Override
        public void close() {
            if (done) {
                return;
            }
            done = true;
            ProtocolDetails details = session.protocolDetails();
            String user = lastUser != null ? lastUser : details == null ? null : details.user();
            Report r = new Report(path, session.id(), nanos, sql, n, count, totalNanos, startedMicros,
                    System.nanoTime() - startedNanos, QlaFilter.host(session.clientAddress()), user == null ? "" : user);
            writer.submit(() -> write(r));
        }
    }

    private void write(Report r) throws IOException {
        Writer w;
        try {
            w = writer.open(r.path(), false);
        } catch (IOException e) {
            writer.failed("cannot open " + r.path() + ": " + LogWriter.describe(e));
            return;
        }
        try {
            w.write(report(r));
            reports.increment();
        } finally {
            writer.close(w);
        }
    }

    private String report(Report r) {
        StringBuilder b = new StringBuilder(1024);
        b.append("Top ").append(settings.count()).append(" longest running queries in session ")
                .append(r.sessionId()).append(".\n");
        b.append("==========================================\n\n");
        b.append("Time (sec) | Query\n");
        b.append(RULE);
        for (int i = 0; i < r.n(); i++) {
            b.append(String.format(Locale.ROOT, "%10.3f |  ", r.nanos()[i] / 1e9))
                    .append(r.sql()[i].replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ')).append('\n');
        }
        b.append(RULE);
        Instant started = Instant.ofEpochSecond(r.startedMicros() / 1_000_000, (r.startedMicros() % 1_000_000) * 1000);
        b.append("\n\nSession started ").append(STARTED.format(started.atZone(zone))).append('\n');
        b.append("Connection from ").append(r.client()).append('\n');
        b.append("Username        ").append(r.user()).append('\n');
        double total = r.totalNanos() / 1e9;
        double avg = r.statements() == 0 ? 0 : total / r.statements();
        b.append("\nTotal of ").append(r.statements()).append(" statements executed.\n");
        b.append(String.format(Locale.ROOT, "Total statement execution time   %.3f seconds\n", total));
        b.append(String.format(Locale.ROOT, "Average statement execution time %.3f seconds\n", avg));
        b.append(String.format(Locale.ROOT, "Total connection time            %.3f seconds\n",
                r.connectedNanos() / 1e9));
        return b.toString();
    }
}
