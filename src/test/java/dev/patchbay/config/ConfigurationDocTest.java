package dev.patchbay.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docs/configuration.md says what the loader does: examples, sample output and the key tables. */
class ConfigurationDocTest {
    static final Path DOC = Path.of("docs/configuration.md");
    static final Path LOADER = Path.of("src/main/java/dev/patchbay/config/ConfigLoader.java");

    /** Table headings in the doc, and the section each describes ("patchbay" is the global section). */
    static final Map<String, String> HEADINGS = new LinkedHashMap<>();

    static {
        HEADINGS.put("## `[patchbay]`: global settings", "patchbay");
        HEADINGS.put("## `type=server`", "server");
        HEADINGS.put("## `type=service`", "service");
        HEADINGS.put("## `type=listener`", "listener");
        HEADINGS.put("## `type=stats_socket`", "stats_socket");
        HEADINGS.put("## `type=filter`", "filter");
    }

    @TempDir
    Path dir;

    static String doc() throws IOException {
        return Files.readString(DOC);
    }

    /** The bodies of the fenced code blocks with this info string ("" for none), in order. */
    static List<String> blocks(String text, String info) {
        List<String> out = new ArrayList<>();
        StringBuilder body = null;
        String current = null;
        for (String line : text.split("\n", -1)) {
            if (body == null) {
                if (line.startsWith("```")) {
                    current = line.substring(3).strip();
                    body = new StringBuilder();
                }
            } else if (line.equals("```")) {
                if (current.equals(info)) {
                    out.add(body.toString());
                }
                body = null;
            } else {
                body.append(line).append('\n');
            }
        }
        assertThat(body).as("unclosed code block").isNull();
        return out;
    }

    @Test
    void theCompleteExampleIsTheTestedFile() throws IOException {
        String d = doc();
        String between = d.substring(d.indexOf("<!-- full.cnf begins -->"), d.indexOf("<!-- full.cnf ends -->"));
        assertThat(blocks(between, "ini")).containsExactly(HappyPathTest.resource("full.cnf"));
    }

    @Test
    void everyIniExampleIsValidExceptTheBrokenOne() throws IOException {
        String broken = HappyPathTest.resource("broken.cnf");
        List<String> examples = blocks(doc(), "ini");
        assertThat(examples).contains(broken).hasSizeGreaterThanOrEqualTo(5);
        for (String example : examples) {
            if (!example.equals(broken)) {
                Cfg.parse(example);
            }
        }
    }

    @Test
    void theSampleCheckOutputIsRealOutput() throws Exception {
        Path f = dir.resolve("patchbay.cnf");
        Files.writeString(f, HappyPathTest.resource("broken.cnf"));
        CheckCommandTest.Run r = CheckCommandTest.run("--check", "--config", f.toString());
        assertThat(r.code()).isEqualTo(1);
        String shown = r.output().replace(f.toString(), "patchbay.cnf");
        String command = "$ java -jar target/patchbay.jar --check --config patchbay.cnf\n";
        assertThat(blocks(doc(), "")).contains(command + shown);
    }

    @Test
    void theSampleValidOutputIsRealOutput() throws Exception {
        Path f = dir.resolve("patchbay.cnf");
        Files.writeString(f, HappyPathTest.resource("full.cnf"));
        CheckCommandTest.Run r = CheckCommandTest.run("--check", "--config", f.toString());
        assertThat(r.code()).isZero();
        String shown = r.output().replace(f.toString(), "/etc/patchbay/patchbay.cnf");
        assertThat(blocks(doc(), "")).contains(
                "$ java -jar target/patchbay.jar --check --config /etc/patchbay/patchbay.cnf\n" + shown);
    }

    /** Keys in the first column of each section's table. */
    static Map<String, Set<String>> documentedKeys() throws IOException {
        String d = doc();
        Map<String, Set<String>> keys = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : HEADINGS.entrySet()) {
            int start = d.indexOf("\n" + h.getKey() + "\n");
            assertThat(start).as("heading %s", h.getKey()).isNotNegative();
            int end = d.indexOf("\n## ", start + 1);
            Matcher m = Pattern.compile("(?m)^\\| `([a-z_]+)` \\|").matcher(d.substring(start, end));
            Set<String> set = new LinkedHashSet<>();
            while (m.find()) {
                set.add(m.group(1));
            }
            assertThat(set).as("keys under %s", h.getKey()).isNotEmpty();
            keys.put(h.getValue(), set);
        }
        return keys;
    }

    /** Whether a section of this type accepts the key (probed through the loader's "unknown key" error). */
    static boolean accepts(String type, String key) {
        // A filter's keys are its module's: the filter table lists the keys of every module.
        if (type.equals("filter") && !key.equals("module")) {
            for (String module : ConfigLoader.FILTER_MODULES.keySet()) {
                if (accepts("[x]\ntype=filter\nmodule=" + module + "\n", "x", key)) {
                    return true;
                }
            }
            return false;
        }
        String text = type.equals("patchbay") ? "[patchbay]\n\n" : "[x]\ntype=" + type + "\n";
        return accepts(text, type.equals("patchbay") ? "patchbay" : "x", key);
    }

    private static boolean accepts(String text, String section, String key) {
        int line = (int) text.lines().count() + 1;
        try {
            ConfigLoader.parse(Cfg.FILE, text + key + "=1\n");
            return true;
        } catch (ConfigException e) {
            return !e.errors().contains(Cfg.FILE + ":" + line + ": [" + section + "] " + key + ": unknown key");
        }
    }

    @Test
    void eachTableListsExactlyTheKeysItsSectionAccepts() throws IOException {
        Map<String, Set<String>> documented = documentedKeys();
        Set<String> all = new LinkedHashSet<>();
        documented.values().forEach(all::addAll);
        for (String type : documented.keySet()) {
            for (String key : all) {
                assertThat(accepts(type, key))
                        .as("[%s] %s: documented=%s", type, key, documented.get(type).contains(key))
                        .isEqualTo(documented.get(type).contains(key));
            }
        }
    }

    @Test
    void everyKeyTheLoaderReadsIsDocumented() throws IOException {
        Set<String> all = new LinkedHashSet<>();
        documentedKeys().values().forEach(all::addAll);
        Matcher m = Pattern.compile("r\\.[a-zA-Z]+\\(\"([a-z_]+)\"").matcher(Files.readString(LOADER));
        Set<String> read = new LinkedHashSet<>();
        while (m.find()) {
            read.add(m.group(1));
        }
        read.remove("type");
        assertThat(read).hasSizeGreaterThan(30);
        assertThat(all).containsAll(read);
    }
}
