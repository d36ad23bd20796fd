package dev.patchbay.mariadb.auth;

import java.util.Set;

/**
 * One {@code 'user'@'host'} account as MariaDB stores it.
 *
 * @param nativeHash    SHA1(SHA1(password)) (20 bytes), empty for an account without password,
 *                      null when the account does not use mysql_native_password or the hash is unusable
 * @param plugin        the account's auth plugin ({@code mysql_native_password} when the column is empty)
 * @param anyDatabase   a global privilege lets the account use any database
 * @param databases     database patterns granted on the database, table, column or routine level
 *                      (MariaDB's {@code %}/{@code _} wildcards, {@code \} escapes)
 */
public record Account(String user, String host, String plugin, byte[] nativeHash, boolean anyDatabase,
                      Set<String> databases) {

    public static final String NATIVE = "mysql_native_password";

    public boolean isNative() {
        return nativeHash != null;
    }

    @Override
    public String toString() {
        // Never the hash.
        return "'" + user + "'@'" + host + "'";
    }
}
