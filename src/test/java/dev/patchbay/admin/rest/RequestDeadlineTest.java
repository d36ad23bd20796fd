package dev.patchbay.admin.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** A request must arrive in full within admin_idle_timeout of its first byte; idle keep-alive is untouched. */
class RequestDeadlineTest {

    /** Sends {@code head} at once, then one byte of {@code trickle} every 800 ms until the server closes. */
    private static Thread trickler(Socket s, String head, String trickle) {
        Thread t = new Thread(() -> {
            try {
                OutputStream out = s.getOutputStream();
                out.write(head.getBytes(StandardCharsets.US_ASCII));
                out.flush();
                for (int i = 0; i < trickle.length(); i++) {
                    Thread.sleep(800);
                    out.write(trickle.charAt(i));
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // the server closed the connection, or the test is over
            }
        }, "trickler");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * The audit's repro, scaled down: each byte comes well within the idle timeout (2 s), so only a deadline
     * from the first byte can end these requests. Both connections are refused with 408, and then a real client
     * gets in.
     */
    @Test
    void slowClientsGet408AndCannotHoldTheApi() throws Exception {
        try (RestRig rig = RestRig.start(Map.of("admin_idle_timeout", "2s", "admin_max_connections", "2"));
                Socket slowHead = new Socket(InetAddress.getLoopbackAddress(), rig.port());
                Socket slowBody = new Socket(InetAddress.getLoopbackAddress(), rig.port())) {
            Thread a = trickler(slowHead, "GET /v1/ HTTP/1.1\r\nHost: x\r\nX-A: ", "a".repeat(40));
            Thread b = trickler(slowBody, "PATCH /v1/maxscale HTTP/1.1\r\nHost: x\r\nAuthorization: " + RestRig.ADMIN
                    + "\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n", " ".repeat(40));
            for (Socket s : List.of(slowHead, slowBody)) {
                s.setSoTimeout(15_000);
                String answer = Raw.readAll(s.getInputStream());
                assertThat(answer).startsWith("HTTP/1.1 408 Request Timeout");
                assertThat(answer.toLowerCase()).contains("connection: close", "content-type: application/json");
                String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
                assertThat(Json.MAPPER.readTree(body).path("errors").path(0).path("detail").asString())
                        .isEqualTo("Request not received in full within 2s of its first byte (admin_idle_timeout)");
            }
            a.interrupt();
            b.interrupt();
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> rig.get("/v1/").statusCode() == 200);
        }
    }

    /** Between requests only the idle timeout applies: the connection is closed without a 408. */
    @Test
    void anIdleKeepAliveConnectionIsClosedWithoutA408() throws Exception {
        try (RestRig rig = RestRig.start(Map.of("admin_idle_timeout", "1s"));
                Socket s = new Socket(InetAddress.getLoopbackAddress(), rig.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET /v1/ HTTP/1.1\r\nHost: x\r\nAuthorization: ".concat(RestRig.ADMIN)
                    .concat("\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String all = Raw.readAll(s.getInputStream());
            assertThat(all).startsWith("HTTP/1.1 200 OK");
            assertThat(all.indexOf("HTTP/1.1 ", 1)).as("one answer only: %s", all).isEqualTo(-1);
        }
    }
}
