package dev.patchbay.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.patchbay.config.ConfigException;
import dev.patchbay.config.ConfigLoader;
import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Frontend;
import dev.patchbay.core.ProtocolDetails;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionIo;
import dev.patchbay.core.SessionRegistry;
import dev.patchbay.core.SessionState;
import dev.patchbay.core.Termination;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The statement filter modules on their own: real sessions and filter sessions, called as a MariaDB
 * session calls them, with the files read back once the filter's writer thread has finished.
 */
class StatementFiltersTest {
    private static final long MS = 1_000_000L;

    @TempDir
    Path dir;

    private final SessionRegistry registry = new SessionRegistry();
    private final Frontend frontend = new Frontend("l1", 1, 1, "mariadb", "ipv4@127.0.0.1:4006", null, 0);

    // ---- helpers ------------------------------------------------------------------------------

    /** A SessionIo whose "event loop" is the calling thread. */
    private static final class InlineIo implements SessionIo {
        Session session;

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
        public void terminate(Termination t) {
            session.setState(new SessionState.Closing(t));
            session.markClosed();
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

    private record Details(String user, String database) implements ProtocolDetails {
        @Override
        public Map<String, String> connectionAttributes() {
            return Map.of();
        }

        @Override
        public String clientCipher() {
            return "";
        }

        @Override
        public List<BackendConnection> backendConnections() {
            return List.of();
        }
    }

    private Session session(String clientIp, String user) {
        InlineIo io = new InlineIo();
        io.session = registry.open(frontend, new InetSocketAddress(clientIp, 50000),
                new InetSocketAddress("127.0.0.1", 4006), io, new SessionState.Established(System.nanoTime()));
        io.session.setProtocolDetails(new Details(user, "shop"));
        return io.session;
    }

    private static PatchbayConfig.FilterConfig config(String body) {
        try {
            return ConfigLoader.parse("test.cnf", "[f]\ntype=filter\n" + body).filters().get(0);
        } catch (ConfigException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    private static Statement query(Session s, String user, String sql) {
        return new Statement(s, user, Statement.COM_QUERY, sql, System.nanoTime(), 1_700_000_000_123_456L);
    }

    /** A statement through a filter session as a MariaDB session runs it: verdict, then the response. */
    private static Verdict run(StatementFilterSession fs, Statement st, boolean ok, long durationNanos) {
        Verdict v = fs.onStatement(st);
        if (v instanceof Verdict.Pass || v instanceof Verdict.Rewrite) {
            fs.onResponse(v instanceof Verdict.Rewrite r ? st.withSql(r.sql()) : st, ok, durationNanos);
        }
        return v;
    }

    private static StatementFilterSession started(Filter f, Session s) throws Exception {
        return f.startStatementSession(s).get(5, TimeUnit.SECONDS);
    }

    /** The reason a filter session could not start. */
    private static String startFailure(Filter f, Session s) {
        Throwable t = catchThrowable(() -> f.startStatementSession(s).get(5, TimeUnit.SECONDS));
        assertThat(t).isInstanceOf(ExecutionException.class);
        return t.getCause().getMessage();
    }

    /** Retires the filter (its sessions are closed) and waits for its writer thread to finish. */
    private static void finish(Filter f) throws InterruptedException {
        assertThat(f.users()).isZero();
        f.retire();
        boolean stopped = true;
        if (f instanceof QlaFilter q) {
            stopped = q.awaitStopped(5000);
        } else if (f instanceof RegexFilter r) {
            stopped = r.awaitStopped(5000);
        } else if (f instanceof TopFilter t) {
            stopped = t.awaitStopped(5000);
        }
        assertThat(stopped).as("writer thread of %s stopped", f.name()).isTrue();
    }

    private static List<String> lines(Path p) throws IOException {
        return Files.readAllLines(p);
    }

    // ---- regexfilter ---------------------------------------------------------------------------

    @Test
    void regexfilterRewritesMatchesAndCountsThem() throws Exception {
        Filter f = Filter.create(config("module=regexfilter\nmatch=TYPE\\s*=\nreplace=ENGINE=\n"));
        assertThat(f.supports("mariadb")).isTrue();
        assertThat(f.supports("tcp")).isFalse();
        Session s = session("10.0.0.5", "app");
        StatementFilterSession fs = f.newStatementSession(s);
        // ignorecase is regexfilter's default.
        assertThat(fs.onStatement(query(s, "app", "CREATE TABLE t (a INT) type = InnoDB")))
                .isEqualTo(new Verdict.Rewrite("CREATE TABLE t (a INT) ENGINE= InnoDB"));
        assertThat(fs.onStatement(query(s, "app", "SELECT 1"))).isEqualTo(Verdict.PASS);
        Statement prepare = new Statement(s, "app", Statement.COM_STMT_PREPARE, "create table u (b int) TYPE=x",
                System.nanoTime(), 0);
        assertThat(fs.onStatement(prepare)).isEqualTo(new Verdict.Rewrite("create table u (b int) ENGINE=x"));
        assertThat(f.diagnostics()).containsEntry("statements", 3L).containsEntry("matched", 2L)
                .containsEntry("replaced", 2L).containsEntry("sessions", 1L).containsEntry("active_sessions", 1);
        assertThat(f.parameters()).containsEntry("match", "TYPE\\s*=").containsEntry("replace", "ENGINE=")
                .containsEntry("options", "ignorecase").containsEntry("log_file", "");
        fs.close();
        assertThat(f.users()).isZero();
        finish(f);
    }

    @Test
    void regexfilterGroupsCaseUserAndSource() throws Exception {
        Filter f = Filter.create(config("""
                module=regexfilter
                match=from (?<t>\\w+) where (\\w+)
                replace="from archive_${t} where $2 "
                options=case
                user=app
                source=10.0.0.0/8
                """));
        Session inside = session("10.1.2.3", "app");
        Session outside = session("127.0.0.1", "app");
        StatementFilterSession a = f.newStatementSession(inside);
        StatementFilterSession b = f.newStatementSession(outside);
        assertThat(a.onStatement(query(inside, "app", "select * from orders where id=1")))
                .isEqualTo(new Verdict.Rewrite("select * from archive_orders where id =1"));
        assertThat(a.onStatement(query(inside, "app", "SELECT * FROM orders WHERE id=1")))
                .as("options=case").isEqualTo(Verdict.PASS);
        assertThat(a.onStatement(query(inside, "admin", "select * from orders where id=1")))
                .as("another user (COM_CHANGE_USER)").isEqualTo(Verdict.PASS);
        assertThat(b.onStatement(query(outside, "app", "select * from orders where id=1")))
                .as("another source").isEqualTo(Verdict.PASS);
        assertThat(f.diagnostics()).containsEntry("statements", 2L).containsEntry("matched", 1L);
        a.close();
        b.close();
        finish(f);
    }

    @Test
    void regexfilterLogFile() throws Exception {
        Path log = dir.resolve("rx.log");
        Files.writeString(log, "earlier\n");
        Filter f = Filter.create(config("module=regexfilter\nmatch=a+\nreplace=b\nlog_file=" + log + "\n"));
        Session s = session("10.0.0.5", "app");
        StatementFilterSession fs = started(f, s);
        fs.onStatement(query(s, "app", "xaay"));
        fs.onStatement(query(s, "app", "zzz"));
        fs.close();
        finish(f);
        assertThat(lines(log)).containsExactly("earlier", "", "Opened regex filter log", "Matched a+: [xaay] -> [xby]",
                "No match a+: [zzz]");
        assertThat(f.diagnostics()).containsEntry("write_errors", 0L).containsEntry("dropped", 0L);
    }

    @Test
    void regexfilterLogFileThatCannotBeOpened() throws Exception {
        Path log = dir.resolve("missing/rx.log");
        Filter f = Filter.create(config("module=regexfilter\nmatch=a\nreplace=b\nlog_file=" + log + "\n"));
        Session s = session("10.0.0.5", "app");
        assertThat(startFailure(f, s)).isEqualTo(
                "Failed to create filter session for 'f': cannot open " + log + ": No such file or directory");
        assertThat(f.users()).isZero();
        assertThat(f.diagnostics()).containsEntry("write_errors", 1L)
                .containsEntry("last_error", "cannot open " + log + ": No such file or directory");
        finish(f);
    }

    // ---- qlafilter -----------------------------------------------------------------------------

    @Test
    void qlafilterSessionFiles() throws Exception {
        String base = dir.resolve("qla").toString();
        Filter f = Filter.create(config("module=qlafilter\nfilebase=" + base
                + "\nlog_data=date,user,query,reply_time,default_db,error\n"));
        Session s = session("10.0.0.5", "app");
        Session other = session("10.0.0.6", "web");
        StatementFilterSession fs = started(f, s);
        StatementFilterSession fo = started(f, other);
        run(fs, query(s, "app", "SELECT 1"), true, 1_500_000);
        run(fs, query(s, "app", "SELECT\r\n2\nFROM\rdual"), false, 250_000);
        run(fo, query(other, "web", "SELECT 3"), true, 12 * MS);
        fs.close();
        fo.close();
        finish(f);
        String date = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").format(
                java.time.Instant.ofEpochSecond(1_700_000_000L).atZone(java.time.ZoneId.systemDefault()));
        assertThat(lines(Path.of(base + "." + s.id()))).containsExactly(
                "Date,User@Host,Reply_time,Query,Default_db,Error",
                date + ",app@10.0.0.5,2,SELECT 1,shop,no",
                date + ",app@10.0.0.5,0,SELECT 2 FROM dual,shop,yes");
        assertThat(lines(Path.of(base + "." + other.id()))).containsExactly(
                "Date,User@Host,Reply_time,Query,Default_db,Error",
                date + ",web@10.0.0.6,12,SELECT 3,shop,no");
        assertThat(f.diagnostics()).containsEntry("logged", 3L).containsEntry("sessions", 2L)
                .containsEntry("write_errors", 0L);
        assertThat(Files.exists(Path.of(base + ".unified"))).isFalse();
    }

    @Test
    void qlafilterUnifiedFileWithSelection() throws Exception {
        String base = dir.resolve("all").toString();
        Filter f = Filter.create(config("""
                module=qlafilter
                filebase=%s
                log_type=unified
                log_data=session,query,total_reply_time,service
                separator=" | "
                newline_replacement=" NL "
                duration_unit=microseconds
                match=^select
                exclude=secret
                options=ignorecase
                user=app
                source=10.0.0.0/24
                flush=true
                """.formatted(base)));
        Session a = session("10.0.0.5", "app");
        Session b = session("10.0.0.7", "app");
        Session elsewhere = session("192.168.1.1", "app");
        StatementFilterSession fa = started(f, a);
        StatementFilterSession fb = started(f, b);
        StatementFilterSession fe = started(f, elsewhere);
        run(fa, query(a, "app", "SELECT 1\n+1"), true, 1_234_567);
        run(fb, query(b, "app", "select 2"), true, 1000);
        run(fa, query(a, "app", "select secret from t"), true, 1000);
        run(fa, query(a, "app", "insert into t values (1)"), true, 1000);
        run(fb, query(b, "root", "select 3"), true, 1000);
        run(fe, query(elsewhere, "app", "select 4"), true, 1000);
        fa.close();
        fb.close();
        fe.close();
        finish(f);
        Path unified = Path.of(base + ".unified");
        // flush=true: each line is written out at once.
        assertThat(lines(unified)).containsExactly(
                "Service | Session | Total_reply_time | Query",
                " | " + a.id() + " | 1235 | SELECT 1 NL +1",
                " | " + b.id() + " | 1 | select 2");
        assertThat(Files.exists(Path.of(base + "." + a.id()))).as("log_type=unified only").isFalse();
    }

    @Test
    void qlafilterAppendsOrTruncates() throws Exception {
        String base = dir.resolve("q").toString();
        Session s = session("10.0.0.5", "app");
        Path file = Path.of(base + "." + s.id());
        Files.writeString(file, "Date,User@Host,Query\nold line\n");
        Filter appending = Filter.create(config("module=qlafilter\nfilebase=" + base + "\nlog_data=query\n"));
        StatementFilterSession fs = started(appending, s);
        run(fs, query(s, "app", "SELECT 1"), true, MS);
        fs.close();
        finish(appending);
        assertThat(lines(file)).containsExactly("Date,User@Host,Query", "old line", "SELECT 1");
        Filter truncating = Filter.create(config("module=qlafilter\nfilebase=" + base
                + "\nlog_data=query\nappend=false\n"));
        fs = started(truncating, s);
        run(fs, query(s, "app", "SELECT 2"), true, MS);
        fs.close();
        finish(truncating);
        assertThat(lines(file)).containsExactly("Query", "SELECT 2");
    }

    @Test
    void qlafilterFileThatCannotBeCreated() throws Exception {
        String base = dir.resolve("nowhere/qla").toString();
        Filter f = Filter.create(config("module=qlafilter\nfilebase=" + base + "\n"));
        Session s = session("10.0.0.5", "app");
        assertThat(startFailure(f, s)).isEqualTo("Failed to create filter session for 'f': cannot open " + base + "."
                + s.id() + ": No such file or directory");
        Filter unified = Filter.create(config("module=qlafilter\nfilebase=" + base + "\nlog_type=unified\n"));
        assertThat(startFailure(unified, s)).isEqualTo("Failed to create filter session for 'f': cannot open " + base
                + ".unified: No such file or directory");
        // A service chain's session cannot be refused: it runs, and the failure is counted.
        StatementFilterSession fs = f.newStatementSession(s);
        run(fs, query(s, "app", "SELECT 1"), true, MS);
        fs.close();
        finish(f);
        finish(unified);
        assertThat(f.diagnostics()).containsEntry("write_errors", 2L)
                .containsEntry("last_error", "cannot open " + base + "." + s.id() + ": No such file or directory");
    }

    @Test
    void qlafilterSessionOfAnotherClientGetsNoFile() throws Exception {
        String base = dir.resolve("q").toString();
        Filter f = Filter.create(config("module=qlafilter\nfilebase=" + base + "\nsource=10.9.9.9\n"));
        Session s = session("10.0.0.5", "app");
        StatementFilterSession fs = started(f, s);
        run(fs, query(s, "app", "SELECT 1"), true, MS);
        fs.close();
        finish(f);
        assertThat(Files.exists(Path.of(base + "." + s.id()))).isFalse();
        assertThat(f.diagnostics()).containsEntry("logged", 0L);
    }

    @Test
    void writerDropsAndCountsWhatDoesNotFitInsteadOfWaiting() throws Exception {
        LogWriter w = new LogWriter("test-writer", "t", 65536, false);
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger ran = new AtomicInteger();
        w.submit(() -> {
            blocked.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(blocked.await(5, TimeUnit.SECONDS)).isTrue();
        int accepted = 0;
        for (int i = 0; i < 10; i++) {
            if (w.offer(10_000, ran::incrementAndGet)) {
                accepted++;
            }
        }
        // 6 x 10000 bytes fit in 65536, the 7th does not; control jobs are never dropped.
        assertThat(accepted).isEqualTo(6);
        Map<String, Object> d = new java.util.LinkedHashMap<>();
        w.diagnostics(d);
        assertThat(d).containsEntry("queued_bytes", 60_000L).containsEntry("dropped", 4L)
                .containsEntry("dropped_bytes", 40_000L);
        w.submit(ran::incrementAndGet);
        release.countDown();
        w.stop(() -> { });
        assertThat(w.awaitStopped(5000)).isTrue();
        assertThat(ran.get()).isEqualTo(7);
        d.clear();
        w.diagnostics(d);
        assertThat(d).containsEntry("queued_bytes", 0L);
    }

    // ---- throttlefilter ------------------------------------------------------------------------

    private static final class FakeClock implements java.util.function.LongSupplier {
        final AtomicLong now = new AtomicLong(-5_000_000_000L); // nanoTime may be negative

        @Override
        public long getAsLong() {
            return now.get();
        }

        void advance(long nanos) {
            now.addAndGet(nanos);
        }
    }

    private ThrottleFilter throttle(String extra, FakeClock clock) {
        PatchbayConfig.FilterConfig c = config("module=throttlefilter\nmax_qps=10\nsampling_duration=1s\n" + extra);
        return new ThrottleFilter(c, (PatchbayConfig.ThrottleSettings) c.settings(), clock);
    }

    @Test
    void throttleLetsABurstThroughThenDelaysToTheRate() throws Exception {
        FakeClock clock = new FakeClock();
        ThrottleFilter f = throttle("throttling_duration=1m\n", clock);
        Session s = session("10.0.0.5", "app");
        StatementFilterSession fs = started(f, s);
        // A bucket of max_qps x sampling_duration = 10 statements.
        for (int i = 0; i < 10; i++) {
            assertThat(fs.onStatement(query(s, "app", "SELECT " + i))).isEqualTo(Verdict.PASS);
        }
        Statement eleventh = query(s, "app", "SELECT 11");
        assertThat(fs.onStatement(eleventh)).isEqualTo(new Verdict.Delay(100 * MS));
        clock.advance(100 * MS);
        // The chain runs again from this filter once the delay is over: the statement goes through.
        assertThat(fs.onStatement(eleventh)).isEqualTo(Verdict.PASS);
        assertThat(fs.onStatement(query(s, "app", "SELECT 12"))).isEqualTo(new Verdict.Delay(100 * MS));
        clock.advance(40 * MS);
        assertThat(fs.onStatement(query(s, "app", "SELECT 12"))).isEqualTo(Verdict.PASS);
        clock.advance(10 * MS);
        assertThat(fs.onStatement(query(s, "app", "SELECT 13"))).isEqualTo(new Verdict.Delay(150 * MS));
        assertThat(f.diagnostics()).containsEntry("delayed", 3L).containsEntry("delay_ms", 350L)
                .containsEntry("throttling_sessions", 1).containsEntry("throttling_episodes", 1L)
                .containsEntry("burst", 10L).containsEntry("rejected", 0L);
        fs.close();
        assertThat(f.diagnostics()).containsEntry("throttling_sessions", 0);
        finish(f);
    }

    @Test
    void throttleKeepsAGreedyClientAtMaxQps() throws Exception {
        FakeClock clock = new FakeClock();
        ThrottleFilter f = throttle("throttling_duration=1h\n", clock);
        Session s = session("10.0.0.5", "app");
        StatementFilterSession fs = f.newStatementSession(s);
        long start = clock.getAsLong();
        int passed = 0;
        // The client sends the next statement 1ms after each answer, for 60 simulated seconds.
        while (clock.getAsLong() - start < 60_000 * MS) {
            Statement st = query(s, "app", "SELECT 1");
            Verdict v = fs.onStatement(st);
            if (v instanceof Verdict.Delay d) {
                assertThat(d.nanos()).isPositive().isLessThanOrEqualTo(100 * MS);
                clock.advance(d.nanos());
                v = fs.onStatement(st);
            }
            assertThat(v).isEqualTo(Verdict.PASS);
            passed++;
            clock.advance(MS);
        }
        // 10 per second for 60 s, plus the first bucket.
        assertThat(passed).isBetween(600, 611);
        fs.close();
        finish(f);
    }

    @Test
    void throttleActionErrorRefusesWhatIsOverTheRate() throws Exception {
        FakeClock clock = new FakeClock();
        ThrottleFilter f = throttle("throttling_duration=1m\naction=error\n", clock);
        Session s = session("10.0.0.5", "app");
        StatementFilterSession fs = f.newStatementSession(s);
        for (int i = 0; i < 10; i++) {
            assertThat(fs.onStatement(query(s, "app", "SELECT 1"))).isEqualTo(Verdict.PASS);
        }
        Verdict v = fs.onStatement(query(s, "app", "SELECT 1"));
        assertThat(v).isEqualTo(new Verdict.Reject(1226, "42000",
                "Statement refused by filter 'f': this session sends more than 10 statements per second (max_qps)"));
        // A refused statement uses no token: the next one 100ms later passes.
        clock.advance(100 * MS);
        assertThat(fs.onStatement(query(s, "app", "SELECT 1"))).isEqualTo(Verdict.PASS);
        assertThat(f.diagnostics()).containsEntry("rejected", 1L).containsEntry("delayed", 0L);
        assertThat(f.parameters()).containsEntry("max_qps", 10).containsEntry("sampling_duration", "1s")
                .containsEntry("throttling_duration", "1m").containsEntry("continuous_duration", "2s")
                .containsEntry("action", "error");
        fs.close();
        finish(f);
    }

    @Test
    void throttleCutsOffASessionThrottledForTooLongUntilItPauses() throws Exception {
        FakeClock clock = new FakeClock();
        ThrottleFilter f = throttle("throttling_duration=1s\ncontinuous_duration=2s\n", clock);
        Session s = session("10.0.0.5", "app");
        StatementFilterSession fs = f.newStatementSession(s);
        Verdict v = Verdict.PASS;
        long start = clock.getAsLong();
        int statements = 0;
        while (!(v instanceof Verdict.Reject) && statements < 1000) {
            Statement st = query(s, "app", "SELECT 1");
            v = fs.onStatement(st);
            if (v instanceof Verdict.Delay d) {
                clock.advance(d.nanos());
                assertThat(fs.onStatement(st)).isEqualTo(Verdict.PASS);
            }
            statements++;
        }
        Verdict.Reject cut = new Verdict.Reject(1226, "42000", "Statement refused by filter 'f': this session has"
                + " been throttled to 10 statements per second for more than 1s (throttling_duration); its statements"
                + " are refused until it sends none for 2s (continuous_duration)");
        assertThat(v).isEqualTo(cut);
        // Throttling started with the 11th statement (at once) and the cut came just after 1s of it.
        assertThat(clock.getAsLong() - start).isBetween(1000 * MS, 1100 * MS);
        // Everything is refused while the client keeps sending, even at a slow pace...
        clock.advance(1900 * MS);
        assertThat(fs.onStatement(query(s, "app", "SELECT 1"))).isEqualTo(cut);
        clock.advance(1900 * MS);
        assertThat(fs.onStatement(query(s, "app", "SELECT 1"))).isEqualTo(cut);
        // ...and lifted once it has sent nothing for continuous_duration.
        clock.advance(2001 * MS);
        assertThat(fs.onStatement(query(s, "app", "SELECT 1"))).isEqualTo(Verdict.PASS);
        assertThat(f.diagnostics()).containsEntry("cut_off", 1L).containsEntry("rejected", 3L)
                .containsEntry("throttling_sessions", 0);
        fs.close();
        finish(f);
    }

    @Test
    void throttlingEndsAfterContinuousDurationWithinTheRate() throws Exception {
        FakeClock clock = new FakeClock();
        ThrottleFilter f = throttle("throttling_duration=5s\ncontinuous_duration=2s\n", clock);
        Session s = session("10.0.0.5", "app");
        StatementFilterSession fs = f.newStatementSession(s);
        for (int i = 0; i < 11; i++) {
            fs.onStatement(query(s, "app", "SELECT 1"));
        }
        assertThat(fs.onStatement(query(s, "app", "again"))).isEqualTo(Verdict.PASS); // the delayed one, re-run
        assertThat(f.diagnostics()).containsEntry("throttling_sessions", 1);
        // 4.5 s at 4 per second: within the rate, and more than continuous_duration since the last delay.
        for (int i = 0; i < 18; i++) {
            clock.advance(250 * MS);
            assertThat(fs.onStatement(query(s, "app", "SELECT 1"))).isEqualTo(Verdict.PASS);
        }
        assertThat(f.diagnostics()).containsEntry("throttling_sessions", 0).containsEntry("cut_off", 0L);
        fs.close();
        finish(f);
    }

    // ---- topfilter -----------------------------------------------------------------------------

    @Test
    void topfilterReportsTheSlowestStatementsAtSessionEnd() throws Exception {
        String base = dir.resolve("top").toString();
        Filter f = Filter.create(config("module=topfilter\nfilebase=" + base + "\ncount=3\nexclude=^SET\n"));
        Session s = session("10.0.0.5", "app");
        StatementFilterSession fs = started(f, s);
        Path report = Path.of(base + "." + s.id());
        assertThat(report).exists();
        long[] ms = {5, 1, 7, 3, 9, 7};
        for (int i = 0; i < ms.length; i++) {
            run(fs, query(s, "app", "SELECT " + i + (i == 4 ? "\nFROM dual" : "")), true, ms[i] * MS);
        }
        run(fs, query(s, "app", "SET autocommit=0"), true, 500 * MS);
        fs.close();
        finish(f);
        List<String> l = lines(report);
        assertThat(l.subList(0, 9)).containsExactly(
                "Top 3 longest running queries in session " + s.id() + ".",
                "==========================================",
                "",
                "Time (sec) | Query",
                "-----------+-----------------------------------------------------------------",
                "     0.009 |  SELECT 4 FROM dual",
                "     0.007 |  SELECT 2",
                "     0.007 |  SELECT 5",
                "-----------+-----------------------------------------------------------------");
        assertThat(l.get(9)).isEmpty();
        assertThat(l.get(10)).isEmpty();
        assertThat(l.get(11)).matches("Session started \\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4}");
        assertThat(l.subList(12, 19)).containsExactly(
                "Connection from 10.0.0.5",
                "Username        app",
                "",
                "Total of 6 statements executed.",
                "Total statement execution time   0.032 seconds",
                "Average statement execution time 0.005 seconds",
                l.get(18));
        assertThat(l.get(18)).matches("Total connection time            \\d+\\.\\d{3} seconds");
        assertThat(l).hasSize(19);
        assertThat(f.diagnostics()).containsEntry("statements", 6L).containsEntry("reports", 1L);
        assertThat(f.parameters()).containsEntry("count", 3).containsEntry("options", "ignorecase");
    }

    @Test
    void topfilterWithoutStatementsAndWithAFileThatCannotBeCreated() throws Exception {
        String base = dir.resolve("top").toString();
        Filter f = Filter.create(config("module=topfilter\nfilebase=" + base + "\nuser=other\n"));
        Session s = session("10.0.0.5", "app");
        StatementFilterSession fs = started(f, s);
        run(fs, query(s, "app", "SELECT 1"), true, MS);
        fs.close();
        finish(f);
        List<String> l = lines(Path.of(base + "." + s.id()));
        assertThat(l.get(0)).isEqualTo("Top 10 longest running queries in session " + s.id() + ".");
        assertThat(l).contains("Total of 0 statements executed.", "Average statement execution time 0.000 seconds");
        String missing = dir.resolve("gone/top").toString();
        Filter g = Filter.create(config("module=topfilter\nfilebase=" + missing + "\n"));
        assertThat(startFailure(g, s)).isEqualTo("Failed to create filter session for 'f': cannot open " + missing
                + "." + s.id() + ": No such file or directory");
        finish(g);
    }

    @Test
    void aSessionFilterSwapClosesTheFilterSessionOnce() throws Exception {
        String base = dir.resolve("top").toString();
        Filter f = Filter.create(config("module=topfilter\nfilebase=" + base + "\n"));
        Session s = session("10.0.0.5", "app");
        CompletableFuture<StatementFilterSession> c = f.startStatementSession(s);
        StatementFilterSession fs = c.get(5, TimeUnit.SECONDS);
        assertThat(f.users()).isEqualTo(1);
        fs.close();
        fs.close();
        assertThat(f.users()).isZero();
        finish(f);
        assertThat(f.diagnostics()).containsEntry("reports", 1L);
    }
}
