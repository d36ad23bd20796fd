package dev.patchbay.admin.rest;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.patchbay.core.Session;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/** The session event stream, per-session log levels and the session trace, end to end. */
class EventsAndLoggingTest {

    @Test
    void eventStreamReportsOpenedAndKilledWithTheActor() throws Exception {
        try (RestRig rig = RestRig.start(); Socket sse = new Socket(InetAddress.getLoopbackAddress(), rig.port())) {
            sse.setSoTimeout(10_000);
            sse.getOutputStream().write(("GET /v1/sessions/events HTTP/1.1\r\nHost: x\r\nAuthorization: " + RestRig.ADMIN
                    + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(sse.getInputStream(), StandardCharsets.UTF_8));
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
            List<String> head = new ArrayList<>();
            for (String l = in.readLine(); !l.isEmpty(); l = in.readLine()) {
                head.add(l.toLowerCase());
            }
            assertThat(head).contains("content-type: text/event-stream; charset=utf-8", "transfer-encoding: chunked");
            Session s = rig.openSession();
            JsonNode opened = nextEvent(in, "opened");
            assertThat(opened.path("id").asString()).isEqualTo(Long.toString(s.id()));
            assertThat(opened.path("listener").asString()).isEqualTo("Echo-Listener");
            assertThat(opened.path("service").asString()).isEqualTo("Echo-Service");
            assertThat(rig.send("DELETE", "/v1/sessions/" + s.id(), null).statusCode()).isEqualTo(200);
            JsonNode killed = nextEvent(in, "killed");
            assertThat(killed.path("id").asString()).isEqualTo(Long.toString(s.id()));
            assertThat(killed.path("cause").asString()).isEqualTo("killed");
            assertThat(killed.path("actor").asString()).isEqualTo("REST API admin");
            assertThat(killed.path("bytes_from_client").asLong()).isEqualTo(5);
            // A client that just leaves is "closed".
            Session t = rig.openSession();
            nextEvent(in, "opened");
            rig.socketOf(t).close();
            JsonNode closed = nextEvent(in, "closed");
            assertThat(closed.path("cause").asString()).isEqualTo("client closed");
            // The API keeps serving while a stream is open.
            assertThat(rig.get("/v1/sessions").statusCode()).isEqualTo(200);
        }
    }

    /** Reads chunked SSE text until an event of {@code type}; returns its data. */
    static JsonNode nextEvent(BufferedReader in, String type) throws Exception {
        String event = null;
        for (String l = in.readLine(); l != null; l = in.readLine()) {
            if (l.startsWith("event: ")) {
                event = l.substring(7);
            } else if (l.startsWith("data: ") && type.equals(event)) {
                return Json.MAPPER.readTree(l.substring(6));
            }
        }
        throw new AssertionError("stream ended before a " + type + " event");
    }

    @Test
    void logInfoOnOneSessionLogsItsInfoLinesWhileTheGlobalLevelStaysNotice() throws Exception {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        Level before = root.getLevel();
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        root.addAppender(captured);
        root.setLevel(Level.INFO);
        try (RestRig rig = RestRig.start()) {
            Session loud = rig.openSession();
            Session quiet = rig.openSession();
            assertThat(rig.send("PATCH", "/v1/sessions/" + loud.id(),
                    "{\"data\":{\"attributes\":{\"parameters\":{\"log_info\":true}}}}").statusCode()).isEqualTo(200);
            rig.socketOf(loud).close();
            rig.socketOf(quiet).close();
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> !loud.state().isLive() && !quiet.state().isLive());
            List<String> loudLines = linesOf(captured, loud.id(), Level.DEBUG);
            assertThat(loudLines).anyMatch(l -> l.contains("Client closed its side"));
            assertThat(loudLines).anyMatch(l -> l.startsWith("Closing:"));
            assertThat(linesOf(captured, quiet.id(), Level.DEBUG)).isEmpty();
            assertThat(root.getLevel()).isEqualTo(Level.INFO);
        } finally {
            root.detachAppender(captured);
            root.setLevel(before);
        }
    }

    static List<String> linesOf(ListAppender<ILoggingEvent> a, long session, Level level) {
        List<String> out = new ArrayList<>();
        for (ILoggingEvent e : List.copyOf(a.list)) {
            if (Long.toString(session).equals(e.getMDCPropertyMap().get("session")) && e.getLevel() == level) {
                out.add(e.getFormattedMessage());
            }
        }
        return out;
    }

    @Test
    void sessionTraceFillsTheLogAttributeWithoutPrintingInfoLines() throws Exception {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        root.addAppender(captured);
        try (RestRig rig = RestRig.start(Map.of("session_trace", "3"))) {
            Session s = rig.openSession();
            JsonNode log = rig.getJson("/v1/sessions/" + s.id()).path("data").path("attributes").path("log");
            assertThat(log.size()).isEqualTo(3);
            List<String> lines = new ArrayList<>();
            log.forEach(l -> lines.add(l.asString()));
            assertThat(lines.get(0)).matches("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3}   info   : \\(" + s.id() + "\\) .*");
            assertThat(String.join("\n", lines)).contains("Connected to server server1");
            assertThat(linesOf(captured, s.id(), Level.DEBUG)).as("info lines are traced, not logged").isEmpty();
            assertThat(rig.getJson("/v1/maxscale").path("data").path("attributes").path("parameters")
                    .path("session_trace").asInt()).isEqualTo(3);
        } finally {
            root.detachAppender(captured);
        }
    }
}
