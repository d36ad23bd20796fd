package dev.patchbay.admin.rest;

import dev.patchbay.config.PatchbayConfig;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Everything the REST API is configured by, from {@code [patchbay]} ({@link PatchbayConfig.Global} and
 * its {@link PatchbayConfig.Admin}); keys and defaults are in docs/configuration.md.
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
        PatchbayConfig.Admin a = g.admin();
        return new RestSettings(
                g.adminHost(),
                g.adminPort(),
                g.adminSslCert(),
                g.adminSslKey(),
                a.usersFile().isEmpty() ? defaultUsers : Path.of(a.usersFile()),
                a.pbkdf2Iterations(),
                g.sessionTrace(),
                g.skipNameResolve(),
                a.auth(),
                a.secureGui(),
                a.metricsAuth(),
                a.logAuthFailures(),
                a.maxBodyBytes(),
                a.idleTimeoutNanos(),
                a.maxConnections(),
                a.loginMaxFailures(),
                a.loginBlockNanos(),
                TimeUnit.NANOSECONDS.toSeconds(a.jwtMaxAgeNanos()),
                a.jwtIssuer(),
                Math.max(1, TimeUnit.NANOSECONDS.toMillis(a.rdnsTimeoutNanos())));
    }
}
