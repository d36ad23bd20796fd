package dev.patchbay.mariadb;

import dev.patchbay.mariadb.protocol.Packets;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a COM_QUERY does to session state, read from the first keywords of the frame in place (after
 * any leading comments, and inside an executable comment {@code /*!40101 SET …}, as ORMs and dump tools
 * write them): the hot path copies a statement only when it changes the session (history) or its
 * temporary tables. Only the first statement of a multi-statement query is classified.
 */
enum StatementKind {
    /** Changes no session state Patchbay tracks. */
    OTHER,
    /** SET (not GLOBAL), PREPARE, DEALLOCATE / DROP PREPARE: recorded in the history. */
    SESSION,
    /** USE db: recorded, and the current database changes. */
    USE,
    /** CREATE [OR REPLACE] TEMPORARY TABLE. */
    CREATE_TEMPORARY,
    /** DROP [TEMPORARY] TABLE: may drop temporary tables. */
    DROP_TABLE;

    private static final int SCAN = 96;
    /** How far leading comments are followed before the statement is taken for OTHER. */
    private static final int COMMENTS = 4096;

    /** Classifies the COM_QUERY in {@code frame} (header, command byte, SQL). */
    static StatementKind of(ByteBuf frame) {
        int start = frame.readerIndex() + Packets.HEADER + 1;
        int p = skipSpaceAndComments(frame, start, Math.min(frame.writerIndex(), start + COMMENTS));
        int end = Math.min(frame.writerIndex(), p + SCAN);
        int q;
        if ((q = keyword(frame, p, end, "SET")) >= 0) {
            q = skipSpace(frame, q, end);
            return keyword(frame, q, end, "GLOBAL") >= 0 || prefix(frame, q, end, "@@GLOBAL.") ? OTHER : SESSION;
        }
        if (keyword(frame, p, end, "USE") >= 0) {
            return USE;
        }
        if (keyword(frame, p, end, "PREPARE") >= 0 || keyword(frame, p, end, "DEALLOCATE") >= 0) {
            return SESSION;
        }
        if ((q = keyword(frame, p, end, "DROP")) >= 0) {
            q = skipSpace(frame, q, end);
            if (keyword(frame, q, end, "PREPARE") >= 0) {
                return SESSION;
            }
            int t = keyword(frame, q, end, "TEMPORARY");
            if (t >= 0) {
                q = skipSpace(frame, t, end);
            }
            return keyword(frame, q, end, "TABLE") >= 0 ? DROP_TABLE : OTHER;
        }
        if ((q = keyword(frame, p, end, "CREATE")) >= 0) {
            q = skipSpace(frame, q, end);
            int r = keyword(frame, q, end, "OR");
            if (r >= 0) {
                r = keyword(frame, skipSpace(frame, r, end), end, "REPLACE");
                if (r < 0) {
                    return OTHER;
                }
                q = skipSpace(frame, r, end);
            }
            return keyword(frame, q, end, "TEMPORARY") >= 0 ? CREATE_TEMPORARY : OTHER;
        }
        return OTHER;
    }

    /**
     * Skips blanks and comments ({@code /* … *\/}, {@code -- …}, {@code # …}); stops inside an executable
     * comment ({@code /*!}, {@code /*M!}, with an optional version), whose text the server runs.
     */
    static int skipSpaceAndComments(ByteBuf b, int p, int end) {
        while (true) {
            p = skipSpace(b, p, end);
            if (p + 1 < end && b.getByte(p) == '/' && b.getByte(p + 1) == '*') {
                int q = p + 2;
                if (q + 1 < end && b.getByte(q) == 'M' && b.getByte(q + 1) == '!') {
                    q++;
                }
                if (q < end && b.getByte(q) == '!') {
                    q++;
                    while (q < end && b.getByte(q) >= '0' && b.getByte(q) <= '9') {
                        q++;
                    }
                    p = q;
                    continue;
                }
                p = after(b, p + 2, end, "*/");
            } else if (p < end && (b.getByte(p) == '#' || (p + 2 < end && b.getByte(p) == '-' && b.getByte(p + 1) == '-'
                    && Character.isWhitespace(b.getByte(p + 2))))) {
                p = after(b, p + 1, end, "\n");
            } else {
                return p;
            }
        }
    }

    /** Position after the first {@code text} at or after {@code p}, or {@code end}. */
    private static int after(ByteBuf b, int p, int end, String text) {
        for (int i = p; i + text.length() <= end; i++) {
            boolean match = true;
            for (int k = 0; k < text.length() && match; k++) {
                match = b.getByte(i + k) == text.charAt(k);
            }
            if (match) {
                return i + text.length();
            }
        }
        return end;
    }

    /** {@code sql} from its first statement keyword on (leading comments and an executable comment's opening cut). */
    static String withoutLeadingComments(String sql) {
        // ISO-8859-1 keeps one byte per char, so the offset in bytes is the offset in chars.
        byte[] bytes = sql.getBytes(StandardCharsets.ISO_8859_1);
        return sql.substring(skipSpaceAndComments(io.netty.buffer.Unpooled.wrappedBuffer(bytes), 0, bytes.length));
    }

    private static int skipSpace(ByteBuf b, int p, int end) {
        while (p < end && Character.isWhitespace(b.getByte(p))) {
            p++;
        }
        return p;
    }

    /** Position after {@code kw} (any case) at {@code p} followed by a non-identifier character, else -1. */
    private static int keyword(ByteBuf b, int p, int end, String kw) {
        int n = kw.length();
        if (p + n > end) {
            return -1;
        }
        for (int i = 0; i < n; i++) {
            if (Character.toUpperCase(b.getByte(p + i)) != kw.charAt(i)) {
                return -1;
            }
        }
        if (p + n < end) {
            byte c = b.getByte(p + n);
            if (Character.isLetterOrDigit(c) || c == '_' || c == '$') {
                return -1;
            }
        }
        return p + n;
    }

    private static boolean prefix(ByteBuf b, int p, int end, String s) {
        if (p + s.length() > end) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (Character.toUpperCase(b.getByte(p + i)) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static final String NAME = "(`(?:[^`]|``)+`|[\\w$]+)(?:\\s*\\.\\s*(`(?:[^`]|``)+`|[\\w$]+))?";
    private static final Pattern CREATE = Pattern.compile(
            "^\\s*CREATE\\s+(?:OR\\s+REPLACE\\s+)?TEMPORARY\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?" + NAME,
            Pattern.CASE_INSENSITIVE);
    private static final Pattern DROP = Pattern.compile(
            "^\\s*DROP\\s+(?:TEMPORARY\\s+)?TABLES?\\s+(?:IF\\s+EXISTS\\s+)?(.*?)\\s*(?:RESTRICT|CASCADE)?\\s*;?\\s*$",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    private static final Pattern ONE = Pattern.compile("\\s*" + NAME + "\\s*");

    /** The table a CREATE TEMPORARY TABLE creates (unquoted, without its database), or null. */
    static String createdTable(String sql) {
        Matcher m = CREATE.matcher(withoutLeadingComments(sql));
        return m.find() ? tableName(m) : null;
    }

    /** The tables a DROP TABLE names. */
    static List<String> droppedTables(String sql) {
        Matcher m = DROP.matcher(withoutLeadingComments(sql).replaceFirst("\\*/\\s*$", ""));
        List<String> out = new ArrayList<>();
        if (!m.find()) {
            return out;
        }
        for (String part : m.group(1).split(",")) {
            Matcher n = ONE.matcher(part);
            if (n.matches()) {
                out.add(tableName(n));
            }
        }
        return out;
    }

    private static String tableName(Matcher m) {
        String a = unquote(m.group(1));
        String b = m.group(2) == null ? null : unquote(m.group(2));
        // The name without its database (created as t, dropped as db.t); case kept, as table names are
        // case-sensitive on Linux servers.
        return b == null ? a : b;
    }

    private static String unquote(String s) {
        return s.startsWith("`") ? s.substring(1, s.length() - 1).replace("``", "`") : s;
    }

    static String sql(ByteBuf frame) {
        return Packets.payload(frame).toString(1, Packets.payloadLength(frame) - 1, StandardCharsets.UTF_8);
    }
}
