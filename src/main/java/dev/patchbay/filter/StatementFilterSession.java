package dev.patchbay.filter;

/**
 * One statement filter's view of one MariaDB session (modules qlafilter, regexfilter, throttlefilter,
 * topfilter). Called on the session's event loop only, so it never blocks: a filter that writes
 * somewhere hands its data to its own thread.
 */
public interface StatementFilterSession {

    /** A statement on its way to the server; what to do with it. */
    Verdict onStatement(Statement statement);

    /**
     * The server's response to a statement this filter passed ({@code statement} is what this filter
     * saw, after earlier filters' rewrites) has been relayed: {@code ok} false for an ERR, and how long
     * it took from {@link Statement#receivedNanos()}.
     */
    void onResponse(Statement statement, boolean ok, long durationNanos);

    /** The filter this session belongs to. */
    Filter filter();

    /** The session ended, or the filter was taken out of its chain (topfilter reports here). */
    void close();
}
