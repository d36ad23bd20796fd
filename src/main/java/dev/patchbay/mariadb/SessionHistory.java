package dev.patchbay.mariadb;

import dev.patchbay.core.ProtocolDetails;
import dev.patchbay.mariadb.protocol.Commands;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

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
    private boolean pruned;
    private long version;

    SessionHistory(int max) {
        this.max = max;
    }

    /**
     * Records a session command (COM_INIT_DB, COM_STMT_PREPARE, COM_SET_OPTION, or a COM_QUERY that
     * {@link StatementKind} calls SESSION or USE); returns its entry, or null when history is off.
     */
    Entry record(int command, byte[] payload) {
        return max <= 0 ? null : add(new Entry(command, payload));
    }

    /** The server answered {@code e}'s command: OK or not. */
    void completed(Entry e, boolean ok) {
        e.ok = ok;
        version++;
    }

    /** Whether history is kept at all ({@code max_sescmd_history} above 0). */
    boolean enabled() {
        return max > 0;
    }

    /** True once an entry was dropped because the history was full: the state can no longer be replayed. */
    boolean pruned() {
        return pruned;
    }

    /** Changes so far: a restart replays a copy and checks that nothing changed meanwhile. */
    long version() {
        return version;
    }

    /** The entries, oldest first. */
    List<Entry> snapshot() {
        return new ArrayList<>(entries);
    }

    /** COM_STMT_CLOSE: the PREPARE of that statement leaves the history. */
    void statementClosed(long id) {
        for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (e.command == Commands.COM_STMT_PREPARE && e.statementId == id) {
                it.remove();
                bytes -= e.payload.length;
                version++;
                return;
            }
        }
    }

    void clear() {
        entries.clear();
        bytes = 0;
        pruned = false;
        version++;
    }

    /** COM_RESET_CONNECTION: only the current database survives. */
    void reset(String database) {
        clear();
        if (database != null && max > 0) {
            // Not pruned: what was dropped no longer matters after a reset.
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
        version++;
        while (entries.size() > max) {
            bytes -= entries.pollFirst().payload.length;
            pruned = true;
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
}
