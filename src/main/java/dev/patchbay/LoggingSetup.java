package dev.patchbay;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.patchbay.config.PatchbayConfig;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Applies {@code [patchbay]} log_level, log_file and access_log to Logback. */
final class LoggingSetup {
    /**
     * The operational log line; a line logged in a session's context carries its id as MaxScale's do,
     * {@code (5) }, so that per-session output can be told apart. The same as logback.xml's console pattern.
     */
    static final String LINE_PATTERN =
            "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{0}: %replace(%X{session}){'(.+)', '($1) '}%msg%n";

    private LoggingSetup() {}

    static void apply(PatchbayConfig.Global g) {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(level(g.logLevel()));
        if (!g.logFile().isEmpty()) {
            Appender<ch.qos.logback.classic.spi.ILoggingEvent> file =
                    fileAppender(ctx, "FILE", g.logFile(), LINE_PATTERN);
            root.detachAndStopAllAppenders();
            root.addAppender(file);
        }
        Logger access = ctx.getLogger("patchbay.access");
        switch (g.accessLog()) {
            case "off":
                access.setLevel(Level.OFF);
                break;
            case "stdout":
                access.setLevel(Level.INFO);
                break;
            default:
                access.setLevel(Level.INFO);
                access.detachAndStopAllAppenders();
                access.addAppender(fileAppender(ctx, "ACCESS_FILE", g.accessLog(), "%d{yyyy-MM-dd HH:mm:ss.SSS} %msg%n"));
                access.setAdditive(false);
                break;
        }
    }

    /**
     * Reopens {@code log_file} and {@code access_log} (SIGHUP): after logrotate moved them, lines go to new
     * files of the same names. Lines logged during the reopen may be lost.
     */
    static void reopenFiles() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        List<String> reopened = new ArrayList<>();
        for (Logger logger : List.of(ctx.getLogger(Logger.ROOT_LOGGER_NAME), ctx.getLogger("patchbay.access"))) {
            for (Iterator<Appender<ILoggingEvent>> it = logger.iteratorForAppenders(); it.hasNext(); ) {
                if (it.next() instanceof FileAppender<ILoggingEvent> file) {
                    file.stop();
                    file.start();
                    reopened.add(file.getFile());
                }
            }
        }
        LoggerFactory.getLogger(LoggingSetup.class).info("SIGHUP: {}", reopened.isEmpty()
                ? "no log file to reopen (logging to standard output); SIGTERM stops Patchbay"
                : "reopened " + String.join(", ", reopened));
    }

    /** MaxScale's five levels on Logback's: notice is Logback's INFO, info is DEBUG, debug is TRACE. */
    static Level level(String patchbayLevel) {
        switch (patchbayLevel) {
            case "error": return Level.ERROR;
            case "warning": return Level.WARN;
            case "info": return Level.DEBUG;
            case "debug": return Level.TRACE;
            default: return Level.INFO;
        }
    }

    private static FileAppender<ch.qos.logback.classic.spi.ILoggingEvent> fileAppender(LoggerContext ctx, String name,
                                                                                    String path, String pattern) {
        PatternLayoutEncoder enc = new PatternLayoutEncoder();
        enc.setContext(ctx);
        enc.setPattern(pattern);
        enc.start();
        FileAppender<ch.qos.logback.classic.spi.ILoggingEvent> a = new FileAppender<>();
        a.setContext(ctx);
        a.setName(name);
        a.setFile(path);
        a.setAppend(true);
        a.setEncoder(enc);
        a.start();
        return a;
    }
}
