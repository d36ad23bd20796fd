package dev.patchbay.testing;

import java.util.SplittableRandom;

/** Test payloads. */
public final class Bytes {
    private Bytes() {}

    /** {@code n} pseudo-random bytes, the same for the same seed. */
    public static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }
}
