package dev.patchbay.admin.runtime;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Session;
import dev.patchbay.core.Termination;
import java.util.concurrent.Executor;

/** What a command sees of the CLI connection it runs on. All calls happen on the admin event loop. */
interface Cli {
    Patchbay patchbay();

    RuntimeApi api();

    StatsSocket socket();

    /** This connection's own session (frontend GLOBAL). */
    Session session();

    Level level();

    void setLevel(Level level);

    /** The admin event loop this connection runs on. */
    Executor executor();

    /** {@code prompt [help | n | i | p | timed]*}. */
    Reply prompt(java.util.List<String> args);

    /** {@code quit}: nothing more is run or written; the connection closes. */
    void quit();

    /** The connection's idle timeout ({@code set timeout cli}), 0 for none. */
    long idleTimeoutNanos();

    void setIdleTimeoutNanos(long nanos);

    /**
     * The connection ends with {@code why} once the current command's answer (and the prompt)
     * is delivered: used when a command kills the connection's own session.
     */
    void endAfterCommand(Termination why);

    /** "runtime API unix@/run/patchbay/admin.sock level admin": who did it, for logs and terminations. */
    default String who() {
        return socket().label() + " level " + level().label();
    }
}
