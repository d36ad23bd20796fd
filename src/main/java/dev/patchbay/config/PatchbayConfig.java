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

    /**
     * The {@code [patchbay]} section. {@code threads} 0 means one per core; {@code transport} is {@code auto},
     * {@code epoll}, {@code io_uring} or {@code nio}; {@code maxConnections} 0 means derived from the open-file limit.
     */
    public record Global(
            int threads,
            String transport,
            int maxConnections,
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

    /** {@code role} and {@code tls} are used by MariaDB-mode services. */
    public record ServerConfig(String name, String address, int port, int weight, int maxConnections,
                               Server.HealthCheck healthCheck, Server.Role role, Server.Tls tls,
                               Server.ProxyProtocol proxyProtocol) {
        /** A server without MariaDB-mode settings: no role, no TLS. */
        public ServerConfig(String name, String address, int port, int weight, int maxConnections,
                            Server.HealthCheck healthCheck) {
            this(name, address, port, weight, maxConnections, healthCheck, Server.Role.NONE, Server.Tls.OFF,
                    Server.ProxyProtocol.NONE);
        }

        public ServerConfig withHealthCheck(Server.HealthCheck hc) {
            return new ServerConfig(name, address, port, weight, maxConnections, hc, role, tls, proxyProtocol);
        }
    }

    /**
     * {@code mariadb} holds the MariaDB-mode settings (defaults when the service is used by TCP listeners
     * only); {@code filters} the service's filter chain ({@code filters=a|b}), in order.
     */
    public record ServiceConfig(String name, List<String> servers, ServiceSettings settings, MariaDbSettings mariadb,
                                List<String> filters) {
        /** A service with the MariaDB-mode defaults and no filters. */
        public ServiceConfig(String name, List<String> servers, ServiceSettings settings) {
            this(name, servers, settings, MariaDbSettings.DEFAULTS, List.of());
        }

        /** A service without filters. */
        public ServiceConfig(String name, List<String> servers, ServiceSettings settings, MariaDbSettings mariadb) {
            this(name, servers, settings, mariadb, List.of());
        }
    }

    /** A {@code type=filter} section: its module and the module's settings. */
    public record FilterConfig(String name, String module, FilterSettings settings) {}

    /** The settings of one filter module. */
    public sealed interface FilterSettings
            permits CaptureSettings, QlaSettings, RegexSettings, ThrottleSettings, TopSettings {}

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

    /**
     * Which statements a statement filter looks at (MaxScale's {@code match}, {@code exclude},
     * {@code options}, {@code user}, {@code source}): {@code match}/{@code exclude} are Java regular
     * expressions ("" for none), searched anywhere in the SQL; {@code user} "" for any user;
     * {@code source} "" for any client, else an address or network ({@code 10.0.0.0/8}).
     */
    public record StatementSelection(String match, String exclude, boolean ignoreCase, boolean extended,
                                     String user, String source) {
        /** The {@code java.util.regex.Pattern} flags for {@code options}. */
        public int patternFlags() {
            return (ignoreCase ? java.util.regex.Pattern.CASE_INSENSITIVE | java.util.regex.Pattern.UNICODE_CASE : 0)
                    | (extended ? java.util.regex.Pattern.COMMENTS : 0);
        }

        /** {@code options} as written back: {@code ignorecase} or {@code case}, then {@code extended}. */
        public String options() {
            return (ignoreCase ? "ignorecase" : "case") + (extended ? ",extended" : "");
        }
    }

    /**
     * Module {@code qlafilter}: one line per statement, written once its response has been relayed,
     * into {@code <filebase>.<session id>} ({@code sessionFiles}), {@code <filebase>.unified}
     * ({@code unifiedFile}) and/or standard output. {@code logData} are the fields in the order they
     * are written; {@code microseconds} is {@code duration_unit}.
     */
    public record QlaSettings(String filebase, boolean sessionFiles, boolean unifiedFile, boolean stdout,
                              List<String> logData, String separator, String newlineReplacement, boolean append,
                              boolean flush, boolean microseconds, int maxQueuedBytes,
                              StatementSelection selection) implements FilterSettings {
        /** The {@code log_data} values in the order their fields appear in a line. */
        public static final List<String> FIELDS = List.of("service", "session", "date", "user", "reply_time",
                "total_reply_time", "query", "default_db", "error");
    }

    /**
     * Module {@code regexfilter}: replaces {@code selection.match()} by {@code replace} (Java's
     * {@code $1} group syntax, as PCRE2's) in each statement; {@code logFile} "" for none.
     */
    public record RegexSettings(StatementSelection selection, String replace, String logFile, boolean logTrace,
                                int maxQueuedBytes) implements FilterSettings {}

    /**
     * Module {@code throttlefilter}: at most {@code maxQps} statements per second per session, with
     * bursts of {@code maxQps} x {@code samplingNanos}; {@code delay} false means excess statements are
     * refused (ERR) instead of delayed.
     */
    public record ThrottleSettings(int maxQps, long samplingNanos, long throttlingNanos, long continuousNanos,
                                   boolean delay) implements FilterSettings {}

    /** Module {@code topfilter}: the {@code count} slowest statements of each session, reported at its end. */
    public record TopSettings(String filebase, int count, int maxQueuedBytes, StatementSelection selection)
            implements FilterSettings {}

    /**
     * MariaDB mode of a service: where accounts come from ({@code user}/{@code password} on the
     * backends, or {@code usersFile}), how often they are reloaded, the version string clients are
     * shown (empty: the backend's), and how many statements each session keeps for diagnostics.
     * {@code password} is the service account's, never a client's; it is never logged.
     * {@code retainLastStatements} -1 means the global {@code retain_last_statements}.
     */
    public record MariaDbSettings(String user, String password, String usersFile, String versionString,
                                  int retainLastStatements, long usersRefreshTimeNanos, long usersRefreshIntervalNanos,
                                  int maxSescmdHistory) {
        /** A service without MariaDB-mode keys. */
        public static final MariaDbSettings DEFAULTS = new MariaDbSettings("", "", "", "", -1,
                java.util.concurrent.TimeUnit.SECONDS.toNanos(30), java.util.concurrent.TimeUnit.HOURS.toNanos(8), 50);

        @Override
        public String toString() {
            return "MariaDbSettings[user=" + user + ", usersFile=" + usersFile + "]";
        }
    }

    /** {@code ssl*} apply to {@code protocol=mariadb} listeners (TLS after the client's SSLRequest). */
    /**
     * {@code proxyProtocolNetworks}: the peers (addresses, networks, or {@code *}) whose connections carry a PROXY
     * protocol header; empty for none.
     */
    public record ListenerConfig(String name, String service, String protocol, String address, int port,
                                 int backlog, int maxConnections, boolean ssl, String sslCert, String sslKey,
                                 String sslCa, List<String> sslProtocols, List<String> proxyProtocolNetworks) {
        /** A listener without a session limit, TLS or PROXY headers. */
        public ListenerConfig(String name, String service, String protocol, String address, int port, int backlog) {
            this(name, service, protocol, address, port, backlog, 0, false, "", "", "", List.of(), List.of());
        }
    }

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
