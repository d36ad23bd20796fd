package dev.patchbay.logging;

import dev.patchbay.core.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.event.Level;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Log lines that belong to one session. The MDC key {@code session} carries the id so that
 * per-session log levels and the session trace can pick them up; it is set only around the call,
 * never per I/O event.
 *
 * <p>Patchbay's levels are MaxScale's five; Logback has no "notice", so they map one step down:
 * error=ERROR, warning=WARN, notice=INFO, info=DEBUG, debug=TRACE.
 */
public final class SessionLog {
    public static final String MDC_KEY = "session";
    private static final Logger log = LoggerFactory.getLogger("patchbay.session");
    /** Running instances with session tracing on: their sessions' lines are wanted at every level. */
    private static final AtomicInteger tracers = new AtomicInteger();

    private SessionLog() {}

    public static void warning(Session s, String format, Object... args) {
        emit(s, Level.WARN, format, args);
    }

    public static void notice(Session s, String format, Object... args) {
        emit(s, Level.INFO, format, args);
    }

    public static void info(Session s, String format, Object... args) {
        emit(s, Level.DEBUG, format, args);
    }

    public static void debug(Session s, String format, Object... args) {
        emit(s, Level.TRACE, format, args);
    }

    static void tracingStarted() {
        tracers.incrementAndGet();
    }

    static void tracingStopped() {
        tracers.decrementAndGet();
    }

    private static void emit(Session s, Level level, String format, Object... args) {
        // Fast path, taken for almost every line: nobody wants it, so skip the MDC (which copies a map).
        if (s.logFlags() == 0 && tracers.get() == 0 && !log.isEnabledForLevel(level)) {
            return;
        }
        MDC.put(MDC_KEY, Long.toString(s.id()));
        try {
            log.atLevel(level).log(format, args);
        } finally {
            MDC.remove(MDC_KEY);
        }
    }
}
