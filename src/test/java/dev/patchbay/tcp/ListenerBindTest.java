package dev.patchbay.tcp;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.patchbay.testing.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** A listener that cannot listen stops the start with a reason an operator can act on. */
class ListenerBindTest {

    private static String config(String address, int port) {
        return "[s1]\ntype=server\naddress=127.0.0.1\nport=1\nhealth_check=none\n\n[svc]\ntype=service\nservers=s1\n\n"
                + "[l1]\ntype=listener\nservice=svc\naddress=" + address + "\nport=" + port + "\n";
    }

    @Test
    void aPortInUseAndAHostThatDoesNotResolveAreNamed() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> Proxy.start(config("127.0.0.1", taken.getLocalPort())))
                    .hasMessageStartingWith("listener [l1] cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": ")
                    .hasMessageContaining("in use");
        }
        assertThatThrownBy(() -> Proxy.start(config("no.such.host.invalid", 0)))
                .hasMessage("listener [l1] cannot listen on no.such.host.invalid:0: the host name does not resolve");
    }
}
