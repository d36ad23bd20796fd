package dev.patchbay.admin.runtime;

/**
 * HAProxy's {@code human_time()}: at most two units out of d, h, m, s, largest first; a unit whose
 * value is zero is skipped without using up a slot; {@code 0s} for zero; {@code ?} when negative.
 */
final class HumanTime {
    private HumanTime() {}

    static String format(long seconds) {
        if (seconds < 0) {
            return "?";
        }
        StringBuilder sb = new StringBuilder(8);
        int cnt = 2;
        long t = seconds;
        if (t >= 86_400) {
            sb.append(t / 86_400).append('d');
            cnt--;
        }
        if (cnt > 0 && t % 86_400 / 3_600 != 0) {
            sb.append(t % 86_400 / 3_600).append('h');
            cnt--;
        }
        if (cnt > 0 && t % 3_600 / 60 != 0) {
            sb.append(t % 3_600 / 60).append('m');
            cnt--;
        }
        if ((cnt > 0 && t % 60 != 0) || t == 0) {
            sb.append(t % 60).append('s');
        }
        return sb.toString();
    }

    /**
     * A timer as HAProxy prints it in {@code show sess}: remaining milliseconds divided by 1000
     * (truncated towards zero, so up to 999 ms late still reads {@code 0s}), {@code ifNever} when
     * the timer is not armed.
     */
    static String remaining(long expiryNanos, long nowNanos, String ifNever) {
        if (expiryNanos == Long.MAX_VALUE) {
            return ifNever;
        }
        long ms = Math.floorDiv(expiryNanos - nowNanos, 1_000_000L);
        return format(ms / 1000);
    }
}
