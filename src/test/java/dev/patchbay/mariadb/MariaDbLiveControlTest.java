package dev.patchbay.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.patchbay.Patchbay;
import dev.patchbay.core.LogLevels;
import dev.patchbay.core.LogSelectors;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionState;
import dev.patchbay.core.Termination;
import dev.patchbay.testing.MariaDbServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The protocol-independent live control on MariaDB sessions, with a real server and Connector/J:
 * user log selectors apply once the user is authenticated, and a ttl kill waits for its deadline
 * (restarts and the rest of live control: MariaDbRestartTest).
 */
class MariaDbLiveControlTest {
    static MariaDbServer db;
    static Patchbay proxy;

    @BeforeAll
    static void setUp() throws Exception {
        db = MariaDbServer.shared();
        MariaDbFixture.createUser(db, "live_app", "%", "live-pw", "live_db");
        MariaDbFixture.createUser(db, "live_other", "%", "other-pw", "live_db");
        proxy = MariaDbFixture.start(db, "", "");
    }

    @AfterAll
    static void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private static Session sessionOf(Connection c) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
            assertThat(rs.next()).isTrue();
        }
        // The handshake's thread id is the session id (MaxScale's rule).
        Session s = proxy.sessions().get(c.unwrap(org.mariadb.jdbc.Connection.class).getThreadId());
        assertThat(s).isNotNull();
        return s;
    }

    @Test
    void aUserSelectorAppliesOnceTheUserIsAuthenticated() throws Exception {
        LogSelectors.Selector sel = proxy.sessions().logSelectors().add(LogSelectors.Kind.USER, "live_app", null,
                LogLevels.INFO | LogLevels.DEBUG, 0, "test");
        try (Connection app = MariaDbFixture.connect(proxy, "live_app", "live-pw", "live_db", "");
             Connection other = MariaDbFixture.connect(proxy, "live_other", "other-pw", "live_db", "")) {
            Session a = sessionOf(app);
            Session o = sessionOf(other);
            assertThat(a.logFlags()).isEqualTo(LogLevels.INFO | LogLevels.DEBUG);
            assertThat(o.logFlags()).isZero();
            assertThat(sel.matched().get()).isEqualTo(1);
            assertThat(proxy.sessions().logSelectors().remove(sel.id())).isTrue();
            await().atMost(5, TimeUnit.SECONDS).until(() -> a.logFlags() == 0);
        }
    }

    @Test
    void aTtlKillWaitsForItsDeadline() throws Exception {
        try (Connection app = MariaDbFixture.connect(proxy, "live_app", "live-pw", "live_db", "")) {
            Session s = sessionOf(app);
            s.control().scheduleKill(TimeUnit.MILLISECONDS.toNanos(500), false,
                    Termination.killedBy(Termination.AdminInterface.REST_API, "test"), "test", "test").join();
            assertThat(s.control().pendingKill().safe()).isFalse();
            Thread.sleep(200);
            assertThat(s.state().isLive()).isTrue();
            await().atMost(5, TimeUnit.SECONDS).until(() -> s.state() instanceof SessionState.Closed);
            assertThat(s.termination().cause()).isEqualTo(Termination.Cause.KILLED);
        }
    }
}
