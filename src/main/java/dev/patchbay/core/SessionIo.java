package dev.patchbay.core;

import java.util.concurrent.Executor;

/**
 * What the data plane exposes of one session's connections to the model. Implemented by the
 * protocol handlers (TCP, runtime API applet, later MariaDB); the model never sees Netty types.
 */
public interface SessionIo {

    /** The session's event loop. Every mutation of the session runs here. */
    Executor executor();

    boolean inExecutor();

    /** Index of the event loop in its group (HAProxy's tid, MaxScale's thread). */
    int threadIndex();

    /**
     * The one closing path. Called on the session's event loop; idempotent. Implementations
     * close both sides and then call {@link Session#markClosed()}.
     */
    void terminate(Termination termination);

    /** Bytes queued for writing to the client (not yet accepted by the kernel). */
    long clientPendingWriteBytes();

    /** Bytes queued for writing to the backend. */
    long serverPendingWriteBytes();

    /** Size of the receive buffer the client channel allocates per read. */
    int clientReadBufferSize();

    /** Size of the receive buffer the backend channel allocates per read, 0 without a backend. */
    int serverReadBufferSize();

    /** The client socket's file descriptor, -1 when the transport has none (NIO) or it is closed. */
    default int clientFd() {
        return -1;
    }

    /** The backend socket's file descriptor, -1 without one. */
    default int serverFd() {
        return -1;
    }
}
