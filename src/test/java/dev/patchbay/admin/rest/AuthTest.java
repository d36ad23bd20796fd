package dev.patchbay.admin.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.core.Session;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import tools.jackson.databind.JsonNode;

/** The auth matrix of issue 4 and the accounts API, on real sockets (and the loopback rule as a unit). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuthTest {
    static final String READER = RestRig.basic("reader", "read-only-pw");
    static final String OPS = RestRig.basic("ops", "ops-pw");
    RestRig rig;

    @BeforeAll
    void start() throws Exception {
        rig = RestRig.start();
        create("reader", "read-only-pw", "basic");
        create("ops", "ops-pw", "admin");
    }

    @AfterAll
    void stop() throws Exception {
        rig.close();
    }

    private void create(String user, String password, String account) throws Exception {
        HttpResponse<String> r = rig.send("POST", "/v1/users/inet", "{\"data\":{\"id\":\"" + user + "\",\"type\":\"inet\","
                + "\"attributes\":{\"password\":\"" + password + "\",\"account\":\"" + account + "\"}}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
    }

    @Test
    @Order(1)
    void noCredentialsAndWrongPasswordAre401WithAChallengeUnlessXhr() throws Exception {
        HttpResponse<String> r = rig.get("/v1/sessions", "Authorization", "");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(RestRig.detail(r)).isEqualTo("Access denied");
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"patchbay\"");
        r = rig.get("/v1/sessions", "Authorization", RestRig.basic("ops", "wrong"));
        assertThat(r.statusCode()).isEqualTo(401);
        r = rig.get("/v1/sessions", "Authorization", RestRig.basic("nobody", "x"));
        assertThat(r.statusCode()).isEqualTo(401);
        r = rig.get("/v1/sessions", "Authorization", RestRig.basic("ops", "wrong"), "X-Requested-With", "XMLHttpRequest");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).isEmpty();
        r = rig.get("/v1/sessions", "Authorization", "Basic !!!notbase64");
        assertThat(r.statusCode()).isEqualTo(401);
        r = rig.get("/v1/sessions", "Authorization", "Bearer not.a.token");
        assertThat(r.statusCode()).isEqualTo(401);
    }

    @Test
    @Order(2)
    void basicAccountsReadButCannotWrite() throws Exception {
        Session s = rig.openSession();
        assertThat(rig.get("/v1/sessions", "Authorization", READER).statusCode()).isEqualTo(200);
        assertThat(rig.send("OPTIONS", "/v1/sessions", null, "Authorization", READER).statusCode()).isEqualTo(200);
        HttpResponse<String> r = rig.send("DELETE", "/v1/sessions/" + s.id(), null, "Authorization", READER);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(RestRig.detail(r)).isEqualTo("Administrative access required");
        r = rig.send("PATCH", "/v1/sessions/" + s.id(), "{\"data\":{\"attributes\":{\"parameters\":{\"log_info\":true}}}}",
                "Authorization", READER);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(s.state().isLive()).isTrue();
        assertThat(s.logFlags()).isZero();
        // With a token the same write is a 403.
        String token = RestRig.json(rig.get("/v1/auth", "Authorization", READER)).path("meta").path("token").asString();
        r = rig.send("DELETE", "/v1/sessions/" + s.id(), null, "Authorization", "Bearer " + token);
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(RestRig.detail(r)).isEqualTo("Administrative access required");
        assertThat(rig.get("/v1/sessions", "Authorization", "Bearer " + token).statusCode()).isEqualTo(200);
        assertThat(s.state().isLive()).isTrue();
    }

    @Test
    @Order(3)
    void adminAccountsWriteWithBasicAndWithJwt() throws Exception {
        Session s = rig.openSession();
        HttpResponse<String> t = rig.send("POST", "/v1/auth?max-age=60", null, "Authorization", OPS);
        assertThat(t.statusCode()).isEqualTo(200);
        String token = RestRig.json(t).path("meta").path("token").asString();
        String[] parts = token.split("\\.");
        assertThat(parts).hasSize(3);
        JsonNode claims = Json.MAPPER.readTree(java.util.Base64.getUrlDecoder().decode(parts[1]));
        assertThat(claims.propertyNames()).containsExactlyInAnyOrder("iss", "sub", "aud", "account", "iat", "exp");
        assertThat(claims.path("sub").asString()).isEqualTo("ops");
        assertThat(claims.path("aud").asString()).isEqualTo("ops");
        assertThat(claims.path("account").asString()).isEqualTo("admin");
        assertThat(claims.path("exp").asLong() - claims.path("iat").asLong()).isEqualTo(60);
        HttpResponse<String> r = rig.send("PATCH", "/v1/sessions/" + s.id(),
                "{\"data\":{\"attributes\":{\"parameters\":{\"log_notice\":true}}}}", "Authorization", "Bearer " + token);
        assertThat(r.statusCode()).isEqualTo(200);
        r = rig.send("DELETE", "/v1/sessions/" + s.id(), null, "Authorization", OPS);
        assertThat(r.statusCode()).isEqualTo(200);
        // A tampered token is refused.
        String forged = parts[0] + "." + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                "{\"iss\":\"patchbay\",\"sub\":\"reader\",\"aud\":\"reader\",\"account\":\"admin\",\"iat\":1,\"exp\":9999999999}"
                        .getBytes()) + "." + parts[2];
        assertThat(rig.get("/v1/sessions", "Authorization", "Bearer " + forged).statusCode()).isEqualTo(401);
    }

    @Test
    @Order(4)
    void persistedTokensTravelInTwoCookiesAndLogoutClearsThem() throws Exception {
        HttpResponse<String> r = rig.get("/v1/auth?persist=yes", "Authorization", OPS);
        assertThat(r.statusCode()).isEqualTo(204);
        List<String> cookies = r.headers().allValues("Set-Cookie");
        assertThat(cookies).hasSize(2);
        String body = cookies.stream().filter(c -> c.startsWith("token_body=")).findFirst().orElseThrow();
        String sig = cookies.stream().filter(c -> c.startsWith("token_sig=")).findFirst().orElseThrow();
        assertThat(sig).contains("HttpOnly").contains("SameSite=Strict");
        assertThat(body).doesNotContain("HttpOnly");
        String cookie = body.substring(0, body.indexOf(';')) + "; " + sig.substring(0, sig.indexOf(';'));
        assertThat(rig.get("/v1/sessions", "Cookie", cookie).statusCode()).isEqualTo(200);
        Session s = rig.openSession();
        assertThat(rig.send("DELETE", "/v1/sessions/" + s.id(), null, "Cookie", cookie).statusCode()).isEqualTo(200);
        HttpResponse<String> out = rig.get("/v1/auth?logout=true", "Cookie", "token_sig=stale");
        assertThat(out.statusCode()).isEqualTo(204);
        assertThat(out.headers().allValues("Set-Cookie")).allMatch(c -> c.contains("Max-Age=0"));
        assertThat(rig.get("/v1/sessions", "Cookie", "token_body=a.b; token_sig=.c").statusCode()).isEqualTo(401);
    }

    @Test
    @Order(5)
    void accountsApiHasMaxScalesShapesAndRules() throws Exception {
        JsonNode list = rig.getJson("/v1/users/inet");
        assertThat(list.path("links").path("self").asString()).isEqualTo(rig.url("/v1/users/inet/"));
        assertThat(list.path("data").size()).isEqualTo(3);
        JsonNode ops = rig.getJson("/v1/users/inet/ops").path("data");
        assertThat(ops.path("type").asString()).isEqualTo("inet");
        assertThat(ops.path("attributes").path("account").asString()).isEqualTo("admin");
        assertThat(ops.path("attributes").propertyNames()).containsExactlyInAnyOrder("name", "account", "created",
                "last_update", "last_login");
        assertThat(rig.getJson("/v1/users").path("data").size()).isEqualTo(3);
        assertThat(rig.getJson("/v1/users/unix").path("data").size()).isZero();
        assertThat(rig.get("/v1/users/inet/ghost").statusCode()).isEqualTo(404);

        HttpResponse<String> r = rig.send("POST", "/v1/users/inet", "{\"data\":{\"id\":\"ops\",\"type\":\"inet\","
                + "\"attributes\":{\"password\":\"x\",\"account\":\"admin\"}}}");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(RestRig.detail(r)).isEqualTo("User 'ops' already exists");
        r = rig.send("POST", "/v1/users/inet", "{\"data\":{\"id\":\"x\",\"attributes\":{\"password\":\"x\",\"account\":\"root\"}}}");
        assertThat(RestRig.detail(r)).isEqualTo("'data.attributes.account' must be \"admin\" or \"basic\", not \"root\"");
        r = rig.send("POST", "/v1/users/inet", "{\"data\":{\"id\":\"x\",\"attributes\":{\"account\":\"basic\"}}}");
        assertThat(RestRig.detail(r)).isEqualTo("Request body does not define 'data.attributes.password'");
        r = rig.send("POST", "/v1/users/inet", "{\"data\":{\"id\":\"a:b\",\"attributes\":{\"password\":\"p\",\"account\":\"basic\"}}}");
        assertThat(r.statusCode()).isEqualTo(400);
        r = rig.send("POST", "/v1/users/inet", "{\"data\":{\"id\":7,\"attributes\":{\"password\":\"p\",\"account\":\"basic\"}}}");
        assertThat(RestRig.detail(r)).isEqualTo("'data.id' must be a string, not integer");
        r = rig.send("PATCH", "/v1/users/inet/reader", "{\"data\":{\"attributes\":{\"account\":\"admin\"}}}");
        assertThat(RestRig.detail(r)).isEqualTo("'data.attributes.account' cannot be changed; only the password can");

        // Change a password: the old one stops working, the new one works.
        r = rig.send("PATCH", "/v1/users/inet/reader", "{\"data\":{\"attributes\":{\"password\":\"new-pw\"}}}");
        assertThat(r.statusCode()).isEqualTo(204);
        assertThat(rig.get("/v1/sessions", "Authorization", READER).statusCode()).isEqualTo(401);
        assertThat(rig.get("/v1/sessions", "Authorization", RestRig.basic("reader", "new-pw")).statusCode()).isEqualTo(200);

        // The file holds salted PBKDF2 hashes, never the passwords, and only its owner can read it.
        String file = Files.readString(rig.dir.resolve("users.json"));
        assertThat(file).doesNotContain("new-pw").doesNotContain("ops-pw").doesNotContain("mariadb")
                .contains("pbkdf2-sha256$1000$");
        assertThat(Files.getPosixFilePermissions(rig.dir.resolve("users.json")))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        try (var files = Files.list(rig.dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("users.json");
        }
        // A basic account cannot manage accounts.
        assertThat(rig.send("DELETE", "/v1/users/inet/ops", null, "Authorization", RestRig.basic("reader", "new-pw"))
                .statusCode()).isEqualTo(401);
    }

    @Test
    @Order(6)
    void theDefaultAccountGoesAwayAndTheLastAdminStays() throws Exception {
        assertThat(rig.send("DELETE", "/v1/users/inet/admin", null, "Authorization", OPS).statusCode()).isEqualTo(204);
        assertThat(rig.get("/v1/sessions", "Authorization", RestRig.ADMIN).statusCode()).isEqualTo(401);
        HttpResponse<String> r = rig.send("DELETE", "/v1/users/inet/ops", null, "Authorization", OPS);
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(RestRig.detail(r)).isEqualTo("Cannot delete the last admin user 'ops'");
        assertThat(rig.send("DELETE", "/v1/users/inet/reader", null, "Authorization", OPS).statusCode()).isEqualTo(204);
        assertThat(rig.send("DELETE", "/v1/users/inet/reader", null, "Authorization", OPS).statusCode()).isEqualTo(404);
        // The accounts survive a restart: a new Patchbay with the same file knows ops, not admin.
        UserStore reloaded = new UserStore(rig.dir.resolve("users.json"), 1000, 0);
        assertThat(reloaded.list()).extracting(UserStore.User::name).containsExactly("ops");
        assertThat(reloaded.verify("ops", "ops-pw")).isNotNull();
        assertThat(reloaded.verify("admin", "mariadb")).isNull();
    }

    @Test
    void theDefaultAccountIsRefusedFromAnotherHost() throws Exception {
        RestSettings s = RestSettings.from(dev.patchbay.config.ConfigLoader.parse("x.cnf", "[patchbay]\n"));
        java.nio.file.Path dir = Files.createTempDirectory("auth-unit");
        UserStore users = new UserStore(dir.resolve("users.json"), 1000, 0);
        var pool = Executors.newSingleThreadExecutor();
        try {
            Auth auth = new Auth(s, users, new Jwt("patchbay"), pool, () -> { });
            ApiRequest remote = request(InetAddress.getByName("192.0.2.10"), RestRig.ADMIN);
            assertThat(failure(auth, remote)).isEqualTo(401);
            ApiRequest local = request(InetAddress.getLoopbackAddress(), RestRig.ADMIN);
            Principal p = auth.authenticate(local).join();
            assertThat(p.user()).isEqualTo("admin");
            assertThat(p.admin()).isTrue();
            ApiRequest v6local = request(InetAddress.getByName("::1"), RestRig.ADMIN);
            assertThat(auth.authenticate(v6local).join().user()).isEqualTo("admin");
        } finally {
            pool.shutdownNow();
            Files.deleteIfExists(dir.resolve("users.json"));
            Files.delete(dir);
        }
    }

    static ApiRequest request(InetAddress from, String authorization) {
        DefaultHttpHeaders h = new DefaultHttpHeaders();
        h.set("Authorization", authorization);
        return new ApiRequest("GET", "/v1/sessions", List.of("sessions"), true, Map.of(), h, new byte[0],
                new InetSocketAddress(from, 40000), false, "h");
    }

    static int failure(Auth auth, ApiRequest r) {
        try {
            auth.authenticate(r).join();
            return 200;
        } catch (CompletionException e) {
            return ((ApiException) Dispatcher.unwrap(e)).status();
        }
    }

    @Test
    void failedLoginsAreRateLimitedPerAddress() throws Exception {
        try (RestRig limited = RestRig.start(Map.of("admin_login_max_failures", "3", "admin_login_block_time", "2s"))) {
            for (int i = 0; i < 2; i++) {
                assertThat(limited.get("/v1/sessions", "Authorization", RestRig.basic("admin", "bad")).statusCode())
                        .isEqualTo(401);
            }
            // The third failure starts the block; it is still answered 401.
            assertThat(limited.get("/v1/sessions", "Authorization", RestRig.basic("admin", "bad")).statusCode())
                    .isEqualTo(401);
            HttpResponse<String> r = limited.get("/v1/sessions", "Authorization", RestRig.ADMIN);
            assertThat(r.statusCode()).as("even the right password waits").isEqualTo(429);
            assertThat(RestRig.detail(r)).startsWith("Too many failed authentication attempts from 127.0.0.1; try again in ");
            assertThat(Integer.parseInt(r.headers().firstValue("Retry-After").orElseThrow())).isBetween(1, 2);
            // Another address is not affected.
            LoginThrottle t = new LoginThrottle(3, TimeUnit.SECONDS.toNanos(2));
            long now = System.nanoTime();
            t.failure("10.0.0.1", now);
            t.failure("10.0.0.1", now);
            assertThat(t.failure("10.0.0.1", now)).isTrue();
            assertThat(t.blockedFor("10.0.0.1", now)).isPositive();
            assertThat(t.blockedFor("10.0.0.2", now)).isZero();
            Thread.sleep(2100);
            assertThat(limited.get("/v1/sessions", "Authorization", RestRig.ADMIN).statusCode()).isEqualTo(200);
            JsonNode metrics = null;
            String text = limited.get("/metrics").body();
            assertThat(text).contains("patchbay_admin_auth_failures_total 3.0");
            assertThat(metrics).isNull();
        }
    }

    @Test
    void hashingRunsOffTheEventLoop() throws Exception {
        // A real cost: 600000 iterations. One slow login must not hold up other requests.
        try (RestRig slow = RestRig.start(Map.of("admin_pbkdf2_iterations", "600000"))) {
            HttpResponse<String> c = slow.send("POST", "/v1/users/inet", "{\"data\":{\"id\":\"u\",\"type\":\"inet\","
                    + "\"attributes\":{\"password\":\"pw\",\"account\":\"admin\"}}}");
            assertThat(c.statusCode()).isEqualTo(204);
            assertThat(Files.readString(slow.dir.resolve("users.json"))).contains("pbkdf2-sha256$600000$");
            // The accounts changed, so the admin credential is checked (hashed) once more, then remembered.
            assertThat(slow.get("/v1/maxscale").statusCode()).isEqualTo(200);
            long t0 = System.nanoTime();
            assertThat(slow.get("/v1/sessions", "Authorization", RestRig.basic("u", "pw")).statusCode()).isEqualTo(200);
            long firstLogin = System.nanoTime() - t0;
            CompletableFuture<Integer> wrong = CompletableFuture.supplyAsync(() -> {
                try {
                    return slow.get("/v1/sessions", "Authorization", RestRig.basic("u", "wrong")).statusCode();
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            });
            Thread.sleep(30);
            long t1 = System.nanoTime();
            assertThat(slow.get("/v1/maxscale").statusCode()).isEqualTo(200);
            long quick = System.nanoTime() - t1;
            boolean hashStillRunning = !wrong.isDone();
            assertThat(wrong.get(30, TimeUnit.SECONDS)).isEqualTo(401);
            assertThat(hashStillRunning).as("the other request was answered while the wrong password was being hashed")
                    .isTrue();
            assertThat(quick).as("cached admin login while a hash runs (a full login took %d ms)",
                    TimeUnit.NANOSECONDS.toMillis(firstLogin)).isLessThan(firstLogin);
        }
    }
}
