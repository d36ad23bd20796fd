package dev.patchbay.config;

import dev.patchbay.core.Cidr;
import dev.patchbay.core.Server;
import dev.patchbay.core.ServiceSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads and validates a configuration. Collects every error instead of stopping at the first, so
 * one {@code --check} shows everything that needs fixing; returns a config only when there are none.
 */
public final class ConfigLoader {

    public static final String GLOBAL_SECTION = "patchbay";

    private ConfigLoader() {}

    /** Suffix of the runtime object files ({@code <name>.cnf}) in the runtime directory. */
    public static final String OBJECT_FILE_SUFFIX = ".cnf";

    /** The filter modules and the listener protocols each works with. */
    static final Map<String, Set<String>> FILTER_MODULES = Map.of(
            "capture", Set.of("tcp"),
            "qlafilter", Set.of("mariadb"),
            "regexfilter", Set.of("mariadb"),
            "throttlefilter", Set.of("mariadb"),
            "topfilter", Set.of("mariadb"));

    /** One runtime object file: its path (as shown in errors) and its text. */
    public record Source(String file, String text) {}

    /**
     * Reads {@code file} and the runtime object files of its runtime directory ({@code runtime_config_dir},
     * by default {@code <file>.d}), which override or add to the main file's objects.
     */
    public static PatchbayConfig load(Path file) throws ConfigException {
        String text = read(file);
        return parse(file.toString(), text, Path.of(file + ".d"));
    }

    /** Far above any real configuration; a bigger file is a mistake (a log or a device given as the config). */
    static final long MAX_FILE_BYTES = 16 * 1024 * 1024;

    private static String read(Path file) throws ConfigException {
        try {
            if (Files.exists(file) && !Files.isRegularFile(file)) {
                throw new ConfigException(List.of(file + ": cannot read: " + (Files.isDirectory(file) ? "a directory"
                        : "not a regular file") + ", expected a configuration file"));
            }
            if (Files.exists(file) && Files.size(file) > MAX_FILE_BYTES) {
                throw new ConfigException(List.of(file + ": cannot read: " + Files.size(file) + " bytes, more than a"
                        + " configuration file can be (" + MAX_FILE_BYTES / (1024 * 1024) + " MiB)"));
            }
            return utf8(file, Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new ConfigException(List.of(file + ": cannot read: no such file"));
        } catch (AccessDeniedException e) {
            throw new ConfigException(List.of(file + ": cannot read: permission denied"));
        } catch (IOException e) {
            throw new ConfigException(List.of(file + ": cannot read: "
                    + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName())));
        }
    }

    /** The file's text; bytes that are not UTF-8 are an error naming their line. */
    private static String utf8(Path file, byte[] bytes) throws ConfigException {
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length);
        java.nio.charset.CoderResult r = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                .decode(in, out, true);
        if (r.isError()) {
            int at = in.position();
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < at; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            throw new ConfigException(List.of(file + ":" + line + ": cannot read: not UTF-8 text (byte "
                    + (at - lineStart + 1) + " of the line is 0x" + String.format("%02x", bytes[at] & 0xff)
                    + "; save the file as UTF-8)"));
        }
        return out.flip().toString();
    }

    /**
     * A configuration given as text. Runtime object files are read only when the text sets
     * {@code runtime_config_dir} (there is no file to put a default directory beside).
     */
    public static PatchbayConfig parse(String file, String text) throws ConfigException {
        return parse(file, text, null);
    }

    private static PatchbayConfig parse(String file, String text, Path defaultDir) throws ConfigException {
        List<String> errors = new ArrayList<>();
        List<IniParser.Section> main = IniParser.parse(file, text, errors);
        Path dir = runtimeDir(file, main, defaultDir);
        List<Source> runtime = new ArrayList<>();
        if (dir != null && Files.isDirectory(dir)) {
            runtime.addAll(readRuntimeDir(dir, errors));
        }
        return build(file, text, main, dir, runtime, errors);
    }

    /**
     * Validates the main file's text together with the given runtime object files instead of those on
     * disk: how a change made at run time is checked before it is applied and written.
     */
    public static PatchbayConfig parseWith(String file, String text, Path runtimeDir, List<Source> runtime)
            throws ConfigException {
        List<String> errors = new ArrayList<>();
        List<IniParser.Section> main = IniParser.parse(file, text, errors);
        return build(file, text, main, runtimeDir, runtime, errors);
    }

    /** {@code runtime_config_dir} of the main file's [patchbay] section (relative to the file), else the default. */
    private static Path runtimeDir(String file, List<IniParser.Section> main, Path defaultDir) {
        for (IniParser.Section s : main) {
            if (s.name().equals(GLOBAL_SECTION)) {
                IniParser.Entry e = s.entries().get("runtime_config_dir");
                if (e != null && !e.value().isEmpty()) {
                    Path p = Path.of(e.value());
                    Path parent = Path.of(file).toAbsolutePath().getParent();
                    return p.isAbsolute() || parent == null ? p : parent.resolve(p);
                }
            }
        }
        return defaultDir;
    }

    /** The {@code *.cnf} files of the runtime directory, sorted by name. */
    public static List<Source> readRuntimeDir(Path dir, List<String> errors) {
        List<Source> out = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        try (var stream = Files.list(dir)) {
            stream.filter(p -> p.getFileName().toString().endsWith(OBJECT_FILE_SUFFIX)).forEach(files::add);
        } catch (IOException e) {
            errors.add(dir + ": cannot read the runtime configuration directory: " + e.getMessage());
            return out;
        }
        files.sort(null);
        for (Path f : files) {
            try {
                out.add(new Source(f.toString(), read(f)));
            } catch (ConfigException e) {
                errors.addAll(e.errors());
            }
        }
        return out;
    }

    /** A section and the file it came from. */
    private record Placed(IniParser.Section section, String file, boolean runtime, String overrides) {}

    private static String typeOf(IniParser.Section s) {
        IniParser.Entry e = s.entries().get("type");
        return e == null ? "" : e.value().toLowerCase(Locale.ROOT);
    }

    /**
     * Main sections, then the runtime object files: each holds one section named like the file; it
     * replaces the main file's section of that name (same type only) or adds a new object, and
     * {@code deleted=true} removes the main file's object.
     */
    private static List<Placed> merge(String file, List<IniParser.Section> main, List<Source> runtime,
                                      List<String> errors) {
        List<Placed> placed = new ArrayList<>();
        for (IniParser.Section s : main) {
            placed.add(new Placed(s, file, false, null));
        }
        List<Source> sorted = new ArrayList<>(runtime);
        sorted.sort((a, b) -> a.file().compareTo(b.file()));
        for (Source src : sorted) {
            String base = Path.of(src.file()).getFileName().toString();
            String expected = base.substring(0, base.length() - OBJECT_FILE_SUFFIX.length());
            List<IniParser.Section> secs = IniParser.parse(src.file(), src.text(), errors);
            if (secs.size() != 1 || !secs.get(0).name().equals(expected)) {
                errors.add(src.file() + ": a runtime object file holds exactly one section, [" + expected + "]");
                continue;
            }
            IniParser.Section sec = secs.get(0);
            if (sec.name().equals(GLOBAL_SECTION)) {
                errors.add(src.file() + ":" + sec.line() + ": [" + GLOBAL_SECTION
                        + "] cannot be set in a runtime object file");
                continue;
            }
            IniParser.Entry del = sec.entries().get("deleted");
            boolean tombstone = del != null && del.value().equalsIgnoreCase("true");
            int at = -1;
            for (int i = 0; i < placed.size(); i++) {
                if (placed.get(i).section().name().equals(sec.name())) {
                    at = i;
                }
            }
            if (at < 0) {
                if (!tombstone) {
                    placed.add(new Placed(sec, src.file(), true, null));
                }
                continue;
            }
            Placed old = placed.get(at);
            if (!typeOf(old.section()).equals(typeOf(sec))) {
                errors.add(src.file() + ":" + sec.line() + ": [" + sec.name() + "] conflicts with [" + sec.name()
                        + "] at " + old.file() + ":" + old.section().line() + ": a " + typeOf(old.section())
                        + " cannot be replaced by a " + (typeOf(sec).isEmpty() ? "section without type" : typeOf(sec)));
                continue;
            }
            if (tombstone) {
                placed.remove(at);
            } else {
                placed.set(at, new Placed(sec, src.file(), true, old.file() + ":" + old.section().line()));
            }
        }
        return placed;
    }

    /**
     * Sorts one section's errors by their line number, stably: two errors on one line keep the order
     * they were found in. Every such error starts with {@code file:line: }.
     */
    static void sortByLine(List<String> sectionErrors, String file) {
        String prefix = file + ":";
        sectionErrors.sort(java.util.Comparator.comparingInt(m -> lineOf(m, prefix)));
    }

    private static int lineOf(String error, String prefix) {
        if (!error.startsWith(prefix)) {
            return Integer.MAX_VALUE;
        }
        int end = error.indexOf(':', prefix.length());
        try {
            return Integer.parseInt(error.substring(prefix.length(), end < 0 ? error.length() : end));
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    private static PatchbayConfig build(String file, String text, List<IniParser.Section> main, Path runtimeDir,
                                        List<Source> runtime, List<String> errors) throws ConfigException {
        List<Placed> sections = merge(file, main, runtime, errors);

        PatchbayConfig.Global global = null;
        List<PatchbayConfig.ServerConfig> servers = new ArrayList<>();
        List<PatchbayConfig.ServiceConfig> services = new ArrayList<>();
        List<PatchbayConfig.ListenerConfig> listeners = new ArrayList<>();
        List<PatchbayConfig.StatsSocketConfig> sockets = new ArrayList<>();
        List<PatchbayConfig.FilterConfig> filters = new ArrayList<>();
        Map<String, SectionReader> readers = new HashMap<>();
        Map<String, PatchbayConfig.Origin> origins = new LinkedHashMap<>();

        for (Placed p : sections) {
            int firstError = errors.size();
            try {
                IniParser.Section section = p.section();
                SectionReader r = new SectionReader(p.file(), section, errors);
                readers.put(section.name(), r);
                IniParser.Entry typeEntry = section.entries().get("type");
                if (section.name().equals(GLOBAL_SECTION)) {
                    if (typeEntry != null) {
                        r.error("type", "the [" + GLOBAL_SECTION + "] section takes no type");
                    }
                    global = global(r);
                    r.finish();
                    continue;
                }
                if (typeEntry == null) {
                    errors.add(p.file() + ":" + section.line() + ": [" + section.name()
                            + "] type: is required (server, service, listener, filter or stats_socket)");
                    continue;
                }
                origins.put(section.name(), new PatchbayConfig.Origin(p.file(), section.line(), p.runtime(), p.overrides()));
                switch (typeEntry.value().toLowerCase(Locale.ROOT)) {
                    case "server":
                        servers.add(server(r));
                        break;
                    case "service":
                        services.add(service(r));
                        break;
                    case "listener":
                        listeners.add(listener(r));
                        break;
                    case "stats_socket":
                        if (p.runtime()) {
                            r.error("type", "a stats_socket cannot be created or changed at run time");
                            continue;
                        }
                        sockets.add(statsSocket(r));
                        break;
                    case "filter":
                        PatchbayConfig.FilterConfig f = filter(r);
                        if (f == null) {
                            continue;
                        }
                        filters.add(f);
                        break;
                    default:
                        r.error("type", "'" + typeEntry.value()
                                + "' is not a known type (server, service, listener, filter, stats_socket)");
                        continue;
                }
                r.finish();
            } finally {
                // In line order, as the section reads, not in the order the checks ran.
                sortByLine(errors.subList(firstError, errors.size()), p.file());
            }
        }
        if (global == null) {
            global = global(new SectionReader(file, new IniParser.Section(GLOBAL_SECTION, 1, new HashMap<>()), errors));
        }
        crossCheck(servers, services, listeners, sockets, filters, readers, global, errors);
        servers.replaceAll(sc -> withCheckLogin(sc, services, listeners, readers.get(sc.name())));
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        return new PatchbayConfig(file, global, List.copyOf(servers), List.copyOf(services),
                List.copyOf(listeners), List.copyOf(sockets), List.copyOf(filters),
                runtimeDir == null ? null : runtimeDir.toString(), Map.copyOf(origins), text, List.copyOf(runtime));
    }

    private static PatchbayConfig.Global global(SectionReader r) {
        int threads = 0;
        String t = r.string("threads", "auto");
        if (!t.equalsIgnoreCase("auto")) {
            threads = r.integer("threads", 0, 1, 1024);
        }
        r.string("runtime_config_dir", "");
        int maxConnections = 0;
        if (!r.string("max_connections", "auto").equalsIgnoreCase("auto")) {
            maxConnections = r.integer("max_connections", 0, 1, 10_000_000);
        }
        PatchbayConfig.Global g = new PatchbayConfig.Global(
                threads,
                r.choice("transport", "auto", "auto", "epoll", "io_uring", "nio"),
                maxConnections,
                r.choice("log_level", "notice", "error", "warning", "notice", "info", "debug"),
                r.string("log_file", ""),
                r.nonEmptyString("access_log", "stdout"),
                r.durationNanos("grace_period", TimeUnit.SECONDS.toNanos(30)),
                r.nonEmptyString("admin_host", "127.0.0.1"),
                r.has("admin_port") ? r.port("admin_port", false, true) : 8989,
                r.bool("admin_enabled", true),
                r.string("admin_ssl_cert", ""),
                r.string("admin_ssl_key", ""),
                r.integer("session_trace", 0, 0, 100_000),
                r.bool("skip_name_resolve", false),
                r.integer("retain_last_statements", 0, 0, 100_000),
                r.durationNanos("idle_quiet_time", TimeUnit.MILLISECONDS.toNanos(200)),
                new PatchbayConfig.Admin(
                        r.string("admin_users_file", ""),
                        r.integer("admin_pbkdf2_iterations", 600_000, 1_000, 100_000_000),
                        r.bool("admin_auth", true),
                        r.bool("admin_secure_gui", false),
                        r.bool("admin_metrics_auth", true),
                        r.bool("admin_log_auth_failures", true),
                        r.integer("admin_max_body", 1024 * 1024, 1024, 64 * 1024 * 1024),
                        positive(r, "admin_idle_timeout", TimeUnit.SECONDS.toNanos(60)),
                        r.integer("admin_max_connections", 1024, 1, 1_000_000),
                        r.integer("admin_login_max_failures", 10, 1, 1_000_000),
                        positive(r, "admin_login_block_time", TimeUnit.SECONDS.toNanos(60)),
                        positive(r, "admin_jwt_max_age", TimeUnit.DAYS.toNanos(1)),
                        r.nonEmptyString("admin_jwt_issuer", "patchbay"),
                        positive(r, "admin_rdns_timeout", TimeUnit.SECONDS.toNanos(1))));
        writableFile(r, "log_file", g.logFile());
        if (!g.accessLog().equals("stdout") && !g.accessLog().equals("off")) {
            writableFile(r, "access_log", g.accessLog());
        }
        if (g.adminSslCert().isEmpty() != g.adminSslKey().isEmpty()) {
            String missing = g.adminSslCert().isEmpty() ? "admin_ssl_cert" : "admin_ssl_key";
            String given = g.adminSslCert().isEmpty() ? "admin_ssl_key" : "admin_ssl_cert";
            r.error(missing, "is required when " + given + " is set (HTTPS needs both)");
        }
        return g;
    }

    /** A duration that must not be 0 (these are limits, not switches). */
    private static long positive(SectionReader r, String key, long def) {
        long v = r.durationNanos(key, def);
        if (v == 0) {
            r.error(key, "must be more than 0");
            return def;
        }
        return v;
    }

    private static PatchbayConfig.ServerConfig server(SectionReader r) {
        String address = r.requiredString("address");
        int port = r.port("port", true, false);
        int weight = r.integer("weight", 1, 0, 256);
        int max = r.integer("max_connections", 0, 0, 10_000_000);
        // Without health_check, crossCheck picks mariadb for servers of MariaDB-mode services (a bare connect
        // counts against the server's max_connect_errors), tcp for the others.
        Server.CheckKind kind = Server.CheckKind.valueOf(
                r.choice("health_check", "tcp", "tcp", "mariadb", "none").toUpperCase(Locale.ROOT));
        long interval = r.durationNanos("health_check_interval", TimeUnit.SECONDS.toNanos(2));
        long timeout = r.durationNanos("health_check_timeout", Math.min(interval, TimeUnit.SECONDS.toNanos(2)));
        int rise = r.integer("rise", 2, 1, 1000);
        int fall = r.integer("fall", 3, 1, 1000);
        String checkUser = r.string("health_check_user", "");
        String checkPassword = r.string("health_check_password", "");
        if (kind != Server.CheckKind.NONE && interval == 0) {
            r.error("health_check_interval", "must be more than 0 unless health_check=none");
        }
        if (kind != Server.CheckKind.NONE && timeout == 0 && r.has("health_check_timeout")) {
            r.error("health_check_timeout", "must be more than 0 unless health_check=none");
        }
        if (!checkPassword.isEmpty() && checkUser.isEmpty()) {
            r.error("health_check_password", "is set but health_check_user is not");
        }
        if (!checkUser.isEmpty() && r.has("health_check") && kind != Server.CheckKind.MARIADB) {
            r.error("health_check_user", "applies to health_check=mariadb only");
        }
        Server.Role role = Server.Role.valueOf(r.choice("role", "none", "master", "slave", "none").toUpperCase(Locale.ROOT));
        // MaxScale's proxy_protocol=true sends the text header (v1); HAProxy's send-proxy-v2 is v2.
        Server.ProxyProtocol proxy = switch (r.choice("proxy_protocol", "false", "false", "true", "v1", "v2")) {
            case "true", "v1" -> Server.ProxyProtocol.V1;
            case "v2" -> Server.ProxyProtocol.V2;
            default -> Server.ProxyProtocol.NONE;
        };
        return new PatchbayConfig.ServerConfig(r.name(), address, port, weight, max,
                new Server.HealthCheck(kind, interval, timeout, rise, fall, checkUser, checkPassword), role, serverTls(r),
                proxy);
    }

    /** MariaDB mode's TLS to a server, with MaxScale's key names ({@code ssl_ca_cert} is its older name of {@code ssl_ca}). */
    private static Server.Tls serverTls(SectionReader r) {
        boolean ssl = r.bool("ssl", false);
        if (r.has("ssl_ca") && r.has("ssl_ca_cert")) {
            r.error("ssl_ca_cert", "is the older name of ssl_ca: give one of them");
            r.string("ssl_ca", ""); // reported once, above
        }
        String caKey = r.has("ssl_ca_cert") ? "ssl_ca_cert" : "ssl_ca";
        String ca = r.string(caKey, "");
        String cert = r.string("ssl_cert", "");
        String key = r.string("ssl_key", "");
        boolean verifyCert = r.bool("ssl_verify_peer_certificate", false);
        boolean verifyHost = r.bool("ssl_verify_peer_host", false);
        List<String> protocols = sslVersion(r);
        if (!ssl) {
            for (String k : new String[] {caKey, "ssl_cert", "ssl_key", "ssl_verify_peer_certificate", "ssl_verify_peer_host",
                    "ssl_version"}) {
                if (r.has(k)) {
                    r.error(k, "applies only with ssl=true");
                }
            }
            return Server.Tls.OFF;
        }
        if (cert.isEmpty() != key.isEmpty()) {
            r.error(cert.isEmpty() ? "ssl_cert" : "ssl_key", "ssl_cert and ssl_key go together (the client certificate"
                    + " Patchbay presents, and its key): give both or neither");
        }
        if (verifyHost && !verifyCert) {
            r.error("ssl_verify_peer_host", "needs ssl_verify_peer_certificate=true (a name in a certificate nobody"
                    + " verified proves nothing)");
        }
        readableFiles(r, caKey, "ssl_cert", "ssl_key");
        return new Server.Tls(true, ca, cert, key, verifyCert, verifyHost, protocols);
    }

    private static PatchbayConfig.ServiceConfig service(SectionReader r) {
        ServiceSettings.RouterKind router = ServiceSettings.RouterKind.valueOf(
                r.choice("router", "roundrobin", "roundrobin", "leastconn", "source", "first", "readconnroute")
                        .toUpperCase(Locale.ROOT));
        ServiceSettings.RouterOptions options = ServiceSettings.RouterOptions.RUNNING;
        if (r.has("router_options")) {
            if (router != ServiceSettings.RouterKind.READCONNROUTE) {
                r.error("router_options", "only applies to router=readconnroute");
            }
            options = ServiceSettings.RouterOptions.valueOf(
                    r.choice("router_options", "running", "master", "slave", "running").toUpperCase(Locale.ROOT));
        }
        List<String> servers = r.list("servers");
        if (servers.isEmpty() && r.string("servers", "").isEmpty()) {
            r.error("servers", "is required (a comma-separated list of servers)");
        }
        long connect = r.durationNanos("connect_timeout", TimeUnit.SECONDS.toNanos(5));
        if (connect == 0) {
            r.error("connect_timeout", "must be more than 0");
        }
        long queue = r.durationNanos("queue_timeout", TimeUnit.SECONDS.toNanos(30));
        if (queue == 0) {
            // A queued session's timer fires at queued-since + queue_timeout: 0 would not mean "wait forever".
            r.error("queue_timeout", "must be more than 0 (to refuse instead of queueing, set when_full=refuse)");
        }
        ServiceSettings settings = new ServiceSettings(
                router,
                connect,
                r.durationNanos("client_timeout", 0),
                r.durationNanos("server_timeout", 0),
                queue,
                r.integer("retries", 3, 0, 100),
                r.integer("max_connections", 0, 0, 10_000_000),
                r.choice("when_full", "queue", "queue", "refuse").equals("queue")
                        ? ServiceSettings.WhenFull.QUEUE : ServiceSettings.WhenFull.REFUSE,
                r.choice("on_server_down", "none", "none", "shutdown_sessions").equals("none")
                        ? ServiceSettings.OnServerDown.NONE : ServiceSettings.OnServerDown.SHUTDOWN_SESSIONS,
                options,
                r.bool("splice", false));
        return new PatchbayConfig.ServiceConfig(r.name(), servers, settings, mariadb(r), r.pipeList("filters"));
    }

    /** A {@code type=filter} section; null (with the error recorded) when its module is missing or unknown. */
    private static PatchbayConfig.FilterConfig filter(SectionReader r) {
        String module = r.requiredString("module");
        if (module == null) {
            r.ignoreRest();
            return null;
        }
        String m = module.toLowerCase(Locale.ROOT);
        PatchbayConfig.FilterSettings settings;
        switch (m) {
            case "capture":
                settings = capture(r);
                break;
            case "qlafilter":
                settings = qla(r);
                break;
            case "regexfilter":
                settings = regexFilter(r);
                break;
            case "throttlefilter":
                settings = throttle(r);
                break;
            case "topfilter":
                settings = top(r);
                break;
            default:
                r.error("module", "'" + module + "' is not a known filter module ("
                        + String.join(", ", new java.util.TreeSet<>(FILTER_MODULES.keySet())) + ")");
                r.ignoreRest();
                return null;
        }
        return new PatchbayConfig.FilterConfig(r.name(), m, settings);
    }

    private static PatchbayConfig.CaptureSettings capture(SectionReader r) {
        String file = r.requiredString("file");
        int queued = r.integer("max_queued_bytes", 8 * 1024 * 1024, 65536, 1024 * 1024 * 1024);
        if (file != null && file.replace("%i", "").contains("%")) {
            r.error("file", "'" + file + "' may only use %i (the session id) as a placeholder");
        }
        return new PatchbayConfig.CaptureSettings(file == null ? "" : file, queued);
    }

    private static final int DEFAULT_QUEUED_BYTES = 8 * 1024 * 1024;

    private static int maxQueuedBytes(SectionReader r) {
        return r.integer("max_queued_bytes", DEFAULT_QUEUED_BYTES, 65536, 1024 * 1024 * 1024);
    }

    private static PatchbayConfig.QlaSettings qla(SectionReader r) {
        String filebase = r.requiredString("filebase");
        Set<String> types = new HashSet<>();
        List<String> typeList = r.list("log_type");
        for (String t : typeList) {
            String type = t.toLowerCase(Locale.ROOT);
            if (List.of("session", "unified", "stdout").contains(type)) {
                types.add(type);
            } else {
                r.error("log_type", "'" + t + "' is not one of session, unified, stdout");
            }
        }
        if (r.has("log_type") && typeList.isEmpty()) {
            r.error("log_type", "is empty (leave the key out for the default, session)");
        }
        if (types.isEmpty()) {
            types.add("session");
        }
        Set<String> wanted = new HashSet<>();
        List<String> dataList = r.list("log_data");
        for (String d : dataList) {
            String lower = d.toLowerCase(Locale.ROOT);
            if (PatchbayConfig.QlaSettings.FIELDS.contains(lower)) {
                wanted.add(lower);
            } else {
                r.error("log_data", "'" + d + "' is not one of "
                        + String.join(", ", PatchbayConfig.QlaSettings.FIELDS));
            }
        }
        if (r.has("log_data") && dataList.isEmpty()) {
            r.error("log_data", "is empty (leave the key out for the default, date,user,query)");
        }
        if (wanted.isEmpty()) {
            wanted.addAll(List.of("date", "user", "query"));
        }
        // Fields are written in one fixed order (MaxScale's), whatever order log_data lists them in.
        List<String> data = PatchbayConfig.QlaSettings.FIELDS.stream().filter(wanted::contains).toList();
        String separator = unquote(r.string("separator", ","));
        if (separator.isEmpty()) {
            r.error("separator", "is empty (leave the key out for the default, \",\")");
            separator = ",";
        }
        String newline = unquote(r.string("newline_replacement", " "));
        boolean append = r.bool("append", true);
        boolean flush = r.bool("flush", false);
        String unit = r.choice("duration_unit", "milliseconds", "milliseconds", "ms", "microseconds", "us");
        int queued = maxQueuedBytes(r);
        PatchbayConfig.StatementSelection sel = selection(r, false, false);
        return new PatchbayConfig.QlaSettings(filebase == null ? "" : filebase, types.contains("session"),
                types.contains("unified"), types.contains("stdout"), data, separator, newline, append, flush,
                unit.equals("microseconds") || unit.equals("us"), queued, sel);
    }

    private static PatchbayConfig.RegexSettings regexFilter(SectionReader r) {
        PatchbayConfig.StatementSelection sel = selection(r, true, true);
        String rawReplace = r.string("replace", null);
        String replace = "";
        if (rawReplace == null) {
            r.error("replace", "is required (replace= or replace=\"\" removes what match finds)");
        } else {
            replace = unquote(rawReplace);
            String why = replacementProblem(sel.match(), sel.patternFlags(), replace);
            if (why != null && !sel.match().isEmpty()) {
                r.error("replace", "'" + rawReplace + "' " + why);
            }
        }
        String logFile = r.string("log_file", "");
        boolean logTrace = r.bool("log_trace", false);
        int queued = maxQueuedBytes(r);
        return new PatchbayConfig.RegexSettings(sel, replace, logFile, logTrace, queued);
    }

    private static PatchbayConfig.ThrottleSettings throttle(SectionReader r) {
        boolean hasQps = r.has("max_qps");
        int maxQps = r.integer("max_qps", 1, 1, 10_000_000);
        if (!hasQps) {
            r.error("max_qps", "is required (the most statements per second a session may send)");
        }
        long sampling = positive(r, "sampling_duration", TimeUnit.MILLISECONDS.toNanos(250));
        boolean hasThrottling = r.has("throttling_duration");
        long throttling = positive(r, "throttling_duration", TimeUnit.SECONDS.toNanos(60));
        if (!hasThrottling) {
            r.error("throttling_duration", "is required (how long a session may be throttled without a pause,"
                    + " e.g. 60s)");
        }
        long continuous = positive(r, "continuous_duration", TimeUnit.SECONDS.toNanos(2));
        boolean delay = r.choice("action", "delay", "delay", "error").equals("delay");
        return new PatchbayConfig.ThrottleSettings(maxQps, sampling, throttling, continuous, delay);
    }

    private static PatchbayConfig.TopSettings top(SectionReader r) {
        String filebase = r.requiredString("filebase");
        int count = r.integer("count", 10, 1, 10_000);
        int queued = maxQueuedBytes(r);
        PatchbayConfig.StatementSelection sel = selection(r, true, false);
        return new PatchbayConfig.TopSettings(filebase == null ? "" : filebase, count, queued, sel);
    }

    /**
     * MaxScale's statement selection keys: {@code match} (required for regexfilter, which has no
     * {@code exclude}), {@code exclude}, {@code options}, {@code user}, {@code source}.
     */
    private static PatchbayConfig.StatementSelection selection(SectionReader r, boolean ignoreCaseDefault,
                                                               boolean rewrite) {
        boolean ignoreCase = ignoreCaseDefault;
        boolean extended = false;
        String options = r.string("options", null);
        if (options != null) {
            boolean sawCase = false;
            boolean sawIgnore = false;
            for (String part : options.split(",", -1)) {
                String o = part.strip().toLowerCase(Locale.ROOT);
                switch (o) {
                    case "ignorecase": sawIgnore = true; break;
                    case "case": sawCase = true; break;
                    case "extended": extended = true; break;
                    default:
                        r.error("options", "'" + part.strip() + "' is not one of ignorecase, case, extended");
                }
            }
            if (sawCase && sawIgnore) {
                r.error("options", "'" + options + "' gives both case and ignorecase");
            } else if (sawCase || sawIgnore) {
                ignoreCase = sawIgnore;
            }
        }
        int flags = new PatchbayConfig.StatementSelection("", "", ignoreCase, extended, "", "").patternFlags();
        String match;
        String exclude = "";
        if (rewrite) {
            match = r.requiredString("match");
            match = match == null ? "" : match;
        } else {
            match = r.string("match", "");
            exclude = r.string("exclude", "");
        }
        if (!regexOk(r, "match", match, flags)) {
            match = "";
        }
        if (!regexOk(r, "exclude", exclude, flags)) {
            exclude = "";
        }
        String user = r.string("user", "");
        String source = r.string("source", "");
        if (!source.isEmpty() && Cidr.parse(source) == null) {
            r.error("source", "'" + source + "' is not an IP address or network (e.g. 192.168.0.10 or 192.168.0.0/24)");
            source = "";
        }
        return new PatchbayConfig.StatementSelection(match, exclude, ignoreCase, extended, user, source);
    }

    private static boolean regexOk(SectionReader r, String key, String regex, int flags) {
        if (regex.isEmpty()) {
            return true;
        }
        try {
            Pattern.compile(regex, flags);
            return true;
        } catch (PatternSyntaxException e) {
            r.error(key, "'" + regex + "' is not a valid regular expression: " + e.getDescription()
                    + (e.getIndex() >= 0 ? " near position " + e.getIndex() : ""));
            return false;
        }
    }

    /**
     * Why {@code replace} cannot be used with {@code regex} (a {@code $n} beyond the pattern's groups, an
     * unknown {@code ${name}}, a lone {@code $} or a trailing backslash), or null. Checked here so that
     * a statement never fails at run time.
     */
    static String replacementProblem(String regex, int flags, String replace) {
        int groups;
        try {
            groups = Pattern.compile(regex, flags).matcher("").groupCount();
        } catch (PatternSyntaxException e) {
            return null; // reported for match
        }
        Set<String> names = new HashSet<>();
        Matcher m = Pattern.compile("\\(\\?<([a-zA-Z][a-zA-Z0-9]*)>").matcher(regex);
        while (m.find()) {
            names.add(m.group(1));
        }
        for (int i = 0; i < replace.length(); i++) {
            char c = replace.charAt(i);
            if (c == '\\') {
                if (i + 1 == replace.length()) {
                    return "ends with a lone \\ (write \\\\ for a backslash)";
                }
                i++;
            } else if (c == '$') {
                if (i + 1 == replace.length()) {
                    return "ends with a lone $ (write \\$ for a dollar sign)";
                }
                char n = replace.charAt(i + 1);
                if (n == '{') {
                    int end = replace.indexOf('}', i + 2);
                    String name = end < 0 ? "" : replace.substring(i + 2, end);
                    if (!names.contains(name)) {
                        return "refers to ${" + name + "}, which is not a named group of match";
                    }
                    i = end;
                } else if (n >= '0' && n <= '9') {
                    if (n - '0' > groups) {
                        return "refers to $" + n + " but match has " + groups + " group" + (groups == 1 ? "" : "s");
                    }
                    i++;
                } else {
                    return "has a $ that is not followed by a group number or {name} (write \\$ for a dollar sign)";
                }
            }
        }
        return null;
    }

    /** MaxScale's quoted strings ({@code separator=" | "}): surrounding double quotes are removed. */
    private static String unquote(String v) {
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            return v.substring(1, v.length() - 1);
        }
        return v;
    }

    private static PatchbayConfig.MariaDbSettings mariadb(SectionReader r) {
        String user = r.string("user", "");
        String password = r.string("password", "");
        String usersFile = r.string("users_file", "");
        if (!password.isEmpty() && user.isEmpty()) {
            r.error("password", "is set but user is not");
        }
        PatchbayConfig.MariaDbSettings d = PatchbayConfig.MariaDbSettings.DEFAULTS;
        long refreshTime = r.durationNanos("users_refresh_time", d.usersRefreshTimeNanos());
        long refreshInterval = r.durationNanos("users_refresh_interval", d.usersRefreshIntervalNanos());
        return new PatchbayConfig.MariaDbSettings(user, password, usersFile,
                r.string("version_string", d.versionString()),
                r.integer("retain_last_statements", d.retainLastStatements(), 0, 10_000),
                refreshTime, refreshInterval,
                r.integer("max_sescmd_history", d.maxSescmdHistory(), 0, 1_000_000));
    }

    /** Each of these keys that is set names a file Patchbay can read (a PEM it loads at start). */
    /**
     * A file Patchbay will append to: an error now rather than a process that logs nowhere. The file, or
     * else the nearest directory that exists above it (missing directories are created when the file is
     * opened), must be writable by the user running the check.
     */
    private static void writableFile(SectionReader r, String key, String f) {
        if (f.isEmpty()) {
            return;
        }
        Path p = Path.of(f).toAbsolutePath();
        if (Files.isDirectory(p)) {
            r.error(key, SectionReader.quoted(f) + " is a directory, not a file");
            return;
        }
        if (Files.exists(p)) {
            if (!Files.isRegularFile(p) || !Files.isWritable(p)) {
                r.error(key, SectionReader.quoted(f) + " is not a writable file");
            }
            return;
        }
        Path above = p.getParent();
        while (above != null && !Files.exists(above)) {
            above = above.getParent();
        }
        if (above == null || !Files.isDirectory(above)) {
            r.error(key, "cannot create " + SectionReader.quoted(f) + ": " + above + " is not a directory");
        } else if (!Files.isWritable(above)) {
            r.error(key, "cannot create " + SectionReader.quoted(f) + ": the directory " + above + " is not writable");
        }
    }

    private static void readableFiles(SectionReader r, String... keys) {
        for (String k : keys) {
            String f = r.string(k, "");
            if (!f.isEmpty() && !Files.isReadable(Path.of(f))) {
                r.error(k, "'" + f + "' is not a readable file");
            }
        }
    }

    /**
     * {@code ssl_version} as MaxScale writes it ({@code MAX}, or a list of {@code TLSv12}/{@code TLSv1.2} …) in JDK
     * protocol names; empty for {@code MAX}: the JVM's defaults (TLS 1.3 and 1.2).
     */
    private static List<String> sslVersion(SectionReader r) {
        List<String> out = new ArrayList<>();
        List<String> given = r.list("ssl_version");
        for (String v : given) {
            String jdk = switch (v.toUpperCase(Locale.ROOT)) {
                case "MAX" -> "";
                case "TLSV10", "TLSV1.0" -> "TLSv1";
                case "TLSV11", "TLSV1.1" -> "TLSv1.1";
                case "TLSV12", "TLSV1.2" -> "TLSv1.2";
                case "TLSV13", "TLSV1.3" -> "TLSv1.3";
                default -> null;
            };
            if (jdk == null) {
                r.error("ssl_version", "'" + v + "' is not one of MAX, TLSv10, TLSv11, TLSv12, TLSv13 (or TLSv1.0 … TLSv1.3)");
            } else if (jdk.isEmpty()) {
                if (given.size() > 1) {
                    r.error("ssl_version", "MAX (the JVM's default versions) goes alone");
                }
                return List.of();
            } else if (disabledInThisJvm(jdk)) {
                r.error("ssl_version", "'" + v + "' is disabled in this JVM (jdk.tls.disabledAlgorithms in its java.security)");
            } else if (!out.contains(jdk)) {
                out.add(jdk);
            }
        }
        return List.copyOf(out);
    }

    private static boolean disabledInThisJvm(String protocol) {
        String disabled = java.security.Security.getProperty("jdk.tls.disabledAlgorithms");
        if (disabled == null) {
            return false;
        }
        for (String d : disabled.split(",")) {
            if (d.strip().equals(protocol)) {
                return true;
            }
        }
        return false;
    }

    private static PatchbayConfig.ListenerConfig listener(SectionReader r) {
        String protocol = r.choice("protocol", "tcp", "tcp", "mariadb");
        boolean ssl = r.bool("ssl", false);
        String cert = r.string("ssl_cert", "");
        String key = r.string("ssl_key", "");
        String ca = r.string("ssl_ca", "");
        List<String> sslProtocols = sslVersion(r);
        if (!protocol.equals("mariadb")) {
            for (String k : new String[] {"ssl", "ssl_cert", "ssl_key", "ssl_ca", "ssl_version"}) {
                if (r.has(k)) {
                    r.error(k, "only applies to protocol=mariadb (a tcp listener relays TLS untouched)");
                }
            }
        } else if (ssl) {
            if (cert.isEmpty()) {
                r.error("ssl_cert", "is required when ssl=true");
            }
            if (key.isEmpty()) {
                r.error("ssl_key", "is required when ssl=true");
            }
            readableFiles(r, "ssl_cert", "ssl_key", "ssl_ca");
        } else if (!cert.isEmpty() || !key.isEmpty() || !ca.isEmpty() || r.has("ssl_version")) {
            r.error("ssl", "ssl_cert, ssl_key, ssl_ca or ssl_version is set but ssl is not true");
        }
        List<String> proxyNetworks = r.list("proxy_protocol_networks");
        for (String n : proxyNetworks) {
            if (n.equals("*") ? proxyNetworks.size() > 1 : Cidr.parse(n) == null) {
                r.error("proxy_protocol_networks", "'" + n + "' is not an IP address or network (10.0.0.0/8, fd00::/8),"
                        + " or * alone for every peer");
            }
        }
        return new PatchbayConfig.ListenerConfig(
                r.name(),
                r.requiredString("service"),
                protocol,
                r.nonEmptyString("address", "0.0.0.0"),
                r.port("port", true, true),
                r.integer("backlog", 1024, 1, 65535),
                r.integer("max_connections", 0, 0, 10_000_000),
                ssl, cert, key, ca, sslProtocols, List.copyOf(proxyNetworks));
    }

    private static PatchbayConfig.StatsSocketConfig statsSocket(SectionReader r) {
        String socket = r.string("socket", null);
        String address = r.nonEmptyString("address", null);
        int port = r.port("port", false, true);
        if (socket != null && (r.has("address") || r.has("port"))) {
            r.error("socket", "give either socket=PATH or address and port, not both");
        } else if (socket == null && !r.has("port")) {
            if (r.has("address")) {
                r.error("port", "is required for a TCP socket (address and port)");
            } else {
                r.error("socket", "is required (or address and port for a TCP socket)");
            }
        }
        if (socket != null && socket.isEmpty()) {
            r.error("socket", "is empty");
        }
        int mode = -1;
        String m = r.string("mode", null);
        if (m != null) {
            if (socket == null) {
                r.error("mode", "only applies to a UNIX socket (socket=PATH)");
            } else if (!m.matches("0?[0-7]{3}")) {
                r.error("mode", "'" + m + "' is not an octal permission such as 0600");
            } else {
                mode = Integer.parseInt(m, 8);
            }
        }
        return new PatchbayConfig.StatsSocketConfig(
                r.name(),
                socket,
                mode,
                socket == null ? (address == null ? "127.0.0.1" : address) : null,
                port,
                r.choice("level", "operator", "user", "operator", "admin"),
                r.durationNanos("timeout", TimeUnit.SECONDS.toNanos(10)),
                r.integer("max_connections", 10, 1, 100_000));
    }

    private static void crossCheck(List<PatchbayConfig.ServerConfig> servers,
                                   List<PatchbayConfig.ServiceConfig> services,
                                   List<PatchbayConfig.ListenerConfig> listeners,
                                   List<PatchbayConfig.StatsSocketConfig> sockets,
                                   List<PatchbayConfig.FilterConfig> filters,
                                   Map<String, SectionReader> readers,
                                   PatchbayConfig.Global global,
                                   List<String> errors) {
        Set<String> serverNames = new HashSet<>();
        servers.forEach(s -> serverNames.add(s.name()));
        Set<String> serviceNames = new HashSet<>();
        services.forEach(s -> serviceNames.add(s.name()));
        Map<String, PatchbayConfig.FilterConfig> filterByName = new HashMap<>();
        filters.forEach(f -> filterByName.put(f.name(), f));
        for (PatchbayConfig.ServiceConfig s : services) {
            for (String name : s.servers()) {
                if (!serverNames.contains(name)) {
                    readers.get(s.name()).error("servers", "'" + name + "' is not a server defined in this file");
                }
            }
            for (String name : s.filters()) {
                if (!filterByName.containsKey(name)) {
                    readers.get(s.name()).error("filters", "'" + name + "' is not a filter defined in this file");
                }
            }
        }
        for (PatchbayConfig.ListenerConfig l : listeners) {
            for (PatchbayConfig.ServiceConfig s : services) {
                if (!s.name().equals(l.service())) {
                    continue;
                }
                for (String name : s.filters()) {
                    PatchbayConfig.FilterConfig f = filterByName.get(name);
                    if (f != null && !FILTER_MODULES.get(f.module()).contains(l.protocol())) {
                        readers.get(s.name()).error("filters", "'" + name + "' (module " + f.module()
                                + ") does not work with protocol " + l.protocol() + ", which listener [" + l.name()
                                + "] uses");
                    }
                }
            }
        }
        List<Binding> bound = new ArrayList<>();
        if (global.adminEnabled() && global.adminPort() != 0) {
            bound.add(new Binding(global.adminHost(), global.adminPort(), "the admin REST API ([patchbay] admin_port)"));
        }
        for (PatchbayConfig.ListenerConfig l : listeners) {
            if (l.service() != null && !serviceNames.contains(l.service())) {
                readers.get(l.name()).error("service", "'" + l.service() + "' is not a service defined in this file");
            } else if (l.protocol().equals("mariadb")) {
                for (PatchbayConfig.ServiceConfig s : services) {
                    if (s.name().equals(l.service()) && s.settings().splice()) {
                        // MariaDB mode parses every packet in user space: there is nothing to splice.
                        readers.get(s.name()).error("splice", "splice applies to protocol=tcp listeners only; listener ["
                                + l.name() + "] uses protocol=mariadb");
                    }
                    if (s.name().equals(l.service()) && s.mariadb().user().isEmpty() && s.mariadb().usersFile().isEmpty()) {
                        readers.get(l.name()).error("protocol", "protocol=mariadb needs service [" + s.name()
                                + "] to have user and password (to load accounts from its servers) or users_file");
                    }
                }
            }
            bind(bound, new Binding(l.address(), l.port(), "[" + l.name() + "]"), readers.get(l.name()));
        }
        Set<String> paths = new HashSet<>();
        for (PatchbayConfig.StatsSocketConfig s : sockets) {
            if (s.isUnix()) {
                if (!paths.add(s.socket())) {
                    readers.get(s.name()).error("socket", "'" + s.socket() + "' is used by another stats_socket");
                }
            } else {
                bind(bound, new Binding(s.address(), s.port(), "[" + s.name() + "]"), readers.get(s.name()));
            }
        }
    }

    /**
     * Settles a server's check kind and login. Without {@code health_check}, a server that sets
     * {@code health_check_user}, or that a service behind a {@code protocol=mariadb} listener lists, is
     * checked with a MariaDB login (its own account, else that service's): to MariaDB a bare TCP connect
     * is an aborted handshake, and {@code max_connect_errors} of those in a row block the proxy's host.
     */
    private static PatchbayConfig.ServerConfig withCheckLogin(PatchbayConfig.ServerConfig sc,
                                                              List<PatchbayConfig.ServiceConfig> services,
                                                              List<PatchbayConfig.ListenerConfig> listeners,
                                                              SectionReader r) {
        Server.HealthCheck hc = sc.healthCheck();
        boolean explicit = r.has("health_check");
        if (explicit && hc.kind() != Server.CheckKind.MARIADB) {
            return sc;
        }
        PatchbayConfig.MariaDbSettings account = null;
        for (PatchbayConfig.ServiceConfig svc : services) {
            boolean mariadb = listeners.stream().anyMatch(l -> l.protocol().equals("mariadb") && svc.name().equals(l.service()));
            if (mariadb && svc.servers().contains(sc.name()) && !svc.mariadb().user().isEmpty()) {
                account = svc.mariadb();
                break;
            }
        }
        if (!hc.user().isEmpty()) {
            return sc.withHealthCheck(hc.withLogin(Server.CheckKind.MARIADB, hc.user(), hc.password()));
        }
        if (account != null) {
            return sc.withHealthCheck(hc.withLogin(Server.CheckKind.MARIADB, account.user(), account.password()));
        }
        if (explicit) {
            r.error("health_check", "mariadb needs health_check_user and health_check_password, or a protocol=mariadb"
                    + " service with user and password that lists this server");
        }
        return sc;
    }

    /** An address:port some socket of this configuration listens on, and who. */
    private record Binding(String address, int port, String owner) {
        @Override
        public String toString() {
            return address.contains(":") ? "[" + address + "]:" + port : address + ":" + port;
        }

        boolean isWildcard() {
            return address.equals("0.0.0.0") || address.equals("::");
        }

        /**
         * The kernel refuses the second of two listening sockets on the same port when the addresses
         * are equal or one is a wildcard: 0.0.0.0 covers IPv4, :: (dual-stack) covers both families.
         */
        boolean conflictsWith(Binding o) {
            if (port != o.port) {
                return false;
            }
            if (address.equalsIgnoreCase(o.address) || address.equals("::") || o.address.equals("::")) {
                return true;
            }
            return (isWildcard() && !o.address.contains(":")) || (o.isWildcard() && !address.contains(":"));
        }
    }

    /** Records {@code b}, or reports its port as taken. Port 0 (the OS picks a free port) never conflicts. */
    private static void bind(List<Binding> bound, Binding b, SectionReader r) {
        if (b.port() == 0) {
            return;
        }
        for (Binding other : bound) {
            if (b.conflictsWith(other)) {
                String where = other.address().equals(b.address()) ? "" : " (" + other + ")";
                r.error("port", b + " is already used by " + other.owner() + where);
                return;
            }
        }
        bound.add(b);
    }
}
