package dev.patchbay.admin.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.Patchbay;
import dev.patchbay.config.ConfigException;
import dev.patchbay.config.ConfigLoader;
import dev.patchbay.core.Session;
import dev.patchbay.testing.TestBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
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
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import tools.jackson.databind.JsonNode;

/**
 * A real Patchbay for REST tests: an echo backend, a TCP listener, the REST API on 127.0.0.1 port 0
 * with its users file in a temporary directory, and a real JDK HTTP client.
 */
final class RestRig implements AutoCloseable {
    static final String ADMIN = basic("admin", "mariadb");

    final Path dir;
    final TestBackend backend;
    final Patchbay patchbay;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Socket> clients = new ArrayList<>();

    private RestRig(Path dir, TestBackend backend, Patchbay patchbay) {
        this.dir = dir;
        this.backend = backend;
        this.patchbay = patchbay;
    }

    /** Starts with default settings plus {@code props} as {@code [patchbay]} keys. */
    static RestRig start(Map<String, String> props) throws Exception {
        return start(props, "", "");
    }

    /**
     * @param globalExtra lines added to {@code [patchbay]}
     * @param serviceExtra lines added to the service section
     */
    static RestRig start(Map<String, String> props, String globalExtra, String serviceExtra) throws Exception {
        Path dir = Files.createTempDirectory("patchbay-rest");
        Map<String, String> all = new LinkedHashMap<>();
        all.put("admin_users_file", dir.resolve("users.json").toString());
        all.put("admin_pbkdf2_iterations", "1000");
        all.putAll(props);
        TestBackend backend = TestBackend.start("echo", TestBackend.Mode.ECHO);
        StringBuilder global = new StringBuilder();
        all.forEach((k, v) -> global.append(k).append('=').append(v).append('\n'));
        String ini = "[patchbay]\nadmin_host=127.0.0.1\nadmin_port=0\naccess_log=off\n" + global + globalExtra + "\n"
                + "[server1]\ntype=server\naddress=127.0.0.1\nport=" + backend.port() + "\nhealth_check=none\n\n"
                + "[Echo-Service]\ntype=service\nservers=server1\n" + serviceExtra + "\n\n"
                + "[Echo-Listener]\ntype=listener\nservice=Echo-Service\naddress=127.0.0.1\nport=0\n";
        Patchbay pb;
        try {
            pb = new Patchbay(ConfigLoader.parse("rest-test.cnf", ini)).start();
        } catch (ConfigException e) {
            backend.close();
            throw new AssertionError("test configuration is invalid:\n" + e.getMessage(), e);
        }
        return new RestRig(dir, backend, pb);
    }

    static RestRig start() throws Exception {
        return start(Map.of());
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    int port() {
        return patchbay.restApi().boundAddress().getPort();
    }

    String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    // ---- HTTP ---------------------------------------------------------------------------------

    HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        boolean auth = false;
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
            auth |= headers[i].equalsIgnoreCase("Authorization") || headers[i].equalsIgnoreCase("Cookie");
        }
        if (!auth) {
            b.header("Authorization", ADMIN);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code body} as it is, for bodies that are not text; as the default admin. */
    HttpResponse<String> sendBytes(String method, String path, byte[] body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(20))
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body)).header("Authorization", ADMIN).build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path, String... headers) throws Exception {
        return send("GET", path, null, headers);
    }

    JsonNode getJson(String path) throws Exception {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
        return json(r);
    }

    static JsonNode json(HttpResponse<String> r) {
        return Json.MAPPER.readTree(r.body());
    }

    /** The first error detail of an error answer. */
    static String detail(HttpResponse<String> r) {
        return json(r).path("errors").path(0).path("detail").asString("");
    }

    // ---- data-plane clients -------------------------------------------------------------------

    /** Opens a client through the listener, proves it works with an echo, and returns its session. */
    Session openSession() throws IOException {
        InetSocketAddress a = patchbay.listenerAddress("Echo-Listener");
        Socket s = new Socket();
        s.connect(a, 5000);
        s.setSoTimeout(10_000);
        clients.add(s);
        echo(s, "hello");
        int localPort = s.getLocalPort();
        Session[] found = new Session[1];
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> {
            for (Session x : patchbay.sessions().snapshot()) {
                if (x.clientAddress() instanceof InetSocketAddress isa && isa.getPort() == localPort) {
                    found[0] = x;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    Socket socketOf(Session s) {
        int port = ((InetSocketAddress) s.clientAddress()).getPort();
        for (Socket c : clients) {
            if (c.getLocalPort() == port) {
                return c;
            }
        }
        throw new IllegalArgumentException("no client for " + s);
    }

    static void echo(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
        byte[] buf = new byte[text.length()];
        InputStream in = s.getInputStream();
        int n = 0;
        while (n < buf.length) {
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) {
                throw new IOException("closed after " + n + " bytes");
            }
            n += r;
        }
        assertThat(new String(buf, StandardCharsets.UTF_8)).isEqualTo(text);
    }

    /** True once the proxy closed the client connection (read returns EOF or a reset). */
    static boolean closedByPeer(Socket s) {
        try {
            s.setSoTimeout(100);
            return s.getInputStream().read() < 0;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() throws Exception {
        for (Socket s : clients) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        patchbay.close();
        backend.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
