package dev.patchbay.config;

import static dev.patchbay.config.Cfg.assertErrors;
import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.core.Server;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every value type (integers, ports, durations, booleans, choices, lists, strings) and the rules
 * between keys of one section, with the exact error text.
 */
class ValueErrorsTest {

    /** {@code [s1]} server with one extra line (line 5). */
    private static String server(String line) {
        return "[s1]\ntype=server\naddress=127.0.0.1\nport=3306\n" + line + "\n";
    }

    /** {@code [svc]} service over s1 with one extra line (line 4); s1 follows. */
    private static String service(String line) {
        return "[svc]\ntype=service\nservers=s1\n" + line + "\n\n[s1]\ntype=server\naddress=127.0.0.1\nport=3306\n";
    }

    /** {@code [l]} listener (port 0) on svc with one extra line (line 5). */
    private static String listener(String line) {
        return "[l]\ntype=listener\nservice=svc\nprotocol=tcp\n" + line + "\n\n" + Cfg.BACKEND;
    }

    private static String global(String line) {
        return "[patchbay]\n" + line + "\n";
    }

    // ---- integers -------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            weight=257                      | '257' is out of range (0-256)
            weight=-1                       | '-1' is out of range (0-256)
            weight=abc                      | 'abc' is not a whole number
            weight=1.5                      | '1.5' is not a whole number
            weight=0x10                     | '0x10' is not a whole number
            weight=1 000                    | '1 000' is not a whole number
            weight=99999999999999999999999  | '99999999999999999999999' is out of range (0-256)
            max_connections=10000001        | '10000001' is out of range (0-10000000)
            max_connections=-5              | '-5' is out of range (0-10000000)
            rise=0                          | '0' is out of range (1-1000)
            rise=1001                       | '1001' is out of range (1-1000)
            fall=0                          | '0' is out of range (1-1000)
            fall=many                       | 'many' is not a whole number
            fall=                           | is empty (leave the key out for the default)
            fall=１                          | '１' is not a whole number
            weight=٢٥                       | '٢٥' is not a whole number
            """)
    void serverIntegers(String line, String message) {
        String key = line.substring(0, line.indexOf('='));
        assertErrors(server(line), "test.cnf:5: [s1] " + key + ": " + message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            retries=101                     | '101' is out of range (0-100)
            retries=-1                      | '-1' is out of range (0-100)
            retries=three                   | 'three' is not a whole number
            max_connections=10000001        | '10000001' is out of range (0-10000000)
            max_connections=                | is empty (leave the key out for the default)
            """)
    void serviceIntegers(String line, String message) {
        String key = line.substring(0, line.indexOf('='));
        assertErrors(service(line), "test.cnf:4: [svc] " + key + ": " + message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            backlog=0                       | '0' is out of range (1-65535)
            backlog=65536                   | '65536' is out of range (1-65535)
            backlog=lots                    | 'lots' is not a whole number
            """)
    void listenerIntegers(String line, String message) {
        String key = line.substring(0, line.indexOf('='));
        assertErrors(listener("port=0\n" + line), "test.cnf:6: [l] " + key + ": " + message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            threads=0                       | '0' is out of range (1-1024)
            threads=1025                    | '1025' is out of range (1-1024)
            threads=some                    | 'some' is not a whole number
            threads=                        | is empty (leave the key out for the default)
            """)
    void globalThreads(String line, String message) {
        assertErrors(global(line), "test.cnf:2: [patchbay] threads: " + message);
    }

    @Test
    void integerBoundsAreInclusive() {
        PatchbayConfig c = Cfg.parse(server("weight=256\nmax_connections=10000000\nrise=1000\nfall=1"));
        assertThat(c.servers().get(0).weight()).isEqualTo(256);
        assertThat(c.servers().get(0).maxConnections()).isEqualTo(10_000_000);
        assertThat(c.servers().get(0).healthCheck().rise()).isEqualTo(1000);
        assertThat(c.servers().get(0).healthCheck().fall()).isEqualTo(1);
        assertThat(Cfg.parse(server("weight=0")).servers().get(0).weight()).isZero();
        assertThat(Cfg.parse(global("threads=1024")).global().threads()).isEqualTo(1024);
        assertThat(Cfg.parse(global("threads=AUTO")).global().threads()).isZero();
    }

    // ---- ports ----------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            port=0       | '0' is not a port number (1-65535)
            port=65536   | '65536' is not a port number (1-65535)
            port=-1      | '-1' is not a port number (1-65535)
            port=mysql   | 'mysql' is not a port number (1-65535)
            port=        | '' is not a port number (1-65535)
            port=3306.0  | '3306.0' is not a port number (1-65535)
            """)
    void serverPortMustBe1To65535(String line, String message) {
        assertErrors("[s1]\ntype=server\naddress=127.0.0.1\n" + line + "\n", "test.cnf:4: [s1] port: " + message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            port=65536   | '65536' is not a port number (0-65535)
            port=-1      | '-1' is not a port number (0-65535)
            port=http    | 'http' is not a port number (0-65535)
            """)
    void listenerPortMayBe0To65535(String line, String message) {
        assertErrors(listener(line), "test.cnf:5: [l] port: " + message);
    }

    @Test
    void portZeroMeansAnyFreePortExceptForServers() {
        assertThat(Cfg.parse(listener("port=0")).listeners().get(0).port()).isZero();
        assertThat(Cfg.parse(listener("port=65535")).listeners().get(0).port()).isEqualTo(65535);
        assertThat(Cfg.parse(global("admin_port=0")).global().adminPort()).isZero();
        assertThat(Cfg.parse("[cli]\ntype=stats_socket\nport=0\n").statsSockets().get(0).port()).isZero();
        assertThat(Cfg.parse(server("")).servers().get(0).port()).isEqualTo(3306);
    }

    @Test
    void adminPort() {
        assertErrors(global("admin_port=70000"), "test.cnf:2: [patchbay] admin_port: '70000' is not a port number (0-65535)");
        assertErrors(global("admin_port=rest"), "test.cnf:2: [patchbay] admin_port: 'rest' is not a port number (0-65535)");
        assertThat(Cfg.parse(global("admin_port=8990")).global().adminPort()).isEqualTo(8990);
    }

    @Test
    void statsSocketPort() {
        assertErrors("[cli]\ntype=stats_socket\nport=99999\n",
                "test.cnf:3: [cli] port: '99999' is not a port number (0-65535)");
    }

    // ---- durations ------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            10s     | 10000000000
            500ms   | 500000000
            2m      | 120000000000
            1h      | 3600000000000
            1d      | 86400000000000
            0       | 0
            0s      | 0
            0ms     | 0
            007s    | 7000000000
            1500ms  | 1500000000
            36500d  | 3153600000000000000
            """)
    void durationsInAConfig(String text, long nanos) {
        PatchbayConfig c = Cfg.parse(service("client_timeout=" + text));
        assertThat(c.services().get(0).settings().clientTimeoutNanos()).isEqualTo(nanos);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            10                       | '10' needs a unit (ms, s, m, h or d), e.g. 10s
            00                       | '00' needs a unit (ms, s, m, h or d), e.g. 00s
            ten seconds              | 'ten seconds' is not a duration (e.g. 500ms, 10s, 2m, 1h)
            10 s                     | '10 s' is not a duration (e.g. 500ms, 10s, 2m, 1h)
            10S                      | '10S' is not a duration (e.g. 500ms, 10s, 2m, 1h)
            1.5s                     | '1.5s' is not a duration (e.g. 500ms, 10s, 2m, 1h)
            -1s                      | '-1s' is not a duration (e.g. 500ms, 10s, 2m, 1h)
            1m30s                    | '1m30s' is not a duration (e.g. 500ms, 10s, 2m, 1h)
            10us                     | '10us' is not a duration (e.g. 500ms, 10s, 2m, 1h)
            s                        | 's' is not a duration (e.g. 500ms, 10s, 2m, 1h)
            36501d                   | '36501d' is too long
            876001h                  | '876001h' is too long
            9999999999999999ms       | '9999999999999999ms' is too long
            99999999999999999999999s | '99999999999999999999999s' is too long
            """)
    void badDurations(String text, String message) {
        assertErrors(service("server_timeout=" + text), "test.cnf:4: [svc] server_timeout: " + message);
    }

    @Test
    void emptyDuration() {
        assertErrors(service("queue_timeout="),
                "test.cnf:4: [svc] queue_timeout: '' is not a duration (e.g. 500ms, 10s, 2m, 1h)");
    }

    @Test
    void everyDurationKeyIsValidated() {
        assertErrors(global("grace_period=5"),
                "test.cnf:2: [patchbay] grace_period: '5' needs a unit (ms, s, m, h or d), e.g. 5s");
        assertErrors(server("health_check_interval=fast"),
                "test.cnf:5: [s1] health_check_interval: 'fast' is not a duration (e.g. 500ms, 10s, 2m, 1h)");
        assertErrors(server("health_check_timeout=1"),
                "test.cnf:5: [s1] health_check_timeout: '1' needs a unit (ms, s, m, h or d), e.g. 1s");
        assertErrors(service("connect_timeout=5000"),
                "test.cnf:4: [svc] connect_timeout: '5000' needs a unit (ms, s, m, h or d), e.g. 5000s");
        assertErrors(service("client_timeout=1y"),
                "test.cnf:4: [svc] client_timeout: '1y' is not a duration (e.g. 500ms, 10s, 2m, 1h)");
        assertErrors("[cli]\ntype=stats_socket\nport=0\ntimeout=10\n",
                "test.cnf:4: [cli] timeout: '10' needs a unit (ms, s, m, h or d), e.g. 10s");
    }

    // ---- booleans and choices -------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"true,true", "yes,true", "on,true", "1,true", "TRUE,true", "Yes,true",
        "false,false", "no,false", "off,false", "0,false", "OFF,false"})
    void booleans(String text, boolean value) {
        assertThat(Cfg.parse(global("admin_enabled=" + text)).global().adminEnabled()).isEqualTo(value);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            maybe
            2
            y
            ""
            enabled
            """)
    void badBooleans(String text) {
        String v = text == null ? "" : text;
        assertErrors(global("admin_enabled=" + v),
                "test.cnf:2: [patchbay] admin_enabled: '" + v + "' is not a boolean (true/false, yes/no, on/off, 1/0)");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            router=random              | 'random' is not one of roundrobin, leastconn, source, first, readconnroute
            router=round-robin         | 'round-robin' is not one of roundrobin, leastconn, source, first, readconnroute
            router=readwritesplit      | 'readwritesplit' is not one of roundrobin, leastconn, source, first, readconnroute
            when_full=wait             | 'wait' is not one of queue, refuse
            on_server_down=kill        | 'kill' is not one of none, shutdown_sessions
            """)
    void serviceChoices(String line, String message) {
        String key = line.substring(0, line.indexOf('='));
        assertErrors(service(line), "test.cnf:4: [svc] " + key + ": " + message);
    }

    @Test
    void otherChoices() {
        assertErrors(server("health_check=http"), "test.cnf:5: [s1] health_check: 'http' is not one of tcp, mariadb, none");
        assertErrors(global("log_level=verbose"),
                "test.cnf:2: [patchbay] log_level: 'verbose' is not one of error, warning, notice, info, debug");
        assertErrors("[cli]\ntype=stats_socket\nport=0\nlevel=root\n",
                "test.cnf:4: [cli] level: 'root' is not one of user, operator, admin");
    }

    @Test
    void listenerProtocolIsTcpOrMariadb() {
        assertErrors("[l]\ntype=listener\nservice=svc\nport=0\nprotocol=mysql\n\n" + Cfg.BACKEND,
                "test.cnf:5: [l] protocol: 'mysql' is not one of tcp, mariadb");
        assertErrors("[l]\ntype=listener\nservice=svc\nport=0\nprotocol=mariadb\n\n" + Cfg.BACKEND,
                "test.cnf:5: [l] protocol: protocol=mariadb needs service [svc] to have user and password"
                        + " (to load accounts from its servers) or users_file");
    }

    @Test
    void choicesAreCaseInsensitiveAndStoredInLowerCase() {
        PatchbayConfig c = Cfg.parse(service("router=LeastConn\nwhen_full=REFUSE\non_server_down=Shutdown_Sessions"));
        assertThat(c.services().get(0).settings().router()).isEqualTo(dev.patchbay.core.ServiceSettings.RouterKind.LEASTCONN);
        assertThat(c.services().get(0).settings().whenFull()).isEqualTo(dev.patchbay.core.ServiceSettings.WhenFull.REFUSE);
        assertThat(c.services().get(0).settings().onServerDown())
                .isEqualTo(dev.patchbay.core.ServiceSettings.OnServerDown.SHUTDOWN_SESSIONS);
        assertThat(Cfg.parse(global("log_level=DEBUG")).global().logLevel()).isEqualTo("debug");
        assertThat(Cfg.parse("[cli]\ntype=stats_socket\nport=0\nlevel=Admin\n").statsSockets().get(0).level())
                .isEqualTo("admin");
    }

    // ---- required keys and empty values ---------------------------------------------------------

    @Test
    void serverRequiresAddressAndPort() {
        assertErrors("[s1]\ntype=server\n",
                "test.cnf:1: [s1] address: is required",
                "test.cnf:1: [s1] port: is required");
        assertErrors("[s1]\ntype=server\naddress=\nport=1\n", "test.cnf:3: [s1] address: is required");
    }

    @Test
    void serviceRequiresServers() {
        assertErrors("[svc]\ntype=service\n",
                "test.cnf:1: [svc] servers: is required (a comma-separated list of servers)");
        assertErrors("[svc]\ntype=service\nservers=\n",
                "test.cnf:3: [svc] servers: is required (a comma-separated list of servers)");
    }

    @Test
    void listenerRequiresServiceAndPort() {
        assertErrors("[l]\ntype=listener\n",
                "test.cnf:1: [l] service: is required",
                "test.cnf:1: [l] port: is required");
        assertErrors("[l]\ntype=listener\nservice=\nport=0\n", "test.cnf:3: [l] service: is required");
    }

    @Test
    void emptyValuesThatWouldBeGuessesAreErrors() {
        assertErrors(listener("port=0\naddress="),
                "test.cnf:6: [l] address: is empty (leave the key out for the default, 0.0.0.0)");
        assertErrors(global("admin_host="),
                "test.cnf:2: [patchbay] admin_host: is empty (leave the key out for the default, 127.0.0.1)");
        assertErrors(global("access_log="),
                "test.cnf:2: [patchbay] access_log: is empty (leave the key out for the default, stdout)");
        assertErrors("[cli]\ntype=stats_socket\naddress=\nport=9999\n",
                "test.cnf:3: [cli] address: is empty (leave the key out for the default)");
    }

    @Test
    void emptyValuesThatMeanNothingAreAccepted() {
        PatchbayConfig c = Cfg.parse(global("log_file=\nadmin_ssl_cert=\nadmin_ssl_key="));
        assertThat(c.global().logFile()).isEmpty();
        assertThat(c.global().adminSslCert()).isEmpty();
        assertThat(c.global().adminSslKey()).isEmpty();
    }

    // ---- lists ----------------------------------------------------------------------------------

    @Test
    void serverLists() {
        assertThat(Cfg.parse(Cfg.BACKEND.replace("servers=s1,s2", "servers= s2 ,  s1 ")).services().get(0).servers())
                .containsExactly("s2", "s1");
        String base = Cfg.BACKEND + "\n[s3]\ntype=server\naddress=127.0.0.1\nport=3308\n";
        assertErrors(base.replace("servers=s1,s2", "servers=s1,,s2,"),
                "test.cnf:13: [svc] servers: 's1,,s2,' has an empty entry");
        assertErrors(base.replace("servers=s1,s2", "servers=,"),
                "test.cnf:13: [svc] servers: ',' has an empty entry");
        assertErrors(base.replace("servers=s1,s2", "servers=s1,s2,s1,s3,s2"),
                "test.cnf:13: [svc] servers: 's1' is listed twice",
                "test.cnf:13: [svc] servers: 's2' is listed twice");
    }

    // ---- rules between keys of one section ------------------------------------------------------

    @Test
    void connectTimeoutMustBePositive() {
        assertErrors(service("connect_timeout=0"), "test.cnf:4: [svc] connect_timeout: must be more than 0");
        assertErrors(service("connect_timeout=0ms"), "test.cnf:4: [svc] connect_timeout: must be more than 0");
    }

    @Test
    void queueTimeoutMustBePositive() {
        assertErrors(service("queue_timeout=0"),
                "test.cnf:4: [svc] queue_timeout: must be more than 0 (to refuse instead of queueing, set when_full=refuse)");
    }

    @Test
    void healthCheckTimersMustBePositiveWhenChecking() {
        // Only the key the operator wrote is blamed: the timeout's default follows the interval.
        assertErrors(server("health_check_interval=0"),
                "test.cnf:5: [s1] health_check_interval: must be more than 0 unless health_check=none");
        assertErrors(server("health_check_timeout=0"),
                "test.cnf:5: [s1] health_check_timeout: must be more than 0 unless health_check=none");
        assertErrors(server("health_check=tcp\nhealth_check_interval=0\nhealth_check_timeout=0"),
                "test.cnf:6: [s1] health_check_interval: must be more than 0 unless health_check=none",
                "test.cnf:7: [s1] health_check_timeout: must be more than 0 unless health_check=none");
        PatchbayConfig c = Cfg.parse(server("health_check=none\nhealth_check_interval=0\nhealth_check_timeout=0"));
        assertThat(c.servers().get(0).healthCheck().intervalNanos()).isZero();
    }

    @Test
    void mariadbCheckLogin() {
        assertErrors(server("health_check=mariadb"), "test.cnf:5: [s1] health_check: mariadb needs health_check_user and"
                + " health_check_password, or a protocol=mariadb service with user and password that lists this server");
        assertErrors(server("health_check_password=secret"),
                "test.cnf:5: [s1] health_check_password: is set but health_check_user is not");
        assertErrors(server("health_check=tcp\nhealth_check_user=monitor"),
                "test.cnf:6: [s1] health_check_user: applies to health_check=mariadb only");
        Server.HealthCheck own = Cfg.parse(server("health_check_user=monitor\nhealth_check_password=pw")).servers().get(0).healthCheck();
        assertThat(own.kind()).isEqualTo(Server.CheckKind.MARIADB);
        assertThat(own.user()).isEqualTo("monitor");
        assertThat(own.password()).isEqualTo("pw");
        assertThat(own.toString()).doesNotContain("pw");
    }

    @Test
    void proxyProtocol() {
        assertErrors(listener("port=3306\nproxy_protocol_networks=10.0.0.0/33"), "test.cnf:6: [l] proxy_protocol_networks: '10.0.0.0/33'"
                + " is not an IP address or network (10.0.0.0/8, fd00::/8), or * alone for every peer");
        assertErrors(listener("port=3306\nproxy_protocol_networks=*, 10.0.0.1"), "test.cnf:6: [l] proxy_protocol_networks: '*'"
                + " is not an IP address or network (10.0.0.0/8, fd00::/8), or * alone for every peer");
        assertErrors(listener("port=3306\nproxy_protocol_networks=lb.example.com"), "test.cnf:6: [l] proxy_protocol_networks:"
                + " 'lb.example.com' is not an IP address or network (10.0.0.0/8, fd00::/8), or * alone for every peer");
        assertThat(Cfg.parse(listener("port=3306\nproxy_protocol_networks=10.1.0.0/16, 192.0.2.5 ,fd00::/8")).listeners().get(0)
                .proxyProtocolNetworks()).containsExactly("10.1.0.0/16", "192.0.2.5", "fd00::/8");
        assertThat(Cfg.parse(server("proxy_protocol=true")).servers().get(0).proxyProtocol()).isEqualTo(Server.ProxyProtocol.V1);
        assertThat(Cfg.parse(server("proxy_protocol=v2")).servers().get(0).proxyProtocol()).isEqualTo(Server.ProxyProtocol.V2);
        assertThat(Cfg.parse(server("")).servers().get(0).proxyProtocol()).isEqualTo(Server.ProxyProtocol.NONE);
        assertErrors(server("proxy_protocol=v3"), "test.cnf:5: [s1] proxy_protocol: 'v3' is not one of false, true, v1, v2");
    }

    @Test
    void serverTls() {
        String pem = Path.of(System.getProperty("java.home"), "release").toString(); // a readable file on any JDK
        assertErrors(server("ssl_verify_peer_certificate=true"),
                "test.cnf:5: [s1] ssl_verify_peer_certificate: applies only with ssl=true");
        assertErrors(server("ssl=true\nssl_cert=" + pem), "test.cnf:1: [s1] ssl_key: ssl_cert and ssl_key go"
                + " together (the client certificate Patchbay presents, and its key): give both or neither");
        assertErrors(server("ssl=true\nssl_verify_peer_host=true"), "test.cnf:6: [s1] ssl_verify_peer_host: needs"
                + " ssl_verify_peer_certificate=true (a name in a certificate nobody verified proves nothing)");
        assertErrors(server("ssl=true\nssl_verify_peer_certificate=true\nssl_ca=/nonexistent/ca.pem"),
                "test.cnf:7: [s1] ssl_ca: '/nonexistent/ca.pem' is not a readable file");
        assertErrors(server("ssl=true\nssl_ca=" + pem + "\nssl_ca_cert=" + pem),
                "test.cnf:7: [s1] ssl_ca_cert: is the older name of ssl_ca: give one of them");
        // MaxScale's older name; and ssl_ca alone does not verify anything, as in MaxScale.
        Server.Tls tls = Cfg.parse(server("ssl=true\nssl_ca_cert=" + pem)).servers().get(0).tls();
        assertThat(tls).isEqualTo(new Server.Tls(true, pem, "", "", false, false, List.of()));
        assertThat(Cfg.parse(server("")).servers().get(0).tls()).isEqualTo(Server.Tls.OFF);
    }

    @Test
    void sslVersion() {
        assertThat(Cfg.parse(server("ssl=true\nssl_version=TLSv12, TLSv1.3")).servers().get(0).tls().protocols())
                .containsExactly("TLSv1.2", "TLSv1.3");
        assertThat(Cfg.parse(server("ssl=true\nssl_version=MAX")).servers().get(0).tls().protocols()).isEmpty();
        assertErrors(server("ssl=true\nssl_version=TLSv14"), "test.cnf:6: [s1] ssl_version: 'TLSv14' is not one of MAX,"
                + " TLSv10, TLSv11, TLSv12, TLSv13 (or TLSv1.0 … TLSv1.3)");
        assertErrors(server("ssl=true\nssl_version=MAX,TLSv13"),
                "test.cnf:6: [s1] ssl_version: MAX (the JVM's default versions) goes alone");
        assertErrors(server("ssl_version=TLSv13"), "test.cnf:5: [s1] ssl_version: applies only with ssl=true");
        assertErrors(listener("port=3306\nssl_version=TLSv13"), "test.cnf:6: [l] ssl_version: only applies to"
                + " protocol=mariadb (a tcp listener relays TLS untouched)");
        // TLS 1.0 and 1.1 are off in current JVMs (java.security): said at load, not at the first handshake.
        String disabled = String.valueOf(java.security.Security.getProperty("jdk.tls.disabledAlgorithms"));
        if (List.of(disabled.split("\\s*,\\s*")).contains("TLSv1")) {
            assertErrors(server("ssl=true\nssl_version=TLSv10"), "test.cnf:6: [s1] ssl_version: 'TLSv10' is disabled"
                    + " in this JVM (jdk.tls.disabledAlgorithms in its java.security)");
        } else {
            assertThat(Cfg.parse(server("ssl=true\nssl_version=TLSv10")).servers().get(0).tls().protocols())
                    .containsExactly("TLSv1");
        }
    }

    @Test
    void serversOfMariaDbServicesAreCheckedWithTheServiceAccount() {
        String ini = "[svc]\ntype=service\nservers=s1,s2\nuser=pb\npassword=pbpw\n\n"
                + "[db]\ntype=listener\nservice=svc\nprotocol=mariadb\nport=0\n\n"
                + "[tcpsvc]\ntype=service\nservers=s3\n\n[t]\ntype=listener\nservice=tcpsvc\nport=0\n\n"
                + "[s1]\ntype=server\naddress=127.0.0.1\nport=3306\n\n"
                + "[s2]\ntype=server\naddress=127.0.0.1\nport=3307\nhealth_check=tcp\n\n"
                + "[s3]\ntype=server\naddress=127.0.0.1\nport=3308\n";
        PatchbayConfig c = Cfg.parse(ini);
        Server.HealthCheck s1 = c.servers().stream().filter(s -> s.name().equals("s1")).findFirst().orElseThrow().healthCheck();
        assertThat(s1.kind()).isEqualTo(Server.CheckKind.MARIADB);
        assertThat(s1.user()).isEqualTo("pb");
        assertThat(s1.password()).isEqualTo("pbpw");
        // an explicit choice stays, and servers of TCP services keep the connect check
        assertThat(c.servers().stream().filter(s -> s.name().equals("s2")).findFirst().orElseThrow().healthCheck().kind())
                .isEqualTo(Server.CheckKind.TCP);
        assertThat(c.servers().stream().filter(s -> s.name().equals("s3")).findFirst().orElseThrow().healthCheck().kind())
                .isEqualTo(Server.CheckKind.TCP);
    }

    @Test
    void healthCheckTimeoutDefaultsToTheIntervalUpTo2s() {
        assertThat(Cfg.parse(server("health_check_interval=500ms")).servers().get(0).healthCheck().timeoutNanos())
                .isEqualTo(TimeUnit.MILLISECONDS.toNanos(500));
        assertThat(Cfg.parse(server("health_check_interval=1m")).servers().get(0).healthCheck().timeoutNanos())
                .isEqualTo(TimeUnit.SECONDS.toNanos(2));
        assertThat(Cfg.parse(server("health_check_interval=1m\nhealth_check_timeout=5s")).servers().get(0)
                .healthCheck().timeoutNanos()).isEqualTo(TimeUnit.SECONDS.toNanos(5));
    }

    @Test
    void adminTlsNeedsBothCertificateAndKey() {
        assertErrors(global("admin_ssl_cert=/etc/patchbay/cert.pem"),
                "test.cnf:1: [patchbay] admin_ssl_key: is required when admin_ssl_cert is set (HTTPS needs both)");
        assertErrors(global("admin_ssl_key=/etc/patchbay/key.pem"),
                "test.cnf:1: [patchbay] admin_ssl_cert: is required when admin_ssl_key is set (HTTPS needs both)");
        PatchbayConfig c = Cfg.parse(global("admin_ssl_cert=/c.pem\nadmin_ssl_key=/k.pem"));
        assertThat(c.global().adminSslCert()).isEqualTo("/c.pem");
        assertThat(c.global().adminSslKey()).isEqualTo("/k.pem");
    }

    // ---- what error messages show of a value ----------------------------------------------------

    @Test
    void portsAreAsciiDigits() {
        assertErrors(server("").replace("port=3306", "port=٢٩٣١٠"),
                "test.cnf:4: [s1] port: '٢٩٣١٠' is not a port number (1-65535)");
    }

    @Test
    void aLongOrBinaryValueIsShownCutAndEscaped() {
        assertErrors(server("weight=" + "x".repeat(5000)),
                "test.cnf:5: [s1] weight: '" + "x".repeat(80) + "' (cut: 5000 characters) is not a whole number");
        assertErrors(server("weight=1\u00002"), "test.cnf:5: [s1] weight: '1\\x002' is not a whole number");
    }

    // ---- files Patchbay writes or reads ---------------------------------------------------------

    @Test
    void logFilesMustBeWritableWhereTheyAre(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path notADir = java.nio.file.Files.writeString(dir.resolve("regular.file"), "");
        assertErrors(global("log_file=" + notADir.resolve("pb.log")),
                "test.cnf:2: [patchbay] log_file: cannot create '" + notADir.resolve("pb.log") + "': " + notADir
                        + " is not a directory");
        assertErrors(global("access_log=" + dir),
                "test.cnf:2: [patchbay] access_log: '" + dir + "' is a directory, not a file");
        // Directories that do not exist yet are created when the file is opened.
        Cfg.parse(global("log_file=" + dir.resolve("pb.log") + "\naccess_log=" + dir.resolve("new/dir/access.log")));
    }

}
