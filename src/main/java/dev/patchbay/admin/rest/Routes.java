package dev.patchbay.admin.rest;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The route table: method + path template ({@code sessions/:id/restart}) → handler. Literal segments
 * win over parameters, so {@code POST sessions/restart} is not {@code sessions/:id}.
 */
final class Routes {

    /** Handles one request; may complete later (password hashing, kills, reverse DNS). */
    interface Handler {
        CompletableFuture<ApiResponse> handle(ApiRequest r) throws Exception;
    }

    /** A handler that answers at once. */
    interface SyncHandler {
        ApiResponse handle(ApiRequest r) throws Exception;
    }

    record Route(String method, String[] template, Handler handler, boolean anyAccountMayWrite) {
        int literals() {
            int n = 0;
            for (String t : template) {
                if (!t.startsWith(":")) {
                    n++;
                }
            }
            return n;
        }

        List<String> match(List<String> segments) {
            if (segments.size() != template.length) {
                return null;
            }
            List<String> params = new ArrayList<>(2);
            for (int i = 0; i < template.length; i++) {
                if (template[i].startsWith(":")) {
                    params.add(segments.get(i));
                } else if (!template[i].equals(segments.get(i))) {
                    return null;
                }
            }
            return params;
        }
    }

    record Match(Route route, List<String> params) {}

    static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

    private final List<Route> routes = new ArrayList<>();

    Routes add(String method, String template, Handler h) {
        return add(method, template, h, false);
    }

    Routes add(String method, String template, Handler h, boolean anyAccountMayWrite) {
        String[] t = template.isEmpty() ? new String[0] : template.split("/");
        routes.add(new Route(method, t, h, anyAccountMayWrite));
        return this;
    }

    Routes sync(String method, String template, SyncHandler h) {
        return add(method, template, r -> CompletableFuture.completedFuture(h.handle(r)));
    }

    /** The route for {@code method} (HEAD uses GET's), or null. */
    Match find(String method, List<String> segments) {
        String m = method.equals("HEAD") ? "GET" : method;
        Match best = null;
        for (Route r : routes) {
            if (!r.method.equals(m)) {
                continue;
            }
            List<String> params = r.match(segments);
            if (params != null && (best == null || r.literals() > best.route.literals())) {
                best = new Match(r, params);
            }
        }
        return best;
    }

    /**
     * The methods with a route for this path, as MaxScale lists them on OPTIONS: GET, PUT, POST and
     * DELETE only (never PATCH). Empty when no route has the path at all.
     */
    List<String> accepted(List<String> segments) {
        List<String> out = new ArrayList<>();
        for (String m : List.of("GET", "PUT", "POST", "DELETE")) {
            Match match = find(m, segments);
            if (match != null && literalMatchIsBest(match, segments)) {
                out.add(m);
            }
        }
        return out;
    }

    private boolean literalMatchIsBest(Match m, List<String> segments) {
        // A parameter route must not claim a path a literal route of another method owns
        // (GET sessions/:id for sessions/restart, whose only route is POST).
        if (m.route.literals() == m.route.template.length) {
            return true;
        }
        for (Route r : routes) {
            if (r.literals() > m.route.literals() && r.match(segments) != null) {
                return false;
            }
        }
        return true;
    }

    boolean hasPath(List<String> segments) {
        for (Route r : routes) {
            if (r.match(segments) != null) {
                return true;
            }
        }
        return false;
    }
}
