package dev.patchbay.mariadb;

import dev.patchbay.Patchbay;
import dev.patchbay.testing.MariaDbServer;
import dev.patchbay.testing.Proxy;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Base64;
import java.util.Properties;

/** Shared setup of the MariaDB-mode tests: the shared server, accounts, and a Patchbay in front of it. */
final class MariaDbFixture {
    static final String SERVICE_USER = "patchbay";
    static final String SERVICE_PASSWORD = "pb-service-pw";

    private MariaDbFixture() {}

    /** Creates the service account (once) and {@code user}@{@code host} with {@code password} and all rights on {@code db}. */
    static void createUser(MariaDbServer db, String user, String host, String password, String database) throws SQLException {
        db.exec("CREATE USER IF NOT EXISTS '" + SERVICE_USER + "'@'127.0.0.1' IDENTIFIED BY '" + SERVICE_PASSWORD + "'",
                "GRANT SELECT ON mysql.* TO '" + SERVICE_USER + "'@'127.0.0.1'",
                "CREATE DATABASE IF NOT EXISTS `" + database + "`",
                "CREATE OR REPLACE USER '" + user + "'@'" + host + "' IDENTIFIED BY '" + password + "'",
                "GRANT ALL ON `" + database + "`.* TO '" + user + "'@'" + host + "'");
    }

    /** INI for a Patchbay with one mariadb listener {@code db} in front of the server. */
    static String config(MariaDbServer db, String extraService, String extraListener) {
        return config(db.port(), extraService, extraListener);
    }

    /** The same, in front of whatever listens on {@code serverPort}. */
    static String config(int serverPort, String extraService, String extraListener) {
        return "[patchbay]\nadmin_enabled=false\naccess_log=stdout\n\n"
                + "[server1]\ntype=server\naddress=127.0.0.1\nport=" + serverPort + "\nhealth_check=none\nrole=master\n\n"
                + "[svc]\ntype=service\nservers=server1\nuser=" + SERVICE_USER + "\npassword=" + SERVICE_PASSWORD + "\n"
                + extraService + "\n"
                + "[db]\ntype=listener\nservice=svc\nprotocol=mariadb\naddress=127.0.0.1\nport=0\n" + extraListener + "\n";
    }

    /** {@code ini} (from {@link #config}) with the REST API on an ephemeral port, its users file in {@code dir}. */
    static String withRestApi(String ini, Path dir) {
        return ini.replace("[patchbay]\nadmin_enabled=false\n", "[patchbay]\nadmin_host=127.0.0.1\nadmin_port=0\n"
                + "admin_users_file=" + dir.resolve("users.json") + "\nadmin_pbkdf2_iterations=1000\n");
    }

    /** {@code method path} on {@code p}'s REST API as the default admin account, with no body. */
    static HttpResponse<String> rest(Patchbay p, String method, String path) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.restApi().boundAddress().getPort() + path))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        "admin:mariadb".getBytes(StandardCharsets.UTF_8)))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        return HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    }

    static Patchbay start(MariaDbServer db, String extraService, String extraListener) throws Exception {
        return Proxy.start(config(db, extraService, extraListener));
    }

    static String url(Patchbay p, String database, String options) {
        InetSocketAddress a = p.listenerAddress("db");
        return "jdbc:mariadb://127.0.0.1:" + a.getPort() + "/" + database + "?sslMode=disable" + (options.isEmpty() ? "" : "&" + options);
    }

    static Connection connectUrl(String url, String user, String password) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        return DriverManager.getConnection(url, props);
    }

    static Connection connect(Patchbay p, String user, String password, String database, String options) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        return DriverManager.getConnection(url(p, database, options), props);
    }

    /** A kill carried out while a query waits for its answer. */
    interface Kill {
        void run() throws Exception;
    }

    /**
     * Runs {@code sql} on {@code c} in another thread, waits until its session {@code s} waits for the answer,
     * runs {@code kill}, and returns what the query threw (null if it did not).
     */
    static Throwable failureOfQueryKilledBy(Connection c, dev.patchbay.core.Session s, String sql, Kill kill)
            throws Exception {
        java.util.concurrent.atomic.AtomicReference<Throwable> got = new java.util.concurrent.atomic.AtomicReference<>();
        Thread t = new Thread(() -> {
            try (java.sql.Statement st = c.createStatement()) {
                st.executeQuery(sql);
            } catch (Throwable e) {
                got.set(e);
            }
        });
        t.start();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> ((MariaDbDetails) s.protocolDetails()).awaitingResponse());
        kill.run();
        t.join(10_000);
        return got.get();
    }
}
