package dev.patchbay.admin.rest;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authentication and authorization as MaxScale's REST API does them, with Patchbay's additions.
 *
 * <ul>
 *   <li>Credentials are tried in MaxScale's order: the {@code token_body}+{@code token_sig} cookies (a JWT
 *       split in two by {@code /auth?persist=yes}), then {@code Authorization: Bearer}, then HTTP Basic.</li>
 *   <li>The default {@code admin}/{@code mariadb} credentials are accepted only from a loopback address.</li>
 *   <li>Failures are logged ({@code admin_log_auth_failures}) and counted per client address; too many
 *       in a window and the address gets 429 until the window ends ({@link LoginThrottle}).</li>
 *   <li>A good Basic credential is remembered as an HMAC (keyed with a random per-process key, never the
 *       password) until the accounts change, so only the first request of a client pays for PBKDF2.
 *       Hashing runs on {@code blocking}, never on the event loop.</li>
 * </ul>
 */
final class Auth {
    private static final Logger log = LoggerFactory.getLogger("patchbay.rest");
    private static final int CACHE_MAX = 1024;
    static final String REALM = "patchbay";

    private final RestSettings settings;
    private final UserStore users;
    private final Jwt jwt;
    private final Executor blocking;
    private final LoginThrottle throttle;
    private final byte[] cacheKey = new byte[32];
    private final Map<String, Long> verified = new ConcurrentHashMap<>();
    private final Runnable onFailure;

    Auth(RestSettings settings, UserStore users, Jwt jwt, Executor blocking, Runnable onFailure) {
        this.settings = settings;
        this.users = users;
        this.jwt = jwt;
        this.blocking = blocking;
        this.onFailure = onFailure;
        this.throttle = new LoginThrottle(settings.loginMaxFailures(), settings.loginWindowNanos());
        new SecureRandom().nextBytes(cacheKey);
    }

    LoginThrottle throttle() {
        return throttle;
    }

    /** Who sent {@code r}; completes exceptionally with an {@link ApiException} (401 or 429) otherwise. */
    CompletableFuture<Principal> authenticate(ApiRequest r) {
        if (!settings.authEnabled()) {
            return CompletableFuture.completedFuture(Principal.NO_AUTH);
        }
        String ip = r.clientAddress();
        long blocked = throttle.blockedFor(ip, System.nanoTime());
        if (blocked > 0) {
            long secs = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(blocked + 999_999_999L));
            return CompletableFuture.failedFuture(new ApiException(429,
                    "Too many failed authentication attempts from " + ip + "; try again in " + secs + " seconds")
                    .header("Retry-After", Long.toString(secs)));
        }
        String token = tokenFromCookies(r);
        if (token == null) {
            String h = r.headers.get("Authorization");
            if (h != null && h.regionMatches(true, 0, "Bearer ", 0, 7)) {
                token = h.substring(7).trim();
            }
        }
        if (token != null) {
            Jwt.Claims c = jwt.verify(token);
            UserStore.User u = c == null ? null : users.get(c.user());
            if (u == null) {
                return CompletableFuture.failedFuture(fail(r, c == null ? "?" : c.user(),
                        c == null ? "invalid or expired token" : "token for a deleted account"));
            }
            throttle.success(ip);
            return CompletableFuture.completedFuture(new Principal(u.name(), u.admin(), true));
        }
        String basic = r.headers.get("Authorization");
        if (basic == null || !basic.regionMatches(true, 0, "Basic ", 0, 6)) {
            return CompletableFuture.failedFuture(denied(r));
        }
        String userPass;
        try {
            userPass = new String(Base64.getDecoder().decode(basic.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(fail(r, "?", "malformed Basic credentials"));
        }
        int colon = userPass.indexOf(':');
        if (colon < 0) {
            return CompletableFuture.failedFuture(fail(r, userPass, "malformed Basic credentials"));
        }
        String user = userPass.substring(0, colon);
        String password = userPass.substring(colon + 1);
        if (user.equals(UserStore.DEFAULT_USER) && PasswordHash.constantTimeEquals(password, UserStore.DEFAULT_PASSWORD)
                && !isLoopback(r)) {
            return CompletableFuture.failedFuture(fail(r, user,
                    "the default admin/mariadb credentials are accepted only from localhost; create an account"));
        }
        String cacheId = cacheId(user, password);
        Long v = verified.get(cacheId);
        UserStore.User cachedUser = v != null && v == users.version() ? users.get(user) : null;
        if (cachedUser != null) {
            throttle.success(ip);
            users.recordLogin(user);
            return CompletableFuture.completedFuture(new Principal(user, cachedUser.admin(), false));
        }
        long version = users.version();
        return CompletableFuture.supplyAsync(() -> users.verify(user, password), blocking)
                .thenApply(u -> {
                    if (u == null) {
                        throw fail(r, user, users.get(user) == null ? "no such user" : "wrong password");
                    }
                    if (verified.size() >= CACHE_MAX) {
                        verified.clear();
                    }
                    verified.put(cacheId, version);
                    throttle.success(ip);
                    users.recordLogin(user);
                    return new Principal(u.name(), u.admin(), false);
                });
    }

    /**
     * Refuses a write by a basic account: 401 when it came with Basic auth (a login prompt may follow),
     * 403 with a token, as MaxScale does.
     */
    void authorize(ApiRequest r, Principal p, boolean anyAccountMayWrite) {
        if (p.admin() || !r.isWrite() || anyAccountMayWrite) {
            return;
        }
        if (settings.logAuthFailures()) {
            log.warn("Authorization failed for '{}' from {}: {} {} needs an admin account", p.user(),
                    r.clientAddress(), r.method, r.rawTarget);
        }
        if (p.viaToken()) {
            throw ApiException.forbidden("Administrative access required");
        }
        throw withChallenge(r, new ApiException(401, "Administrative access required"));
    }

    private ApiException fail(ApiRequest r, String user, String why) {
        onFailure.run();
        String ip = r.clientAddress();
        boolean nowBlocked = throttle.failure(ip, System.nanoTime());
        if (settings.logAuthFailures()) {
            log.warn("Authentication failed for '{}' from {}: {} ({} {})", user, ip, why, r.method, r.rawTarget);
        }
        if (nowBlocked) {
            log.warn("Too many failed authentication attempts from {}: refused for {} seconds", ip,
                    TimeUnit.NANOSECONDS.toSeconds(settings.loginWindowNanos()));
        }
        return denied(r);
    }

    /** MaxScale's 401: {@code Access denied}, with a Basic challenge unless the client is a browser script. */
    private static ApiException denied(ApiRequest r) {
        return withChallenge(r, new ApiException(401, "Access denied"));
    }

    private static ApiException withChallenge(ApiRequest r, ApiException e) {
        if (!"XMLHttpRequest".equalsIgnoreCase(r.headers.get("X-Requested-With"))) {
            e.header("WWW-Authenticate", "Basic realm=\"" + REALM + "\"");
        }
        return e;
    }

    /** {@code token_body} + {@code token_sig} (the signature half keeps its leading dot), or a whole token in either. */
    static String tokenFromCookies(ApiRequest r) {
        String header = r.headers.get("Cookie");
        if (header == null) {
            return null;
        }
        String body = null;
        String sig = null;
        for (Cookie c : ServerCookieDecoder.LAX.decode(header)) {
            if (c.name().equals("token_body")) {
                body = c.value();
            } else if (c.name().equals("token_sig")) {
                sig = c.value();
            }
        }
        if (body != null && sig != null) {
            return body + sig;
        }
        if (sig != null && sig.chars().filter(ch -> ch == '.').count() == 2) {
            return sig;
        }
        return null;
    }

    static boolean isLoopback(ApiRequest r) {
        InetAddress a = r.remote == null ? null : r.remote.getAddress();
        return a != null && a.isLoopbackAddress();
    }

    private String cacheId(String user, String password) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(cacheKey, "HmacSHA256"));
            mac.update(user.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            return HexFormat.of().formatHex(mac.doFinal(password.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
