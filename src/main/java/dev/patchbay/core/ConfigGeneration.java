package dev.patchbay.core;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The configuration generation: 1 for the configuration Patchbay started with, plus one for every
 * change made at run time. Each session records the generation it started under (and the one of its
 * last restart), so an operator can tell which sessions still run an older configuration.
 */
public final class ConfigGeneration {
    private final AtomicLong value = new AtomicLong(1);

    public long current() {
        return value.get();
    }

    /** A change has been applied: returns the new generation. */
    public long bump() {
        return value.incrementAndGet();
    }
}
