package dev.patchbay.mariadb.auth;

import dev.patchbay.core.Server;
import dev.patchbay.mariadb.protocol.NativePassword;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a service's accounts the way MaxScale does: from the first reachable server (masters
 * first) as the service's {@code user}, reading {@code mysql.user}, {@code mysql.db},
 * {@code mysql.tables_priv} and {@code mysql.roles_mapping}; and/or from a users file. Runs on its
 * own daemon thread, never on an event loop. Reloads every {@code users_refresh_interval} and on
 * demand after a failed login, at most once per {@code users_refresh_time}.
 *
 * <p>A load that reads nothing (no server reachable, or the service's login refused) is retried after 1 s,
 * then 2, 4, … up to {@code users_refresh_time}, until one succeeds; until then a failed login may ask again
 * after 1 s. Otherwise a Patchbay started before its database would refuse every login until the next
 * periodic reload, hours later.
 */
public final class AccountLoader implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AccountLoader.class);
    private static final long RETRY_FIRST_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final String service;
    /** The service's servers now: read at each load, so servers added at run time are asked too. */
    private final Supplier<List<Server>> servers;
    private final String user;
    private final byte[] password;
    private final Path usersFile;
    private final long minIntervalNanos;
    private final long periodNanos;
    private final int connectTimeoutMillis;
    private final Consumer<String> versionSeen;
    private final ScheduledExecutorService thread;

    private volatile UserAccounts accounts = UserAccounts.EMPTY;
    /** Why the last load read nothing; empty after one that read accounts. */
    private volatile String lastFailure = "";
    private CompletableFuture<UserAccounts> inFlight;
    private CompletableFuture<UserAccounts> firstLoad = new CompletableFuture<>();
    private long lastStartNanos;
    private boolean started;
    /** Loads in a row that read nothing; 0 after one that read accounts. */
    private int failuresInARow;
    private boolean retryScheduled;

    /**
     * @param versionSeen told the version string of every server the loader logs into
     */
    public AccountLoader(String service, Supplier<List<Server>> servers, String user, String password, String usersFile,
                         long minIntervalNanos, long periodNanos, long connectTimeoutNanos, Consumer<String> versionSeen) {
        this.service = service;
        this.servers = servers;
        this.user = user;
        this.password = password.getBytes(StandardCharsets.UTF_8);
        this.usersFile = usersFile.isEmpty() ? null : Path.of(usersFile);
        this.minIntervalNanos = minIntervalNanos;
        this.periodNanos = periodNanos;
        this.connectTimeoutMillis = (int) Math.max(1000, TimeUnit.NANOSECONDS.toMillis(connectTimeoutNanos));
        this.versionSeen = versionSeen;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "patchbay-accounts-" + service);
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the first load and the periodic reloads. */
    public synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        refresh(true);
        if (periodNanos > 0) {
            thread.scheduleWithFixedDelay(() -> refresh(true), periodNanos, periodNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Why the last load read nothing, or empty when it read accounts. */
    public String lastFailure() {
        return lastFailure;
    }

    /** The current snapshot (possibly empty before the first load finished). */
    public UserAccounts accounts() {
        return accounts;
    }

    /** Completes once the first load finished (successfully or not). */
    public synchronized CompletableFuture<UserAccounts> firstLoad() {
        return firstLoad;
    }

    /**
     * Reloads unless a reload started less than {@code users_refresh_time} ago ({@code force}
     * ignores that limit). Completes with the accounts in force afterwards.
     */
    public synchronized CompletableFuture<UserAccounts> refresh(boolean force) {
        if (inFlight != null) {
            return inFlight;
        }
        long now = System.nanoTime();
        long limit = failuresInARow > 0 ? Math.min(minIntervalNanos, RETRY_FIRST_NANOS) : minIntervalNanos;
        if (!force && lastStartNanos != 0 && now - lastStartNanos < limit) {
            return CompletableFuture.completedFuture(accounts);
        }
        lastStartNanos = now;
        CompletableFuture<UserAccounts> f = new CompletableFuture<>();
        inFlight = f;
        try {
            thread.execute(() -> {
                UserAccounts loaded = load();
                UserAccounts result = loaded == null ? accounts : loaded;
                synchronized (this) {
                    inFlight = null;
                    firstLoad.complete(result);
                    if (loaded == null) {
                        failuresInARow++;
                        scheduleRetry();
                    } else {
                        failuresInARow = 0;
                    }
                }
                f.complete(result);
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            inFlight = null;
            f.complete(accounts);
        }
        return f;
    }

    private void scheduleRetry() {
        if (retryScheduled) {
            return;
        }
        long delay = RETRY_FIRST_NANOS << Math.min(failuresInARow - 1, 20);
        delay = Math.min(delay, Math.max(minIntervalNanos, RETRY_FIRST_NANOS));
        retryScheduled = true;
        try {
            thread.schedule(() -> {
                synchronized (this) {
                    retryScheduled = false;
                }
                refresh(true);
            }, delay, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            retryScheduled = false; // closed
        }
    }

    /** The accounts read, or null when nothing could be read (the accounts in force stay). */
    private UserAccounts load() {
        List<Account> list = new ArrayList<>();
        boolean ok = false;
        if (usersFile != null) {
            try {
                list.addAll(UsersFile.read(usersFile));
                ok = true;
            } catch (IOException | RuntimeException e) {
                log.warn("Service {}: cannot read users_file {}: {}", service, usersFile, e.getMessage());
                lastFailure = "cannot read users_file " + usersFile + ": " + e.getMessage();
            }
        }
        if (!user.isEmpty()) {
            List<Account> fromServer = loadFromServers();
            if (fromServer != null) {
                Set<String> fileKeys = new HashSet<>();
                list.forEach(a -> fileKeys.add(a.user() + "@" + a.host()));
                fromServer.stream().filter(a -> !fileKeys.contains(a.user() + "@" + a.host())).forEach(list::add);
                ok = true;
            }
        }
        if (!ok) {
            if (lastFailure.isEmpty()) {
                lastFailure = "no users_file could be read and no server answered";
            }
            return null;
        }
        lastFailure = "";
        UserAccounts loaded = new UserAccounts(list, System.nanoTime());
        accounts = loaded;
        log.info("Service {}: loaded {} accounts", service, loaded.size());
        return loaded;
    }

    private List<Account> loadFromServers() {
        List<Server> order = new ArrayList<>(servers.get());
        order.sort((a, b) -> Boolean.compare(b.role() == Server.Role.MASTER, a.role() == Server.Role.MASTER));
        String lastError = "no server";
        for (Server s : order) {
            if (s.address().isUnresolved()) {
                continue;
            }
            try (BlockingClient c = new BlockingClient()) {
                c.connect(s, connectTimeoutMillis, user, password);
                versionSeen.accept(c.serverVersion());
                return query(c);
            } catch (IOException | RuntimeException e) {
                lastError = s.name() + ": " + e.getMessage();
            }
        }
        log.warn("Service {}: cannot load accounts from any server ({})", service, lastError);
        lastFailure = "cannot load accounts from any server (" + lastError + ")";
        return null;
    }

    private static List<Account> query(BlockingClient c) throws IOException {
        Map<String, Set<String>> dbs = new HashMap<>();
        for (String[] r : c.query("SELECT User, Host, Db FROM mysql.db UNION SELECT User, Host, Db FROM mysql.tables_priv"
                + " UNION SELECT User, Host, Db FROM mysql.columns_priv UNION SELECT User, Host, Db FROM mysql.procs_priv")) {
            dbs.computeIfAbsent(r[0] + "@" + r[1], k -> new HashSet<>()).add(r[2]);
        }
        Map<String, List<String>> roles = new HashMap<>();
        try {
            for (String[] r : c.query("SELECT User, Host, Role FROM mysql.roles_mapping")) {
                roles.computeIfAbsent(r[0] + "@" + r[1], k -> new ArrayList<>()).add(r[2]);
            }
        } catch (IOException e) {
            // No roles table (MySQL, old MariaDB): no roles.
        }
        List<String[]> users;
        boolean mariadb104 = true;
        try {
            users = c.query("SELECT User, Host, plugin, authentication_string, Password, "
                    + "IF(Select_priv='Y' OR Insert_priv='Y' OR Update_priv='Y' OR Delete_priv='Y' OR Create_priv='Y'"
                    + " OR Drop_priv='Y' OR Alter_priv='Y' OR Index_priv='Y' OR Execute_priv='Y', 'Y', 'N'),"
                    + " is_role, default_role FROM mysql.user");
        } catch (IOException e) {
            mariadb104 = false;
            users = c.query("SELECT User, Host, plugin, authentication_string, '', "
                    + "IF(Select_priv='Y' OR Insert_priv='Y' OR Update_priv='Y' OR Delete_priv='Y' OR Create_priv='Y'"
                    + " OR Drop_priv='Y', 'Y', 'N'), 'N', '' FROM mysql.user");
        }
        Map<String, Boolean> roleGlobal = new HashMap<>();
        if (mariadb104) {
            for (String[] r : users) {
                if ("Y".equals(r[6])) {
                    roleGlobal.put(r[0], "Y".equals(r[5]));
                }
            }
        }
        List<Account> out = new ArrayList<>();
        for (String[] r : users) {
            if ("Y".equals(r[6]) || r[0] == null || r[0].isEmpty()) {
                continue;
            }
            String plugin = r[2] == null || r[2].isEmpty() ? Account.NATIVE : r[2];
            byte[] hash = null;
            if (plugin.equals(Account.NATIVE)) {
                String stored = r[3] != null && !r[3].isEmpty() ? r[3] : (r[4] == null ? "" : r[4]);
                hash = stored.isEmpty() ? new byte[0] : NativePassword.parseStoredHash(stored);
            }
            String key = r[0] + "@" + r[1];
            Set<String> granted = new HashSet<>(dbs.getOrDefault(key, Set.of()));
            boolean any = "Y".equals(r[5]);
            List<String> userRoles = new ArrayList<>(roles.getOrDefault(key, List.of()));
            if (r[7] != null && !r[7].isEmpty()) {
                userRoles.add(r[7]);
            }
            for (String role : userRoles) {
                granted.addAll(dbs.getOrDefault(role + "@", Set.of()));
                any |= roleGlobal.getOrDefault(role, false);
            }
            out.add(new Account(r[0], r[1], plugin, hash, any, Set.copyOf(granted)));
        }
        return out;
    }

    @Override
    public void close() {
        thread.shutdownNow();
        synchronized (this) {
            firstLoad.complete(accounts);
        }
    }
}
