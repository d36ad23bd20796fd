package dev.patchbay.admin.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.core.LogLevels;
import dev.patchbay.core.Session;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

/** {@code /v1/maxscale/log-selectors}: log levels for future sessions of a network or user, through REST. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LogSelectorsApiTest {
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
    void aSelectorAppliesToNewSessionsAndGoesAwayWhenDeleted() throws Exception {
        Session before = rig.openSession();
        HttpResponse<String> r = rig.send("POST", "/v1/maxscale/log-selectors",
                "{\"data\":{\"attributes\":{\"src\":\"127.0.0.0/8\",\"levels\":[\"info\",\"debug\"],\"expire\":\"10m\"}}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode created = RestRig.json(r).path("data");
        String id = created.path("id").asString();
        assertThat(created.path("attributes").path("src").asString()).isEqualTo("127.0.0.0/8");
        assertThat(created.path("attributes").path("levels").asString()).isEqualTo("info,debug");
        assertThat(created.path("attributes").path("expires_in").asDouble()).isBetween(590.0, 600.0);
        assertThat(created.path("attributes").path("created_by").asString()).isEqualTo("admin via the REST API");

        Session after = rig.openSession();
        assertThat(after.logFlags()).isEqualTo(LogLevels.INFO | LogLevels.DEBUG);
        assertThat(before.logFlags()).isZero();
        JsonNode list = rig.getJson("/v1/maxscale/log-selectors");
        assertThat(list.path("data").size()).isEqualTo(1);
        assertThat(list.path("data").path(0).path("attributes").path("matched").asLong()).isEqualTo(1);
        assertThat(rig.getJson("/v1/maxscale/log-selectors/" + id).path("data").path("id").asString()).isEqualTo(id);

        assertThat(rig.send("DELETE", "/v1/maxscale/log-selectors/" + id, null).statusCode()).isEqualTo(200);
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> after.logFlags() == 0);
        r = rig.send("DELETE", "/v1/maxscale/log-selectors/" + id, null);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(RestRig.detail(r)).isEqualTo("Log selector '" + id + "' not found");
    }

    @Test
    void badSelectorsAre400() throws Exception {
        HttpResponse<String> r = rig.send("POST", "/v1/maxscale/log-selectors",
                "{\"data\":{\"attributes\":{\"src\":\"10.0.0.1\",\"user\":\"app\",\"levels\":\"info\"}}}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).startsWith("Give exactly one of 'data.attributes.src'");
        r = rig.send("POST", "/v1/maxscale/log-selectors", "{\"data\":{\"attributes\":{\"src\":\"db.example\",\"levels\":\"info\"}}}");
        assertThat(RestRig.detail(r)).isEqualTo("'db.example' is not an IP address or network (10.0.0.0/8)");
        r = rig.send("POST", "/v1/maxscale/log-selectors", "{\"data\":{\"attributes\":{\"user\":\"app\",\"levels\":\"loud\"}}}");
        assertThat(RestRig.detail(r)).isEqualTo("'data.attributes.levels': 'loud' is not a list of error, warning, notice, info, debug");
        r = rig.send("POST", "/v1/maxscale/log-selectors",
                "{\"data\":{\"attributes\":{\"user\":\"app\",\"levels\":\"info\",\"expire\":\"30\"}}}");
        assertThat(RestRig.detail(r)).isEqualTo("'data.attributes.expire': '30' needs a unit (ms, s, m, h or d), e.g. 30s");
        assertThat(rig.getJson("/v1/maxscale/log-selectors").path("data").size()).isZero();
    }
}
