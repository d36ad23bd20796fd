package dev.patchbay.admin.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The verbatim HAProxy transcripts in {@code shared/reference/haproxy/captures} (beside the work tree). */
final class Captures {
    private static final String MARK = "# ---- raw output below, verbatim to end of file ----\n";

    private Captures() {}

    static Path dir() {
        Path p = Path.of("..", "shared", "reference", "haproxy", "captures").toAbsolutePath().normalize();
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("HAProxy captures not found at " + p);
        }
        return p;
    }

    /** The raw output part of a capture, e.g. {@code raw("newest/30-bad-commands.txt")}. */
    static String raw(String name) {
        try {
            String all = Files.readString(dir().resolve(name), StandardCharsets.UTF_8);
            int i = all.indexOf(MARK);
            if (i < 0) {
                throw new IllegalStateException(name + " has no raw-output marker");
            }
            return all.substring(i + MARK.length());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A capture made of {@code ### title} sections, by title. */
    static Map<String, String> sections(String name) {
        Map<String, String> out = new LinkedHashMap<>();
        String title = null;
        StringBuilder body = new StringBuilder();
        for (String line : raw(name).split("\n", -1)) {
            if (line.startsWith("### ")) {
                if (title != null) {
                    out.put(title, body.toString());
                }
                title = line.substring(4);
                body.setLength(0);
            } else if (title != null) {
                body.append(line).append('\n');
            }
        }
        if (title != null) {
            String b = body.toString();
            out.put(title, b.endsWith("\n") ? b.substring(0, b.length() - 1) : b);
        }
        return out;
    }

    /** The usage lines of a {@code help} capture (without header and the fixed trailer). */
    static List<String> helpLines(String name) {
        List<String> out = new ArrayList<>();
        for (String line : raw(name).split("\n")) {
            if (line.startsWith("  ")) {
                out.add(line.substring(2));
            }
        }
        return out.subList(0, out.size() - 3);
    }
}
