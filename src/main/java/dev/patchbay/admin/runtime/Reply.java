package dev.patchbay.admin.runtime;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * A command's answer, pulled by the connection chunk by chunk while the socket is writable, so a
 * long dump never sits in memory whole. The connection adds the empty line that ends every
 * response unless {@link #endsResponse()} says otherwise.
 */
interface Reply {
    /** Soft size of one chunk: fill() stops adding lines once it has written this much. */
    int CHUNK = 16 * 1024;

    /** Appends the next part of the answer to {@code out}; true once the answer is complete. */
    boolean fill(ByteBuf out);

    /** False for {@code quit} (nothing at all) and {@code operator -} (no trailing empty line). */
    default boolean endsResponse() {
        return true;
    }

    /** A complete text; a final LF is added if missing so the terminator stays an empty line. */
    static Reply text(String text) {
        String t = text.isEmpty() || text.endsWith("\n") ? text : text + "\n";
        return out -> {
            CliBytes.write(out, t); // echoed command bytes go back unchanged
            return true;
        };
    }

    /** The answer of commands that succeed silently: just the terminating empty line. */
    static Reply empty() {
        return out -> true;
    }

    /** Nothing, not even the terminator. */
    static Reply none() {
        return new Reply() {
            @Override
            public boolean fill(ByteBuf out) {
                return true;
            }

            @Override
            public boolean endsResponse() {
                return false;
            }
        };
    }

    static Reply permissionDenied() {
        return text("Permission denied\n");
    }

    /** An answer that exists only once {@code future} completes (the connection waits, reading nothing). */
    static Reply later(CompletableFuture<Reply> future) {
        return new Later(future);
    }

    /** See {@link #later}. Never filled directly. */
    record Later(CompletableFuture<Reply> future) implements Reply {
        @Override
        public boolean fill(ByteBuf out) {
            throw new IllegalStateException("a deferred reply is resolved before it is written");
        }
    }
}
