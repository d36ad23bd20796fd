package dev.patchbay.mariadb;

import dev.patchbay.core.ProtocolDetails;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a MariaDB session publishes to the admin views. Written on the session's event loop only;
 * each field is an immutable value behind a volatile reference (or a guarded ring), so admin
 * threads read consistent snapshots without blocking the data plane.
 */
final class MariaDbDetails implements ProtocolDetails {
    private volatile String user;
    private volatile Map<String, String> attributes;
    private volatile String clientCipher = "";
    private volatile List<BackendConnection> backends = List.of();
    private volatile String database;
    private volatile boolean awaiting;
    private volatile boolean inTransaction;
    private volatile History history = History.NONE;
    private volatile long heldBytes;
    private volatile long historyBytes;
    private final int retain;
    private final ArrayDeque<Statement> statements = new ArrayDeque<>();
    private long statementBytes;

    MariaDbDetails(int retainLastStatements) {
        this.retain = retainLastStatements;
    }

    @Override
    public String user() {
        return user;
    }

    void user(String u) {
        user = u;
    }

    @Override
    public Map<String, String> connectionAttributes() {
        return attributes;
    }

    void attributes(Map<String, String> a) {
        attributes = a == null ? Map.of() : Map.copyOf(a);
    }

    @Override
    public String clientCipher() {
        return clientCipher;
    }

    void clientCipher(String c) {
        clientCipher = c;
    }

    @Override
    public List<BackendConnection> backendConnections() {
        return backends;
    }

    void backends(List<BackendConnection> list) {
        backends = List.copyOf(list);
    }

    @Override
    public String database() {
        return database;
    }

    void database(String db) {
        database = db;
    }

    @Override
    public boolean awaitingResponse() {
        return awaiting;
    }

    // Setters write only on a change: a volatile store on every query costs more than the read.
    void awaiting(boolean a) {
        if (awaiting != a) {
            awaiting = a;
        }
    }

    @Override
    public boolean inTransaction() {
        return inTransaction;
    }

    void inTransaction(boolean t) {
        if (inTransaction != t) {
            inTransaction = t;
        }
    }

    @Override
    public History history() {
        return history;
    }

    void history(History h, long bytes) {
        history = h;
        historyBytes = bytes;
    }

    void heldBytes(long b) {
        if (heldBytes != b) {
            heldBytes = b;
        }
    }

    boolean retainsStatements() {
        return retain > 0;
    }

    synchronized void statementReceived(Statement s) {
        if (retain <= 0) {
            return;
        }
        statements.addLast(s);
        statementBytes += size(s);
        while (statements.size() > retain) {
            statementBytes -= size(statements.pollFirst());
        }
    }

    /** Replaces the newest statement still matching {@code old} (it completed or got a response). */
    synchronized void statementUpdated(Statement old, Statement now) {
        if (retain <= 0) {
            return;
        }
        List<Statement> copy = new ArrayList<>(statements);
        for (int i = copy.size() - 1; i >= 0; i--) {
            if (copy.get(i) == old) {
                copy.set(i, now);
                statements.clear();
                statements.addAll(copy);
                statementBytes += size(now) - size(old);
                return;
            }
        }
    }

    @Override
    public synchronized List<Statement> recentStatements() {
        return List.copyOf(statements);
    }

    @Override
    public synchronized Memory memory() {
        return new Memory(heldBytes, historyBytes, 0, statementBytes);
    }

    /** Measured size of a retained statement: its text (UTF-16 chars), command name and responses. */
    private static long size(Statement s) {
        long n = 64 + s.command().length() * 2L;
        if (s.sql() != null) {
            n += 40 + s.sql().length() * 2L;
        }
        for (Response r : s.responses()) {
            n += 32 + r.server().length() * 2L;
        }
        return n;
    }
}
