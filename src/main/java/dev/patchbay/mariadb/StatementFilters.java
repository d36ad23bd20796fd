package dev.patchbay.mariadb;

import dev.patchbay.core.FilterDef;
import dev.patchbay.core.LiveSession;
import dev.patchbay.core.Session;
import dev.patchbay.filter.Filter;
import dev.patchbay.filter.StatementFilterSession;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The statement filter chain of one MariaDB session: the session-level part (set by PATCH) in front
 * of the service's part. Event loop only, except {@link #prepare}.
 */
final class StatementFilters {
    private static final StatementFilterSession[] NONE = new StatementFilterSession[0];

    private List<StatementFilterSession> sessionPart = List.of();
    private List<StatementFilterSession> servicePart = List.of();
    private StatementFilterSession[] all = NONE;

    /** Filter sessions in chain order; empty when the session has no statement filters. */
    StatementFilterSession[] all() {
        return all;
    }

    /**
     * Rebuilds the service part from {@code defs}: a filter that stays keeps its filter session (a query
     * log goes on in the same file), the others are closed. Filters that do not work with MariaDB
     * sessions are skipped (the configuration refuses them on a service with mariadb listeners).
     */
    void replaceServicePart(Session s, List<FilterDef> defs) {
        List<StatementFilterSession> old = new ArrayList<>(servicePart);
        List<StatementFilterSession> next = new ArrayList<>(defs.size());
        for (FilterDef d : defs) {
            if (!(d instanceof Filter f) || !f.supports("mariadb")) {
                continue;
            }
            StatementFilterSession kept = null;
            for (StatementFilterSession o : old) {
                if (o.filter() == f) {
                    kept = o;
                    break;
                }
            }
            if (kept != null) {
                old.remove(kept);
                next.add(kept);
            } else {
                next.add(f.newStatementSession(s));
            }
        }
        old.forEach(StatementFilterSession::close);
        servicePart = List.copyOf(next);
        rebuild();
    }

    /** Puts prepared session-level filter sessions in place, closing the previous ones. */
    void replaceSessionPart(LiveSession.PreparedFilters chain) {
        sessionPart.forEach(StatementFilterSession::close);
        sessionPart = ((Prepared) chain).sessions();
        rebuild();
    }

    void close() {
        sessionPart.forEach(StatementFilterSession::close);
        servicePart.forEach(StatementFilterSession::close);
        sessionPart = List.of();
        servicePart = List.of();
        all = NONE;
    }

    private void rebuild() {
        List<StatementFilterSession> a = new ArrayList<>(sessionPart);
        a.addAll(servicePart);
        all = a.toArray(NONE);
    }

    /** Filter sessions opened for a session-level chain, not yet in use. */
    private record Prepared(List<FilterDef> filters, List<StatementFilterSession> sessions)
            implements LiveSession.PreparedFilters {
        @Override
        public void discard() {
            sessions.forEach(StatementFilterSession::close);
        }
    }

    /** Starts a filter session per filter; if one cannot start, the others are closed and the first reason is given. */
    static CompletionStage<LiveSession.PreparedFilters> prepare(Session session, List<FilterDef> defs) {
        List<CompletableFuture<StatementFilterSession>> starts = new ArrayList<>();
        for (FilterDef d : defs) {
            if (!(d instanceof Filter f) || !f.supports("mariadb")) {
                starts.forEach(s -> s.thenAccept(StatementFilterSession::close));
                return CompletableFuture.failedFuture(new IllegalArgumentException("Failed to create filter session for '"
                        + d.name() + "': module " + d.module() + " does not work with MariaDB sessions"));
            }
            starts.add(f.startStatementSession(session));
        }
        return CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).handle((v, err) -> {
            List<StatementFilterSession> ok = new ArrayList<>();
            for (CompletableFuture<StatementFilterSession> s : starts) {
                if (!s.isCompletedExceptionally()) {
                    ok.add(s.join());
                }
            }
            if (err != null) {
                ok.forEach(StatementFilterSession::close);
                Throwable c = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                throw new CompletionException(c);
            }
            return new Prepared(List.copyOf(defs), List.copyOf(ok));
        });
    }
}
