package dev.patchbay.mariadb;

import static dev.patchbay.mariadb.FakeServer.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Server;
import dev.patchbay.mariadb.protocol.Packets;
import dev.patchbay.testing.Closer;
import dev.patchbay.testing.MariaDbServer;
import dev.patchbay.testing.Proxy;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code health_check=mariadb} against the real server: a login and COM_PING with a clean COM_QUIT, so
 * checks never count as aborted connections (which a bare TCP connect does, and which MariaDB turns
 * into "Host is blocked" after max_connect_errors); the server's refusals and silent or closed ports
 * as the check's description.
 */
class MariaDbHealthCheckTest {
    private static final String CHECK_USER = "pbcheck";
    private static final String CHECK_PASSWORD = "pbcheck-pw";

    private static MariaDbServer db;
    @RegisterExtension
    final Closer closer = new Closer();

    @BeforeAll
    static void accounts() throws Exception {
        db = MariaDbServer.shared();
        MariaDbFixture.createUser(db, "app", "%", "app-pw", "hc");
        db.exec("CREATE OR REPLACE USER '" + CHECK_USER + "'@'127.0.0.1' IDENTIFIED BY '" + CHECK_PASSWORD + "'",
                "SET GLOBAL userstat=ON");
    }

    private Patchbay start(String serverLines) throws Exception {
        Patchbay p = Proxy.start(MariaDbFixture.config(db, "", "")
                .replace("health_check=none\n", serverLines + "health_check_interval=100ms\nhealth_check_timeout=300ms\n"));
        closer.track(p);
        return p;
    }

    /** The counter once it has not moved for half a second. */
    private static long settled(String name) throws Exception {
        long[] last = {status(name)};
        await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ofMillis(500)).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    long now = status(name);
                    boolean same = now == last[0];
                    last[0] = now;
                    return same;
                });
        return last[0];
    }

    private static long status(String name) throws SQLException {
        try (Connection c = db.rootConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW GLOBAL STATUS LIKE '" + name + "'")) {
            rs.next();
            return rs.getLong(2);
        }
    }

    /** TOTAL_CONNECTIONS, LOST_CONNECTIONS, DENIED_CONNECTIONS of {@code user} (userstat). */
    private static long[] userStats(String user) throws SQLException {
        try (Connection c = db.rootConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT TOTAL_CONNECTIONS, LOST_CONNECTIONS, DENIED_CONNECTIONS"
                     + " FROM information_schema.USER_STATISTICS WHERE USER='" + user + "'")) {
            return rs.next() ? new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)} : new long[3];
        }
    }

    @Test
    void loginChecksLeaveNoAbortedConnectionsWhereConnectChecksDo() throws Exception {
        db.exec("FLUSH USER_STATISTICS");
        // A global counter: let connections that earlier test classes closed finish counting first. (Aborted
        // clients are counted per user below: the global Aborted_clients also moves with other classes' sessions.)
        long abortedConnects = settled("Aborted_connects");
        // No health_check key: a server of a MariaDB-mode service is checked with a login, here with its own account.
        Patchbay p = start("health_check_user=" + CHECK_USER + "\nhealth_check_password=" + CHECK_PASSWORD + "\n");
        Server s = p.servers().get("server1");
        assertThat(s.healthCheck().kind()).isEqualTo(Server.CheckKind.MARIADB);
        await().atMost(Duration.ofSeconds(10)).until(() -> userStats(CHECK_USER)[0] >= 10);
        assertThat(s.health()).isEqualTo(Server.Health.UP);
        assertThat(s.lastCheckResult()).matches("login ok in \\d+ms");
        p.close();
        long[] stats = userStats(CHECK_USER);
        assertThat(stats[1]).as("connections lost (closed without COM_QUIT)").isZero();
        assertThat(stats[2]).as("connections denied").isZero();
        assertThat(status("Aborted_connects")).isEqualTo(abortedConnects);

        // The same server checked with a bare connect: each check is an aborted handshake to MariaDB.
        Patchbay tcp = start("health_check=tcp\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> status("Aborted_connects") >= abortedConnects + 5);
        assertThat(tcp.servers().get("server1").lastCheckResult()).startsWith("connect ok");
    }

    @Test
    void serviceAccountIsTheDefaultLogin() throws Exception {
        Patchbay p = start("");
        Server s = p.servers().get("server1");
        assertThat(s.healthCheck().user()).isEqualTo(MariaDbFixture.SERVICE_USER);
        await().atMost(Duration.ofSeconds(10)).until(() -> s.lastCheckResult().startsWith("login ok"));
        // and sessions go through as usual
        try (Connection c = MariaDbFixture.connect(p, "app", "app-pw", "hc", ""); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT 1")) {
            assertThat(rs.next()).isTrue();
        }
    }

    @Test
    void refusedLoginMarksTheServerDownWithTheServersMessage() throws Exception {
        Patchbay p = start("health_check_user=" + CHECK_USER + "\nhealth_check_password=wrong\nfall=2\n");
        Server s = p.servers().get("server1");
        await().atMost(Duration.ofSeconds(10)).until(() -> s.health() == Server.Health.DOWN);
        assertThat(s.lastCheckResult()).isEqualTo(
                "error 1045: Access denied for user '" + CHECK_USER + "'@'127.0.0.1' (using password: YES)");
    }

    @Test
    void serverErrorsSilenceAndClosedPortsAreDescribed() throws Exception {
        int blocked = FakeServer.start(closer, s -> write(s.getOutputStream(), Packets.err(Unpooled.buffer().alloc(), 0, 1129, "HY000",
                "Host '127.0.0.1' is blocked because of many connection errors; unblock with 'mariadb-admin flush-hosts'")));
        int silent = FakeServer.start(closer, s -> { });
        int closed;
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = ss.getLocalPort();
        }
        Patchbay p = Proxy.start("[patchbay]\nadmin_enabled=false\n\n"
                + serverSection("blocked", blocked) + serverSection("silent", silent) + serverSection("closed", closed)
                + "[svc]\ntype=service\nservers=blocked,silent,closed\nuser=u\npassword=pw\n\n"
                + "[db]\ntype=listener\nservice=svc\nprotocol=mariadb\naddress=127.0.0.1\nport=0\n");
        closer.track(p);
        await().atMost(Duration.ofSeconds(10)).until(() -> p.servers().values().stream().allMatch(s -> s.health() == Server.Health.DOWN));
        assertThat(p.servers().get("blocked").lastCheckResult()).isEqualTo("error 1129: Host '127.0.0.1' is blocked because"
                + " of many connection errors; unblock with 'mariadb-admin flush-hosts'");
        assertThat(p.servers().get("silent").lastCheckResult()).isEqualTo("no answer from server silent within 300 ms");
        assertThat(p.servers().get("closed").lastCheckResult()).startsWith("cannot connect to server closed: ")
                .contains("Connection refused");
    }

    private static String serverSection(String name, int port) {
        return "[" + name + "]\ntype=server\naddress=127.0.0.1\nport=" + port
                + "\nhealth_check_interval=100ms\nhealth_check_timeout=300ms\nfall=1\n\n";
    }
}
