package dev.patchbay.admin.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.core.Session;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 5,000 live sessions dumped while traffic flows: streamed, bounded, complete. The clients live in
 * a child process (this JVM's descriptor limit is 20,000 and it already holds the proxy's two
 * sockets per session and the echo backend's one); they keep pinging 50 of their connections during
 * the dumps and report how many round trips they completed.
 */
@Timeout(180)
class LoadTest {
    static final int SESSIONS = 5_000;

    static final String CLIENTS = """
            import socket, sys, select
            host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
            socks = []
            for i in range(n):
                s = socket.create_connection((host, port))
                s.sendall(b"x")
                if s.recv(1) != b"x":
                    sys.exit("echo failed")
                socks.append(s)
            print("ready", flush=True)
            pings = 0
            while not select.select([sys.stdin], [], [], 0)[0]:
                for s in socks[:50]:
                    s.sendall(b"y")
                    if s.recv(1) != b"y":
                        sys.exit("echo failed")
                    pings += 1
            print(pings, flush=True)
            """;

    @Test
    void dumpStreamsWithBoundedMemoryWhileTrafficFlows() throws Exception {
        try (Rig rig = Rig.start()) {
            Path script = rig.dir.resolve("clients.py");
            Files.writeString(script, CLIENTS);
            Process clients = new ProcessBuilder("python3", script.toString(), "127.0.0.1",
                    Integer.toString(rig.pb.listenerAddress("fe_tcp").getPort()), Integer.toString(SESSIONS))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(clients.getInputStream(), StandardCharsets.UTF_8));
                assertThat(out.readLine()).isEqualTo("ready");
                Awaitility.await().until(() -> rig.pb.frontends().get("fe_tcp").currentSessions() == SESSIONS);
                try (Rig.Conn cli = rig.connect("admin")) {
                    cli.send("show sess\n");
                    // The reader is slow: the answer must wait in chunks, not pile up in memory.
                    Thread.sleep(500);
                    Session own = rig.pb.sessions().snapshot().stream()
                            .filter(s -> s.io() instanceof CliHandler).findFirst().orElseThrow();
                    long pending = own.io().clientPendingWriteBytes();
                    assertThat(pending).isLessThan(256 * 1024);
                    String dump = cli.readToEof();
                    assertThat(dump.length()).isGreaterThan(SESSIONS * 250);
                    String[] lines = dump.substring(0, dump.length() - 2).split("\n");
                    assertThat(Arrays.stream(lines).filter(l -> l.contains(" fe=fe_tcp ")).count()).isEqualTo(SESSIONS);
                    for (String l : lines) {
                        assertThat(l).matches(ShowSessTest.SHORT);
                    }
                }
                String all = rig.ask("oper", "show sess all\n");
                assertThat(Arrays.stream(all.split("\n")).filter(l -> l.matches("0x[0-9a-f]+: \\[.*")).count())
                        .isEqualTo(SESSIONS + 1);
                OutputStream stop = clients.getOutputStream();
                stop.write('\n');
                stop.flush();
                long pings = Long.parseLong(out.readLine().trim());
                assertThat(pings).as("round trips completed while dumping").isPositive();
                assertThat(rig.ask("admin", "shutdown sessions backend svc\n")).isEqualTo("\n");
                // The clients exit at the same time, so a few sessions may be closing on their own: wait for them.
                Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                        .until(() -> rig.pb.frontends().get("fe_tcp").currentSessions() == 0);
            } finally {
                clients.destroyForcibly();
            }
        }
    }
}
