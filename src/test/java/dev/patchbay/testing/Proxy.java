package dev.patchbay.testing;

import dev.patchbay.Patchbay;
import dev.patchbay.config.ConfigException;
import dev.patchbay.config.ConfigLoader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

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

    public static Socket connect(Patchbay p, String listener) throws IOException {
        InetSocketAddress a = p.listenerAddress(listener);
        Socket s = new Socket();
        s.connect(a, 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** A server section for a backend with health checks off. */
    public static String server(String name, int port) {
        return "[" + name + "]\ntype=server\naddress=127.0.0.1\nport=" + port + "\nhealth_check=none\n\n";
    }
}
