package dev.patchbay.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/** The formatted lines one logger (e.g. {@code patchbay.access}) writes during each test. */
public final class LogCapture implements BeforeEachCallback, AfterEachCallback {
    private final String logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    public LogCapture(String logger) {
        this.logger = logger;
    }

    public List<String> lines() {
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        appender.list.clear();
        appender.start();
        ((Logger) LoggerFactory.getLogger(logger)).addAppender(appender);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        ((Logger) LoggerFactory.getLogger(logger)).detachAppender(appender);
    }
}
