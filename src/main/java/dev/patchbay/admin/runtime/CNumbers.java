package dev.patchbay.admin.runtime;

/** Number parsing with the C semantics HAProxy's CLI inherits. */
final class CNumbers {
    private CNumbers() {}

    /**
     * C {@code strtoul(s, NULL, 0)} on a 64-bit platform: leading blanks, an optional sign,
     * {@code 0x}/{@code 0X} for hexadecimal, a leading {@code 0} for octal, else decimal; parsing
     * stops at the first character that is not a digit of the base and the rest is ignored.
     * Overflow saturates to ULONG_MAX (-1 here); a minus sign negates modulo 2^64; no digits gives 0.
     */
    static long strtoul(String s) {
        int i = afterBlanks(s, 0);
        int n = s.length();
        boolean negative = false;
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            negative = s.charAt(i) == '-';
            i++;
        }
        int base = 10;
        if (i < n && s.charAt(i) == '0') {
            if (i + 2 < n && (s.charAt(i + 1) == 'x' || s.charAt(i + 1) == 'X') && digit(s.charAt(i + 2), 16) >= 0) {
                base = 16;
                i += 2;
            } else {
                base = 8;
            }
        }
        long value = 0;
        boolean overflow = false;
        for (; i < n; i++) {
            int d = digit(s.charAt(i), base);
            if (d < 0) {
                break;
            }
            if (!overflow) {
                if (Long.compareUnsigned(value, Long.divideUnsigned(-1L - d, base)) > 0) {
                    overflow = true;
                } else {
                    value = value * base + d;
                }
            }
        }
        if (overflow) {
            return -1L;
        }
        return negative ? -value : value;
    }

    /** {@link #strtol}'s result: the value, and where parsing stopped (0, the start, when there were no digits). */
    record Strtol(long value, int end) {}

    /**
     * C {@code strtol(s, &end, 10)} on a 64-bit platform: leading blanks, an optional sign, decimal digits up
     * to the first other character; a value beyond a long saturates to LONG_MAX/LONG_MIN. As in C, {@code end}
     * is 0 (the start of the string) when there were no digits.
     */
    static Strtol strtol(String s) {
        int i = afterBlanks(s, 0);
        int n = s.length();
        boolean negative = false;
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            negative = s.charAt(i) == '-';
            i++;
        }
        int digits = i;
        long value = 0;
        boolean overflow = false;
        for (; i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9'; i++) {
            int d = s.charAt(i) - '0';
            if (!overflow && value > (Long.MAX_VALUE - d) / 10) {
                overflow = true;
            }
            if (!overflow) {
                value = value * 10 + d;
            }
        }
        if (i == digits) {
            return new Strtol(0, 0);
        }
        long v = overflow ? (negative ? Long.MIN_VALUE : Long.MAX_VALUE) : negative ? -value : value;
        return new Strtol(v, i);
    }

    /**
     * glibc's {@code atoi(s)}, i.e. {@code (int) strtol(s, NULL, 10)}: the cast keeps the low 32 bits, so a
     * number that does not fit an int wraps instead of failing (99999999999999999999 reads as -1).
     */
    static int atoi(String s) {
        return (int) strtol(s).value();
    }

    private static int afterBlanks(String s, int i) {
        while (i < s.length() && isSpace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b;
    }

    private static int digit(char c, int base) {
        int d;
        if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if (c >= 'a' && c <= 'z') {
            d = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'Z') {
            d = c - 'A' + 10;
        } else {
            return -1;
        }
        return d < base ? d : -1;
    }

    /**
     * HAProxy's {@code parse_time_err()} for a delay: digits followed by an optional unit
     * ({@code us}, {@code ms}, {@code s}, {@code m}, {@code h}, {@code d}); without a unit the
     * value is in {@code defaultUnitNanos}. Returns the delay in nanoseconds, or -1 when the text
     * is not a delay.
     */
    static long parseDelayNanos(String text, long defaultUnitNanos) {
        int i = 0;
        int n = text.length();
        if (n == 0) {
            return -1;
        }
        long value = 0;
        while (i < n && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
            value = value * 10 + (text.charAt(i) - '0');
            if (value > 100L * 365 * 86_400 * 1_000_000) {
                return -1;
            }
            i++;
        }
        if (i == 0) {
            return -1;
        }
        String unit = text.substring(i);
        long mult;
        switch (unit) {
            case "": mult = defaultUnitNanos; break;
            case "us": mult = 1_000L; break;
            case "ms": mult = 1_000_000L; break;
            case "s": mult = 1_000_000_000L; break;
            case "m": mult = 60_000_000_000L; break;
            case "h": mult = 3_600_000_000_000L; break;
            case "d": mult = 86_400_000_000_000L; break;
            default: return -1;
        }
        try {
            return Math.multiplyExact(value, mult);
        } catch (ArithmeticException e) {
            return -1;
        }
    }
}
