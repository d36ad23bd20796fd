package dev.patchbay.metrics;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Frontend;
import dev.patchbay.core.Server;
import dev.patchbay.core.Service;
import dev.patchbay.core.Session;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;

/**
 * Prometheus metrics of one Patchbay, read from the model's own counters at scrape time (callback
 * collectors: nothing is counted twice and the runtime API, the REST API and Prometheus agree).
 *
 * <p>Byte totals are the one figure the model keeps only per session: a closed session's bytes are
 * added here when it closes ({@link #sessionClosed(Session)}, fed by the registry's close
 * notification) and live sessions are summed at scrape time, so the exported value is exact and
 * never goes down.
 */
public final class PatchbayMetrics {
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private final Patchbay patchbay;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Counter adminActions;
    private final Counter authFailures;
    /** Bytes of closed sessions, by "listener\0service\0direction". */
    private final Map<String, LongAdder> closedBytes = new ConcurrentHashMap<>();
    /** Last exported byte totals, so a session caught between registry and closed totals never makes them drop. */
    private final Map<String, Double> lastBytes = new ConcurrentHashMap<>();

    public PatchbayMetrics(Patchbay patchbay) {
        this.patchbay = patchbay;
        register();
        adminActions = Counter.builder()
                .name("patchbay_admin_actions")
                .help("REST API writes that succeeded, by kind (session_kill, session_patch, server_set, ...)")
                .labelNames("action")
                .register(registry);
        authFailures = Counter.builder()
                .name("patchbay_admin_auth_failures")
                .help("Failed REST API authentication attempts")
                .register(registry);
        authFailures.inc(0);
    }

    /** Counts one successful admin write of kind {@code action}. */
    public void adminAction(String action) {
        adminActions.labelValues(action).inc();
    }

    public void authFailure() {
        authFailures.inc();
    }

    /** Adds a finished session's bytes to the totals. Cheap; safe on a data-plane thread. */
    public void sessionClosed(Session s) {
        if (s.service() == null) {
            return;
        }
        String prefix = s.frontend().name() + "\0" + s.service().name() + "\0";
        closedBytes.computeIfAbsent(prefix + "from_client", k -> new LongAdder()).add(s.bytesFromClient());
        closedBytes.computeIfAbsent(prefix + "from_server", k -> new LongAdder()).add(s.bytesFromServer());
    }

    /** The text exposition format (version 0.0.4). */
    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private void register() {
        gauge("patchbay_listener_sessions_current", "Sessions open now, by listener", "listener",
                patchbay.frontends().values(), Frontend::name, f -> f.currentSessions());
        counter("patchbay_listener_sessions", "Sessions accepted since start, by listener", "listener",
                patchbay.frontends().values(), Frontend::name, f -> f.totalSessions());

        gauge("patchbay_service_sessions_current", "Sessions holding a service slot now, by service", "service",
                patchbay.services().values(), Service::name, s -> s.connections());
        counter("patchbay_service_sessions", "Sessions that took a service slot since start, by service", "service",
                patchbay.services().values(), Service::name, s -> s.totalConnections());
        gauge("patchbay_service_queued", "Sessions waiting for a slot now, by service", "service",
                patchbay.services().values(), Service::name, s -> s.queued());
        counter("patchbay_service_refused", "Sessions refused at max_connections (when_full=refuse), by service",
                "service", patchbay.services().values(), Service::name, s -> s.refused());

        gauge("patchbay_server_connections_current", "Sessions connected or connecting to the server now", "server",
                patchbay.servers().values(), Server::name, s -> s.connections());
        counter("patchbay_server_connections", "Connections to the server since start", "server",
                patchbay.servers().values(), Server::name, s -> s.totalConnections());
        counter("patchbay_server_connect_errors", "Failed connection attempts to the server", "server",
                patchbay.servers().values(), Server::name, s -> s.connectFailures());
        gauge("patchbay_server_up", "1 when the health check says the server is up, else 0", "server",
                patchbay.servers().values(), Server::name, s -> s.health() == Server.Health.UP ? 1 : 0);
        GaugeWithCallback.builder()
                .name("patchbay_server_admin_state")
                .help("1 for the server's operator-set state: ready, drain or maintenance")
                .labelNames("server", "state")
                .callback(cb -> {
                    for (Server s : patchbay.servers().values()) {
                        for (Server.AdminState st : Server.AdminState.values()) {
                            cb.call(s.adminState() == st ? 1 : 0, s.name(), st.name().toLowerCase(java.util.Locale.ROOT));
                        }
                    }
                })
                .register(registry);

        CounterWithCallback.builder()
                .name("patchbay_session_bytes")
                .help("Bytes relayed, by listener, service and direction (from_client, from_server)")
                .labelNames("listener", "service", "direction")
                .callback(cb -> {
                    Map<String, Double> now = new HashMap<>();
                    for (Frontend f : patchbay.frontends().values()) {
                        if (f.service() != null) {
                            String p = f.name() + "\0" + f.service().name() + "\0";
                            now.put(p + "from_client", 0.0);
                            now.put(p + "from_server", 0.0);
                        }
                    }
                    closedBytes.forEach((k, v) -> now.merge(k, (double) v.sum(), Double::sum));
                    for (Session s : patchbay.sessions().snapshot()) {
                        if (s.service() != null) {
                            String p = s.frontend().name() + "\0" + s.service().name() + "\0";
                            now.merge(p + "from_client", (double) s.bytesFromClient(), Double::sum);
                            now.merge(p + "from_server", (double) s.bytesFromServer(), Double::sum);
                        }
                    }
                    for (Map.Entry<String, Double> e : now.entrySet()) {
                        double v = lastBytes.merge(e.getKey(), e.getValue(), Math::max);
                        String[] l = e.getKey().split("\0", -1);
                        cb.call(v, l[0], l[1], l[2]);
                    }
                })
                .register(registry);

        GaugeWithCallback.builder()
                .name("patchbay_start_time_seconds")
                .help("When this Patchbay started, seconds since the epoch")
                .callback(cb -> cb.call(patchbay.startedEpochMillis() / 1000.0))
                .register(registry);
    }

    private <T> void gauge(String name, String help, String label, java.util.Collection<T> items,
                           java.util.function.Function<T, String> labelOf, ToDoubleFunction<T> value) {
        List<T> list = List.copyOf(items);
        GaugeWithCallback.builder().name(name).help(help).labelNames(label)
                .callback(cb -> list.forEach(i -> cb.call(value.applyAsDouble(i), labelOf.apply(i))))
                .register(registry);
    }

    private <T> void counter(String name, String help, String label, java.util.Collection<T> items,
                             java.util.function.Function<T, String> labelOf, ToDoubleFunction<T> value) {
        List<T> list = List.copyOf(items);
        CounterWithCallback.builder().name(name).help(help).labelNames(label)
                .callback(cb -> list.forEach(i -> cb.call(value.applyAsDouble(i), labelOf.apply(i))))
                .register(registry);
    }
}
