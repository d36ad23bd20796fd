package dev.patchbay.admin.runtime;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The CLI's text as bytes, the way HAProxy handles it: command lines are decoded as UTF-8 so that
 * names match the configuration, but a byte that is not part of valid UTF-8 becomes the lone
 * surrogate {@code U+DC80..U+DCFF} (Python's "surrogateescape") and is written back as that same
 * byte, so whatever a command echoes goes back unchanged ({@code sh\xffw} stays {@code sh\xffw}).
 */
final class CliBytes {
    private static final char ESCAPE_BASE = 0xDC00;

    private CliBytes() {}

    /** {@code len} bytes from {@code index}, valid UTF-8 decoded, every other byte escaped. */
    static String decode(ByteBuf buf, int index, int len) {
        ByteBuffer in = buf.nioBuffer(index, len);
        CharBuffer out = CharBuffer.allocate(len); // never more chars than bytes
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        while (true) {
            CoderResult r = dec.decode(in, out, true);
            if (r.isUnderflow()) {
                break;
            }
            for (int i = 0; i < r.length(); i++) {
                out.put((char) (ESCAPE_BASE | (in.get() & 0xFF)));
            }
        }
        dec.flush(out);
        return out.flip().toString();
    }

    /** Writes {@code text} as UTF-8, escaped bytes back as themselves. */
    static void write(ByteBuf out, CharSequence text) {
        int n = text.length();
        int from = 0;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c >= 0xDC80 && c <= 0xDCFF && (i == 0 || !Character.isHighSurrogate(text.charAt(i - 1)))) {
                out.writeCharSequence(text.subSequence(from, i), StandardCharsets.UTF_8);
                out.writeByte(c & 0xFF);
                from = i + 1;
            }
        }
        out.writeCharSequence(from == 0 ? text : text.subSequence(from, n), StandardCharsets.UTF_8);
    }
}
