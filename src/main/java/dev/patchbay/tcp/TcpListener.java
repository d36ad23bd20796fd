package dev.patchbay.tcp;

import dev.patchbay.Patchbay;
import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Frontend;
import dev.patchbay.net.SocketListener;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;

/** A {@code protocol=tcp} listener: each client gets a {@link TcpSession}. */
public final class TcpListener extends SocketListener {

    public TcpListener(Patchbay patchbay, PatchbayConfig.ListenerConfig config, Frontend frontend) {
        super(patchbay, config, frontend);
    }

    @Override
    protected void configure(ServerBootstrap b) {
        // Half-closes are relayed, not treated as a close.
        b.childOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        // The client is read from accept on, while the backend connects: a request that came with the
        // connection (HTTP) is then sent the moment the connect completes, one event-loop pass earlier, and
        // the server's wake-up for the connection is often its wake-up for the request too. TcpSession holds
        // what arrives early, up to EARLY_LIMIT.
        b.childOption(ChannelOption.AUTO_READ, true);
    }

    @Override
    protected void initClient(SocketChannel ch, int loop) {
        TcpSession session = new TcpSession(patchbay, frontend, loop);
        ch.pipeline().addLast(TcpRelayHandler.NAME, new TcpRelayHandler(session, true));
    }

    @Override
    protected String protocolLabel() {
        return "tcp";
    }
}
