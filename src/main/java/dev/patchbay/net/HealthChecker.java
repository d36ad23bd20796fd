package dev.patchbay.net;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Server;
import dev.patchbay.core.Service;
import dev.patchbay.core.ServiceSettings;
import dev.patchbay.core.Termination;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TCP connect checks: one self-rescheduling task per checked server on a worker loop (the connect
 * is non-blocking). rise/fall decide when a server changes state; changes are logged and, where a
 * service asks for it, the server's sessions are shut down.
 */
public final class HealthChecker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("patchbay.health");

    private final Patchbay patchbay;
    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
    /** Servers with a check task running; each check re-reads its server's settings. */
    private final Set<Server> checked = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    private volatile boolean closed;

    public HealthChecker(Patchbay patchbay) {
        this.patchbay = patchbay;
    }

    public void start() {
        for (Server s : patchbay.servers().values()) {
            watch(s);
        }
    }

    /**
     * Starts checking {@code s} if it has {@code health_check=tcp} and is not checked yet: for servers
     * created or changed at run time. A check task ends by itself when its server is destroyed or its
     * check switched off.
     */
    public void watch(Server s) {
        if (closed || s.retired() || s.healthCheck().kind() != Server.CheckKind.TCP || !checked.add(s)) {
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
        if (s.retired() || hc.kind() != Server.CheckKind.TCP) {
            checked.remove(s);
            return;
        }
        long started = System.nanoTime();
        if (s.address().isUnresolved()) {
            record(s, false, "address does not resolve");
            schedule(loop, s, hc.intervalNanos());
            return;
        }
        new Bootstrap().group(loop)
                .channel(patchbay.transport().socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(hc.timeoutNanos())))
                .handler(new ChannelInboundHandlerAdapter())
                .connect(s.address())
                .addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        f.channel().close();
                        record(s, true, "connect ok in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + "ms");
                    } else {
                        Throwable c = f.cause();
                        record(s, false, c instanceof io.netty.channel.ConnectTimeoutException ? "connect timeout"
                                : String.valueOf(c.getMessage()));
                    }
                    schedule(loop, s, Math.max(0, hc.intervalNanos() - (System.nanoTime() - started)));
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
