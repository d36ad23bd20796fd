package dev.patchbay.admin.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The usage generator is a port of HAProxy's: fed HAProxy's own command tables (from the
 * captured {@code help}), it must print exactly what HAProxy printed for unknown commands.
 */
class KeywordsTest {

    /**
     * HAProxy's keyword table rebuilt from a captured help: words up to the first syntax token.
     * The help is sorted, but ties between equally close suggestions go to the keyword registered
     * first; HAProxy registers stream.c's keywords ({@code show sess}, {@code shutdown ...}) before
     * the ACL, map and environment ones, so they are moved to the front.
     */
    private static Keywords haproxyTable(String helpCapture) {
        Keywords k = new Keywords();
        List<String> lines = new ArrayList<>(Captures.helpLines(helpCapture));
        List<String> stream = lines.stream().filter(l -> l.startsWith("show sess") || l.startsWith("shutdown sess")).toList();
        lines.removeAll(stream);
        lines.addAll(0, stream);
        for (String usage : lines) {
            List<String> words = new ArrayList<>();
            for (String w : usage.split(" +")) {
                if (w.isEmpty() || "[<({@:".indexOf(w.charAt(0)) >= 0) {
                    break;
                }
                words.add(w);
            }
            k.add(String.join(" ", words), usage, Level.USER, (cli, args) -> Reply.empty());
        }
        return k;
    }

    @Test
    void unknownCommandSuggestionsMatchNewestHaproxy() {
        Keywords table = haproxyTable("newest/01-help-admin.txt");
        Map<String, String> expected = Captures.sections("newest/30-bad-commands.txt");
        assertThat(expected).containsKeys("foo", "show foo", "sho sess", "SHOW SESS", "shutdown", "show");
        for (Map.Entry<String, String> e : expected.entrySet()) {
            List<String> args = Arrays.asList(e.getKey().split(" "));
            assertThat(table.usage(args) + "\n").as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    @Test
    void helpWithPrefixMatchesNewestHaproxy() {
        Keywords table = haproxyTable("newest/01-help-admin.txt");
        String expected = Captures.raw("newest/05-help-prefix.txt");
        String actual = table.usage(List.of("help", "show", "sess")) + "\n" + table.usage(List.of("help", "shutdown")) + "\n";
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void plainHelpListsEverything() {
        Keywords table = haproxyTable("newest/01-help-admin.txt");
        assertThat(table.usage(List.of("help")) + "\n").isEqualTo(Captures.raw("newest/01-help-admin.txt"));
    }

    @Test
    void findTakesLongestRegisteredPrefixInOrder() {
        Keywords k = new Keywords()
                .add("shutdown session", "a", Level.ADMIN, (c, a) -> Reply.text("one"))
                .add("shutdown sessions server", "b", Level.ADMIN, (c, a) -> Reply.text("two"));
        assertThat(k.find(List.of("shutdown", "session", "0x1")).usage()).isEqualTo("a");
        assertThat(k.find(List.of("shutdown", "sessions", "server", "b/s")).usage()).isEqualTo("b");
        assertThat(k.find(List.of("shutdown", "sessions"))).isNull();
        assertThat(k.find(List.of("SHUTDOWN", "session"))).isNull();
    }
}
