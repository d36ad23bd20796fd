package dev.patchbay.admin.runtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every admin action, at notice (Logback INFO) on logger {@code patchbay.admin}: who, from where, what it hit. */
final class AdminLog {
    private static final Logger log = LoggerFactory.getLogger("patchbay.admin");

    private AdminLog() {}

    static void action(Cli cli, String what) {
        log.info("runtime API {}: {}", cli.who(), what);
    }
}
