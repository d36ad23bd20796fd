package dev.patchbay.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Server;
import dev.patchbay.testing.MariaDbServer;
import dev.patchbay.testing.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * readconnroute with {@code router_options} and server roles, and accounts from a users file.
 * The "servers" are three names for the same MariaDB, so routing shows in which server a session
 * was given.
 */
class MariaDbRoutingTest {
    static MariaDbServer db;

    @BeforeAll
    static void setUp() throws Exception {
        db = MariaDbServer.shared();
        MariaDbFixture.createUser(db, "route_app", "%", "route-pw", "route_db");
    }

    private static String ini(String options, String serviceExtra) {
        StringBuilder sb = new StringBuilder("[patchbay]\nadmin_enabled=false\naccess_log=stdout\n\n");
        for (String[] s : new String[][] {{"m1", "master"}, {"s1", "slave"}, {"s2", "slave"}}) {
            sb.append("[").append(s[0]).append("]\ntype=server\naddress=127.0.0.1\nport=").append(db.port())
                    .append("\nhealth_check=none\nrole=").append(s[1]).append("\n\n");
        }
        sb.append("[svc]\ntype=service\nservers=m1,s1,s2\nrouter=readconnroute\n")
                .append(options.isEmpty() ? "" : "router_options=" + options + "\n")
                .append(serviceExtra.isEmpty() ? "user=" + MariaDbFixture.SERVICE_USER + "\npassword=" + MariaDbFixture.SERVICE_PASSWORD + "\n" : serviceExtra)
                .append("\n[db]\ntype=listener\nservice=svc\nprotocol=mariadb\naddress=127.0.0.1\nport=0\n");
        return sb.toString();
    }

    private static Map<String, Integer> spread(Patchbay p, int sessions) throws Exception {
        List<Connection> open = new ArrayList<>();
        Map<String, Integer> count = new HashMap<>();
        try {
            for (int i = 0; i < sessions; i++) {
                Connection c = MariaDbFixture.connect(p, "route_app", "route-pw", "route_db", "");
                open.add(c);
                long id = c.unwrap(org.mariadb.jdbc.Connection.class).getThreadId();
                String server = p.sessions().get(id).protocolDetails().backendConnections().get(0).server();
                count.merge(server, 1, Integer::sum);
            }
        } finally {
            for (Connection c : open) {
                c.close();
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> p.sessions().size() == 0);
        return count;
    }

    @Test
    void masterOptionUsesOnlyTheMaster() throws Exception {
        try (Patchbay p = Proxy.start(ini("master", ""))) {
            assertThat(spread(p, 4)).containsExactly(Map.entry("m1", 4));
        }
    }

    @Test
    void slaveOptionSpreadsOverSlavesAndFallsBackToTheMaster() throws Exception {
        try (Patchbay p = Proxy.start(ini("slave", ""))) {
            assertThat(spread(p, 4)).containsOnlyKeys("s1", "s2").containsEntry("s1", 2);
            p.servers().get("s1").setAdminState(Server.AdminState.MAINTENANCE);
            p.servers().get("s2").setAdminState(Server.AdminState.MAINTENANCE);
            assertThat(spread(p, 2)).containsExactly(Map.entry("m1", 2));
        }
    }

    @Test
    void runningOptionUsesEveryServer() throws Exception {
        try (Patchbay p = Proxy.start(ini("", ""))) {
            assertThat(spread(p, 6)).containsOnlyKeys("m1", "s1", "s2");
        }
    }

    @Test
    void masterOptionWithoutAMasterRefusesWithAClearError() throws Exception {
        try (Patchbay p = Proxy.start(ini("master", ""))) {
            p.servers().get("m1").setAdminState(Server.AdminState.MAINTENANCE);
            assertThatThrownBy(() -> MariaDbFixture.connect(p, "route_app", "route-pw", "route_db", ""))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getMessage()).contains("no server available"));
        }
    }

    @Test
    void usersFileAloneAuthenticates() throws Exception {
        String hash;
        try (Connection c = db.rootConnection()) {
            var rs = c.createStatement().executeQuery("SELECT authentication_string FROM mysql.user WHERE User='route_app'");
            rs.next();
            hash = rs.getString(1);
        }
        Path file = Files.createTempFile("patchbay-users", ".json");
        Files.writeString(file, "{\"user\": [{\"user\": \"route_app\", \"host\": \"%\", \"plugin\": \"mysql_native_password\","
                + " \"password\": \"" + hash + "\"}], \"db\": [{\"user\": \"route_app\", \"host\": \"%\", \"db\": \"route_db\"}]}");
        try (Patchbay p = Proxy.start(ini("running", "users_file=" + file + "\n"))) {
            try (Connection c = MariaDbFixture.connect(p, "route_app", "route-pw", "route_db", "")) {
                assertThat(c.isValid(2)).isTrue();
            }
            assertThatThrownBy(() -> MariaDbFixture.connect(p, "route_app", "other", "route_db", ""))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode()).isEqualTo(1045));
            assertThatThrownBy(() -> MariaDbFixture.connect(p, "route_app", "route-pw", "mysql", ""))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode()).isEqualTo(1044));
            await().atMost(Duration.ofSeconds(5)).until(() -> p.sessions().size() == 0);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
