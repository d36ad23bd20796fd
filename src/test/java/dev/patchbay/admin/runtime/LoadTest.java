package dev.patchbay.admin.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.core.Session;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Thousands of live sessions dumped while traffic flows: streamed, bounded, complete. */
@Timeout(120)
class LoadTest {
    static final int SESSIONS = 2_000;

    @Test
    void dumpStreamsWithBoundedMemoryWhileTrafficFlows() throws Exception {
        try (Rig rig = Rig.start()) {
            List<Socket> clients = new ArrayList<>(SESSIONS);
            for (int i = 0; i < SESSIONS; i++) {
                Socket s = rig.client("fe_tcp");
                Rig.ping(s);
                clients.add(s);
            }
            AtomicBoolean run = new AtomicBoolean(true);
            AtomicLong pings = new AtomicLong();
            Thread traffic = new Thread(() -> {
                try {
                    while (run.get()) {
                        for (int i = 0; i < 50; i++) {
                            Rig.ping(clients.get(i));
                            pings.incrementAndGet();
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "traffic");
            traffic.start();
            try (Rig.Conn cli = rig.connect("admin")) {
                cli.send("show sess\n");
                // The reader is slow: the answer must wait in chunks, not pile up in memory.
                Thread.sleep(500);
                Session own = rig.pb.sessions().snapshot().stream()
                        .filter(s -> s.io() instanceof CliHandler).findFirst().orElseThrow();
                long pending = own.io().clientPendingWriteBytes();
                assertThat(pending).isLessThan(256 * 1024);
                String out = cli.readToEof();
                assertThat(out.length()).isGreaterThan(SESSIONS * 250);
                String[] lines = out.substring(0, out.length() - 2).split("\n");
                assertThat(Arrays.stream(lines).filter(l -> l.contains(" fe=fe_tcp ")).count()).isEqualTo(SESSIONS);
                for (String l : lines) {
                    assertThat(l).matches(ShowSessTest.SHORT);
                }
            }
            String all = rig.ask("oper", "show sess all\n");
            assertThat(Arrays.stream(all.split("\n")).filter(l -> l.matches("0x[0-9a-f]+: \\[.*")).count())
                    .isEqualTo(SESSIONS + 1);
            run.set(false);
            traffic.join(10_000);
            assertThat(pings.get()).isPositive();
            assertThat(rig.ask("admin", "shutdown sessions backend svc\n")).isEqualTo("\n");
            assertThat(rig.pb.sessions().size()).isZero();
        }
    }
}
