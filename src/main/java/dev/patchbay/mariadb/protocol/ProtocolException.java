package dev.patchbay.mariadb.protocol;

/**
 * A peer sent bytes that do not follow the MariaDB client/server protocol. The only exception the
 * parsers of this package throw for bad input: the session answers it with a clean error and closes.
 */
public final class ProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message, null, false, false);
    }
}
