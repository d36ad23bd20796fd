package dev.patchbay.mariadb.auth;

import dev.patchbay.mariadb.protocol.NativePassword;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A users file in MaxScale's {@code user_accounts_file} JSON layout, for environments where the
 * service may not read the {@code mysql} schema:
 * <pre>
 * {"user": [{"user": "app", "host": "%", "plugin": "mysql_native_password",
 *            "password": "*61A7BFA719D1CB40DA1D05DBA4EF433C970BBBE6", "global_db_priv": false}],
 *  "db":   [{"user": "app", "host": "%", "db": "shop"}]}
 * </pre>
 * {@code password} is the stored hash ({@code '*' + HEX(SHA1(SHA1(pw)))}, as in
 * {@code mysql.user}), never a cleartext password; an empty string means no password.
 */
public final class UsersFile {
    private UsersFile() {}

    public static List<Account> read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JsonMapper.builder().build().readTree(Files.readString(file));
        } catch (RuntimeException e) {
            throw new IOException("not valid JSON: " + e.getMessage());
        }
        Map<String, Set<String>> dbs = new HashMap<>();
        for (JsonNode d : root.path("db")) {
            dbs.computeIfAbsent(d.path("user").asString("") + "@" + d.path("host").asString("%"), k -> new HashSet<>())
                    .add(d.path("db").asString(""));
        }
        List<Account> out = new ArrayList<>();
        for (JsonNode u : root.path("user")) {
            String user = u.path("user").asString("");
            String host = u.path("host").asString("%");
            if (user.isEmpty()) {
                throw new IOException("an entry of \"user\" has no user name");
            }
            String plugin = u.path("plugin").asString("");
            if (plugin.isEmpty()) {
                plugin = Account.NATIVE;
            }
            String stored = u.path("password").asString("");
            byte[] hash = null;
            if (plugin.equals(Account.NATIVE)) {
                hash = stored.isEmpty() ? new byte[0] : NativePassword.parseStoredHash(stored);
                if (hash == null) {
                    throw new IOException("user '" + user + "'@'" + host
                            + "': password must be the stored hash '*' + 40 hex digits, not a cleartext password");
                }
            }
            out.add(new Account(user, host, plugin, hash, u.path("global_db_priv").asBoolean(false),
                    Set.copyOf(dbs.getOrDefault(user + "@" + host, Set.of()))));
        }
        return out;
    }
}
