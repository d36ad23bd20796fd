package dev.patchbay.admin.rest;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code /v1/users}, {@code /v1/users/inet[/:name]} and {@code /v1/users/unix} (always empty: Patchbay has
 * no UNIX-socket accounts) in MaxScale's shapes, and {@code /v1/auth} (JWT).
 *
 * <p>Create: {@code POST /v1/users/inet {"data":{"id":"u","type":"inet","attributes":{"password":"p","account":"admin"}}}}
 * → 204. Change password: {@code PATCH /v1/users/inet/u {"data":{"attributes":{"password":"q"}}}} → 204.
 * Delete → 204. MaxScale answers refused operations with 403; malformed bodies here get 400 naming the field.
 */
final class UsersResource {
    private static final Logger log = LoggerFactory.getLogger("patchbay.rest");
    static final int MAX_NAME = 128;
    static final int MAX_PASSWORD = 1024;

    private final RestApi api;

    UsersResource(RestApi api) {
        this.api = api;
    }

    void register(Routes routes) {
        routes.sync("GET", "users", r -> list(r, "users/", true));
        routes.sync("GET", "users/inet", r -> list(r, "users/inet/", true));
        routes.sync("GET", "users/unix", r -> list(r, "users/unix/", false));
        routes.sync("GET", "users/inet/:name", this::get);
        routes.sync("GET", "users/unix/:name", r -> {
            throw ApiException.notFound("User '" + r.param(0) + "' not found (Patchbay has no UNIX-socket accounts)");
        });
        routes.add("POST", "users/inet", this::create);
        routes.add("PATCH", "users/inet/:name", this::patch);
        routes.add("DELETE", "users/inet/:name", this::delete);
        routes.add("GET", "auth", this::token, true);
        routes.add("POST", "auth", this::token, true);
    }

    private ObjectNode user(UserStore.User u, String base) {
        ObjectNode o = Json.object();
        o.put("id", u.name());
        o.put("type", "inet");
        o.putObject("links").put("self", base + "users/inet/" + Uris.encode(u.name()) + "/");
        ObjectNode a = o.putObject("attributes");
        a.put("name", u.name());
        a.put("account", u.admin() ? "admin" : "basic");
        a.put("created", SessionDocs.HTTP_DATE.format(Instant.ofEpochMilli(u.createdMillis())));
        a.put("last_update", SessionDocs.HTTP_DATE.format(Instant.ofEpochMilli(u.updatedMillis())));
        Long last = api.users().lastLogin(u.name());
        if (last == null) {
            a.putNull("last_login");
        } else {
            a.put("last_login", SessionDocs.HTTP_DATE.format(Instant.ofEpochMilli(last)));
        }
        return o;
    }

    private ApiResponse list(ApiRequest r, String self, boolean inet) {
        Query q = Query.parse(r, true);
        String base = r.linkBase();
        List<UserStore.User> users = inet ? api.users().list() : List.of();
        Query.Selection<UserStore.User> sel = q.select(users, (u, attrs) -> user(u, base));
        List<ObjectNode> data = new ArrayList<>();
        for (UserStore.User u : sel.rows()) {
            data.add(user(u, base));
        }
        return ApiResponse.ok(q.collection(base + self, data, sel.total()));
    }

    private ApiResponse get(ApiRequest r) {
        UserStore.User u = api.users().get(r.param(0));
        if (u == null) {
            throw ApiException.notFound("User '" + r.param(0) + "' not found");
        }
        ObjectNode res = user(u, r.linkBase());
        return ApiResponse.ok(Query.parse(r, false).single(res, res.path("links").path("self").asString("")));
    }

    private static String text(JsonNode parent, String field, String where) {
        JsonNode v = parent == null ? null : parent.get(field);
        if (v == null || v.isNull()) {
            throw ApiException.badRequest("Request body does not define '" + where + "'");
        }
        if (!v.isString()) {
            throw ApiException.badRequest("'" + where + "' must be a string, not " + Json.typeName(v));
        }
        return v.stringValue();
    }

    static void checkPassword(String password) {
        if (password.isEmpty()) {
            throw ApiException.badRequest("'data.attributes.password' must not be empty");
        }
        if (password.length() > MAX_PASSWORD) {
            throw ApiException.badRequest("'data.attributes.password' is longer than " + MAX_PASSWORD + " characters");
        }
    }

    private CompletableFuture<ApiResponse> create(ApiRequest r) {
        JsonNode data = r.requireJson().get("data");
        if (data == null || !data.isObject()) {
            throw ApiException.badRequest("Request body does not define the 'data' object");
        }
        String name = text(data, "id", "data.id");
        if (name.isEmpty() || name.length() > MAX_NAME || name.contains(":")
                || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw ApiException.badRequest("'data.id' must be 1-" + MAX_NAME
                    + " characters without ':' or control characters");
        }
        JsonNode type = data.get("type");
        if (type != null && !(type.isString() && type.stringValue().equals("inet"))) {
            throw ApiException.badRequest("'data.type' must be \"inet\"");
        }
        JsonNode attrs = data.get("attributes");
        String password = text(attrs, "password", "data.attributes.password");
        checkPassword(password);
        String account = text(attrs, "account", "data.attributes.account");
        if (!account.equals("admin") && !account.equals("basic")) {
            throw ApiException.badRequest("'data.attributes.account' must be \"admin\" or \"basic\", not \"" + account + "\"");
        }
        if (api.users().get(name) != null) {
            throw ApiException.forbidden("User '" + name + "' already exists");
        }
        r.action = "user_create";
        return CompletableFuture.supplyAsync(() -> {
            try {
                api.users().create(name, password, account.equals("admin"));
            } catch (java.io.IOException e) {
                throw new ApiException(500, "Could not save the users file " + api.users().file() + ": " + e.getMessage());
            }
            log.info("REST user '{}' ({}) created by {}", name, account, r.principal.user());
            return ApiResponse.empty(204);
        }, api.blocking());
    }

    private CompletableFuture<ApiResponse> patch(ApiRequest r) {
        String name = r.param(0);
        if (api.users().get(name) == null) {
            throw ApiException.notFound("User '" + name + "' not found");
        }
        JsonNode data = r.requireJson().get("data");
        if (data == null || !data.isObject()) {
            throw ApiException.badRequest("Request body does not define the 'data' object");
        }
        JsonNode attrs = data.get("attributes");
        if (attrs != null && attrs.isObject()) {
            for (String k : attrs.propertyNames()) {
                if (!k.equals("password")) {
                    throw ApiException.badRequest("'data.attributes." + k + "' cannot be changed; only the password can");
                }
            }
        }
        String password = text(attrs, "password", "data.attributes.password");
        checkPassword(password);
        r.action = "user_update";
        return CompletableFuture.supplyAsync(() -> {
            try {
                api.users().changePassword(name, password);
            } catch (java.io.IOException e) {
                throw new ApiException(500, "Could not save the users file " + api.users().file() + ": " + e.getMessage());
            }
            log.info("Password of REST user '{}' changed by {}", name, r.principal.user());
            return ApiResponse.empty(204);
        }, api.blocking());
    }

    private CompletableFuture<ApiResponse> delete(ApiRequest r) {
        String name = r.param(0);
        r.action = "user_delete";
        return CompletableFuture.supplyAsync(() -> {
            try {
                api.users().delete(name);
            } catch (java.io.IOException e) {
                throw new ApiException(500, "Could not save the users file " + api.users().file() + ": " + e.getMessage());
            }
            log.info("REST user '{}' deleted by {}", name, r.principal.user());
            return ApiResponse.empty(204);
        }, api.blocking());
    }

    /**
     * {@code GET|POST /v1/auth}: a JWT for the caller. {@code max-age=N} seconds (default 28800, capped by
     * admin_jwt_max_age); {@code persist=yes} puts it in the {@code token_body} and HttpOnly
     * {@code token_sig} cookies and answers 204; {@code logout=true} clears them.
     */
    private CompletableFuture<ApiResponse> token(ApiRequest r) {
        if (api.settings().secureAuth() && !r.tls) {
            throw new ApiException(401, "Connection is not encrypted");
        }
        String secure = r.tls ? "; Secure" : "";
        if (r.flag("logout", false)) {
            return CompletableFuture.completedFuture(ApiResponse.empty(204)
                    .header("Set-Cookie", "token_body=; Path=/; Max-Age=0" + secure + "; SameSite=Strict; HttpOnly")
                    .header("Set-Cookie", "token_sig=; Path=/; Max-Age=0" + secure + "; SameSite=Strict; HttpOnly"));
        }
        long age = 28_800;
        String maxAge = r.query("max-age");
        if (maxAge != null) {
            try {
                long l = Long.parseLong(maxAge.trim());
                if (l > 0) {
                    age = l;
                }
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("Invalid value for 'max-age': '" + maxAge + "' (seconds)");
            }
        }
        age = Math.min(age, api.settings().jwtMaxAgeSeconds());
        Principal p = r.principal;
        String token = api.jwt().create(p.user(), p.admin(), age);
        if ("yes".equalsIgnoreCase(r.query("persist")) || "true".equalsIgnoreCase(r.query("persist"))) {
            int dot = token.lastIndexOf('.');
            String maxAgeAttr = maxAge != null ? "; Max-Age=" + age : "";
            return CompletableFuture.completedFuture(ApiResponse.empty(204)
                    .header("Set-Cookie", "token_body=" + token.substring(0, dot) + "; Path=/" + maxAgeAttr + secure
                            + "; SameSite=Strict")
                    .header("Set-Cookie", "token_sig=" + token.substring(dot) + "; Path=/" + maxAgeAttr + secure
                            + "; SameSite=Strict; HttpOnly"));
        }
        ObjectNode doc = Json.object();
        doc.putObject("meta").put("token", token);
        return CompletableFuture.completedFuture(ApiResponse.ok(doc));
    }
}
