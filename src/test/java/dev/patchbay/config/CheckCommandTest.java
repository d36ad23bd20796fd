package dev.patchbay.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.Main;
import dev.patchbay.Version;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The real command line, {@code patchbay --check --config FILE} and friends, run through picocli in-process. */
class CheckCommandTest {
    @TempDir
    Path dir;

    /** Exit code and everything printed (stdout and stderr interleaved as written). */
    record Run(int code, String output) {}

    static Run run(String... args) {
        StringWriter sw = new StringWriter();
        PrintWriter pw = new PrintWriter(sw, true);
        int code = new CommandLine(new Main()).setOut(pw).setErr(pw).execute(args);
        pw.flush();
        return new Run(code, sw.toString().replace(System.lineSeparator(), "\n"));
    }

    private Path write(String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void validConfigurationExits0() throws Exception {
        Path f = write("ok.cnf", Cfg.VALID);
        Run r = run("--check", "--config", f.toString());
        assertThat(r.code()).isZero();
        assertThat(r.output()).isEqualTo(
                f + ": configuration is valid (2 servers, 1 service, 1 listener, 1 stats socket, 0 filters)\n");
    }

    @Test
    void theCountsAreSingularForOneAndIncludeFilters() throws Exception {
        Path f = write("one.cnf", """
                [s1]
                type=server
                address=127.0.0.1
                port=3306

                [svc]
                type=service
                servers=s1
                filters=q

                [svc2]
                type=service
                servers=s1

                [lst]
                type=listener
                service=svc
                port=4006

                [q]
                type=filter
                module=capture
                file=/tmp/cap-%i.pcap
                """);
        Run r = run("--check", "--config", f.toString());
        assertThat(r.code()).isZero();
        assertThat(r.output()).isEqualTo(
                f + ": configuration is valid (1 server, 2 services, 1 listener, 0 stats sockets, 1 filter)\n");
    }

    @Test
    void shortOptionAndOptionOrder() throws Exception {
        Path f = write("ok.cnf", Cfg.VALID);
        assertThat(run("-c", f.toString(), "--check").code()).isZero();
        assertThat(run("--config=" + f, "--check").code()).isZero();
    }

    @Test
    void invalidConfigurationExits1AndPrintsEveryError() throws Exception {
        Path f = write("bad.cnf", AllErrorsTest.BROKEN);
        Run r = run("--check", "--config", f.toString());
        assertThat(r.code()).isEqualTo(1);
        StringBuilder expected = new StringBuilder(f + ": configuration is invalid, Patchbay will not start:\n");
        for (String e : AllErrorsTest.EXPECTED) {
            expected.append("  ").append(e.replace("test.cnf:", f + ":")).append('\n');
        }
        assertThat(r.output()).isEqualTo(expected.toString());
    }

    @Test
    void invalidConfigurationWithoutCheckAlsoExits1BeforeStarting() throws Exception {
        Path f = write("bad.cnf", "[patchbay]\nthreads=0\n");
        Run r = run("--config", f.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.output()).isEqualTo(f + ": configuration is invalid, Patchbay will not start:\n"
                + "  " + f + ":2: [patchbay] threads: '0' is out of range (1-1024)\n");
    }

    @Test
    void missingFileExits1() {
        Path f = dir.resolve("missing.cnf");
        Run r = run("--check", "--config", f.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.output()).isEqualTo(f + ": configuration is invalid, Patchbay will not start:\n"
                + "  " + f + ": cannot read: no such file\n");
    }

    @Test
    void noArgumentsExits2() {
        Run r = run();
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.output()).startsWith("Give --config FILE, or --demo for the built-in demo\n")
                .contains("Usage: patchbay");
    }

    @Test
    void checkWithoutConfigExits2() {
        Run r = run("--check");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.output()).startsWith("Give --config FILE, or --demo for the built-in demo\n");
    }

    @Test
    void configAndDemoExit2() throws Exception {
        Path f = write("ok.cnf", Cfg.VALID);
        Run r = run("--config", f.toString(), "--demo");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.output()).startsWith("--config and --demo exclude each other\n").contains("Usage: patchbay");
    }

    @Test
    void checkWithDemoExits2() {
        Run r = run("--check", "--demo");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.output()).startsWith("--check needs --config FILE\n");
    }

    @Test
    void unknownOptionExits2() {
        Run r = run("--bogus");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.output()).startsWith("Unknown option: '--bogus'\n").contains("Usage: patchbay");
    }

    @Test
    void configWithoutFileExits2() {
        Run r = run("--check", "--config");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.output()).startsWith("Missing required parameter for option '--config' (FILE)\n");
    }

    @Test
    void strayArgumentExits2() throws Exception {
        Path f = write("ok.cnf", Cfg.VALID);
        Run r = run("--check", "--config", f.toString(), "extra");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.output()).startsWith("Unmatched argument at index 3: 'extra'\n");
    }

    @Test
    void help() {
        for (String opt : new String[] {"--help", "-h"}) {
            Run r = run(opt);
            assertThat(r.code()).isZero();
            assertThat(r.output())
                    .startsWith("Usage: patchbay [-hV] [--check] [--demo] [-c=FILE]\n")
                    .contains("-c, --config=FILE", "--check", "--demo", "-h, --help", "-V, --version")
                    .contains("patchbay --check --config FILE")
                    .contains("Exit codes:", "0   success", "1   invalid configuration, or the file cannot be read", "2   invalid command line");
        }
    }

    @Test
    void helpWinsOverEverythingElse() {
        assertThat(run("--help", "--demo").code()).isZero();
    }

    @Test
    void version() {
        assertThat(Version.VERSION).isNotEqualTo("unknown").matches("\\d+\\.\\d+\\.\\d+.*");
        for (String opt : new String[] {"--version", "-V"}) {
            Run r = run(opt);
            assertThat(r.code()).isZero();
            assertThat(r.output()).startsWith("Patchbay " + Version.VERSION + "\nJava " + System.getProperty("java.version"))
                    .containsPattern("\nTransport: \\S+\n$");
        }
    }
}
