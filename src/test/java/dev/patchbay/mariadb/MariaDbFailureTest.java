package dev.patchbay.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.patchbay.Patchbay;
import dev.patchbay.core.ProtocolDetails;
import dev.patchbay.core.Session;
import dev.patchbay.core.Termination;
import dev.patchbay.testing.MariaDbServer;
import java.io.InputStream;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Broken clients, broken backends: clear errors, no crash, other sessions untouched. */
class MariaDbFailureTest {
    static MariaDbServer db;
    static Patchbay proxy;

    @BeforeAll
    static void setUp() throws Exception {
        db = MariaDbServer.shared();
        MariaDbFixture.createUser(db, "fail_app", "%", "fail-pw", "fail_db");
        proxy = MariaDbFixture.start(db, "", "");
    }

    @AfterAll
    static void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @AfterEach
    void allSessionsClosed() {
        await().atMost(Duration.ofSeconds(15)).until(() -> proxy.sessions().size() == 0);
    }

    private static Connection connect() throws SQLException {
        return MariaDbFixture.connect(proxy, "fail_app", "fail-pw", "fail_db", "");
    }

    private static void stillWorks(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            ResultSet rs = st.executeQuery("SELECT 6 * 7");
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(42);
        }
    }

    @Test
    void garbageHandshakeResponseGetsBadHandshakeAndAClose() throws Exception {
        try (Connection bystander = connect()) {
            try (RawClient raw = new RawClient(proxy.listenerAddress("db"))) {
                raw.readHandshake();
                raw.writeRaw(new byte[] {5, 0, 0, 1, 1, 2, 3, 4, 5});
                byte[] err = raw.readPayload();
                assertThat(RawClient.errCode(err)).isEqualTo(1043);
                assertThat(RawClient.errMessage(err)).isEqualTo("Bad handshake");
                assertThat(raw.closedByServer()).isTrue();
            }
            try (RawClient raw = new RawClient(proxy.listenerAddress("db"))) {
                raw.readHandshake();
                // Wrong sequence id for a handshake response.
                raw.writeRaw(new byte[] {1, 0, 0, 7, 0});
                assertThat(RawClient.errCode(raw.readPayload())).isEqualTo(1043);
                assertThat(raw.closedByServer()).isTrue();
            }
            stillWorks(bystander);
        }
    }

    @Test
    void oversizedPacketBeforeLoginIsRefused() throws Exception {
        try (RawClient raw = new RawClient(proxy.listenerAddress("db"))) {
            raw.readHandshake();
            raw.writeRaw(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1});
            byte[] err = raw.readPayload();
            assertThat(RawClient.errCode(err)).isEqualTo(1153);
            assertThat(raw.closedByServer()).isTrue();
        }
    }

    @Test
    void truncatedHandshakeAndSilentClientsAreClosed() throws Exception {
        try (RawClient raw = new RawClient(proxy.listenerAddress("db"))) {
            raw.readHandshake();
            // Announces 50 bytes, sends 3, then goes away.
            raw.writeRaw(new byte[] {50, 0, 0, 1, 1, 2, 3});
        }
        try (Socket s = new Socket("127.0.0.1", proxy.listenerAddress("db").getPort())) {
            s.setSoTimeout(20_000);
            InputStream in = s.getInputStream();
            long t0 = System.nanoTime();
            while (in.read() != -1) {
                // the handshake, then nothing until the login timeout closes the connection
            }
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0))
                    .isBetween(TimeUnit.NANOSECONDS.toMillis(MariaDbSession.AUTH_TIMEOUT_NANOS) - 1000, 19_000L);
        }
    }

    @Test
    void malformedCommandsAfterLoginGetServerErrorsNotACrash() throws Exception {
        try (Connection bystander = connect(); RawClient raw = new RawClient(proxy.listenerAddress("db"))) {
            assertThat(raw.login("fail_app", "fail-pw", "fail_db")[0]).isZero();
            raw.writeCommand(0x17, new byte[] {1}); // COM_STMT_EXECUTE, truncated
            byte[] reply = raw.readPayload();
            assertThat(reply[0]).isEqualTo((byte) 0xFF);
            raw.writeCommand(0x11, new byte[] {'x'}); // COM_CHANGE_USER without its fields
            byte[] bad = raw.readPayload();
            assertThat(RawClient.errCode(bad)).isEqualTo(1043);
            assertThat(raw.closedByServer()).isTrue();
            stillWorks(bystander);
        }
    }

    @Test
    void clientDisconnectMidResultCleansUp() throws Exception {
        try (RawClient raw = new RawClient(proxy.listenerAddress("db"))) {
            assertThat(raw.login("fail_app", "fail-pw", "fail_db")[0]).isZero();
            raw.writeCommand(0x03, "SELECT REPEAT('x', 100000) FROM seq_1_to_2000".getBytes());
            raw.readPayload();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.sessions().size() == 0);
        try (Connection c = connect()) {
            stillWorks(c);
        }
    }

    @Test
    void backendKilledMidQueryGivesTheClientAnErrorAndEndsTheSession() throws Exception {
        try (Connection bystander = connect(); Connection c = connect(); Statement st = c.createStatement()) {
            long id = c.unwrap(org.mariadb.jdbc.Connection.class).getThreadId();
            Session s = proxy.sessions().get(id);
            long backendThread = s.protocolDetails().backendConnections().get(0).connectionId();
            CompletableFuture<Void> killer = CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(500);
                    db.exec("KILL CONNECTION " + backendThread);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThatThrownBy(() -> st.executeQuery("SELECT SLEEP(20)").next()).isInstanceOf(SQLException.class);
            killer.join();
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.sessions().get(id) == null);
            Termination t = s.closedFuture().get(5, TimeUnit.SECONDS);
            assertThat(t.cause()).isIn(Termination.Cause.SERVER_CLOSE, Termination.Cause.SERVER_ERROR);
            stillWorks(bystander);
        }
    }

    @Test
    void backendDownAtLoginGivesAClearError() throws Exception {
        String ini = MariaDbFixture.config(db, "retries=0\n", "")
                .replace("port=" + db.port(), "port=" + db.port() + "\n")
                .replace("servers=server1", "servers=server1,dead")
                + "[dead]\ntype=server\naddress=127.0.0.1\nport=1\nhealth_check=none\nweight=100\n\n";
        try (Patchbay p = dev.patchbay.testing.Proxy.start(ini)) {
            assertThatThrownBy(() -> MariaDbFixture.connect(p, "fail_app", "fail-pw", "fail_db", ""))
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getErrorCode()).isEqualTo(1105);
                        assertThat(e.getMessage()).contains("connect failure").contains("dead");
                    });
            await().atMost(Duration.ofSeconds(5)).until(() -> p.sessions().size() == 0);
        }
    }

    @Test
    void sessionDetailsWhileConnected() throws Exception {
        try (Connection c = connect()) {
            Session s = proxy.sessions().get(c.unwrap(org.mariadb.jdbc.Connection.class).getThreadId());
            ProtocolDetails d = s.protocolDetails();
            assertThat(d.awaitingResponse()).isFalse();
            assertThat(s.ioActivity()).isPositive();
            assertThat(s.state()).isInstanceOf(dev.patchbay.core.SessionState.Established.class);
            assertThat(s.server().name()).isEqualTo("server1");
        }
    }
}
