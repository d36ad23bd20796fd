package dev.patchbay.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

/** Socket errors in termination reasons and client errors: the kernel's words, not Netty's native call names. */
class IoProblemTest {

    @Test
    void theNativeCallNameIsLeftOut() {
        assertThat(ProxiedSession.ioProblem(new IOException("recvAddress(..) failed with error(-104): Connection reset by peer")))
                .isEqualTo("Connection reset by peer");
        assertThat(ProxiedSession.ioProblem(new IOException("writevAddresses(..) failed: Broken pipe")))
                .isEqualTo("Broken pipe");
        assertThat(ProxiedSession.ioProblem(new IOException("Connection reset by peer"))).isEqualTo("Connection reset by peer");
        assertThat(ProxiedSession.ioProblem(new IOException())).isEqualTo("IOException");
        assertThat(ProxiedSession.ioProblem(new IllegalStateException("f(..) failed: x"))).as("not a socket error")
                .isEqualTo("f(..) failed: x");
        assertThat(ProxiedSession.describe(new ConnectException("connect(..) failed: Connection refused")))
                .isEqualTo("connection refused");
        assertThat(ProxiedSession.describe(new ConnectException("connect(..) failed: No route to host")))
                .isEqualTo("No route to host");
    }
}
