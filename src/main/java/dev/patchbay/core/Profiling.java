package dev.patchbay.core;

/** HAProxy's {@code set profiling tasks on|off}: when on, the data plane measures handler CPU time per session. */
public final class Profiling {
    private static volatile boolean enabled;

    private Profiling() {}

    public static boolean enabled() {
        return enabled;
    }

    public static void setEnabled(boolean on) {
        enabled = on;
    }
}
