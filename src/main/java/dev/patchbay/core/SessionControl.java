package dev.patchbay.core;

import dev.patchbay.logging.SessionLog;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Live control of one session, protocol-independent: kills with a ttl (optionally at the first idle
 * moment), restarts and session-level filter swaps. Both admin interfaces ask through here; the
 * protocol does the work through {@link LiveSession}.
 *
 * <p>Requests may come from any thread; they run on the session's event loop and their futures
 * complete there. Everything an operator sees (what is pending, the last restart's outcome) is held in
 * immutable records behind volatile fields, written on the loop only.
 *
 * <p>Waiting for an idle moment: when something needs one, the controller asks
 * {@link LiveSession#idleSinceNanos()} and arms one timer at {@code idleSince + quiet} (or re-polls every
 * {@link #POLL_NANOS} while busy or inside a transaction). A protocol that knows exactly when a response
 * ends or a transaction closes calls {@link #poke()} there to act at once instead of at the next poll.
 */
public final class SessionControl {
    /** How often a session that is busy or inside a transaction is looked at again. */
    static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** Timers for sessions whose loop is not a scheduler (unit-test I/O); tasks hop onto the session's executor. */
    private static final ScheduledExecutorService FALLBACK = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "patchbay-session-control");
        t.setDaemon(true);
        return t;
    });

    /** A restart asked for and not finished: who asked, when, not before when, and what it waits for. */
    public record PendingRestart(String by, long requestedNanos, long notBeforeNanos, String waitingFor) {}

    /** How the last restart ended; {@code generation} is the configuration generation it moved to. */
    public record RestartResult(boolean ok, String detail, long atEpochMillis, long generation) {}

    /** A kill scheduled with a ttl: the deadline, whether it may happen earlier at an idle moment, who. */
    public record PendingKill(long deadlineNanos, boolean safe, String by) {}

    /** A session-level filter chain opened and waiting for an idle moment to replace the current one. */
    public record PendingFilters(List<String> names, String by) {}

    private final Session session;

    private volatile PendingRestart restart;
    private volatile RestartResult lastRestart;
    private volatile PendingKill kill;
    private volatile PendingFilters pendingFilters;
    private volatile int restarts;

    // Loop-only.
    private Termination killTermination;
    private String killReason;
    private ScheduledFuture<?> killTimer;
    private ScheduledFuture<?> idleCheck;
    private long idleCheckAt;
    private boolean restartRunning;
    private PendingRestart restartAgain;
    private LiveSession.PreparedFilters prepared;
    private boolean closed;

    SessionControl(Session session) {
        this.session = session;
    }

    // ---- what operators see -------------------------------------------------------------------

    public PendingRestart pendingRestart() {
        return restart;
    }

    public RestartResult lastRestart() {
        return lastRestart;
    }

    public PendingKill pendingKill() {
        return kill;
    }

    public PendingFilters pendingFilters() {
        return pendingFilters;
    }

    /** Restarts that succeeded. */
    public int restarts() {
        return restarts;
    }

    /** Whether the session's protocol supports restart and filters (TCP and MariaDB sessions do, the CLI does not). */
    public boolean isLive() {
        return session.io() instanceof LiveSession;
    }

    private String notLive() {
        return session.service() == null
                ? "it is a " + session.frontend().protocol() + " connection with no backend"
                : "its protocol (" + session.frontend().protocol() + ") does not support live control";
    }

    private LiveSession live() {
        return session.io() instanceof LiveSession l ? l : null;
    }

    // ---- requests (any thread) ----------------------------------------------------------------

    /**
     * Asks for a restart at the first idle moment outside a transaction, not before {@code delayNanos}
     * from now. Completes with null once recorded, or with the reason it cannot be done.
     */
    public CompletableFuture<String> requestRestart(String by, long delayNanos) {
        CompletableFuture<String> done = new CompletableFuture<>();
        if (!isLive()) {
            done.complete("Session " + session.id() + " cannot be restarted: " + notLive());
            return done;
        }
        if (session.service() != null && session.service().retired()) {
            done.complete("Session " + session.id() + " cannot be restarted: its service '" + session.service().name()
                    + "' was destroyed");
            return done;
        }
        session.execute(() -> {
            if (closed || !session.state().isLive()) {
                done.complete("Session " + session.id() + " is closing");
                return;
            }
            long now = System.nanoTime();
            PendingRestart p = new PendingRestart(by, now, now + Math.max(0, delayNanos),
                    delayNanos > 0 ? "scheduled" : "idle");
            if (restartRunning) {
                // The configuration may have changed again since the running one started: run once more after it.
                restartAgain = p;
            } else {
                restart = p;
            }
            SessionLog.info(session, "Restart requested by {}{}", by, delayNanos > 0
                    ? " (not before " + TimeUnit.NANOSECONDS.toMillis(delayNanos) + " ms)" : "");
            done.complete(null);
            evaluate();
        });
        return done;
    }

    /**
     * Kills the session {@code ttlNanos} from now (0 or less: at once). With {@code safe}, it happens
     * earlier at the first idle moment outside a transaction. A new request replaces a pending one.
     * {@code reason} is what the client is told where the protocol can say something (MariaDB).
     */
    public CompletableFuture<Void> scheduleKill(long ttlNanos, boolean safe, Termination why, String by, String reason) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        session.execute(() -> {
            cancelKillTimer();
            if (closed || !session.state().isLive()) {
                done.complete(null);
                return;
            }
            if (ttlNanos <= 0) {
                kill = null;
                done.complete(null);
                session.kill(why, reason);
                return;
            }
            long deadline = System.nanoTime() + ttlNanos;
            kill = new PendingKill(deadline, safe && isLive(), by);
            killTermination = why;
            killReason = reason;
            killTimer = schedule(this::onKillDeadline, ttlNanos);
            SessionLog.info(session, "Kill scheduled by {} in {} ms{}", by, TimeUnit.NANOSECONDS.toMillis(ttlNanos),
                    safe ? " (earlier at the first idle moment)" : "");
            done.complete(null);
            evaluate();
        });
        return done;
    }

    /** Drops a pending ttl kill; true if there was one. */
    public CompletableFuture<Boolean> cancelKill() {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        session.execute(() -> {
            boolean had = kill != null;
            cancelKillTimer();
            kill = null;
            done.complete(had);
            evaluate();
        });
        return done;
    }

    /**
     * Replaces the session-level filter chain: the new filter sessions open now (a failure completes the
     * future exceptionally and changes nothing) and replace the old ones at the next idle moment outside a
     * transaction. An empty list removes the session's filters. A newer request replaces a pending one.
     */
    public CompletableFuture<Void> setFilters(List<FilterDef> filters, String by) {
        LiveSession live = live();
        if (live == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("Session " + session.id()
                    + " cannot have filters: " + notLive()));
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        live.prepareFilters(filters).whenComplete((chain, err) -> {
            if (err != null) {
                done.completeExceptionally(err);
                return;
            }
            session.execute(() -> {
                if (closed || !session.state().isLive()) {
                    chain.discard();
                    done.completeExceptionally(new IllegalStateException("Session " + session.id() + " is closing"));
                    return;
                }
                if (prepared != null) {
                    prepared.discard();
                }
                prepared = chain;
                pendingFilters = new PendingFilters(filters.stream().map(FilterDef::name).toList(), by);
                done.complete(null);
                evaluate();
            });
        });
        return done;
    }

    /** Loop only: the protocol reached a point where the session may be idle (a response ended, a transaction closed). */
    public void poke() {
        evaluate();
    }

    /** Called when the session has closed: timers stop, prepared filter sessions close. */
    void sessionClosed() {
        session.execute(() -> {
            closed = true;
            cancelKillTimer();
            if (idleCheck != null) {
                idleCheck.cancel(false);
                idleCheck = null;
            }
            if (prepared != null) {
                prepared.discard();
                prepared = null;
            }
            kill = null;
            pendingFilters = null;
            restart = null;
        });
    }

    // ---- the loop side ------------------------------------------------------------------------

    private void onKillDeadline() {
        killTimer = null;
        if (kill == null || closed) {
            return;
        }
        SessionLog.warning(session, "Killing session {}, session TTL exceeded (set by {})", session.id(), kill.by());
        kill = null;
        session.kill(killTermination, killReason);
    }

    private void cancelKillTimer() {
        if (killTimer != null) {
            killTimer.cancel(false);
            killTimer = null;
        }
    }

    /** Acts on whatever waits for an idle moment, or arms the timer to look again. */
    private void evaluate() {
        if (closed || !session.state().isLive()) {
            return;
        }
        LiveSession live = live();
        long now = System.nanoTime();
        PendingKill k = kill;
        PendingRestart r = restartRunning ? null : restart;
        boolean restartDue = r != null && now - r.notBeforeNanos() >= 0;
        boolean needIdle = (k != null && k.safe()) || prepared != null || restartDue;
        if (!needIdle || live == null) {
            cancelIdleCheck();
            if (r != null && !restartDue) {
                armIdleCheck(r.notBeforeNanos());
            }
            return;
        }
        long since = live.idleSinceNanos();
        boolean idle = since >= 0 && now - since >= live.quietNanos();
        boolean inTx = idle && live.inTransaction();
        if (idle && !inTx) {
            cancelIdleCheck();
            if (k != null && k.safe()) {
                SessionLog.notice(session, "Killing session {} at an idle moment (safe kill set by {})", session.id(),
                        k.by());
                cancelKillTimer();
                kill = null;
                session.kill(killTermination, killReason);
                return;
            }
            if (prepared != null) {
                LiveSession.PreparedFilters chain = prepared;
                prepared = null;
                pendingFilters = null;
                live.installFilters(chain);
                session.setSessionFilters(chain.filters());
                SessionLog.info(session, "Session filters now [{}]",
                        String.join(", ", chain.filters().stream().map(FilterDef::name).toList()));
            }
            if (restartDue) {
                startRestart(live, r);
            }
            return;
        }
        String waiting = inTx ? "transaction" : "idle";
        if (r != null && restartDue && !waiting.equals(r.waitingFor())) {
            restart = new PendingRestart(r.by(), r.requestedNanos(), r.notBeforeNanos(), waiting);
        }
        armIdleCheck(since >= 0 && !inTx ? since + live.quietNanos() : now + POLL_NANOS);
    }

    private void startRestart(LiveSession live, PendingRestart r) {
        restartRunning = true;
        restart = new PendingRestart(r.by(), r.requestedNanos(), r.notBeforeNanos(), "connecting");
        Service service = session.service();
        Service.Snapshot target = service.snapshot();
        long generation = session.registryGeneration();
        SessionLog.info(session, "Restarting: new backend connection for generation {} of service {}", generation,
                service.name());
        live.restartBackend(target, error -> session.execute(() -> restartDone(target, generation, error)));
    }

    private void restartDone(Service.Snapshot target, long generation, String error) {
        restartRunning = false;
        if (error == null) {
            session.useConfig(target, generation);
            restarts++;
            lastRestart = new RestartResult(true, "restarted", System.currentTimeMillis(), generation);
            SessionLog.notice(session, "Session {} restarted: now on generation {}{}", session.id(), generation,
                    session.server() == null ? "" : ", server " + session.server().name());
        } else {
            lastRestart = new RestartResult(false, error, System.currentTimeMillis(), session.generation());
            SessionLog.warning(session, "Session {} restart failed, keeping its connections: {}", session.id(), error);
        }
        restart = restartAgain;
        restartAgain = null;
        evaluate();
    }

    private void armIdleCheck(long at) {
        if (idleCheck != null && idleCheckAt == at) {
            return;
        }
        cancelIdleCheck();
        idleCheckAt = at;
        idleCheck = schedule(() -> {
            idleCheck = null;
            evaluate();
        }, Math.max(0, at - System.nanoTime()));
    }

    private void cancelIdleCheck() {
        if (idleCheck != null) {
            idleCheck.cancel(false);
            idleCheck = null;
        }
    }

    private ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
        if (session.io().executor() instanceof ScheduledExecutorService loop) {
            return loop.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        }
        return FALLBACK.schedule(() -> session.execute(task), delayNanos, TimeUnit.NANOSECONDS);
    }
}
