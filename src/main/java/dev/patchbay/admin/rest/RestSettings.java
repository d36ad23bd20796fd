package dev.patchbay.admin.rest;

import dev.patchbay.config.PatchbayConfig;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Everything the REST API is configured by. The listener keys come from {@code [patchbay]}
 * ({@link PatchbayConfig.Global}); the others are not in the configuration file yet and are read from
 * system properties {@code -Dpatchbay.<key>=...} with the defaults below (documented in
 * docs/rest-api.md), so that tests and operators can set them today.
 *
 * @param usersFile          the REST accounts file ({@code admin_users_file})
 * @param pbkdf2Iterations   PBKDF2-HMAC-SHA256 iterations for new password hashes
 * @param sessionTrace       lines kept per session for {@code attributes.log} ({@code session_trace}); 0 = off
 * @param skipNameResolve    ignore {@code rdns=true} ({@code skip_name_resolve})
 * @param authEnabled        {@code admin_auth}: false lets everyone in as an admin (tests, trusted sockets)
 * @param secureAuth         {@code admin_secure_gui}: refuse {@code /auth} (JWT) over plain HTTP
 * @param metricsAuth        {@code admin_metrics_auth}: {@code /metrics} needs credentials like the rest
 */
record RestSettings(
        String host,
        int port,
        String sslCert,
        String sslKey,
        Path usersFile,
        int pbkdf2Iterations,
        int sessionTrace,
        boolean skipNameResolve,
        boolean authEnabled,
        boolean secureAuth,
        boolean metricsAuth,
        boolean logAuthFailures,
        int maxBodyBytes,
        long idleTimeoutNanos,
        int maxConnections,
        int loginMaxFailures,
        long loginWindowNanos,
        long jwtMaxAgeSeconds,
        String jwtIssuer,
        long rdnsTimeoutMillis) {

    static final int DEFAULT_PBKDF2_ITERATIONS = 600_000;

    boolean tls() {
        return !sslCert.isEmpty() || !sslKey.isEmpty();
    }

    static RestSettings from(PatchbayConfig config) {
        PatchbayConfig.Global g = config.global();
        Path beside = Path.of(config.source()).toAbsolutePath().getParent();
        Path defaultUsers = (beside == null ? Path.of("").toAbsolutePath() : beside).resolve("patchbay-users.json");
        String users = prop("admin_users_file", "");
        return new RestSettings(
                g.adminHost(),
                g.adminPort(),
                g.adminSslCert(),
                g.adminSslKey(),
                users.isEmpty() ? defaultUsers : Path.of(users),
                intProp("admin_pbkdf2_iterations", DEFAULT_PBKDF2_ITERATIONS, 1_000, 100_000_000),
                intProp("session_trace", 0, 0, 100_000),
                boolProp("skip_name_resolve", false),
                boolProp("admin_auth", true),
                boolProp("admin_secure_gui", false),
                boolProp("admin_metrics_auth", true),
                boolProp("admin_log_auth_failures", true),
                intProp("admin_max_body", 1024 * 1024, 1024, 64 * 1024 * 1024),
                TimeUnit.SECONDS.toNanos(intProp("admin_idle_timeout", 60, 1, 86_400)),
                intProp("admin_max_connections", 1024, 1, 1_000_000),
                intProp("admin_login_max_failures", 10, 1, 1_000_000),
                TimeUnit.SECONDS.toNanos(intProp("admin_login_block_time", 60, 1, 86_400)),
                intProp("admin_jwt_max_age", 86_400, 1, 365 * 86_400),
                prop("admin_jwt_issuer", "patchbay"),
                intProp("admin_rdns_timeout_ms", 1_000, 10, 60_000));
    }

    private static String prop(String key, String def) {
        return System.getProperty("patchbay." + key, def);
    }

    private static int intProp(String key, int def, int min, int max) {
        String v = prop(key, null);
        if (v == null) {
            return def;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min || n > max) {
                throw new IllegalArgumentException("-Dpatchbay." + key + "=" + v + " is out of range (" + min + "-"
                        + max + ")");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-Dpatchbay." + key + "=" + v + " is not a whole number", e);
        }
    }

    private static boolean boolProp(String key, boolean def) {
        String v = prop(key, null);
        if (v == null) {
            return def;
        }
        Boolean b = ApiRequest.parseBool(v.trim().toLowerCase(Locale.ROOT));
        if (b == null) {
            throw new IllegalArgumentException("-Dpatchbay." + key + "=" + v + " is not a boolean");
        }
        return b;
    }
}
