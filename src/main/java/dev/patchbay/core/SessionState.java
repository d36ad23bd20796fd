package dev.patchbay.core;

/**
 * Lifecycle of a session. Transitions happen only on the session's event loop; other threads
 * read the current state through a volatile reference and see a consistent record.
 */
public sealed interface SessionState {

    /**
     * Accepted by a protocol-aware listener (MariaDB mode); the client is authenticating and no
     * server has been chosen yet (MaxScale's "Session created").
     */
    record Authenticating(long sinceNanos) implements SessionState {}

    /** Accepted; waiting for a slot under the service's or servers' max_connections. */
    record Queued(long sinceNanos) implements SessionState {}

    /** Connecting to {@code server}; {@code attempt} counts from 0 (retries = attempt). */
    record Connecting(Server server, int attempt, long sinceNanos) implements SessionState {}

    /** Client and backend connected; bytes flow. */
    record Established(long sinceNanos) implements SessionState {}

    /** An admin-side session that has no backend (a runtime API connection). */
    record Applet(String name) implements SessionState {}

    /** The closing path has started; {@code termination} is final. */
    record Closing(Termination termination) implements SessionState {}

    /** Both sides closed and the session left the registry. */
    record Closed(Termination termination) implements SessionState {}

    default boolean isLive() {
        return !(this instanceof Closing) && !(this instanceof Closed);
    }
}
