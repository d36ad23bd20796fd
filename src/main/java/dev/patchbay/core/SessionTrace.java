package dev.patchbay.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The last N log lines of one session (MaxScale's {@code session_trace}). Empty and unallocated
 * until the first line arrives; written by the logging appender, read by the REST view.
 */
public final class SessionTrace {
    private String[] ring;
    private int next;
    private int size;

    /** Appends a line, keeping at most {@code capacity} lines; capacity 0 disables. */
    public synchronized void add(String line, int capacity) {
        if (capacity <= 0) {
            return;
        }
        if (ring == null || ring.length != capacity) {
            List<String> old = lines();
            ring = new String[capacity];
            next = 0;
            size = 0;
            for (String s : old.subList(Math.max(0, old.size() - capacity), old.size())) {
                push(s);
            }
        }
        push(line);
    }

    private void push(String line) {
        ring[next] = line;
        next = (next + 1) % ring.length;
        size = Math.min(size + 1, ring.length);
    }

    /** Oldest first. */
    public synchronized List<String> lines() {
        List<String> out = new ArrayList<>(size);
        if (ring == null) {
            return out;
        }
        int start = (next - size + ring.length) % ring.length;
        for (int i = 0; i < size; i++) {
            out.add(ring[(start + i) % ring.length]);
        }
        return out;
    }

    /** Bytes held, for the session's memory figure. */
    public synchronized long memoryBytes() {
        long n = ring == null ? 0 : 16L + 8L * ring.length;
        if (ring != null) {
            for (String s : ring) {
                if (s != null) {
                    n += 40 + s.length();
                }
            }
        }
        return n;
    }
}
