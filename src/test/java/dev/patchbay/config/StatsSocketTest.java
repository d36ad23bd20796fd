package dev.patchbay.config;

import static dev.patchbay.config.Cfg.assertErrors;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code type=stats_socket}: a UNIX socket or a TCP address and port, never both. */
class StatsSocketTest {

    private static PatchbayConfig.StatsSocketConfig only(String body) {
        return Cfg.parse("[cli]\ntype=stats_socket\n" + body + "\n").statsSockets().get(0);
    }

    @Test
    void unixSocketWithDefaults() {
        PatchbayConfig.StatsSocketConfig s = only("socket=/run/patchbay/admin.sock");
        assertThat(s).isEqualTo(new PatchbayConfig.StatsSocketConfig("cli", "/run/patchbay/admin.sock", -1, null, 0,
                "operator", TimeUnit.SECONDS.toNanos(10), 10));
        assertThat(s.isUnix()).isTrue();
        assertThat(s.label()).isEqualTo("unix@/run/patchbay/admin.sock");
    }

    @Test
    void tcpSocketWithDefaults() {
        PatchbayConfig.StatsSocketConfig s = only("port=9999");
        assertThat(s).isEqualTo(new PatchbayConfig.StatsSocketConfig("cli", null, -1, "127.0.0.1", 9999,
                "operator", TimeUnit.SECONDS.toNanos(10), 10));
        assertThat(s.isUnix()).isFalse();
        assertThat(s.label()).isEqualTo("ipv4@127.0.0.1:9999");
        assertThat(only("address=::1\nport=9999").label()).isEqualTo("ipv6@[::1]:9999");
    }

    @Test
    void everyKey() {
        PatchbayConfig.StatsSocketConfig s = only("socket=/tmp/p.sock\nmode=0660\nlevel=admin\ntimeout=1m\nmax_connections=100000");
        assertThat(s).isEqualTo(new PatchbayConfig.StatsSocketConfig("cli", "/tmp/p.sock", 0660, null, 0,
                "admin", TimeUnit.MINUTES.toNanos(1), 100_000));
        assertThat(only("address=10.0.0.5\nport=9999\nlevel=user\ntimeout=0\nmax_connections=1"))
                .isEqualTo(new PatchbayConfig.StatsSocketConfig("cli", null, -1, "10.0.0.5", 9999, "user", 0, 1));
    }

    @Test
    void socketOrAddressAndPortNotBoth() {
        assertErrors("[cli]\ntype=stats_socket\nsocket=/tmp/p.sock\naddress=127.0.0.1\nport=9999\n",
                "test.cnf:3: [cli] socket: give either socket=PATH or address and port, not both");
        assertErrors("[cli]\ntype=stats_socket\nsocket=/tmp/p.sock\naddress=127.0.0.1\n",
                "test.cnf:3: [cli] socket: give either socket=PATH or address and port, not both");
        assertErrors("[cli]\ntype=stats_socket\nsocket=/tmp/p.sock\nport=9999\n",
                "test.cnf:3: [cli] socket: give either socket=PATH or address and port, not both");
        // port=0 is still a port: the file asks for both.
        assertErrors("[cli]\ntype=stats_socket\nsocket=/tmp/p.sock\nport=0\n",
                "test.cnf:3: [cli] socket: give either socket=PATH or address and port, not both");
    }

    @Test
    void oneOfThemIsRequired() {
        assertErrors("[cli]\ntype=stats_socket\nlevel=admin\n",
                "test.cnf:1: [cli] socket: is required (or address and port for a TCP socket)");
        assertErrors("[cli]\ntype=stats_socket\naddress=127.0.0.1\n",
                "test.cnf:1: [cli] port: is required for a TCP socket (address and port)");
        assertErrors("[cli]\ntype=stats_socket\nsocket=\n", "test.cnf:3: [cli] socket: is empty");
    }

    @Test
    void modeOnlyForUnixSockets() {
        assertErrors("[cli]\ntype=stats_socket\nport=9999\nmode=0600\n",
                "test.cnf:4: [cli] mode: only applies to a UNIX socket (socket=PATH)");
    }

    @ParameterizedTest
    @CsvSource({"0600,384", "600,384", "0660,432", "0777,511", "0000,0", "000,0"})
    void modeIsOctal(String text, int mode) {
        assertThat(only("socket=/tmp/p.sock\nmode=" + text).mode()).isEqualTo(mode);
    }

    @ParameterizedTest
    @CsvSource({"0800", "rw-------", "0x180", "384", "06000", "60", "01777", "u+rw", "' 0600 0'"})
    void badModes(String text) {
        assertErrors("[cli]\ntype=stats_socket\nsocket=/tmp/p.sock\nmode=" + text + "\n",
                "test.cnf:4: [cli] mode: '" + text.strip() + "' is not an octal permission such as 0600");
    }

    @Test
    void limits() {
        assertErrors("[cli]\ntype=stats_socket\nport=0\nmax_connections=0\n",
                "test.cnf:4: [cli] max_connections: '0' is out of range (1-100000)");
        assertErrors("[cli]\ntype=stats_socket\nport=0\nmax_connections=100001\n",
                "test.cnf:4: [cli] max_connections: '100001' is out of range (1-100000)");
    }
}
