package dev.patchbay.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.patchbay.Patchbay;
import dev.patchbay.RuntimeConfig;
import dev.patchbay.core.Server;
import dev.patchbay.testing.MariaDbServer;
import dev.patchbay.testing.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS from Patchbay to a server whose certificate comes from a test CA and names only {@code localhost}:
 * certificate and host-name verification (MaxScale's {@code ssl_verify_peer_*}), and a client certificate for
 * accounts that {@code REQUIRE X509} — for sessions, health checks and the account loader alike.
 */
class MariaDbBackendTlsTest {
    static MariaDbServer db;
    static MariaDbServer.Pki pki;

    @BeforeAll
    static void setUp() throws Exception {
        db = MariaDbServer.shared();
        pki = MariaDbServer.pki();
        MariaDbFixture.createUser(db, "btls_app", "%", "btls-pw", "btls_db");
        db.exec("CREATE OR REPLACE USER 'btls_x509'@'%' IDENTIFIED BY 'x509-pw' REQUIRE X509",
                "GRANT ALL ON btls_db.* TO 'btls_x509'@'%'");
    }

    /** Patchbay in front of the shared server at {@code address}, checked with the service account, with {@code tls}. */
    private static Patchbay start(String address, String tls) throws Exception {
        String ini = MariaDbFixture.config(db, "", "").replace(
                "address=127.0.0.1\nport=" + db.port() + "\nhealth_check=none\n",
                "address=" + address + "\nport=" + db.port() + "\nhealth_check=mariadb\nhealth_check_interval=200ms\n"
                        + "ssl=true\n" + tls);
        return Proxy.start(ini);
    }

    /** The backend leg's cipher, seen by the server; returns once the session has ended (its COM_QUIT went through). */
    private static String backendCipher(Patchbay p, String user, String password) throws SQLException {
        String cipher;
        try (Connection c = MariaDbFixture.connect(p, user, password, "btls_db", "");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) {
            assertThat(rs.next()).isTrue();
            cipher = rs.getString(2);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> p.sessions().size() == 0);
        return cipher;
    }

    private static String awaitCheck(Patchbay p, String part) {
        Server s = p.servers().get("server1");
        await().atMost(Duration.ofSeconds(10)).until(() -> s.lastCheckResult().contains(part));
        return s.lastCheckResult();
    }

    @Test
    void aCertificateFromTheConfiguredCaIsAccepted() throws Exception {
        // 127.0.0.1 is not in the certificate: host names are not checked unless asked.
        try (Patchbay p = start("127.0.0.1", "ssl_ca=" + pki.ca() + "\nssl_verify_peer_certificate=true\n")) {
            assertThat(backendCipher(p, "btls_app", "btls-pw")).isNotEmpty();
            awaitCheck(p, "login ok");
        }
    }

    @Test
    void aCertificateFromAnotherCaIsRefusedBySessionsChecksAndTheAccountLoader() throws Exception {
        try (Patchbay p = start("127.0.0.1", "ssl_ca=" + pki.ca() + "\nssl_verify_peer_certificate=true\n")) {
            assertThat(backendCipher(p, "btls_app", "btls-pw")).isNotEmpty();
            // The operator now trusts only another CA: new connections refuse the server's certificate.
            RuntimeConfig rc = p.runtimeConfig();
            Map<String, String> server = new LinkedHashMap<>(rc.entries("server1"));
            server.put("ssl_ca", pki.otherCa().toString());
            rc.apply(List.of(new RuntimeConfig.Edit("server1", RuntimeConfig.render("server1", "server", server))),
                    "test", "distrust");
            assertThatThrownBy(() -> backendCipher(p, "btls_app", "btls-pw"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("the certificate of server server1 is not trusted: ssl_ca " + pki.otherCa()
                            + " did not issue it");
            awaitCheck(p, "the certificate of server server1 is not trusted");
            assertThat(p.mariaDbServiceOf("svc").accounts().refresh(true).get().size())
                    .as("a failed load keeps the accounts it had").isGreaterThan(0);
        }
    }

    @Test
    void hostNamesAreCheckedWhenAsked() throws Exception {
        String verify = "ssl_ca=" + pki.ca() + "\nssl_verify_peer_certificate=true\nssl_verify_peer_host=true\n";
        try (Patchbay p = start("127.0.0.1", verify)) {
            awaitCheck(p, "the certificate of server server1 does not name 127.0.0.1 (ssl_verify_peer_host=true)");
        }
        try (Patchbay p = start("localhost", verify)) {
            awaitCheck(p, "login ok");
            assertThat(backendCipher(p, "btls_app", "btls-pw")).isNotEmpty();
        }
    }

    @Test
    void accountsThatRequireX509GetPatchbaysClientCertificate() throws Exception {
        try (Patchbay p = start("127.0.0.1", "")) {
            assertThatThrownBy(() -> backendCipher(p, "btls_x509", "x509-pw"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("Access denied for user 'btls_x509'");
        }
        try (Patchbay p = start("127.0.0.1", "ssl_cert=" + pki.clientCert() + "\nssl_key=" + pki.clientKey() + "\n")) {
            assertThat(backendCipher(p, "btls_x509", "x509-pw")).isNotEmpty();
        }
    }

    @Test
    void aKeyThatIsNotPemIsAStartupError() throws Exception {
        String ini = MariaDbFixture.config(db, "", "").replace("role=master\n",
                "role=master\nssl=true\nssl_cert=" + pki.clientCert() + "\nssl_key=" + pki.ca() + "\n");
        Patchbay p = new Patchbay(dev.patchbay.config.ConfigLoader.parse("test.cnf", ini));
        try {
            assertThatThrownBy(p::start).hasMessageStartingWith("server [server1]: cannot load ssl_ca/ssl_cert/ssl_key: ");
        } finally {
            p.close();
        }
    }
}
