package dev.patchbay.filter;

/**
 * What a statement filter decides for a {@link Statement}. The session carries it out on its loop:
 * {@link Pass} and {@link Rewrite} go on to the next filter and then the server; {@link Reject} answers
 * the client with an ERR packet and never sends the statement; {@link Delay} holds the statement (and
 * everything the client sends after it) for that long and then runs the chain again from this filter.
 */
public sealed interface Verdict {

    /** Pass the statement unchanged. */
    Verdict PASS = new Pass();

    record Pass() implements Verdict {}

    /** Send {@code sql} instead. */
    record Rewrite(String sql) implements Verdict {}

    /** Answer the client with ERR {@code code} / {@code sqlState} / {@code message}; the server never sees it. */
    record Reject(int code, String sqlState, String message) implements Verdict {}

    /** Ask again after {@code nanos}; the statement and later client commands wait. */
    record Delay(long nanos) implements Verdict {}
}
