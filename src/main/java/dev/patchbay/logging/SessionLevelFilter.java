package dev.patchbay.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import dev.patchbay.core.LogLevels;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionRegistry;
import dev.patchbay.core.SessionState;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.MDC;
import org.slf4j.Marker;
import org.slf4j.helpers.MessageFormatter;

/**
 * Per-session log levels and the session trace, as one Logback {@link TurboFilter}.
 *
 * <p>A line belongs to a session when the MDC key {@link SessionLog#MDC_KEY} holds its id (SessionLog
 * sets it around each call). For such a line:
 * <ul>
 *   <li>if the session's {@link Session#logFlags()} has the line's level, the line is logged whatever the
 *       logger's level is (MaxScale's {@code log_info=true} on one session);</li>
 *   <li>if session tracing is on ({@code session_trace=N}), the line goes into the session's
 *       {@link Session#trace()} ring <em>at every level</em>, logged or not, as MaxScale's in-memory log
 *       does ({@code mxb_log_should_log} is true for every priority while tracing). Lines below the
 *       logger's level are then kept out of the appenders: the trace is the only place they go.</li>
 * </ul>
 * The trace is written here rather than by an appender because an appender only sees what passed the
 * level check, and the trace must also hold what did not.
 *
 * <p>Cost when nothing is on: one MDC lookup per log call made on a thread that has a session id.
 */
final class SessionLevelFilter extends TurboFilter {

    /** One running Patchbay's sessions and its trace length. */
    record Attachment(SessionRegistry registry, int traceLines) {}

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    private final List<Attachment> attachments = new CopyOnWriteArrayList<>();

    SessionLevelFilter() {
        setName("patchbay-session-levels");
    }

    void attach(Attachment a) {
        attachments.add(a);
    }

    void detach(Attachment a) {
        attachments.remove(a);
        recent.values().removeIf(f -> a.registry.get(f.session.id()) == f.session || f.session.state() instanceof SessionState.Closed);
    }

    boolean hasAttachments() {
        return !attachments.isEmpty();
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
                              Throwable t) {
        if (attachments.isEmpty() || level == null) {
            return FilterReply.NEUTRAL;
        }
        String id = MDC.get(SessionLog.MDC_KEY);
        if (id == null) {
            return FilterReply.NEUTRAL;
        }
        Found found = find(id);
        if (found == null) {
            return FilterReply.NEUTRAL;
        }
        boolean forced = (found.session.logFlags() & bitOf(level)) != 0;
        boolean tracing = found.traceLines > 0;
        if (format == null) {
            // An is-enabled probe (isDebugEnabled(), or the fluent API's atLevel()): say yes when the
            // line will be wanted, by the session's own level or by its trace.
            return forced || tracing ? FilterReply.ACCEPT : FilterReply.NEUTRAL;
        }
        if (tracing) {
            found.session.trace().add(traceLine(found.session.id(), level, format, params), found.traceLines);
        }
        if (forced) {
            return FilterReply.ACCEPT;
        }
        if (tracing && !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
            // Only the trace wanted it. DENY also covers the fluent API, whose final call no longer checks
            // the logger's level once the probe said yes.
            return FilterReply.DENY;
        }
        return FilterReply.NEUTRAL;
    }

    private record Found(Session session, int traceLines) {}

    private Found find(String id) {
        long sid;
        try {
            sid = Long.parseLong(id);
        } catch (NumberFormatException e) {
            return null;
        }
        for (Attachment a : attachments) {
            Session s = a.registry.get(sid);
            if (s != null) {
                if (s.logFlags() != 0 || a.traceLines > 0) {
                    remember(sid, new Found(s, a.traceLines));
                }
                return new Found(s, a.traceLines);
            }
        }
        // The last lines of a session ("Closing: ...") come after it left the registry.
        return recent.get(sid);
    }

    /**
     * Sessions seen with a log level or a trace, kept past their removal from the registry so that
     * their last lines still follow their settings. Closed ones are dropped once there are more than
     * {@link #RECENT_MAX}.
     */
    private final Map<Long, Found> recent = new ConcurrentHashMap<>();
    static final int RECENT_MAX = 4096;

    private void remember(long id, Found f) {
        if (recent.put(id, f) == null && recent.size() > RECENT_MAX) {
            recent.values().removeIf(x -> x.session.state() instanceof SessionState.Closed);
        }
    }

    /** The {@link LogLevels} bit of a Logback level, mapped as {@link SessionLog} maps them. */
    static int bitOf(Level level) {
        switch (level.toInt()) {
            case Level.ERROR_INT:
                return LogLevels.ERROR;
            case Level.WARN_INT:
                return LogLevels.WARNING;
            case Level.INFO_INT:
                return LogLevels.NOTICE;
            case Level.DEBUG_INT:
                return LogLevels.INFO;
            case Level.TRACE_INT:
                return LogLevels.DEBUG;
            default:
                return 0;
        }
    }

    /** MaxScale's level prefixes, padded to one width. */
    static String prefix(Level level) {
        switch (level.toInt()) {
            case Level.ERROR_INT:
                return "error  : ";
            case Level.WARN_INT:
                return "warning: ";
            case Level.INFO_INT:
                return "notice : ";
            case Level.DEBUG_INT:
                return "info   : ";
            default:
                return "debug  : ";
        }
    }

    /** {@code 2024-01-05 07:24:06.123   info   : (5) message}, local time, as MaxScale's session log. */
    static String traceLine(long sessionId, Level level, String format, Object[] params) {
        String message = MessageFormatter.basicArrayFormat(format, params);
        return LocalDateTime.now().format(STAMP) + "   " + prefix(level) + "(" + sessionId + ") " + message;
    }
}
