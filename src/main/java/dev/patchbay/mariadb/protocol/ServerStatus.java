package dev.patchbay.mariadb.protocol;

/** Server status flags carried by OK and EOF packets (PROTOCOL.md §8). */
public final class ServerStatus {
    public static final int IN_TRANS = 1;
    public static final int AUTOCOMMIT = 2;
    public static final int MORE_RESULTS_EXISTS = 8;
    public static final int CURSOR_EXISTS = 64;
    public static final int LAST_ROW_SENT = 128;
    public static final int IN_TRANS_READONLY = 8192;
    public static final int SESSION_STATE_CHANGED = 16384;

    private ServerStatus() {}

    public static boolean inTransaction(int status) {
        return (status & (IN_TRANS | IN_TRANS_READONLY)) != 0;
    }
}
