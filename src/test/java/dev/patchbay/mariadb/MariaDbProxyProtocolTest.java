package dev.patchbay.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Session;
import dev.patchbay.testing.HeaderRelay;
import dev.patchbay.testing.MariaDbServer;
import dev.patchbay.testing.Proxy;
import java.net.InetSocketAddress;
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

/**
 * PROXY protocol end to end in MariaDB mode: Connector/J behind a relay that sends a header naming
 * 10.20.30.40 (an L4 load balancer), Patchbay with {@code proxy_protocol_networks}, and a server with
 * {@code proxy_protocol=true} whose MariaDB accepts headers from loopback. Accounts for {@code 10.20.%} work
 * only if the client's address reaches both Patchbay's account check and MariaDB's.
 */
class MariaDbProxyProtocolTest {
    static MariaDbServer db;
    static Patchbay proxy;
    static HeaderRelay relay;

    @BeforeAll
    static void setUp() throws Exception {
        db = MariaDbServer.shared();
        MariaDbFixture.createUser(db, "pp_far", "10.20.%", "far-pw", "pp_db");
        MariaDbFixture.createUser(db, "pp_any", "%", "any-pw", "pp_db");
        String ini = MariaDbFixture.config(db, "", "proxy_protocol_networks=127.0.0.1\n")
                .replace("role=master\n", "role=master\nproxy_protocol=true\n");
        proxy = Proxy.start(ini);
        relay = new HeaderRelay(proxy.listenerAddress("db").getPort(), "PROXY TCP4 10.20.30.40 192.0.2.1 5555 3306\r\n");
    }

    @AfterAll
    static void tearDown() throws Exception {
        relay.close();
        proxy.close();
    }

    @AfterEach
    void allSessionsClosed() {
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.sessions().size() == 0);
    }

    private static Connection viaLoadBalancer(String user, String password) throws SQLException {
        return MariaDbFixture.connectUrl("jdbc:mariadb://127.0.0.1:" + relay.port() + "/pp_db?sslMode=disable", user, password);
    }

    private static String currentUser(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT USER()")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void theClientTheHeaderNamesIsWhoLogsInHereAndOnTheServer() throws Exception {
        try (Connection c = viaLoadBalancer("pp_far", "far-pw")) {
            assertThat(currentUser(c)).isEqualTo("pp_far@10.20.30.40");
            Session s = proxy.sessions().get(c.unwrap(org.mariadb.jdbc.Connection.class).getThreadId());
            assertThat(s.clientAddress()).isEqualTo(new InetSocketAddress("10.20.30.40", 5555));
            assertThat(s.frontendAddress()).isEqualTo(new InetSocketAddress("192.0.2.1", 3306));
        }
    }

    @Test
    void killsAreSentAsTheClientToo() throws Exception {
        // pp_far may log in only from 10.20.%: Patchbay's KILL connection must carry the client's address.
        try (Connection victim = viaLoadBalancer("pp_far", "far-pw"); Connection killer = viaLoadBalancer("pp_far", "far-pw")) {
            long id = victim.unwrap(org.mariadb.jdbc.Connection.class).getThreadId();
            CompletableFuture<Long> slept = CompletableFuture.supplyAsync(() -> {
                long t0 = System.nanoTime();
                try (Statement st = victim.createStatement(); ResultSet rs = st.executeQuery("SELECT SLEEP(30)")) {
                    rs.next();
                } catch (SQLException e) {
                    // an interrupted SLEEP may also end in an error
                }
                return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
            });
            Thread.sleep(500);
            try (Statement st = killer.createStatement()) {
                st.execute("KILL QUERY " + id);
            }
            assertThat(slept.get(20, TimeUnit.SECONDS)).isLessThan(15);
        }
    }

    @Test
    void aPeerWithoutAHeaderIsTheClientInMariaDbMode() throws Exception {
        // The header is optional here, as in MariaDB Server: a direct client is itself, and that is what the server hears.
        try (Connection c = MariaDbFixture.connect(proxy, "pp_any", "any-pw", "pp_db", "")) {
            assertThat(currentUser(c)).isEqualTo("pp_any@127.0.0.1");
        }
        assertThatThrownBy(() -> MariaDbFixture.connect(proxy, "pp_far", "far-pw", "pp_db", ""))
                .isInstanceOf(SQLException.class).hasMessageContaining("Access denied for user 'pp_far'@'127.0.0.1'");
    }
}
