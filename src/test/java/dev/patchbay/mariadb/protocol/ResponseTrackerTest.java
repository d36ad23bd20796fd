package dev.patchbay.mariadb.protocol;

import static dev.patchbay.mariadb.protocol.Frames.eof;
import static dev.patchbay.mariadb.protocol.Frames.err;
import static dev.patchbay.mariadb.protocol.Frames.frame;
import static dev.patchbay.mariadb.protocol.Frames.ok;
import static dev.patchbay.mariadb.protocol.Frames.okAsEof;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResponseTrackerTest {

    /** Feeds frames; returns the index of the frame that completed the response, -1 if none. */
    private static int feed(ResponseTracker t, ByteBuf... frames) {
        int done = -1;
        for (int i = 0; i < frames.length; i++) {
            if (t.onFrame(frames[i])) {
                assertThat(done).as("completed twice").isEqualTo(-1);
                done = i;
            }
            frames[i].release();
        }
        return done;
    }

    @Test
    void okAndErrComplete() {
        ResponseTracker t = new ResponseTracker(true);
        t.begin(ResponseTracker.Shape.RESULT);
        assertThat(feed(t, ok(1, 3))).isZero();
        assertThat(t.status()).isEqualTo(3);
        assertThat(ServerStatus.inTransaction(t.status())).isTrue();
        t.begin(ResponseTracker.Shape.RESULT);
        assertThat(feed(t, err(1))).isZero();
        assertThat(t.lastWasError()).isTrue();
        assertThat(t.status()).as("ERR keeps the status").isEqualTo(3);
        assertThat(t.busy()).isFalse();
    }

    @Test
    void resultSetWithEof() {
        ResponseTracker t = new ResponseTracker(false);
        t.begin(ResponseTracker.Shape.RESULT);
        // 2 columns, EOF, a row starting with 0xFE that is long (a lenenc 8-byte string), a row, EOF.
        ByteBuf longRow = Unpooled.buffer().writeByte(0xFE).writeLongLE(1).writeByte('x').writeByte(1).writeByte('y');
        assertThat(feed(t, frame(1, 2), frame(2, 3, 'd', 'e', 'f'), frame(3, 3, 'd', 'e', 'f'), eof(4, 2),
                frame(5, longRow), frame(6, 1, 'a', 1, 'b'), eof(7, 0x22))).isEqualTo(6);
        assertThat(t.status()).isEqualTo(0x22);
    }

    @Test
    void resultSetWithDeprecateEofAndMultipleResults() {
        ResponseTracker t = new ResponseTracker(true);
        t.begin(ResponseTracker.Shape.RESULT);
        assertThat(feed(t, frame(1, 1), frame(2, 3, 'd', 'e', 'f'), frame(3, 1, '1'),
                okAsEof(4, ServerStatus.MORE_RESULTS_EXISTS | 2), frame(5, 1), frame(6, 3, 'd', 'e', 'f'),
                frame(7, 1, '2'), okAsEof(8, 2))).isEqualTo(7);
        t.begin(ResponseTracker.Shape.RESULT);
        assertThat(feed(t, ok(1, ServerStatus.MORE_RESULTS_EXISTS | 2), ok(2, 2))).isEqualTo(1);
    }

    @Test
    void errorInsideRowsCompletes() {
        ResponseTracker t = new ResponseTracker(true);
        t.begin(ResponseTracker.Shape.RESULT);
        assertThat(feed(t, frame(1, 1), frame(2, 3, 'd', 'e', 'f'), frame(3, 1, '1'), err(4))).isEqualTo(3);
    }

    @Test
    void localInfileWaitsForTheClientsFile() {
        ResponseTracker t = new ResponseTracker(true);
        t.begin(ResponseTracker.Shape.RESULT);
        assertThat(feed(t, frame(1, 0xFB, 'f'))).isEqualTo(-1);
        assertThat(t.awaitingInfile()).isTrue();
        ByteBuf early = ok(5, 2);
        assertThatThrownBy(() -> t.onFrame(early)).isInstanceOf(ProtocolException.class);
        early.release();
        t.infileSent();
        assertThat(feed(t, ok(5, 2))).isZero();
    }

    @Test
    void prepareOkWithParametersAndColumns() {
        for (boolean deprecateEof : new boolean[] {true, false}) {
            ResponseTracker t = new ResponseTracker(deprecateEof);
            t.begin(ResponseTracker.Shape.PREPARE);
            List<ByteBuf> frames = new ArrayList<>();
            frames.add(frame(1, 0, 1, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0));
            frames.add(frame(2, 3, 'd', 'e', 'f'));
            frames.add(frame(3, 3, 'd', 'e', 'f'));
            if (!deprecateEof) {
                frames.add(eof(4, 2));
            }
            frames.add(frame(5, 3, 'd', 'e', 'f'));
            if (!deprecateEof) {
                frames.add(eof(6, 2));
            }
            assertThat(feed(t, frames.toArray(ByteBuf[]::new))).isEqualTo(frames.size() - 1);
            t.begin(ResponseTracker.Shape.PREPARE);
            assertThat(feed(t, frame(1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))).isZero();
        }
    }

    @Test
    void splitRowsAreOnePacket() {
        ResponseTracker t = new ResponseTracker(true);
        t.begin(ResponseTracker.Shape.RESULT);
        feed(t, frame(1, 1), frame(2, 3, 'd', 'e', 'f'));
        ByteBuf big = Unpooled.buffer().writeMediumLE(Packets.MAX_FRAME_PAYLOAD).writeByte(3).writeByte(0xFE)
                .writeZero(Packets.MAX_FRAME_PAYLOAD - 1);
        // The continuation frame starts with 0xFE and is short: still part of the row.
        assertThat(feed(t, big, frame(4, 0xFE, 0, 0, 0, 0), okAsEof(5, 2))).isEqualTo(2);
    }

    @Test
    void fieldListAndSingleAndFetch() {
        ResponseTracker t = new ResponseTracker(false);
        t.begin(ResponseTracker.Shape.FIELD_LIST);
        assertThat(feed(t, frame(1, 3, 'd', 'e', 'f'), eof(2, 2))).isEqualTo(1);
        t.begin(ResponseTracker.Shape.SINGLE);
        assertThat(feed(t, frame(1, 'U', 'p', 't', 'i', 'm', 'e'))).isZero();
        t.begin(ResponseTracker.Shape.ROWS);
        assertThat(feed(t, frame(1, 0, 0), eof(2, ServerStatus.LAST_ROW_SENT))).isEqualTo(1);
    }

    @Test
    void packetsWithoutACommandAreProtocolErrors() {
        ResponseTracker t = new ResponseTracker(true);
        ByteBuf f = ok(1, 2);
        assertThatThrownBy(() -> t.onFrame(f)).isInstanceOf(ProtocolException.class);
        f.release();
        assertThat(ResponseTracker.Shape.of(Commands.COM_STMT_CLOSE)).isNull();
        assertThat(ResponseTracker.Shape.of(Commands.COM_QUIT)).isNull();
        assertThat(ResponseTracker.Shape.of(Commands.COM_STMT_SEND_LONG_DATA)).isNull();
        assertThat(ResponseTracker.Shape.of(Commands.COM_PING)).isEqualTo(ResponseTracker.Shape.SINGLE);
    }
}
