package dev.patchbay.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RouterTest {
    private static final Server.HealthCheck NO_CHECK = new Server.HealthCheck(Server.CheckKind.NONE, 0, 0, 1, 1);

    private static Server server(String name, int weight, int max) {
        return new Server(name, 1, "127.0.0.1", 1, new InetSocketAddress("127.0.0.1", 1), weight, max, NO_CHECK);
    }

    private static Service service(ServiceSettings.RouterKind kind, Server... servers) {
        return new Service("svc", 1, new ServiceSettings(kind, 1, 0, 0, 1, 0, 0,
                ServiceSettings.WhenFull.QUEUE, ServiceSettings.OnServerDown.NONE), List.of(servers));
    }

    private static Map<String, Integer> pick(Service svc, int n, boolean release) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Server s = svc.acquireServer(new InetSocketAddress("127.0.0.1", 40000 + i), List.of());
            counts.merge(s.name(), 1, Integer::sum);
            if (release) {
                s.release();
            }
        }
        return counts;
    }

    @Test
    void roundRobinHonoursWeightsExactlyAndSmoothly() {
        Service svc = service(ServiceSettings.RouterKind.ROUNDROBIN, server("a", 1, 0), server("b", 2, 0), server("c", 3, 0));
        assertThat(pick(svc, 600, true)).containsEntry("a", 100).containsEntry("b", 200).containsEntry("c", 300);
        StringBuilder seq = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            Server s = svc.acquireServer(null, List.of());
            seq.append(s.name());
            s.release();
        }
        // Smooth: every window of 6 picks has each server as often as its weight, never in a long run.
        assertThat(seq.chars().filter(ch -> ch == 'c').count()).isEqualTo(3);
        assertThat(seq.toString()).doesNotContain("ccc");
    }

    @Test
    void weightZeroServersGetNoNewSessions() {
        Service svc = service(ServiceSettings.RouterKind.ROUNDROBIN, server("a", 0, 0), server("b", 1, 0));
        assertThat(pick(svc, 10, true)).containsOnlyKeys("b");
    }

    @Test
    void leastConnBalancesHeldConnectionsByWeight() {
        Service svc = service(ServiceSettings.RouterKind.LEASTCONN, server("a", 1, 0), server("b", 3, 0));
        Map<String, Integer> held = pick(svc, 400, false);
        assertThat(held.get("a")).isEqualTo(100);
        assertThat(held.get("b")).isEqualTo(300);
    }

    @Test
    void leastConnPrefersTheServerThatFreedConnections() {
        Server a = server("a", 1, 0);
        Server b = server("b", 1, 0);
        Service svc = service(ServiceSettings.RouterKind.LEASTCONN, a, b);
        pick(svc, 10, false);
        for (int i = 0; i < 5; i++) {
            a.release();
        }
        assertThat(pick(svc, 5, false)).containsOnlyKeys("a");
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void sourceHashIsStablePerClientAndSpreadsClients(long seed) throws Exception {
        Service svc = service(ServiceSettings.RouterKind.SOURCE, server("a", 1, 0), server("b", 1, 0), server("c", 2, 0));
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 4000; i++) {
            byte[] ip = {10, (byte) rnd.nextInt(256), (byte) rnd.nextInt(256), (byte) rnd.nextInt(256)};
            InetAddress addr = InetAddress.getByAddress(ip);
            Server first = svc.acquireServer(new InetSocketAddress(addr, 1000 + i), List.of());
            first.release();
            Server again = svc.acquireServer(new InetSocketAddress(addr, 2000 + i), List.of());
            again.release();
            assertThat(again).isSameAs(first);
            counts.merge(first.name(), 1, Integer::sum);
        }
        // Weights 1:1:2, within a few percent.
        assertThat(counts.get("c")).isBetween(1800, 2200);
        assertThat(counts.get("a")).isBetween(850, 1150);
        assertThat(counts.get("b")).isBetween(850, 1150);
    }

    @Test
    void firstFillsServersInOrderUpToMaxConnections() {
        Service svc = service(ServiceSettings.RouterKind.FIRST, server("a", 1, 3), server("b", 1, 2), server("c", 1, 0));
        assertThat(pick(svc, 7, false)).containsEntry("a", 3).containsEntry("b", 2).containsEntry("c", 2);
    }

    @Test
    void downDrainingAndMaintenanceServersAreSkipped() {
        Server a = server("a", 1, 0);
        Server b = server("b", 1, 0);
        Server c = server("c", 1, 0);
        Service svc = service(ServiceSettings.RouterKind.ROUNDROBIN, a, b, c);
        a.setAdminState(Server.AdminState.DRAIN);
        b.setAdminState(Server.AdminState.MAINTENANCE);
        assertThat(pick(svc, 5, true)).containsOnlyKeys("c");
        c.recordCheck(false, "x");
        assertThat(svc.acquireServer(null, List.of())).isNull();
        assertThat(svc.hasNoUsableServer()).isTrue();
    }

    @Test
    void excludedServersAreUsedOnlyWhenNothingElseIsLeft() {
        Server a = server("a", 1, 0);
        Server b = server("b", 1, 0);
        Service svc = service(ServiceSettings.RouterKind.FIRST, a, b);
        assertThat(svc.acquireServer(null, List.of(a))).isSameAs(b);
        assertThat(svc.acquireServer(null, List.of(a, b))).isNotNull();
    }
}
