package dev.patchbay.core;

import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * What a protocol session implements so that its {@link Session} can be controlled while it runs:
 * kill at an idle moment, restart (new backend connections from the current configuration) and
 * session-level filter chains. Implemented next to {@link SessionIo} by the protocol's session class
 * (TCP mode: {@code TcpSession}; MariaDB mode: its session class). A session whose I/O does not
 * implement it (a runtime API connection) can still be killed, with or without a ttl, but not
 * restarted or filtered.
 *
 * <p>Every method is called on the session's event loop by {@link SessionControl}, which owns the
 * protocol-independent part (requests from both admin interfaces, timers, pending state shown to
 * operators, results and logging). An implementation never blocks.
 */
public interface LiveSession {

    /**
     * Since when (System.nanoTime()) the session has been idle, or -1 while it is busy. Idle means no
     * request in flight and nothing buffered or waiting to be written in either direction.
     * <ul>
     *   <li>TCP mode cannot see requests, so it answers with the time of the last byte read or written
     *   on either side when nothing is pending, and asks for a {@link #quietNanos() quiet interval}.</li>
     *   <li>MariaDB mode: -1 from the moment a client packet starts a command until its response has
     *   been fully relayed, else when that happened (no quiet interval needed).</li>
     * </ul>
     */
    long idleSinceNanos();

    /** How long {@link #idleSinceNanos()} must lie in the past before the session counts as idle (0: at once). */
    long quietNanos();

    /**
     * True while a transaction is open or ending on a backend (MariaDB: server status IN_TRANS or an
     * unanswered COMMIT/ROLLBACK). Restarts, filter swaps and safe kills wait until it is false. TCP: false.
     */
    boolean inTransaction();

    /**
     * Replaces the backend connection(s) with new ones made from {@code target} (the service's current
     * configuration), called at an idle moment outside a transaction. The implementation opens the new
     * connection(s) on the session's loop, brings them to the session's state (MariaDB: authenticate
     * and replay the session-command history, checking each reply against the recorded one), and only
     * then swaps them in and closes the old ones; it rebuilds the service part of the filter chain
     * from {@code target.filters()}, keeping the session-level part. On failure the old connections
     * stay untouched. {@code done} is called exactly once, on the loop: {@code null} on success, else
     * the reason (for the operator and the log).
     */
    void restartBackend(Service.Snapshot target, Consumer<String> done);

    /**
     * Opens filter sessions for a new session-level chain now (so that a filter that cannot start is
     * reported to whoever asked), without using them yet. Completes with the prepared chain, or
     * exceptionally with a message such as {@code Failed to create filter session for 'X': reason}.
     * May be called from any thread; must not block the event loop.
     */
    CompletionStage<PreparedFilters> prepareFilters(List<FilterDef> filters);

    /**
     * Puts a prepared session-level chain in front of the service's chain, closing the previous
     * session-level filter sessions. Called on the loop at an idle moment outside a transaction.
     */
    void installFilters(PreparedFilters chain);

    /**
     * Ends the session with a reason the client can see. MariaDB mode: an ERR packet (1927, SQLSTATE
     * 70100, "Connection was killed" plus the reason) before closing; TCP mode: the connection is
     * closed ({@link SessionIo#terminate}).
     */
    void kill(Termination termination, String reason);

    /** Filter sessions opened by {@link #prepareFilters}, not yet in use. */
    interface PreparedFilters {
        List<FilterDef> filters();

        /** Closes the filter sessions (a newer request replaced them, or the session ended first). */
        void discard();
    }
}
