package dev.patchbay.admin.rest;

/**
 * Who sent a request: a REST account and how it proved it.
 *
 * @param user    account name ({@code -} when authentication is off)
 * @param admin   an {@code admin} account (else {@code basic}, read-only)
 * @param viaToken authenticated by a JWT (Bearer header or cookie) rather than HTTP Basic
 */
record Principal(String user, boolean admin, boolean viaToken) {
    static final Principal NO_AUTH = new Principal("-", true, false);
}
