package dev.patchbay.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import dev.patchbay.core.SessionRegistry;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Installs per-session log levels and the session trace into Logback.
 *
 * <p>{@link #attach(SessionRegistry, int)} is called by {@code RestApi.start()} for its Patchbay; the
 * returned handle is closed at stop. Logback must be configured before (a later
 * {@code LoggerContext.reset()}, as a Joran reconfiguration does, drops turbo filters; calling
 * {@link #install()} again puts the filter back). When SLF4J is not bound to Logback this does nothing
 * and says so once.
 */
public final class SessionLogging {

    private static final Object LOCK = new Object();
    private static SessionLevelFilter filter;

    private SessionLogging() {}

    /** What {@link #attach} returns; closing it stops per-session logging for that registry. */
    public interface Handle extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Makes the sessions of {@code registry} obey their {@code logFlags()} and, when
     * {@code traceLines > 0}, keep their last {@code traceLines} log lines in {@code trace()}.
     */
    public static Handle attach(SessionRegistry registry, int traceLines) {
        SessionLevelFilter f = installFilter();
        if (f == null) {
            return () -> { };
        }
        SessionLevelFilter.Attachment a = new SessionLevelFilter.Attachment(registry, Math.max(0, traceLines));
        boolean tracing = a.traceLines() > 0;
        if (tracing) {
            SessionLog.tracingStarted();
        }
        f.attach(a);
        return () -> {
            f.detach(a);
            if (tracing) {
                SessionLog.tracingStopped();
            }
        };
    }

    /**
     * Adds the filter to Logback's context if it is not there (idempotent). Returns false when the
     * SLF4J backend is not Logback.
     */
    public static boolean install() {
        return installFilter() != null;
    }

    private static SessionLevelFilter installFilter() {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext ctx)) {
            LoggerFactory.getLogger(SessionLogging.class).warn(
                    "Per-session log levels and session_trace need Logback; the SLF4J backend is {}",
                    factory.getClass().getName());
            return null;
        }
        synchronized (LOCK) {
            if (filter == null) {
                filter = new SessionLevelFilter();
                filter.setContext(ctx);
                filter.start();
            }
            boolean present = false;
            for (TurboFilter t : ctx.getTurboFilterList()) {
                if (t == filter) {
                    present = true;
                    break;
                }
            }
            if (!present) {
                ctx.addTurboFilter(filter);
            }
            return filter;
        }
    }
}
