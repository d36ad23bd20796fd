package dev.patchbay.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.patchbay.core.Frontend;
import dev.patchbay.core.LogLevels;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionIo;
import dev.patchbay.core.SessionRegistry;
import dev.patchbay.core.SessionState;
import dev.patchbay.core.Termination;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** The turbo filter behind per-session log levels and the session trace, against Logback itself. */
class SessionLoggingTest {
    LoggerContext ctx;
    Logger root;
    Level before;
    ListAppender<ILoggingEvent> captured;
    SessionRegistry registry;
    SessionLogging.Handle handle;

    static final class FakeIo implements SessionIo {
        @Override
        public Executor executor() {
            return Runnable::run;
        }

        @Override
        public boolean inExecutor() {
            return true;
        }

        @Override
        public int threadIndex() {
            return 0;
        }

        @Override
        public void terminate(Termination termination) {
        }

        @Override
        public long clientPendingWriteBytes() {
            return 0;
        }

        @Override
        public long serverPendingWriteBytes() {
            return 0;
        }

        @Override
        public int clientReadBufferSize() {
            return 0;
        }

        @Override
        public int serverReadBufferSize() {
            return 0;
        }
    }

    @BeforeEach
    void setUp() {
        ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        before = root.getLevel();
        root.setLevel(Level.INFO);
        captured = new ListAppender<>();
        captured.start();
        root.addAppender(captured);
        registry = new SessionRegistry();
    }

    @AfterEach
    void tearDown() {
        if (handle != null) {
            handle.close();
        }
        root.detachAppender(captured);
        root.setLevel(before);
    }

    Session open() {
        Frontend f = new Frontend("L", 1, 1, "tcp", "ipv4@127.0.0.1:1", null, 0);
        return registry.open(f, new InetSocketAddress("127.0.0.1", 5555), new InetSocketAddress("127.0.0.1", 1),
                new FakeIo(), new SessionState.Established(System.nanoTime()));
    }

    List<String> messages() {
        return captured.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void aSessionsOwnLevelLetsItsLinesThroughAndOnlyItsLines() {
        handle = SessionLogging.attach(registry, 0);
        Session loud = open();
        Session quiet = open();
        loud.setLogFlags(LogLevels.INFO);
        SessionLog.info(loud, "info from {}", "loud");
        SessionLog.info(quiet, "info from {}", "quiet");
        SessionLog.debug(loud, "debug from loud");
        SessionLog.notice(quiet, "notice from quiet");
        assertThat(messages()).containsExactly("info from loud", "notice from quiet");
        assertThat(captured.list.get(0).getLevel()).isEqualTo(Level.DEBUG);
        // Plain SLF4J calls with the session in the MDC follow the same rule.
        org.slf4j.Logger other = LoggerFactory.getLogger("some.component");
        MDC.put(SessionLog.MDC_KEY, Long.toString(loud.id()));
        try {
            other.debug("plain debug {}", 1);
            assertThat(other.isDebugEnabled()).isTrue();
            assertThat(other.isTraceEnabled()).isFalse();
        } finally {
            MDC.remove(SessionLog.MDC_KEY);
        }
        assertThat(messages()).contains("plain debug 1");
        assertThat(other.isDebugEnabled()).as("no session, no exception to the level").isFalse();
    }

    @Test
    void theTraceKeepsEveryLevelButPrintsOnlyWhatTheLevelAllows() {
        handle = SessionLogging.attach(registry, 2);
        Session s = open();
        SessionLog.debug(s, "one");
        SessionLog.info(s, "two {}", 2);
        SessionLog.warning(s, "three");
        assertThat(messages()).containsExactly("three");
        List<String> trace = s.trace().lines();
        assertThat(trace).hasSize(2);
        assertThat(trace.get(0)).endsWith("   info   : (" + s.id() + ") two 2");
        assertThat(trace.get(1)).endsWith("   warning: (" + s.id() + ") three");
        assertThat(trace.get(0)).matches("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3}   .*");
    }

    @Test
    void linesAfterTheSessionLeftTheRegistryStillFollowItsLevel() {
        handle = SessionLogging.attach(registry, 0);
        Session s = open();
        s.setLogFlags(LogLevels.INFO);
        SessionLog.info(s, "while open");
        s.markClosed();
        assertThat(registry.get(s.id())).isNull();
        SessionLog.info(s, "Closing: done");
        assertThat(messages()).containsExactly("while open", "Closing: done");
    }

    @Test
    void detachingStopsIt() {
        handle = SessionLogging.attach(registry, 0);
        Session s = open();
        s.setLogFlags(LogLevels.INFO | LogLevels.DEBUG);
        handle.close();
        handle = null;
        SessionLog.info(s, "after detach");
        assertThat(messages()).isEmpty();
        assertThat(SessionLogging.install()).isTrue();
    }
}
