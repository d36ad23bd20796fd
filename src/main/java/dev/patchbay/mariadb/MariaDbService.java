package dev.patchbay.mariadb;

import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Service;
import dev.patchbay.mariadb.auth.AccountLoader;

/**
 * The MariaDB-mode side of a service, shared by every listener and session using it: its
 * settings, its accounts and the version string shown to clients.
 */
public final class MariaDbService implements AutoCloseable {
    /** Shown until a server has been seen; afterwards the server's own string (see docs/mariadb.md). */
    static final String DEFAULT_VERSION = "11.4.5-MariaDB-patchbay";

    private final Service service;
    private final PatchbayConfig.MariaDbSettings settings;
    private final AccountLoader accounts;
    private final int retainLastStatements;
    private volatile String learnedVersion;

    /**
     * @param globalRetainLastStatements the {@code [patchbay]} value, used when the service sets none
     */
    public MariaDbService(Service service, PatchbayConfig.MariaDbSettings settings, int globalRetainLastStatements) {
        this.service = service;
        this.settings = settings;
        this.retainLastStatements = settings.retainLastStatements() >= 0 ? settings.retainLastStatements()
                : globalRetainLastStatements;
        this.accounts = new AccountLoader(service.name(), service::servers, settings.user(), settings.password(),
                settings.usersFile(), settings.usersRefreshTimeNanos(), settings.usersRefreshIntervalNanos(),
                service.settings().connectTimeoutNanos(), this::versionSeen);
    }

    public void start() {
        accounts.start();
    }

    public Service service() {
        return service;
    }

    public PatchbayConfig.MariaDbSettings settings() {
        return settings;
    }

    /** How many statements each session keeps for diagnostics (service value, else global). */
    public int retainLastStatements() {
        return retainLastStatements;
    }

    public AccountLoader accounts() {
        return accounts;
    }

    /** Client context for servers with {@code ssl=true}; certificates are not verified (see docs/mariadb.md). */

    /** The server version string of Patchbay's handshake. */
    String versionString() {
        if (!settings.versionString().isEmpty()) {
            return settings.versionString();
        }
        String v = learnedVersion;
        return v != null ? v : DEFAULT_VERSION;
    }

    void versionSeen(String v) {
        if (v != null && !v.isEmpty()) {
            learnedVersion = v;
        }
    }

    @Override
    public void close() {
        accounts.close();
    }
}
