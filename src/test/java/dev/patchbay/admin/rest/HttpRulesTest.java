package dev.patchbay.admin.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.core.Session;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

/** MaxScale's HTTP rules (§1.2–1.4) and the hostile-input list of issue 4, on real sockets. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpRulesTest {
    RestRig rig;

    @BeforeAll
    void start() throws Exception {
        rig = RestRig.start(Map.of("admin_max_body", "4096"));
    }

    @AfterAll
    void stop() throws Exception {
        rig.close();
    }

    @Test
    void rootIsAnEmptyHealthCheck() throws Exception {
        for (String p : new String[] {"/", "/v1", "/v1/"}) {
            HttpResponse<String> r = rig.get(p);
            assertThat(r.statusCode()).as(p).isEqualTo(200);
            assertThat(r.body()).isEmpty();
            assertThat(r.headers().firstValue("Content-Type")).isEmpty();
        }
    }

    @Test
    void everyAnswerCarriesMaxScalesHeaders() throws Exception {
        HttpResponse<String> r = rig.get("/v1/maxscale");
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-cache");
        assertThat(r.headers().firstValue("X-Frame-Options")).hasValue("Deny");
        assertThat(r.headers().firstValue("X-XSS-Protection")).hasValue("1");
        assertThat(r.headers().firstValue("Referrer-Policy")).hasValue("same-origin");
        assertThat(r.headers().firstValue("Date")).isPresent();
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(r.headers().firstValue("ETag").orElseThrow()).matches("\"[0-9a-f]{40}\"");
        assertThat(r.headers().firstValue("Last-Modified")).isPresent();
        HttpResponse<String> err = rig.get("/v1/nothing-here");
        assertThat(err.headers().firstValue("X-Frame-Options")).hasValue("Deny");
    }

    @Test
    void prettyByDefaultWithFourSpacesAndSortedKeysCompactOnRequest() throws Exception {
        HttpResponse<String> r = rig.get("/v1/maxscale");
        assertThat(r.body()).startsWith("{\n    \"data\": {\n        \"attributes\": {");
        assertThat(r.body()).contains("\"config_sync\": null");
        HttpResponse<String> c = rig.get("/v1/maxscale?pretty=false");
        assertThat(c.body()).startsWith("{\"data\":{\"attributes\":{");
        assertThat(c.body()).doesNotContain("\n");
        // Empty containers as jansson writes them.
        HttpResponse<String> f = rig.get("/v1/filters");
        assertThat(f.body()).contains("\"data\": []");
    }

    @Test
    void unknownMethodIs405KnownMethodWithoutRouteIs404() throws Exception {
        HttpResponse<String> r = rig.send("FOO", "/v1/sessions", null);
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(RestRig.detail(r)).isEqualTo("Method FOO is not supported");
        r = rig.send("PUT", "/v1/sessions", "{}");
        assertThat(r.statusCode()).isEqualTo(404);
        r = rig.get("/v1/nothing/here");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(RestRig.detail(r)).isEqualTo("No resource at /v1/nothing/here");
    }

    @Test
    void optionsListsTheMethodsInAnAcceptHeader() throws Exception {
        Session s = rig.openSession();
        HttpResponse<String> r = rig.send("OPTIONS", "/v1/sessions/" + s.id(), null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Accept")).hasValue("GET, DELETE");
        assertThat(r.headers().firstValue("Allow")).isEmpty();
        r = rig.send("OPTIONS", "/v1/sessions/restart", null);
        assertThat(r.headers().firstValue("Accept")).hasValue("POST");
        r = rig.send("OPTIONS", "/v1/sessions", null);
        assertThat(r.headers().firstValue("Accept")).hasValue("GET, DELETE");
        assertThat(rig.send("OPTIONS", "/v1/nothing", null).statusCode()).isEqualTo(404);
    }

    @Test
    void methodOverrideAndHead() throws Exception {
        Session s = rig.openSession();
        HttpResponse<String> r = rig.send("POST", "/v1/sessions/" + s.id(),
                "{\"data\":{\"attributes\":{\"parameters\":{\"log_warning\":true}}}}", "X-HTTP-Method-Override", "PATCH");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(s.logFlags()).isNotZero();
        HttpResponse<String> get = rig.get("/v1/maxscale");
        HttpResponse<String> head = rig.send("HEAD", "/v1/maxscale", null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(Integer.parseInt(head.headers().firstValue("Content-Length").orElseThrow()))
                .isBetween(get.body().length() - 20, get.body().length() + 20);
    }

    @Test
    void conditionalRequests() throws Exception {
        HttpResponse<String> r = rig.get("/v1/listeners/Echo-Listener");
        String etag = r.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> again = rig.get("/v1/listeners/Echo-Listener", "If-None-Match", etag,
                "Authorization", RestRig.ADMIN);
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        HttpResponse<String> other = rig.get("/v1/listeners/Echo-Listener", "If-None-Match", "\"0000\"",
                "Authorization", RestRig.ADMIN);
        assertThat(other.statusCode()).isEqualTo(200);
        // If-Match is checked before the change: a stale ETag changes nothing.
        HttpResponse<String> s = rig.get("/v1/servers/server1");
        String serverTag = s.headers().firstValue("ETag").orElseThrow();
        try {
            HttpResponse<String> stale = rig.send("PUT", "/v1/servers/server1/set?state=drain", null, "If-Match",
                    "\"0000\"", "Authorization", RestRig.ADMIN);
            assertThat(stale.statusCode()).isEqualTo(412);
            assertThat(RestRig.detail(stale)).startsWith("Precondition failed");
            assertThat(rig.patchbay.servers().get("server1").adminState().name()).isEqualTo("READY");
            HttpResponse<String> fresh = rig.send("PUT", "/v1/servers/server1/set?state=drain", null, "If-Match",
                    serverTag, "Authorization", RestRig.ADMIN);
            assertThat(fresh.statusCode()).isEqualTo(204);
            assertThat(rig.patchbay.servers().get("server1").adminState().name()).isEqualTo("DRAIN");
        } finally {
            assertThat(rig.send("PUT", "/v1/servers/server1/clear?state=drain", null).statusCode()).isEqualTo(204);
        }
    }

    @Test
    void badPercentEncodingAndTraversalAre400() throws Exception {
        String r = Raw.exchange(rig.port(), "GET /v1/sessions/%zz HTTP/1.1\r\nHost: x\r\nAuthorization: " + RestRig.ADMIN
                + "\r\nConnection: close\r\n\r\n");
        assertThat(Raw.status(r)).isEqualTo(400);
        assertThat(r).contains("Invalid percent-encoding in URL: '%zz'");
        r = Raw.exchange(rig.port(), "GET /v1/sessions?filter=%E0%A4%A HTTP/1.1\r\nHost: x\r\nAuthorization: "
                + RestRig.ADMIN + "\r\nConnection: close\r\n\r\n");
        assertThat(Raw.status(r)).isEqualTo(400);
        r = Raw.exchange(rig.port(), "GET /v1/sessions/%C3%28 HTTP/1.1\r\nHost: x\r\nAuthorization: " + RestRig.ADMIN
                + "\r\nConnection: close\r\n\r\n");
        assertThat(Raw.status(r)).as("not UTF-8").isEqualTo(400);
        r = Raw.exchange(rig.port(), "GET /v1/../etc/passwd HTTP/1.1\r\nHost: x\r\nAuthorization: " + RestRig.ADMIN
                + "\r\nConnection: close\r\n\r\n");
        assertThat(Raw.status(r)).isEqualTo(400);
        assertThat(r).contains("Invalid path: '.' and '..' segments are not allowed");
        r = Raw.exchange(rig.port(), "GET /v1/sessions/%2e%2e/x HTTP/1.1\r\nHost: x\r\nAuthorization: " + RestRig.ADMIN
                + "\r\nConnection: close\r\n\r\n");
        assertThat(Raw.status(r)).isEqualTo(400);
    }

    @Test
    void oversizedBodyIs413AndTheServerKeepsServing() throws Exception {
        Session s = rig.openSession();
        String big = "{\"data\":{\"attributes\":{\"parameters\":{\"x\":\"" + "a".repeat(10_000) + "\"}}}}";
        HttpResponse<String> r = rig.send("PATCH", "/v1/sessions/" + s.id(), big);
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(RestRig.detail(r)).isEqualTo("Request body larger than the limit of 4096 bytes");
        assertThat(rig.get("/v1/sessions").statusCode()).isEqualTo(200);
        // Chunked, no Content-Length up front.
        String chunked = Raw.exchange(rig.port(), "PATCH /v1/sessions/" + s.id() + " HTTP/1.1\r\nHost: x\r\nAuthorization: "
                + RestRig.ADMIN + "\r\nTransfer-Encoding: chunked\r\n\r\n" + "1000\r\n" + "b".repeat(4096) + "\r\n"
                + "1000\r\n" + "b".repeat(4096) + "\r\n0\r\n\r\n");
        assertThat(Raw.status(chunked)).isEqualTo(413);
        assertThat(rig.get("/v1/sessions").statusCode()).isEqualTo(200);
        // Announced with "Expect: 100-continue" (curl's way for large bodies): refused before it is sent, same body.
        String expect = Raw.exchange(rig.port(), "PATCH /v1/sessions/" + s.id() + " HTTP/1.1\r\nHost: x\r\nAuthorization: "
                + RestRig.ADMIN + "\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n"
                + "Expect: 100-continue\r\n\r\n");
        assertThat(Raw.status(expect)).isEqualTo(413);
        assertThat(expect).contains("Request body larger than the limit of 4096 bytes").contains("X-Frame-Options");
        assertThat(rig.get("/v1/sessions").statusCode()).isEqualTo(200);
    }

    @Test
    void malformedHttpIsRefusedAndClosed() throws Exception {
        String r = Raw.exchange(rig.port(), "GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(Raw.status(r)).isEqualTo(414);
        r = Raw.exchange(rig.port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "h".repeat(20_000) + "\r\n\r\n");
        assertThat(Raw.status(r)).isEqualTo(431);
        r = Raw.exchange(rig.port(), "this is not http\r\n\r\n");
        assertThat(Raw.status(r)).isEqualTo(400);
        assertThat(rig.get("/v1/sessions").statusCode()).isEqualTo(200);
    }

    /** Only HTTP/1.0 and 1.1 are spoken; HTTP/1.1 needs exactly one Host (RFC 9112 §3.2, libmicrohttpd for MaxScale). */
    @Test
    void otherHttpVersionsAre505AndHttp11WithoutOneHostIs400() throws Exception {
        String auth = "Authorization: " + RestRig.ADMIN + "\r\n";
        for (String version : new String[] {"HTTP/9.9", "HTTP/2.0", "HTTP/1.2", "HTTP/0.9"}) {
            String r = Raw.exchange(rig.port(), "GET /v1/sessions " + version + "\r\nHost: x\r\n" + auth + "\r\n");
            assertThat(Raw.status(r)).as(version).isEqualTo(505);
            assertThat(errorDetail(r)).isEqualTo("HTTP version " + version + " is not supported: use HTTP/1.1 or HTTP/1.0");
        }
        String r = Raw.exchange(rig.port(), "GET /v1/sessions HTTP/1.1\r\n" + auth + "\r\n");
        assertThat(Raw.status(r)).isEqualTo(400);
        assertThat(errorDetail(r)).isEqualTo("Missing Host header: an HTTP/1.1 request must have one");
        r = Raw.exchange(rig.port(), "GET /v1/sessions HTTP/1.1\r\nHost: a\r\nHost: b\r\n" + auth + "\r\n");
        assertThat(Raw.status(r)).isEqualTo(400);
        assertThat(errorDetail(r)).isEqualTo("More than one Host header (2): an HTTP/1.1 request must have exactly one");
        // HTTP/1.0 has no Host requirement; the links then use the address the client connected to.
        r = Raw.exchange(rig.port(), "GET /v1/maxscale HTTP/1.0\r\n" + auth + "\r\n");
        assertThat(Raw.status(r)).isEqualTo(200);
        assertThat(r).contains("http://127.0.0.1:" + rig.port() + "/v1/maxscale/");
        assertThat(rig.get("/v1/").statusCode()).isEqualTo(200);
    }

    private static String errorDetail(String rawAnswer) {
        assertThat(rawAnswer.toLowerCase()).contains("content-type: application/json");
        String body = rawAnswer.substring(rawAnswer.indexOf("\r\n\r\n") + 4);
        return Json.MAPPER.readTree(body).path("errors").path(0).path("detail").asString();
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        Session s = rig.openSession();
        String auth = "Authorization: " + RestRig.ADMIN + "\r\n";
        String patch = "{\"data\":{\"attributes\":{\"parameters\":{\"log_error\":true}}}}";
        String requests = "GET /v1/sessions/" + s.id() + "?fields[sessions]=state HTTP/1.1\r\nHost: a\r\n" + auth + "\r\n"
                + "PATCH /v1/sessions/" + s.id() + " HTTP/1.1\r\nHost: b\r\n" + auth + "Content-Length: " + patch.length()
                + "\r\n\r\n" + patch
                + "GET /v1/nothing HTTP/1.1\r\nHost: c\r\n" + auth + "\r\n"
                + "GET /v1/maxscale?pretty=false HTTP/1.1\r\nHost: d\r\n" + auth + "Connection: close\r\n\r\n";
        String all = Raw.exchange(rig.port(), requests);
        List<Integer> statuses = new ArrayList<>();
        int i = 0;
        while ((i = all.indexOf("HTTP/1.1 ", i)) >= 0) {
            statuses.add(Integer.parseInt(all.substring(i + 9, i + 12)));
            i += 12;
        }
        assertThat(statuses).containsExactly(200, 200, 404, 200);
        assertThat(all.indexOf("http://a/v1/sessions/")).isLessThan(all.indexOf("No resource at /v1/nothing"));
        assertThat(all).contains("http://d/v1/maxscale/");
    }

    @Test
    void manyIdleConnectionsDoNotStopTheApiOrTheDataPlane() throws Exception {
        Session s = rig.openSession();
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) {
                Socket c = new Socket(InetAddress.getLoopbackAddress(), rig.port());
                idle.add(c);
                if (i % 3 == 0) {
                    // Half a request: a slowloris.
                    c.getOutputStream().write("GET /v1/sessions HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                }
            }
            long t0 = System.nanoTime();
            assertThat(rig.get("/v1/sessions").statusCode()).isEqualTo(200);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2000);
            RestRig.echo(rig.socketOf(s), "data plane untouched");
        } finally {
            for (Socket c : idle) {
                c.close();
            }
        }
    }

    @Test
    void connectionLimitAndIdleTimeout() throws Exception {
        try (RestRig small = RestRig.start(Map.of("admin_max_connections", "4", "admin_idle_timeout", "1s"))) {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    held.add(new Socket(InetAddress.getLoopbackAddress(), small.port()));
                }
                Awaitility.await().atMost(3, TimeUnit.SECONDS).until(() -> {
                    String r = Raw.exchange(small.port(), "GET /v1/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                    return r.startsWith("HTTP/1.1 503");
                });
                String r = Raw.exchange(small.port(), "GET /v1/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                assertThat(r).contains("Too many REST API connections (admin_max_connections=4)");
                // Idle connections are closed after admin_idle_timeout, and then there is room again.
                for (Socket c : held) {
                    c.setSoTimeout(5000);
                    assertThat(c.getInputStream().read()).isEqualTo(-1);
                }
                Awaitility.await().atMost(3, TimeUnit.SECONDS).until(() -> small.get("/v1/").statusCode() == 200);
            } finally {
                for (Socket c : held) {
                    c.close();
                }
            }
        }
    }

    @Test
    void curlWorksAsAUserWouldUseIt() throws Exception {
        Session s = rig.openSession();
        Process p = new ProcessBuilder("curl", "-s", "-u", "admin:mariadb", "-w", "\n%{http_code}",
                rig.url("/v1/sessions/" + s.id())).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(out).endsWith("\n200");
        JsonNode doc = Json.MAPPER.readTree(out.substring(0, out.lastIndexOf('\n')));
        assertThat(doc.path("data").path("id").asString()).isEqualTo(Long.toString(s.id()));
        p = new ProcessBuilder("curl", "-s", "-u", "admin:mariadb", "-X", "DELETE", "-w", "%{http_code}",
                rig.url("/v1/sessions/" + s.id() + "?ttl=0")).redirectErrorStream(true).start();
        out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEqualTo("200");
        Awaitility.await().atMost(3, TimeUnit.SECONDS).until(() -> !s.state().isLive());
        // curl without credentials: the 401 with its challenge.
        p = new ProcessBuilder("curl", "-s", "-i", rig.url("/v1/sessions")).redirectErrorStream(true).start();
        out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(20, TimeUnit.SECONDS);
        assertThat(out).startsWith("HTTP/1.1 401").contains("WWW-Authenticate: Basic realm=\"patchbay\"")
                .contains("\"detail\": \"Access denied\"");
    }

    static String readResponse(InputStream in) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n = in.read(buf);
        out.write(buf, 0, Math.max(0, n));
        return out.toString(StandardCharsets.UTF_8);
    }
}
