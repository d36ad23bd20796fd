package dev.patchbay.mariadb.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The response state machine of one backend connection (PROTOCOL.md §7 "Response state
 * machine"): fed every frame the backend sends in the command phase, it tells when the response
 * to the oldest outstanding command is complete and keeps the last server status word. Frames are
 * only looked at, never changed or kept, so relaying stays byte-exact.
 *
 * <p>One instance per backend connection, used on its event loop only.
 */
public final class ResponseTracker {

    /** How a command's response is shaped. */
    public enum Shape {
        /** OK, ERR, LOCAL INFILE request or result set(s): COM_QUERY, COM_STMT_EXECUTE, COM_PROCESS_INFO. */
        RESULT,
        /** COM_STMT_PREPARE_OK with parameter and column definitions, or ERR. */
        PREPARE,
        /** Column definitions until EOF, or ERR: COM_FIELD_LIST. */
        FIELD_LIST,
        /** Rows until EOF, or ERR: COM_STMT_FETCH. */
        ROWS,
        /** Exactly one packet (OK, ERR, EOF or a string): everything else that answers. */
        SINGLE;

        /** The shape of the response to {@code command}, null if the command gets no response. */
        public static Shape of(int command) {
            switch (command) {
                case Commands.COM_QUERY:
                case Commands.COM_STMT_EXECUTE:
                case Commands.COM_PROCESS_INFO:
                    return RESULT;
                case Commands.COM_STMT_PREPARE:
                    return PREPARE;
                case Commands.COM_FIELD_LIST:
                    return FIELD_LIST;
                case Commands.COM_STMT_FETCH:
                    return ROWS;
                case Commands.COM_QUIT:
                case Commands.COM_STMT_SEND_LONG_DATA:
                case Commands.COM_STMT_CLOSE:
                    return null;
                default:
                    return SINGLE;
            }
        }
    }

    private enum Phase { IDLE, FIRST, COLUMNS, COLUMNS_EOF, ROWS, INFILE, PREPARE_PARAMS, PREPARE_PARAMS_EOF,
        PREPARE_COLUMNS, PREPARE_COLUMNS_EOF, FIELDS, SINGLE }

    private final boolean deprecateEof;
    private Shape shape;
    private Phase phase = Phase.IDLE;
    private long remaining;
    private long prepareColumns;
    private boolean inContinuation;
    private int status = ServerStatus.AUTOCOMMIT;
    private boolean lastWasError;
    private int lastErrorCode;

    public ResponseTracker(boolean deprecateEof) {
        this.deprecateEof = deprecateEof;
    }

    /** Starts tracking the response to a command just sent (the previous one must be complete). */
    public void begin(Shape s) {
        shape = s;
        lastWasError = false;
        lastErrorCode = 0;
        switch (s) {
            case RESULT -> phase = Phase.FIRST;
            case PREPARE -> phase = Phase.FIRST;
            case FIELD_LIST -> phase = Phase.FIELDS;
            case ROWS -> phase = Phase.ROWS;
            default -> phase = Phase.SINGLE;
        }
    }

    public boolean busy() {
        return phase != Phase.IDLE;
    }

    /** The backend asked for a LOCAL INFILE file: client frames are file data until an empty packet. */
    public boolean awaitingInfile() {
        return phase == Phase.INFILE;
    }

    /** The client finished sending the file (its empty packet); the backend's OK or ERR comes next. */
    public void infileSent() {
        if (phase == Phase.INFILE) {
            phase = Phase.FIRST;
        }
    }

    /** The latest server status word (from the last OK or EOF; ERR leaves it unchanged). */
    public int status() {
        return status;
    }

    /** The status as it was at connect time (from the backend's OK to the login). */
    public void status(int s) {
        status = s;
    }

    /** True if the last completed response ended in ERR. */
    public boolean lastWasError() {
        return lastWasError;
    }

    public int lastErrorCode() {
        return lastErrorCode;
    }

    /**
     * Feeds one backend frame. Returns true when this frame completes the response to the current
     * command. Throws {@link ProtocolException} for a frame that cannot be part of the response.
     */
    public boolean onFrame(ByteBuf frame) {
        if (inContinuation) {
            inContinuation = Packets.continues(frame);
            return false;
        }
        inContinuation = Packets.continues(frame);
        if (phase == Phase.IDLE) {
            throw new ProtocolException("unexpected packet from the server while no command is pending");
        }
        int len = Packets.payloadLength(frame);
        int first = Packets.firstByte(frame);
        // The payload slice is made only where a field is read: not for the rows of a result set.
        switch (phase) {
            case SINGLE:
                if (first == Packets.ERR) {
                    error(Packets.payload(frame));
                } else if (first == Packets.OK || first == Packets.EOF) {
                    okOrEof(Packets.payload(frame), first, len);
                }
                return done();
            case FIRST:
                if (first == Packets.ERR) {
                    error(Packets.payload(frame));
                    return done();
                }
                if (shape == Shape.PREPARE) {
                    return prepareOk(Packets.payload(frame), first);
                }
                if (first == Packets.OK) {
                    int st = okStatus(Packets.payload(frame));
                    return (st & ServerStatus.MORE_RESULTS_EXISTS) != 0 ? false : done();
                }
                if (first == Packets.LOCAL_INFILE) {
                    phase = Phase.INFILE;
                    return false;
                }
                remaining = Packets.readLenenc(Packets.payload(frame), "column count");
                if (remaining == 0) {
                    throw new ProtocolException("result set without columns");
                }
                phase = Phase.COLUMNS;
                return false;
            case COLUMNS:
                if (first == Packets.ERR) {
                    error(Packets.payload(frame));
                    return done();
                }
                if (--remaining == 0) {
                    phase = deprecateEof ? Phase.ROWS : Phase.COLUMNS_EOF;
                }
                return false;
            case COLUMNS_EOF:
                if (first == Packets.ERR) {
                    error(Packets.payload(frame));
                    return done();
                }
                if (first != Packets.EOF || len >= 9) {
                    throw new ProtocolException("expected EOF after column definitions");
                }
                int st = eofStatus(Packets.payload(frame));
                if ((st & ServerStatus.CURSOR_EXISTS) != 0 && shape == Shape.RESULT) {
                    return done();
                }
                phase = Phase.ROWS;
                return false;
            case ROWS:
                if (first == Packets.ERR) {
                    error(Packets.payload(frame));
                    return done();
                }
                if (isTerminator(first, len)) {
                    int s = terminatorStatus(Packets.payload(frame), first, len);
                    if (shape == Shape.RESULT && (s & ServerStatus.MORE_RESULTS_EXISTS) != 0) {
                        phase = Phase.FIRST;
                        return false;
                    }
                    return done();
                }
                return false;
            case FIELDS:
                if (first == Packets.ERR) {
                    error(Packets.payload(frame));
                    return done();
                }
                if (isTerminator(first, len)) {
                    terminatorStatus(Packets.payload(frame), first, len);
                    return done();
                }
                return false;
            case PREPARE_PARAMS:
                if (--remaining == 0) {
                    phase = deprecateEof ? afterParams() : Phase.PREPARE_PARAMS_EOF;
                    return phase == Phase.IDLE && done();
                }
                return false;
            case PREPARE_PARAMS_EOF:
                expectEof(first, len);
                phase = afterParams();
                return phase == Phase.IDLE && done();
            case PREPARE_COLUMNS:
                if (--remaining == 0) {
                    if (deprecateEof) {
                        return done();
                    }
                    phase = Phase.PREPARE_COLUMNS_EOF;
                }
                return false;
            case PREPARE_COLUMNS_EOF:
                expectEof(first, len);
                return done();
            case INFILE:
                throw new ProtocolException("server sent a packet while the client sends a LOCAL INFILE file");
            default:
                throw new ProtocolException("unexpected packet");
        }
    }

    private boolean prepareOk(ByteBuf p, int first) {
        if (first != Packets.OK) {
            throw new ProtocolException("bad COM_STMT_PREPARE response");
        }
        Packets.readInt1(p, "header");
        Packets.readInt4(p, "statement id");
        prepareColumns = Packets.readInt2(p, "column count");
        remaining = Packets.readInt2(p, "parameter count");
        if (remaining > 0) {
            phase = Phase.PREPARE_PARAMS;
            return false;
        }
        phase = afterParams();
        return phase == Phase.IDLE && done();
    }

    private Phase afterParams() {
        if (prepareColumns > 0) {
            remaining = prepareColumns;
            return Phase.PREPARE_COLUMNS;
        }
        return Phase.IDLE;
    }

    private void expectEof(int first, int len) {
        if (first != Packets.EOF || len >= 9) {
            throw new ProtocolException("expected EOF in COM_STMT_PREPARE response");
        }
    }

    private boolean isTerminator(int first, int len) {
        return first == Packets.EOF && (deprecateEof ? len < Packets.MAX_FRAME_PAYLOAD : len < 9);
    }

    private int terminatorStatus(ByteBuf p, int first, int len) {
        return deprecateEof ? okStatus(p) : eofStatus(p);
    }

    private void okOrEof(ByteBuf p, int first, int len) {
        if (first == Packets.OK && len >= 7) {
            okStatus(p);
        } else if (first == Packets.EOF && len < 9) {
            if (len >= 5) {
                eofStatus(p);
            }
        }
    }

    private int okStatus(ByteBuf p) {
        Packets.readInt1(p, "header");
        Packets.readLenenc(p, "affected rows");
        Packets.readLenenc(p, "last insert id");
        status = Packets.readInt2(p, "status");
        return status;
    }

    private int eofStatus(ByteBuf p) {
        Packets.readInt1(p, "header");
        Packets.readInt2(p, "warnings");
        status = Packets.readInt2(p, "status");
        return status;
    }

    private void error(ByteBuf p) {
        lastWasError = true;
        lastErrorCode = Packets.errCode(p);
    }

    private boolean done() {
        phase = Phase.IDLE;
        shape = null;
        return true;
    }
}
