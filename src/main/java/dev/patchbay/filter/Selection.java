package dev.patchbay.filter;

import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Cidr;
import dev.patchbay.core.Session;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * MaxScale's statement selection, compiled once per filter: {@code match} and {@code exclude} are
 * searched anywhere in the SQL (PCRE2's unanchored match), {@code user} is compared with each
 * statement's user (so a {@code COM_CHANGE_USER} takes effect), {@code source} with the client's
 * address when the filter session opens.
 */
final class Selection {
    private final PatchbayConfig.StatementSelection config;
    private final Pattern match;
    private final Pattern exclude;
    private final Cidr source;

    Selection(PatchbayConfig.StatementSelection config) {
        this.config = config;
        int flags = config.patternFlags();
        this.match = config.match().isEmpty() ? null : Pattern.compile(config.match(), flags);
        this.exclude = config.exclude().isEmpty() ? null : Pattern.compile(config.exclude(), flags);
        this.source = config.source().isEmpty() ? null : Cidr.parse(config.source());
    }

    Pattern match() {
        return match;
    }

    /** Whether the session's client is one this filter looks at. */
    boolean source(Session s) {
        return source == null || source.contains(s.clientAddress());
    }

    boolean user(String user) {
        return config.user().isEmpty() || config.user().equals(user);
    }

    /** {@code match} found (or none set) and {@code exclude} not found. */
    boolean sql(String sql) {
        return (match == null || match.matcher(sql).find()) && (exclude == null || !exclude.matcher(sql).find());
    }

    /** The selection keys as the REST API shows them. */
    void parameters(Map<String, Object> p, boolean withExclude) {
        p.put("match", config.match());
        if (withExclude) {
            p.put("exclude", config.exclude());
        }
        p.put("options", config.options());
        p.put("user", config.user());
        p.put("source", config.source());
    }
}
