package dev.patchbay.admin.runtime;

import dev.patchbay.Patchbay;
import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Session;
import dev.patchbay.core.Termination;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HAProxy-compatible runtime API: every configured {@code stats_socket}, each a listener of
 * the GLOBAL frontend, served on the admin event loop (never a data-plane loop).
 */
public final class RuntimeApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RuntimeApi.class);

    private final Patchbay patchbay;
    private final List<StatsSocket> sockets = new ArrayList<>();
    private final DumpEpochs epochs = new DumpEpochs();
    private final Keywords keywords = Commands.build(epochs);

    public RuntimeApi(Patchbay patchbay) {
        this.patchbay = patchbay;
        int index = 1;
        for (PatchbayConfig.StatsSocketConfig c : patchbay.config().statsSockets()) {
            sockets.add(new StatsSocket(this, c, index++));
        }
    }

    /** Binds every stats socket; throws if one cannot be bound (the others are closed again). */
    public void start() throws Exception {
        try {
            for (StatsSocket s : sockets) {
                s.bind(keywords);
            }
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    /** The address a stats socket is bound to, by section name (the real port when configured with 0). */
    public SocketAddress boundAddress(String socketName) {
        for (StatsSocket s : sockets) {
            if (s.config().name().equals(socketName)) {
                return s.boundAddress();
            }
        }
        throw new IllegalArgumentException("no stats_socket " + socketName);
    }

    Patchbay patchbay() {
        return patchbay;
    }

    List<StatsSocket> sockets() {
        return Collections.unmodifiableList(sockets);
    }

    Keywords keywords() {
        return keywords;
    }

    /** Stops accepting, then closes the open CLI connections (waiting briefly unless on the admin loop). */
    @Override
    public void close() {
        for (StatsSocket s : sockets) {
            s.close();
        }
        List<CompletableFuture<Termination>> closing = new ArrayList<>();
        for (Session s : patchbay.sessions().snapshot()) {
            if (s.io() instanceof CliHandler) {
                closing.add(s.kill(Termination.of(Termination.Cause.SHUTDOWN)));
            }
        }
        if (closing.isEmpty() || patchbay.adminGroup() == null || patchbay.adminGroup().next().inEventLoop()) {
            return;
        }
        try {
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("Runtime API connections still closing at stop: {}", e.toString());
        }
    }
}
