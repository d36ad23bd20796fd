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

    /**
     * Accepts or not as its frontend's operator stop and the process-wide max_connections say; a listener
     * that does not accept stays bound (clients wait in the kernel's accept queue).
     */
    default void updateAccepting() {
    }
}
