package dev.patchbay.mariadb.auth;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * An immutable snapshot of the accounts a service knows, in MariaDB's matching order: for a
 * client, the first account whose user equals the login name and whose host pattern matches the
 * client address is the one that authenticates it (MariaDB never falls through to the next).
 */
public final class UserAccounts {
    public static final UserAccounts EMPTY = new UserAccounts(List.of(), 0);

    private final List<Account> accounts;
    private final long loadedAtNanos;

    public UserAccounts(List<Account> accounts, long loadedAtNanos) {
        List<Account> sorted = new ArrayList<>(accounts);
        sorted.sort(Comparator.comparingInt((Account a) -> HostPattern.specificity(a.host())).reversed()
                .thenComparing(a -> a.user().isEmpty()));
        this.accounts = List.copyOf(sorted);
        this.loadedAtNanos = loadedAtNanos;
    }

    public int size() {
        return accounts.size();
    }

    public List<Account> accounts() {
        return accounts;
    }

    /** When the snapshot was loaded (System.nanoTime()), 0 for the empty initial one. */
    public long loadedAtNanos() {
        return loadedAtNanos;
    }

    /**
     * The account that authenticates {@code user} from {@code ip}, or null. Anonymous accounts
     * ({@code ''@host}) are not supported: Patchbay could not log into a backend as them.
     */
    public Account find(String user, String ip) {
        for (Account a : accounts) {
            if (a.user().equals(user) && HostPattern.matches(a.host(), ip)) {
                return a;
            }
        }
        return null;
    }

    /** May {@code a} use {@code db} as its default database? */
    public static boolean databaseAllowed(Account a, String db) {
        if (db == null || a.anyDatabase()) {
            return true;
        }
        String lower = db.toLowerCase(Locale.ROOT);
        if (lower.equals("information_schema")) {
            return true;
        }
        for (String pattern : a.databases()) {
            if (Wildcards.matches(pattern, db, true) || Wildcards.matches(pattern.toLowerCase(Locale.ROOT), lower, true)) {
                return true;
            }
        }
        return false;
    }
}
