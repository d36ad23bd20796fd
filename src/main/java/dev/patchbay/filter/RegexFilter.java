package dev.patchbay.filter;

import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Session;
import dev.patchbay.logging.SessionLog;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Module {@code regexfilter}: replaces every match of {@code match} in a statement's SQL by
 * {@code replace} ({@code $1}, {@code ${name}} refer to groups), before the server sees it. As
 * MaxScale, it rewrites both {@code COM_QUERY} and {@code COM_STMT_PREPARE} text, for the sessions
 * of {@code user} from {@code source} when those are set. {@code log_file} gets MaxScale's lines
 * ({@code Matched …: [old] -> [new]}, {@code No match …: [sql]}) through a writer thread;
 * {@code log_trace} logs them at the info level in the session's context.
 */
final class RegexFilter extends Filter {
    private final PatchbayConfig.RegexSettings settings;
    private final Selection selection;
    private final Pattern match;
    private final LogWriter writer;
    private final LongAdder sessions = new LongAdder();
    private final LongAdder statements = new LongAdder();
    private final LongAdder matched = new LongAdder();
    private final LongAdder replaced = new LongAdder();
    private final LongAdder failed = new LongAdder();

    // Writer thread only.
    private Writer logFile;

    RegexFilter(PatchbayConfig.FilterConfig config, PatchbayConfig.RegexSettings settings) {
        super(config);
        this.settings = settings;
        this.selection = new Selection(settings.selection());
        this.match = selection.match();
        this.writer = settings.logFile().isEmpty() ? null
                : new LogWriter("patchbay-regex-" + config.name(), config.name(), settings.maxQueuedBytes(), false);
    }

    @Override
    public boolean supports(String protocol) {
        return protocol.equals("mariadb");
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        selection.parameters(p, false);
        p.put("replace", settings.replace());
        p.put("log_file", settings.logFile());
        p.put("log_trace", settings.logTrace());
        p.put("max_queued_bytes", settings.maxQueuedBytes());
        return p;
    }

    @Override
    public Map<String, Object> diagnostics() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("sessions", sessions.sum());
        d.put("active_sessions", users());
        d.put("statements", statements.sum());
        d.put("matched", matched.sum());
        d.put("replaced", replaced.sum());
        d.put("replace_errors", failed.sum());
        if (writer != null) {
            writer.diagnostics(d);
        }
        return d;
    }

    @Override
    protected StatementFilterSession openStatement(Session s, CompletableFuture<Void> started) {
        sessions.increment();
        RegexSession rs = new RegexSession(s, selection.source(s));
        if (writer != null) {
            writer.submit(() -> {
                String why = openLog();
                if (started != null) {
                    if (why == null) {
                        started.complete(null);
                    } else {
                        started.completeExceptionally(new IllegalStateException(
                                "Failed to create filter session for '" + name() + "': " + why));
                    }
                }
            });
        } else if (started != null) {
            started.complete(null);
        }
        return rs;
    }

    @Override
    protected void close() {
        if (writer != null) {
            writer.stop(() -> {
                writer.close(logFile);
                logFile = null;
            });
        }
    }

    boolean awaitStopped(long millis) throws InterruptedException {
        return writer == null || writer.awaitStopped(millis);
    }

    private final class RegexSession implements StatementFilterSession {
        final Session session;
        final boolean selected;

        RegexSession(Session session, boolean selected) {
            this.session = session;
            this.selected = selected;
        }

        @Override
        public Verdict onStatement(Statement st) {
            if (!selected || !selection.user(st.user())) {
                return Verdict.PASS;
            }
            statements.increment();
            String sql = st.sql();
            Matcher m = match.matcher(sql);
            if (!m.find()) {
                log(session, sql, null);
                return Verdict.PASS;
            }
            matched.increment();
            String out;
            try {
                out = m.replaceAll(settings.replace());
            } catch (RuntimeException e) {
                // The loader checks the replacement against the pattern; this is only a safety net.
                failed.increment();
                return Verdict.PASS;
            }
            log(session, sql, out);
            if (out.equals(sql)) {
                return Verdict.PASS;
            }
            replaced.increment();
            return new Verdict.Rewrite(out);
        }

        @Override
        public void onResponse(Statement statement, boolean ok, long durationNanos) {
            // Rewriting happens on the way in only.
        }

        @Override
        public Filter filter() {
            return RegexFilter.this;
        }

        @Override
        public void close() {
            // Nothing per session: the log file is the filter's.
        }
    }

    /** {@code out} null: no match. */
    private void log(Session s, String sql, String out) {
        if (settings.logTrace()) {
            if (out == null) {
                SessionLog.info(s, "No match {}: [{}]", settings.selection().match(), sql);
            } else {
                SessionLog.info(s, "Match {}: [{}] -> [{}]", settings.selection().match(), sql, out);
            }
        }
        if (writer != null) {
            // The line is put together on the writer thread, not on the event loop.
            writer.offer(sql.length() + (out == null ? 0 : out.length()) + 64, () -> {
                if (logFile != null) {
                    logFile.write(out == null
                            ? "No match " + settings.selection().match() + ": [" + sql + "]\n"
                            : "Matched " + settings.selection().match() + ": [" + sql + "] -> [" + out + "]\n");
                    writer.wrote(logFile);
                }
            });
        }
    }

    /** Writer thread: opens {@code log_file} (appending, as MaxScale) unless it is open. */
    private String openLog() throws IOException {
        if (logFile != null) {
            return null;
        }
        Path p = Path.of(settings.logFile());
        try {
            logFile = writer.open(p, true);
        } catch (IOException e) {
            return writer.failed("cannot open " + p + ": " + LogWriter.describe(e));
        }
        logFile.write("\nOpened regex filter log\n");
        writer.wrote(logFile);
        return null;
    }
}
