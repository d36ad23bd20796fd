package dev.patchbay.admin.runtime;

import dev.patchbay.Patchbay;
import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Frontend;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code type=stats_socket} section: a listener of the GLOBAL frontend, on a UNIX socket or
 * TCP, on the admin event loop.
 *
 * <p>A UNIX socket is bound under a temporary name, given its mode, then renamed over the
 * configured path, as HAProxy does: the path never points to a socket with the wrong
 * permissions, and a stale socket left by a crashed process is replaced. Only a socket file is
 * ever replaced; on close the file is removed if it is still ours.
 */
final class StatsSocket {
    private static final Logger log = LoggerFactory.getLogger(StatsSocket.class);

    private final RuntimeApi api;
    private final PatchbayConfig.StatsSocketConfig config;
    private final int index;
    private final Frontend frontend;
    private final Level level;
    private Channel listener;
    private Object fileKey;

    StatsSocket(RuntimeApi api, PatchbayConfig.StatsSocketConfig config, int index) {
        this.api = api;
        this.config = config;
        this.index = index;
        this.level = Level.parse(config.level());
        this.frontend = new Frontend(Frontend.GLOBAL, 0, index, "cli", config.label(), null, config.timeoutNanos());
    }

    PatchbayConfig.StatsSocketConfig config() {
        return config;
    }

    /** The socket's 1-based position among the stats sockets (HAProxy's listener luid). */
    int index() {
        return index;
    }

    Frontend frontend() {
        return frontend;
    }

    Level level() {
        return level;
    }

    /** HAProxy's label, {@code unix@/path} or {@code ipv4@addr:port} (with the real port once bound). */
    String label() {
        if (config.isUnix() || listener == null) {
            return config.label();
        }
        java.net.InetSocketAddress a = (java.net.InetSocketAddress) listener.localAddress();
        return (config.address().contains(":") ? "ipv6@[" + config.address() + "]:" : "ipv4@" + config.address() + ":")
                + a.getPort();
    }

    /** Where clients connect: the socket file's path, or the TCP address with its real port. */
    SocketAddress boundAddress() {
        if (config.isUnix()) {
            return UnixDomainSocketAddress.of(Path.of(config.socket()).toAbsolutePath());
        }
        return listener.localAddress();
    }

    void bind(Keywords keywords) throws Exception {
        Patchbay pb = api.patchbay();
        boolean unix = config.isUnix();
        ServerBootstrap b = new ServerBootstrap()
                .group(pb.adminGroup())
                .channel(unix ? pb.adminTransport().serverDomainChannel() : pb.adminTransport().serverChannel())
                .handler(new ConnectionLimiter(config.maxConnections()))
                // socat half-closes after its request: the answer must still go out.
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(CliLineDecoder.NAME, new CliLineDecoder());
                        ch.pipeline().addLast(CliHandler.NAME, new CliHandler(api, StatsSocket.this, keywords));
                    }
                });
        if (unix) {
            bindUnix(b, pb);
        } else {
            b.option(ChannelOption.SO_REUSEADDR, true);
            try {
                listener = b.bind(config.address(), config.port()).sync().channel();
            } catch (Exception e) {
                throw new IllegalStateException("stats_socket [" + config.name() + "] cannot listen on "
                        + config.address() + ":" + config.port() + ": " + e.getMessage(), e);
            }
        }
        log.info("Runtime API socket {} ({}) level {}", label(), config.name(), level.label());
    }

    private void bindUnix(ServerBootstrap b, Patchbay pb) throws Exception {
        Path path = Path.of(config.socket()).toAbsolutePath();
        Path tmp = path.resolveSibling(path.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attrs.isOther()) {
                throw new IllegalStateException("stats_socket [" + config.name() + "]: " + path
                        + " exists and is not a socket; refusing to replace it");
            }
        }
        Files.deleteIfExists(tmp);
        SocketAddress address = pb.adminTransport().isEpoll() ? new DomainSocketAddress(tmp.toString())
                : UnixDomainSocketAddress.of(tmp);
        try {
            listener = b.bind(address).sync().channel();
            if (config.mode() >= 0) {
                Files.setPosixFilePermissions(tmp, permissions(config.mode()));
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (Exception e) {
            if (listener != null) {
                listener.close().syncUninterruptibly();
            }
            Files.deleteIfExists(tmp);
            throw new IllegalStateException("stats_socket [" + config.name() + "] cannot listen on " + path + ": "
                    + e.getMessage(), e);
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
        };
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                set.add(bits[i]);
            }
        }
        return set;
    }

    /** Stops accepting; removes the socket file if it is still the one this socket created. */
    void close() {
        if (listener != null && listener.isOpen()) {
            listener.close().syncUninterruptibly();
        }
        if (config.isUnix() && fileKey != null) {
            Path path = Path.of(config.socket()).toAbsolutePath();
            try {
                Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
                if (fileKey.equals(key)) {
                    Files.delete(path);
                }
            } catch (IOException e) {
                log.debug("Stats socket {} already gone: {}", path, e.toString());
            }
        }
    }
}
