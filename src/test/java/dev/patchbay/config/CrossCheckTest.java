package dev.patchbay.config;

import static dev.patchbay.config.Cfg.assertErrors;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** References between sections, and address:port conflicts between everything that listens. */
class CrossCheckTest {

    private static String listener(String name, String address, int port) {
        return "[" + name + "]\ntype=listener\nservice=svc\n" + (address == null ? "" : "address=" + address + "\n")
                + "port=" + port + "\n\n";
    }

    @Test
    void serviceNamesAnUnknownServer() {
        assertErrors("""
                [s1]
                type=server
                address=127.0.0.1
                port=3306

                [svc]
                type=service
                servers=s1,s9,s8
                """,
                "test.cnf:8: [svc] servers: 's9' is not a server defined in this file",
                "test.cnf:8: [svc] servers: 's8' is not a server defined in this file");
    }

    @Test
    void serviceNamesASectionThatIsNotAServer() {
        assertErrors("""
                [svc]
                type=service
                servers=svc
                """,
                "test.cnf:3: [svc] servers: 'svc' is not a server defined in this file");
    }

    @Test
    void serverNamesAreCaseSensitive() {
        assertErrors(Cfg.BACKEND.replace("servers=s1,s2", "servers=S1"),
                "test.cnf:13: [svc] servers: 'S1' is not a server defined in this file");
    }

    @Test
    void listenerNamesAnUnknownService() {
        assertErrors(Cfg.BACKEND + """

                [l]
                type=listener
                service=nope
                port=0
                """,
                "test.cnf:17: [l] service: 'nope' is not a service defined in this file");
    }

    @Test
    void listenerNamesAServerInsteadOfAService() {
        assertErrors(Cfg.BACKEND + "\n[l]\ntype=listener\nservice=s1\nport=0\n",
                "test.cnf:17: [l] service: 's1' is not a service defined in this file");
    }

    @Test
    void twoListenersOnTheSameAddressAndPort() {
        // BACKEND is 13 lines, then a blank line; each listener block is 5 lines plus a blank.
        assertErrors(Cfg.BACKEND + "\n" + listener("a", "127.0.0.1", 4000) + listener("b", "127.0.0.1", 4000),
                "test.cnf:25: [b] port: 127.0.0.1:4000 is already used by [a]");
    }

    @Test
    void differentAddressesOrPortsDoNotConflict() {
        PatchbayConfig c = Cfg.parse(Cfg.BACKEND + "\n" + listener("a", "127.0.0.1", 4000)
                + listener("b", "127.0.0.2", 4000) + listener("c", "127.0.0.1", 4001)
                + listener("d", "::1", 4000) + listener("e", null, 0) + listener("f", null, 0));
        assertThat(c.listeners()).hasSize(6);
    }

    @Test
    void aWildcardAddressConflictsWithEveryAddressOnItsPort() {
        assertErrors(Cfg.BACKEND + "\n" + listener("a", null, 4000) + listener("b", "127.0.0.1", 4000),
                "test.cnf:24: [b] port: 127.0.0.1:4000 is already used by [a] (0.0.0.0:4000)");
        assertErrors(Cfg.BACKEND + "\n" + listener("a", "10.1.2.3", 4000) + listener("b", "0.0.0.0", 4000),
                "test.cnf:25: [b] port: 0.0.0.0:4000 is already used by [a] (10.1.2.3:4000)");
        assertErrors(Cfg.BACKEND + "\n" + listener("a", "::", 4000) + listener("b", "127.0.0.1", 4000),
                "test.cnf:25: [b] port: 127.0.0.1:4000 is already used by [a] ([::]:4000)");
        assertErrors(Cfg.BACKEND + "\n" + listener("a", "::1", 4000) + listener("b", "::", 4000),
                "test.cnf:25: [b] port: [::]:4000 is already used by [a] ([::1]:4000)");
        // 0.0.0.0 is IPv4 only: an IPv6 address on the same port is free.
        assertThat(Cfg.parse(Cfg.BACKEND + "\n" + listener("a", "0.0.0.0", 4000) + listener("b", "::1", 4000))
                .listeners()).hasSize(2);
    }

    @Test
    void listenerOnTheAdminPort() {
        // The admin REST API listens on 127.0.0.1:8989 unless told otherwise.
        assertErrors(Cfg.BACKEND + "\n" + listener("a", "127.0.0.1", 8989),
                "test.cnf:19: [a] port: 127.0.0.1:8989 is already used by the admin REST API ([patchbay] admin_port)");
        assertErrors(Cfg.BACKEND + "\n" + listener("a", null, 8989),
                "test.cnf:18: [a] port: 0.0.0.0:8989 is already used by the admin REST API ([patchbay] admin_port)"
                        + " (127.0.0.1:8989)");
        assertErrors("[patchbay]\nadmin_host=0.0.0.0\nadmin_port=4000\n\n" + Cfg.BACKEND + "\n"
                        + listener("a", "192.168.1.1", 4000),
                "test.cnf:23: [a] port: 192.168.1.1:4000 is already used by the admin REST API ([patchbay] admin_port)"
                        + " (0.0.0.0:4000)");
    }

    @Test
    void noAdminConflictWhenTheAdminApiIsOffOrElsewhere() {
        assertThat(Cfg.parse("[patchbay]\nadmin_enabled=false\n\n" + Cfg.BACKEND + "\n" + listener("a", null, 8989))
                .listeners()).hasSize(1);
        assertThat(Cfg.parse("[patchbay]\nadmin_port=8990\n\n" + Cfg.BACKEND + "\n" + listener("a", null, 8989))
                .listeners()).hasSize(1);
        assertThat(Cfg.parse("[patchbay]\nadmin_port=0\n\n" + Cfg.BACKEND + "\n" + listener("a", null, 0))
                .listeners()).hasSize(1);
    }

    @Test
    void statsSocketConflicts() {
        assertErrors(Cfg.BACKEND + "\n" + listener("a", "127.0.0.1", 9999) + "[cli]\ntype=stats_socket\nport=9999\n",
                "test.cnf:23: [cli] port: 127.0.0.1:9999 is already used by [a]");
        assertErrors("[cli]\ntype=stats_socket\nport=8989\n",
                "test.cnf:3: [cli] port: 127.0.0.1:8989 is already used by the admin REST API ([patchbay] admin_port)");
        assertErrors("[c1]\ntype=stats_socket\naddress=0.0.0.0\nport=9999\n[c2]\ntype=stats_socket\nport=9999\n",
                "test.cnf:7: [c2] port: 127.0.0.1:9999 is already used by [c1] (0.0.0.0:9999)");
        assertErrors("""
                [c1]
                type=stats_socket
                socket=/run/patchbay.sock
                [c2]
                type=stats_socket
                socket=/run/patchbay.sock
                """,
                "test.cnf:6: [c2] socket: '/run/patchbay.sock' is used by another stats_socket");
    }

    @Test
    void portZeroNeverConflicts() {
        assertThat(Cfg.parse("[c1]\ntype=stats_socket\nport=0\n[c2]\ntype=stats_socket\nport=0\n").statsSockets())
                .hasSize(2);
    }

    @Test
    void everyConflictIsReported() {
        assertErrors(Cfg.BACKEND + "\n" + listener("a", "127.0.0.1", 4000) + listener("b", "127.0.0.1", 4000)
                        + listener("c", "127.0.0.1", 4000),
                "test.cnf:25: [b] port: 127.0.0.1:4000 is already used by [a]",
                "test.cnf:31: [c] port: 127.0.0.1:4000 is already used by [a]");
    }
}
