package dev.patchbay.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.patchbay.Patchbay;
import dev.patchbay.core.FilterDef;
import dev.patchbay.core.Session;
import dev.patchbay.testing.MariaDbServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The statement filter modules in real MariaDB sessions, with Connector/J: regexfilter rewrites what
 * the server runs, qlafilter logs each statement once its response is relayed, topfilter reports at
 * session end, throttlefilter (set on one session at run time) delays or refuses.
 */
class MariaDbStatementFilterTest {
    static MariaDbServer db;
    static Patchbay proxy;
    static Path dir;

    @BeforeAll
    static void setUp() throws Exception {
        db = MariaDbServer.shared();
        MariaDbFixture.createUser(db, "sf_app", "%", "sf-pw", "sf_db");
        dir = Files.createTempDirectory("patchbay-filters");
        proxy = MariaDbFixture.start(db, "filters=rx|qla|top", """

                [rx]
                type=filter
                module=regexfilter
                match=cats
                replace=dogs

                [qla]
                type=filter
                module=qlafilter
                filebase=%1$s/qla
                log_data=user,reply_time,query,error
                match=^select
                options=ignorecase

                [top]
                type=filter
                module=topfilter
                filebase=%1$s/top
                count=2
                match=sleep

                [thr]
                type=filter
                module=throttlefilter
                max_qps=5
                sampling_duration=200ms
                throttling_duration=1m

                [qs]
                type=filter
                module=qlafilter
                filebase=%1$s/qs
                log_data=query

                [thr_err]
                type=filter
                module=throttlefilter
                max_qps=1
                sampling_duration=1s
                throttling_duration=1m
                action=error
                """.formatted(dir));
    }

    @AfterAll
    static void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private static Connection connect() throws SQLException {
        return MariaDbFixture.connect(proxy, "sf_app", "sf-pw", "sf_db", "");
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    private static long id(Connection c) throws SQLException {
        return c.unwrap(org.mariadb.jdbc.Connection.class).getThreadId();
    }

    @Test
    void regexfilterRewritesWhatTheServerRuns() throws Exception {
        try (Connection c = connect()) {
            assertThat(one(c, "SELECT 'cats and more cats'")).isEqualTo("dogs and more dogs");
            assertThat(one(c, "SELECT 'birds'")).isEqualTo("birds");
        }
        assertThat(proxy.filters().get("rx").diagnostics()).extractingByKey("replaced")
                .satisfies(n -> assertThat((Long) n).isGreaterThanOrEqualTo(1L));
    }

    @Test
    void qlafilterLogsEachSelectedStatementWithItsReplyTimeAndOutcome() throws Exception {
        Path file;
        try (Connection c = connect()) {
            file = dir.resolve("qla." + id(c));
            one(c, "SELECT 'qla one'");
            SQLException e = catchThrowableOfType(SQLException.class, () -> one(c, "SELECT no_such_column FROM dual"));
            assertThat((Throwable) e).isNotNull();
            try (Statement st = c.createStatement()) {
                st.execute("DO 1");
            }
            one(c, "select SLEEP(0.2)");
        }
        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> {
            List<String> lines = Files.readAllLines(file);
            assertThat(lines.get(0)).isEqualTo("User@Host,Reply_time,Query,Error");
            assertThat(lines).anyMatch(l -> l.matches("sf_app@127\\.0\\.0\\.1,\\d+,SELECT 'qla one',no"));
            assertThat(lines).anyMatch(l -> l.matches("sf_app@127\\.0\\.0\\.1,\\d+,SELECT no_such_column FROM dual,yes"));
            assertThat(lines).anyMatch(l -> l.matches("sf_app@127\\.0\\.0\\.1,(19\\d|[2-9]\\d\\d|\\d{4,}),select SLEEP\\(0\\.2\\),no"));
            assertThat(lines).noneMatch(l -> l.contains("DO 1"));
        });
        // The regexfilter runs first: the log has what the server ran.
        try (Connection c = connect()) {
            Path f = dir.resolve("qla." + id(c));
            one(c, "SELECT 'cats'");
            c.close();
            await().atMost(5, TimeUnit.SECONDS).untilAsserted(() ->
                    assertThat(Files.readAllLines(f)).anyMatch(l -> l.endsWith(",SELECT 'dogs',no")));
        }
    }

    @Test
    void topfilterReportsTheSlowestStatementsWhenTheSessionEnds() throws Exception {
        Path file;
        try (Connection c = connect()) {
            file = dir.resolve("top." + id(c));
            one(c, "SELECT SLEEP(0.1)");
            one(c, "SELECT SLEEP(0.3)");
            one(c, "SELECT SLEEP(0.05)");
            one(c, "SELECT 1");
        }
        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> {
            List<String> lines = Files.readAllLines(file);
            assertThat(lines).hasSizeGreaterThan(10);
            assertThat(lines.get(0)).startsWith("Top 2 longest running queries in session ");
            assertThat(lines.get(5)).matches(" *\\d+\\.\\d{3} \\|  SELECT SLEEP\\(0\\.3\\)").hasSize(31);
            assertThat(lines.get(6)).matches(" *\\d+\\.\\d{3} \\|  SELECT SLEEP\\(0\\.1\\)").hasSize(31);
            double slowest = Double.parseDouble(lines.get(5).substring(0, 10).strip());
            double second = Double.parseDouble(lines.get(6).substring(0, 10).strip());
            assertThat(slowest).isGreaterThanOrEqualTo(0.3).isGreaterThanOrEqualTo(second);
            assertThat(second).isGreaterThanOrEqualTo(0.1);
            assertThat(lines).contains("Username        sf_app", "Connection from 127.0.0.1",
                    "Total of 3 statements executed.");
        });
    }

    private static Session withSessionFilter(Connection c, String filter) throws Exception {
        one(c, "SELECT 1");
        Session s = proxy.sessions().get(id(c));
        List<FilterDef> chain = List.of(proxy.filters().get(filter));
        s.control().setFilters(chain, "test").get(5, TimeUnit.SECONDS);
        await().atMost(5, TimeUnit.SECONDS).until(() -> s.sessionFilters().size() == 1);
        return s;
    }

    @Test
    void throttlefilterDelaysASessionToMaxQps() throws Exception {
        try (Connection c = connect()) {
            withSessionFilter(c, "thr");
            long start = System.nanoTime();
            for (int i = 0; i < 6; i++) {
                assertThat(one(c, "SELECT " + i)).isEqualTo(Integer.toString(i));
            }
            // A bucket of one statement (5/s over 200ms), then one every 200ms: at least 1s for 6.
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(900);
        }
        // Fewer than 5 when a slow round trip (a busy machine) already took a statement's turn.
        assertThat((Long) proxy.filters().get("thr").diagnostics().get("delayed")).isPositive();
    }

    @Test
    void throttlefilterWithActionErrorRefusesAndTheSessionGoesOn() throws Exception {
        try (Connection c = connect()) {
            withSessionFilter(c, "thr_err");
            assertThat(one(c, "SELECT 'first'")).isEqualTo("first");
            SQLException e = catchThrowableOfType(SQLException.class, () -> one(c, "SELECT 'second'"));
            assertThat((Throwable) e).isNotNull();
            assertThat(e.getErrorCode()).isEqualTo(1226);
            assertThat(e.getSQLState()).isEqualTo("42000");
            assertThat(e.getMessage()).contains("Statement refused by filter 'thr_err': this session sends more than"
                    + " 1 statements per second (max_qps)");
            Thread.sleep(1100);
            assertThat(one(c, "SELECT 'third'")).isEqualTo("third");
        }
    }

    @Test
    void aSessionChainIsSwappedBetweenStatementsWhileQueriesRunAndSurvivesARestart() throws Exception {
        try (Connection c = connect()) {
            one(c, "SELECT 1");
            Session s = proxy.sessions().get(id(c));
            Path file = dir.resolve("qs." + s.id());
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            Thread worker = new Thread(() -> {
                try {
                    for (int i = 0; !stop.get(); i++) {
                        assertThat(one(c, "SELECT " + i)).isEqualTo(Integer.toString(i));
                        done.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "filter-swap-worker");
            worker.start();
            await().atMost(10, TimeUnit.SECONDS).until(() -> done.get() > 30);
            int askedIn = done.get();
            s.control().setFilters(List.of(proxy.filters().get("qs")), "test").get(5, TimeUnit.SECONDS);
            await().atMost(5, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(5)).until(() -> s.sessionFilters().size() == 1);
            int swappedIn = done.get();

            assertThat(s.control().requestRestart("test", 0).join()).isNull();
            await().atMost(10, TimeUnit.SECONDS).until(() -> s.control().restarts() == 1);
            assertThat(s.sessionFilters()).extracting(FilterDef::name).containsExactly("qs");
            int beforeRemoval = done.get();
            await().atMost(10, TimeUnit.SECONDS).until(() -> done.get() > beforeRemoval + 30);

            int askedOut = done.get();
            s.control().setFilters(List.of(), "test").get(5, TimeUnit.SECONDS);
            await().atMost(5, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(5)).until(() -> s.sessionFilters().isEmpty());
            int swappedOut = done.get();
            await().atMost(10, TimeUnit.SECONDS).until(() -> done.get() > swappedOut + 30);
            stop.set(true);
            worker.join(10_000);
            assertThat(failure.get()).isNull();

            // The log holds one unbroken run of the worker's statements: the chain changed between two.
            await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> {
                List<String> lines = Files.readAllLines(file);
                assertThat(lines.get(0)).isEqualTo("Query");
                List<Integer> n = lines.subList(1, lines.size()).stream()
                        .map(l -> Integer.parseInt(l.substring("SELECT ".length()))).toList();
                assertThat(n).hasSizeGreaterThan(30);
                for (int k = 1; k < n.size(); k++) {
                    assertThat(n.get(k)).isEqualTo(n.get(k - 1) + 1);
                }
                assertThat(n.get(0)).isBetween(askedIn, swappedIn + 1);
                assertThat(n.get(n.size() - 1)).isBetween(askedOut - 1, swappedOut + 1);
            });
        }
    }
}
