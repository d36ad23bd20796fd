package dev.patchbay.admin.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * The CLI's request grammar (HAProxy 3.2+): a line holds commands separated by unescaped
 * {@code ;}; a command holds words separated by runs of blanks; a backslash makes the next
 * character literal ({@code \;}, {@code \ }, {@code \\}).
 */
final class CommandLine {
    /** HAProxy's MAX_CLI_ARGS. */
    static final int MAX_ARGS = 64;

    private CommandLine() {}

    /**
     * Splits a line (no LF, trailing CR already removed) into its commands, escapes kept for
     * {@link #words}. A trailing {@code ;} does not add an empty command; an empty line is one
     * empty command. A NUL byte ends its command (HAProxy parses each command as a C string), the
     * commands after the next {@code ;} still run, as in HAProxy 2.6.
     */
    static List<String> commands(String line) {
        List<String> out = new ArrayList<>(2);
        int start = 0;
        int n = line.length();
        for (int i = 0; i < n; i++) {
            char c = line.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == ';') {
                out.add(untilNul(line.substring(start, i)));
                start = i + 1;
            }
        }
        if (start < n || out.isEmpty()) {
            out.add(untilNul(line.substring(start)));
        }
        return out;
    }

    private static String untilNul(String command) {
        int nul = command.indexOf('\0');
        return nul < 0 ? command : command.substring(0, nul);
    }

    /**
     * Splits one command into words and removes the escapes. Returns at most
     * {@code MAX_ARGS + 1} words: a caller seeing more than {@link #MAX_ARGS} refuses the command.
     */
    static List<String> words(String command) {
        List<String> out = new ArrayList<>(4);
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        int n = command.length();
        for (int i = 0; i < n && out.size() <= MAX_ARGS; i++) {
            char c = command.charAt(i);
            if (c == ' ' || c == '\t') {
                if (inWord) {
                    addWord(out, word);
                    inWord = false;
                }
                continue;
            }
            inWord = true;
            if (c == '\\') {
                if (i + 1 < n) {
                    word.append(command.charAt(++i));
                }
            } else {
                word.append(c);
            }
        }
        if (inWord && out.size() <= MAX_ARGS) {
            addWord(out, word);
        }
        return out;
    }

    private static void addWord(List<String> out, StringBuilder word) {
        // A lone trailing backslash unescapes to nothing; HAProxy would end its argument list there.
        if (word.length() > 0) {
            out.add(word.toString());
        }
        word.setLength(0);
    }
}
