package dev.patchbay.admin.rest;

import dev.patchbay.core.Session;
import dev.patchbay.core.SessionRegistry;
import dev.patchbay.core.Termination;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Notices sessions opening and closing without a hook in the data plane. Every {@link #POLL_MILLIS}
 * ms it looks at the ids handed out since the last poll (ids only grow, so this costs O(new sessions),
 * not O(all)); each new session gets a listener on its close future, which reports the close the
 * moment it happens. A session that opened and closed between two polls is reported as missed: its
 * object is already gone.
 */
final class SessionWatcher {
    static final long POLL_MILLIS = 100;

    interface Listener {
        /** On the REST loop. */
        void opened(Session s);

        /** On the session's own event loop: keep it short. */
        void closed(Session s, Termination t);

        /** On the REST loop: session {@code id} came and went between two polls. */
        void missed(long id);
    }

    private final SessionRegistry registry;
    private final EventExecutor loop;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private long lastSeen;
    private ScheduledFuture<?> task;

    SessionWatcher(SessionRegistry registry, EventExecutor loop) {
        this.registry = registry;
        this.loop = loop;
    }

    void addListener(Listener l) {
        listeners.add(l);
    }

    void removeListener(Listener l) {
        listeners.remove(l);
    }

    /** Starts watching; sessions that exist already are watched for their close only. */
    void start() {
        loop.execute(() -> {
            lastSeen = registry.lastId();
            for (Session s : registry.snapshot(lastSeen)) {
                watchClose(s);
            }
            task = loop.scheduleWithFixedDelay(this::poll, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
        });
    }

    void stop() {
        ScheduledFuture<?> t = task;
        if (t != null) {
            t.cancel(false);
        }
    }

    private void poll() {
        long last = registry.lastId();
        for (long id = lastSeen + 1; id <= last; id++) {
            Session s = registry.get(id);
            if (s == null) {
                for (Listener l : listeners) {
                    l.missed(id);
                }
                continue;
            }
            if (!SessionDocs.listed(s)) {
                continue;
            }
            for (Listener l : listeners) {
                l.opened(s);
            }
            watchClose(s);
        }
        lastSeen = last;
    }

    private void watchClose(Session s) {
        if (!SessionDocs.listed(s)) {
            return;
        }
        s.closedFuture().whenComplete((t, err) -> {
            for (Listener l : listeners) {
                l.closed(s, t);
            }
        });
    }
}
