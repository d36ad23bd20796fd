package dev.patchbay.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.Patchbay;
import dev.patchbay.config.ConfigLoader;
import dev.patchbay.testing.TestBackend;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** {@code GET /metrics}: Prometheus text from the model's counters, on a real Patchbay. */
class MetricsTest {
    static final String ADMIN = "Basic " + Base64.getEncoder().encodeToString("admin:mariadb".getBytes(StandardCharsets.UTF_8));

    @Test
    void exposesSessionsBytesServersAndAdminActions() throws Exception {
        Path dir = Files.createTempDirectory("metrics");
        Patchbay pb;
        try (TestBackend backend = TestBackend.start("m", TestBackend.Mode.ECHO)) {
            {
                pb = new Patchbay(ConfigLoader.parse("m.cnf", "[patchbay]\nadmin_port=0\naccess_log=off\n"
                        + "admin_users_file=" + dir.resolve("u.json") + "\n"
                        + "[s1]\ntype=server\naddress=127.0.0.1\nport=" + backend.port() + "\nhealth_check=none\n"
                        + "[down]\ntype=server\naddress=127.0.0.1\nport=1\nhealth_check=none\n"
                        + "[svc]\ntype=service\nservers=s1\n[L]\ntype=listener\nservice=svc\naddress=127.0.0.1\nport=0\n"
                        + "[svc2]\ntype=service\nservers=down\nretries=0\n[L2]\ntype=listener\nservice=svc2\naddress=127.0.0.1\nport=0\n")).start();
            }
            try (pb) {
                HttpClient http = HttpClient.newHttpClient();
                String url = "http://127.0.0.1:" + pb.restApi().boundAddress().getPort();
                HttpResponse<String> denied = http.send(HttpRequest.newBuilder(URI.create(url + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(denied.statusCode()).isEqualTo(401);

                try (Socket c = new Socket("127.0.0.1", pb.listenerAddress("L").getPort())) {
                    OutputStream out = c.getOutputStream();
                    out.write("0123456789".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    InputStream in = c.getInputStream();
                    assertThat(in.readNBytes(10)).hasSize(10);
                    String text = scrape(http, url);
                    assertThat(text).contains("# TYPE patchbay_listener_sessions_current gauge");
                    assertThat(value(text, "patchbay_listener_sessions_current{listener=\"L\"}")).isEqualTo(1.0);
                    assertThat(value(text, "patchbay_server_up{server=\"s1\"}")).isEqualTo(1.0);
                    assertThat(value(text, "patchbay_server_admin_state{server=\"s1\",state=\"ready\"}")).isEqualTo(1.0);
                    assertThat(value(text, "patchbay_session_bytes_total{direction=\"from_client\",listener=\"L\",service=\"svc\"}"))
                            .isEqualTo(10.0);
                }
                // A failed connect counts as a connect error of its server.
                try (Socket c = new Socket("127.0.0.1", pb.listenerAddress("L2").getPort())) {
                    c.setSoTimeout(5000);
                    assertThat(c.getInputStream().read()).isEqualTo(-1);
                }
                Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> pb.sessions().size() == 0);
                String text = scrape(http, url);
                assertThat(value(text, "patchbay_listener_sessions_total{listener=\"L\"}")).isEqualTo(1.0);
                assertThat(value(text, "patchbay_listener_sessions_current{listener=\"L\"}")).isEqualTo(0.0);
                assertThat(value(text, "patchbay_server_connect_errors_total{server=\"down\"}")).isEqualTo(1.0);
                assertThat(value(text, "patchbay_server_connections_total{server=\"s1\"}")).isEqualTo(1.0);
                // The closed session's bytes stay counted.
                assertThat(value(text, "patchbay_session_bytes_total{direction=\"from_client\",listener=\"L\",service=\"svc\"}"))
                        .isEqualTo(10.0);
                assertThat(value(text, "patchbay_session_bytes_total{direction=\"from_server\",listener=\"L\",service=\"svc\"}"))
                        .isEqualTo(10.0);

                HttpResponse<String> set = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/servers/s1/set?state=drain"))
                        .header("Authorization", ADMIN).PUT(HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(set.statusCode()).isEqualTo(204);
                text = scrape(http, url);
                assertThat(value(text, "patchbay_admin_actions_total{action=\"server_set\"}")).isEqualTo(1.0);
                assertThat(value(text, "patchbay_server_admin_state{server=\"s1\",state=\"drain\"}")).isEqualTo(1.0);
            }
        } finally {
            Files.deleteIfExists(dir.resolve("u.json"));
            Files.delete(dir);
        }
    }

    @Test
    void metricsCanBeOpenWhenConfiguredSo() throws Exception {
        Patchbay pb = new Patchbay(ConfigLoader.parse("m.cnf", "[patchbay]\nadmin_port=0\naccess_log=off\n"
                + "admin_metrics_auth=false\nadmin_users_file=/nonexistent-dir/never-written.json\n")).start();
        try (pb) {
            HttpClient http = HttpClient.newHttpClient();
            String url = "http://127.0.0.1:" + pb.restApi().boundAddress().getPort();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain; version=0.0.4");
            assertThat(r.body()).contains("patchbay_start_time_seconds");
            // The rest of the API still needs credentials.
            HttpResponse<String> api = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/sessions")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(api.statusCode()).isEqualTo(401);
        }
    }

    static String scrape(HttpClient http, String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/metrics")).header("Authorization", ADMIN)
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    static double value(String text, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
        assertThat(m.find()).as("series %s in\n%s", series, text).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
