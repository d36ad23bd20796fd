package dev.patchbay.config;

import static dev.patchbay.config.Cfg.assertErrors;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The statement filter modules' keys: what each becomes, and the errors for bad values. */
class StatementFilterConfigTest {

    /** A filter section alone, returning its settings. */
    private static PatchbayConfig.FilterSettings settings(String body) {
        PatchbayConfig c = Cfg.parse("[f]\ntype=filter\n" + body);
        assertThat(c.filters()).hasSize(1);
        return c.filters().get(0).settings();
    }

    @Test
    void qlafilterDefaults() {
        PatchbayConfig.QlaSettings q = (PatchbayConfig.QlaSettings) settings("module=qlafilter\nfilebase=/tmp/qla\n");
        assertThat(q.filebase()).isEqualTo("/tmp/qla");
        assertThat(q.sessionFiles()).isTrue();
        assertThat(q.unifiedFile()).isFalse();
        assertThat(q.stdout()).isFalse();
        assertThat(q.logData()).containsExactly("date", "user", "query");
        assertThat(q.separator()).isEqualTo(",");
        assertThat(q.newlineReplacement()).isEqualTo(" ");
        assertThat(q.append()).isTrue();
        assertThat(q.flush()).isFalse();
        assertThat(q.microseconds()).isFalse();
        assertThat(q.maxQueuedBytes()).isEqualTo(8 * 1024 * 1024);
        assertThat(q.selection()).isEqualTo(new PatchbayConfig.StatementSelection("", "", false, false, "", ""));
    }

    @Test
    void qlafilterEveryKey() {
        PatchbayConfig.QlaSettings q = (PatchbayConfig.QlaSettings) settings("""
                module=QlaFilter
                filebase=/var/log/qla/app
                log_type=unified, session,stdout
                log_data=query,user,date,reply_time,total_reply_time,default_db,service,session,error
                separator=" | "
                newline_replacement=" NL "
                append=false
                flush=true
                duration_unit=us
                max_queued_bytes=65536
                match=^select
                exclude=secret
                options=ignorecase,extended
                user=app
                source=10.0.0.0/8
                """);
        assertThat(q.sessionFiles()).isTrue();
        assertThat(q.unifiedFile()).isTrue();
        assertThat(q.stdout()).isTrue();
        // Written in one fixed order, whatever the order of log_data.
        assertThat(q.logData()).containsExactly("service", "session", "date", "user", "reply_time",
                "total_reply_time", "query", "default_db", "error");
        assertThat(q.separator()).isEqualTo(" | ");
        assertThat(q.newlineReplacement()).isEqualTo(" NL ");
        assertThat(q.append()).isFalse();
        assertThat(q.flush()).isTrue();
        assertThat(q.microseconds()).isTrue();
        assertThat(q.maxQueuedBytes()).isEqualTo(65536);
        assertThat(q.selection()).isEqualTo(
                new PatchbayConfig.StatementSelection("^select", "secret", true, true, "app", "10.0.0.0/8"));
        assertThat(((PatchbayConfig.QlaSettings) settings("module=qlafilter\nfilebase=x\nnewline_replacement=\"\"\n"))
                .newlineReplacement()).isEmpty();
        assertThat(((PatchbayConfig.QlaSettings) settings("module=qlafilter\nfilebase=x\nlog_type=unified\n"))
                .sessionFiles()).isFalse();
    }

    @Test
    void qlafilterErrors() {
        assertErrors("[q]\ntype=filter\nmodule=qlafilter\n",
                "test.cnf:1: [q] filebase: is required");
        assertErrors("""
                [q]
                type=filter
                module=qlafilter
                filebase=/tmp/q
                log_type=session,file
                log_data=date,rows
                separator=""
                append=sometimes
                duration_unit=ns
                match=(select
                exclude=[a-
                options=case,ignorecase
                source=db.example.com
                max_queued_bytes=10
                colour=red
                """,
                "test.cnf:5: [q] log_type: 'file' is not one of session, unified, stdout",
                "test.cnf:6: [q] log_data: 'rows' is not one of service, session, date, user, reply_time,"
                        + " total_reply_time, query, default_db, error",
                "test.cnf:7: [q] separator: is empty (leave the key out for the default, \",\")",
                "test.cnf:8: [q] append: 'sometimes' is not a boolean (true/false, yes/no, on/off, 1/0)",
                "test.cnf:9: [q] duration_unit: 'ns' is not one of milliseconds, ms, microseconds, us",
                "test.cnf:10: [q] match: '(select' is not a valid regular expression: Unclosed group near position 7",
                "test.cnf:11: [q] exclude: '[a-' is not a valid regular expression: Illegal character range near"
                        + " position 3",
                "test.cnf:12: [q] options: 'case,ignorecase' gives both case and ignorecase",
                "test.cnf:13: [q] source: 'db.example.com' is not an IP address or network (e.g. 192.168.0.10 or"
                        + " 192.168.0.0/24)",
                "test.cnf:14: [q] max_queued_bytes: '10' is out of range (65536-1073741824)",
                "test.cnf:15: [q] colour: unknown key");
        assertErrors("[q]\ntype=filter\nmodule=qlafilter\nfilebase=x\nlog_data=\nlog_type=\noptions=nocase\n",
                "test.cnf:5: [q] log_data: is empty (leave the key out for the default, date,user,query)",
                "test.cnf:6: [q] log_type: is empty (leave the key out for the default, session)",
                "test.cnf:7: [q] options: 'nocase' is not one of ignorecase, case, extended");
    }

    @Test
    void regexfilter() {
        PatchbayConfig.RegexSettings r = (PatchbayConfig.RegexSettings) settings(
                "module=regexfilter\nmatch=TYPE\\s*=\nreplace=ENGINE=\n");
        assertThat(r.selection()).isEqualTo(new PatchbayConfig.StatementSelection("TYPE\\s*=", "", true, false, "", ""));
        assertThat(r.replace()).isEqualTo("ENGINE=");
        assertThat(r.logFile()).isEmpty();
        assertThat(r.logTrace()).isFalse();
        r = (PatchbayConfig.RegexSettings) settings("""
                module=regexfilter
                match=from (?<t>\\w+) where (\\w+)
                replace="from archive_${t} where $2 "
                options=case
                user=app
                source=::1
                log_file=/tmp/rx.log
                log_trace=true
                max_queued_bytes=1048576
                """);
        assertThat(r.selection()).isEqualTo(
                new PatchbayConfig.StatementSelection("from (?<t>\\w+) where (\\w+)", "", false, false, "app", "::1"));
        assertThat(r.replace()).isEqualTo("from archive_${t} where $2 ");
        assertThat(r.logFile()).isEqualTo("/tmp/rx.log");
        assertThat(r.logTrace()).isTrue();
        assertThat(r.maxQueuedBytes()).isEqualTo(1048576);
        // An empty replacement deletes what match finds.
        assertThat(((PatchbayConfig.RegexSettings) settings("module=regexfilter\nmatch=x\nreplace=\n")).replace())
                .isEmpty();
    }

    @Test
    void regexfilterErrors() {
        assertErrors("[r]\ntype=filter\nmodule=regexfilter\n",
                "test.cnf:1: [r] match: is required",
                "test.cnf:1: [r] replace: is required (replace= or replace=\"\" removes what match finds)");
        assertErrors("[r]\ntype=filter\nmodule=regexfilter\nmatch=a(b)\nreplace=$2\nexclude=c\n",
                "test.cnf:5: [r] replace: '$2' refers to $2 but match has 1 group",
                "test.cnf:6: [r] exclude: unknown key");
        assertErrors("[r]\ntype=filter\nmodule=regexfilter\nmatch=a\nreplace=${x}\n",
                "test.cnf:5: [r] replace: '${x}' refers to ${x}, which is not a named group of match");
        assertErrors("[r]\ntype=filter\nmodule=regexfilter\nmatch=a\nreplace=cost $\n",
                "test.cnf:5: [r] replace: 'cost $' ends with a lone $ (write \\$ for a dollar sign)");
        assertErrors("[r]\ntype=filter\nmodule=regexfilter\nmatch=a\nreplace=$x\n",
                "test.cnf:5: [r] replace: '$x' has a $ that is not followed by a group number or {name}"
                        + " (write \\$ for a dollar sign)");
        assertErrors("[r]\ntype=filter\nmodule=regexfilter\nmatch=a\nreplace=b\\\n",
                "test.cnf:5: [r] replace: 'b\\' ends with a lone \\ (write \\\\ for a backslash)");
        assertErrors("[r]\ntype=filter\nmodule=regexfilter\nmatch=*\nreplace=b\n",
                "test.cnf:4: [r] match: '*' is not a valid regular expression: Dangling meta character '*' near"
                        + " position 0");
        // Valid: an escaped dollar, and $0 (the whole match).
        Cfg.parse("[r]\ntype=filter\nmodule=regexfilter\nmatch=a\nreplace=\\$0 $0\n");
    }

    @Test
    void throttlefilter() {
        PatchbayConfig.ThrottleSettings t = (PatchbayConfig.ThrottleSettings) settings(
                "module=throttlefilter\nmax_qps=500\nthrottling_duration=60s\n");
        assertThat(t).isEqualTo(new PatchbayConfig.ThrottleSettings(500, TimeUnit.MILLISECONDS.toNanos(250),
                TimeUnit.SECONDS.toNanos(60), TimeUnit.SECONDS.toNanos(2), true));
        t = (PatchbayConfig.ThrottleSettings) settings("""
                module=throttlefilter
                max_qps=5
                sampling_duration=10s
                throttling_duration=2m
                continuous_duration=500ms
                action=error
                """);
        assertThat(t).isEqualTo(new PatchbayConfig.ThrottleSettings(5, TimeUnit.SECONDS.toNanos(10),
                TimeUnit.MINUTES.toNanos(2), TimeUnit.MILLISECONDS.toNanos(500), false));
    }

    @Test
    void throttlefilterErrors() {
        assertErrors("[t]\ntype=filter\nmodule=throttlefilter\n",
                "test.cnf:1: [t] max_qps: is required (the most statements per second a session may send)",
                "test.cnf:1: [t] throttling_duration: is required (how long a session may be throttled without a"
                        + " pause, e.g. 60s)");
        assertErrors("""
                [t]
                type=filter
                module=throttlefilter
                max_qps=0
                sampling_duration=0
                throttling_duration=60000
                continuous_duration=2x
                action=disconnect
                """,
                "test.cnf:4: [t] max_qps: '0' is out of range (1-10000000)",
                "test.cnf:5: [t] sampling_duration: must be more than 0",
                "test.cnf:6: [t] throttling_duration: '60000' needs a unit (ms, s, m, h or d), e.g. 60000s",
                "test.cnf:7: [t] continuous_duration: '2x' is not a duration (e.g. 500ms, 10s, 2m, 1h)",
                "test.cnf:8: [t] action: 'disconnect' is not one of delay, error");
    }

    @Test
    void topfilter() {
        PatchbayConfig.TopSettings t = (PatchbayConfig.TopSettings) settings("module=topfilter\nfilebase=/tmp/top\n");
        assertThat(t).isEqualTo(new PatchbayConfig.TopSettings("/tmp/top", 10, 8 * 1024 * 1024,
                new PatchbayConfig.StatementSelection("", "", true, false, "", "")));
        t = (PatchbayConfig.TopSettings) settings("""
                module=topfilter
                filebase=/tmp/top
                count=30
                match=UPDATE.*PRODUCTS.*WHERE
                exclude=PRODUCTS_STOCK
                options=case
                user=john
                source=192.168.0.32
                max_queued_bytes=65536
                """);
        assertThat(t).isEqualTo(new PatchbayConfig.TopSettings("/tmp/top", 30, 65536,
                new PatchbayConfig.StatementSelection("UPDATE.*PRODUCTS.*WHERE", "PRODUCTS_STOCK", false, false,
                        "john", "192.168.0.32")));
        assertErrors("[t]\ntype=filter\nmodule=topfilter\ncount=0\nlog_type=session\n",
                "test.cnf:1: [t] filebase: is required",
                "test.cnf:4: [t] count: '0' is out of range (1-10000)",
                "test.cnf:5: [t] log_type: unknown key");
    }

    @Test
    void unknownModulesListEveryModule() {
        assertErrors("[f]\ntype=filter\nmodule=qla\n",
                "test.cnf:3: [f] module: 'qla' is not a known filter module (capture, qlafilter, regexfilter,"
                        + " throttlefilter, topfilter)");
    }

    @Test
    void statementFiltersOnlyWorkWithMariadbListeners() {
        String filters = """
                [q]
                type=filter
                module=qlafilter
                filebase=/tmp/q
                [t]
                type=filter
                module=throttlefilter
                max_qps=10
                throttling_duration=1m
                [l]
                type=listener
                service=svc
                port=0
                """;
        assertErrors(Cfg.BACKEND.replace("servers=s1,s2", "servers=s1,s2\nfilters=q|t") + filters,
                "test.cnf:14: [svc] filters: 'q' (module qlafilter) does not work with protocol tcp, which listener"
                        + " [l] uses",
                "test.cnf:14: [svc] filters: 't' (module throttlefilter) does not work with protocol tcp, which"
                        + " listener [l] uses");
        PatchbayConfig ok = Cfg.parse(Cfg.BACKEND.replace("servers=s1,s2",
                "servers=s1,s2\nuser=maxscale\npassword=secret\nfilters=q|t") + filters + "protocol=mariadb\n");
        assertThat(ok.services().get(0).filters()).isEqualTo(List.of("q", "t"));
    }
}
