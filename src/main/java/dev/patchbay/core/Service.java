package dev.patchbay.core;

import java.net.SocketAddress;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.LongAdder;

/**
 * A service (HAProxy backend): servers, a router and the rules for connecting to them. Slot
 * accounting (service and server max_connections) and the wait queue live here so that every
 * protocol handler gets the same behaviour.
 *
 * <p>What can change at run time (settings, servers, filters) is one immutable {@link Snapshot}
 * published through a volatile reference: the data plane reads it without a lock, a change replaces
 * it whole, and each session keeps the snapshot it started with until it is restarted.
 */
public final class Service {

    /** A queued session's retry hook; {@link #resume()} runs on that session's event loop. */
    public interface Waiter {
        Session session();

        void resume();
    }

    /**
     * One configuration of the service: its settings, its servers in order, the router they are
     * chosen by, its filter chain, and the configuration generation that published it.
     */
    public record Snapshot(ServiceSettings settings, List<Server> servers, Router router,
                           List<FilterDef> filters, long generation) {
        public Snapshot {
            servers = List.copyOf(servers);
            filters = List.copyOf(filters);
            Objects.requireNonNull(settings);
            Objects.requireNonNull(router);
        }
    }

    private final String name;
    private final int id;
    private volatile Snapshot current;
    private volatile boolean retired;
    private final Slots connections;
    private final LongAdder refused = new LongAdder();
    private final ConcurrentLinkedDeque<Waiter> queue = new ConcurrentLinkedDeque<>();

    public Service(String name, int id, ServiceSettings settings, List<Server> servers) {
        this(name, id, settings, servers, List.of(), 1);
    }

    public Service(String name, int id, ServiceSettings settings, List<Server> servers, List<FilterDef> filters,
                   long generation) {
        this.name = name;
        this.id = id;
        this.current = new Snapshot(settings, servers, Router.of(settings), filters, generation);
        // The limit is read at each acquire, so a change of max_connections applies at once.
        this.connections = new Slots(() -> current.settings().maxConnections());
    }

    /** The configuration new sessions get. */
    public Snapshot snapshot() {
        return current;
    }

    /**
     * Publishes a new configuration. New sessions and restarts use it at once; live sessions keep theirs.
     * The router keeps its state (round-robin position) when its settings do not change. Waiters are
     * woken: a server may have been added or a limit raised.
     */
    public void update(ServiceSettings settings, List<Server> servers, List<FilterDef> filters, long generation) {
        Snapshot old = current;
        Router router = sameRouting(old.settings(), settings) ? old.router() : Router.of(settings);
        current = new Snapshot(settings, servers, router, filters, generation);
        wakeAll();
    }

    private static boolean sameRouting(ServiceSettings a, ServiceSettings b) {
        return a.router() == b.router() && Objects.equals(a.routerOptions(), b.routerOptions());
    }

    /** The service was destroyed at run time: its sessions go on but can no longer be restarted. */
    public void retire() {
        retired = true;
    }

    public boolean retired() {
        return retired;
    }

    public String name() {
        return name;
    }

    public int id() {
        return id;
    }

    /** The current settings (a session uses {@link Session#serviceSettings()}, its own snapshot's). */
    public ServiceSettings settings() {
        return current.settings();
    }

    public List<Server> servers() {
        return current.servers();
    }

    public List<FilterDef> filters() {
        return current.filters();
    }

    public Server server(String name) {
        for (Server s : current.servers()) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    public int connections() {
        return connections.taken();
    }

    public long totalConnections() {
        return connections.total();
    }

    public long refused() {
        return refused.sum();
    }

    public int queued() {
        return queue.size();
    }

    public Collection<Waiter> waiters() {
        return queue;
    }

    public void recordRefused() {
        refused.increment();
    }

    /** Takes a service-level slot under max_connections. */
    public boolean tryAcquire() {
        return connections.tryAcquire();
    }

    public void release() {
        connections.release();
        wakeOne();
    }

    /**
     * Picks a server that accepts new sessions and takes a slot on it; servers in {@code exclude}
     * (already failed for this session) are used only when nothing else is left.
     *
     * @return the server with a slot held, or null when every usable server is full (or none is up)
     */
    public Server acquireServer(SocketAddress client, Collection<Server> exclude) {
        Server s = acquireFrom(client, exclude, false);
        return s != null || exclude.isEmpty() ? s : acquireFrom(client, exclude, true);
    }

    private Server acquireFrom(SocketAddress client, Collection<Server> exclude, boolean allowExcluded) {
        Snapshot snap = current;
        List<Server> servers = snap.servers();
        Router router = snap.router();
        for (int attempt = 0; attempt < servers.size() + 1; attempt++) {
            List<Server> candidates = new java.util.ArrayList<>(servers.size());
            for (Server s : servers) {
                if (s.acceptsNewSessions() && !s.isFull() && (allowExcluded || !exclude.contains(s))
                        && router.eligible(s, servers)) {
                    candidates.add(s);
                }
            }
            if (candidates.isEmpty()) {
                return null;
            }
            Server chosen = router.choose(candidates, client);
            if (chosen.tryAcquire()) {
                return chosen;
            }
            // Lost a race for the last slot; look again.
        }
        return null;
    }

    /** True when no server is up at all, so queueing would be pointless. */
    public boolean hasNoUsableServer() {
        Snapshot snap = current;
        List<Server> servers = snap.servers();
        Router router = snap.router();
        for (Server s : servers) {
            if (s.acceptsNewSessions() && router.eligible(s, servers)) {
                return false;
            }
        }
        return true;
    }

    /** A server slot was freed: the next queued session gets a chance. */
    public void serverSlotFreed() {
        wakeOne();
    }

    /** Something changed for every waiter (a server came up): all of them try again. */
    public void wakeAll() {
        // Drain first: a waiter resumed inline on this thread may requeue itself.
        java.util.List<Waiter> all = new java.util.ArrayList<>();
        Waiter w;
        while ((w = queue.pollFirst()) != null) {
            all.add(w);
        }
        for (Waiter x : all) {
            x.session().execute(x::resume);
        }
    }

    public void enqueue(Waiter w) {
        queue.addLast(w);
    }

    /** Re-queues at the head a waiter that was woken but could not get a slot. */
    public void requeueFirst(Waiter w) {
        queue.addFirst(w);
    }

    public boolean dequeue(Waiter w) {
        return queue.remove(w);
    }

    private void wakeOne() {
        Waiter w = queue.pollFirst();
        if (w != null) {
            w.session().execute(w::resume);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
