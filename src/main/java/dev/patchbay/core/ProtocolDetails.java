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
}
