package dev.patchbay.admin.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.patchbay.core.LogLevels;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Replays, byte for byte, the requests maxctrl 24.02 sends for every session command
 * (../shared/reference/maxscale/maxctrl-requests.jsonl, copied below) on one keep-alive connection
 * as axios does, and checks each answer is one maxctrl handles: 2xx with an empty body prints "OK",
 * 2xx with JSON is rendered, 4xx with {"errors":[{"detail":...}]} is printed as the error.
 */
class MaxctrlReplayTest {

    /** The capture, verbatim (one JSON object per line). */
    static final String JSONL = """
{"t":"2026-11-21T09:54:28.101Z","method":"GET","url":"/v1/sessions","headers":{"accept":"application/json, text/plain, */*","user-agent":"axios/0.28.0","host":"127.0.0.1:18989","authorization":"Basic YWRtaW46bWFyaWFkYg==","connection":"keep-alive"},"body":""}
{"t":"2026-11-21T09:54:29.035Z","method":"GET","url":"/v1/sessions?rdns=true","headers":{"accept":"application/json, text/plain, */*","user-agent":"axios/0.28.0","host":"127.0.0.1:18989","authorization":"Basic YWRtaW46bWFyaWFkYg==","connection":"keep-alive"},"body":""}
{"t":"2026-11-21T09:54:29.937Z","method":"GET","url":"/v1/sessions/1","headers":{"accept":"application/json, text/plain, */*","user-agent":"axios/0.28.0","host":"127.0.0.1:18989","authorization":"Basic YWRtaW46bWFyaWFkYg==","connection":"keep-alive"},"body":""}
{"t":"2026-11-21T09:54:30.951Z","method":"GET","url":"/v1/sessions/1?rdns=true","headers":{"accept":"application/json, text/plain, */*","user-agent":"axios/0.28.0","host":"127.0.0.1:18989","authorization":"Basic YWRtaW46bWFyaWFkYg==","connection":"keep-alive"},"body":""}
{"t":"2026-11-21T09:54:31.839Z","method":"GET","url":"/v1/sessions/","headers":{"accept":"application/json, text/plain, */*","user-agent":"axios/0.28.0","host":"127.0.0.1:18989","authorization":"Basic YWRtaW46bWFyaWFkYg==","connection":"keep-alive"},"body":""}
{"t":"2026-11-21T09:54:32.944Z","method":"GET","url":"/v1/sessions/?rdns=true","headers":{"accept":"application/json, text/plain, */*","user-agent":"axios/0.28.0","host":"127.0.0.1:18989","authorization":"Basic YWRtaW46bWFyaWFkYg==","connection":"keep-alive"},"body":""}
{"t":"2026-11-21T09:54:33.742Z","method":"PATCH","url":"/v1/sessions/1","headers":{"accept":"application/json, text/plain, */*","content-type":"application/json","user-agent":"axios/0.28.0","content-length":"56","host":"127.0.0.1:18989","authorization":"Basic YWRtaW46bWFyaWFkYg==","connection":"keep-alive"},"body":"{\\"data\\":{\\"attributes\\":{\\"parameters\\":{\\"log_info\\":true}}}}"}
{"t":"2026-11-21T09:54:34.878Z","method":"PATCH","url":"/v1/sessions/1","headers":{"accept":"application/json, text/plain, */*","content-type":"application/json","user-agent":"axios/0.28.0","content-length":"130","host":"127.0.0.1:18989","authorization":"Basic YWRtaW46bWFyaWFkYg==","connection":"keep-alive"},"body":"{\\"data\\":{\\"type\\":\\"services\\",\\"relationships\\":{\\"filters\\":{\\"data\\":[{\\"id\\":\\"Regex\\",\\"type\\":\\"filters\\"},{\\"id\\":\\"Hint\\",\\"type\\":\\"filters\\"}]}}}}"}
{"t":"2026-11-21T09:54:36.194Z","method":"PATCH","url":"/v1/sessions/1","headers":{"accept":"application/json, text/plain, */*","content-type":"application/json","user-agent":"axios/0.28.0","content-length":"68","host":"127.0.0.1:18989","authorization":"Basic YWRtaW46bWFyaWFkYg==","connection":"keep-alive"},"body":"{\\"data\\":{\\"type\\":\\"services\\",\\"relationships\\":{\\"filters\\":{\\"data\\":[]}}}}"}
{"t":"2026-11-21T09:54:37.190Z","method":"POST","url":"/v1/sessions/1/restart","headers":{"accept":"application/json, text/plain, */*","content-type":"application/x-www-form-urlencoded","user-agent":"axios/0.28.0","host":"127.0.0.1:18989","authorization":"Basic YWRtaW46bWFyaWFkYg==","connection":"keep-alive","content-length":"0"},"body":""}
{"t":"2026-11-21T09:54:37.736Z","method":"POST","url":"/v1/sessions/restart","headers":{"accept":"application/json, text/plain, */*","content-type":"application/x-www-form-urlencoded","user-agent":"axios/0.28.0","host":"127.0.0.1:18989","authorization":"Basic YWRtaW46bWFyaWFkYg==","connection":"keep-alive","content-length":"0"},"body":""}
{"t":"2026-11-21T09:54:38.182Z","method":"DELETE","url":"/v1/sessions/2?ttl=5","headers":{"accept":"application/json, text/plain, */*","user-agent":"axios/0.28.0","host":"127.0.0.1:18989","authorization":"Basic YWRtaW46bWFyaWFkYg==","connection":"keep-alive"},"body":""}
{"t":"2026-11-21T09:54:38.623Z","method":"DELETE","url":"/v1/sessions/1?ttl=0","headers":{"accept":"application/json, text/plain, */*","user-agent":"axios/0.28.0","host":"127.0.0.1:18989","authorization":"Basic YWRtaW46bWFyaWFkYg==","connection":"keep-alive"},"body":""}
{"t":"2026-11-21T09:54:38.970Z","method":"GET","url":"/v1/maxscale","headers":{"accept":"application/json, text/plain, */*","user-agent":"axios/0.28.0","host":"127.0.0.1:18989","authorization":"Basic YWRtaW46bWFyaWFkYg==","connection":"keep-alive"},"body":""}
""";

    record Answer(int status, Map<String, String> headers, String body) {
        JsonNode json() {
            return Json.MAPPER.readTree(body);
        }
    }

    @Test
    void everyMaxctrlSessionRequestGetsAnAnswerMaxctrlHandles() throws Exception {
        try (RestRig rig = RestRig.start()) {
            Session one = rig.openSession();
            Session two = rig.openSession();
            assertThat(one.id()).isEqualTo(1);
            assertThat(two.id()).isEqualTo(2);
            List<JsonNode> requests = new ArrayList<>();
            for (String line : JSONL.strip().split("\n")) {
                requests.add(Json.MAPPER.readTree(line));
            }
            assertThat(requests).hasSize(14);
            List<Answer> answers = new ArrayList<>();
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), rig.port())) {
                s.setSoTimeout(15_000);
                for (JsonNode req : requests) {
                    answers.add(exchange(s, req));
                }
            }
            String base = "http://127.0.0.1:18989/v1/";
            for (int i : new int[] {0, 1, 4, 5}) {
                Answer a = answers.get(i);
                assertThat(a.status).as("request %d", i).isEqualTo(200);
                JsonNode doc = a.json();
                assertThat(doc.path("links").path("self").asString()).isEqualTo(base + "sessions/");
                assertThat(doc.path("data").size()).isEqualTo(2);
                for (JsonNode row : doc.path("data")) {
                    // The columns of `maxctrl list sessions`.
                    assertThat(row.path("attributes").path("remote").asString()).isNotEmpty();
                    assertThat(row.path("attributes").path("connected").asString()).isNotEmpty();
                    assertThat(row.path("attributes").path("idle").isNumber()).isTrue();
                    assertThat(row.path("attributes").path("memory").path("total").isNumber()).isTrue();
                    assertThat(row.path("attributes").path("io_activity").isNumber()).isTrue();
                    assertThat(row.path("relationships").path("services").path("data").path(0).path("id").asString())
                            .isEqualTo("Echo-Service");
                }
            }
            for (int i : new int[] {2, 3}) {
                Answer a = answers.get(i);
                assertThat(a.status).isEqualTo(200);
                assertThat(a.json().path("data").path("id").asString()).isEqualTo("1");
                assertThat(a.json().path("links").path("self").asString()).isEqualTo(base + "sessions/1/");
            }
            // alter session 1 log_info true
            assertOk(answers.get(6));
            // alter session-filters 1 Regex Hint: no such filters in Patchbay
            assertError(answers.get(7), 400, "Not a valid filter: Regex");
            // alter session-filters 1 (clear)
            assertOk(answers.get(8));
            // reload session 1 / reload sessions: refused with the reason, which maxctrl prints
            assertError(answers.get(9), 400, "Session 1 cannot be restarted: its listener 'Echo-Listener' uses protocol 'tcp'");
            assertThat(answers.get(10).status).isEqualTo(400);
            JsonNode errs = answers.get(10).json().path("errors");
            assertThat(errs.get(errs.size() - 1).path("detail").asString()).isEqualTo("Could not restart all sessions");
            // destroy session 2 --ttl 5, destroy session 1
            assertOk(answers.get(11));
            assertOk(answers.get(12));
            // show maxscale
            assertThat(answers.get(13).status).isEqualTo(200);
            assertThat(answers.get(13).json().path("data").path("id").asString()).isEqualTo("maxscale");

            assertThat(one.state()).isInstanceOf(SessionState.Closed.class);
            assertThat(one.logFlags() & LogLevels.INFO).isNotZero();
            assertThat(two.state().isLive()).as("ttl=5 has not run out yet").isTrue();
        }
    }

    private static void assertOk(Answer a) {
        assertThat(a.status).as(a.body).isEqualTo(200);
        assertThat(a.body).isEmpty();
        assertThat(a.headers).doesNotContainKey("content-type");
    }

    private static void assertError(Answer a, int status, String detailPrefix) {
        assertThat(a.status).as(a.body).isEqualTo(status);
        assertThat(a.headers.get("content-type")).isEqualTo("application/json");
        assertThat(a.json().path("errors").path(0).path("detail").asString()).startsWith(detailPrefix);
    }

    /** Writes the captured request as it was sent and reads one response (Content-Length framed). */
    static Answer exchange(Socket s, JsonNode req) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append(req.path("method").asString()).append(' ').append(req.path("url").asString()).append(" HTTP/1.1\r\n");
        for (Map.Entry<String, JsonNode> h : req.path("headers").properties()) {
            sb.append(h.getKey()).append(": ").append(h.getValue().asString()).append("\r\n");
        }
        sb.append("\r\n").append(req.path("body").asString());
        OutputStream out = s.getOutputStream();
        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
        return read(s.getInputStream());
    }

    static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed while reading headers");
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        String[] lines = head.toString(StandardCharsets.US_ASCII).split("\r\n");
        int status = Integer.parseInt(lines[0].substring(9, 12));
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            if (c > 0) {
                headers.put(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
            }
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        return new Answer(status, headers, new String(body, StandardCharsets.UTF_8));
    }
}
