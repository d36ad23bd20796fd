package dev.patchbay.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.core.Server;
import dev.patchbay.core.ServiceSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Valid files parse into exactly the expected records; every default is pinned here (and in docs/configuration.md). */
class HappyPathTest {

    static final long S = TimeUnit.SECONDS.toNanos(1);
    static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    static String resource(String name) {
        try (InputStream in = HappyPathTest.class.getResourceAsStream("/config/" + name)) {
            assertThat(in).as("test resource /config/%s", name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void adminKeysAreRead() {
        PatchbayConfig c = Cfg.parse("[patchbay]\nadmin_users_file=/etc/patchbay/users.json\nadmin_pbkdf2_iterations=1000\n"
                + "admin_auth=false\nadmin_secure_gui=true\nadmin_metrics_auth=false\nadmin_log_auth_failures=off\n"
                + "admin_max_body=4096\nadmin_idle_timeout=5s\nadmin_max_connections=7\nadmin_login_max_failures=3\n"
                + "admin_login_block_time=2m\nadmin_jwt_max_age=8h\nadmin_jwt_issuer=pb\nadmin_rdns_timeout=250ms\n"
                + "session_trace=20\nskip_name_resolve=yes\nretain_last_statements=5\n");
        assertThat(c.global().admin()).isEqualTo(new PatchbayConfig.Admin("/etc/patchbay/users.json", 1000, false, true,
                false, false, 4096, 5 * S, 7, 3, 120 * S, 8 * 3600 * S, "pb", 250 * MS));
        assertThat(c.global().sessionTrace()).isEqualTo(20);
        assertThat(c.global().skipNameResolve()).isTrue();
        assertThat(c.global().retainLastStatements()).isEqualTo(5);
    }

    /** Every admin_* default, as the REST API uses them. */
    static final PatchbayConfig.Admin DEFAULT_ADMIN = new PatchbayConfig.Admin(
            "",             // admin_users_file: patchbay-users.json beside the configuration
            600_000,        // admin_pbkdf2_iterations
            true,           // admin_auth
            false,          // admin_secure_gui
            true,           // admin_metrics_auth
            true,           // admin_log_auth_failures
            1024 * 1024,    // admin_max_body
            60 * S,         // admin_idle_timeout
            1024,           // admin_max_connections
            10,             // admin_login_max_failures
            60 * S,         // admin_login_block_time
            86_400 * S,     // admin_jwt_max_age
            "patchbay",     // admin_jwt_issuer
            1 * S);         // admin_rdns_timeout

    @Test
    void minimalFileGetsEveryDefault() {
        PatchbayConfig c = Cfg.parse(resource("minimal.cnf"));
        assertThat(c.source()).isEqualTo("test.cnf");
        // No [patchbay] section at all: the global defaults.
        assertThat(c.global()).isEqualTo(new PatchbayConfig.Global(
                0,              // threads=auto: one per core
                "auto",         // transport: epoll where it loads, else NIO
                0,              // max_connections=auto: from the open-file limit
                "notice",       // log_level
                "",             // log_file: none, log to stdout
                "stdout",       // access_log
                30 * S,         // grace_period
                "127.0.0.1",    // admin_host
                8989,           // admin_port
                true,           // admin_enabled
                "",             // admin_ssl_cert
                "",             // admin_ssl_key
                0,              // session_trace: off
                false,          // skip_name_resolve
                0,              // retain_last_statements
                S / 5,          // idle_quiet_time: 200ms
                DEFAULT_ADMIN));
        assertThat(c.servers()).containsExactly(new PatchbayConfig.ServerConfig("db1", "192.168.0.10", 3306,
                1,              // weight
                0,              // max_connections: unlimited
                new Server.HealthCheck(Server.CheckKind.TCP,    // health_check=tcp
                        2 * S,  // health_check_interval
                        2 * S,  // health_check_timeout: the interval, at most 2s
                        2,      // rise
                        3)));   // fall
        assertThat(c.services()).containsExactly(new PatchbayConfig.ServiceConfig("app", List.of("db1"),
                new ServiceSettings(
                        ServiceSettings.RouterKind.ROUNDROBIN,  // router
                        5 * S,  // connect_timeout
                        0,      // client_timeout: none
                        0,      // server_timeout: none
                        30 * S, // queue_timeout
                        3,      // retries
                        0,      // max_connections: unlimited
                        ServiceSettings.WhenFull.QUEUE,         // when_full
                        ServiceSettings.OnServerDown.NONE)));   // on_server_down
        assertThat(c.listeners()).containsExactly(new PatchbayConfig.ListenerConfig("app-listener", "app",
                "tcp",          // protocol
                "0.0.0.0",      // address
                4006,
                1024));         // backlog
        assertThat(c.statsSockets()).containsExactly(new PatchbayConfig.StatsSocketConfig("cli", null,
                -1,             // mode: the umask's (only for socket=PATH)
                "127.0.0.1",    // address
                9999,
                "operator",     // level
                10 * S,         // timeout
                10));           // max_connections
    }

    @Test
    void emptyFileIsAValidConfigurationWithNothingToServe() {
        PatchbayConfig c = Cfg.parse("");
        assertThat(c.global().adminPort()).isEqualTo(8989);
        assertThat(c.servers()).isEmpty();
        assertThat(c.services()).isEmpty();
        assertThat(c.listeners()).isEmpty();
        assertThat(c.statsSockets()).isEmpty();
    }

    @Test
    void fullFileSetsEveryKey() {
        PatchbayConfig c = Cfg.parse(resource("full.cnf"));
        assertThat(c.global()).isEqualTo(new PatchbayConfig.Global(4, "io_uring", 5000, "info", "/var/log/patchbay/patchbay.log",
                "/var/log/patchbay/access.log", 20 * S, "127.0.0.1", 8989, true,
                "/etc/patchbay/admin-cert.pem", "/etc/patchbay/admin-key.pem", 0, false, 0, S / 5, DEFAULT_ADMIN));
        assertThat(c.servers()).containsExactly(
                new PatchbayConfig.ServerConfig("db1", "10.0.0.11", 3306, 2, 500,
                        new Server.HealthCheck(Server.CheckKind.TCP, 5 * S, 1 * S, 2, 3)),
                new PatchbayConfig.ServerConfig("db2", "10.0.0.12", 3306, 1, 500,
                        new Server.HealthCheck(Server.CheckKind.TCP, 5 * S, 1 * S, 2, 3)),
                new PatchbayConfig.ServerConfig("db-standby", "db-standby.example.com", 3306, 1, 0,
                        new Server.HealthCheck(Server.CheckKind.TCP, 2 * S, 2 * S, 1, 1)),
                new PatchbayConfig.ServerConfig("web1", "10.0.1.21", 8080, 1, 0,
                        new Server.HealthCheck(Server.CheckKind.NONE, 2 * S, 2 * S, 2, 3)),
                new PatchbayConfig.ServerConfig("web2", "10.0.1.22", 8080, 1, 0,
                        new Server.HealthCheck(Server.CheckKind.NONE, 2 * S, 2 * S, 2, 3)));
        assertThat(c.services()).containsExactly(
                new PatchbayConfig.ServiceConfig("db", List.of("db1", "db2"), new ServiceSettings(
                        ServiceSettings.RouterKind.LEASTCONN, 3 * S, 8 * 3600 * S, 8 * 3600 * S, 10 * S, 2, 800,
                        ServiceSettings.WhenFull.QUEUE, ServiceSettings.OnServerDown.SHUTDOWN_SESSIONS)),
                new PatchbayConfig.ServiceConfig("db-failover", List.of("db1", "db-standby"), new ServiceSettings(
                        ServiceSettings.RouterKind.FIRST, 500 * MS, 0, 0, 30 * S, 1, 0,
                        ServiceSettings.WhenFull.REFUSE, ServiceSettings.OnServerDown.NONE)),
                new PatchbayConfig.ServiceConfig("web", List.of("web1", "web2"), new ServiceSettings(
                        ServiceSettings.RouterKind.SOURCE, 5 * S, 60 * S, 60 * S, 30 * S, 3, 0,
                        ServiceSettings.WhenFull.QUEUE, ServiceSettings.OnServerDown.NONE)));
        assertThat(c.listeners()).containsExactly(
                new PatchbayConfig.ListenerConfig("db-listener", "db", "tcp", "0.0.0.0", 3306, 4096),
                new PatchbayConfig.ListenerConfig("db-failover-listener", "db-failover", "tcp", "127.0.0.1", 3307, 1024),
                new PatchbayConfig.ListenerConfig("web-listener", "web", "tcp", "::", 80, 1024));
        assertThat(c.statsSockets()).containsExactly(
                new PatchbayConfig.StatsSocketConfig("cli", "/run/patchbay/admin.sock", 0600, null, 0, "admin",
                        2 * 60 * S, 10),
                new PatchbayConfig.StatsSocketConfig("cli-tcp", null, -1, "127.0.0.1", 9999, "operator", 10 * S, 5));
    }

    @Test
    void sectionsKeepTheirFileOrderWithinEachType() {
        PatchbayConfig c = Cfg.parse(resource("full.cnf"));
        assertThat(c.servers()).extracting(PatchbayConfig.ServerConfig::name)
                .containsExactly("db1", "db2", "db-standby", "web1", "web2");
        assertThat(c.services()).extracting(PatchbayConfig.ServiceConfig::name)
                .containsExactly("db", "db-failover", "web");
    }

    @Test
    void sectionsMayComeInAnyOrder() {
        // References are resolved after the whole file is read: a listener may come before its service.
        PatchbayConfig c = Cfg.parse("""
                [l]
                type=listener
                service=svc
                port=0
                [svc]
                type=service
                servers=s1
                [s1]
                type=server
                address=127.0.0.1
                port=1
                [patchbay]
                threads=1
                """);
        assertThat(c.listeners().get(0).service()).isEqualTo("svc");
        assertThat(c.global().threads()).isEqualTo(1);
    }

    @Test
    void theConfigurationsListsAreImmutable() {
        PatchbayConfig c = Cfg.parse(Cfg.VALID);
        assertThat(c.servers()).isUnmodifiable();
        assertThat(c.services()).isUnmodifiable();
        assertThat(c.listeners()).isUnmodifiable();
        assertThat(c.statsSockets()).isUnmodifiable();
    }

    @Test
    void theBuiltInDemoConfigurationIsValid() {
        PatchbayConfig c = Cfg.parse(dev.patchbay.demo.DemoConfig.ini(40001, 40002, 40003));
        assertThat(c.servers()).hasSize(3);
        assertThat(c.listeners()).hasSize(2);
        assertThat(c.statsSockets()).hasSize(2);
    }
}
