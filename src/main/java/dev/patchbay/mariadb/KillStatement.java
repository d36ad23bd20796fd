package dev.patchbay.mariadb;

import dev.patchbay.mariadb.protocol.Commands;
import dev.patchbay.mariadb.protocol.Packets;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A KILL that addresses a connection id (PROTOCOL.md §12): {@code KILL [HARD|SOFT]
 * [CONNECTION|QUERY] <id>} in a COM_QUERY, or COM_PROCESS_KILL. {@code KILL ... USER u} and
 * {@code KILL QUERY ID n} are not recognised here and go to the backend unchanged.
 */
record KillStatement(boolean queryOnly, boolean hard, long id) {
    private static final Pattern KILL = Pattern.compile(
            "\\s*KILL\\s+(?:(HARD|SOFT)\\s+)?(?:(CONNECTION|QUERY)\\s+)?(\\d{1,19})\\s*;?\\s*",
            Pattern.CASE_INSENSITIVE);

    /** The KILL in a command frame, or null if the frame is not one. */
    static KillStatement of(ByteBuf frame) {
        int cmd = Packets.firstByte(frame);
        int len = Packets.payloadLength(frame);
        int off = frame.readerIndex() + Packets.HEADER;
        if (cmd == Commands.COM_PROCESS_KILL && len >= 5) {
            return new KillStatement(false, true, frame.getUnsignedIntLE(off + 1));
        }
        if (cmd != Commands.COM_QUERY || len > 200 || len < 6) {
            return null;
        }
        String sql = frame.toString(off + 1, len - 1, StandardCharsets.UTF_8);
        Matcher m = KILL.matcher(sql);
        if (!m.matches()) {
            return null;
        }
        try {
            return new KillStatement("QUERY".equalsIgnoreCase(m.group(2)), !"SOFT".equalsIgnoreCase(m.group(1)),
                    Long.parseLong(m.group(3)));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The statement to run on a backend for thread {@code threadId}. */
    String forBackend(long threadId) {
        return "KILL " + (hard ? "" : "SOFT ") + (queryOnly ? "QUERY " : "CONNECTION ") + threadId;
    }
}
