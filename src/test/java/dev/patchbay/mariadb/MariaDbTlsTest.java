package dev.patchbay.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.patchbay.Patchbay;
import dev.patchbay.core.ProtocolDetails;
import dev.patchbay.core.Session;
import dev.patchbay.testing.MariaDbServer;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.io.File;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on both legs (client: Patchbay's certificate; backend: MariaDB 11.4's own) with Connector/J
 * 3.5 and 4.0 and the mariadb command-line client, with and without TLS.
 */
class MariaDbTlsTest {
    static MariaDbServer db;
    static Patchbay proxy;
    static File ca;
    static String ini;

    @BeforeAll
    static void setUp() throws Exception {
        db = MariaDbServer.shared();
        MariaDbFixture.createUser(db, "tls_app", "%", "tls-pw", "tls_db");
        MariaDbFixture.createUser(db, "tls_nopw", "%", "", "tls_db");
        X509Bundle root = new CertificateBuilder().subject("CN=Patchbay Test CA").setIsCertificateAuthority(true)
                .ecp256().buildSelfSigned();
        X509Bundle leaf = new CertificateBuilder().subject("CN=localhost").addSanDnsName("localhost")
                .addSanIpAddress("127.0.0.1").ecp256().addExtendedKeyUsageServerAuth().buildIssuedBy(root);
        ca = root.toTempRootCertPem();
        File cert = leaf.toTempCertChainPem();
        File key = leaf.toTempPrivateKeyPem();
        ini = MariaDbFixture.config(db, "", "ssl=true\nssl_cert=" + cert + "\nssl_key=" + key + "\n")
                .replace("role=master\n", "role=master\nssl=true\n");
        proxy = dev.patchbay.testing.Proxy.start(ini);
    }

    @AfterAll
    static void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @AfterEach
    void allSessionsClosed() {
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.sessions().size() == 0);
    }

    private static String url(String options) {
        return "jdbc:mariadb://127.0.0.1:" + proxy.listenerAddress("db").getPort() + "/tls_db?" + options;
    }

    private static void checkTlsSession(Connection c, boolean clientTls) throws Exception {
        try (Statement st = c.createStatement()) {
            ResultSet rs = st.executeQuery("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
            rs.next();
            String backendCipher = rs.getString(2);
            assertThat(backendCipher).as("the backend leg is TLS").isNotEmpty();
            rs = st.executeQuery("SELECT CONNECTION_ID()");
            rs.next();
            long backendThread = rs.getLong(1);
            Session s = only();
            ProtocolDetails d = s.protocolDetails();
            if (clientTls) {
                assertThat(d.clientCipher()).startsWith("TLS_");
            } else {
                assertThat(d.clientCipher()).isEmpty();
            }
            assertThat(d.backendConnections()).hasSize(1);
            assertThat(d.backendConnections().get(0).connectionId()).isEqualTo(backendThread);
            assertThat(d.backendConnections().get(0).cipher()).startsWith("TLS_");
        }
    }

    private static Session only() {
        List<Session> all = proxy.sessions().snapshot();
        assertThat(all).hasSize(1);
        return all.get(0);
    }

    @Test
    void connectorJ35WithVerifiedTls() throws Exception {
        try (Connection c = MariaDbFixture.connectUrl(url("sslMode=verify-full&serverSslCert=" + ca), "tls_app", "tls-pw")) {
            checkTlsSession(c, true);
        }
    }

    @Test
    void connectorJ35WithoutTls() throws Exception {
        try (Connection c = MariaDbFixture.connectUrl(url("sslMode=disable"), "tls_app", "tls-pw")) {
            checkTlsSession(c, false);
        }
    }

    @Test
    void connectorJ4DefaultsToTls() throws Exception {
        assertThat(ConnectorJ4.version()).startsWith("4.");
        try (Connection c = ConnectorJ4.connect(url("serverSslCert=" + ca), "tls_app", "tls-pw")) {
            checkTlsSession(c, true);
        }
        try (Connection c = ConnectorJ4.connect(url("sslMode=disable"), "tls_app", "tls-pw")) {
            checkTlsSession(c, false);
        }
    }

    /**
     * MariaDB 11.4 zero-configuration TLS: without a CA the driver cannot verify Patchbay's
     * certificate, and accepts it because the login OK carries a proof only a server that knows
     * the password hash, the scramble and this certificate can compute. Without a password there
     * is no proof, and the untrusted certificate is refused.
     */
    @Test
    void connectorJ4AcceptsAnUnknownCertificateThroughThePasswordProof() throws Exception {
        try (Connection c = ConnectorJ4.connect(url("sslMode=verify-full"), "tls_app", "tls-pw")) {
            checkTlsSession(c, true);
        }
        try (Connection c = MariaDbFixture.connectUrl(url("sslMode=verify-full"), "tls_app", "tls-pw")) {
            checkTlsSession(c, true);
        }
        assertThatThrownBy(() -> ConnectorJ4.connect(url("sslMode=verify-full"), "tls_nopw", ""))
                .isInstanceOf(SQLException.class);
    }

    @Test
    void sslVersionLimitsTheTlsVersionsOnBothLegs() throws Exception {
        String limited = ini.replace("ssl_key=", "ssl_version=TLSv13\nssl_key=")
                .replace("role=master\nssl=true\n", "role=master\nssl=true\nssl_version=TLSv12\n");
        try (Patchbay p = dev.patchbay.testing.Proxy.start(limited)) {
            String base = "jdbc:mariadb://127.0.0.1:" + p.listenerAddress("db").getPort() + "/tls_db?sslMode=trust";
            assertThatThrownBy(() -> MariaDbFixture.connectUrl(base + "&enabledSslProtocolSuites=TLSv1.2", "tls_app", "tls-pw"))
                    .isInstanceOf(SQLException.class);
            try (Connection c = MariaDbFixture.connectUrl(base, "tls_app", "tls-pw"); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SHOW SESSION STATUS LIKE 'Ssl_version'")) {
                rs.next();
                assertThat(rs.getString(2)).as("the backend leg").isEqualTo("TLSv1.2");
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> p.sessions().size() == 0);
        }
    }

    @Test
    void certificatesAreReloadedWithoutARestart(@TempDir Path dir) throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        X509Bundle ca1 = newCa("CN=Before");
        X509Bundle ca2 = newCa("CN=After");
        writeLeaf(ca1, cert, key);
        String withAdmin = MariaDbFixture.withRestApi(
                MariaDbFixture.config(db, "", "ssl=true\nssl_cert=" + cert + "\nssl_key=" + key + "\n"), dir);
        try (Patchbay p = dev.patchbay.testing.Proxy.start(withAdmin)) {
            String base = "jdbc:mariadb://127.0.0.1:" + p.listenerAddress("db").getPort() + "/tls_db?sslMode=verify-full&serverSslCert=";
            File pem1 = ca1.toTempRootCertPem();
            File pem2 = ca2.toTempRootCertPem();
            MariaDbFixture.connectUrl(base + pem1, "tls_app", "tls-pw").close();
            // The certificate is renewed on disk (another CA here, to tell them apart), then reloaded.
            writeLeaf(ca2, cert, key);
            assertThat(reload(p).statusCode()).isEqualTo(204);
            MariaDbFixture.connectUrl(base + pem2, "tls_app", "tls-pw").close();
            assertThatThrownBy(() -> MariaDbFixture.connectUrl(base + pem1, "tls_app", "tls-pw")).isInstanceOf(SQLException.class);
            // A broken file: nothing changes, and the answer says why.
            Files.writeString(key, "not a key");
            HttpResponse<String> bad = reload(p);
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).contains("TLS not reloaded, the certificates in force stay: listener [db]: cannot load");
            MariaDbFixture.connectUrl(base + pem2, "tls_app", "tls-pw").close();
            await().atMost(Duration.ofSeconds(10)).until(() -> p.sessions().size() == 0);
        }
    }

    private static X509Bundle newCa(String subject) throws Exception {
        return new CertificateBuilder().subject(subject).setIsCertificateAuthority(true).ecp256().buildSelfSigned();
    }

    private static void writeLeaf(X509Bundle ca, Path cert, Path key) throws Exception {
        X509Bundle leaf = new CertificateBuilder().subject("CN=localhost").addSanDnsName("localhost")
                .addSanIpAddress("127.0.0.1").ecp256().addExtendedKeyUsageServerAuth().buildIssuedBy(ca);
        Files.writeString(cert, leaf.getCertificatePathPEM());
        Files.writeString(key, leaf.getPrivateKeyPEM());
    }

    private static HttpResponse<String> reload(Patchbay p) throws Exception {
        return MariaDbFixture.rest(p, "POST", "/v1/maxscale/tls/reload");
    }

    @Test
    void mariadbCommandLineClientWithAndWithoutTls() throws Exception {
        String port = Integer.toString(proxy.listenerAddress("db").getPort());
        String out = cli("--ssl", "--ssl-ca=" + ca, "-h", "127.0.0.1", "-P", port, "-u", "tls_app", "-ptls-pw", "tls_db",
                "-N", "-e", "SELECT CURRENT_USER(); SHOW SESSION STATUS LIKE 'Ssl_cipher'");
        assertThat(out).contains("tls_app@%").contains("Ssl_cipher\tTLS");
        String plain = cli("--skip-ssl", "-h", "127.0.0.1", "-P", port, "-u", "tls_app", "-ptls-pw", "tls_db", "-N",
                "-e", "SELECT 40 + 2");
        assertThat(plain.strip()).isEqualTo("42");
        String denied = cli("--skip-ssl", "-h", "127.0.0.1", "-P", port, "-u", "tls_app", "-pnope", "-e", "SELECT 1");
        assertThat(denied).contains("ERROR 1045 (28000)").contains("Access denied for user 'tls_app'@'127.0.0.1' (using password: YES)");
    }

    static String cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(db.cliBinary().getAbsolutePath());
        cmd.add("--no-defaults");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("mariadb CLI did not finish");
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
