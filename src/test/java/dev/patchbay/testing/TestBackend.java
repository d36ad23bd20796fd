package dev.patchbay.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real TCP backend on 127.0.0.1 for tests, one thread per connection. Behaviours: echo (and
 * half-close back after the client's FIN), silent (accepts and never reads), slow reader, hello
 * (writes its name on connect, then echoes).
 */
public final class TestBackend implements AutoCloseable {

    public enum Mode { ECHO, SILENT, SLOW_READER, HELLO }

    private final String name;
    private final Mode mode;
    private final ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong bytesRead = new AtomicLong();
    private volatile boolean closed;

    private TestBackend(String name, Mode mode, int port, int backlog) throws IOException {
        this.name = name;
        this.mode = mode;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), backlog);
        Thread t = new Thread(this::acceptLoop, "backend-" + name);
        t.setDaemon(true);
        t.start();
    }

    public static TestBackend start(String name, Mode mode) throws IOException {
        return new TestBackend(name, mode, 0, 200);
    }

    /** Restarts a backend on a port a previous one used (for down/up transitions). */
    public static TestBackend startOn(String name, Mode mode, int port) throws IOException {
        return new TestBackend(name, mode, port, 200);
    }

    public int port() {
        return server.getLocalPort();
    }

    public String name() {
        return name;
    }

    public int accepted() {
        return accepted.get();
    }

    public int openConnections() {
        return open.get();
    }

    public long bytesRead() {
        return bytesRead.get();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                accepted.incrementAndGet();
                open.incrementAndGet();
                sockets.add(s);
                Thread t = new Thread(() -> serve(s), "backend-" + name + "-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[mode == Mode.SLOW_READER ? 1024 : 65536];
            if (mode == Mode.HELLO) {
                out.write((name + "\n").getBytes());
                out.flush();
            }
            if (mode == Mode.SILENT) {
                while (!closed && !s.isClosed()) {
                    Thread.sleep(20);
                    if (in.available() < 0) {
                        break;
                    }
                }
                return;
            }
            int n;
            while ((n = in.read(buf)) > 0) {
                bytesRead.addAndGet(n);
                if (mode == Mode.SLOW_READER) {
                    Thread.sleep(50);
                } else {
                    out.write(buf, 0, n);
                    out.flush();
                }
            }
            s.shutdownOutput();
            // Wait for the peer to close before closing ourselves.
            while (in.read(buf) > 0) {
                // drain
            }
        } catch (IOException | InterruptedException e) {
            // connection ended
        } finally {
            open.decrementAndGet();
            sockets.remove(s);
        }
    }

    /** Stops accepting (health checks fail) but keeps the connections it has. */
    public void stopListening() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    /** Closes the listening socket and every connection (the backend "dies"). */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }
}
