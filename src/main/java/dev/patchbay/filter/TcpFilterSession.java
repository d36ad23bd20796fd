package dev.patchbay.filter;

import io.netty.buffer.ByteBuf;

/**
 * One filter's view of one TCP session. Called on the session's event loop only, so it never blocks;
 * a filter that writes somewhere hands its data to its own thread.
 */
public interface TcpFilterSession {
    /** Bytes the client sent, before they go to the server. Returns what to pass on (observers return {@code buf}). */
    ByteBuf fromClient(ByteBuf buf);

    /** Bytes the server sent, before they go to the client. */
    ByteBuf fromServer(ByteBuf buf);

    /** The filter this session belongs to. */
    Filter filter();

    /** The session ended, or the filter was taken out of its chain. */
    void close();
}
