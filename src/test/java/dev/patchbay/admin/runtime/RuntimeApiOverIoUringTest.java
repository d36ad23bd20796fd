package dev.patchbay.admin.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Sessions on io_uring, stats sockets on the admin transport (Transport.forAdmin): the Unix and TCP stats
 * sockets answer as on epoll, list the io_uring sessions and act on them from the admin loop.
 */
@Timeout(60)
class RuntimeApiOverIoUringTest {
    private Rig rig;

    @BeforeEach
    void start() throws Exception {
        rig = Rig.startWithGlobal("transport=io_uring\n");
    }

    @AfterEach
    void stop() throws Exception {
        rig.close();
    }

    @Test
    void statsSocketsListAndShutDownIoUringSessions() throws Exception {
        assertThat(rig.pb.transport().name()).isEqualTo("io_uring");
        assertThat(rig.pb.adminTransport().name()).isEqualTo("epoll");
        Socket c = rig.client("fe_tcp");
        Rig.ping(c);
        String all = rig.ask("admin", "show sess\n");
        // The asking CLI connection itself (Unix socket, half-closed after its command) and the data session.
        assertThat(all).contains("proto=unix_stream src=unix:").contains("proto=tcpv4 src=127.0.0.1:" + c.getLocalPort());
        String id = all.lines().filter(l -> l.contains("src=127.0.0.1:" + c.getLocalPort()))
                .findFirst().orElseThrow().split(":")[0];
        assertThat(rig.ask("oper", "show sess " + id + "\n")).contains("frontend=fe_tcp").contains("backend=svc");
        assertThat(rig.ask("admin", "shutdown session " + id + "\n")).isEqualTo("\n");
        // Answered once the session is closed (the last CLI connection may still be closing).
        assertThat(rig.pb.sessions().get(Long.decode(id))).isNull();
        assertThat(c.getInputStream().read()).isEqualTo(-1);
        await().atMost(Duration.ofSeconds(5)).until(() -> rig.pb.sessions().size() == 0);
    }
}
