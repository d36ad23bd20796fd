package dev.patchbay.net;

import java.net.InetSocketAddress;

/** A bound listener of any protocol: what the model needs to find its address and to close it. */
public interface BoundListener {
    /** The listener's section name. */
    String name();

    /** The address it is bound to (its real port when configured with port=0). */
    InetSocketAddress boundAddress();

    /** Stops accepting; sessions already accepted go on. */
    void close();

    /** Pauses or resumes accepting (the process-wide max_connections); a paused listener stays bound. */
    default void setAccepting(boolean accepting) {
    }
}
