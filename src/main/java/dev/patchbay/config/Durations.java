package dev.patchbay.config;

import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as operators write them: {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, {@code 1d}; {@code 0} disables. */
public final class Durations {
    /** The longest duration accepted: 100 years of 365 days ({@code 36500d}). */
    public static final long MAX_NANOS = TimeUnit.DAYS.toNanos(365 * 100);

    private static final Pattern FORMAT = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    private Durations() {}

    public static long parseNanos(String text) {
        String t = text.strip();
        if (t.equals("0")) {
            return 0;
        }
        Matcher m = FORMAT.matcher(t);
        if (!m.matches()) {
            if (t.matches("\\d+")) {
                throw new IllegalArgumentException(SectionReader.quoted(text) + " needs a unit (ms, s, m, h or d), e.g. " + t + "s");
            }
            throw new IllegalArgumentException(SectionReader.quoted(text) + " is not a duration (e.g. 500ms, 10s, 2m, 1h)");
        }
        String digits = m.group(1);
        if (digits.length() > 18) {
            throw new IllegalArgumentException(SectionReader.quoted(text) + " is too long");
        }
        long n = Long.parseLong(digits);
        TimeUnit unit;
        switch (m.group(2)) {
            case "ms": unit = TimeUnit.MILLISECONDS; break;
            case "s": unit = TimeUnit.SECONDS; break;
            case "m": unit = TimeUnit.MINUTES; break;
            case "h": unit = TimeUnit.HOURS; break;
            default: unit = TimeUnit.DAYS; break;
        }
        long nanos = unit.toNanos(n);
        if (nanos > MAX_NANOS) {
            throw new IllegalArgumentException(SectionReader.quoted(text) + " is too long");
        }
        return nanos;
    }

    /**
     * The shortest exact text for a duration, for showing configuration back: {@code parseNanos(format(n)) == n}
     * for every duration {@link #parseNanos} returns. Durations finer than a millisecond (which no
     * configuration produces) are rounded up to the next millisecond, so they never show as 0.
     */
    public static String format(long nanos) {
        if (nanos == 0) {
            return "0";
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(nanos);
        if (nanos > 0 && nanos % 1_000_000 != 0) {
            ms++;
        }
        if (ms % 1000 != 0) {
            return ms + "ms";
        }
        long s = ms / 1000;
        if (s % 86400 == 0) {
            return s / 86400 + "d";
        }
        if (s % 3600 == 0) {
            return s / 3600 + "h";
        }
        if (s % 60 == 0) {
            return s / 60 + "m";
        }
        return s + "s";
    }
}
