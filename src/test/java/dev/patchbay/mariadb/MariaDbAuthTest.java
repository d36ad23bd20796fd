package dev.patchbay.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.patchbay.Patchbay;
import dev.patchbay.core.ProtocolDetails;
import dev.patchbay.core.Session;
import dev.patchbay.core.Termination;
import dev.patchbay.testing.MariaDbServer;
import dev.patchbay.testing.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Logins through Patchbay against a real MariaDB, with MariaDB Connector/J 3.5. */
class MariaDbAuthTest {
    static MariaDbServer db;
    static Patchbay proxy;

    @BeforeAll
    static void setUp() throws Exception {
        db = MariaDbServer.shared();
        MariaDbFixture.createUser(db, "auth_app", "%", "s3cret!", "auth_db");
        MariaDbFixture.createUser(db, "auth_local", "127.0.0.%", "pw2", "auth_db");
        MariaDbFixture.createUser(db, "auth_far", "10.%", "pw3", "auth_db");
        db.exec("CREATE DATABASE IF NOT EXISTS auth_other");
        proxy = MariaDbFixture.start(db, "users_refresh_time=0s\n", "");
    }

    @AfterAll
    static void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void goodPasswordLogsInAndThreadIdIsTheSessionId() throws Exception {
        try (Connection c = MariaDbFixture.connect(proxy, "auth_app", "s3cret!", "auth_db", "connectionAttributes=program_name:authtest")) {
            ResultSet rs = c.createStatement().executeQuery("SELECT CURRENT_USER(), DATABASE(), CONNECTION_ID()");
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("auth_app@%");
            assertThat(rs.getString(2)).isEqualTo("auth_db");
            long backendThread = rs.getLong(3);
            long threadId = c.unwrap(org.mariadb.jdbc.Connection.class).getThreadId();
            Session s = proxy.sessions().get(threadId);
            assertThat(s).as("session %d in the registry", threadId).isNotNull();
            ProtocolDetails d = s.protocolDetails();
            assertThat(d.user()).isEqualTo("auth_app");
            assertThat(d.database()).isEqualTo("auth_db");
            assertThat(d.connectionAttributes()).containsEntry("program_name", "authtest").containsKey("_client_name");
            assertThat(d.backendConnections()).containsExactly(new ProtocolDetails.BackendConnection("server1", backendThread, ""));
            assertThat(d.clientCipher()).isEmpty();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.sessions().size() == 0);
    }

    @Test
    void wrongPasswordGetsMariaDbsError() {
        assertThatThrownBy(() -> MariaDbFixture.connect(proxy, "auth_app", "wrong", "auth_db", ""))
                .isInstanceOfSatisfying(SQLException.class, e -> {
                    assertThat(e.getErrorCode()).isEqualTo(1045);
                    assertThat(e.getSQLState()).isEqualTo("28000");
                    assertThat(e.getMessage()).contains("Access denied for user 'auth_app'@'127.0.0.1' (using password: YES)");
                });
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.sessions().size() == 0);
    }

    @Test
    void unknownUserAndNoPasswordAreDenied() {
        assertThatThrownBy(() -> MariaDbFixture.connect(proxy, "nobody", "x", "", ""))
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getMessage())
                        .contains("Access denied for user 'nobody'@'127.0.0.1' (using password: YES)"));
        assertThatThrownBy(() -> MariaDbFixture.connect(proxy, "auth_app", "", "", ""))
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getMessage())
                        .contains("Access denied for user 'auth_app'@'127.0.0.1' (using password: NO)"));
    }

    @Test
    void hostPatternsAreHonoured() throws Exception {
        try (Connection c = MariaDbFixture.connect(proxy, "auth_local", "pw2", "auth_db", "")) {
            assertThat(c.isValid(2)).isTrue();
        }
        assertThatThrownBy(() -> MariaDbFixture.connect(proxy, "auth_far", "pw3", "auth_db", ""))
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode()).isEqualTo(1045));
    }

    @Test
    void databaseWithoutGrantIsRefused() {
        assertThatThrownBy(() -> MariaDbFixture.connect(proxy, "auth_app", "s3cret!", "auth_other", ""))
                .isInstanceOfSatisfying(SQLException.class, e -> {
                    assertThat(e.getErrorCode()).isEqualTo(1044);
                    assertThat(e.getMessage()).contains("Access denied for user 'auth_app'@'127.0.0.1' to database 'auth_other'");
                });
    }

    @Test
    void newAccountIsFoundAfterAFailedLoginReloads() throws Exception {
        MariaDbFixture.createUser(db, "auth_new", "%", "fresh", "auth_db");
        try (Connection c = MariaDbFixture.connect(proxy, "auth_new", "fresh", "auth_db", "");
             Statement st = c.createStatement()) {
            assertThat(st.executeQuery("SELECT 1").next()).isTrue();
        }
    }

    @Test
    void aDatabaseGrantedAfterLoadingIsFoundAfterTheRefusedLoginReloads() throws Exception {
        MariaDbFixture.createUser(db, "auth_grant", "%", "g", "auth_db");
        try (Connection c = MariaDbFixture.connect(proxy, "auth_grant", "g", "auth_db", "")) {
            assertThat(c.isValid(2)).isTrue(); // the account is loaded now, with auth_db only
        }
        db.exec("GRANT SELECT ON auth_other.* TO 'auth_grant'@'%'");
        try (Connection c = MariaDbFixture.connect(proxy, "auth_grant", "g", "auth_other", "");
             Statement st = c.createStatement()) {
            assertThat(st.executeQuery("SELECT DATABASE()").next()).isTrue();
        }
    }

    @Test
    void otherClientPluginsAreSwitchedToNativePassword() throws Exception {
        try (RawClient raw = new RawClient(proxy.listenerAddress("db"))) {
            byte[] sw = raw.loginWithPlugin("auth_app", "caching_sha2_password");
            assertThat(sw[0]).isEqualTo((byte) 0xFE);
            String plugin = new String(sw, 1, "mysql_native_password".length(), java.nio.charset.StandardCharsets.US_ASCII);
            assertThat(plugin).isEqualTo("mysql_native_password");
            byte[] scramble = java.util.Arrays.copyOfRange(sw, 2 + plugin.length(), 2 + plugin.length() + 20);
            assertThat(scramble).isEqualTo(raw.handshake.scramble());
            byte[] ok = raw.authSwitchReply("s3cret!", scramble, 3);
            assertThat(ok[0]).as(RawClient.errMessage(ok)).isZero();
            byte[] reply = raw.query("DO 1");
            assertThat(reply[0]).isZero();
        }
        try (RawClient raw = new RawClient(proxy.listenerAddress("db"))) {
            byte[] sw = raw.loginWithPlugin("auth_app", "client_ed25519");
            byte[] scramble = java.util.Arrays.copyOfRange(sw, 23, 43);
            byte[] err = raw.authSwitchReply("wrong", scramble, 3);
            assertThat(RawClient.errCode(err)).isEqualTo(1045);
            assertThat(raw.closedByServer()).isTrue();
        }
    }

    @Test
    void terminationOfFailedLoginIsAuthFailure() throws Exception {
        List<Termination> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        long before = proxy.sessions().lastId();
        assertThatThrownBy(() -> MariaDbFixture.connect(proxy, "auth_app", "bad", "", "")).isInstanceOf(SQLException.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.sessions().size() == 0);
        assertThat(proxy.sessions().lastId()).isGreaterThan(before);
    }

    @Test
    void accountsLoadOnceTheServerIsUpWhenPatchbayStartedFirst() throws Exception {
        int later = Proxy.freePort();
        // users_refresh_time as configured in production: the retries must not wait for it.
        try (Patchbay early = Proxy.start(MariaDbFixture.config(later, "users_refresh_time=30s\n", ""))) {
            assertThatThrownBy(() -> MariaDbFixture.connect(early, "auth_app", "s3cret!", "auth_db", ""))
                    .isInstanceOf(SQLException.class).hasMessageContaining("Access denied for user 'auth_app'");
            // What POST /v1/services/svc/reload answers with while this lasts.
            assertThat(early.mariaDbServiceOf("svc").accounts().lastFailure())
                    .startsWith("cannot load accounts from any server (server1: ");
            // The database comes up at the address Patchbay was given (a TCP relay to it, on that port).
            try (Patchbay server = Proxy.start(Proxy.server("db", db.port())
                    + "[svc]\ntype=service\nservers=db\n\n[up]\ntype=listener\nservice=svc\naddress=127.0.0.1\nport=" + later + "\n")) {
                // Loaded by the loader's own retries, with no login asking.
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> early.mariaDbServiceOf("svc").accounts().accounts().size() > 0);
                assertThat(early.mariaDbServiceOf("svc").accounts().lastFailure()).isEmpty();
                try (Connection c = MariaDbFixture.connect(early, "auth_app", "s3cret!", "auth_db", "");
                     Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT CURRENT_USER()")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1)).isEqualTo("auth_app@%");
                }
                // Let the COM_QUIT through before the relay goes: a cut connection counts in the server's
                // global Aborted_clients, which MariaDbHealthCheckTest reads.
                await().atMost(Duration.ofSeconds(5)).until(() -> early.sessions().size() == 0 && server.sessions().size() == 0);
            }
        }
    }
}
