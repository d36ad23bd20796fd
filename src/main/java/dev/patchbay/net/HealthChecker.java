package dev.patchbay.net;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Server;
import dev.patchbay.core.Service;
import dev.patchbay.core.ServiceSettings;
import dev.patchbay.core.Termination;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server checks: one self-rescheduling task per checked server on a worker loop, running the probe
 * of the server's check kind (a non-blocking TCP connect here; a MariaDB login is plugged in by the
 * mariadb package). rise/fall decide when a server changes state; changes are logged and, where a
 * service asks for it, the server's sessions are shut down.
 */
public final class HealthChecker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("patchbay.health");

    /** One check of one server, started on {@code loop}; reports exactly once, on that loop. */
    public interface Probe {
        void run(EventLoop loop, Server server, Server.HealthCheck check, Result result);
    }

    /** A probe's outcome: {@code ok} and what to show (REST health_check_result, runtime API check_desc). */
    public interface Result {
        void report(boolean ok, String description);
    }

    private final Patchbay patchbay;
    private final Map<Server.CheckKind, Probe> probes = new EnumMap<>(Server.CheckKind.class);
    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
    /** Servers with a check task running; each check re-reads its server's settings. */
    private final Set<Server> checked = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    private volatile boolean closed;

    /** {@code more}: probes for check kinds other than {@code tcp}. */
    public HealthChecker(Patchbay patchbay, Map<Server.CheckKind, Probe> more) {
        this.patchbay = patchbay;
        probes.put(Server.CheckKind.TCP, this::connect);
        probes.putAll(more);
    }

    public void start() {
        for (Server s : patchbay.servers().values()) {
            watch(s);
        }
    }

    /**
     * Starts checking {@code s} if it has a health check and is not checked yet: for servers
     * created or changed at run time. A check task ends by itself when its server is destroyed or its
     * check switched off.
     */
    public void watch(Server s) {
        if (closed || s.retired() || !probes.containsKey(s.healthCheck().kind()) || !checked.add(s)) {
            return;
        }
        schedule(patchbay.workers().next(), s, 0);
    }

    private void schedule(EventLoop loop, Server s, long delayNanos) {
        if (closed) {
            return;
        }
        synchronized (tasks) {
            tasks.removeIf(ScheduledFuture::isDone);
            tasks.add(loop.schedule(() -> check(loop, s), delayNanos, TimeUnit.NANOSECONDS));
        }
    }

    private void check(EventLoop loop, Server s) {
        Server.HealthCheck hc = s.healthCheck();
        Probe probe = probes.get(hc.kind());
        if (s.retired() || probe == null) {
            checked.remove(s);
            return;
        }
        long started = System.nanoTime();
        if (s.address().isUnresolved()) {
            record(s, false, "address does not resolve");
            schedule(loop, s, hc.intervalNanos());
            return;
        }
        boolean[] reported = {false};
        try {
            probe.run(loop, s, hc, (ok, description) -> {
                if (!reported[0]) {
                    reported[0] = true;
                    record(s, ok, description);
                    schedule(loop, s, Math.max(0, hc.intervalNanos() - (System.nanoTime() - started)));
                }
            });
        } catch (RuntimeException e) {
            // A probe that throws must not end the server's checks.
            log.warn("Health check of server {} failed: {}", s.name(), e.toString());
            if (!reported[0]) {
                reported[0] = true;
                record(s, false, e.toString());
                schedule(loop, s, hc.intervalNanos());
            }
        }
    }

    /** {@code health_check=tcp}: the server accepts a connection within the timeout. */
    private void connect(EventLoop loop, Server s, Server.HealthCheck hc, Result result) {
        long started = System.nanoTime();
        patchbay.transport().connect(loop, s.address(), hc.timeoutNanos(), new ChannelInboundHandlerAdapter())
                .addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        f.channel().close();
                        result.report(true, "connect ok in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + "ms");
                    } else {
                        result.report(false, Transport.connectFailure(f.cause()));
                    }
                });
    }

    private void record(Server s, boolean ok, String result) {
        Server.Health changed = s.recordCheck(ok, result);
        if (changed == Server.Health.DOWN) {
            log.warn("Server {} is DOWN: {} ({} failed checks); {} active sessions", s.name(), result,
                    s.healthCheck().fall(), s.connections());
            patchbay.sessions().killAll(
                    x -> x.server() == s && x.service() != null
                            && x.service().settings().onServerDown() == ServiceSettings.OnServerDown.SHUTDOWN_SESSIONS,
                    new Termination(Termination.Cause.SERVER_DOWN, s.name()));
        } else if (changed == Server.Health.UP) {
            log.info("Server {} is UP: {} ({} good checks)", s.name(), result, s.healthCheck().rise());
            for (Service svc : patchbay.services().values()) {
                if (svc.servers().contains(s)) {
                    svc.wakeAll();
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (tasks) {
            tasks.forEach(t -> t.cancel(false));
            tasks.clear();
        }
    }
}
