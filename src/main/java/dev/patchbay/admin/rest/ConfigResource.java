package dev.patchbay.admin.rest;

import dev.patchbay.Patchbay;
import dev.patchbay.RuntimeConfig;
import dev.patchbay.config.PatchbayConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * Runtime configuration in MaxScale's shapes: {@code POST}, {@code PATCH} and {@code DELETE} on
 * {@code /v1/servers}, {@code /v1/services}, {@code /v1/listeners} and {@code /v1/filters}, and the
 * relationship PATCHes. Each request becomes edits of runtime object files that {@link RuntimeConfig}
 * validates with the configuration loader (so errors read as for the file), writes and applies.
 *
 * <p>Success is 204 with an empty body, as MaxScale. A body or value that is not valid is 400 with
 * every problem; destroying an object that others still use is 403 with MaxScale's message
 * ({@code ?force=yes} removes the uses first, as MaxScale). The work runs on the REST blocking pool:
 * it resolves host names and writes files.
 */
final class ConfigResource {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.~-]+");
    private static final Pattern KEY = Pattern.compile("[a-z][a-z0-9_]*");

    private final RestApi api;

    ConfigResource(RestApi api) {
        this.api = api;
    }

    private Patchbay pb() {
        return api.patchbay();
    }

    private RuntimeConfig rc() {
        return pb().runtimeConfig();
    }

    void register(Routes routes) {
        routes.add("POST", "servers", r -> change(r, "server_create", () -> createServer(r)));
        routes.add("PATCH", "servers/:id", r -> change(r, "server_alter", () -> alterServer(r, false)));
        routes.add("PATCH", "servers/:id/relationships/services", r -> change(r, "server_alter",
                () -> alterServer(r, true)));
        routes.add("PATCH", "servers/:id/relationships/monitors", r -> {
            throw ApiException.badRequest("Patchbay has no monitors: servers are checked by their own health_check");
        });
        routes.add("DELETE", "servers/:id", r -> change(r, "server_destroy", () -> destroyServer(r)));

        routes.add("POST", "services", r -> change(r, "service_create", () -> createService(r)));
        routes.add("PATCH", "services/:id", r -> change(r, "service_alter", () -> alterService(r, null)));
        routes.add("PATCH", "services/:id/relationships/servers", r -> change(r, "service_alter",
                () -> alterService(r, "servers")));
        routes.add("PATCH", "services/:id/relationships/filters", r -> change(r, "service_alter",
                () -> alterService(r, "filters")));
        routes.add("DELETE", "services/:id", r -> change(r, "service_destroy", () -> destroyService(r)));
        routes.add("POST", "services/:id/listeners", r -> change(r, "listener_create", () -> createListener(r, true)));
        routes.add("DELETE", "services/:id/listeners/:l", r -> change(r, "listener_destroy",
                () -> destroyListener(r, r.param(1), r.param(0))));

        routes.add("POST", "listeners", r -> change(r, "listener_create", () -> createListener(r, false)));
        routes.add("PATCH", "listeners/:id", r -> change(r, "listener_alter", () -> alterListener(r)));
        routes.add("DELETE", "listeners/:id", r -> change(r, "listener_destroy",
                () -> destroyListener(r, r.param(0), null)));

        routes.add("POST", "filters", r -> change(r, "filter_create", () -> createFilter(r)));
        routes.add("PATCH", "filters/:id", r -> change(r, "filter_alter", () -> alterFilter(r)));
        routes.add("DELETE", "filters/:id", r -> change(r, "filter_destroy", () -> destroyFilter(r)));
    }

    /** What one request changes: the runtime files to write or remove, and a line for the log. */
    private record Plan(List<RuntimeConfig.Edit> edits, String what) {}

    private interface Planner {
        Plan plan() throws RuntimeConfig.Refused;
    }

    /**
     * Plans and applies under the runtime configuration's lock (two requests on one object cannot
     * interleave), off the REST loop. 204 on success.
     */
    private CompletableFuture<ApiResponse> change(ApiRequest r, String action, Planner planner) {
        if (r.json() == null && !r.method.equals("DELETE")) {
            throw ApiException.badRequest("Missing request body");
        }
        String who = r.principal.user() + " via the REST API";
        return CompletableFuture.supplyAsync(() -> {
            synchronized (rc()) {
                try {
                    Plan p = planner.plan();
                    if (p.edits().isEmpty()) {
                        // Nothing to change (a PATCH without parameters or relationships): no new generation.
                        return ApiResponse.empty(204).header("X-Patchbay-Generation",
                                Long.toString(pb().generation().current()));
                    }
                    long generation = rc().apply(p.edits(), who, p.what());
                    r.action = action;
                    return ApiResponse.empty(204).header("X-Patchbay-Generation", Long.toString(generation));
                } catch (RuntimeConfig.Refused e) {
                    throw new ApiException(e.status(), e.errors());
                }
            }
        }, api.blocking()).exceptionally(t -> {
            Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new CompletionException(c);
        });
    }

    // ---- request bodies -----------------------------------------------------------------------

    private static JsonNode data(ApiRequest r) {
        JsonNode data = r.requireJson().get("data");
        if (data == null || !data.isObject()) {
            throw ApiException.badRequest("'data' must be an object");
        }
        return data;
    }

    /** MaxScale's checks of {@code /data/id}: present, a string, not empty; then Patchbay's name rule. */
    private String newName(JsonNode data, String type) {
        JsonNode id = data.get("id");
        if (id == null) {
            throw ApiException.badRequest("Request body does not define the '/data/id' field.");
        }
        if (!id.isString()) {
            throw ApiException.badRequest("The '/data/id' field is not a string.");
        }
        String name = id.stringValue();
        if (name.isEmpty()) {
            throw ApiException.badRequest("Value '/data/id' is empty.");
        }
        if (!NAME.matcher(name).matches()) {
            throw ApiException.badRequest("'" + name + "' is not a valid name: it may only contain letters, digits"
                    + " and _ . ~ -");
        }
        JsonNode t = data.get("type");
        if (t != null && !(t.isString() && t.stringValue().equals(type + "s"))) {
            throw ApiException.badRequest("Invalid value for field '/data/type': " + Json.compact(t) + " (expected \""
                    + type + "s\")");
        }
        String other = typeOf(name);
        if (other != null) {
            throw ApiException.badRequest("Can't create " + type + " '" + name + "', a " + other
                    + " with that name already exists");
        }
        return name;
    }

    /** The type of whatever has this name in the configuration, or null. */
    private String typeOf(String name) {
        PatchbayConfig c = pb().config();
        if (name.equals("patchbay")) {
            return "global section";
        }
        if (c.servers().stream().anyMatch(x -> x.name().equals(name))) {
            return "server";
        }
        if (c.services().stream().anyMatch(x -> x.name().equals(name))) {
            return "service";
        }
        if (c.listeners().stream().anyMatch(x -> x.name().equals(name))) {
            return "listener";
        }
        if (c.filters().stream().anyMatch(x -> x.name().equals(name))) {
            return "filter";
        }
        if (c.statsSockets().stream().anyMatch(x -> x.name().equals(name))) {
            return "stats_socket";
        }
        return null;
    }

    /**
     * {@code data.attributes.parameters} as INI values: strings as they are, numbers and booleans as
     * written; null removes the key (its default applies). Keys that are relationships are refused.
     */
    private static Map<String, String> parameters(JsonNode data, Set<String> relationshipKeys) {
        Map<String, String> out = new LinkedHashMap<>();
        JsonNode attrs = data.get("attributes");
        if (attrs == null || attrs.isNull()) {
            return out;
        }
        if (!attrs.isObject()) {
            throw ApiException.badRequest("'data.attributes' must be an object, not " + Json.typeName(attrs));
        }
        JsonNode params = attrs.get("parameters");
        if (params == null || params.isNull()) {
            return out;
        }
        if (!params.isObject()) {
            throw ApiException.badRequest("'data.attributes.parameters' must be an object, not " + Json.typeName(params));
        }
        List<String> errors = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : params.properties()) {
            String k = e.getKey();
            JsonNode v = e.getValue();
            String where = "'data.attributes.parameters." + k + "'";
            if (!KEY.matcher(k).matches()) {
                errors.add(where + " is not a parameter name");
            } else if (k.equals("type")) {
                errors.add(where + ": the type is given by the URL");
            } else if (relationshipKeys.contains(k)) {
                errors.add(where + ": set it through data.relationships." + (k.equals("service") ? "services" : k));
            } else if (v.isNull()) {
                out.put(k, null);
            } else if (v.isString()) {
                String s = v.stringValue();
                if (s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0) {
                    errors.add(where + " must be on one line");
                } else {
                    out.put(k, s);
                }
            } else if (v.isNumber() || v.isBoolean()) {
                out.put(k, v.asString());
            } else {
                errors.add(where + " must be a string, a number or a boolean, not " + Json.typeName(v));
            }
        }
        if (!errors.isEmpty()) {
            throw new ApiException(400, errors);
        }
        return out;
    }

    /** {@code attributes.<name>} (MaxScale's {@code router}, {@code module}) as a string, or null when absent. */
    private static String attribute(JsonNode data, String name) {
        JsonNode v = data.path("attributes").get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isString()) {
            throw ApiException.badRequest("Field '/data/attributes/" + name + "' is not a string");
        }
        return v.stringValue();
    }

    /**
     * The ids of a relationship's {@code data} array (null when the relationship is absent from the body);
     * null or a non-array {@code data} is an empty list, as MaxScale treats it.
     */
    private static List<String> relationship(JsonNode rel, String where) {
        if (rel == null) {
            return null;
        }
        JsonNode arr = rel.get("data");
        List<String> ids = new ArrayList<>();
        if (arr == null || !arr.isArray()) {
            return ids;
        }
        for (int i = 0; i < arr.size(); i++) {
            JsonNode id = arr.get(i).get("id");
            if (id == null || !id.isString()) {
                throw ApiException.badRequest("'" + where + "[" + i + "].id': Not a JSON string but a " + Json.typeName(id));
            }
            ids.add(id.stringValue());
        }
        return ids;
    }

    private static List<String> relationship(JsonNode data, String type, String where) {
        return relationship(data.path("relationships").get(type), where);
    }

    /** Applies parameter changes to an object's current keys. */
    private static Map<String, String> merge(Map<String, String> current, Map<String, String> changes) {
        Map<String, String> out = new LinkedHashMap<>(current);
        changes.forEach((k, v) -> {
            if (v == null) {
                out.remove(k);
            } else {
                out.put(k, v);
            }
        });
        return out;
    }

    private Map<String, String> existing(String name, String type) {
        if (!type.equals(typeOf(name))) {
            throw ApiException.notFound(Character.toUpperCase(type.charAt(0)) + type.substring(1) + " '" + name
                    + "' not found");
        }
        Map<String, String> e = rc().entries(name);
        if (e == null) {
            throw ApiException.notFound(Character.toUpperCase(type.charAt(0)) + type.substring(1) + " '" + name
                    + "' not found");
        }
        return e;
    }

    private static boolean force(ApiRequest r) {
        String f = r.query("force");
        return f != null && (f.equalsIgnoreCase("yes") || f.equalsIgnoreCase("true") || f.equals("1"));
    }

    private static List<String> split(String v, String sep) {
        List<String> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        for (String p : v.split(Pattern.quote(sep), -1)) {
            if (!p.strip().isEmpty()) {
                out.add(p.strip());
            }
        }
        return out;
    }

    private RuntimeConfig.Edit edit(String name, String type, Map<String, String> entries) {
        return new RuntimeConfig.Edit(name, RuntimeConfig.render(name, type, entries));
    }

    // ---- servers ------------------------------------------------------------------------------

    /** The edits that make exactly {@code services} use {@code server} (added at the end of their lists). */
    private List<RuntimeConfig.Edit> linkServer(String server, List<String> services) {
        List<RuntimeConfig.Edit> edits = new ArrayList<>();
        for (String s : services) {
            if (!"service".equals(typeOf(s))) {
                throw ApiException.badRequest("Service '" + s + "' not found (data.relationships.services)");
            }
        }
        for (PatchbayConfig.ServiceConfig sc : pb().config().services()) {
            boolean uses = sc.servers().contains(server);
            boolean wanted = services.contains(sc.name());
            if (uses == wanted) {
                continue;
            }
            Map<String, String> e = rc().entries(sc.name());
            List<String> list = new ArrayList<>(split(e.get("servers"), ","));
            if (wanted) {
                list.add(server);
            } else {
                list.remove(server);
            }
            e.put("servers", String.join(",", list));
            edits.add(edit(sc.name(), "service", e));
        }
        return edits;
    }

    private Plan createServer(ApiRequest r) {
        JsonNode data = data(r);
        String name = newName(data, "server");
        Map<String, String> params = merge(Map.of(), parameters(data, Set.of()));
        if (data.path("relationships").has("monitors")) {
            throw ApiException.badRequest("Patchbay has no monitors: servers are checked by their own health_check");
        }
        List<RuntimeConfig.Edit> edits = new ArrayList<>();
        edits.add(edit(name, "server", params));
        List<String> services = relationship(data, "services", "data.relationships.services.data");
        if (services != null) {
            edits.addAll(linkServer(name, services));
        }
        return new Plan(edits, "created server '" + name + "'"
                + (services == null || services.isEmpty() ? "" : " for " + String.join(", ", services)));
    }

    private Plan alterServer(ApiRequest r, boolean relationshipOnly) {
        String name = r.param(0);
        Map<String, String> current = existing(name, "server");
        List<RuntimeConfig.Edit> edits = new ArrayList<>();
        List<String> services;
        if (relationshipOnly) {
            services = relationship(r.requireJson(), "data.data");
            if (services == null) {
                services = List.of();
            }
        } else {
            JsonNode data = data(r);
            Map<String, String> changes = parameters(data, Set.of());
            if (!changes.isEmpty()) {
                edits.add(edit(name, "server", merge(current, changes)));
            }
            services = relationship(data, "services", "data.relationships.services.data");
        }
        if (services != null) {
            edits.addAll(linkServer(name, services));
        }
        return new Plan(edits, "changed server '" + name + "'");
    }

    private Plan destroyServer(ApiRequest r) {
        String name = r.param(0);
        existing(name, "server");
        List<String> users = pb().config().services().stream().filter(s -> s.servers().contains(name))
                .map(PatchbayConfig.ServiceConfig::name).toList();
        List<RuntimeConfig.Edit> edits = new ArrayList<>();
        if (!users.isEmpty()) {
            if (!force(r)) {
                throw ApiException.forbidden("Cannot destroy server '" + name + "' as it is used by: "
                        + String.join(", ", users));
            }
            edits.addAll(linkServer(name, List.of()));
        }
        edits.add(rc().destroy(name, "server"));
        return new Plan(edits, "destroyed server '" + name + "'");
    }

    // ---- services -----------------------------------------------------------------------------

    private Plan createService(ApiRequest r) {
        JsonNode data = data(r);
        String name = newName(data, "service");
        Map<String, String> params = merge(Map.of(), parameters(data, Set.of("servers", "filters")));
        String router = attribute(data, "router");
        if (router != null) {
            params.put("router", router);
        }
        List<String> servers = relationship(data, "servers", "data.relationships.servers.data");
        if (servers != null) {
            params.put("servers", String.join(",", servers));
        }
        List<String> filters = relationship(data, "filters", "data.relationships.filters.data");
        if (filters != null && !filters.isEmpty()) {
            params.put("filters", String.join("|", filters));
        }
        return new Plan(List.of(edit(name, "service", params)), "created service '" + name + "'");
    }

    private Plan alterService(ApiRequest r, String relationshipOnly) {
        String name = r.param(0);
        Map<String, String> e = new LinkedHashMap<>(existing(name, "service"));
        if (relationshipOnly != null) {
            List<String> ids = relationship(r.requireJson(), "data.data");
            if (ids == null) {
                ids = List.of();
            }
            setList(e, relationshipOnly, ids);
            return new Plan(List.of(edit(name, "service", e)), "changed the " + relationshipOnly + " of service '" + name
                    + "' to [" + String.join(", ", ids) + "]");
        }
        JsonNode data = data(r);
        e = merge(e, parameters(data, Set.of("servers", "filters")));
        String router = attribute(data, "router");
        if (router != null) {
            e.put("router", router);
        }
        for (String rel : List.of("servers", "filters")) {
            List<String> ids = relationship(data, rel, "data.relationships." + rel + ".data");
            if (ids != null) {
                setList(e, rel, ids);
            }
        }
        return new Plan(List.of(edit(name, "service", e)), "changed service '" + name + "'");
    }

    private static void setList(Map<String, String> entries, String key, List<String> ids) {
        if (key.equals("filters")) {
            if (ids.isEmpty()) {
                entries.remove("filters");
            } else {
                entries.put("filters", String.join("|", ids));
            }
        } else {
            entries.put(key, String.join(",", ids));
        }
    }

    private Plan destroyService(ApiRequest r) {
        String name = r.param(0);
        existing(name, "service");
        List<String> listeners = pb().config().listeners().stream().filter(l -> l.service().equals(name))
                .map(PatchbayConfig.ListenerConfig::name).toList();
        List<RuntimeConfig.Edit> edits = new ArrayList<>();
        if (!listeners.isEmpty()) {
            if (!force(r)) {
                throw ApiException.forbidden("Cannot destroy service '" + name + "', the following objects depend on it: "
                        + String.join(", ", listeners));
            }
            for (String l : listeners) {
                edits.add(rc().destroy(l, "listener"));
            }
        }
        edits.add(rc().destroy(name, "service"));
        return new Plan(edits, "destroyed service '" + name + "'" + (listeners.isEmpty() ? ""
                : " and its listeners " + String.join(", ", listeners)));
    }

    // ---- listeners ----------------------------------------------------------------------------

    private Plan createListener(ApiRequest r, boolean serviceInPath) {
        JsonNode data = data(r);
        String name = newName(data, "listener");
        Map<String, String> params = merge(Map.of(), parameters(data, Set.of("service")));
        String service;
        if (serviceInPath) {
            service = r.param(0);
            if (!"service".equals(typeOf(service))) {
                throw ApiException.notFound("Service '" + service + "' not found");
            }
        } else {
            JsonNode svc = data.path("relationships").path("services").path("data").path(0).get("id");
            if (svc == null) {
                throw ApiException.badRequest("Field '/data/relationships/services/data/0/id' is not defined");
            }
            if (!svc.isString()) {
                throw ApiException.badRequest("Field '/data/relationships/services/data/0/id' is not a string");
            }
            service = svc.stringValue();
            if (!"service".equals(typeOf(service))) {
                throw ApiException.badRequest("'" + service + "' is not a valid service in Patchbay");
            }
        }
        Map<String, String> e = new LinkedHashMap<>();
        e.put("service", service);
        e.putAll(params);
        return new Plan(List.of(edit(name, "listener", e)), "created listener '" + name + "' for service '"
                + service + "'");
    }

    private Plan alterListener(ApiRequest r) {
        String name = r.param(0);
        Map<String, String> e = existing(name, "listener");
        JsonNode data = data(r);
        Map<String, String> changes = new LinkedHashMap<>(parameters(data, Set.of()));
        List<String> svc = relationship(data, "services", "data.relationships.services.data");
        if (svc != null && !svc.isEmpty()) {
            changes.put("service", svc.get(0));
        }
        return new Plan(List.of(edit(name, "listener", merge(e, changes))), "changed listener '" + name + "'");
    }

    private Plan destroyListener(ApiRequest r, String name, String service) {
        Map<String, String> e = existing(name, "listener");
        if (service != null && !service.equals(e.get("service"))) {
            throw ApiException.notFound("Listener '" + name + "' not found in service '" + service + "'");
        }
        return new Plan(List.of(rc().destroy(name, "listener")), "destroyed listener '" + name + "'");
    }

    // ---- filters ------------------------------------------------------------------------------

    private Plan createFilter(ApiRequest r) {
        JsonNode data = data(r);
        String name = newName(data, "filter");
        Map<String, String> params = merge(Map.of(), parameters(data, Set.of()));
        String module = attribute(data, "module");
        Map<String, String> e = new LinkedHashMap<>();
        if (module != null) {
            e.put("module", module);
        }
        e.putAll(params);
        return new Plan(List.of(edit(name, "filter", e)), "created filter '" + name + "'");
    }

    private Plan alterFilter(ApiRequest r) {
        String name = r.param(0);
        Map<String, String> e = existing(name, "filter");
        JsonNode data = data(r);
        Map<String, String> changes = parameters(data, Set.of());
        String module = attribute(data, "module");
        if (module == null) {
            module = changes.get("module");
        }
        if (module != null && !module.equalsIgnoreCase(e.get("module"))) {
            throw ApiException.badRequest("Parameter 'module' of filter '" + name + "' cannot be modified at run time"
                    + " (destroy the filter and create it again)");
        }
        return new Plan(List.of(edit(name, "filter", merge(e, changes))), "changed filter '" + name + "'");
    }

    private Plan destroyFilter(ApiRequest r) {
        String name = r.param(0);
        existing(name, "filter");
        List<String> users = pb().config().services().stream().filter(s -> s.filters().contains(name))
                .map(PatchbayConfig.ServiceConfig::name).toList();
        List<RuntimeConfig.Edit> edits = new ArrayList<>();
        if (!users.isEmpty()) {
            if (!force(r)) {
                throw ApiException.forbidden("Filter '" + name + "' cannot be destroyed: Remove it from all services first");
            }
            for (String s : users) {
                Map<String, String> e = rc().entries(s);
                List<String> list = new ArrayList<>(split(e.get("filters"), "|"));
                list.removeIf(name::equals);
                setList(e, "filters", list);
                edits.add(edit(s, "service", e));
            }
        }
        edits.add(rc().destroy(name, "filter"));
        Set<String> unused = new LinkedHashSet<>(users);
        return new Plan(edits, "destroyed filter '" + name + "'" + (unused.isEmpty() ? ""
                : " (removed from " + String.join(", ", unused) + ")"));
    }
}
