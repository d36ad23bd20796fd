package dev.patchbay.admin.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The CLI's command table: lookup by leading words, and HAProxy's usage message ({@code help},
 * unknown commands) with its fuzzy suggestions, ported from {@code cli_gen_usage_msg()}.
 */
final class Keywords {

    /** Runs one command; the connection has already checked the keyword's level. */
    @FunctionalInterface
    interface Command {
        Reply run(Cli cli, List<String> args);
    }

    /**
     * @param words   the words that select the command ({@code show sess})
     * @param usage   the help line, syntax padded to 40 columns, or null for commands not listed
     * @param level   the minimum level, else {@code Permission denied}
     */
    record Keyword(List<String> words, String usage, Level level, Command command) {}

    /** HAProxy's CLI_PREFIX_KW_NB and CLI_MAX_MATCHES. */
    private static final int PREFIX_WORDS = 5;
    private static final int MAX_MATCHES = 5;

    static final String TRAILER =
            "  help [<command>]                        : list matching or all commands\n"
            + "  prompt [help | n | i | p | timed ]*     : toggle interactive mode with prompt\n"
            + "  quit                                    : disconnect\n";

    private final List<Keyword> keywords = new ArrayList<>();

    Keywords add(String words, String usage, Level level, Command command) {
        keywords.add(new Keyword(List.of(words.split(" ")), usage, level, command));
        return this;
    }

    List<Keyword> all() {
        return keywords;
    }

    /** The first keyword, in registration order, whose words all start {@code args}. */
    Keyword find(List<String> args) {
        for (Keyword k : keywords) {
            if (k.words().size() <= args.size() && k.words().equals(args.subList(0, k.words().size()))) {
                return k;
            }
        }
        return null;
    }

    /**
     * The usage message: for {@code help [words]} when {@code args} starts with {@code help},
     * else for an unknown command. Lists the commands whose words match all the leading words
     * that matched any command, or up to 5 close fuzzy matches of the remaining words.
     */
    String usage(List<String> args) {
        boolean isHelp = !args.isEmpty() && args.get(0).equals("help");
        List<String> a = isHelp ? args.subList(1, args.size()) : args;

        int length = 0;
        for (Keyword k : keywords) {
            int idx = 0;
            while (idx < PREFIX_WORDS && idx < k.words().size() && idx < a.size()
                    && k.words().get(idx).equals(a.get(idx))) {
                idx++;
                length = Math.max(length, idx);
            }
        }

        StringBuilder sb = new StringBuilder(1024);
        if (isHelp) {
            sb.append("The following commands are valid at this level:\n");
        } else if (length == 0 && a.isEmpty()) {
            sb.append("Unknown command. Please enter one of the following commands only:\n");
        } else {
            sb.append("Unknown command: '").append(a.get(0))
                    .append("', but maybe one of the following ones is a better match:\n");
        }

        Keyword[] matchKw = new Keyword[MAX_MATCHES];
        int[] matchDist = new int[MAX_MATCHES];
        Arrays.fill(matchDist, Integer.MAX_VALUE);
        if (length < a.size()) {
            for (Keyword k : keywords) {
                if (k.usage() == null || !matchesLeading(k, a, length)) {
                    continue;
                }
                int[] wordSig = new int[1024];
                int[] listSig = new int[1024];
                int totlen = 0;
                for (int i = length; i < PREFIX_WORDS && i < a.size(); i++) {
                    fingerprint(wordSig, a.get(i));
                    totlen += a.get(i).length();
                }
                for (int i = length; i < PREFIX_WORDS && i < k.words().size(); i++) {
                    fingerprint(listSig, k.words().get(i));
                    totlen += k.words().get(i).length();
                }
                int dist = 0;
                for (int i = 0; i < 1024; i++) {
                    dist += Math.abs(wordSig[i] - listSig[i]);
                }
                if (dist < 5 * totlen / 2 && dist < matchDist[MAX_MATCHES - 1]) {
                    matchKw[MAX_MATCHES - 1] = k;
                    matchDist[MAX_MATCHES - 1] = dist;
                    for (int idx = MAX_MATCHES - 1; --idx >= 0; ) {
                        if (matchDist[idx + 1] >= matchDist[idx]) {
                            break;
                        }
                        Keyword tk = matchKw[idx];
                        int td = matchDist[idx];
                        matchKw[idx] = matchKw[idx + 1];
                        matchDist[idx] = matchDist[idx + 1];
                        matchKw[idx + 1] = tk;
                        matchDist[idx + 1] = td;
                    }
                }
            }
        }

        List<Keyword> entries = new ArrayList<>();
        if (matchKw[0] != null) {
            for (int idx = 0; idx < MAX_MATCHES && matchKw[idx] != null; idx++) {
                if (matchDist[idx] > 5 * matchDist[0] / 2) {
                    break;
                }
                entries.add(matchKw[idx]);
            }
        } else {
            for (Keyword k : keywords) {
                if (k.usage() != null && matchesLeading(k, a, length)) {
                    entries.add(k);
                }
            }
        }
        // strcmp order: compare as bytes, as the C code does.
        entries.sort((x, y) -> compareBytes(x.usage(), y.usage()));
        for (Keyword k : entries) {
            sb.append("  ").append(k.usage()).append('\n');
        }
        sb.append(TRAILER);
        return sb.toString();
    }

    /** True when the keyword has at least {@code length} words and they equal the arguments' first ones. */
    private static boolean matchesLeading(Keyword k, List<String> a, int length) {
        if (k.words().size() < length) {
            return false;
        }
        for (int idx = 0; idx < length; idx++) {
            if (!k.words().get(idx).equals(a.get(idx))) {
                return false;
            }
        }
        return true;
    }

    /**
     * HAProxy's {@code update_word_fingerprint()}: counts transitions between character classes
     * (1..26 letters, 27 digits, 28 anything else, 28 also for begin/end) in a 32x32 table of
     * 8-bit counters; row 0 marks which classes occur.
     */
    static void fingerprint(int[] fp, String word) {
        int from = 28;
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                c = (char) (c + ('a' - 'A'));
            }
            int to;
            if (c >= 'a' && c <= 'z') {
                to = c - 'a' + 1;
            } else if (c >= '0' && c <= '9') {
                to = 27;
            } else {
                to = 28;
            }
            fp[to] = 1;
            fp[32 * from + to] = (fp[32 * from + to] + 1) & 0xff;
            from = to;
        }
        fp[32 * from + 28] = (fp[32 * from + 28] + 1) & 0xff;
    }

    private static int compareBytes(String x, String y) {
        byte[] a = x.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] b = y.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return Arrays.compareUnsigned(a, b);
    }
}
