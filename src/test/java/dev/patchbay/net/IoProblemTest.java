package dev.patchbay.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

/** Socket errors in termination reasons and client errors: the kernel's words, not Netty's native call names. */
class IoProblemTest {

    @Test
    void theNativeCallNameIsLeftOut() {
        assertThat(Transport.ioProblem(new IOException("recvAddress(..) failed with error(-104): Connection reset by peer")))
                .isEqualTo("Connection reset by peer");
        assertThat(Transport.ioProblem(new IOException("io_uring read(..) failed with error(-104): Connection reset by peer")))
                .isEqualTo("Connection reset by peer");
        assertThat(Transport.ioProblem(new IOException("writevAddresses(..) failed: Broken pipe")))
                .isEqualTo("Broken pipe");
        assertThat(Transport.ioProblem(new IOException("Connection reset by peer"))).isEqualTo("Connection reset by peer");
        assertThat(Transport.ioProblem(new IOException())).isEqualTo("IOException");
        assertThat(Transport.ioProblem(new IllegalStateException("f(..) failed: x"))).as("not a socket error")
                .isEqualTo("f(..) failed: x");
        assertThat(ProxiedSession.describe(new ConnectException("connect(..) failed: Connection refused")))
                .isEqualTo("connection refused");
        assertThat(ProxiedSession.describe(new ConnectException("connect(..) failed: No route to host")))
                .isEqualTo("No route to host");
    }

    @Test
    void aHealthCheckConnectFailureShowsTheKernelsWords() {
        assertThat(Transport.connectFailure(new ConnectException(
                "finishConnect(..) failed with error(-111): Connection refused: 127.0.0.1/127.0.0.1:29619")))
                .isEqualTo("Connection refused: 127.0.0.1/127.0.0.1:29619");
        assertThat(Transport.connectFailure(new io.netty.channel.ConnectTimeoutException("connection timed out")))
                .isEqualTo("connect timeout");
        assertThat(Transport.connectFailure(new ConnectException("Connection refused")))
                .isEqualTo("Connection refused");
    }

    @Test
    void aBindFailureShowsTheKernelsWords() {
        assertThat(SocketListener.bindProblem(new java.net.BindException(
                "bind(..) failed with error(-98): Address already in use")))
                .isEqualTo("Address already in use");
        assertThat(SocketListener.bindProblem(new java.net.BindException("Address already in use")))
                .isEqualTo("Address already in use");
        assertThat(SocketListener.bindProblem(new java.nio.channels.UnresolvedAddressException()))
                .isEqualTo("the host name does not resolve");
    }
}
