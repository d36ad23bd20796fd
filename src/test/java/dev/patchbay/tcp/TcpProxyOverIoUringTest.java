package dev.patchbay.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.Patchbay;
import dev.patchbay.testing.Proxy;
import io.netty.channel.uring.IoUring;

/**
 * Every TCP proxy test again on {@code transport=io_uring}: byte-exact relaying, half-close both ways,
 * backpressure both ways, the registry, kills. The machine running the tests must allow io_uring (Linux 5.9+,
 * not blocked by seccomp); where it does not, every test here fails with the reason.
 */
class TcpProxyOverIoUringTest extends TcpProxyTest {
    @Override
    protected Patchbay start(String ini) throws Exception {
        assertThat(IoUring.unavailabilityCause()).as("io_uring on this machine").isNull();
        Patchbay p = Proxy.start("[patchbay]\ntransport=io_uring\nadmin_enabled=false\naccess_log=stdout\n\n" + ini);
        assertThat(p.transport().name()).isEqualTo("io_uring");
        return p;
    }

    @Override
    protected boolean resetEndsAPausedSession() {
        return false;
    }
}
