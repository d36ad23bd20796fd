package dev.patchbay.filter;

import dev.patchbay.core.Session;

/**
 * One client statement as the statement filters of a MariaDB session see it: a {@code COM_QUERY}'s
 * SQL or a {@code COM_STMT_PREPARE}'s statement text, with who sent it. Created by the session only
 * when it has statement filters, and passed along the chain in order; a filter that rewrites returns
 * a {@link #withSql copy} with the new text, which the following filters and the server see.
 *
 * @param session        the session (id, client address, user through its protocol details)
 * @param user           the client's user
 * @param command        the MySQL command byte ({@code 0x03} COM_QUERY, {@code 0x16} COM_STMT_PREPARE)
 * @param sql            the statement text
 * @param receivedNanos  {@link System#nanoTime()} when the session read it
 * @param receivedMicros wall-clock time it was read, microseconds since the epoch
 */
public record Statement(Session session, String user, int command, String sql, long receivedNanos,
                        long receivedMicros) {

    public static final int COM_QUERY = 0x03;
    public static final int COM_STMT_PREPARE = 0x16;

    public Statement withSql(String newSql) {
        return new Statement(session, user, command, newSql, receivedNanos, receivedMicros);
    }
}
