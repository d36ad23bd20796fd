package dev.patchbay.core;

import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Every live session of the process, by id. Ids come from one 64-bit counter starting at 1 and
 * are never reused, so an id an operator copied can never hit a newer session.
 */
public final class SessionRegistry {

    private final AtomicLong lastId = new AtomicLong();
    private final ConcurrentHashMap<Long, Session> sessions = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();

    /**
     * Told of every session opening and closing. Both calls run on the session's event loop, so
     * implementations hand work to their own thread and return at once.
     */
    public interface Listener {
        default void opened(Session s) {}

        default void closed(Session s, Termination t) {}
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    public void removeListener(Listener l) {
        listeners.remove(l);
    }

    /** Creates and registers a session for a connection just accepted. */
    public Session open(Frontend frontend, SocketAddress client, SocketAddress local, SessionIo io,
                        SessionState initial) {
        long id = lastId.incrementAndGet();
        Session s = new Session(this, id, frontend, frontend.service(), client, local, io, initial);
        sessions.put(id, s);
        frontend.sessionOpened();
        for (Listener l : listeners) {
            l.opened(s);
        }
        return s;
    }

    void remove(Session s, Termination t) {
        if (sessions.remove(s.id(), s)) {
            s.frontend().sessionClosed();
            for (Listener l : listeners) {
                l.closed(s, t);
            }
        }
    }

    public Session get(long id) {
        return sessions.get(id);
    }

    public int size() {
        return sessions.size();
    }

    /** The highest id handed out so far; sessions with a larger id were created after this call. */
    public long lastId() {
        return lastId.get();
    }

    /** Live sessions with id &lt;= {@code upToId}, oldest first. Copies references, not state. */
    public List<Session> snapshot(long upToId) {
        List<Session> list = new ArrayList<>(sessions.size());
        for (Session s : sessions.values()) {
            if (s.id() <= upToId) {
                list.add(s);
            }
        }
        list.sort(Comparator.comparingLong(Session::id));
        return list;
    }

    public List<Session> snapshot() {
        return snapshot(Long.MAX_VALUE);
    }

    /**
     * Kills every live session matching {@code which}; the future completes when all of them are
     * closed, with the number killed.
     */
    public CompletableFuture<Integer> killAll(Predicate<Session> which, Termination why) {
        List<CompletableFuture<Termination>> closing = new ArrayList<>();
        for (Session s : sessions.values()) {
            if (which.test(s)) {
                closing.add(s.kill(why));
            }
        }
        return CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).thenApply(v -> closing.size());
    }
}
