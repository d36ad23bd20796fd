package dev.patchbay.admin.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.patchbay.Patchbay;
import dev.patchbay.config.ConfigLoader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Socket set-up: UNIX file mode, stale sockets, removal, max_connections and the idle timeout. */
@Timeout(60)
class SocketsTest {

    @Test
    void unixSocketModeAndRemoval() throws Exception {
        Path sock;
        try (Rig rig = Rig.start()) {
            sock = rig.dir.resolve("admin.sock");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock))).isEqualTo("rw-------");
            assertThat(rig.ask("admin", "show cli level\n")).isEqualTo("admin\n\n");
            assertThat(Files.list(rig.dir).map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("admin.sock", "default.sock");
            rig.pb.close();
            assertThat(sock).doesNotExist();
        }
    }

    @Test
    void staleSocketIsReplacedAndOtherFilesAreNot() throws Exception {
        Path dir = Files.createTempDirectory("patchbay-stale");
        Path sock = dir.resolve("cli.sock");
        // A socket file whose owner died without removing it.
        try (ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            old.bind(UnixDomainSocketAddress.of(sock));
        }
        assertThat(sock).exists();
        String ini = "[patchbay]\nadmin_enabled=false\n\n[cli]\ntype=stats_socket\nsocket=" + sock + "\nlevel=admin\n";
        try (Patchbay pb = new Patchbay(ConfigLoader.parse("t.cnf", ini)).start()) {
            try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
                c.write(ByteBuffer.wrap("show cli level\n".getBytes()));
                ByteBuffer b = ByteBuffer.allocate(64);
                while (c.read(b) >= 0) {
                    // read to EOF
                }
                assertThat(new String(b.array(), 0, b.position())).isEqualTo("admin\n\n");
            }
        }
        Path regular = dir.resolve("file.sock");
        Files.writeString(regular, "keep me");
        String ini2 = "[patchbay]\nadmin_enabled=false\n\n[cli]\ntype=stats_socket\nsocket=" + regular + "\n";
        assertThatThrownBy(() -> new Patchbay(ConfigLoader.parse("t.cnf", ini2)).start())
                .hasMessageContaining("exists and is not a socket");
        assertThat(Files.readString(regular)).isEqualTo("keep me");
        Files.delete(regular);
        Files.deleteIfExists(sock);
        Files.delete(dir);
    }

    @Test
    void maxConnectionsStopsAcceptingUntilOneCloses() throws Exception {
        try (Rig rig = Rig.start("", "max_connections=2\n")) {
            Rig.Conn a = rig.connect("admin");
            a.send("prompt\n");
            a.readUntil("> ");
            Rig.Conn b = rig.connect("admin");
            b.send("prompt\n");
            b.readUntil("> ");
            // The third waits in the backlog: connected by the kernel, never served.
            Rig.Conn c = rig.connect("admin");
            c.send("show cli level\n");
            Thread.sleep(300);
            long cli = rig.pb.sessions().snapshot().stream().filter(s -> s.io() instanceof CliHandler
                    && s.frontend().listenerId() == 1).count();
            assertThat(cli).isEqualTo(2);
            a.send("quit\n");
            assertThat(a.readToEof()).isEmpty();
            assertThat(c.readToEof()).isEqualTo("admin\n\n");
            b.send("show cli level\n");
            assertThat(b.readUntil("> ")).isEqualTo("admin\n\n> ");
        }
    }

    @Test
    void idleTimeoutClosesAnInteractiveConnection() throws Exception {
        try (Rig rig = Rig.start("[quick]\ntype=stats_socket\naddress=127.0.0.1\nport=0\nlevel=admin\ntimeout=1s\n", "")) {
            Rig.Conn c = rig.connect("quick");
            c.send("prompt\n");
            c.readUntil("> ");
            c.send("show sess frontend GLOBAL\n");
            assertThat(c.readUntil("> ")).containsPattern("exp=(1s|0s)\n");
            long t0 = System.nanoTime();
            assertThat(c.readToEof()).isEmpty();
            assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(500L, 3000L);

            Rig.Conn d = rig.connect("quick");
            d.send("prompt;set timeout cli 3\n");
            d.readUntil("> ");
            Thread.sleep(1500);
            d.send("show sess frontend GLOBAL\n");
            assertThat(d.readUntil("> ")).containsPattern("exp=(3s|2s)\n");
            assertThat(rig.ask("quick", "set timeout cli 0\n")).isEqualTo("Invalid timeout value.\n\n");
            assertThat(rig.ask("quick", "set timeout foo 3\n")).isEqualTo("'set timeout' only supports 'cli'.\n\n");
        }
    }
}
