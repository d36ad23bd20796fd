package dev.patchbay.admin.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.core.Server;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionState;
import dev.patchbay.core.Termination;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

/** The resources sessions point to, and server maintenance / drain with force. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ObjectsApiTest {
    RestRig rig;

    @BeforeAll
    void start() throws Exception {
        rig = RestRig.start();
    }

    @AfterAll
    void stop() throws Exception {
        rig.close();
    }

    @Test
    void servicesHaveRelationshipsToServersAndListeners() throws Exception {
        rig.openSession();
        JsonNode all = rig.getJson("/v1/services");
        assertThat(all.path("links").path("self").asString()).isEqualTo(rig.url("/v1/services/"));
        JsonNode svc = rig.getJson("/v1/services/Echo-Service").path("data");
        assertThat(svc.path("type").asString()).isEqualTo("services");
        assertThat(svc.path("links").path("self").asString()).isEqualTo(rig.url("/v1/services/Echo-Service/"));
        JsonNode a = svc.path("attributes");
        assertThat(a.path("router").asString()).isEqualTo("roundrobin");
        assertThat(a.path("state").asString()).isEqualTo("Started");
        assertThat(a.path("connections").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(a.path("statistics").path("total_connections").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(a.path("parameters").path("connect_timeout").asString()).isEqualTo("5000ms");
        assertThat(a.path("listeners").path(0).path("id").asString()).isEqualTo("Echo-Listener");
        JsonNode rel = svc.path("relationships");
        assertThat(rel.path("servers").path("data").path(0).path("id").asString()).isEqualTo("server1");
        assertThat(rel.path("servers").path("links").path("related").asString()).isEqualTo(rig.url("/v1/servers/"));
        assertThat(rel.path("listeners").path("data").path(0).path("id").asString()).isEqualTo("Echo-Listener");
        JsonNode ls = rig.getJson("/v1/services/Echo-Service/listeners");
        assertThat(ls.path("data").size()).isEqualTo(1);
        assertThat(rig.getJson("/v1/services/Echo-Service/listeners/Echo-Listener").path("data").path("id").asString())
                .isEqualTo("Echo-Listener");
        assertThat(rig.get("/v1/services/Echo-Service/listeners/nope").statusCode()).isEqualTo(404);
        HttpResponse<String> r = rig.get("/v1/services/nope");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(RestRig.detail(r)).isEqualTo("Service 'nope' not found");
    }

    @Test
    void listenersServersFiltersMonitorsMaxscaleAndThreads() throws Exception {
        JsonNode l = rig.getJson("/v1/listeners/Echo-Listener").path("data");
        assertThat(l.path("attributes").path("parameters").path("protocol").asString()).isEqualTo("tcp");
        assertThat(l.path("attributes").path("parameters").path("port").asInt())
                .isEqualTo(rig.patchbay.listenerAddress("Echo-Listener").getPort());
        assertThat(l.path("relationships").path("services").path("data").path(0).path("id").asString()).isEqualTo("Echo-Service");
        JsonNode s = rig.getJson("/v1/servers/server1").path("data");
        assertThat(s.path("attributes").path("state").asString()).isEqualTo("Running");
        assertThat(s.path("attributes").path("parameters").path("port").asInt()).isEqualTo(rig.backend.port());
        assertThat(s.path("relationships").path("services").path("data").path(0).path("id").asString()).isEqualTo("Echo-Service");
        assertThat(rig.getJson("/v1/servers").path("data").size()).isEqualTo(1);
        assertThat(rig.getJson("/v1/filters").path("data").size()).isZero();
        assertThat(rig.getJson("/v1/monitors").path("data").size()).isZero();
        HttpResponse<String> r = rig.get("/v1/filters/Regex");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(RestRig.detail(r)).isEqualTo("Filter 'Regex' not found");
        assertThat(rig.get("/v1/monitors/m").statusCode()).isEqualTo(404);
        JsonNode mx = rig.getJson("/v1/maxscale").path("data");
        assertThat(mx.path("id").asString()).isEqualTo("maxscale");
        assertThat(mx.path("attributes").path("parameters").path("retain_last_statements").asInt()).isZero();
        assertThat(mx.path("attributes").path("parameters").path("session_trace").asInt()).isZero();
        assertThat(mx.path("attributes").path("uptime").isNumber()).isTrue();
        JsonNode threads = rig.getJson("/v1/maxscale/threads");
        assertThat(threads.path("data").size()).isEqualTo(mx.path("attributes").path("parameters").path("threads").asInt());
        assertThat(rig.getJson("/v1/maxscale/threads/0").path("data").path("type").asString()).isEqualTo("threads");
        assertThat(rig.get("/v1/maxscale/threads/99").statusCode()).isEqualTo(404);
    }

    @Test
    void maintenanceWithForceClosesTheServersSessionsDrainDoesNot() throws Exception {
        Server server = rig.patchbay.servers().get("server1");
        Session s = rig.openSession();
        try {
            HttpResponse<String> r = rig.send("PUT", "/v1/servers/server1/set?state=drain", null);
            assertThat(r.statusCode()).isEqualTo(204);
            assertThat(server.adminState()).isEqualTo(Server.AdminState.DRAIN);
            assertThat(rig.getJson("/v1/servers/server1").path("data").path("attributes").path("state").asString())
                    .isEqualTo("Draining, Running");
            assertThat(s.state().isLive()).isTrue();
            r = rig.send("PUT", "/v1/servers/server1/clear?state=maintenance", null);
            assertThat(r.statusCode()).isEqualTo(204);
            assertThat(server.adminState()).as("clearing another state changes nothing").isEqualTo(Server.AdminState.DRAIN);
            r = rig.send("PUT", "/v1/servers/server1/set?state=maintenance", null);
            assertThat(r.statusCode()).isEqualTo(204);
            assertThat(s.state().isLive()).as("without force sessions stay").isTrue();
            r = rig.send("PUT", "/v1/servers/server1/set?state=maintenance&force=yes", null);
            assertThat(r.statusCode()).isEqualTo(204);
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> s.state() instanceof SessionState.Closed);
            assertThat(s.termination().cause()).isEqualTo(Termination.Cause.KILLED);
            assertThat(rig.getJson("/v1/servers/server1").path("data").path("attributes").path("state").asString())
                    .isEqualTo("Maintenance, Running");
            r = rig.send("PUT", "/v1/servers/server1/set?state=master", null);
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(RestRig.detail(r)).startsWith("Invalid or missing value for the `state` parameter");
            r = rig.send("PUT", "/v1/servers/server1/set", null);
            assertThat(RestRig.detail(r)).isEqualTo("Invalid or missing value for the `state` parameter");
            assertThat(rig.send("PUT", "/v1/servers/nope/set?state=drain", null).statusCode()).isEqualTo(404);
        } finally {
            assertThat(rig.send("PUT", "/v1/servers/server1/clear?state=maintenance", null).statusCode()).isEqualTo(204);
        }
        assertThat(server.adminState()).isEqualTo(Server.AdminState.READY);
        rig.openSession();
    }

    @Test
    void stoppingAListenerOrItsServiceStopsAcceptingUntilStarted() throws Exception {
        assertThat(rig.send("PUT", "/v1/listeners/Echo-Listener/stop", "").statusCode()).isEqualTo(204);
        assertThat(RestRig.json(rig.get("/v1/listeners/Echo-Listener")).path("data").path("attributes").path("state")
                .asString()).isEqualTo("Stopped");
        assertThat(RestRig.json(rig.get("/v1/services/Echo-Service")).path("data").path("attributes").path("state")
                .asString()).isEqualTo("Stopped");
        java.net.Socket waiting = new java.net.Socket();
        waiting.connect(rig.patchbay.listenerAddress("Echo-Listener"), 5000);
        try (waiting) {
            waiting.getOutputStream().write('x');
            waiting.setSoTimeout(500);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> waiting.getInputStream().read())
                    .isInstanceOf(java.net.SocketTimeoutException.class);
            // Starting the service starts its listeners.
            assertThat(rig.send("PUT", "/v1/services/Echo-Service/start", "").statusCode()).isEqualTo(204);
            waiting.setSoTimeout(10_000);
            assertThat(waiting.getInputStream().read()).isEqualTo('x');
        }
        assertThat(RestRig.json(rig.get("/v1/listeners/Echo-Listener")).path("data").path("attributes").path("state")
                .asString()).isEqualTo("Running");
        assertThat(rig.send("PUT", "/v1/services/Echo-Service/stop", "").statusCode()).isEqualTo(204);
        assertThat(rig.patchbay.frontends().get("Echo-Listener").stopped()).isTrue();
        assertThat(rig.send("PUT", "/v1/listeners/Echo-Listener/start", "").statusCode()).isEqualTo(204);
        assertThat(rig.send("PUT", "/v1/listeners/nope/stop", "").statusCode()).isEqualTo(404);
        rig.openSession();
    }
}
