package dev.patchbay.mariadb.protocol;

/**
 * Capability flags of the handshake (PROTOCOL.md §4). Lower 32 bits with MySQL's names; MariaDB's
 * extended capabilities (bits 32+) are never advertised by Patchbay, see {@link #ADVERTISED}.
 */
public final class Capabilities {
    public static final int CLIENT_MYSQL = 1;
    public static final int FOUND_ROWS = 1 << 1;
    public static final int LONG_FLAG = 1 << 2;
    public static final int CONNECT_WITH_DB = 1 << 3;
    public static final int NO_SCHEMA = 1 << 4;
    public static final int COMPRESS = 1 << 5;
    public static final int ODBC = 1 << 6;
    public static final int LOCAL_FILES = 1 << 7;
    public static final int IGNORE_SPACE = 1 << 8;
    public static final int PROTOCOL_41 = 1 << 9;
    public static final int INTERACTIVE = 1 << 10;
    public static final int SSL = 1 << 11;
    public static final int IGNORE_SIGPIPE = 1 << 12;
    public static final int TRANSACTIONS = 1 << 13;
    public static final int RESERVED = 1 << 14;
    public static final int SECURE_CONNECTION = 1 << 15;
    public static final int MULTI_STATEMENTS = 1 << 16;
    public static final int MULTI_RESULTS = 1 << 17;
    public static final int PS_MULTI_RESULTS = 1 << 18;
    public static final int PLUGIN_AUTH = 1 << 19;
    public static final int CONNECT_ATTRS = 1 << 20;
    public static final int PLUGIN_AUTH_LENENC_CLIENT_DATA = 1 << 21;
    public static final int CAN_HANDLE_EXPIRED_PASSWORDS = 1 << 22;
    public static final int SESSION_TRACK = 1 << 23;
    public static final int DEPRECATE_EOF = 1 << 24;
    public static final int SSL_VERIFY_SERVER_CERT = 1 << 30;
    public static final int REMEMBER_OPTIONS = 1 << 31;

    /**
     * What Patchbay offers clients (without {@link #SSL}, added when the listener has a
     * certificate). CLIENT_MYSQL stays set, so no MariaDB extended capability (progress reports,
     * bulk, extended type info, metadata cache) is negotiated: Patchbay does not know the
     * backend's capabilities when it greets a client, and none of those may differ between the
     * two legs of a relayed session. Never: COMPRESS, CAN_HANDLE_EXPIRED_PASSWORDS.
     */
    public static final int ADVERTISED = CLIENT_MYSQL | FOUND_ROWS | LONG_FLAG | CONNECT_WITH_DB | NO_SCHEMA | ODBC
            | LOCAL_FILES | IGNORE_SPACE | PROTOCOL_41 | INTERACTIVE | IGNORE_SIGPIPE | TRANSACTIONS | RESERVED
            | SECURE_CONNECTION | MULTI_STATEMENTS | MULTI_RESULTS | PS_MULTI_RESULTS | PLUGIN_AUTH | CONNECT_ATTRS
            | PLUGIN_AUTH_LENENC_CLIENT_DATA | SESSION_TRACK | DEPRECATE_EOF | REMEMBER_OPTIONS;

    /** Capabilities that change the shape of relayed packets: both legs of a session must agree on them. */
    public static final int SHAPING = FOUND_ROWS | MULTI_STATEMENTS | MULTI_RESULTS | PS_MULTI_RESULTS | SESSION_TRACK
            | DEPRECATE_EOF | PROTOCOL_41 | TRANSACTIONS | LOCAL_FILES;

    private Capabilities() {}

    public static boolean has(int caps, int flag) {
        return (caps & flag) != 0;
    }
}
