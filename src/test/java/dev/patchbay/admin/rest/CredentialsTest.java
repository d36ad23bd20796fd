package dev.patchbay.admin.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Units: password hashes, the accounts file, JWTs, the reverse-DNS cache. */
class CredentialsTest {
    Path dir;

    @BeforeEach
    void dir() throws Exception {
        dir = Files.createTempDirectory("creds");
    }

    @AfterEach
    void clean() throws Exception {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void hashesAreSaltedAndVerifyOnlyTheRightPassword() {
        String a = PasswordHash.hash("secret", 1000);
        String b = PasswordHash.hash("secret", 1000);
        assertThat(a).isNotEqualTo(b).startsWith("pbkdf2-sha256$1000$").doesNotContain("secret");
        assertThat(PasswordHash.verify("secret", a)).isTrue();
        assertThat(PasswordHash.verify("Secret", a)).isFalse();
        assertThat(PasswordHash.verify("secret", "md5$x")).isFalse();
        assertThat(PasswordHash.isWellFormed(a)).isTrue();
        assertThat(PasswordHash.isWellFormed("pbkdf2-sha256$1000$AAAA$BBBB")).isFalse();
    }

    @Test
    void theDefaultAccountLivesInMemoryUntilTheFirstChange() throws Exception {
        Path file = dir.resolve("users.json");
        UserStore s = new UserStore(file, 1000, 42);
        assertThat(s.list()).extracting(UserStore.User::name).containsExactly("admin");
        assertThat(s.get("admin").isBuiltInDefault()).isTrue();
        assertThat(s.verify("admin", "mariadb")).isNotNull();
        assertThat(s.verify("admin", "MariaDB")).isNull();
        assertThat(s.verify("ghost", "x")).isNull();
        assertThat(Files.exists(file)).isFalse();
        long v = s.version();
        s.create("ops", "pw", false);
        assertThat(s.version()).isGreaterThan(v);
        assertThat(Files.readString(file)).contains("\"name\": \"admin\"").contains("\"account\": \"basic\"")
                .doesNotContain("mariadb").doesNotContain("\"pw\"");
        // The default account now has a real hash and still works from the file.
        UserStore again = new UserStore(file, 1000, 0);
        assertThat(again.get("admin").isBuiltInDefault()).isFalse();
        assertThat(again.verify("admin", "mariadb")).isNotNull();
        assertThat(again.verify("ops", "pw").admin()).isFalse();
        assertThatThrownBy(() -> again.create("ops", "x", true)).hasMessage("User 'ops' already exists");
        assertThatThrownBy(() -> again.delete("admin")).hasMessage("Cannot delete the last admin user 'admin'");
        assertThatThrownBy(() -> again.changePassword("nobody", "x")).hasMessage("User 'nobody' not found");
    }

    @Test
    void aBrokenFileIsAnErrorNotTheDefaultAccount() throws Exception {
        Path file = dir.resolve("users.json");
        Files.writeString(file, "{not json");
        assertThatThrownBy(() -> new UserStore(file, 1000, 0)).hasMessageContaining("not valid JSON");
        Files.writeString(file, "{\"users\":[{\"name\":\"x\",\"account\":\"admin\",\"password\":\"plaintext\"}]}");
        assertThatThrownBy(() -> new UserStore(file, 1000, 0)).hasMessageContaining("pbkdf2-sha256 password hash");
        Files.writeString(file, "[]");
        assertThatThrownBy(() -> new UserStore(file, 1000, 0)).hasMessageContaining("expected {\"users\": [...]}");
    }

    @Test
    void concurrentChangesAllLand() throws Exception {
        UserStore s = new UserStore(dir.resolve("users.json"), 1000, 0);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<Void>> all = new java.util.ArrayList<>();
            for (int i = 0; i < 12; i++) {
                int n = i;
                all.add(CompletableFuture.runAsync(() -> {
                    try {
                        go.await();
                        s.create("u" + n, "p" + n, n % 2 == 0);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }, pool));
            }
            go.countDown();
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        UserStore reread = new UserStore(dir.resolve("users.json"), 1000, 0);
        assertThat(reread.list()).hasSize(13);
        assertThat(reread.verify("u7", "p7")).isNotNull();
        try (var files = Files.list(dir)) {
            assertThat(files.count()).as("no temporary file left behind").isEqualTo(1);
        }
    }

    @Test
    void jwtsAreSignedExpireAndRefuseOtherAlgorithms() throws Exception {
        Jwt jwt = new Jwt("patchbay");
        String t = jwt.create("ops", true, 60);
        Jwt.Claims c = jwt.verify(t);
        assertThat(c.user()).isEqualTo("ops");
        assertThat(c.admin()).isTrue();
        assertThat(new Jwt("patchbay").verify(t)).as("another process's key").isNull();
        Jwt other = new Jwt("other");
        assertThat(other.verify(other.create("x", false, 60)).admin()).isFalse();
        String[] p = t.split("\\.");
        String none = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(jwt.verify(none + "." + p[1] + ".")).isNull();
        assertThat(jwt.verify(none + "." + p[1] + "." + p[2])).isNull();
        assertThat(jwt.verify(t + "x")).isNull();
        assertThat(jwt.verify("a.b")).isNull();
        String expired = jwt.create("ops", true, 1);
        Thread.sleep(2100);
        assertThat(jwt.verify(expired)).isNull();
    }

    @Test
    void reverseDnsCachesTimesOutAndKeepsTheIp() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            ReverseDns rdns = new ReverseDns(pool, 200, ip -> {
                lookups.incrementAndGet();
                if (ip.equals("10.0.0.9")) {
                    Thread.sleep(2000);
                    return "slow.example";
                }
                if (ip.equals("10.0.0.8")) {
                    throw new java.net.UnknownHostException(ip);
                }
                return "host-" + ip.replace('.', '-') + ".example";
            });
            long t0 = System.nanoTime();
            Map<String, String> names = rdns.resolve(List.of("10.0.0.1", "10.0.0.8", "10.0.0.9")).get(5, TimeUnit.SECONDS);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(1500);
            assertThat(names).containsExactly(Map.entry("10.0.0.1", "host-10-0-0-1.example"));
            int before = lookups.get();
            assertThat(rdns.resolve(List.of("10.0.0.1", "10.0.0.8")).get(1, TimeUnit.SECONDS))
                    .containsExactly(Map.entry("10.0.0.1", "host-10-0-0-1.example"));
            assertThat(lookups.get()).as("names and failures are cached").isEqualTo(before);
        } finally {
            pool.shutdownNow();
        }
    }
}
