package dev.patchbay.admin.rest;

import dev.patchbay.core.Session;
import dev.patchbay.core.SessionRegistry;
import dev.patchbay.core.Termination;
import io.netty.util.concurrent.EventExecutor;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Passes the registry's open and close notifications to the REST API's listeners: openings on the
 * REST loop (they build JSON), closings on the session's own loop (they only read counters).
 * Runtime API connections are not REST sessions and are left out.
 */
final class SessionWatcher implements SessionRegistry.Listener {

    interface Listener {
        /** On the REST loop. */
        void opened(Session s);

        /** On the session's own event loop: keep it short. */
        void closed(Session s, Termination t);
    }

    private final SessionRegistry registry;
    private final EventExecutor loop;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    SessionWatcher(SessionRegistry registry, EventExecutor loop) {
        this.registry = registry;
        this.loop = loop;
    }

    void addListener(Listener l) {
        listeners.add(l);
    }

    void start() {
        registry.addListener(this);
    }

    void stop() {
        registry.removeListener(this);
    }

    @Override
    public void opened(Session s) {
        if (SessionDocs.listed(s) && !listeners.isEmpty()) {
            loop.execute(() -> listeners.forEach(l -> l.opened(s)));
        }
    }

    @Override
    public void closed(Session s, Termination t) {
        if (SessionDocs.listed(s)) {
            listeners.forEach(l -> l.closed(s, t));
        }
    }
}
