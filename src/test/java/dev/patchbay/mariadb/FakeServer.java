package dev.patchbay.mariadb;

import dev.patchbay.testing.Closer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** A fake server on 127.0.0.1 for tests: each accepted connection goes to a handler on a thread of its own. */
final class FakeServer {
    interface Handler {
        void serve(Socket s) throws IOException;
    }

    private FakeServer() {}

    /** Starts accepting; returns the port. The listening socket and every connection are closed by {@code closer}. */
    static int start(Closer closer, Handler handler) throws IOException {
        ServerSocket ss = closer.track(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        Thread t = new Thread(() -> {
            while (!ss.isClosed()) {
                try {
                    Socket s = closer.track(ss.accept());
                    Thread c = new Thread(() -> {
                        try {
                            handler.serve(s);
                        } catch (IOException e) {
                            // client gone
                        }
                    });
                    c.setDaemon(true);
                    c.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return ss.getLocalPort();
    }

    /** Writes one frame and releases it. */
    static void write(OutputStream out, ByteBuf frame) throws IOException {
        out.write(ByteBufUtil.getBytes(frame));
        out.flush();
        frame.release();
    }
}
