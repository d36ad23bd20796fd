package dev.patchbay.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.patchbay.Patchbay;
import dev.patchbay.RuntimeConfig;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionControl;
import dev.patchbay.core.SessionState;
import dev.patchbay.core.Termination;
import dev.patchbay.testing.MariaDbServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Restart and kills of MariaDB sessions against a real server with Connector/J: the new backend
 * connection is brought to the session's state (variables, database, prepared statements), the client
 * sees nothing, restarts wait for transactions, temporary tables refuse them, a replay whose reply
 * differs keeps the old connection, and kills tell the client why (ERR 1927).
 */
class MariaDbRestartTest {
    static MariaDbServer db;
    static Patchbay proxy;

    @BeforeAll
    static void setUp() throws Exception {
        db = MariaDbServer.shared();
        MariaDbFixture.createUser(db, "rs_app", "%", "rs-pw", "rs_db");
        db.exec("CREATE DATABASE IF NOT EXISTS rs_db2", "GRANT ALL ON rs_db2.* TO 'rs_app'@'%'",
                "CREATE DATABASE IF NOT EXISTS rs_gone", "GRANT ALL ON rs_gone.* TO 'rs_app'@'%'",
                "CREATE TABLE IF NOT EXISTS rs_db.t (id INT PRIMARY KEY AUTO_INCREMENT, v INT) ENGINE=InnoDB");
        proxy = MariaDbFixture.start(db, "", "");
    }

    @AfterAll
    static void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private static Connection connect(String options) throws SQLException {
        return MariaDbFixture.connect(proxy, "rs_app", "rs-pw", "rs_db", options);
    }

    private static Session sessionOf(Connection c) throws Exception {
        Session s = proxy.sessions().get(c.unwrap(org.mariadb.jdbc.Connection.class).getThreadId());
        assertThat(s).isNotNull();
        return s;
    }

    private static long query(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(1);
        }
    }

    private static String text(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    /** Asks for a restart and waits until it has an outcome; returns it. */
    private static SessionControl.RestartResult restart(Session s) {
        int before = s.control().restarts();
        SessionControl.RestartResult last = s.control().lastRestart();
        assertThat(s.control().requestRestart("test", 0).join()).isNull();
        await().atMost(15, TimeUnit.SECONDS).until(() -> s.control().restarts() > before
                || (s.control().lastRestart() != last && s.control().lastRestart() != null));
        return s.control().lastRestart();
    }

    @Test
    void restartKeepsVariablesDatabaseAndPreparedStatements() throws Exception {
        try (Connection c = connect("useServerPrepStmts=true&cachePrepStmts=false")) {
            Session s = sessionOf(c);
            long thread = query(c, "SELECT CONNECTION_ID()");
            try (Statement st = c.createStatement()) {
                st.execute("SET @x = 42");
                st.execute("SET SESSION sql_mode = 'ANSI_QUOTES'");
                st.execute("SET NAMES utf8mb4 COLLATE utf8mb4_bin");
                st.execute("USE rs_db2");
            }
            PreparedStatement plus = c.prepareStatement("SELECT ? + 1");
            PreparedStatement twice = c.prepareStatement("SELECT ? * 2");
            plus.setInt(1, 1);
            try (ResultSet rs = plus.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(2);
            }

            SessionControl.RestartResult r = restart(s);
            assertThat(r.ok()).as(r.detail()).isTrue();
            assertThat(s.control().restarts()).isEqualTo(1);

            assertThat(query(c, "SELECT CONNECTION_ID()")).as("a new backend connection").isNotEqualTo(thread);
            assertThat(query(c, "SELECT @x")).isEqualTo(42);
            assertThat(text(c, "SELECT @@sql_mode")).contains("ANSI_QUOTES");
            assertThat(text(c, "SELECT @@collation_connection")).isEqualTo("utf8mb4_bin");
            assertThat(text(c, "SELECT DATABASE()")).isEqualTo("rs_db2");
            plus.setInt(1, 10);
            try (ResultSet rs = plus.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(11);
            }
            // A statement prepared after the restart gets an id that does not clash with the old ones.
            PreparedStatement minus = c.prepareStatement("SELECT ? - 1");
            minus.setInt(1, 10);
            try (ResultSet rs = minus.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(9);
            }
            twice.setInt(1, 21);
            try (ResultSet rs = twice.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(42);
            }
            plus.close();
            // A second restart replays what is left, mapping the ids again.
            SessionControl.RestartResult r2 = restart(s);
            assertThat(r2.ok()).as(r2.detail()).isTrue();
            minus.setInt(1, 5);
            try (ResultSet rs = minus.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(4);
            }
            twice.setInt(1, 4);
            try (ResultSet rs = twice.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(8);
            }
            assertThat(query(c, "SELECT @x")).isEqualTo(42);
            assertThat(s.control().restarts()).isEqualTo(2);
        }
    }

    @Test
    void aJdbcConnectionKeepsWorkingAcross100Restarts() throws Exception {
        try (Connection c = connect("useServerPrepStmts=true")) {
            Session s = sessionOf(c);
            long marker = System.nanoTime();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger inserted = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread worker = new Thread(() -> {
                try (PreparedStatement ins = c.prepareStatement("INSERT INTO t (v) VALUES (?)");
                     PreparedStatement echo = c.prepareStatement("SELECT ?")) {
                    c.createStatement().execute("SET @marker = " + marker);
                    int i = 0;
                    while (!stop.get()) {
                        ins.setLong(1, marker % 1_000_000 + i);
                        assertThat(ins.executeUpdate()).isEqualTo(1);
                        inserted.incrementAndGet();
                        echo.setInt(1, i);
                        try (ResultSet rs = echo.executeQuery()) {
                            assertThat(rs.next()).isTrue();
                            assertThat(rs.getInt(1)).isEqualTo(i);
                        }
                        assertThat(query(c, "SELECT @marker")).isEqualTo(marker);
                        i++;
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "restart-worker");
            worker.start();
            // Restarts during steady traffic: not while the worker still prepares its statements and sets @marker
            // (three session commands in a row make a restart give up after its three replay rounds, by design).
            await().atMost(Duration.ofSeconds(10)).until(() -> inserted.get() > 0 || failure.get() != null);
            List<String> failures = new ArrayList<>();
            for (int n = 0; n < 100 && failure.get() == null; n++) {
                SessionControl.RestartResult r = restart(s);
                if (!r.ok()) {
                    failures.add(r.detail());
                }
            }
            stop.set(true);
            worker.join(10_000);
            assertThat(failure.get()).isNull();
            assertThat(failures).isEmpty();
            assertThat(s.control().restarts()).isEqualTo(100);
            long lo = marker % 1_000_000;
            assertThat(query(c, "SELECT COUNT(*) FROM t WHERE v >= " + lo + " AND v < " + (lo + inserted.get())))
                    .as("every insert arrived once").isEqualTo(inserted.get());
            assertThat(inserted.get()).isGreaterThan(100);
        }
    }

    @Test
    void aRestartWaitsForTheTransactionToEnd() throws Exception {
        try (Connection c = connect("")) {
            Session s = sessionOf(c);
            long thread = query(c, "SELECT CONNECTION_ID()");
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.executeUpdate("INSERT INTO t (v) VALUES (-1)");
            }
            assertThat(s.control().requestRestart("test", 0).join()).isNull();
            await().atMost(5, TimeUnit.SECONDS).until(() -> s.control().pendingRestart() != null
                    && "transaction".equals(s.control().pendingRestart().waitingFor()));
            Thread.sleep(300);
            assertThat(s.control().lastRestart()).isNull();
            assertThat(query(c, "SELECT CONNECTION_ID()")).isEqualTo(thread);
            c.commit();
            await().atMost(10, TimeUnit.SECONDS).until(() -> s.control().restarts() == 1);
            assertThat(query(c, "SELECT CONNECTION_ID()")).isNotEqualTo(thread);
            c.setAutoCommit(true);
            assertThat(query(c, "SELECT COUNT(*) FROM t WHERE v = -1")).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void temporaryTablesRefuseARestartUntilDropped() throws Exception {
        try (Connection c = connect("")) {
            Session s = sessionOf(c);
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TEMPORARY TABLE scratch (a INT)");
                st.execute("create temporary table if not exists `Other` (b INT)");
            }
            SessionControl.RestartResult r = restart(s);
            assertThat(r.ok()).isFalse();
            assertThat(r.detail()).isEqualTo("the session has temporary tables (Other, scratch): they cannot be moved"
                    + " to a new connection; drop them first");
            try (Statement st = c.createStatement()) {
                st.execute("DROP TEMPORARY TABLE scratch, rs_db.Other");
            }
            SessionControl.RestartResult ok = restart(s);
            assertThat(ok.ok()).as(ok.detail()).isTrue();
        }
    }

    /** ORMs and dump tools put comments first; MariaDB runs an executable comment's text. */
    @Test
    void commentedSessionCommandsAndTemporaryTablesAreRecognised() throws Exception {
        try (Connection c = connect("")) {
            Session s = sessionOf(c);
            try (Statement st = c.createStatement()) {
                st.execute("/* app */ SET @a = 1");
                st.execute("-- orm\nSET @b = 2");
                st.execute("# tool\n /*!40101 SET @c = 3 */");
                st.execute("/* app */ USE rs_db2");
                st.execute("/* orm */ CREATE TEMPORARY TABLE commented (a INT)");
            }
            SessionControl.RestartResult refused = restart(s);
            assertThat(refused.ok()).isFalse();
            assertThat(refused.detail()).startsWith("the session has temporary tables (commented)");
            try (Statement st = c.createStatement()) {
                st.execute("/* orm */ DROP TEMPORARY TABLE commented");
            }
            SessionControl.RestartResult r = restart(s);
            assertThat(r.ok()).as(r.detail()).isTrue();
            assertThat(query(c, "SELECT @a + @b + @c")).isEqualTo(6);
            assertThat(text(c, "SELECT DATABASE()")).isEqualTo("rs_db2");
        }
    }

    @Test
    void aReplayWhoseReplyDiffersKeepsTheOldConnection() throws Exception {
        db.exec("CREATE DATABASE IF NOT EXISTS rs_gone");
        try (Connection c = connect("")) {
            Session s = sessionOf(c);
            long thread = query(c, "SELECT CONNECTION_ID()");
            c.createStatement().execute("USE rs_gone");
            c.createStatement().execute("USE rs_db");
            db.exec("DROP DATABASE rs_gone");
            SessionControl.RestartResult r = restart(s);
            assertThat(r.ok()).isFalse();
            assertThat(r.detail()).startsWith("Response from server 'server1' differs from the expected response to"
                    + " COM_QUERY 'USE rs_gone': expected OK, got ERR 1049");
            assertThat(query(c, "SELECT CONNECTION_ID()")).as("the old connection stays").isEqualTo(thread);
            assertThat(s.control().restarts()).isZero();
        } finally {
            db.exec("CREATE DATABASE IF NOT EXISTS rs_gone");
        }
    }

    @Test
    void aRestartMovesTheSessionFromARemovedServerToOneAddedAtRunTime() throws Exception {
        try (Connection c = connect("")) {
            Session s = sessionOf(c);
            assertThat(s.server().name()).isEqualTo("server1");
            RuntimeConfig rc = proxy.runtimeConfig();
            Map<String, String> server2 = new LinkedHashMap<>(rc.entries("server1"));
            Map<String, String> svc = new LinkedHashMap<>(rc.entries("svc"));
            svc.put("servers", "server2");
            rc.apply(List.of(new RuntimeConfig.Edit("server2", RuntimeConfig.render("server2", "server", server2)),
                    new RuntimeConfig.Edit("svc", RuntimeConfig.render("svc", "service", svc))), "test", "move");
            rc.apply(List.of(rc.destroy("server1", "server")), "test", "remove the old server");
            assertThat(proxy.servers()).doesNotContainKey("server1");
            try {
                long gen = proxy.generation().current();
                SessionControl.RestartResult r = restart(s);
                assertThat(r.ok()).as(r.detail()).isTrue();
                assertThat(s.server().name()).isEqualTo("server2");
                assertThat(s.generation()).isEqualTo(gen);
                assertThat(((MariaDbDetails) s.protocolDetails()).backendConnections().get(0).server()).isEqualTo("server2");
                assertThat(query(c, "SELECT 7")).isEqualTo(7);
            } finally {
                svc.put("servers", "server1");
                rc.apply(List.of(new RuntimeConfig.Edit("server1", null),
                        new RuntimeConfig.Edit("svc", RuntimeConfig.render("svc", "service", svc))), "test", "back");
                rc.apply(List.of(rc.destroy("server2", "server")), "test", "back");
            }
        }
    }

    @Test
    void aSafeKillWaitsForTheTransactionAndTheClientIsToldWhy() throws Exception {
        try (Connection c = connect("")) {
            Session s = sessionOf(c);
            c.setAutoCommit(false);
            c.createStatement().executeUpdate("INSERT INTO t (v) VALUES (-2)");
            long t0 = System.nanoTime();
            s.control().scheduleKill(TimeUnit.SECONDS.toNanos(10), true,
                    Termination.killedBy(Termination.AdminInterface.REST_API, "test"), "test", "maintenance").join();
            assertThat(s.control().pendingKill().safe()).isTrue();
            Thread.sleep(500);
            assertThat(s.state().isLive()).as("not inside a transaction").isTrue();
            c.commit();
            await().atMost(5, TimeUnit.SECONDS).until(() -> s.state() instanceof SessionState.Closed);
            assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(8));
            assertThatThrownBy(() -> query(c, "SELECT 1")).isInstanceOf(SQLException.class);
        }
    }

    @Test
    void aSafeKillDoesNotWaitPastItsDeadline() throws Exception {
        try (Connection c = connect("")) {
            Session s = sessionOf(c);
            c.setAutoCommit(false);
            c.createStatement().executeUpdate("INSERT INTO t (v) VALUES (-3)");
            long t0 = System.nanoTime();
            s.control().scheduleKill(TimeUnit.MILLISECONDS.toNanos(1000), true,
                    Termination.killedBy(Termination.AdminInterface.REST_API, "test"), "test", "maintenance").join();
            Thread.sleep(700);
            assertThat(s.state().isLive()).isTrue();
            await().atMost(5, TimeUnit.SECONDS).until(() -> s.state() instanceof SessionState.Closed);
            assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(1000));
        }
    }

    @Test
    void aKillDuringAQueryAnswersItWithError1927() throws Exception {
        try (Connection c = connect("")) {
            Session s = sessionOf(c);
            Throwable got = MariaDbFixture.failureOfQueryKilledBy(c, s, "SELECT SLEEP(5)", () -> s.control().scheduleKill(0,
                    false, Termination.killedBy(Termination.AdminInterface.REST_API, "admin"), "test",
                    "killed by admin for maintenance").join());
            assertThat(got).isInstanceOf(SQLException.class);
            SQLException e = (SQLException) got;
            assertThat(e.getErrorCode()).isEqualTo(1927);
            assertThat(e.getSQLState()).isEqualTo("70100");
            assertThat(e.getMessage()).contains("Connection was killed: killed by admin for maintenance");
        }
    }
}
