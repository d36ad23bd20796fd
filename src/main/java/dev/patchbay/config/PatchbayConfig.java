package dev.patchbay.config;

import dev.patchbay.core.Server;
import dev.patchbay.core.ServiceSettings;
import java.util.List;
import java.util.Map;

/**
 * A validated configuration: every reference resolves and every value is in range.
 *
 * @param source     the main file
 * @param runtimeDir where objects created or changed at run time are kept (one {@code <name>.cnf} each),
 *                   null when changes are not persisted
 * @param origins    where each object (by section name) was defined
 * @param text       the main file's text as it was read (runtime changes are validated against it, not
 *                   against a file that may have been edited since)
 * @param runtimeFiles the runtime object files this configuration was built with
 */
public record PatchbayConfig(
        String source,
        Global global,
        List<ServerConfig> servers,
        List<ServiceConfig> services,
        List<ListenerConfig> listeners,
        List<StatsSocketConfig> statsSockets,
        List<FilterConfig> filters,
        String runtimeDir,
        Map<String, Origin> origins,
        String text,
        List<ConfigLoader.Source> runtimeFiles) {

    @Override
    public String toString() {
        return "PatchbayConfig[" + source + ": " + servers.size() + " servers, " + services.size() + " services, "
                + listeners.size() + " listeners, " + filters.size() + " filters, " + runtimeFiles.size()
                + " runtime files]";
    }

    /**
     * Where an object was defined: file and line of its section; {@code runtime} when the file is a
     * runtime object file (created or changed through the REST API), {@code overrides} the main-file
     * section it replaces ({@code file:line}), or null.
     */
    public record Origin(String file, int line, boolean runtime, String overrides) {}

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
            long idleQuietNanos,
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

    /** {@code filters}: the service's filter chain ({@code filters=a|b}), in order. */
    public record ServiceConfig(String name, List<String> servers, ServiceSettings settings, List<String> filters) {
        public ServiceConfig(String name, List<String> servers, ServiceSettings settings) {
            this(name, servers, settings, List.of());
        }
    }

    /** A {@code type=filter} section: its module and the module's settings. */
    public record FilterConfig(String name, String module, FilterSettings settings) {}

    /** The settings of one filter module. */
    public sealed interface FilterSettings permits CaptureSettings {}

    /**
     * Module {@code capture}: both directions of each session, as TCP segments of the client's
     * connection, into pcap files. {@code file} holds {@code %i} for one file per session (the session
     * id), else all sessions share one file. At most {@code maxQueuedBytes} wait for the writer thread;
     * beyond that, packets are dropped and counted rather than blocking the event loop.
     */
    public record CaptureSettings(String file, int maxQueuedBytes) implements FilterSettings {
        public boolean perSession() {
            return file.contains("%i");
        }
    }

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
