package dev.patchbay.admin.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.ThreadMXBean;
import dev.patchbay.core.Session;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * 10,000 sessions: a page of 50 is answered without building 10,000 documents (measured as bytes
 * allocated on the REST thread), the full listing still works, and traffic keeps flowing meanwhile.
 * The clients live in a child process (this JVM's descriptor limit is 20,000); the service admits 100
 * sessions to the backend and queues the rest, so the proxy holds about 10,100 sockets. Timings are
 * printed and written to target/rest-scale.txt (recorded in docs/rest-api.md).
 */
class ScaleTest {
    static final int SESSIONS = 10_000;

    static final String CLIENTS = """
            import socket, sys
            host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
            socks = []
            for i in range(n):
                socks.append(socket.create_connection((host, port)))
            print("ready", flush=True)
            sys.stdin.read()
            """;

    @Test
    void listingTenThousandSessions() throws Exception {
        // Queued sessions hold one descriptor, not the two the default max_connections counts on.
        try (RestRig rig = RestRig.start(Map.of(), "max_connections=" + (SESSIONS + 100) + "\n",
                "max_connections=100\nqueue_timeout=600s\n")) {
            Session first = rig.openSession();
            Path script = rig.dir.resolve("clients.py");
            Files.writeString(script, CLIENTS);
            Process clients = new ProcessBuilder("python3", script.toString(), "127.0.0.1",
                    Integer.toString(rig.patchbay.listenerAddress("Echo-Listener").getPort()), Integer.toString(SESSIONS - 1))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(clients.getInputStream(), StandardCharsets.UTF_8));
                assertThat(out.readLine()).isEqualTo("ready");
                Awaitility.await().atMost(60, TimeUnit.SECONDS).until(() -> rig.patchbay.sessions().size() >= SESSIONS);

                ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
                long restThread = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().startsWith("patchbay-rest-") && !t.getName().contains("blocking"))
                        .findFirst().orElseThrow().getId();
                // Warm up every path.
                rig.get("/v1/sessions?pretty=false");
                rig.get("/v1/sessions?page[size]=50");
                rig.get("/v1/sessions?page[size]=50&filter=" + Uris.encode("/attributes/state=\"Session started\""));

                long a0 = mx.getThreadAllocatedBytes(restThread);
                long t0 = System.nanoTime();
                HttpResponse<String> page = rig.get("/v1/sessions?page[size]=50&page[number]=3");
                long pageNanos = System.nanoTime() - t0;
                long pageBytes = mx.getThreadAllocatedBytes(restThread) - a0;
                assertThat(page.statusCode()).isEqualTo(200);
                JsonNode doc = RestRig.json(page);
                assertThat(doc.path("meta").path("total").asInt()).isEqualTo(SESSIONS);
                assertThat(doc.path("data").size()).isEqualTo(50);

                a0 = mx.getThreadAllocatedBytes(restThread);
                t0 = System.nanoTime();
                HttpResponse<String> filtered = rig.get("/v1/sessions?page[size]=50&filter="
                        + Uris.encode("/attributes/state=\"Session started\""));
                long filteredNanos = System.nanoTime() - t0;
                long filteredBytes = mx.getThreadAllocatedBytes(restThread) - a0;
                assertThat(RestRig.json(filtered).path("meta").path("total").asInt()).isEqualTo(100);

                a0 = mx.getThreadAllocatedBytes(restThread);
                t0 = System.nanoTime();
                HttpResponse<String> all = rig.get("/v1/sessions?pretty=false");
                long allNanos = System.nanoTime() - t0;
                long allBytes = mx.getThreadAllocatedBytes(restThread) - a0;
                assertThat(all.statusCode()).isEqualTo(200);
                assertThat(RestRig.json(all).path("data").size()).isEqualTo(SESSIONS);

                // The data plane is not held up by the listings.
                RestRig.echo(rig.socketOf(first), "still flowing");

                String report = String.format(Locale.ROOT,
                        "REST listing with %d sessions (2 cores):%n"
                                + "  page[size]=50                      %6.1f ms, %7.1f KiB allocated on the REST thread%n"
                                + "  page[size]=50 + filter on state    %6.1f ms, %7.1f KiB allocated%n"
                                + "  all sessions, compact (%5.1f MiB)   %6.1f ms, %7.1f KiB allocated%n",
                        SESSIONS, pageNanos / 1e6, pageBytes / 1024.0, filteredNanos / 1e6, filteredBytes / 1024.0,
                        all.body().length() / 1048576.0, allNanos / 1e6, allBytes / 1024.0);
                System.out.print(report);
                Files.writeString(Path.of("target", "rest-scale.txt"), report);
                assertThat(pageBytes).as("a page must not cost the whole collection").isLessThan(allBytes / 20);
                assertThat(filteredBytes).isLessThan(allBytes / 2);
                assertThat(TimeUnit.NANOSECONDS.toMillis(pageNanos)).isLessThan(2_000);
            } finally {
                clients.getOutputStream().close();
                clients.destroy();
                assertThat(clients.waitFor(20, TimeUnit.SECONDS)).isTrue();
            }
        }
    }
}
