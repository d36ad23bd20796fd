package dev.patchbay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.patchbay.testing.Proxy;
import dev.patchbay.testing.TestBackend;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Patchbay as an operator runs it: a separate JVM, signals, exit codes, output. */
@Timeout(120)
class MainProcessTest {
    @TempDir
    Path dir;

    private static Process start(Path log, String... args) throws IOException {
        return start(log, List.of(), args);
    }

    private static Process start(Path log, List<String> jvmOptions, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.patchbay.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static String read(Path log) throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    @Test
    void aTransportThatCannotLoadStopsTheStartWithTheReason() throws Exception {
        Path cfg = dir.resolve("p.cnf");
        Files.writeString(cfg, "[patchbay]\nadmin_enabled=false\ntransport=io_uring\n");
        Path log = dir.resolve("out.log");
        // Netty's switch for "no native library": io_uring cannot load, as on a kernel or container without it.
        Process p = start(log, List.of("-Dio.netty.transport.noNative=true"), "--config", cfg.toString());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(3);
        assertThat(read(log)).contains("Patchbay could not start: transport=io_uring is not available on this system: ")
                .doesNotContain("Exception in thread").doesNotContain("\tat ");
    }

    @Test
    void sigtermLetsSessionsFinishThenExitsZero() throws Exception {
        try (TestBackend echo = TestBackend.start("echo", TestBackend.Mode.ECHO)) {
            int port = Proxy.freePort();
            Path cfg = dir.resolve("p.cnf");
            Files.writeString(cfg, "[patchbay]\nadmin_enabled=false\ngrace_period=10s\n\n"
                    + "[s1]\ntype=server\naddress=127.0.0.1\nport=" + echo.port() + "\nhealth_check=none\n\n"
                    + "[svc]\ntype=service\nservers=s1\n\n"
                    + "[l1]\ntype=listener\nservice=svc\naddress=127.0.0.1\nport=" + port + "\n");
            Path log = dir.resolve("out.log");
            Process p = start(log, "--config", cfg.toString());
            await().atMost(Duration.ofSeconds(30)).until(() -> read(log).contains("Listener l1"));
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write('a');
                assertThat(s.getInputStream().read()).isEqualTo('a');
                p.destroy(); // SIGTERM
                await().atMost(Duration.ofSeconds(10)).until(() -> read(log).contains("SIGTERM received"));
                // Still served during the grace period.
                s.getOutputStream().write('b');
                assertThat(s.getInputStream().read()).isEqualTo('b');
                assertThat(p.isAlive()).isTrue();
            }
            assertThat(p.waitFor(15, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            assertThat(read(log)).contains("session=1 ").contains("termination=\"client closed\"")
                    .contains("Patchbay stopped");
        }
    }

    /** logrotate moves the files, then sends SIGHUP: Patchbay writes to new files and goes on serving. */
    @Test
    void sighupReopensTheLogFilesAndKeepsServing() throws Exception {
        try (TestBackend echo = TestBackend.start("echo", TestBackend.Mode.ECHO)) {
            int port = Proxy.freePort();
            Path logFile = dir.resolve("patchbay.log");
            Path accessLog = dir.resolve("access.log");
            Path cfg = dir.resolve("p.cnf");
            Files.writeString(cfg, "[patchbay]\nadmin_enabled=false\nlog_file=" + logFile + "\naccess_log=" + accessLog
                    + "\n\n[s1]\ntype=server\naddress=127.0.0.1\nport=" + echo.port() + "\nhealth_check=none\n\n"
                    + "[svc]\ntype=service\nservers=s1\n\n"
                    + "[l1]\ntype=listener\nservice=svc\naddress=127.0.0.1\nport=" + port + "\n");
            Process p = start(dir.resolve("out.log"), "--config", cfg.toString());
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(logFile) && read(logFile).contains("Listener l1"));
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write('a');
                assertThat(s.getInputStream().read()).isEqualTo('a');
                Files.move(logFile, dir.resolve("patchbay.log.1"));
                Files.move(accessLog, dir.resolve("access.log.1"));
                assertThat(new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor()).isZero();
                await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(logFile)
                        && read(logFile).contains("SIGHUP: reopened " + logFile + ", " + accessLog));
                s.getOutputStream().write('b');
                assertThat(s.getInputStream().read()).as("the session outlives the signal").isEqualTo('b');
                assertThat(p.isAlive()).isTrue();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(accessLog)
                    && read(accessLog).contains("termination=\"client closed\""));
            p.destroy();
            assertThat(p.waitFor(15, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
        }
    }

    @Test
    void checkExitCodes() throws Exception {
        Path good = dir.resolve("good.cnf");
        Files.writeString(good, "[s1]\ntype=server\naddress=127.0.0.1\nport=1\n[svc]\ntype=service\nservers=s1\n");
        Path bad = dir.resolve("bad.cnf");
        Files.writeString(bad, "[s1]\ntype=server\naddress=127.0.0.1\nport=99999\nbogus=1\n");
        Path log = dir.resolve("check.log");

        Process ok = start(log, "--check", "--config", good.toString());
        assertThat(ok.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(ok.exitValue()).isZero();
        assertThat(read(log)).contains("configuration is valid");

        Process invalid = start(log, "--check", "--config", bad.toString());
        assertThat(invalid.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(invalid.exitValue()).isEqualTo(1);
        assertThat(read(log)).contains(bad + ":4: [s1] port: '99999' is not a port number (1-65535)")
                .contains(bad + ":5: [s1] bogus: unknown key");

        Process usage = start(log);
        assertThat(usage.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(usage.exitValue()).isEqualTo(2);
        assertThat(read(log)).contains("Give --config FILE, or --demo");
    }

    @Test
    void demoServesWithNothingElseInstalled() throws Exception {
        Path log = dir.resolve("demo.log");
        Process p = start(log, "--demo");
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> read(log).contains("Patchbay demo is running"));
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                // A client per request: each is its own TCP connection, so its own session and pick.
                HttpClient http = HttpClient.newHttpClient();
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:8080/hi")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                bodies.add(r.body());
            }
            assertThat(String.join("", bodies)).contains("backend web1").contains("backend web2");
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), 4000)) {
                s.setSoTimeout(5000);
                s.getOutputStream().write("ping\n".getBytes());
                assertThat(new String(s.getInputStream().readNBytes(5))).isEqualTo("ping\n");
            }
            try (Socket cli = new Socket(InetAddress.getLoopbackAddress(), 9999)) {
                cli.setSoTimeout(5000);
                cli.getOutputStream().write("show cli level\n".getBytes());
                InputStream in = cli.getInputStream();
                assertThat(new String(in.readAllBytes())).isEqualTo("admin\n\n");
            }
        } finally {
            p.destroy();
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(p.exitValue()).isZero();
    }
}
