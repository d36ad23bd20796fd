package dev.patchbay;

import dev.patchbay.config.ConfigException;
import dev.patchbay.config.ConfigLoader;
import dev.patchbay.config.IniParser;
import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.FilterDef;
import dev.patchbay.core.Frontend;
import dev.patchbay.core.Server;
import dev.patchbay.core.Service;
import dev.patchbay.filter.Filter;
import dev.patchbay.mariadb.BackendTls;
import dev.patchbay.net.BoundListener;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Changes the configuration while Patchbay runs: an object's new section (or its removal) is
 * validated together with the whole configuration by the same loader as the file (so errors read the
 * same), written as a runtime object file ({@code <runtime dir>/<name>.cnf}, atomically), and applied
 * to the model: new sessions use it at once, live sessions keep their service snapshot until they are
 * restarted. Each applied change bumps the configuration generation.
 *
 * <p>Changes are serialized by this object's lock; the data plane never takes it. The caller runs
 * {@link #apply} off the event loops (it resolves host names and writes files).
 */
public final class RuntimeConfig {
    private static final Logger log = LoggerFactory.getLogger("patchbay.config");

    /** A change that was not made: an HTTP-like status and every message. Nothing was changed. */
    public static final class Refused extends Exception {
        private final int status;
        private final List<String> errors;

        public Refused(int status, List<String> errors) {
            super(String.join("; ", errors), null, false, false);
            this.status = status;
            this.errors = List.copyOf(errors);
        }

        public Refused(int status, String error) {
            this(status, List.of(error));
        }

        public int status() {
            return status;
        }

        public List<String> errors() {
            return errors;
        }
    }

    /** A runtime object file to write with {@code text}, or to remove ({@code text == null}). */
    public record Edit(String name, String text) {}

    private final Patchbay pb;
    private final String mainFile;
    private final String mainText;
    private final Path dir;
    /** The runtime object files in effect, by object name. */
    private final Map<String, String> files = new TreeMap<>();

    RuntimeConfig(Patchbay pb, PatchbayConfig cfg) {
        this.pb = pb;
        this.mainFile = cfg.source();
        this.mainText = cfg.text();
        this.dir = cfg.runtimeDir() == null ? null : Path.of(cfg.runtimeDir());
        for (ConfigLoader.Source s : cfg.runtimeFiles()) {
            String base = Path.of(s.file()).getFileName().toString();
            files.put(base.substring(0, base.length() - ConfigLoader.OBJECT_FILE_SUFFIX.length()), s.text());
        }
    }

    /** Whether changes are written to disk (there is a runtime directory). */
    public boolean persisted() {
        return dir != null;
    }

    /** The runtime directory, or null. */
    public Path dir() {
        return dir;
    }

    /** Where an object's runtime file is (or would be), as errors name it. */
    public String fileOf(String name) {
        return (dir != null ? dir : Path.of("(not saved)")).resolve(name + ConfigLoader.OBJECT_FILE_SUFFIX).toString();
    }

    /**
     * The keys of an object's section in effect (its runtime file's, else the main file's), in order,
     * without {@code type}; null when there is no such object.
     */
    public synchronized Map<String, String> entries(String name) {
        IniParser.Section s = section(name);
        if (s == null) {
            return null;
        }
        Map<String, String> out = new LinkedHashMap<>();
        s.entries().values().forEach(e -> out.put(e.key(), e.value()));
        out.remove("type");
        return out;
    }

    private IniParser.Section section(String name) {
        String text = files.get(name);
        List<IniParser.Section> secs = IniParser.parse(mainFile, text != null ? text : mainText, new ArrayList<>());
        for (IniParser.Section s : secs) {
            if (s.name().equals(name) && !(text != null && s.entries().containsKey("deleted"))) {
                return s;
            }
        }
        return null;
    }

    /** The edit that destroys an object: its file goes, and an object of the main file is marked deleted. */
    public synchronized Edit destroy(String name, String type) {
        boolean inMain = IniParser.parse(mainFile, mainText, new ArrayList<>()).stream()
                .anyMatch(s -> s.name().equals(name));
        return new Edit(name, inMain ? "[" + name + "]\ntype=" + type + "\ndeleted=true\n" : null);
    }

    /** An object's section as a runtime object file: {@code [name]}, {@code type=}, then the keys in order. */
    public static String render(String name, String type, Map<String, String> entries) {
        StringBuilder sb = new StringBuilder();
        sb.append('[').append(name).append("]\ntype=").append(type).append('\n');
        entries.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return sb.toString();
    }

    /**
     * Validates, writes and applies {@code edits} as one change. Returns the new configuration generation.
     *
     * @param who  for the log: who asked, and through which interface
     * @param what for the log: what the change is ("created server 'db3'")
     */
    public synchronized long apply(List<Edit> edits, String who, String what) throws Refused {
        Map<String, String> next = new TreeMap<>(files);
        for (Edit e : edits) {
            if (e.text() == null) {
                next.remove(e.name());
            } else {
                next.put(e.name(), e.text());
            }
        }
        List<ConfigLoader.Source> sources = new ArrayList<>();
        next.forEach((name, text) -> sources.add(new ConfigLoader.Source(fileOf(name), text)));
        PatchbayConfig cfg;
        try {
            cfg = ConfigLoader.parseWith(mainFile, mainText, dir, sources);
        } catch (ConfigException e) {
            throw new Refused(400, e.errors());
        }
        checkUnchangeable(pb.config(), cfg);
        long generation = pb.generation().current() + 1;
        Prepared p = prepare(cfg, generation);
        try {
            persist(edits);
        } catch (IOException e) {
            p.undo();
            throw new Refused(500, "Could not save the change in " + dir + ": " + e.getMessage()
                    + "; nothing was changed");
        }
        p.commit();
        files.clear();
        files.putAll(next);
        pb.generation().bump();
        log.info("Configuration generation {}: {} by {}{}", generation, what, who,
                dir == null ? " (not saved: no runtime_config_dir)" : "");
        return generation;
    }

    /** What cannot change at run time: a listener's service and protocol. */
    private static void checkUnchangeable(PatchbayConfig before, PatchbayConfig after) throws Refused {
        List<String> errors = new ArrayList<>();
        for (PatchbayConfig.ListenerConfig n : after.listeners()) {
            for (PatchbayConfig.ListenerConfig o : before.listeners()) {
                if (!o.name().equals(n.name())) {
                    continue;
                }
                if (!o.service().equals(n.service())) {
                    errors.add("Parameter 'service' of listener '" + n.name() + "' cannot be modified at run time"
                            + " (destroy the listener and create it again)");
                }
                if (!o.protocol().equals(n.protocol())) {
                    errors.add("Parameter 'protocol' of listener '" + n.name() + "' cannot be modified at run time"
                            + " (destroy the listener and create it again)");
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new Refused(400, errors);
        }
    }

    private void persist(List<Edit> edits) throws IOException {
        if (dir == null) {
            return;
        }
        Files.createDirectories(dir);
        for (Edit e : edits) {
            Path f = dir.resolve(e.name() + ConfigLoader.OBJECT_FILE_SUFFIX);
            if (e.text() == null) {
                Files.deleteIfExists(f);
                continue;
            }
            Path tmp = dir.resolve("." + e.name() + ConfigLoader.OBJECT_FILE_SUFFIX + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(e.text().getBytes(StandardCharsets.UTF_8)));
                ch.force(true);
            }
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    // ---- applying a validated configuration to the model ---------------------------------------

    /** A change ready to publish: listeners already bound (undoable), objects built but not visible. */
    private final class Prepared {
        final PatchbayConfig cfg;
        final long generation;
        final Map<String, Filter> filters = new LinkedHashMap<>();
        final List<Filter> retiredFilters = new ArrayList<>();
        final Map<String, Server> servers = new LinkedHashMap<>();
        final Map<String, Service> services = new LinkedHashMap<>();
        final Map<String, Frontend> frontends = new LinkedHashMap<>();
        final List<BoundListener> listeners = new ArrayList<>();
        final List<Runnable> undo = new ArrayList<>();
        final List<BoundListener> toClose = new ArrayList<>();

        Prepared(PatchbayConfig cfg, long generation) {
            this.cfg = cfg;
            this.generation = generation;
        }

        void undo() {
            for (int i = undo.size() - 1; i >= 0; i--) {
                undo.get(i).run();
            }
            for (Filter f : filters.values()) {
                if (!pb.filters().containsValue(f)) {
                    f.retire();
                }
            }
        }

        void commit() {
            PatchbayConfig before = pb.config();
            for (PatchbayConfig.ServerConfig sc : cfg.servers()) {
                Server s = servers.get(sc.name());
                PatchbayConfig.ServerConfig old = find(before.servers(), sc.name(), PatchbayConfig.ServerConfig::name);
                if (old != null && !old.equals(sc)) {
                    s.reconfigure(sc.address(), sc.port(), Patchbay.resolve(sc.address(), sc.port()), sc.weight(),
                            sc.maxConnections(), sc.healthCheck(), sc.role(), sc.tls(), sc.proxyProtocol());
                }
            }
            for (Server s : pb.servers().values()) {
                if (!servers.containsKey(s.name())) {
                    s.retire();
                }
            }
            for (PatchbayConfig.ServiceConfig sc : cfg.services()) {
                Service svc = services.get(sc.name());
                List<Server> list = sc.servers().stream().map(servers::get).toList();
                List<FilterDef> fl = Patchbay.filterList(sc.filters(), filters);
                Service.Snapshot cur = svc.snapshot();
                if (!cur.settings().equals(sc.settings()) || !sameObjects(cur.servers(), list)
                        || !sameObjects(cur.filters(), fl)) {
                    svc.update(sc.settings(), list, fl, generation);
                }
            }
            for (Service s : pb.services().values()) {
                if (services.get(s.name()) != s) {
                    s.retire();
                }
            }
            for (BoundListener l : toClose) {
                l.close();
            }
            pb.publish(cfg, servers, services, frontends, filters, listeners);
            retiredFilters.forEach(Filter::retire);
            if (pb.healthChecker() != null) {
                servers.values().forEach(pb.healthChecker()::watch);
            }
        }
    }

    private static boolean sameObjects(List<?> a, List<?> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) != b.get(i)) {
                return false;
            }
        }
        return true;
    }

    private static <T> T find(List<T> list, String name, java.util.function.Function<T, String> nameOf) {
        for (T t : list) {
            if (nameOf.apply(t).equals(name)) {
                return t;
            }
        }
        return null;
    }

    private Prepared prepare(PatchbayConfig cfg, long generation) throws Refused {
        Prepared p = new Prepared(cfg, generation);
        Map<String, Filter> oldFilters = pb.filters();
        for (PatchbayConfig.FilterConfig fc : cfg.filters()) {
            Filter old = oldFilters.get(fc.name());
            if (old != null && old.config().equals(fc)) {
                p.filters.put(fc.name(), old);
            } else {
                p.filters.put(fc.name(), Filter.create(fc));
                if (old != null) {
                    p.retiredFilters.add(old);
                }
            }
        }
        for (Filter old : oldFilters.values()) {
            if (!p.filters.containsKey(old.name())) {
                p.retiredFilters.add(old);
            }
        }
        Map<String, Server> oldServers = pb.servers();
        for (PatchbayConfig.ServerConfig sc : cfg.servers()) {
            try {
                BackendTls.prepare(sc.name(), sc.tls());
            } catch (IllegalStateException e) {
                throw new Refused(400, e.getMessage());
            }
        }
        for (PatchbayConfig.ServerConfig sc : cfg.servers()) {
            Server s = oldServers.get(sc.name());
            p.servers.put(sc.name(), s != null ? s : pb.newServer(sc));
        }
        Map<String, Service> oldServices = pb.services();
        for (PatchbayConfig.ServiceConfig sc : cfg.services()) {
            Service s = oldServices.get(sc.name());
            if (s == null) {
                s = new Service(sc.name(), pb.nextProxyId(), sc.settings(),
                        sc.servers().stream().map(p.servers::get).toList(),
                        Patchbay.filterList(sc.filters(), p.filters), generation);
            }
            p.services.put(sc.name(), s);
        }
        // Listeners last: binding is the one step that can fail, and it can be undone.
        PatchbayConfig before = pb.config();
        Map<String, BoundListener> bound = new LinkedHashMap<>();
        pb.listeners().forEach(l -> bound.put(l.name(), l));
        try {
            for (PatchbayConfig.ListenerConfig lc : cfg.listeners()) {
                Frontend fe = pb.frontends().get(lc.name());
                PatchbayConfig.ListenerConfig old = find(before.listeners(), lc.name(), PatchbayConfig.ListenerConfig::name);
                BoundListener l = bound.get(lc.name());
                if (fe == null) {
                    Frontend created = pb.newFrontend(lc, p.services.get(lc.service()));
                    BoundListener nl = bind(cfg, lc, created);
                    p.undo.add(nl::close);
                    fe = created;
                    l = nl;
                } else if (!Objects.equals(old, lc)) {
                    BoundListener oldL = l;
                    if (oldL != null) {
                        oldL.close();
                    }
                    Frontend f = fe;
                    BoundListener nl;
                    try {
                        nl = bind(cfg, lc, fe);
                    } catch (Refused r) {
                        if (old != null) {
                            rebind(old, f, p);
                        }
                        throw r;
                    }
                    String oldLabel = fe.bindLabel();
                    int oldMax = fe.maxConnections();
                    fe.setBindLabel(Patchbay.bindLabel(lc));
                    fe.setMaxConnections(lc.maxConnections());
                    p.undo.add(() -> {
                        nl.close();
                        f.setBindLabel(oldLabel);
                        f.setMaxConnections(oldMax);
                        if (old != null) {
                            rebind(old, f, p);
                        }
                    });
                    l = nl;
                }
                p.frontends.put(lc.name(), fe);
                if (l != null) {
                    p.listeners.add(l);
                }
            }
        } catch (Refused r) {
            p.undo();
            throw r;
        }
        for (BoundListener l : pb.listeners()) {
            if (!p.frontends.containsKey(l.name())) {
                p.toClose.add(l);
            }
        }
        return p;
    }

    private BoundListener bind(PatchbayConfig cfg, PatchbayConfig.ListenerConfig lc, Frontend fe) throws Refused {
        try {
            return pb.bindListener(cfg, lc, fe);
        } catch (Exception e) {
            String m = e.getMessage() != null ? e.getMessage() : e.toString();
            throw new Refused(400, m.startsWith("listener [") ? m
                    : "listener [" + lc.name() + "] cannot listen on " + lc.address() + ":" + lc.port() + ": " + m);
        }
    }

    /** Puts a listener back where it was after a failed rebind; logged if even that fails. */
    private void rebind(PatchbayConfig.ListenerConfig old, Frontend fe, Prepared p) {
        try {
            BoundListener back = pb.bindListener(pb.config(), old, fe);
            for (int i = 0; i < p.listeners.size(); i++) {
                if (p.listeners.get(i).name().equals(old.name())) {
                    p.listeners.set(i, back);
                }
            }
            List<BoundListener> now = new ArrayList<>(pb.listeners());
            now.replaceAll(x -> x.name().equals(old.name()) ? back : x);
            pb.publish(pb.config(), pb.servers(), pb.services(), pb.frontends(), pb.filters(), now);
        } catch (Exception e) {
            log.error("Listener {} could not be bound again on {}:{} after a failed change: {}", old.name(),
                    old.address(), old.port(), e.getMessage());
        }
    }
}
