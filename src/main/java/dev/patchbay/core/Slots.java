package dev.patchbay.core;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/** A count of taken slots under a limit that may change (0 = unlimited), shared by every event loop. */
final class Slots {
    private final AtomicInteger taken = new AtomicInteger();
    private final LongAdder total = new LongAdder();
    private final IntSupplier limit;

    Slots(IntSupplier limit) {
        this.limit = limit;
    }

    boolean tryAcquire() {
        while (true) {
            int n = taken.get();
            int max = limit.getAsInt();
            if (max > 0 && n >= max) {
                return false;
            }
            if (taken.compareAndSet(n, n + 1)) {
                total.increment();
                return true;
            }
        }
    }

    void release() {
        taken.decrementAndGet();
    }

    int taken() {
        return taken.get();
    }

    long total() {
        return total.sum();
    }

    boolean isFull() {
        int max = limit.getAsInt();
        return max > 0 && taken.get() >= max;
    }
}
