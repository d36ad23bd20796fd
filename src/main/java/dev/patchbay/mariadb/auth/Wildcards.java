package dev.patchbay.mariadb.auth;

/** SQL LIKE matching as MariaDB applies it to hosts and database grants: {@code %}, {@code _}, {@code \} escapes. */
final class Wildcards {
    private Wildcards() {}

    static boolean matches(String pattern, String text, boolean escapes) {
        return match(pattern, 0, text, 0, escapes);
    }

    private static boolean match(String p, int pi, String t, int ti, boolean escapes) {
        while (pi < p.length()) {
            char c = p.charAt(pi);
            if (c == '%') {
                while (pi < p.length() && p.charAt(pi) == '%') {
                    pi++;
                }
                if (pi == p.length()) {
                    return true;
                }
                for (int k = ti; k <= t.length(); k++) {
                    if (match(p, pi, t, k, escapes)) {
                        return true;
                    }
                }
                return false;
            }
            if (ti >= t.length()) {
                return false;
            }
            if (c == '_') {
                pi++;
                ti++;
                continue;
            }
            if (escapes && c == '\\' && pi + 1 < p.length()) {
                c = p.charAt(++pi);
            }
            if (c != t.charAt(ti)) {
                return false;
            }
            pi++;
            ti++;
        }
        return ti == t.length();
    }
}
