package dev.patchbay.admin.runtime;

import dev.patchbay.Patchbay;

/** The HAProxy-compatible runtime API: every configured stats_socket. */
public final class RuntimeApi implements AutoCloseable {
    private final Patchbay patchbay;

    public RuntimeApi(Patchbay patchbay) {
        this.patchbay = patchbay;
    }

    public void start() throws Exception {
        if (!patchbay.config().statsSockets().isEmpty()) {
            throw new IllegalStateException("stats_socket is not implemented yet");
        }
    }

    @Override
    public void close() {
    }
}
