package dev.patchbay.admin.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.core.LogLevels;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionState;
import dev.patchbay.core.Termination;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

/** {@code /v1/sessions} on real sockets: shapes, every write, every error, the query features. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SessionsApiTest {
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
    void listAndGetHaveMaxScalesShape() throws Exception {
        Session s = rig.openSession();
        JsonNode list = rig.getJson("/v1/sessions");
        assertThat(list.path("links").path("self").asString()).isEqualTo(rig.url("/v1/sessions/"));
        JsonNode row = null;
        for (JsonNode r : list.path("data")) {
            if (r.path("id").asString().equals(Long.toString(s.id()))) {
                row = r;
            }
        }
        assertThat(row).isNotNull();
        assertThat(row.path("type").asString()).isEqualTo("sessions");
        assertThat(row.path("links").path("self").asString()).isEqualTo(rig.url("/v1/sessions/" + s.id() + "/"));
        JsonNode services = row.path("relationships").path("services");
        assertThat(services.path("data").path(0).path("id").asString()).isEqualTo("Echo-Service");
        assertThat(services.path("data").path(0).path("type").asString()).isEqualTo("services");
        assertThat(services.path("links").path("self").asString())
                .isEqualTo(rig.url("/v1/sessions/" + s.id() + "/relationships/services/"));
        assertThat(services.path("links").path("related").asString()).isEqualTo(rig.url("/v1/services/"));
        assertThat(row.path("relationships").has("filters")).isFalse();

        JsonNode a = rig.getJson("/v1/sessions/" + s.id()).path("data").path("attributes");
        assertThat(a.propertyNames()).containsExactlyInAnyOrder("client", "connected", "connections", "control",
                "generation", "idle",
                "io_activity", "log", "memory", "parameters", "port", "queries", "remote", "seconds_alive", "state",
                "thread");
        assertThat(a.path("state").asString()).isEqualTo("Session started");
        assertThat(a.path("remote").asString()).isEqualTo("127.0.0.1");
        assertThat(a.path("port").asInt()).isEqualTo(rig.socketOf(s).getLocalPort());
        assertThat(a.path("connected").asString()).matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT");
        assertThat(a.path("seconds_alive").isDouble()).isTrue();
        assertThat(a.path("idle").isNumber()).isTrue();
        assertThat(a.path("io_activity").asLong()).isGreaterThan(0);
        assertThat(a.path("thread").asInt()).isEqualTo(s.threadIndex());
        assertThat(a.path("client").propertyNames()).containsExactly("cipher");
        assertThat(a.path("connections").size()).isEqualTo(1);
        assertThat(a.path("connections").path(0).path("server").asString()).isEqualTo("server1");
        assertThat(a.path("connections").path(0).has("connection_id")).isFalse();
        assertThat(a.path("queries").isArray()).isTrue();
        assertThat(a.path("queries").size()).isZero();
        assertThat(a.path("log").isArray()).isTrue();
        assertThat(a.path("parameters").propertyNames()).containsExactlyInAnyOrder("log_debug", "log_error", "log_info",
                "log_notice", "log_warning");
        JsonNode mem = a.path("memory");
        JsonNode client = mem.path("connection_buffers").path("client");
        assertThat(client.path("readq").asLong()).isGreaterThan(0);
        assertThat(client.path("total").asLong()).isEqualTo(client.path("readq").asLong() + client.path("writeq").asLong()
                + client.path("misc").asLong());
        JsonNode backend = mem.path("connection_buffers").path("backends").path("server1");
        assertThat(backend.path("readq").asLong()).isGreaterThan(0);
        assertThat(mem.path("connection_buffers").path("total").asLong())
                .isEqualTo(client.path("total").asLong() + backend.path("total").asLong());
        assertThat(mem.path("total").asLong()).isEqualTo(mem.path("connection_buffers").path("total").asLong());
        assertThat(mem.has("sescmd_history")).isFalse();
    }

    @Test
    void linksFollowTheHostHeaderAndTheVersionPrefix() throws Exception {
        Session s = rig.openSession();
        JsonNode unversioned = rig.getJson("/sessions/" + s.id() + "/");
        assertThat(unversioned.path("links").path("self").asString()).isEqualTo(rig.url("/sessions/" + s.id() + "/"));
        // The JDK client sets Host itself; a raw request shows the link base comes from Host.
        String raw = Raw.exchange(rig.port(), "GET /v1/sessions/" + s.id() + " HTTP/1.1\r\nHost: proxy.example:8989\r\n"
                + "Authorization: " + RestRig.ADMIN + "\r\nConnection: close\r\n\r\n");
        assertThat(raw).contains("\"self\": \"http://proxy.example:8989/v1/sessions/" + s.id() + "/\"");
    }

    @Test
    void unknownAndInvalidIdsAre404WithABody() throws Exception {
        HttpResponse<String> r = rig.get("/v1/sessions/999999");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(RestRig.detail(r)).isEqualTo("Session 999999 not found");
        r = rig.get("/v1/sessions/abc");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(RestRig.detail(r)).isEqualTo("abc is not a session");
        r = rig.get("/v1/sessions/0");
        assertThat(RestRig.detail(r)).isEqualTo("0 is not a session");
        r = rig.send("DELETE", "/v1/sessions/999999", null);
        assertThat(r.statusCode()).isEqualTo(404);
        r = rig.send("PATCH", "/v1/sessions/999999", "{\"data\":{}}");
        assertThat(r.statusCode()).isEqualTo(404);
        r = rig.send("POST", "/v1/sessions/999999/restart", null);
        assertThat(r.statusCode()).isEqualTo(404);
        r = rig.get("/v1/sessions/999999/relationships/services");
        assertThat(r.statusCode()).isEqualTo(404);
    }

    @Test
    void relationshipsCanBeFollowed() throws Exception {
        Session s = rig.openSession();
        JsonNode services = rig.getJson("/v1/sessions/" + s.id() + "/relationships/services");
        assertThat(services.path("data").path(0).path("id").asString()).isEqualTo("Echo-Service");
        assertThat(services.path("links").path("self").asString())
                .isEqualTo(rig.url("/v1/sessions/" + s.id() + "/relationships/services/"));
        JsonNode filters = rig.getJson("/v1/sessions/" + s.id() + "/relationships/filters/");
        assertThat(filters.path("data").isArray()).isTrue();
        assertThat(filters.path("data").size()).isZero();
        assertThat(filters.path("links").path("related").asString()).isEqualTo(rig.url("/v1/filters/"));
    }

    @Test
    void patchSetsAndClearsLogLevels() throws Exception {
        Session s = rig.openSession();
        HttpResponse<String> r = rig.send("PATCH", "/v1/sessions/" + s.id(),
                "{\"data\":{\"attributes\":{\"parameters\":{\"log_info\":true,\"log_debug\":true}}}}",
                "Content-Type", "application/json");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEmpty();
        assertThat(r.headers().firstValue("Content-Type")).isEmpty();
        assertThat(s.logFlags()).isEqualTo(LogLevels.INFO | LogLevels.DEBUG);
        JsonNode p = rig.getJson("/v1/sessions/" + s.id()).path("data").path("attributes").path("parameters");
        assertThat(p.path("log_info").asBoolean()).isTrue();
        assertThat(p.path("log_debug").asBoolean()).isTrue();
        assertThat(p.path("log_error").asBoolean()).isFalse();
        r = rig.send("PATCH", "/v1/sessions/" + s.id(), "{\"data\":{\"attributes\":{\"parameters\":{\"log_debug\":false}}}}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(s.logFlags()).isEqualTo(LogLevels.INFO);
    }

    @Test
    void patchRejectsBadInputNamingTheFieldAndChangesNothing() throws Exception {
        Session s = rig.openSession();
        String path = "/v1/sessions/" + s.id();
        HttpResponse<String> r = rig.send("PATCH", path, null);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).isEqualTo("Missing request body");
        r = rig.send("PATCH", path, "{\"data\":");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).startsWith("Invalid JSON in request: ");
        r = rig.send("PATCH", path, "{\"data\":{\"attributes\":{\"parameters\":{\"log_info\":\"yes\"}}}}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).isEqualTo("'data.attributes.parameters.log_info' must be a boolean, not a string");
        r = rig.send("PATCH", path, "{\"data\":{\"attributes\":{\"parameters\":{\"log_info\":true,\"log_everything\":true}}}}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).startsWith("Unknown session parameter 'data.attributes.parameters.log_everything'");
        assertThat(s.logFlags()).as("a rejected PATCH changes nothing").isZero();
        r = rig.send("PATCH", path, "{\"data\":{\"attributes\":{\"parameters\":[1]}}}");
        assertThat(RestRig.detail(r)).isEqualTo("'data.attributes.parameters' must be an object, not an array");
        r = rig.send("PATCH", path, "[]");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).startsWith("'data' must be an object");
    }

    @Test
    void patchFiltersNamesUnknownFiltersAndEmptyListsClear() throws Exception {
        Session s = rig.openSession();
        String path = "/v1/sessions/" + s.id();
        HttpResponse<String> r = rig.send("PATCH", path, "{\"data\":{\"type\":\"services\",\"relationships\":{\"filters\":"
                + "{\"data\":[{\"id\":\"Regex\",\"type\":\"filters\"},{\"id\":\"Hint\",\"type\":\"filters\"}]}}}}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).isEqualTo("Not a valid filter: Regex");
        r = rig.send("PATCH", path, "{\"data\":{\"attributes\":{\"relationships\":{\"filters\":{\"data\":[{\"id\":\"QLA\"}]}}}}}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).isEqualTo("Not a valid filter: QLA");
        r = rig.send("PATCH", path, "{\"data\":{\"relationships\":{\"filters\":{\"data\":[{\"id\":5}]}}}}");
        assertThat(RestRig.detail(r)).isEqualTo("'data.relationships.filters.data[0].id': Not a JSON string but a integer");
        r = rig.send("PATCH", path, "{\"data\":{\"type\":\"services\",\"relationships\":{\"filters\":{\"data\":[]}}}}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEmpty();
        r = rig.send("PATCH", path, "{\"data\":{\"relationships\":{\"filters\":{\"data\":null}}}}");
        assertThat(r.statusCode()).isEqualTo(200);
        r = rig.send("PATCH", path + "/relationships/filters", "{\"data\":[{\"id\":\"Nope\",\"type\":\"filters\"}]}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).isEqualTo("Not a valid filter: Nope");
        r = rig.send("PATCH", path + "/relationships/filters", "{\"data\":[]}");
        assertThat(r.statusCode()).isEqualTo(200);
        r = rig.send("PATCH", path + "/relationships/filters", null);
        assertThat(RestRig.detail(r)).isEqualTo("Missing request body");
    }

    @Test
    void restartIsScheduledAndTheSessionGoesOn() throws Exception {
        Session s = rig.openSession();
        HttpResponse<String> r = rig.send("POST", "/v1/sessions/" + s.id() + "/restart", "",
                "Content-Type", "application/x-www-form-urlencoded");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEmpty();
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> s.control().restarts() == 1);
        RestRig.echo(rig.socketOf(s), "still fine");
        r = rig.send("POST", "/v1/sessions/restart?filter[id]=%22" + s.id() + "%22", "");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> s.control().restarts() == 2);
        assertThat(s.state()).isInstanceOf(SessionState.Established.class);
        RestRig.echo(rig.socketOf(s), "still fine");
        // A selection with nothing in it restarts nothing and succeeds.
        r = rig.send("POST", "/v1/sessions/restart?filter=/attributes/remote=%22192.0.2.99%22", "");
        assertThat(r.statusCode()).isEqualTo(200);
        r = rig.send("POST", "/v1/sessions/restart?dry_run=true&filter[id]=" + s.id() + "", "");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    /** As MaxScale: a body, if present, must be JSON, on every route; a refused request does nothing. */
    @Test
    void aBrokenBodyIsRefusedBeforeAKillOrRestartActs() throws Exception {
        Session s = rig.openSession();
        for (String[] req : new String[][] {{"DELETE", "/v1/sessions/" + s.id()},
                {"POST", "/v1/sessions/" + s.id() + "/restart"}, {"POST", "/v1/sessions/restart"}}) {
            HttpResponse<String> r = rig.send(req[0], req[1], "{bad");
            assertThat(r.statusCode()).as(req[0] + " " + req[1]).isEqualTo(400);
            assertThat(RestRig.detail(r)).startsWith("Invalid JSON in request: Unexpected character ('b'")
                    .endsWith("(line 1, column 2)");
        }
        assertThat(s.state().isLive()).isTrue();
        RestRig.echo(rig.socketOf(s), "untouched by the refused requests");
        Awaitility.await("no restart was made").during(700, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS)
                .until(() -> s.control().restarts() == 0);
        // The parser's message without Jackson's source excerpts or setting names.
        String detail = RestRig.detail(rig.send("PATCH", "/v1/sessions/" + s.id(), "{\"data\":{"));
        assertThat(detail).startsWith("Invalid JSON in request: Unexpected end-of-input")
                .doesNotContain("Source", "`", "REDACTED");
        detail = RestRig.detail(rig.send("PATCH", "/v1/sessions/" + s.id(), "[".repeat(2000)));
        assertThat(detail).contains("nesting depth").doesNotContain("`", "StreamReadConstraints");
        // Bytes that are not UTF-8 (here UTF-16's byte-order mark) are not guessed at.
        HttpResponse<String> r = rig.sendBytes("PATCH", "/v1/sessions/" + s.id(), new byte[] {(byte) 0xff, (byte) 0xfe, '{', '}'});
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).isEqualTo("Invalid JSON in request: the body is not UTF-8");
    }

    @Test
    void deleteKillsAtOnceAndAnswersAfterTheSessionIsClosed() throws Exception {
        Session s = rig.openSession();
        Socket c = rig.socketOf(s);
        HttpResponse<String> r = rig.send("DELETE", "/v1/sessions/" + s.id() + "?ttl=0", null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEmpty();
        assertThat(s.state()).isInstanceOf(SessionState.Closed.class);
        assertThat(s.termination().cause()).isEqualTo(Termination.Cause.KILLED);
        assertThat(s.termination().detail()).isEqualTo("REST API admin");
        Awaitility.await().atMost(3, TimeUnit.SECONDS).until(() -> RestRig.closedByPeer(c));
        assertThat(rig.get("/v1/sessions/" + s.id()).statusCode()).isEqualTo(404);
        // Without ttl: also at once.
        Session s2 = rig.openSession();
        assertThat(rig.send("DELETE", "/v1/sessions/" + s2.id(), null).statusCode()).isEqualTo(200);
        assertThat(s2.state()).isInstanceOf(SessionState.Closed.class);
    }

    @Test
    void deleteWithTtlKillsLaterAndARepeatResetsTheTimer() throws Exception {
        Session s = rig.openSession();
        long t0 = System.nanoTime();
        assertThat(rig.send("DELETE", "/v1/sessions/" + s.id() + "?ttl=2", null).statusCode()).isEqualTo(200);
        Thread.sleep(1000);
        assertThat(s.state().isLive()).isTrue();
        RestRig.echo(rig.socketOf(s), "a quick query still works");
        // Reset at ~1 s: 3 more seconds from now, so the first deadline (2 s) passes without a kill.
        assertThat(rig.send("DELETE", "/v1/sessions/" + s.id() + "?ttl=3", null).statusCode()).isEqualTo(200);
        long sinceStart = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        Thread.sleep(Math.max(0, 2500 - sinceStart));
        assertThat(s.state().isLive()).as("the repeat restarted the countdown").isTrue();
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> s.state() instanceof SessionState.Closed);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(3500);
        assertThat(s.termination().cause()).isEqualTo(Termination.Cause.KILLED);
        HttpResponse<String> r = rig.send("DELETE", "/v1/sessions/" + rig.openSession().id() + "?ttl=soon", null);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).isEqualTo("Invalid value for 'ttl': 'soon' (expected a whole number of seconds)");
    }

    @Test
    void deleteWithSafeKillsAtTheFirstIdleMomentAndPendingKillsAreShown() throws Exception {
        Session s = rig.openSession();
        assertThat(rig.send("DELETE", "/v1/sessions/" + s.id() + "?ttl=5", null).statusCode()).isEqualTo(200);
        JsonNode kill = rig.getJson("/v1/sessions/" + s.id()).path("data").path("attributes").path("control")
                .path("pending_kill");
        assertThat(kill.path("safe").asBoolean()).isFalse();
        assertThat(kill.path("seconds_left").asDouble()).isBetween(3.0, 5.0);
        assertThat(kill.path("requested_by").asString()).isEqualTo("admin via the REST API");
        long t0 = System.nanoTime();
        // The session is idle: a safe kill replaces the pending one and happens at once, long before 30 s.
        assertThat(rig.send("DELETE", "/v1/sessions/" + s.id() + "?ttl=30&safe=true", null).statusCode()).isEqualTo(200);
        Awaitility.await().atMost(3, TimeUnit.SECONDS).until(() -> s.state() instanceof SessionState.Closed);
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).isLessThan(3);
        assertThat(s.termination().cause()).isEqualTo(Termination.Cause.KILLED);
        HttpResponse<String> r = rig.send("DELETE", "/v1/sessions/" + rig.openSession().id() + "?ttl=5&safe=maybe", null);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).isEqualTo("Invalid value for 'safe': 'maybe' (expected true or false)");
    }

    @Test
    void bulkDeleteNeedsASelectorHonoursDryRunAndLimit() throws Exception {
        List<Session> mine = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            mine.add(rig.openSession());
        }
        Session keep = rig.openSession();
        HttpResponse<String> r = rig.send("DELETE", "/v1/sessions", null);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).startsWith("DELETE /v1/sessions needs a selector");
        String selector = "filter=/id=or(" + String.join(",", mine.stream().map(s -> "\"" + s.id() + "\"").toList()) + ")";
        r = rig.send("DELETE", "/v1/sessions?" + encodeQuery(selector) + "&dry_run=true", null);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode meta = RestRig.json(r).path("meta");
        assertThat(meta.path("dry_run").asBoolean()).isTrue();
        assertThat(meta.path("total").asInt()).isEqualTo(3);
        assertThat(mine).allMatch(s -> s.state().isLive());
        r = rig.send("DELETE", "/v1/sessions?" + encodeQuery(selector) + "&limit=2", null);
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(RestRig.detail(r)).isEqualTo("3 sessions match, more than limit=2; nothing was done (check the "
                + "selection with dry_run=true)");
        assertThat(mine).allMatch(s -> s.state().isLive());
        r = rig.send("DELETE", "/v1/sessions?" + encodeQuery(selector) + "&limit=3", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(RestRig.json(r).path("meta").path("ids").size()).isEqualTo(3);
        assertThat(mine).allMatch(s -> s.state() instanceof SessionState.Closed);
        assertThat(keep.state().isLive()).isTrue();
        r = rig.send("DELETE", "/v1/sessions?filter[id]=x&page[size]=1", null);
        assertThat(r.statusCode()).isEqualTo(400);
        r = rig.send("DELETE", "/v1/sessions?filter[id]=x&limit=-1", null);
        assertThat(RestRig.detail(r)).isEqualTo("Invalid value for 'limit': '-1' (expected a whole number >= 0)");
    }

    @Test
    void bulkDeleteHonoursTtlAndSafeAsTheSingleDeleteDoes() throws Exception {
        Session a = rig.openSession();
        Session b = rig.openSession();
        String selector = encodeQuery("filter=/id=or(\"" + a.id() + "\",\"" + b.id() + "\")");
        HttpResponse<String> r = rig.send("DELETE", "/v1/sessions?" + selector + "&ttl=2", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(RestRig.json(r).path("meta").path("total").asInt()).isEqualTo(2);
        // Scheduled, not done: both still work and show the pending kill.
        assertThat(a.state().isLive()).isTrue();
        RestRig.echo(rig.socketOf(b), "still alive within the ttl");
        JsonNode kill = rig.getJson("/v1/sessions/" + a.id()).path("data").path("attributes").path("control")
                .path("pending_kill");
        assertThat(kill.path("safe").asBoolean()).isFalse();
        assertThat(kill.path("requested_by").asString()).isEqualTo("admin via the REST API");
        Awaitility.await().atMost(6, TimeUnit.SECONDS)
                .until(() -> a.state() instanceof SessionState.Closed && b.state() instanceof SessionState.Closed);
        assertThat(a.termination().cause()).isEqualTo(Termination.Cause.KILLED);
        // safe=true: idle sessions go at the first idle moment, long before the 30 s ttl.
        Session c = rig.openSession();
        r = rig.send("DELETE", "/v1/sessions?" + encodeQuery("filter=/id=\"" + c.id() + "\"") + "&ttl=30&safe=true", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> c.state() instanceof SessionState.Closed);
    }

    @Test
    void bulkActionsRefuseBadOptionsAndUnknownParametersAndDoNothing() throws Exception {
        Session s = rig.openSession();
        String selector = encodeQuery("filter=/id=\"" + s.id() + "\"");
        HttpResponse<String> r = rig.send("DELETE", "/v1/sessions?" + selector + "&ttl=abc", null);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).isEqualTo("Invalid value for 'ttl': 'abc' (expected a whole number of seconds)");
        r = rig.send("DELETE", "/v1/sessions?" + selector + "&dry_run=true&safe=maybe", null);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).isEqualTo("Invalid value for 'safe': 'maybe' (expected true or false)");
        r = rig.send("DELETE", "/v1/sessions?" + selector + "&dry_run=true&bogus_param=1&safe=maybe", null);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).isEqualTo("Unknown query parameter 'bogus_param' for DELETE /v1/sessions (it takes "
                + "filter, filter[<json-path>], dry_run, limit, safe, ttl, pretty, sync, fields[<type>])");
        r = rig.send("DELETE", "/v1/sessions?" + selector + "&fitler=x&rdns=true", null);
        assertThat(RestRig.detail(r)).startsWith("Unknown query parameters 'fitler', 'rdns' for DELETE /v1/sessions");
        // Restart has no ttl: named, not ignored.
        r = rig.send("POST", "/v1/sessions/restart?" + selector + "&ttl=30", "");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).isEqualTo("Unknown query parameter 'ttl' for POST /v1/sessions/restart (it takes "
                + "filter, filter[<json-path>], dry_run, limit, spread, pretty, sync, fields[<type>])");
        assertThat(s.state().isLive()).isTrue();
        RestRig.echo(rig.socketOf(s), "untouched by the refused requests");
        assertThat(s.control().pendingKill()).as("no kill was scheduled").isNull();
        Awaitility.await("no restart was made").during(500, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS)
                .until(() -> s.control().restarts() == 0);
        // The parameters every route takes still work on the bulk routes.
        r = rig.send("DELETE", "/v1/sessions?" + selector + "&dry_run=true&pretty=false&sync=false&fields[sessions]=id", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).startsWith("{\"meta\":{");
        r = rig.send("POST", "/v1/sessions/restart?" + selector + "&dry_run=true&spread=1s&pretty=no", "");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(s.state().isLive()).isTrue();
    }

    static String encodeQuery(String q) {
        StringBuilder sb = new StringBuilder();
        int eq = q.indexOf('=');
        sb.append(q, 0, eq + 1);
        sb.append(Uris.encode(q.substring(eq + 1)));
        return sb.toString();
    }

    @Test
    void filterPageFieldsAndSortWorkOnTheCollection() throws Exception {
        List<Session> s = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            s.add(rig.openSession());
        }
        // The GUI's per-service filter.
        JsonNode byService = rig.getJson("/v1/sessions?filter=" + Uris.encode("/relationships/services/data/0/id=\"Echo-Service\""));
        assertThat(byService.path("data").size()).isGreaterThanOrEqualTo(4);
        JsonNode none = rig.getJson("/v1/sessions?filter=" + Uris.encode("/relationships/services/data/0/id=\"Other\""));
        assertThat(none.path("data").size()).isZero();
        // The GUI's per-server filter.
        JsonNode byServer = rig.getJson("/v1/sessions?filter=" + Uris.encode("/attributes/connections/0/server=\"server1\""));
        assertThat(byServer.path("data").size()).isGreaterThanOrEqualTo(4);
        // filter[jsonpath] with an expression, ANDed.
        String id = Long.toString(s.get(1).id());
        JsonNode one = rig.getJson("/v1/sessions?filter[id]=" + Uris.encode("eq(\"" + id + "\")")
                + "&filter[$.attributes.state]=" + Uris.encode("\"Session started\""));
        assertThat(one.path("data").size()).isEqualTo(1);
        assertThat(one.path("data").path(0).path("id").asString()).isEqualTo(id);
        // Pagination: meta.total, links, slicing.
        int total = rig.getJson("/v1/sessions").path("data").size();
        JsonNode page = rig.getJson("/v1/sessions?page[size]=2&page[number]=1");
        assertThat(page.path("meta").path("total").asInt()).isEqualTo(total);
        assertThat(page.path("data").size()).isEqualTo(2);
        String base = rig.url("/v1/sessions/") + "?page%5Bsize%5D=2&page%5Bnumber%5D=";
        assertThat(page.path("links").path("self").asString()).isEqualTo(base + "1");
        assertThat(page.path("links").path("first").asString()).isEqualTo(base + "0");
        assertThat(page.path("links").path("prev").asString()).isEqualTo(base + "0");
        assertThat(page.path("links").path("last").asString()).isEqualTo(base + ((total + 1) / 2 - 1));
        JsonNode past = rig.getJson("/v1/sessions?page[size]=2&page[number]=99");
        assertThat(past.path("data").size()).isZero();
        assertThat(past.path("links").path("prev").asString()).isEqualTo(base + "98");
        // Sparse fieldsets.
        JsonNode sparse = rig.getJson("/v1/sessions/" + id + "?fields[sessions]=remote,memory/total");
        JsonNode attrs = sparse.path("data").path("attributes");
        assertThat(attrs.propertyNames()).containsExactlyInAnyOrder("remote", "memory");
        assertThat(attrs.path("memory").propertyNames()).containsExactly("total");
        assertThat(sparse.path("data").has("relationships")).isFalse();
        assertThat(sparse.path("data").path("id").asString()).isEqualTo(id);
        // Sort: newest first by seconds_alive ascending = highest id first.
        JsonNode sorted = rig.getJson("/v1/sessions?sort=seconds_alive&fields[sessions]=state");
        List<Long> ids = new ArrayList<>();
        sorted.path("data").forEach(d -> ids.add(Long.parseLong(d.path("id").asString())));
        assertThat(ids).isSortedAccordingTo((a, b) -> Long.compare(b, a));
        JsonNode byId = rig.getJson("/v1/sessions?sort=-id");
        List<Long> desc = new ArrayList<>();
        byId.path("data").forEach(d -> desc.add(Long.parseLong(d.path("id").asString())));
        assertThat(desc).isSortedAccordingTo((a, b) -> Long.compare(b, a));
        // filter[...] on a single resource is a 400; filter= is ignored there.
        HttpResponse<String> r = rig.get("/v1/sessions/" + id + "?filter[id]=%221%22");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(rig.get("/v1/sessions/" + id + "?filter=/id=%221%22").statusCode()).isEqualTo(200);
        r = rig.get("/v1/sessions?filter=/id=bogus(1)");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(RestRig.detail(r)).startsWith("Not a valid filter expression: bogus(1)");
        r = rig.get("/v1/sessions?filter=" + Uris.encode("/id=eq({\"a\":)"));
        assertThat(RestRig.detail(r)).startsWith("Invalid JSON: ");
    }

    @Test
    void rdnsKeepsTheIpWhenThereIsNoNameAndNeverBlocksLong() throws Exception {
        Session s = rig.openSession();
        long t0 = System.nanoTime();
        JsonNode a = rig.getJson("/v1/sessions/" + s.id() + "?rdns=true").path("data").path("attributes");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(5_000);
        String remote = a.path("remote").asString();
        String expected = java.net.InetAddress.getByName("127.0.0.1").getCanonicalHostName();
        assertThat(remote).isIn("127.0.0.1", expected);
        JsonNode list = rig.getJson("/v1/sessions?rdns=true");
        assertThat(list.path("data").size()).isGreaterThan(0);
    }
}
