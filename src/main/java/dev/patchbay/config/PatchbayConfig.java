package dev.patchbay.config;

import dev.patchbay.core.Server;
import dev.patchbay.core.ServiceSettings;
import java.util.List;

/** A validated configuration: every reference resolves and every value is in range. */
public record PatchbayConfig(
        String source,
        Global global,
        List<ServerConfig> servers,
        List<ServiceConfig> services,
        List<ListenerConfig> listeners,
        List<StatsSocketConfig> statsSockets) {

    /** The {@code [patchbay]} section. {@code threads} 0 means one per core. */
    public record Global(
            int threads,
            String logLevel,
            String logFile,
            String accessLog,
            long gracePeriodNanos,
            String adminHost,
            int adminPort,
            boolean adminEnabled,
            String adminSslCert,
            String adminSslKey,
            int sessionTrace,
            boolean skipNameResolve,
            int retainLastStatements,
            Admin admin) {}

    /**
     * The REST API's accounts, authentication and limits ({@code [patchbay] admin_*}). {@code usersFile}
     * empty means {@code patchbay-users.json} beside the configuration file.
     */
    public record Admin(
            String usersFile,
            int pbkdf2Iterations,
            boolean auth,
            boolean secureGui,
            boolean metricsAuth,
            boolean logAuthFailures,
            int maxBodyBytes,
            long idleTimeoutNanos,
            int maxConnections,
            int loginMaxFailures,
            long loginBlockNanos,
            long jwtMaxAgeNanos,
            String jwtIssuer,
            long rdnsTimeoutNanos) {}

    public record ServerConfig(String name, String address, int port, int weight, int maxConnections,
                               Server.HealthCheck healthCheck) {}

    public record ServiceConfig(String name, List<String> servers, ServiceSettings settings) {}

    public record ListenerConfig(String name, String service, String protocol, String address, int port,
                                 int backlog) {}

    /**
     * A runtime API socket: {@code socket} (UNIX path) or {@code address}+{@code port} (TCP).
     * {@code mode} is the octal permission of the socket file, -1 to leave the umask's.
     */
    public record StatsSocketConfig(String name, String socket, int mode, String address, int port, String level,
                                    long timeoutNanos, int maxConnections) {
        public boolean isUnix() {
            return socket != null;
        }

        /** HAProxy's label: {@code unix@/path} or {@code ipv4@127.0.0.1:9999}. */
        public String label() {
            if (isUnix()) {
                return "unix@" + socket;
            }
            return (address.contains(":") ? "ipv6@[" + address + "]:" : "ipv4@" + address + ":") + port;
        }
    }
}
