package dev.patchbay.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.patchbay.Patchbay;
import dev.patchbay.core.ProtocolDetails;
import dev.patchbay.core.Session;
import dev.patchbay.core.Termination;
import dev.patchbay.testing.MariaDbServer;
import dev.patchbay.testing.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Commands through Patchbay against a real MariaDB with MariaDB Connector/J 3.5. */
class MariaDbCommandTest {
    static MariaDbServer db;
    static Patchbay proxy;

    @BeforeAll
    static void setUp() throws Exception {
        start("");
    }

    /** Creates the accounts and starts Patchbay with {@code globalKeys} added to its {@code [patchbay]} section. */
    static void start(String globalKeys) throws Exception {
        db = MariaDbServer.shared();
        MariaDbFixture.createUser(db, "cmd_app", "%", "cmd-pw", "cmd_db");
        MariaDbFixture.createUser(db, "cmd_other", "%", "other-pw", "cmd_db");
        db.exec("GRANT ALL ON cmd_db2.* TO 'cmd_app'@'%'", "CREATE DATABASE IF NOT EXISTS cmd_db2",
                "CREATE OR REPLACE TABLE cmd_db.t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(100), b LONGBLOB) ENGINE=InnoDB");
        proxy = Proxy.start(MariaDbFixture.config(db, "retain_last_statements=5\n", "")
                .replace("[patchbay]\n", "[patchbay]\n" + globalKeys));
    }

    @AfterAll
    static void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @AfterEach
    void allSessionsClosed() {
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.sessions().size() == 0);
    }

    private static Connection connect(String options) throws SQLException {
        return MariaDbFixture.connect(proxy, "cmd_app", "cmd-pw", "cmd_db", options);
    }

    @Test
    void queriesPreparedStatementsAndMultiResults() throws Exception {
        try (Connection c = connect("useServerPrepStmts=true&allowMultiQueries=true"); Statement st = c.createStatement()) {
            st.executeUpdate("DELETE FROM t");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (v) VALUES (?)")) {
                for (int i = 0; i < 5; i++) {
                    ps.setString(1, "row" + i);
                    ps.executeUpdate();
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT v FROM t WHERE v LIKE ? ORDER BY id")) {
                ps.setString(1, "row%");
                ResultSet rs = ps.executeQuery();
                List<String> rows = new ArrayList<>();
                while (rs.next()) {
                    rows.add(rs.getString(1));
                }
                assertThat(rows).containsExactly("row0", "row1", "row2", "row3", "row4");
            }
            assertThat(st.execute("SELECT 1; SELECT 2, 3; UPDATE t SET v = v WHERE id < 0")).isTrue();
            ResultSet r1 = st.getResultSet();
            r1.next();
            assertThat(r1.getInt(1)).isEqualTo(1);
            assertThat(st.getMoreResults()).isTrue();
            ResultSet r2 = st.getResultSet();
            r2.next();
            assertThat(r2.getInt(2)).isEqualTo(3);
            assertThat(st.getMoreResults()).isFalse();
            assertThat(st.getUpdateCount()).isZero();
            assertThatThrownBy(() -> st.executeQuery("SELECT * FROM no_such_table"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode()).isEqualTo(1146));
            assertThat(st.executeQuery("SELECT 42").next()).isTrue();
            assertThat(c.isValid(2)).isTrue();
        }
    }

    /** Batches make Connector/J pipeline many commands before reading their answers. */
    @Test
    void pipelinedBatchesArePairedWithTheirResponses() throws Exception {
        for (String options : new String[] {"useServerPrepStmts=true&useBulkStmts=true", "useServerPrepStmts=false"}) {
            try (Connection c = connect(options); Statement st = c.createStatement()) {
                st.executeUpdate("DELETE FROM t WHERE v LIKE 'batch%'");
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (v) VALUES (?)")) {
                    for (int i = 0; i < 2000; i++) {
                        ps.setString(1, "batch" + i);
                        ps.addBatch();
                    }
                    int[] counts = ps.executeBatch();
                    assertThat(counts).hasSize(2000);
                }
                for (int i = 0; i < 50; i++) {
                    st.addBatch("UPDATE t SET v = v WHERE v = 'batch" + i + "'");
                }
                assertThat(st.executeBatch()).hasSize(50);
                ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM t WHERE v LIKE 'batch%'");
                rs.next();
                assertThat(rs.getInt(1)).as(options).isEqualTo(2000);
                Session s = proxy.sessions().get(c.unwrap(org.mariadb.jdbc.Connection.class).getThreadId());
                assertThat(s.protocolDetails().awaitingResponse()).isFalse();
            }
        }
    }

    @Test
    void storedProcedureMultiResultsAndFieldList() throws Exception {
        try (Connection c = connect(""); Statement st = c.createStatement()) {
            st.execute("CREATE OR REPLACE PROCEDURE p2() BEGIN SELECT 1 AS a; SELECT 2 AS b; END");
            assertThat(st.execute("CALL p2()")).isTrue();
            assertThat(st.getResultSet().next()).isTrue();
            assertThat(st.getMoreResults()).isTrue();
            ResultSet rs = st.getResultSet();
            rs.next();
            assertThat(rs.getInt("b")).isEqualTo(2);
            ResultSet cols = c.getMetaData().getColumns("cmd_db", null, "t", "%");
            int n = 0;
            while (cols.next()) {
                n++;
            }
            assertThat(n).isEqualTo(3);
        }
    }

    @Test
    void largePacketsBothWaysAreByteExact() throws Exception {
        byte[] blob = new byte[20 * 1024 * 1024 + 17];
        new Random(5).nextBytes(blob);
        try (Connection c = connect("useServerPrepStmts=true")) {
            long id;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (v, b) VALUES ('big', ?)", Statement.RETURN_GENERATED_KEYS)) {
                ps.setBytes(1, blob);
                ps.executeUpdate();
                ResultSet keys = ps.getGeneratedKeys();
                keys.next();
                id = keys.getLong(1);
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT b FROM t WHERE id = ?")) {
                ps.setLong(1, id);
                ResultSet rs = ps.executeQuery();
                rs.next();
                assertThat(rs.getBytes(1)).isEqualTo(blob);
            }
            try (Statement st = c.createStatement()) {
                ResultSet rs = st.executeQuery("SELECT b FROM t WHERE id = " + id);
                rs.next();
                assertThat(rs.getBytes(1)).isEqualTo(blob);
            }
        }
    }

    @Test
    void hundredMegabyteResultIsIdenticalToDirect() throws Exception {
        String sql = "SELECT seq, REPEAT(CHAR(65 + seq % 26), 1000000) FROM seq_1_to_100";
        String viaProxy;
        try (Connection c = connect("")) {
            viaProxy = digest(c, sql);
        }
        try (Connection direct = java.sql.DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + db.port()
                + "/cmd_db?sslMode=disable&user=cmd_app&password=cmd-pw")) {
            assertThat(viaProxy).isEqualTo(digest(direct, sql));
        }
    }

    private static String digest(Connection c, String sql) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        long bytes = 0;
        try (Statement st = c.createStatement()) {
            st.setFetchSize(10);
            ResultSet rs = st.executeQuery(sql);
            while (rs.next()) {
                byte[] b = rs.getBytes(2);
                md.update(rs.getString(1).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                md.update(b);
                bytes += b.length;
            }
        }
        assertThat(bytes).isEqualTo(100_000_000L);
        return HexFormat.of().formatHex(md.digest());
    }

    @Test
    void loadDataLocalInfile() throws Exception {
        Path f = Files.createTempFile("patchbay-infile", ".csv");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            sb.append("infile").append(i).append('\n');
        }
        Files.writeString(f, sb);
        try (Connection c = connect("allowLocalInfile=true"); Statement st = c.createStatement()) {
            st.executeUpdate("DELETE FROM t WHERE v LIKE 'infile%'");
            int n = st.executeUpdate("LOAD DATA LOCAL INFILE '" + f + "' INTO TABLE t (v)");
            assertThat(n).isEqualTo(20_000);
            ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM t WHERE v LIKE 'infile%'");
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(20_000);
        } finally {
            Files.deleteIfExists(f);
        }
    }

    @Test
    void transactionsAreTrackedFromTheServerStatus() throws Exception {
        try (Connection c = connect(""); Statement st = c.createStatement()) {
            Session s = proxy.sessions().get(c.unwrap(org.mariadb.jdbc.Connection.class).getThreadId());
            ProtocolDetails d = s.protocolDetails();
            assertThat(d.inTransaction()).isFalse();
            c.setAutoCommit(false);
            st.executeUpdate("INSERT INTO t (v) VALUES ('trx')");
            assertThat(d.inTransaction()).isTrue();
            c.rollback();
            assertThat(d.inTransaction()).isFalse();
            ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM t WHERE v = 'trx'");
            rs.next();
            assertThat(rs.getInt(1)).isZero();
            st.executeUpdate("INSERT INTO t (v) VALUES ('trx')");
            c.commit();
            c.setAutoCommit(true);
            rs = st.executeQuery("SELECT COUNT(*) FROM t WHERE v = 'trx'");
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
            assertThat(d.awaitingResponse()).isFalse();
        }
    }

    @Test
    void cancelKillsTheRunningQueryThroughPatchbay() throws Exception {
        try (Connection c = connect(""); Statement st = c.createStatement()) {
            CompletableFuture<Void> cancel = CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(700);
                    st.cancel();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> st.executeQuery("SELECT SLEEP(20)").next())
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getMessage()).containsIgnoringCase("interrupted"));
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).isLessThan(10);
            cancel.join();
            assertThat(st.executeQuery("SELECT 1").next()).isTrue();
        }
    }

    @Test
    void queryTimeoutWorks() throws Exception {
        try (Connection c = connect(""); Statement st = c.createStatement()) {
            st.setQueryTimeout(1);
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> st.executeQuery("SELECT SLEEP(20)").next()).isInstanceOf(SQLException.class);
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).isLessThan(10);
        }
    }

    @Test
    void killAddressesPatchbaySessionIds() throws Exception {
        try (Connection victim = connect(""); Connection killer = connect(""); Statement st = killer.createStatement()) {
            long id = victim.unwrap(org.mariadb.jdbc.Connection.class).getThreadId();
            assertThatThrownBy(() -> st.execute("KILL 999999999"))
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getErrorCode()).isEqualTo(1094);
                        assertThat(e.getMessage()).contains("Unknown thread id: 999999999");
                    });
            st.execute("KILL QUERY " + id);
            assertThat(victim.isValid(2)).isTrue();
            st.execute("KILL CONNECTION " + id);
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.sessions().get(id) == null);
            assertThatThrownBy(() -> victim.createStatement().executeQuery("SELECT 1")).isInstanceOf(SQLException.class);
        }
    }

    /** As from MariaDB: the killed client waiting for an answer is told, and the session ends as killed. */
    @Test
    void killConnectionFromAnotherSessionAnswersTheVictimWith1927() throws Exception {
        try (Connection victim = connect(""); Connection killer = connect(""); Statement st = killer.createStatement()) {
            long id = victim.unwrap(org.mariadb.jdbc.Connection.class).getThreadId();
            Session s = proxy.sessions().get(id);
            Throwable got = MariaDbFixture.failureOfQueryKilledBy(victim, s, "SELECT SLEEP(5)", () -> st.execute("KILL " + id));
            assertThat(got).isInstanceOfSatisfying(SQLException.class, e -> {
                assertThat(e.getErrorCode()).isEqualTo(1927);
                assertThat(e.getMessage()).contains("Connection was killed");
            });
            Termination end = s.closedFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(end.cause()).isEqualTo(Termination.Cause.KILLED);
            assertThat(end.detail()).startsWith("SQL KILL session ");
        }
    }

    @Test
    void anotherUsersSessionCannotBeKilled() throws Exception {
        try (Connection victim = connect("");
             Connection other = MariaDbFixture.connect(proxy, "cmd_other", "other-pw", "cmd_db", "");
             Statement st = other.createStatement()) {
            long id = victim.unwrap(org.mariadb.jdbc.Connection.class).getThreadId();
            assertThatThrownBy(() -> st.execute("KILL " + id))
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getErrorCode()).isEqualTo(1095);
                        assertThat(e.getMessage()).as("the id the client gave, not the server's thread")
                                .contains("You are not owner of thread " + id);
                    });
            assertThat(victim.isValid(2)).isTrue();
        }
    }

    @Test
    void changeUserIsReauthenticatedByPatchbay() throws Exception {
        try (RawClient raw = new RawClient(proxy.listenerAddress("db"))) {
            byte[] ok = raw.login("cmd_app", "cmd-pw", "cmd_db");
            assertThat(ok[0]).isEqualTo((byte) 0);
            long id = raw.handshake.connectionId();
            byte[] bad = raw.changeUser("cmd_other", "wrong", "cmd_db");
            assertThat(RawClient.errCode(bad)).isEqualTo(1045);
            byte[] good = raw.changeUser("cmd_other", "other-pw", "cmd_db");
            assertThat(good[0]).as(RawClient.errMessage(good)).isEqualTo((byte) 0);
            assertThat(proxy.sessions().get(id).protocolDetails().user()).isEqualTo("cmd_other");
            byte[] first = raw.query("SELECT CURRENT_USER()");
            assertThat(first[0]).isEqualTo((byte) 1);
            StringBuilder rows = new StringBuilder();
            byte[] p;
            while ((p = raw.readPayload())[0] != (byte) 0xFE || p.length >= 9) {
                rows.append(new String(p, java.nio.charset.StandardCharsets.ISO_8859_1));
            }
            // column definition, EOF, then the row
            while ((p = raw.readPayload())[0] != (byte) 0xFE || p.length >= 9) {
                rows.append(new String(p, java.nio.charset.StandardCharsets.ISO_8859_1));
            }
            assertThat(rows.toString()).contains("cmd_other@%");
        }
    }

    @Test
    void initDbResetAndPing() throws Exception {
        try (Connection c = connect("useResetConnection=true")) {
            Session s = proxy.sessions().get(c.unwrap(org.mariadb.jdbc.Connection.class).getThreadId());
            c.setCatalog("cmd_db2");
            try (Statement st = c.createStatement()) {
                ResultSet rs = st.executeQuery("SELECT DATABASE()");
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("cmd_db2");
                st.execute("SET @x = 5");
                st.execute("USE cmd_db");
            }
            assertThat(s.protocolDetails().database()).isEqualTo("cmd_db");
            assertThat(s.protocolDetails().history().length()).isGreaterThanOrEqualTo(2);
            c.unwrap(org.mariadb.jdbc.Connection.class).reset();
            try (Statement st = c.createStatement()) {
                ResultSet rs = st.executeQuery("SELECT @x, DATABASE()");
                rs.next();
                assertThat(rs.getObject(1)).isNull();
                assertThat(rs.getString(2)).isEqualTo("cmd_db");
            }
            assertThat(c.isValid(2)).isTrue();
            List<ProtocolDetails.Statement> recent = s.protocolDetails().recentStatements();
            assertThat(recent).hasSizeLessThanOrEqualTo(5).isNotEmpty();
            assertThat(recent.get(recent.size() - 1).command()).isEqualTo("COM_PING");
            assertThat(recent.get(recent.size() - 1).sql()).isNull();
            ProtocolDetails.Statement last = recent.get(recent.size() - 2);
            assertThat(last.command()).isEqualTo("COM_QUERY");
            assertThat(last.sql()).isEqualTo("SELECT @x, DATABASE()");
            assertThat(last.completedEpochMicros()).isGreaterThanOrEqualTo(last.receivedEpochMicros());
            assertThat(last.responses()).extracting(ProtocolDetails.Response::server).containsExactly("server1");
            assertThat(s.protocolDetails().memory().lastQueries()).isPositive();
        }
    }
}
