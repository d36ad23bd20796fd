package dev.patchbay.mariadb;

import dev.patchbay.mariadb.protocol.HandshakeResponse;
import dev.patchbay.mariadb.protocol.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslContext;
import java.util.List;

/**
 * First stage of a TLS-capable MariaDB listener's client pipeline. Looks at the client's first
 * packet: an SSLRequest is passed on (so the session knows) and this stage replaces itself with an
 * {@link io.netty.handler.ssl.SslHandler}, which receives any bytes already read after the
 * SSLRequest (the TLS ClientHello); anything else passes through and this stage removes itself.
 */
final class SslRequestDetector extends ByteToMessageDecoder {
    static final String NAME = "mariadb-ssl-request";

    private final SslContext ssl;

    SslRequestDetector(SslContext ssl) {
        this.ssl = ssl;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < Packets.HEADER) {
            return;
        }
        int len = in.getUnsignedMediumLE(in.readerIndex());
        if (len != HandshakeResponse.SSL_REQUEST_LENGTH) {
            ctx.pipeline().remove(this);
            return;
        }
        if (in.readableBytes() < Packets.HEADER + len) {
            return;
        }
        ByteBuf frame = in.readRetainedSlice(Packets.HEADER + len);
        boolean sslRequest = HandshakeResponse.isSslRequest(Packets.payload(frame));
        // Fire before replacing: what this stage fires later would go into the SslHandler.
        ctx.fireChannelRead(frame);
        if (sslRequest) {
            ctx.pipeline().replace(this, "ssl", ssl.newHandler(ctx.alloc()));
        } else {
            ctx.pipeline().remove(this);
        }
    }
}
