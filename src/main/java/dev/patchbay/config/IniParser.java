package dev.patchbay.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * MaxScale-style INI: {@code [name]} sections of {@code key=value} lines. Comment lines start with
 * {@code #} or {@code ;}. Everything keeps its line number so errors can point at it.
 */
public final class IniParser {

    /** Section names become REST ids and runtime API names, so keep them to URL- and CLI-safe chars. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.~-]+");

    public record Entry(String key, String value, int line) {}

    public record Section(String name, int line, Map<String, Entry> entries) {}

    private IniParser() {}

    /** Parses {@code text}; syntax errors are appended to {@code errors} as "file:line: message". */
    public static List<Section> parse(String file, String text, List<String> errors) {
        List<Section> sections = new ArrayList<>();
        Map<String, Section> byName = new LinkedHashMap<>();
        Section current = null;
        // Keys under a header that was itself rejected belong to no section; the header's error
        // covers them, so they are skipped instead of each being reported as "outside of any [section]".
        boolean skipping = false;
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1); // a UTF-8 byte order mark, as some editors write
        }
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("[")) {
                if (!line.endsWith("]")) {
                    errors.add(file + ":" + lineNo + ": section header '" + line + "' is missing its closing ']'");
                    current = null;
                    skipping = true;
                    continue;
                }
                String name = line.substring(1, line.length() - 1).strip();
                if (!NAME.matcher(name).matches()) {
                    errors.add(file + ":" + lineNo + ": section name '" + name
                            + "' may only contain letters, digits and _ . ~ -");
                    current = null;
                    skipping = true;
                    continue;
                }
                Section previous = byName.get(name);
                if (previous != null) {
                    errors.add(file + ":" + lineNo + ": [" + name + "] is defined twice (first at line "
                            + previous.line() + ")");
                    current = null;
                    skipping = true;
                    continue;
                }
                skipping = false;
                current = new Section(name, lineNo, new LinkedHashMap<>());
                byName.put(name, current);
                sections.add(current);
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                errors.add(file + ":" + lineNo + ": expected 'key=value', '[section]' or a comment, got '"
                        + line + "'");
                continue;
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (skipping) {
                continue;
            }
            if (key.isEmpty()) {
                errors.add(file + ":" + lineNo + ": " + (current == null ? "" : "[" + current.name() + "] ")
                        + "a line has a value but no key");
                continue;
            }
            if (current == null) {
                errors.add(file + ":" + lineNo + ": '" + key + "' is outside of any [section]");
                continue;
            }
            Entry previous = current.entries().get(key);
            if (previous != null) {
                errors.add(file + ":" + lineNo + ": [" + current.name() + "] " + key + ": set twice (first at line "
                        + previous.line() + ")");
                continue;
            }
            current.entries().put(key, new Entry(key, value, lineNo));
        }
        return sections;
    }
}
