package dev.patchbay.logging;

import dev.patchbay.core.Server;
import dev.patchbay.core.Session;
import dev.patchbay.core.Termination;
import java.time.Instant;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per finished session on logger {@code patchbay.access}, where Main points it at
 * stdout, a file, or nowhere ({@code [patchbay] access_log}).
 */
public final class AccessLog {
    private static final Logger log = LoggerFactory.getLogger("patchbay.access");

    private AccessLog() {}

    public static void log(Session s, Termination t) {
        if (!log.isInfoEnabled()) {
            return;
        }
        Server server = s.server();
        String line = String.format(Locale.ROOT,
                "session=%d start=%s client=%s listener=%s service=%s server=%s duration=%.3fs bytes_in=%d bytes_out=%d retries=%d termination=\"%s\"",
                s.id(),
                Instant.ofEpochSecond(s.acceptedEpochMicros() / 1_000_000, (s.acceptedEpochMicros() % 1_000_000) * 1000),
                Addresses.format(s.clientAddress()),
                s.frontend().name(),
                s.service() == null ? "-" : s.service().name(),
                server == null ? "-" : server.name(),
                s.ageNanos() / 1e9,
                s.bytesFromClient(),
                s.bytesFromServer(),
                s.retries(),
                t == null ? "" : t.describe());
        log.info(line);
    }
}
