package dev.patchbay.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.ProtocolDetectionResult;
import io.netty.handler.codec.ProtocolDetectionState;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import java.util.List;

/**
 * First stage of a client pipeline whose peer is in the listener's {@code proxy_protocol_networks}: looks at
 * the first bytes for a PROXY protocol header (v1 text or v2 binary). A header replaces this stage with Netty's
 * {@link HAProxyMessageDecoder}, which passes one {@link io.netty.handler.codec.haproxy.HAProxyMessage} on and
 * then the bytes that follow it. Without a header, a {@code required} reader fails the channel with
 * {@link MissingHeader} (TCP mode, as HAProxy's accept-proxy); otherwise it steps aside and the bytes pass
 * unchanged (MariaDB mode, where the header is optional as in MariaDB Server and MaxScale).
 */
public final class ProxyHeaderReader extends ByteToMessageDecoder {
    public static final String NAME = "proxy-header";
    /** How long a TCP-mode session waits for its header before it is closed (MariaDB mode: its login deadline). */
    public static final long TIMEOUT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);

    /** The peer sent something other than a PROXY protocol header. */
    public static final class MissingHeader extends Exception {
        MissingHeader(String message) {
            super(message, null, false, false);
        }
    }

    private final boolean required;

    public ProxyHeaderReader(boolean required) {
        this.required = required;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        ProtocolDetectionResult<HAProxyProtocolVersion> r = HAProxyMessageDecoder.detectProtocol(in);
        if (r.state() == ProtocolDetectionState.NEEDS_MORE_DATA) {
            return;
        }
        if (r.state() == ProtocolDetectionState.DETECTED) {
            // The decoder receives what this stage holds once it is removed (ByteToMessageDecoder hands its buffer on).
            ctx.pipeline().addAfter(ctx.name(), "proxy-header-decoder", new HAProxyMessageDecoder());
            ctx.pipeline().remove(this);
            return;
        }
        if (required) {
            in.skipBytes(in.readableBytes());
            throw new MissingHeader("no PROXY protocol header from " + ctx.channel().remoteAddress()
                    + " (the listener's proxy_protocol_networks lists it)");
        }
        ctx.pipeline().remove(this);
    }
}
