package dev.patchbay.logging;

import dev.patchbay.core.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Log lines that belong to one session. The MDC key {@code session} carries the id so that
 * per-session log levels and the session trace can pick them up; it is set only around the call,
 * never per I/O event.
 */
public final class SessionLog {
    public static final String MDC_KEY = "session";
    private static final Logger log = LoggerFactory.getLogger("patchbay.session");

    private SessionLog() {}

    public static void info(Session s, String format, Object... args) {
        MDC.put(MDC_KEY, Long.toString(s.id()));
        try {
            log.info(format, args);
        } finally {
            MDC.remove(MDC_KEY);
        }
    }

    public static void debug(Session s, String format, Object... args) {
        MDC.put(MDC_KEY, Long.toString(s.id()));
        try {
            log.debug(format, args);
        } finally {
            MDC.remove(MDC_KEY);
        }
    }

    public static void warn(Session s, String format, Object... args) {
        MDC.put(MDC_KEY, Long.toString(s.id()));
        try {
            log.warn(format, args);
        } finally {
            MDC.remove(MDC_KEY);
        }
    }
}
