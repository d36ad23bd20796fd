package dev.patchbay.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.patchbay.Patchbay;
import dev.patchbay.testing.MariaDbServer;
import dev.patchbay.testing.Proxy;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** MariaDB sessions as the REST API ({@code GET /v1/sessions/:id}) and the runtime API ({@code show sess}) show them. */
class MariaDbDiagnosticsTest {
    static MariaDbServer db;
    static Patchbay proxy;
    static Path dir;

    @BeforeAll
    static void setUp() throws Exception {
        db = MariaDbServer.shared();
        MariaDbFixture.createUser(db, "diag_app", "%", "diag-pw", "diag_db");
        dir = Files.createTempDirectory("patchbay-diag");
        String ini = MariaDbFixture.withRestApi(MariaDbFixture.config(db, "retain_last_statements=3\n", ""), dir)
                .replace("[patchbay]\n", "[patchbay]\nretain_last_statements=2\n")
                + "[cli]\ntype=stats_socket\naddress=127.0.0.1\nport=0\nlevel=admin\n";
        proxy = Proxy.start(ini);
    }

    @AfterAll
    static void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private static JsonNode get(String path) throws Exception {
        HttpResponse<String> r = MariaDbFixture.rest(proxy, "GET", path);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JsonMapper.builder().build().readTree(r.body());
    }

    private static String cli(String command) throws Exception {
        InetSocketAddress a = (InetSocketAddress) proxy.runtimeApi().boundAddress("cli");
        try (Socket s = new Socket(a.getAddress(), a.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write((command + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** An immediate kill tells a client waiting for an answer why, as a ttl kill does (ERR 1927). */
    @Test
    void aRestKillDuringAQueryAnswersItWithError1927AndTheReason() throws Exception {
        try (Connection c = MariaDbFixture.connect(proxy, "diag_app", "diag-pw", "diag_db", "")) {
            long id = c.unwrap(org.mariadb.jdbc.Connection.class).getThreadId();
            dev.patchbay.core.Session s = proxy.sessions().get(id);
            Throwable got = MariaDbFixture.failureOfQueryKilledBy(c, s, "SELECT SLEEP(5)",
                    () -> assertThat(MariaDbFixture.rest(proxy, "DELETE", "/v1/sessions/" + id).statusCode()).isEqualTo(200));
            assertThat(got).isInstanceOf(java.sql.SQLException.class);
            java.sql.SQLException e = (java.sql.SQLException) got;
            assertThat(e.getErrorCode()).isEqualTo(1927);
            assertThat(e.getMessage()).contains("Connection was killed: Killed by admin via the REST API");
        }
    }

    /** {@code maxctrl list queries} refuses to run unless {@code /v1/maxscale} shows a value above 0. */
    @Test
    void retainLastStatementsShowsTheConfiguredValues() throws Exception {
        assertThat(get("/v1/maxscale").path("data").path("attributes").path("parameters")
                .path("retain_last_statements").asInt()).isEqualTo(2);
        assertThat(get("/v1/services/svc").path("data").path("attributes").path("parameters")
                .path("retain_last_statements").asInt()).isEqualTo(3);
    }

    @Test
    void sessionResourceShowsUserAttributesBackendsAndQueries() throws Exception {
        try (Connection c = MariaDbFixture.connect(proxy, "diag_app", "diag-pw", "diag_db",
                "connectionAttributes=program_name:diagtest"); Statement st = c.createStatement()) {
            long id = c.unwrap(org.mariadb.jdbc.Connection.class).getThreadId();
            ResultSet rs = st.executeQuery("SELECT CONNECTION_ID()");
            rs.next();
            long backendThread = rs.getLong(1);
            st.execute("SET @a = 1");
            st.executeQuery("SELECT 'last one'").close();

            JsonNode data = get("/v1/sessions/" + id).path("data");
            assertThat(data.path("id").asString()).isEqualTo(Long.toString(id));
            JsonNode a = data.path("attributes");
            assertThat(a.path("state").asString()).isEqualTo("Session started");
            assertThat(a.path("user").asString()).isEqualTo("diag_app");
            assertThat(a.path("client").path("cipher").asString()).isEmpty();
            assertThat(a.path("client").path("connection_attributes").path("program_name").asString()).isEqualTo("diagtest");
            assertThat(a.path("client").path("connection_attributes").path("_client_name").asString()).isNotEmpty();
            assertThat(a.path("client").path("sescmd_history_len").asInt()).isGreaterThanOrEqualTo(1);
            assertThat(a.path("connections").size()).isEqualTo(1);
            assertThat(a.path("connections").path(0).path("connection_id").asLong()).isEqualTo(backendThread);
            assertThat(a.path("connections").path(0).path("server").asString()).isEqualTo("server1");
            JsonNode q = a.path("queries");
            assertThat(q.size()).isEqualTo(3);
            assertThat(q.path(2).path("command").asString()).isEqualTo("COM_QUERY");
            assertThat(q.path(2).path("statement").asString()).isEqualTo("SELECT 'last one'");
            assertThat(q.path(2).path("received").asString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}");
            assertThat(q.path(2).path("responses").path(0).path("server").asString()).isEqualTo("server1");
            assertThat(a.path("memory").path("last_queries").asLong()).isPositive();
            assertThat(a.path("memory").path("sescmd_history").asLong()).isPositive();

            String sess = cli("show sess");
            assertThat(sess).containsPattern("0x[0-9a-f]+: proto=tcpv4 src=127\\.0\\.0\\.1:\\d+ fe=db be=svc srv=server1 user=diag_app ");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.sessions().size() == 0);
    }

    private static HttpResponse<String> post(String path) throws Exception {
        return MariaDbFixture.rest(proxy, "POST", path);
    }

    @Test
    void reloadingAServiceLoadsItsAccountsAtOnce() throws Exception {
        // maxctrl reload service: no need to wait for users_refresh_time after a CREATE USER.
        MariaDbFixture.createUser(db, "diag_new", "%", "new-pw", "diag_db");
        HttpResponse<String> r = post("/v1/services/svc/reload");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
        assertThat(proxy.mariaDbServiceOf("svc").accounts().accounts().find("diag_new", "127.0.0.1"))
                .as("loaded when the answer came").isNotNull();
        assertThat(post("/v1/services/nope/reload").statusCode()).isEqualTo(404);
    }

    private static long backendThread(Statement st) throws Exception {
        try (ResultSet rs = st.executeQuery("SELECT CONNECTION_ID()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void bothAdminInterfacesRestartAMariaDbSessionAndSelectItByUser() throws Exception {
        try (Connection c = MariaDbFixture.connect(proxy, "diag_app", "diag-pw", "diag_db", "");
             Statement st = c.createStatement()) {
            long id = c.unwrap(org.mariadb.jdbc.Connection.class).getThreadId();
            st.execute("SET @kept = 'yes'");
            long t1 = backendThread(st);

            assertThat(cli("show sess user diag_app")).contains("0x" + Long.toHexString(id) + ": ");
            assertThat(cli("show sess user nobody")).doesNotContain("user=diag_app");

            HttpResponse<String> r = post("/v1/sessions/" + id + "/restart");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.sessions().get(id).control().restarts() == 1);
            long t2 = backendThread(st);
            assertThat(t2).isNotEqualTo(t1);

            assertThat(cli("restart session 0x" + Long.toHexString(id))).isEqualTo("\n");
            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.sessions().get(id).control().restarts() == 2);
            assertThat(backendThread(st)).isNotEqualTo(t2);
            assertThat(cli("show sess 0x" + Long.toHexString(id))).contains("last_restart=\"ok\"");
            try (ResultSet rs = st.executeQuery("SELECT @kept")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("yes");
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.sessions().size() == 0);
    }
}
