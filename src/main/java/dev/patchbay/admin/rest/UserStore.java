package dev.patchbay.admin.rest;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The REST API's accounts ({@code /v1/users/inet}), persisted as JSON with PBKDF2 hashes.
 *
 * <p>While the file does not exist there is one account, {@code admin} with password {@code mariadb}
 * (MaxScale's default), held in memory only; the file is written at the first change and from then
 * on is the only source. Writes go to a temporary file in the same directory, are forced to disk and
 * renamed over the old file, so a crash leaves either the old or the new accounts, never half. The
 * file is created mode 0600. A file that cannot be read or parsed stops the REST API from starting:
 * silently falling back to the default account would reopen {@code admin/mariadb}.
 *
 * <p>Hashing is slow; {@link #create} and {@link #changePassword} hash before taking the lock and
 * are meant to be called off the event loop.
 */
final class UserStore {
    static final String DEFAULT_USER = "admin";
    static final String DEFAULT_PASSWORD = "mariadb";

    /** One account. {@code hash} is null only for the built-in default account before the first write. */
    record User(String name, boolean admin, String hash, long createdMillis, long updatedMillis) {
        boolean isBuiltInDefault() {
            return hash == null;
        }
    }

    private final Path file;
    private final int iterations;
    private final Map<String, User> users = new LinkedHashMap<>();
    private final Map<String, Long> lastLogin = new ConcurrentHashMap<>();
    /** Bumped on every change; credential caches compare it to know they are stale. */
    private final AtomicLong version = new AtomicLong();

    UserStore(Path file, int iterations, long startedMillis) throws IOException {
        this.file = file;
        this.iterations = iterations;
        load(startedMillis);
    }

    Path file() {
        return file;
    }

    private void load(long startedMillis) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            users.put(DEFAULT_USER, new User(DEFAULT_USER, true, null, startedMillis, startedMillis));
            return;
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(bytes);
        } catch (RuntimeException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        JsonNode list = root == null ? null : root.get("users");
        if (list == null || !list.isArray()) {
            throw new IOException(file + ": expected {\"users\": [...]}");
        }
        for (JsonNode u : list) {
            String name = u.path("name").asString("");
            String account = u.path("account").asString("");
            String hash = u.path("password").asString("");
            if (name.isEmpty() || !(account.equals("admin") || account.equals("basic"))
                    || !PasswordHash.isWellFormed(hash)) {
                throw new IOException(file + ": account entry " + u + " needs a name, account admin|basic and a "
                        + PasswordHash.SCHEME + " password hash");
            }
            long created = u.path("created").asLong(startedMillis);
            long updated = u.path("last_update").asLong(created);
            users.put(name, new User(name, account.equals("admin"), hash, created, updated));
        }
    }

    long version() {
        return version.get();
    }

    synchronized User get(String name) {
        return users.get(name);
    }

    synchronized List<User> list() {
        return new ArrayList<>(users.values());
    }

    Long lastLogin(String name) {
        return lastLogin.get(name);
    }

    void recordLogin(String name) {
        lastLogin.put(name, System.currentTimeMillis());
    }

    /** Checks a password (slow). Returns the account, or null for an unknown user or a wrong password. */
    User verify(String name, String password) {
        User u = get(name);
        if (u == null) {
            // Same cost as a real check, so response times do not tell which names exist.
            PasswordHash.verify(password.isEmpty() ? "-" : password, dummyHash(iterations));
            return null;
        }
        if (u.isBuiltInDefault()) {
            return PasswordHash.constantTimeEquals(password, DEFAULT_PASSWORD) ? u : null;
        }
        if (password.isEmpty()) {
            return null;
        }
        return PasswordHash.verify(password, u.hash()) ? u : null;
    }

    /** Adds an account (slow: hashes). 403 if it exists. */
    void create(String name, String password, boolean admin) throws IOException {
        String hash = PasswordHash.hash(password, iterations);
        synchronized (this) {
            if (users.containsKey(name)) {
                throw ApiException.forbidden("User '" + name + "' already exists");
            }
            long now = System.currentTimeMillis();
            Map<String, User> next = new LinkedHashMap<>(materialized());
            next.put(name, new User(name, admin, hash, now, now));
            persist(next);
        }
    }

    /** Sets a new password (slow: hashes). 404 if there is no such account. */
    void changePassword(String name, String password) throws IOException {
        String hash = PasswordHash.hash(password, iterations);
        synchronized (this) {
            User u = users.get(name);
            if (u == null) {
                throw ApiException.notFound("User '" + name + "' not found");
            }
            Map<String, User> next = new LinkedHashMap<>(materialized());
            next.put(name, new User(name, u.admin(), hash, u.createdMillis(), System.currentTimeMillis()));
            persist(next);
        }
    }

    /** Removes an account; the last admin account cannot be removed (403). */
    void delete(String name) throws IOException {
        synchronized (this) {
            User u = users.get(name);
            if (u == null) {
                throw ApiException.notFound("User '" + name + "' not found");
            }
            if (u.admin() && users.values().stream().filter(User::admin).count() == 1) {
                throw ApiException.forbidden("Cannot delete the last admin user '" + name + "'");
            }
            Map<String, User> next = new LinkedHashMap<>(materialized());
            next.remove(name);
            persist(next);
            lastLogin.remove(name);
        }
    }

    /** The accounts with the built-in default given a real hash, ready to be written. */
    private Map<String, User> materialized() {
        Map<String, User> out = new LinkedHashMap<>();
        for (User u : users.values()) {
            if (u.isBuiltInDefault()) {
                u = new User(u.name(), u.admin(), PasswordHash.hash(DEFAULT_PASSWORD, iterations), u.createdMillis(),
                        u.updatedMillis());
            }
            out.put(u.name(), u);
        }
        return out;
    }

    private void persist(Map<String, User> next) throws IOException {
        ObjectNode root = Json.object();
        root.put("version", 1);
        ArrayNode arr = root.putArray("users");
        for (User u : next.values()) {
            ObjectNode o = arr.addObject();
            o.put("name", u.name());
            o.put("account", u.admin() ? "admin" : "basic");
            o.put("password", u.hash());
            o.put("created", u.createdMillis());
            o.put("last_update", u.updatedMillis());
        }
        byte[] bytes = Json.write(root, true);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp-" + Long.toHexString(System.nanoTime()));
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        try {
            if (posix) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(tmp);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
                 OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                out.write(bytes);
                out.write('\n');
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        forceDirectory(dir);
        users.clear();
        users.putAll(next);
        version.incrementAndGet();
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Not every file system lets a directory be opened for fsync; the rename itself is atomic.
        }
    }

    /** A fixed hash per iteration count, to spend the same time on unknown users. */
    private static final ConcurrentHashMap<Integer, String> DUMMY_HASH_CACHE = new ConcurrentHashMap<>();

    private static String dummyHash(int iterations) {
        return DUMMY_HASH_CACHE.computeIfAbsent(iterations, i -> PasswordHash.hash("not-a-password", i));
    }
}
