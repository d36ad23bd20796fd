package dev.patchbay.admin.runtime;

import java.util.Arrays;

/**
 * HAProxy's {@code show sess} epoch: every dump takes the next number, and a session's epoch is
 * the number of dumps started before it was created. Patchbay selects the sessions of a dump by
 * id, so it only records, per dump, the last id it covers, and forgets the boundaries that lie
 * below every live session. Admin event loop only.
 */
final class DumpEpochs {
    private long[] lastIds = new long[16];
    private long[] before = new long[16];
    private int head;
    private int tail;
    private long dumps;

    /** Registers a dump covering ids up to {@code lastId}; returns the dump's own epoch. */
    long start(long lastId, long oldestLiveId) {
        // A boundary below every live id can never be the first one to cover a live session.
        while (head < tail && lastIds[head] < oldestLiveId) {
            head++;
        }
        long epoch = dumps++;
        if (head < tail && lastIds[tail - 1] == lastId) {
            return epoch; // no session was created since the previous dump: same boundary
        }
        if (tail == lastIds.length) {
            int live = tail - head;
            if (head > lastIds.length / 2) {
                System.arraycopy(lastIds, head, lastIds, 0, live);
                System.arraycopy(before, head, before, 0, live);
            } else {
                lastIds = Arrays.copyOf(Arrays.copyOfRange(lastIds, head, tail), lastIds.length * 2);
                before = Arrays.copyOf(Arrays.copyOfRange(before, head, tail), before.length * 2);
            }
            head = 0;
            tail = live;
        }
        lastIds[tail] = lastId;
        before[tail] = epoch;
        tail++;
        return epoch;
    }

    /** The epoch of session {@code id}: the dumps started before it existed. */
    long epochOf(long id) {
        // First boundary that does not cover the session: every dump before it started earlier.
        int lo = head;
        int hi = tail;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (lastIds[mid] < id) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo == tail ? dumps : before[lo];
    }
}
