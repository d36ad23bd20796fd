package dev.patchbay.admin.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.config.ConfigLoader;
import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Session;
import dev.patchbay.testing.TestBackend;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Creating, changing and destroying servers, services, listeners and filters through REST on a
 * running Patchbay: validation by the loader, 204 / 400 / 403 / 404, runtime object files, the
 * generation, new sessions using the change at once, listeners bound and unbound.
 */
class RuntimeConfigApiTest {
    @TempDir
    Path runtime;
    RestRig rig;
    TestBackend second;

    @BeforeEach
    void start() throws Exception {
        rig = RestRig.start(Map.of("runtime_config_dir", runtime.toString()));
        second = TestBackend.start("second", TestBackend.Mode.ECHO);
    }

    @AfterEach
    void stop() throws Exception {
        rig.close();
        second.close();
    }

    private long generation() throws Exception {
        return rig.getJson("/v1/maxscale").path("data").path("attributes").path("config_generation").asLong();
    }

    private String serverBody(String name, int port, String services) {
        return "{\"data\":{\"id\":\"" + name + "\",\"type\":\"servers\",\"attributes\":{\"parameters\":{"
                + "\"address\":\"127.0.0.1\",\"port\":" + port + ",\"health_check\":\"none\"}}"
                + (services == null ? "" : ",\"relationships\":{\"services\":{\"data\":[{\"id\":\"" + services
                + "\",\"type\":\"services\"}]}}") + "}}";
    }

    private static void assertStatus(HttpResponse<String> r, int status) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    }

    @Test
    void aServerAddedAndTheOldOneRemovedTakesNewSessionsAndRestartsMoveOldOnes() throws Exception {
        Session before = rig.openSession();
        assertThat(before.generation()).isEqualTo(1);
        assertThat(generation()).isEqualTo(1);

        HttpResponse<String> r = rig.send("POST", "/v1/servers", serverBody("server2", second.port(), "Echo-Service"));
        assertStatus(r, 204);
        assertThat(r.body()).isEmpty();
        assertThat(r.headers().firstValue("X-Patchbay-Generation")).hasValue("2");
        assertThat(generation()).isEqualTo(2);
        assertThat(Files.readString(runtime.resolve("server2.cnf"))).isEqualTo(
                "[server2]\ntype=server\naddress=127.0.0.1\nhealth_check=none\nport=" + second.port() + "\n");
        assertThat(Files.readString(runtime.resolve("Echo-Service.cnf"))).contains("servers=server1,server2");
        JsonNode s2 = rig.getJson("/v1/servers/server2").path("data");
        assertThat(s2.path("attributes").path("source").path("type").asString()).isEqualTo("runtime");
        assertThat(s2.path("attributes").path("source").path("file").asString())
                .isEqualTo(runtime.resolve("server2.cnf").toString());
        assertThat(s2.path("relationships").path("services").path("data").path(0).path("id").asString())
                .isEqualTo("Echo-Service");

        // Only server2 from now on.
        r = rig.send("PATCH", "/v1/services/Echo-Service/relationships/servers",
                "{\"data\":[{\"id\":\"server2\",\"type\":\"servers\"}]}");
        assertStatus(r, 204);
        assertThat(generation()).isEqualTo(3);
        int accepted = second.accepted();
        Session after = rig.openSession();
        assertThat(after.server().name()).isEqualTo("server2");
        assertThat(after.generation()).isEqualTo(3);
        assertThat(second.accepted()).isEqualTo(accepted + 1);
        // The old session stays where it was, on its old configuration, and works.
        assertThat(before.server().name()).isEqualTo("server1");
        RestRig.echo(rig.socketOf(before), "still on server1");
        JsonNode attrs = rig.getJson("/v1/sessions/" + before.id()).path("data").path("attributes");
        assertThat(attrs.path("generation").asLong()).isEqualTo(1);
        assertThat(attrs.path("control").path("started_generation").asLong()).isEqualTo(1);

        // A restart moves it to the new server, same client connection.
        assertStatus(rig.send("POST", "/v1/sessions/" + before.id() + "/restart", ""), 200);
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> before.control().restarts() == 1);
        assertThat(before.server().name()).isEqualTo("server2");
        assertThat(before.generation()).isEqualTo(3);
        assertThat(rig.backend.openConnections()).as("the old backend connection is closed").isZero();
        RestRig.echo(rig.socketOf(before), "now on server2");
        attrs = rig.getJson("/v1/sessions/" + before.id()).path("data").path("attributes");
        assertThat(attrs.path("generation").asLong()).isEqualTo(3);
        assertThat(attrs.path("control").path("last_restart").path("result").asString()).isEqualTo("ok");
        assertThat(attrs.path("connections").path(0).path("server").asString()).isEqualTo("server2");

        // What was changed survives a restart of Patchbay: the same main text with the runtime directory.
        PatchbayConfig reloaded = ConfigLoader.parse(rig.patchbay.config().source(), rig.patchbay.config().text());
        assertThat(reloaded.servers()).extracting(PatchbayConfig.ServerConfig::name).containsExactly("server1", "server2");
        assertThat(reloaded.services().get(0).servers()).containsExactly("server2");
    }

    @Test
    void invalidChangesAre400WithTheLoadersWordsAndChangeNothing() throws Exception {
        HttpResponse<String> r = rig.send("POST", "/v1/servers",
                "{\"data\":{\"id\":\"bad\",\"attributes\":{\"parameters\":{\"address\":\"127.0.0.1\",\"port\":\"http\","
                        + "\"colour\":\"blue\"}}}}");
        assertStatus(r, 400);
        // Parameters are written in name order: [bad], type, address, colour, port; errors come in line order.
        JsonNode errors = RestRig.json(r).path("errors");
        assertThat(errors.path(0).path("detail").asString())
                .isEqualTo(runtime.resolve("bad.cnf") + ":4: [bad] colour: unknown key");
        assertThat(errors.path(1).path("detail").asString())
                .isEqualTo(runtime.resolve("bad.cnf") + ":5: [bad] port: 'http' is not a port number (1-65535)");
        assertThat(runtime.resolve("bad.cnf")).doesNotExist();
        assertThat(generation()).isEqualTo(1);
        assertThat(rig.get("/v1/servers/bad").statusCode()).isEqualTo(404);

        r = rig.send("POST", "/v1/servers", serverBody("server1", 1, null));
        assertStatus(r, 400);
        assertThat(RestRig.detail(r)).isEqualTo("Can't create server 'server1', a server with that name already exists");
        r = rig.send("POST", "/v1/services", "{\"data\":{\"id\":\"Echo-Listener\",\"attributes\":{\"router\":\"first\"}}}");
        assertThat(RestRig.detail(r)).isEqualTo("Can't create service 'Echo-Listener', a listener with that name already exists");
        r = rig.send("POST", "/v1/servers", "{\"data\":{\"id\":5}}");
        assertThat(RestRig.detail(r)).isEqualTo("The '/data/id' field is not a string.");
        r = rig.send("POST", "/v1/servers", "{\"data\":{\"type\":\"servers\"}}");
        assertThat(RestRig.detail(r)).isEqualTo("Request body does not define the '/data/id' field.");
        r = rig.send("POST", "/v1/servers", "{\"data\":{\"id\":\"../etc\"}}");
        assertThat(RestRig.detail(r)).isEqualTo("'../etc' is not a valid name: it may only contain letters, digits and _ . ~ -");
        r = rig.send("POST", "/v1/servers", "{\"data\":{\"id\":\"x\",\"attributes\":{\"parameters\":{\"port\":[1]}}}}");
        assertThat(RestRig.detail(r)).isEqualTo("'data.attributes.parameters.port' must be a string, a number or a boolean, not array");
        r = rig.send("PATCH", "/v1/services/Echo-Service", "{\"data\":{\"attributes\":{\"parameters\":{\"servers\":\"x\"}}}}");
        assertThat(RestRig.detail(r)).isEqualTo("'data.attributes.parameters.servers': set it through data.relationships.servers");
        r = rig.send("PATCH", "/v1/services/Echo-Service/relationships/servers", "{\"data\":[{\"id\":\"nope\"}]}");
        assertStatus(r, 400);
        assertThat(RestRig.detail(r)).endsWith("[Echo-Service] servers: 'nope' is not a server defined in this file");
        r = rig.send("PATCH", "/v1/services/Echo-Service/relationships/servers", "{\"data\":[]}");
        assertThat(RestRig.detail(r)).endsWith("[Echo-Service] servers: is required (a comma-separated list of servers)");
        r = rig.send("PATCH", "/v1/services/Echo-Service", "{\"data\":{\"attributes\":{\"parameters\":{\"client_timeout\":\"30\"}}}}");
        assertThat(RestRig.detail(r)).endsWith("[Echo-Service] client_timeout: '30' needs a unit (ms, s, m, h or d), e.g. 30s");
        r = rig.send("PATCH", "/v1/servers/nope", "{\"data\":{}}");
        assertStatus(r, 404);
        assertThat(RestRig.detail(r)).isEqualTo("Server 'nope' not found");
        r = rig.send("PATCH", "/v1/servers/server1", null);
        assertThat(RestRig.detail(r)).isEqualTo("Missing request body");
        assertThat(generation()).isEqualTo(1);
        try (var files = Files.list(runtime)) {
            assertThat(files.toList()).isEmpty();
        }
    }

    @Test
    void aChangedServiceAppliesToNewSessionsOnly() throws Exception {
        Session old = rig.openSession();
        HttpResponse<String> r = rig.send("PATCH", "/v1/services/Echo-Service",
                "{\"data\":{\"attributes\":{\"router\":\"leastconn\",\"parameters\":{\"client_timeout\":\"1h\"}}}}");
        assertStatus(r, 204);
        JsonNode p = rig.getJson("/v1/services/Echo-Service").path("data").path("attributes");
        assertThat(p.path("router").asString()).isEqualTo("leastconn");
        assertThat(p.path("parameters").path("client_timeout").asString()).isEqualTo("3600000ms");
        Session fresh = rig.openSession();
        assertThat(fresh.serviceSettings().clientTimeoutNanos()).isEqualTo(TimeUnit.HOURS.toNanos(1));
        assertThat(old.serviceSettings().clientTimeoutNanos()).as("the old session keeps its snapshot").isZero();
        // null takes a key back to its default.
        assertStatus(rig.send("PATCH", "/v1/services/Echo-Service",
                "{\"data\":{\"attributes\":{\"parameters\":{\"client_timeout\":null}}}}"), 204);
        assertThat(Files.readString(runtime.resolve("Echo-Service.cnf"))).doesNotContain("client_timeout");
        assertThat(rig.openSession().serviceSettings().clientTimeoutNanos()).isZero();
    }

    @Test
    void destroyingAnObjectInUseIsRefusedUnlessForced() throws Exception {
        assertStatus(rig.send("POST", "/v1/servers", serverBody("server2", second.port(), "Echo-Service")), 204);
        HttpResponse<String> r = rig.send("DELETE", "/v1/servers/server2", null);
        assertStatus(r, 403);
        assertThat(RestRig.detail(r)).isEqualTo("Cannot destroy server 'server2' as it is used by: Echo-Service");
        r = rig.send("DELETE", "/v1/servers/server2?force=yes", null);
        assertStatus(r, 204);
        assertThat(runtime.resolve("server2.cnf")).doesNotExist();
        assertThat(rig.getJson("/v1/services/Echo-Service").path("data").path("relationships").path("servers")
                .path("data").size()).isEqualTo(1);
        r = rig.send("DELETE", "/v1/services/Echo-Service", null);
        assertStatus(r, 403);
        assertThat(RestRig.detail(r)).isEqualTo("Cannot destroy service 'Echo-Service', the following objects depend on it: "
                + "Echo-Listener");
        // A main-file object destroyed at run time leaves a tombstone so that it stays destroyed.
        Session s = rig.openSession();
        assertStatus(rig.send("DELETE", "/v1/services/Echo-Service?force=yes", null), 204);
        assertThat(Files.readString(runtime.resolve("Echo-Listener.cnf"))).contains("deleted=true");
        assertThat(rig.patchbay.services()).doesNotContainKey("Echo-Service");
        assertThat(rig.patchbay.frontends()).doesNotContainKey("Echo-Listener");
        RestRig.echo(rig.socketOf(s), "a live session outlives its service and listener");
        r = rig.send("POST", "/v1/sessions/" + s.id() + "/restart", "");
        assertStatus(r, 400);
        assertThat(RestRig.detail(r)).isEqualTo("Session " + s.id() + " cannot be restarted: its service 'Echo-Service'"
                + " was destroyed");
        PatchbayConfig reloaded = ConfigLoader.parse(rig.patchbay.config().source(), rig.patchbay.config().text());
        assertThat(reloaded.services()).isEmpty();
        assertThat(reloaded.listeners()).isEmpty();
    }

    @Test
    void listenersAreBoundAndUnboundAtRunTime() throws Exception {
        HttpResponse<String> r = rig.send("POST", "/v1/listeners", "{\"data\":{\"id\":\"L2\",\"type\":\"listeners\","
                + "\"attributes\":{\"parameters\":{\"address\":\"127.0.0.1\",\"port\":0}},"
                + "\"relationships\":{\"services\":{\"data\":[{\"id\":\"Echo-Service\",\"type\":\"services\"}]}}}}");
        assertStatus(r, 204);
        InetSocketAddress a = rig.patchbay.listenerAddress("L2");
        Socket c = new Socket();
        c.connect(a, 5000);
        c.setSoTimeout(5000);
        RestRig.echo(c, "through a listener made at run time");
        JsonNode l = rig.getJson("/v1/listeners/L2").path("data");
        assertThat(l.path("attributes").path("parameters").path("port").asInt()).isEqualTo(a.getPort());
        assertThat(l.path("relationships").path("services").path("data").path(0).path("id").asString())
                .isEqualTo("Echo-Service");

        r = rig.send("PATCH", "/v1/listeners/L2", "{\"data\":{\"attributes\":{\"parameters\":{\"service\":\"x\"}}}}");
        assertStatus(r, 400);
        // The listener's port is the kernel's choice (port=0); another listener on it cannot bind.
        r = rig.send("POST", "/v1/services/Echo-Service/listeners", "{\"data\":{\"id\":\"L3\",\"attributes\":{"
                + "\"parameters\":{\"address\":\"127.0.0.1\",\"port\":" + a.getPort() + "}}}}");
        assertStatus(r, 400);
        assertThat(RestRig.detail(r)).startsWith("listener [L3] cannot listen on 127.0.0.1:" + a.getPort());
        assertThat(runtime.resolve("L3.cnf")).doesNotExist();

        r = rig.send("DELETE", "/v1/listeners/L2", null);
        assertStatus(r, 204);
        assertThat(rig.get("/v1/listeners/L2").statusCode()).isEqualTo(404);
        RestRig.echo(c, "the session outlives its listener");
        c.close();
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> {
            try (Socket x = new Socket()) {
                x.connect(a, 1000);
                return false;
            } catch (ConnectException e) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    @Test
    void aListenerMovesToAnotherPort() throws Exception {
        assertStatus(rig.send("POST", "/v1/listeners", "{\"data\":{\"id\":\"L4\",\"attributes\":{\"parameters\":"
                + "{\"address\":\"127.0.0.1\",\"port\":0}},\"relationships\":{\"services\":{\"data\":[{\"id\":"
                + "\"Echo-Service\"}]}}}}"), 204);
        InetSocketAddress first = rig.patchbay.listenerAddress("L4");
        int free;
        try (java.net.ServerSocket ss = new java.net.ServerSocket(0)) {
            free = ss.getLocalPort();
        }
        assertStatus(rig.send("PATCH", "/v1/listeners/L4", "{\"data\":{\"attributes\":{\"parameters\":{\"port\":"
                + free + "}}}}"), 204);
        assertThat(rig.patchbay.listenerAddress("L4").getPort()).isEqualTo(free);
        assertThat(rig.patchbay.frontends().get("L4").bindLabel()).isEqualTo("ipv4@127.0.0.1:" + free);
        try (Socket c = new Socket()) {
            c.connect(new InetSocketAddress("127.0.0.1", free), 5000);
            c.setSoTimeout(5000);
            RestRig.echo(c, "moved");
        }
        assertThat(first.getPort()).isNotEqualTo(free);
        // Another parameter change rebinds it too, and its max_connections is the one in force afterwards.
        assertStatus(rig.send("PATCH", "/v1/listeners/L4", "{\"data\":{\"attributes\":{\"parameters\":"
                + "{\"max_connections\":3}}}}"), 204);
        assertThat(rig.patchbay.frontends().get("L4").maxConnections()).isEqualTo(3);
        assertThat(rig.getJson("/v1/listeners/L4").path("data").path("attributes").path("parameters")
                .path("max_connections").asInt()).isEqualTo(3);
    }

    @Test
    void filtersAreCreatedUsedByServicesAndProtectedWhileUsed() throws Exception {
        Path pcap = runtime.getParent().resolve("rt-" + System.nanoTime() + "-%i.pcap");
        HttpResponse<String> r = rig.send("POST", "/v1/filters", "{\"data\":{\"id\":\"cap\",\"type\":\"filters\","
                + "\"attributes\":{\"module\":\"capture\",\"parameters\":{\"file\":\"" + pcap + "\"}}}}");
        assertStatus(r, 204);
        JsonNode f = rig.getJson("/v1/filters/cap").path("data");
        assertThat(f.path("attributes").path("module").asString()).isEqualTo("capture");
        assertThat(f.path("attributes").path("parameters").path("file").asString()).isEqualTo(pcap.toString());
        assertStatus(rig.send("PATCH", "/v1/services/Echo-Service/relationships/filters",
                "{\"data\":[{\"id\":\"cap\",\"type\":\"filters\"}]}"), 204);
        assertThat(rig.getJson("/v1/filters/cap").path("data").path("relationships").path("services").path("data")
                .path(0).path("id").asString()).isEqualTo("Echo-Service");
        Session s = rig.openSession();
        Path file = Path.of(pcap.toString().replace("%i", Long.toString(s.id())));
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> Files.exists(file) && Files.size(file) > 24);
        r = rig.send("DELETE", "/v1/filters/cap", null);
        assertStatus(r, 403);
        assertThat(RestRig.detail(r)).isEqualTo("Filter 'cap' cannot be destroyed: Remove it from all services first");
        r = rig.send("PATCH", "/v1/filters/cap", "{\"data\":{\"attributes\":{\"module\":\"qla\"}}}");
        assertThat(RestRig.detail(r)).isEqualTo("Parameter 'module' of filter 'cap' cannot be modified at run time"
                + " (destroy the filter and create it again)");
        r = rig.send("POST", "/v1/filters", "{\"data\":{\"id\":\"nomod\",\"attributes\":{\"module\":\"nope\"}}}");
        assertStatus(r, 400);
        assertThat(RestRig.detail(r)).endsWith("[nomod] module: 'nope' is not a known filter module (capture, qlafilter,"
                + " regexfilter, throttlefilter, topfilter)");
        assertStatus(rig.send("DELETE", "/v1/filters/cap?force=yes", null), 204);
        assertThat(rig.get("/v1/filters/cap").statusCode()).isEqualTo(404);
        RestRig.echo(rig.socketOf(s), "its capture goes on until the session ends");
        Files.deleteIfExists(file);
    }
}
