package dev.patchbay.net;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerDomainSocketChannel;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The I/O engine of every channel ({@code [patchbay] transport}): epoll on Linux by default (splice), io_uring
 * when asked for (fewer system calls per connection: see docs/PERFORMANCE.md), NIO elsewhere. One choice for
 * the whole process so that every channel of a session can share its event loop.
 */
public record Transport(
        String name,
        IoHandlerFactory ioHandlerFactory,
        Class<? extends ServerChannel> serverChannel,
        Class<? extends SocketChannel> socketChannel,
        Class<? extends ServerChannel> serverDomainChannel) {

    /**
     * The read-size policy of every session channel: Netty's default (adaptive, 2 KiB first, 64 KiB at most),
     * one instance for all channels instead of one per channel. It has no state (each channel gets its own
     * handle), and two copies per session were about 80 bytes of every idle session's heap.
     */
    public static final RecvByteBufAllocator SESSION_READS = new AdaptiveRecvByteBufAllocator();

    /** {@code transport=auto}: epoll where it loads, NIO otherwise. */
    public static Transport detect() {
        return Epoll.isAvailable() ? epoll() : nio();
    }

    /**
     * The transport {@code [patchbay] transport} names (auto, epoll, io_uring or nio). An engine asked for by
     * name and not usable here is an error naming why, not a silent fallback: the operator chose it.
     */
    public static Transport select(String wanted) {
        return switch (wanted) {
            case "auto" -> detect();
            case "epoll" -> {
                requireAvailable("epoll", Epoll.unavailabilityCause());
                yield epoll();
            }
            case "io_uring" -> {
                requireAvailable("io_uring", IoUring.unavailabilityCause());
                yield ioUring();
            }
            case "nio" -> nio();
            default -> throw new IllegalArgumentException("transport=" + wanted + ": expected auto, epoll, io_uring or nio");
        };
    }

    private static void requireAvailable(String name, Throwable cause) {
        if (cause != null) {
            throw new IllegalStateException("transport=" + name + " is not available on this system: "
                    + cause.getMessage() + (cause.getCause() == null ? "" : " (" + cause.getCause().getMessage() + ")"));
        }
    }

    private static Transport epoll() {
        return new Transport("epoll", EpollRegistrationFix.epoll(), EpollServerSocketChannel.class,
                EpollSocketChannel.class, EpollServerDomainSocketChannel.class);
    }

    private static Transport ioUring() {
        return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                IoUringSocketChannel.class, IoUringServerDomainSocketChannel.class);
    }

    public static Transport nio() {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class,
                NioSocketChannel.class, NioServerDomainSocketChannel.class);
    }

    /** Splice and the epoll interest batching need it. */
    public boolean isEpoll() {
        return name.equals("epoll");
    }

    /**
     * The transport of the admin sockets (stats sockets, REST): this one, except that io_uring serves sessions
     * only. Netty's io_uring Unix socket channel lost the answer to a client that half-closes after its command
     * (socat's way), and the admin side gains nothing from the ring. Admin code never registers a channel on a
     * worker loop or the reverse, so the two transports never meet.
     */
    public Transport forAdmin() {
        return name.equals("io_uring") ? detect() : this;
    }

    /** Why epoll is not used by {@code transport=auto}, for the startup log line. */
    public static String epollUnavailableReason() {
        Throwable cause = Epoll.unavailabilityCause();
        return cause == null ? "" : String.valueOf(cause.getMessage());
    }

    /**
     * A new unregistered client socket channel for a connection to {@code remote}. On epoll the socket is
     * created in the address's family (an IPv4 server gets an AF_INET socket, which spares the IPV6_V6ONLY
     * option call of a dual-stack socket); no reflection, unlike a Bootstrap's channel factory.
     */
    public SocketChannel newSocketChannel(InetSocketAddress remote) {
        if (isEpoll()) {
            return new EpollSocketChannel(remote.getAddress() instanceof Inet4Address
                    ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6);
        }
        return name.equals("io_uring") ? new IoUringSocketChannel() : new NioSocketChannel();
    }

    /**
     * A new listening channel for {@code bindAddress}. On epoll an IPv4 literal gets an AF_INET socket:
     * Netty's default is a dual-stack AF_INET6 socket, whose accepted connections carry v4-mapped
     * addresses and take the kernel's IPv6 socket paths for what is IPv4 traffic.
     */
    public ServerChannel newServerChannel(String bindAddress) {
        if (isEpoll() && NetUtil.isValidIpV4Address(bindAddress)) {
            return new EpollServerSocketChannel(SocketProtocolFamily.INET);
        }
        return new ReflectiveChannelFactory<>(serverChannel).newChannel();
    }

    /**
     * Connects a backend channel on {@code loop}: what a Bootstrap would do, without building one per
     * connect (its option maps, reflective channel factory and resolver lookup). The channel does not
     * read until told to, allows half-closure, and carries {@code handler}; TCP_NODELAY is Netty's
     * default. The future fails (and the channel is closed) when the connect does, or when {@code
     * connectTimeoutNanos} pass first; with 0 the caller enforces its own deadline by failing the promise.
     */
    public ChannelPromise connect(EventLoop loop, InetSocketAddress remote, long connectTimeoutNanos,
                                  ChannelHandler handler) {
        return connect(loop, remote, connectTimeoutNanos, handler, null);
    }

    /**
     * The same, and {@code proxyHeader} (if not null) is the connection's first bytes: written when the connect
     * succeeds, before the future's other listeners run.
     */
    public ChannelPromise connect(EventLoop loop, InetSocketAddress remote, long connectTimeoutNanos,
                                  ChannelHandler handler, HAProxyMessage proxyHeader) {
        Channel ch = newSocketChannel(remote);
        SocketChannelConfig cfg = (SocketChannelConfig) ch.config();
        long timeoutMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(connectTimeoutNanos));
        // Our own timeout task rather than Netty's CONNECT_TIMEOUT_MILLIS: Netty's channel keeps its cancelled
        // task referenced for the channel's life (64 bytes of every idle session's heap).
        cfg.setConnectTimeoutMillis(0);
        cfg.setAutoRead(false);
        cfg.setAllowHalfClosure(true);
        cfg.setRecvByteBufAllocator(SESSION_READS);
        ch.pipeline().addLast(handler);
        ChannelPromise connected = ch.newPromise();
        connected.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        if (proxyHeader != null) {
            connected.addListener(f -> {
                if (f.isSuccess()) {
                    ProxyHeaders.write(ch, proxyHeader);
                } else {
                    proxyHeader.release();
                }
            });
        }
        loop.register(ch).addListener((ChannelFutureListener) reg -> {
            if (reg.isSuccess()) {
                ch.connect(remote, connected);
                if (connectTimeoutNanos > 0 && !connected.isDone()) {
                    Future<?> timeout = loop.schedule(() -> connected.tryFailure(connectTimeout(timeoutMs, remote)),
                            timeoutMs, TimeUnit.MILLISECONDS);
                    connected.addListener(f -> timeout.cancel(false));
                }
            } else {
                if (ch.isRegistered()) {
                    ch.close();
                } else {
                    ch.unsafe().closeForcibly();
                }
                connected.tryFailure(reg.cause());
            }
        });
        return connected;
    }

    /** A connect that did not complete within {@code timeoutMs}: Netty's own wording, which causes and logs show. */
    public static ConnectTimeoutException connectTimeout(long timeoutMs, InetSocketAddress remote) {
        return new ConnectTimeoutException("connection timed out after " + timeoutMs + " ms: " + remote);
    }

    /**
     * Whether what {@code src} delivers in the event being handled is the last of its input (its peer's FIN came
     * with it, and the end of the stream is read before the event is done). Known on epoll only; false elsewhere.
     */
    public static boolean endOfStreamFollows(Channel src) {
        return src instanceof EpollSocketChannel && EpollRegistrationFix.endOfStreamFollows(src);
    }

    public MultiThreadIoEventLoopGroup newGroup(int threads, String threadName) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadName, true), ioHandlerFactory);
    }

    private static final java.util.regex.Pattern NATIVE_CALL_PREFIX =
            java.util.regex.Pattern.compile("^(?:io_uring )?\\w+\\(\\.\\.\\) failed(?: with error\\(-?\\d+\\))?: ");

    /**
     * A socket error as operators read it: the kernel's words ("Connection reset by peer") without the
     * name of the native call Netty made ("recvAddress(..) failed with error(-104): ").
     */
    public static String ioProblem(Throwable t) {
        String m = t.getMessage();
        if (m == null) {
            return t.getClass().getSimpleName();
        }
        return t instanceof java.io.IOException ? NATIVE_CALL_PREFIX.matcher(m).replaceFirst("") : m;
    }

    /** A failed connect in words: "connect timeout", else as {@link #ioProblem} ("Connection refused: …"). */
    public static String connectFailure(Throwable t) {
        return t instanceof io.netty.channel.ConnectTimeoutException ? "connect timeout" : ioProblem(t);
    }
}
