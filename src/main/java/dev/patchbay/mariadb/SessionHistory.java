package dev.patchbay.mariadb;

import dev.patchbay.core.ProtocolDetails;
import dev.patchbay.mariadb.protocol.Commands;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Locale;

/**
 * The session-command history (PROTOCOL.md §10, MaxScale {@code record_for_history}): commands
 * that change session state, with whether the server accepted them, so that a new backend
 * connection can be brought to the same state and checked. Bounded by {@code max_sescmd_history};
 * when full the oldest entry is dropped (MaxScale's {@code prune_sescmd_history=true}).
 * COM_STMT_CLOSE removes its PREPARE, COM_CHANGE_USER clears everything, COM_RESET_CONNECTION
 * leaves only the current database. Event loop only.
 */
final class SessionHistory {

    /** One recorded command: its payload (command byte first) and the outcome once known. */
    static final class Entry {
        final int command;
        final byte[] payload;
        Boolean ok;
        long statementId = -1;

        Entry(int command, byte[] payload) {
            this.command = command;
            this.payload = payload;
        }
    }

    private final int max;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private long bytes;

    SessionHistory(int max) {
        this.max = max;
    }

    /** Records {@code payload} if it is a session command; returns its entry, else null. */
    Entry onCommand(int command, byte[] payload) {
        if (max <= 0) {
            return null;
        }
        switch (command) {
            case Commands.COM_INIT_DB:
            case Commands.COM_STMT_PREPARE:
            case Commands.COM_SET_OPTION:
                return add(new Entry(command, payload));
            case Commands.COM_QUERY:
                return isSessionStatement(payload) ? add(new Entry(command, payload)) : null;
            default:
                return null;
        }
    }

    /** COM_STMT_CLOSE: the PREPARE of that statement leaves the history. */
    void statementClosed(long id) {
        for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (e.command == Commands.COM_STMT_PREPARE && e.statementId == id) {
                it.remove();
                bytes -= e.payload.length;
                return;
            }
        }
    }

    void clear() {
        entries.clear();
        bytes = 0;
    }

    /** COM_RESET_CONNECTION: only the current database survives. */
    void reset(String database) {
        clear();
        if (database != null && max > 0) {
            byte[] name = database.getBytes(StandardCharsets.UTF_8);
            byte[] p = new byte[name.length + 1];
            p[0] = Commands.COM_INIT_DB;
            System.arraycopy(name, 0, p, 1, name.length);
            Entry e = add(new Entry(Commands.COM_INIT_DB, p));
            e.ok = true;
        }
    }

    private Entry add(Entry e) {
        entries.addLast(e);
        bytes += e.payload.length;
        while (entries.size() > max) {
            bytes -= entries.pollFirst().payload.length;
        }
        return e;
    }

    int size() {
        return entries.size();
    }

    ProtocolDetails.History stats() {
        int responses = 0;
        for (Entry e : entries) {
            if (e.ok != null) {
                responses++;
            }
        }
        return new ProtocolDetails.History(entries.size(), responses, 0);
    }

    /** Bytes of command payloads held. */
    long bytes() {
        return bytes;
    }

    /** SET (not SET GLOBAL), USE, PREPARE, DEALLOCATE/DROP PREPARE. */
    static boolean isSessionStatement(byte[] payload) {
        int n = Math.min(payload.length - 1, 64);
        String head = new String(payload, 1, Math.max(0, n), StandardCharsets.UTF_8).stripLeading().toUpperCase(Locale.ROOT);
        if (head.startsWith("SET ")) {
            String rest = head.substring(4).stripLeading();
            return !rest.startsWith("GLOBAL ") && !rest.startsWith("@@GLOBAL.");
        }
        return head.startsWith("USE ") || head.startsWith("PREPARE ") || head.startsWith("DEALLOCATE ")
                || head.startsWith("DROP PREPARE ");
    }
}
