package dev.patchbay.core;

import java.util.List;
import java.util.Map;

/**
 * What a protocol-aware session (MariaDB mode) knows beyond bytes: the admin views read it through
 * {@link Session#protocolDetails()}, null for plain TCP sessions. Implementations publish immutable
 * snapshots or thread-safe reads: admin threads call these methods.
 */
public interface ProtocolDetails {

    /** The authenticated user, null before authentication. */
    String user();

    /** Client connection attributes, null until the handshake response has been read. */
    Map<String, String> connectionAttributes();

    /** TLS cipher of the client connection, "" when plain. */
    String clientCipher();

    /** Live backend connections in creation order. */
    List<BackendConnection> backendConnections();

    /** The default database, null when none. */
    String database();

    /** One backend connection: the server, the thread id from its handshake (0 until read), its cipher. */
    record BackendConnection(String server, long connectionId, String cipher) {}

    /** The last statements (oldest first), at most the service's {@code retain_last_statements}. */
    default List<Statement> recentStatements() {
        return List.of();
    }

    /** True while the client waits for a response (MaxScale: not idle). */
    default boolean awaitingResponse() {
        return false;
    }

    /** True while a transaction is open on the backend (server status IN_TRANS / IN_TRANS_READONLY). */
    default boolean inTransaction() {
        return false;
    }

    /** Size of the session-command history (MaxScale's {@code client.sescmd_history_*}). */
    default History history() {
        return History.NONE;
    }

    /** Protocol memory measured from what the session holds (bytes). */
    default Memory memory() {
        return Memory.NONE;
    }

    /**
     * One statement: command name ({@code COM_QUERY}), SQL text (null for commands without SQL),
     * when it was received and completed (epoch micros, 0 while running), and per-server response
     * times.
     */
    record Statement(String command, String sql, long receivedEpochMicros, long completedEpochMicros,
                     List<Response> responses) {}

    /** A server's response to a statement, {@code durationMillis} after it was received. */
    record Response(String server, long durationMillis) {}

    record History(int length, int storedResponses, int storedMetadata) {
        public static final History NONE = new History(0, 0, 0);
    }

    /**
     * {@code buffers}: held client input not yet routed; {@code history}: the session-command
     * history; {@code execMetadata}: stored prepared-statement execute metadata;
     * {@code lastQueries}: retained statements.
     */
    record Memory(long buffers, long history, long execMetadata, long lastQueries) {
        public static final Memory NONE = new Memory(0, 0, 0, 0);
    }
}
