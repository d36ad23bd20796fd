package dev.patchbay.admin.rest;

import dev.patchbay.Patchbay;

/** The MaxScale-compatible REST API on [patchbay] admin_host:admin_port. */
public final class RestApi implements AutoCloseable {
    private final Patchbay patchbay;

    public RestApi(Patchbay patchbay) {
        this.patchbay = patchbay;
    }

    public void start() throws Exception {
    }

    @Override
    public void close() {
    }
}
