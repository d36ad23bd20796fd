package dev.patchbay.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Typed access to one section's keys. Every getter marks its key as known; whatever is left when
 * {@link #finish()} runs is an unknown key, and an error. Errors name file, line, section and key.
 */
final class SectionReader {
    private final String file;
    private final IniParser.Section section;
    private final List<String> errors;
    private final Set<String> used = new HashSet<>();

    SectionReader(String file, IniParser.Section section, List<String> errors) {
        this.file = file;
        this.section = section;
        this.errors = errors;
        used.add("type");
    }

    String name() {
        return section.name();
    }

    int line() {
        return section.line();
    }

    boolean has(String key) {
        return section.entries().containsKey(key);
    }

    /** Adds an error about {@code key} (at its line, or the section's line if it is absent). */
    void error(String key, String message) {
        IniParser.Entry e = section.entries().get(key);
        int line = e != null ? e.line() : section.line();
        errors.add(file + ":" + line + ": [" + section.name() + "] " + key + ": " + message);
    }

    /**
     * A value as error messages show it: in quotes, control characters as {@code \\xNN}, and cut after
     * {@value #SHOWN_CHARS} characters so that a garbage line does not flood the terminal.
     */
    static String quoted(String v) {
        StringBuilder b = new StringBuilder(Math.min(v.length(), SHOWN_CHARS) + 32).append('\'');
        for (int i = 0; i < v.length() && i < SHOWN_CHARS; i++) {
            char c = v.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        b.append('\'');
        if (v.length() > SHOWN_CHARS) {
            b.append(" (cut: ").append(v.length()).append(" characters)");
        }
        return b.toString();
    }

    private static final int SHOWN_CHARS = 80;

    /** Decimal digits, ASCII only, as documented ({@code Long.parseLong} also takes other scripts' digits). */
    private static final java.util.regex.Pattern WHOLE_NUMBER = java.util.regex.Pattern.compile("[+-]?[0-9]+");

    private String raw(String key) {
        used.add(key);
        IniParser.Entry e = section.entries().get(key);
        return e == null ? null : e.value();
    }

    String string(String key, String def) {
        String v = raw(key);
        return v == null ? def : v;
    }

    /** Like {@link #string} but an empty value is an error: leaving the key out is how to get the default. */
    String nonEmptyString(String key, String def) {
        String v = raw(key);
        if (v == null) {
            return def;
        }
        if (v.isEmpty()) {
            error(key, "is empty (leave the key out for the default" + (def == null || def.isEmpty() ? "" : ", " + def)
                    + ")");
            return def;
        }
        return v;
    }

    String requiredString(String key) {
        String v = raw(key);
        if (v == null || v.isEmpty()) {
            error(key, "is required");
            return null;
        }
        return v;
    }

    int integer(String key, int def, int min, int max) {
        String v = raw(key);
        if (v == null) {
            return def;
        }
        if (v.isEmpty()) {
            error(key, "is empty (leave the key out for the default)");
            return def;
        }
        if (!WHOLE_NUMBER.matcher(v).matches()) {
            error(key, quoted(v) + " is not a whole number");
            return def;
        }
        try {
            long n = Long.parseLong(v);
            if (n < min || n > max) {
                error(key, quoted(v) + " is out of range (" + min + "-" + max + ")");
                return def;
            }
            return (int) n;
        } catch (NumberFormatException e) {
            // Digits only, so this is a whole number too big even for a long: out of range.
            error(key, quoted(v) + " is out of range (" + min + "-" + max + ")");
            return def;
        }
    }

    /** A TCP port; {@code allowZero} lets the OS pick a free one (tests, side-by-side runs). */
    int port(String key, boolean required, boolean allowZero) {
        String v = raw(key);
        if (v == null) {
            if (required) {
                error(key, "is required");
            }
            return 0;
        }
        try {
            int p = v.chars().allMatch(c -> c >= '0' && c <= '9') ? Integer.parseInt(v) : -1;
            if ((p >= 1 || (allowZero && p == 0)) && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        error(key, quoted(v) + " is not a port number (" + (allowZero ? 0 : 1) + "-65535)");
        return 0;
    }

    long durationNanos(String key, long defNanos) {
        String v = raw(key);
        if (v == null) {
            return defNanos;
        }
        try {
            return Durations.parseNanos(v);
        } catch (IllegalArgumentException e) {
            error(key, e.getMessage());
            return defNanos;
        }
    }

    boolean bool(String key, boolean def) {
        String v = raw(key);
        if (v == null) {
            return def;
        }
        Boolean b = Booleans.parse(v);
        if (b == null) {
            error(key, quoted(v) + " is not a boolean (true/false, yes/no, on/off, 1/0)");
            return def;
        }
        return b;
    }

    /** One of {@code allowed}, compared case-insensitively; returns the lower-case form. */
    String choice(String key, String def, String... allowed) {
        String v = raw(key);
        if (v == null) {
            return def;
        }
        String lower = v.toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(lower)) {
                return a;
            }
        }
        error(key, quoted(v) + " is not one of " + String.join(", ", allowed));
        return def;
    }

    /** Comma-separated names, blanks trimmed; empty entries are errors. */
    List<String> list(String key) {
        String v = raw(key);
        List<String> out = new ArrayList<>();
        if (v == null || v.isEmpty()) {
            return out;
        }
        boolean emptyReported = false;
        for (String part : v.split(",", -1)) {
            String s = part.strip();
            if (s.isEmpty()) {
                if (!emptyReported) {
                    error(key, quoted(v) + " has an empty entry");
                    emptyReported = true;
                }
                continue;
            }
            if (out.contains(s)) {
                error(key, quoted(s) + " is listed twice");
                continue;
            }
            out.add(s);
        }
        return out;
    }

    /**
     * Names separated by {@code |} (MaxScale's {@code filters=a|b}), blanks trimmed, in order; empty
     * entries are errors, repeats are allowed (a filter may appear twice in a chain).
     */
    List<String> pipeList(String key) {
        String v = raw(key);
        List<String> out = new ArrayList<>();
        if (v == null || v.isEmpty()) {
            return out;
        }
        for (String part : v.split("\\|", -1)) {
            String s = part.strip();
            if (s.isEmpty()) {
                error(key, quoted(v) + " has an empty entry");
                return new ArrayList<>();
            }
            out.add(s);
        }
        return out;
    }

    /** Marks every key as known: used when the section is broken enough that its keys cannot be checked. */
    void ignoreRest() {
        used.addAll(section.entries().keySet());
    }

    /** Reports every key no getter asked for. */
    void finish() {
        for (IniParser.Entry e : section.entries().values()) {
            if (!used.contains(e.key())) {
                errors.add(file + ":" + e.line() + ": [" + section.name() + "] " + e.key() + ": unknown key");
            }
        }
    }
}
