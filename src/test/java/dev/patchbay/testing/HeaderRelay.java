package dev.patchbay.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A TCP relay on an ephemeral loopback port that starts every connection to {@code target} with a fixed
 * PROXY protocol header, as an L4 load balancer in front of Patchbay would (one thread per direction).
 */
public final class HeaderRelay implements AutoCloseable {
    private final ServerSocket server;

    public HeaderRelay(int targetPort, String header) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        byte[] first = header.getBytes(StandardCharsets.US_ASCII);
        Thread accept = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket in = server.accept();
                    Socket out = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                    out.getOutputStream().write(first);
                    pipe(in, out);
                    pipe(out, in);
                } catch (IOException e) {
                    // closed
                }
            }
        }, "header-relay");
        accept.setDaemon(true);
        accept.start();
    }

    private static void pipe(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // the other side closed
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }, "header-relay-pipe");
        t.setDaemon(true);
        t.start();
    }

    public int port() {
        return ((InetSocketAddress) server.getLocalSocketAddress()).getPort();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
