package dev.patchbay.admin.runtime;

import java.util.Locale;

/** Access levels of a CLI connection, ordered as HAProxy's: user &lt; operator &lt; admin. */
enum Level {
    USER, OPERATOR, ADMIN;

    static Level parse(String text) {
        return valueOf(text.toUpperCase(Locale.ROOT));
    }

    boolean atLeast(Level other) {
        return compareTo(other) >= 0;
    }

    /** As {@code show cli level} prints it. */
    String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
