package dev.patchbay.core;

import java.time.Instant;

/** Wall-clock helpers (monotonic time is System.nanoTime() throughout). */
public final class Clock {
    private Clock() {}

    public static long epochMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
}
