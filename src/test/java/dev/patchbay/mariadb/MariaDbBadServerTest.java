package dev.patchbay.mariadb;

import static dev.patchbay.mariadb.FakeServer.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionState;
import dev.patchbay.core.Termination;
import dev.patchbay.mariadb.protocol.Capabilities;
import dev.patchbay.mariadb.protocol.InitialHandshake;
import dev.patchbay.mariadb.protocol.NativePassword;
import dev.patchbay.mariadb.protocol.Packets;
import dev.patchbay.testing.Closer;
import dev.patchbay.testing.Proxy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Malformed packets from the server side, from a fake server: Patchbay gives the client a clear
 * error or closes, ends the session, and keeps serving others. Accounts come from a users file.
 */
class MariaDbBadServerTest {
    enum Mode { TRUNCATED_HANDSHAKE, BAD_RESULT, GOOD }

    @RegisterExtension
    final Closer closer = new Closer();

    /** A fake server: a handshake, OK to any login, then per mode. */
    /** Connections the fake servers of this test accepted. */
    private final AtomicInteger accepted = new AtomicInteger();

    private int fakeServer(Mode mode) throws IOException {
        return fakeServer(s -> serve(s, mode));
    }

    private int fakeServer(FakeServer.Handler handler) throws IOException {
        return FakeServer.start(closer, s -> {
            accepted.incrementAndGet();
            handler.serve(s);
        });
    }

    /**
     * The failed login's session is gone, and a moment later (nothing retried late) the server counts
     * {@code failures} connect failures and no connection.
     */
    /** A server that accepts and never sends its handshake; counts the connections Patchbay closes. */
    private int silentServer(AtomicInteger closedByPatchbay) throws IOException {
        return fakeServer(s -> {
            try (s) {
                while (s.getInputStream().read() >= 0) {
                    // Patchbay sends nothing before the handshake; wait for its close
                }
                closedByPatchbay.incrementAndGet();
            }
        });
    }

    private static void assertEndedWithConnectFailures(Patchbay p, int failures) throws InterruptedException {
        await().atMost(Duration.ofSeconds(5)).until(() -> p.sessions().size() == 0);
        Thread.sleep(300);
        assertThat(p.servers().get("s").connectFailures()).isEqualTo(failures);
        assertThat(p.servers().get("s").connections()).isZero();
    }

    private static void serve(Socket s, Mode mode) throws IOException {
        try (s) {
            OutputStream out = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            if (mode == Mode.TRUNCATED_HANDSHAKE) {
                out.write(new byte[] {5, 0, 0, 0, 10, 'a', 'b', 'c', 0});
                out.flush();
                in.read();
                return;
            }
            acceptLogin(out, in);
            while (true) {
                byte[] cmd = read(in);
                if (cmd[0] == 1) {
                    return;
                }
                if (mode == Mode.BAD_RESULT && new String(cmd, java.nio.charset.StandardCharsets.ISO_8859_1).contains("BAD")) {
                    // The statement "BAD" gets a result set announcing zero columns: not a valid response.
                    ByteBuf b = Unpooled.buffer().writeMediumLE(3).writeByte(1).writeByte(0xFC).writeShortLE(0);
                    write(out, b);
                } else {
                    write(out, Packets.ok(Unpooled.buffer().alloc(), 1, 2));
                }
            }
        }
    }

    /** A fake server's handshake, and OK to whatever login comes back. */
    private static void acceptLogin(OutputStream out, DataInputStream in) throws IOException {
        InitialHandshake hs = new InitialHandshake("11.4.5-MariaDB-fake", 77, NativePassword.newScramble(),
                Capabilities.ADVERTISED, 0, 45, 2, InitialHandshake.NATIVE_PASSWORD);
        write(out, hs.encode(Unpooled.buffer().alloc(), 0));
        read(in);
        write(out, Packets.ok(Unpooled.buffer().alloc(), 2, 2));
    }

    private static byte[] read(DataInputStream in) throws IOException {
        byte[] h = new byte[4];
        in.readFully(h);
        byte[] b = new byte[(h[0] & 0xFF) | (h[1] & 0xFF) << 8 | (h[2] & 0xFF) << 16];
        in.readFully(b);
        return b;
    }

    private Patchbay start(int port) throws Exception {
        return start(port, "retries=0\n");
    }

    private Patchbay start(int port, String serviceKeys) throws Exception {
        Path users = Files.createTempFile("patchbay-users", ".json");
        closer.track(() -> Files.deleteIfExists(users));
        String hash = "*" + java.util.HexFormat.of().withUpperCase().formatHex(
                NativePassword.sha1(NativePassword.sha1("pw".getBytes())));
        Files.writeString(users, "{\"user\": [{\"user\": \"u\", \"host\": \"%\", \"password\": \"" + hash
                + "\", \"global_db_priv\": true}]}");
        Patchbay p = Proxy.start("[s]\ntype=server\naddress=127.0.0.1\nport=" + port + "\nhealth_check=none\n\n"
                + "[svc]\ntype=service\nservers=s\n" + serviceKeys + "users_file=" + users + "\n\n"
                + "[db]\ntype=listener\nservice=svc\nprotocol=mariadb\naddress=127.0.0.1\nport=0\n");
        return closer.track(p);
    }

    @Test
    void connectTimeoutRetriesThenFails() throws Exception {
        int hanging = Proxy.hangingPort(closer);
        Patchbay p = start(hanging, "connect_timeout=200ms\nretries=2\n");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> MariaDbFixture.connect(p, "u", "pw", "", "")).isInstanceOf(SQLException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(550)); // 3 x 200 ms
        // One failure per attempt, and no connect left behind: a timed-out attempt is not retried twice.
        assertEndedWithConnectFailures(p, 3);
    }

    @Test
    void silentServerTimesOutEachLoginOnceAndClosesIt() throws Exception {
        // The TCP connect succeeds, the server never sends its handshake: connect_timeout covers the login.
        AtomicInteger closedByPatchbay = new AtomicInteger();
        int port = silentServer(closedByPatchbay);
        Patchbay p = start(port, "connect_timeout=200ms\nretries=2\n");
        assertThatThrownBy(() -> MariaDbFixture.connect(p, "u", "pw", "", "")).isInstanceOf(SQLException.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> closedByPatchbay.get() == 3);
        assertEndedWithConnectFailures(p, 3);
        assertThat(accepted.get()).isEqualTo(3);
    }

    @Test
    void clientLeavingDuringTheServerLoginEndsItWithoutBlamingTheServer() throws Exception {
        // The server never sends its handshake; the client gives up first (its socket timeout) and closes.
        AtomicInteger closedByPatchbay = new AtomicInteger();
        int port = silentServer(closedByPatchbay);
        Patchbay p = start(port, "connect_timeout=30s\nretries=2\n");
        CompletableFuture<Connection> login = CompletableFuture.supplyAsync(() -> {
            try {
                return MariaDbFixture.connect(p, "u", "pw", "", "connectTimeout=300&socketTimeout=300");
            } catch (SQLException e) {
                throw new CompletionException(e);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> accepted.get() == 1);
        Session s = p.sessions().snapshot().get(0);
        assertThatThrownBy(() -> login.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(SQLException.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> s.state() instanceof SessionState.Closed);
        assertThat(s.termination().cause()).isEqualTo(Termination.Cause.CLIENT_CLOSE);
        // The login in progress is abandoned: its connection closed, not retried, not the server's failure.
        await().atMost(Duration.ofSeconds(5)).until(() -> closedByPatchbay.get() == 1);
        assertEndedWithConnectFailures(p, 0);
        assertThat(accepted.get()).isEqualTo(1);
    }

    @Test
    void truncatedServerHandshakeGivesTheClientAClearError() throws Exception {
        Patchbay p = start(fakeServer(Mode.TRUNCATED_HANDSHAKE));
        assertThatThrownBy(() -> MariaDbFixture.connect(p, "u", "pw", "", ""))
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getMessage()).contains("bad packet from server s"));
        await().atMost(Duration.ofSeconds(5)).until(() -> p.sessions().size() == 0);
    }

    @Test
    void serverClosingDuringTheLoginIsAConnectFailureRetried() throws Exception {
        Patchbay p = start(fakeServer(Socket::close), "retries=2\n");
        assertThatThrownBy(() -> MariaDbFixture.connect(p, "u", "pw", "", "")).isInstanceOf(SQLException.class);
        assertEndedWithConnectFailures(p, 3);
        assertThat(accepted.get()).isEqualTo(3);
    }

    @Test
    void malformedHandshakeIsTheServersErrorNotRetried() throws Exception {
        // Unlike a login that never completes (connect_timeout, retried), a server that answers wrongly is
        // not tried again: the client gets the error, as it would get the server's own ERR.
        Patchbay p = start(fakeServer(Mode.TRUNCATED_HANDSHAKE), "retries=2\n");
        assertThatThrownBy(() -> MariaDbFixture.connect(p, "u", "pw", "", ""))
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getMessage()).contains("bad packet from server s"));
        assertEndedWithConnectFailures(p, 0);
        assertThat(accepted.get()).isEqualTo(1);
    }

    /**
     * A server that refuses a statement longer than its max_allowed_packet answers ERR 1153 and closes with
     * the rest unread (a reset): Patchbay's write fails, and the client still gets the server's own error.
     */
    @Test
    void aStatementTooBigForTheServerGetsTheServersErrorNotAWriteFailure() throws Exception {
        Patchbay p = start(fakeServer(s -> {
            try (s) {
                OutputStream out = s.getOutputStream();
                DataInputStream in = new DataInputStream(s.getInputStream());
                acceptLogin(out, in);
                while (true) {
                    byte[] h = new byte[4];
                    in.readFully(h);
                    int length = (h[0] & 0xFF) | (h[1] & 0xFF) << 8 | (h[2] & 0xFF) << 16;
                    if (length > 1024 * 1024) {
                        write(out, Packets.err(Unpooled.buffer().alloc(), 1, 1153, "08S01",
                                "Got a packet bigger than 'max_allowed_packet' bytes"));
                        return; // closes with megabytes unread: the kernel resets the connection
                    }
                    byte[] cmd = new byte[length];
                    in.readFully(cmd);
                    if (cmd[0] == 1) {
                        return;
                    }
                    write(out, Packets.ok(Unpooled.buffer().alloc(), 1, 2));
                }
            }
        }));
        try (Connection c = MariaDbFixture.connect(p, "u", "pw", "", "maxAllowedPacket=67108864")) {
            Session s = p.sessions().snapshot().get(0);
            String big = "SELECT '" + "a".repeat(20_000_000) + "'";
            assertThatThrownBy(() -> c.createStatement().execute(big)).isInstanceOfSatisfying(SQLException.class, e -> {
                assertThat(e.getErrorCode()).isEqualTo(1153);
                assertThat(e.getMessage()).contains("Got a packet bigger than 'max_allowed_packet' bytes");
            });
            assertThat(s.closedFuture().get(5, TimeUnit.SECONDS).cause()).isEqualTo(Termination.Cause.SERVER_CLOSE);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> p.sessions().size() == 0);
    }

    @Test
    void malformedResultEndsOnlyThatSession() throws Exception {
        Patchbay bad = start(fakeServer(Mode.BAD_RESULT));
        Patchbay good = start(fakeServer(Mode.GOOD));
        try (Connection ok = MariaDbFixture.connect(good, "u", "pw", "", "");
             Connection c = MariaDbFixture.connect(bad, "u", "pw", "", "")) {
            Session s = bad.sessions().snapshot().get(0);
            assertThatThrownBy(() -> c.createStatement().execute("SELECT 'BAD'")).isInstanceOf(SQLException.class);
            Termination t = s.closedFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(t.cause()).isEqualTo(Termination.Cause.SERVER_ERROR);
            assertThat(t.detail()).contains("result set without columns");
            ok.createStatement().execute("DO 1");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> bad.sessions().size() == 0 && good.sessions().size() == 0);
    }
}
