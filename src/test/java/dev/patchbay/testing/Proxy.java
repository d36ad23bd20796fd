package dev.patchbay.testing;

import dev.patchbay.Patchbay;
import dev.patchbay.config.ConfigException;
import dev.patchbay.config.ConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Starts a real Patchbay from INI text (listeners on port 0) for a test. */
public final class Proxy {
    private Proxy() {}

    /** INI text; {@code [patchbay]} with {@code admin_enabled=false} is prepended unless the text has one. */
    public static Patchbay start(String ini) throws Exception {
        String text = ini.contains("[patchbay]") ? ini : "[patchbay]\nadmin_enabled=false\naccess_log=stdout\n\n" + ini;
        try {
            return new Patchbay(ConfigLoader.parse("test.cnf", text)).start();
        } catch (ConfigException e) {
            throw new AssertionError("test configuration is invalid:\n" + e.getMessage(), e);
        }
    }

    /** A loopback port nothing listens on now (for a server that comes up later, or a fixed listener port). */
    public static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * A loopback port where connects hang: its listening socket's accept queue is full, so the kernel drops
     * further SYNs. The socket and its queue fillers are closed by {@code closer}.
     */
    public static int hangingPort(Closer closer) throws IOException {
        java.net.ServerSocket full = closer.track(new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()));
        for (int i = 0; i < 3; i++) {
            Socket f = closer.track(new Socket());
            try {
                f.connect(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), full.getLocalPort()), 200);
            } catch (IOException e) {
                // queue already full
            }
        }
        return full.getLocalPort();
    }

    public static Socket connect(Patchbay p, String listener) throws IOException {
        InetSocketAddress a = p.listenerAddress(listener);
        Socket s = new Socket();
        s.connect(a, 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Listener {@code l1} of service {@code svc} on 127.0.0.1, an ephemeral port. */
    public static String listener() {
        return "[l1]\ntype=listener\nservice=svc\naddress=127.0.0.1\nport=0\n";
    }

    /** Sends {@code line} and a newline, and reads one line back (without its newline). */
    public static String request(Socket s, String line) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        InputStream in = s.getInputStream();
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("closed after '" + sb + "'");
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    /** A server section for a backend with health checks off. */
    public static String server(String name, int port) {
        return "[" + name + "]\ntype=server\naddress=127.0.0.1\nport=" + port + "\nhealth_check=none\n\n";
    }
}
