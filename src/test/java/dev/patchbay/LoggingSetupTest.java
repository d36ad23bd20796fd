package dev.patchbay;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LoggingSetupTest {

    private static String format(Map<String, String> mdc) {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayout layout = new PatternLayout();
        layout.setContext(ctx);
        layout.setPattern(LoggingSetup.LINE_PATTERN);
        layout.start();
        Logger logger = ctx.getLogger("dev.patchbay.tcp.TcpSession");
        LoggingEvent e = new LoggingEvent(Logger.class.getName(), logger, Level.INFO, "Connected to {}", null,
                new Object[] {"s1"});
        e.setMDCPropertyMap(mdc);
        return layout.doLayout(e);
    }

    @Test
    void aSessionsLineCarriesItsIdAsMaxScalesDo() {
        assertThat(format(Map.of("session", "5"))).matches("(?s).* INFO  \\[.*\\] TcpSession: \\(5\\) Connected to s1\n");
        assertThat(format(Map.of())).endsWith("] TcpSession: Connected to s1\n");
    }

    @Test
    void theConsolePatternIsTheFilePattern() throws Exception {
        try (InputStream in = LoggingSetup.class.getResourceAsStream("/logback.xml")) {
            String xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(xml).contains("<pattern>" + LoggingSetup.LINE_PATTERN.replace("%n", "%n</pattern>"));
        }
    }
}
