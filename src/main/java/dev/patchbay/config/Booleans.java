package dev.patchbay.config;

import java.util.Locale;

/** MaxScale's boolean words, for configuration values and REST query parameters alike. */
public final class Booleans {
    private Booleans() {}

    /** true/yes/on/1 or false/no/off/0, any case; null for anything else. */
    public static Boolean parse(String v) {
        switch (v.toLowerCase(Locale.ROOT)) {
            case "true": case "yes": case "on": case "1":
                return true;
            case "false": case "no": case "off": case "0":
                return false;
            default:
                return null;
        }
    }
}
