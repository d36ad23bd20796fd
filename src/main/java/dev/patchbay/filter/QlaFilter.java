package dev.patchbay.filter;

import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.ProtocolDetails;
import dev.patchbay.core.Session;
import java.io.IOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Module {@code qlafilter} (MaxScale's Query Log All): one line per statement into
 * {@code <filebase>.<session id>}, {@code <filebase>.unified} and/or standard output, with the
 * {@code log_data} fields. A line is written when the statement's response has been relayed, so
 * that its reply time is known (MaxScale 6.2 and later do the same).
 *
 * <p>The event loop only checks the selection and queues the statement; the filter's writer thread
 * formats the line and does every file operation ({@link LogWriter}).
 */
final class QlaFilter extends Filter {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    private static final Map<String, String> HEADERS = Map.of("service", "Service", "session", "Session",
            "date", "Date", "user", "User@Host", "reply_time", "Reply_time", "total_reply_time", "Total_reply_time",
            "query", "Query", "default_db", "Default_db", "error", "Error");

    private final PatchbayConfig.QlaSettings settings;
    private final Selection selection;
    private final LogWriter writer;
    private final ZoneId zone = ZoneId.systemDefault();
    private final LongAdder sessions = new LongAdder();
    private final LongAdder logged = new LongAdder();

    // Writer thread only.
    private Writer unified;
    private boolean unifiedFailed;
    private Writer stdout;

    QlaFilter(PatchbayConfig.FilterConfig config, PatchbayConfig.QlaSettings settings) {
        super(config);
        this.settings = settings;
        this.selection = new Selection(settings.selection());
        this.writer = new LogWriter("patchbay-qla-" + config.name(), config.name(), settings.maxQueuedBytes(),
                settings.flush());
    }

    @Override
    public boolean supports(String protocol) {
        return protocol.equals("mariadb");
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("filebase", settings.filebase());
        List<String> types = new ArrayList<>();
        if (settings.sessionFiles()) {
            types.add("session");
        }
        if (settings.unifiedFile()) {
            types.add("unified");
        }
        if (settings.stdout()) {
            types.add("stdout");
        }
        p.put("log_type", String.join(",", types));
        p.put("log_data", String.join(",", settings.logData()));
        selection.parameters(p, true);
        p.put("separator", settings.separator());
        p.put("newline_replacement", settings.newlineReplacement());
        p.put("append", settings.append());
        p.put("flush", settings.flush());
        p.put("duration_unit", settings.microseconds() ? "microseconds" : "milliseconds");
        p.put("max_queued_bytes", settings.maxQueuedBytes());
        return p;
    }

    @Override
    public Map<String, Object> diagnostics() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("sessions", sessions.sum());
        d.put("active_sessions", users());
        d.put("logged", logged.sum());
        writer.diagnostics(d);
        return d;
    }

    @Override
    protected StatementFilterSession openStatement(Session s, CompletableFuture<Void> started) {
        QlaSession q = new QlaSession(s, selection.source(s));
        sessions.increment();
        ProtocolDetails details = s.protocolDetails();
        String user = details == null ? null : details.user();
        // A session that cannot log (another client, another user) gets no file, as in MaxScale; if its
        // user changes later (COM_CHANGE_USER), the file is created with its first line.
        boolean eager = settings.sessionFiles() && q.selected && (user == null || selection.user(user));
        writer.submit(() -> start(q, eager, started));
        return q;
    }

    @Override
    protected void close() {
        writer.stop(() -> {
            writer.close(unified);
            unified = null;
            if (stdout != null) {
                stdout.flush();
            }
        });
    }

    boolean awaitStopped(long millis) throws InterruptedException {
        return writer.awaitStopped(millis);
    }

    /** One logged statement, as the event loop saw it. */
    private record Entry(Statement statement, boolean ok, long durationNanos, String database) {}

    private final class QlaSession implements StatementFilterSession {
        final Session session;
        final boolean selected;
        // Writer thread only.
        Writer file;
        boolean openFailed;
        boolean closed;

        QlaSession(Session session, boolean selected) {
            this.session = session;
            this.selected = selected;
        }

        @Override
        public Verdict onStatement(Statement statement) {
            return Verdict.PASS;
        }

        @Override
        public void onResponse(Statement st, boolean ok, long durationNanos) {
            if (!selected || !selection.user(st.user()) || !selection.sql(st.sql())) {
                return;
            }
            ProtocolDetails details = session.protocolDetails();
            Entry e = new Entry(st, ok, durationNanos, details == null ? null : details.database());
            // The statement's text is the bulk of what waits; the rest is a few small fields.
            if (writer.offer(st.sql().length() + 128, () -> write(this, e))) {
                logged.increment();
            }
        }

        @Override
        public Filter filter() {
            return QlaFilter.this;
        }

        @Override
        public void close() {
            writer.submit(() -> {
                closed = true;
                writer.close(file);
                file = null;
            });
        }
    }

    // ---- the writer thread --------------------------------------------------------------------

    private void start(QlaSession q, boolean eager, CompletableFuture<Void> started) throws IOException {
        String why = null;
        if (settings.unifiedFile()) {
            why = openUnified();
        }
        if (settings.stdout() && stdout == null) {
            stdout = LogWriter.stdout();
        }
        if (why == null && eager) {
            why = openSessionFile(q);
        }
        if (started != null) {
            if (why == null) {
                started.complete(null);
            } else {
                started.completeExceptionally(new IllegalStateException(
                        "Failed to create filter session for '" + name() + "': " + why));
            }
        }
    }

    private String openUnified() {
        if (unified != null) {
            return null;
        }
        Path p = Path.of(settings.filebase() + ".unified");
        try {
            unified = openWithHeader(p, true);
            unifiedFailed = false;
            return null;
        } catch (IOException e) {
            // Tried again when the next session starts, not for every line.
            unifiedFailed = true;
            return writer.failed("cannot open " + p + ": " + LogWriter.describe(e));
        }
    }

    private String openSessionFile(QlaSession q) {
        Path p = Path.of(settings.filebase() + "." + q.session.id());
        try {
            q.file = openWithHeader(p, false);
            return null;
        } catch (IOException e) {
            // Not retried for every line: one error per session file is enough.
            q.openFailed = true;
            return writer.failed("cannot open " + p + ": " + LogWriter.describe(e));
        }
    }

    /** Opens a log file; a new or empty one starts with a line of field names, as MaxScale's do. */
    private Writer openWithHeader(Path p, boolean withSession) throws IOException {
        Writer w = writer.open(p, settings.append());
        try {
            if (Files.size(p) == 0) {
                StringBuilder b = new StringBuilder();
                for (String f : settings.logData()) {
                    if (f.equals("session") && !withSession) {
                        continue;
                    }
                    if (b.length() > 0) {
                        b.append(settings.separator());
                    }
                    b.append(HEADERS.get(f));
                }
                if (b.length() > 0) {
                    w.write(b.append('\n').toString());
                    writer.wrote(w);
                }
            }
        } catch (IOException e) {
            writer.close(w);
            throw e;
        }
        return w;
    }

    private void write(QlaSession q, Entry e) throws IOException {
        if (settings.sessionFiles() && !q.closed) {
            if (q.file == null && !q.openFailed) {
                openSessionFile(q);
            }
            if (q.file != null) {
                q.file.write(line(q, e, false));
                writer.wrote(q.file);
            }
        }
        if (settings.unifiedFile() && (unified != null || (!unifiedFailed && openUnified() == null))) {
            unified.write(line(q, e, true));
            writer.wrote(unified);
        }
        if (stdout != null) {
            stdout.write(line(q, e, true));
            writer.wrote(stdout);
        }
    }

    private String line(QlaSession q, Entry e, boolean withSession) {
        StringBuilder b = new StringBuilder(e.statement().sql().length() + 96);
        boolean first = true;
        for (String f : settings.logData()) {
            if (f.equals("session") && !withSession) {
                continue;
            }
            if (!first) {
                b.append(settings.separator());
            }
            first = false;
            switch (f) {
                case "service" -> b.append(q.session.service() == null ? "" : q.session.service().name());
                case "session" -> b.append(q.session.id());
                case "date" -> {
                    long us = e.statement().receivedMicros();
                    Instant t = Instant.ofEpochSecond(us / 1_000_000, (us % 1_000_000) * 1000);
                    b.append(DATE.format(t.atZone(zone)));
                }
                case "user" -> b.append(e.statement().user() == null ? "" : e.statement().user()).append('@')
                        .append(host(q.session.clientAddress()));
                case "reply_time", "total_reply_time" -> b.append(settings.microseconds()
                        ? Math.round(e.durationNanos() / 1000.0)
                        : Math.round(e.durationNanos() / (double) TimeUnit.MILLISECONDS.toNanos(1)));
                case "query" -> appendQuery(b, e.statement().sql());
                case "default_db" -> b.append(e.database() == null ? "" : e.database());
                case "error" -> b.append(e.ok() ? "no" : "yes");
                default -> throw new IllegalStateException("log_data " + f);
            }
        }
        return b.append('\n').toString();
    }

    /** The SQL with each newline ({@code \r\n}, {@code \n} or {@code \r}) replaced, unless the replacement is empty. */
    private void appendQuery(StringBuilder b, String sql) {
        String nl = settings.newlineReplacement();
        if (nl.isEmpty()) {
            b.append(sql);
            return;
        }
        for (int i = 0; i < sql.length(); i++) {
            char c = sql.charAt(i);
            if (c == '\r') {
                if (i + 1 < sql.length() && sql.charAt(i + 1) == '\n') {
                    i++;
                }
                b.append(nl);
            } else if (c == '\n') {
                b.append(nl);
            } else {
                b.append(c);
            }
        }
    }

    static String host(SocketAddress a) {
        if (a instanceof InetSocketAddress i) {
            return i.getAddress() != null ? i.getAddress().getHostAddress() : i.getHostString();
        }
        return a == null ? "" : a.toString();
    }
}
