package dev.patchbay.config;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The property every input must satisfy: {@link ConfigLoader#parse} returns a consistent config or
 * throws a {@link ConfigException} whose errors all point into the file; any other throwable escapes
 * and fails the caller.
 */
final class ConfigProperty {
    static final String FILE = "fuzz.cnf";
    private static final Pattern LOCATED = Pattern.compile("fuzz\\.cnf:(\\d+): .+", Pattern.DOTALL);

    private ConfigProperty() {}

    /** @return true when the text was a valid configuration */
    static boolean check(String text) {
        PatchbayConfig config;
        try {
            config = ConfigLoader.parse(FILE, text);
        } catch (ConfigException e) {
            checkErrors(text, e);
            return false;
        }
        checkConfig(config);
        return true;
    }

    private static void checkErrors(String text, ConfigException e) {
        if (e.errors().isEmpty()) {
            throw new AssertionError("ConfigException without errors");
        }
        int lines = text.split("\r?\n", -1).length;
        for (String error : e.errors()) {
            Matcher m = LOCATED.matcher(error);
            if (!m.matches()) {
                throw new AssertionError("error without file and line: " + error);
            }
            long line = Long.parseLong(m.group(1));
            if (line < 1 || line > lines) {
                throw new AssertionError("error outside the file's " + lines + " lines: " + error);
            }
        }
    }

    /** A config that was accepted must hold together: what the rest of Patchbay relies on. */
    private static void checkConfig(PatchbayConfig c) {
        Set<String> servers = new HashSet<>();
        for (PatchbayConfig.ServerConfig s : c.servers()) {
            require(servers.add(s.name()), "duplicate server " + s.name());
            require(s.address() != null && !s.address().isEmpty(), "server without address");
            require(s.port() >= 1 && s.port() <= 65535, "server port " + s.port());
            require(s.weight() >= 0 && s.maxConnections() >= 0, "negative server limits");
            require(s.healthCheck().rise() >= 1 && s.healthCheck().fall() >= 1, "rise/fall");
        }
        Set<String> services = new HashSet<>();
        for (PatchbayConfig.ServiceConfig s : c.services()) {
            require(services.add(s.name()), "duplicate service " + s.name());
            require(!s.servers().isEmpty(), "service without servers");
            require(servers.containsAll(s.servers()), "service " + s.name() + " names an unknown server");
            require(s.settings().connectTimeoutNanos() > 0, "connect_timeout");
            require(s.settings().queueTimeoutNanos() > 0, "queue_timeout");
        }
        for (PatchbayConfig.ListenerConfig l : c.listeners()) {
            require(services.contains(l.service()), "listener " + l.name() + " names an unknown service");
            require(l.port() >= 0 && l.port() <= 65535 && !l.address().isEmpty(), "listener address");
        }
        for (PatchbayConfig.StatsSocketConfig s : c.statsSockets()) {
            require(s.isUnix() ? !s.socket().isEmpty() && s.address() == null : s.address() != null && s.mode() == -1,
                    "stats socket " + s.name());
            require(s.label() != null, "label");
        }
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("accepted an inconsistent configuration: " + what);
        }
    }
}
