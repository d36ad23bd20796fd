package dev.patchbay.admin.runtime;

import dev.patchbay.Patchbay;
import dev.patchbay.config.ConfigLoader;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Patchbay for runtime API tests: two echo backends behind {@code svc} (listener
 * {@code fe_tcp}), a one-slot server behind {@code svcq} (listener {@code fe_q}, so the second
 * client queues), and four stats sockets like HAProxy's captures: {@code admin} (UNIX, admin),
 * {@code oper} (TCP, operator), {@code usr} (TCP, user), {@code dflt} (UNIX, no level).
 */
final class Rig implements AutoCloseable {
    final Path dir;
    final Patchbay pb;
    private final EventLoopGroup echoGroup;
    private final List<Channel> echoes = new ArrayList<>();
    private final List<AutoCloseable> clients = new ArrayList<>();

    private Rig(String extra, String socketOptions) throws Exception {
        this("", extra, socketOptions);
    }

    private Rig(String globalOptions, String extra, String socketOptions) throws Exception {
        dir = Files.createTempDirectory("patchbay-cli");
        echoGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        int p1 = echo();
        int p2 = echo();
        int p3 = echo();
        String ini = "[patchbay]\nadmin_enabled=false\nthreads=2\naccess_log=stdout\n" + globalOptions + "\n"
                + server("s1", p1) + server("s2", p2) + server("q1", p3) + "max_connections=1\n\n"
                + "[svc]\ntype=service\nservers=s1,s2\nclient_timeout=1h\nserver_timeout=1h\n\n"
                + "[svcq]\ntype=service\nservers=q1\nclient_timeout=1h\nserver_timeout=1h\nqueue_timeout=1h\n\n"
                + "[fe_tcp]\ntype=listener\nservice=svc\naddress=127.0.0.1\nport=0\n\n"
                + "[fe_q]\ntype=listener\nservice=svcq\naddress=127.0.0.1\nport=0\n\n"
                + "[admin]\ntype=stats_socket\nsocket=" + dir.resolve("admin.sock") + "\nmode=0600\nlevel=admin\ntimeout=2m\n"
                + socketOptions + "\n"
                + "[oper]\ntype=stats_socket\naddress=127.0.0.1\nport=0\nlevel=operator\ntimeout=2m\n\n"
                + "[usr]\ntype=stats_socket\naddress=127.0.0.1\nport=0\nlevel=user\n\n"
                + "[dflt]\ntype=stats_socket\nsocket=" + dir.resolve("default.sock") + "\n\n"
                + extra;
        pb = new Patchbay(ConfigLoader.parse("rig.cnf", ini)).start();
    }

    static Rig start() throws Exception {
        return new Rig("", "");
    }

    static Rig start(String extra, String adminSocketOptions) throws Exception {
        return new Rig(extra, adminSocketOptions);
    }

    /** The rig with more {@code [patchbay]} keys, e.g. {@code "transport=io_uring\n"}. */
    static Rig startWithGlobal(String globalOptions) throws Exception {
        return new Rig(globalOptions, "", "");
    }

    private static String server(String name, int port) {
        return "[" + name + "]\ntype=server\naddress=127.0.0.1\nport=" + port + "\nhealth_check=none\n";
    }

    /** A Netty echo server (one thread, so thousands of connections are cheap). */
    private int echo() throws InterruptedException {
        Channel ch = new ServerBootstrap().group(echoGroup).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ctx.writeAndFlush(msg);
                            }
                        });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        echoes.add(ch);
        return ((InetSocketAddress) ch.localAddress()).getPort();
    }

    SocketAddress address(String socket) {
        return pb.runtimeApi().boundAddress(socket);
    }

    /** A connected client of a stats socket (UNIX or TCP), closed with the rig. */
    Conn connect(String socket) throws IOException {
        Conn c = Conn.open(address(socket));
        clients.add(c);
        return c;
    }

    /** What {@code echo "<input>" | socat stdio <socket>} would print: send, half-close, read to EOF. */
    String ask(String socket, String input) throws IOException {
        try (Conn c = Conn.open(address(socket))) {
            c.send(input);
            c.shutdownOutput();
            return c.readToEof();
        }
    }

    /** A client of a data-plane listener that has exchanged one byte with the echo backend. */
    Socket client(String listener) throws IOException {
        Socket s = new Socket();
        s.connect(pb.listenerAddress(listener), 5000);
        s.setSoTimeout(10_000);
        clients.add(s);
        return s;
    }

    static void ping(Socket s) throws IOException {
        s.getOutputStream().write('x');
        s.getOutputStream().flush();
        if (s.getInputStream().read() != 'x') {
            throw new IOException("echo failed");
        }
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : clients) {
            try {
                c.close();
            } catch (Exception ignored) {
                // already closed by the test
            }
        }
        pb.close();
        for (Channel e : echoes) {
            e.close().sync();
        }
        echoGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** A blocking CLI client over a UNIX or TCP socket. */
    static final class Conn implements AutoCloseable {
        private final SocketChannel ch;
        private final InputStream in;
        private final OutputStream out;

        private Conn(SocketChannel ch) {
            this.ch = ch;
            this.in = Channels.newInputStream(ch);
            this.out = Channels.newOutputStream(ch);
        }

        static Conn open(SocketAddress a) throws IOException {
            SocketChannel ch;
            if (a instanceof InetSocketAddress) {
                ch = SocketChannel.open(a);
            } else {
                ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ch.connect(a);
            }
            return new Conn(ch);
        }

        void send(String s) throws IOException {
            send(s.getBytes(StandardCharsets.UTF_8));
        }

        void send(byte[] b) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }

        void shutdownOutput() throws IOException {
            ch.shutdownOutput();
        }

        /** Reads until the server closes (at most 10 s). */
        String readToEof() throws IOException {
            return new String(readBytesToEof(), StandardCharsets.UTF_8);
        }

        /** The raw bytes up to the server's close (at most 10 s). */
        byte[] readBytesToEof() throws IOException {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            byte[] b = new byte[65536];
            while (System.nanoTime() < deadline) {
                int n = in.read(b);
                if (n < 0) {
                    return all.toByteArray();
                }
                all.write(b, 0, n);
            }
            throw new IOException("no EOF within 10 s; got: " + all.toString(StandardCharsets.UTF_8));
        }

        /** Reads until the output ends with {@code suffix} (at most 10 s). */
        String readUntil(String suffix) throws IOException {
            StringBuilder sb = new StringBuilder();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            byte[] b = new byte[65536];
            while (!sb.toString().endsWith(suffix)) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("no '" + suffix + "' within 10 s; got: " + sb);
                }
                int n = in.read(b);
                if (n < 0) {
                    throw new IOException("EOF before '" + suffix + "'; got: " + sb);
                }
                sb.append(new String(b, 0, n, StandardCharsets.UTF_8));
            }
            return sb.toString();
        }

        /** True if the server closed the connection (reads to EOF, at most 10 s). */
        boolean closedByServer() throws IOException {
            readToEof();
            return true;
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
