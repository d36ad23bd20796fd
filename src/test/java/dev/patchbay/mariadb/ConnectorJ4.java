package dev.patchbay.mariadb;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.SQLException;
import java.util.Properties;

/**
 * MariaDB Connector/J 4.x, loaded in its own class loader (the build copies the jar to
 * {@code target/connector-j-4}) so that it runs beside the 3.5 driver on the test class path.
 */
final class ConnectorJ4 {
    private static Driver driver;

    private ConnectorJ4() {}

    static synchronized Driver driver() throws Exception {
        if (driver == null) {
            Path jar = Path.of("target", "connector-j-4", "mariadb-java-client-4.jar");
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " is missing: run the build through generate-test-resources");
            }
            URLClassLoader cl = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
            driver = (Driver) Class.forName("org.mariadb.jdbc.Driver", true, cl).getDeclaredConstructor().newInstance();
        }
        return driver;
    }

    static Connection connect(String url, String user, String password) throws Exception {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        Connection c = driver().connect(url, p);
        if (c == null) {
            throw new SQLException("Connector/J 4 does not accept " + url);
        }
        return c;
    }

    /** The driver's version, e.g. "4.0.0". */
    static String version() throws Exception {
        Driver d = driver();
        return d.getMajorVersion() + "." + d.getMinorVersion();
    }
}
