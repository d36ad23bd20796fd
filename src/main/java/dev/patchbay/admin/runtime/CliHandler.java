package dev.patchbay.admin.runtime;

import dev.patchbay.Patchbay;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionIo;
import dev.patchbay.core.SessionState;
import dev.patchbay.core.Termination;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One runtime API connection: HAProxy's CLI applet. Runs a line's commands in order, streams
 * each answer while the socket is writable, ends each answer with an empty line, and applies the
 * interactive modes. The connection is also a {@link Session} of the GLOBAL frontend, so it shows
 * in {@code show sess} and can be killed like any other.
 *
 * <p>Everything runs on the admin event loop; no field needs a lock.
 */
final class CliHandler extends ChannelInboundHandlerAdapter implements Cli, SessionIo {
    static final String NAME = "cli";
    private static final Logger log = LoggerFactory.getLogger(CliHandler.class);

    static final String LINE_TOO_LONG = "The command line is too big for the buffer size. "
            + "Commands are limited to " + CliLineDecoder.MAX_LINE + " bytes including the line feed.\n";

    private static final String PROMPT_USAGE = "Usage: prompt [help | n | i | p | timed]*\n"
            + "Changes the default prompt and interactive mode. Available options:\n"
            + "  help    display this help\n"
            + "  n       set to single-command mode (no prompt, single command)\n"
            + "  i       set to interactive mode only (no prompt, multi-command)\n"
            + "  p       set to prompt+interactive mode (prompt + multi-command)\n"
            + "  timed   toggle displaying the current date in the prompt\n"
            + "Without any argument, toggles between n/i->p, p->n.\n";

    /** HAProxy 3.2's modes: one line then close, several lines, several lines with a prompt. */
    enum Mode { SINGLE, INTERACTIVE, PROMPT }

    private final RuntimeApi api;
    private final StatsSocket socket;
    private final Keywords keywords;

    private Channel channel;
    private Session session;
    private Level level;
    private Mode mode = Mode.SINGLE;
    private boolean timedPrompt;
    private long idleTimeoutNanos;

    private final ArrayDeque<Object> lines = new ArrayDeque<>();
    private final ArrayDeque<String> commands = new ArrayDeque<>();
    private boolean lineActive;
    private Reply current;
    private boolean waiting;
    private boolean quit;
    private Termination endWith;
    private boolean inputClosed;
    private boolean closing;
    /** No more commands run: the connection is ending after what is already written. */
    private boolean stopped;
    private ScheduledFuture<?> idleTimer;
    private long bytesWritten;

    CliHandler(RuntimeApi api, StatsSocket socket, Keywords keywords) {
        this.api = api;
        this.socket = socket;
        this.keywords = keywords;
        this.level = socket.level();
        this.idleTimeoutNanos = socket.config().timeoutNanos();
    }

    // ---- connection lifecycle ------------------------------------------------------------------

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        session = api.patchbay().sessions().open(socket.frontend(), channel.remoteAddress(), channel.localAddress(),
                this, new SessionState.Applet("<CLI>"));
        armIdleTimer();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        long now = System.nanoTime();
        int bytes = msg instanceof String s ? s.length() + 1 : CliLineDecoder.MAX_LINE;
        session.recordClientRead(bytes, now);
        if (closing) {
            return;
        }
        lines.add(msg);
        drive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputClosed = true;
            drive();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            drive();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("Runtime API connection {} failed: {}", ctx.channel(), cause.toString());
        terminate(new Termination(Termination.Cause.CLIENT_ERROR, cause.getMessage() == null ? "" : cause.getMessage()));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (idleTimer != null) {
            idleTimer.cancel(false);
        }
        if (!closing) {
            closing = true;
            session.setState(new SessionState.Closing(Termination.of(Termination.Cause.CLIENT_CLOSE)));
        }
        current = null;
        lines.clear();
        commands.clear();
        session.markClosed();
        ctx.fireChannelInactive();
    }

    // ---- the command loop ----------------------------------------------------------------------

    /** Moves the connection forward as far as it can without blocking; re-entered by every event. */
    private void drive() {
        while (!closing && !stopped) {
            if (current != null) {
                if (!writeCurrent()) {
                    return;
                }
                continue;
            }
            if (!commands.isEmpty()) {
                current = execute(commands.poll());
                continue;
            }
            if (lineActive) {
                lineActive = false;
                if (!finishLine()) {
                    return;
                }
                continue;
            }
            Object next = lines.poll();
            if (next == null) {
                channel.flush();
                if (inputClosed) {
                    closeAfterFlush();
                } else {
                    channel.config().setAutoRead(true);
                }
                return;
            }
            startLine(next);
        }
    }

    /** Writes as much of the current answer as the socket takes; true once it is complete. */
    private boolean writeCurrent() {
        if (current instanceof Reply.Later later) {
            if (!later.future().isDone()) {
                if (!waiting) {
                    waiting = true;
                    later.future().whenCompleteAsync((r, e) -> {
                        waiting = false;
                        drive();
                    }, channel.eventLoop());
                }
                return false;
            }
            Reply resolved;
            try {
                resolved = later.future().join();
            } catch (RuntimeException e) {
                log.warn("Runtime API command failed", e);
                resolved = Reply.text("Internal error: " + e.getMessage() + "\n");
            }
            current = resolved;
            return true;
        }
        while (true) {
            if (!channel.isWritable()) {
                channel.flush();
                return false;
            }
            ByteBuf buf = channel.alloc().buffer(Reply.CHUNK + 1024);
            boolean done;
            try {
                done = current.fill(buf);
            } catch (RuntimeException e) {
                log.warn("Runtime API answer failed", e);
                buf.writeCharSequence("Internal error: " + e + "\n", StandardCharsets.UTF_8);
                done = true;
            }
            if (done && current.endsResponse()) {
                buf.writeByte('\n');
            }
            write(buf);
            if (done) {
                current = null;
                if (quit || endWith != null) {
                    commands.clear();
                }
                return true;
            }
            channel.flush();
        }
    }

    private void startLine(Object next) {
        if (next == CliLineDecoder.TOO_LONG) {
            write(Unpooled.copiedBuffer(LINE_TOO_LONG, StandardCharsets.UTF_8));
            lines.clear();
            closeAfterFlush();
            return;
        }
        // Input waits in the kernel while a line runs: a long dump cannot pile up requests.
        channel.config().setAutoRead(false);
        String line = (String) next;
        if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
        }
        commands.addAll(CommandLine.commands(line));
        lineActive = true;
    }

    /** After a line: the prompt, or the close of single-command mode; false when the connection ends. */
    private boolean finishLine() {
        if (quit) {
            closeAfterFlush();
            return false;
        }
        if (mode == Mode.PROMPT) {
            write(Unpooled.copiedBuffer(promptText(), StandardCharsets.UTF_8));
        }
        if (endWith != null) {
            Termination t = endWith;
            stopped = true;
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> terminate(t));
            return false;
        }
        if (mode == Mode.SINGLE) {
            closeAfterFlush();
            return false;
        }
        return true;
    }

    private String promptText() {
        if (!timedPrompt) {
            return "> ";
        }
        long up = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - api.patchbay().startedNanos());
        return String.format("[%d:%02d:%02d:%02d]> ", up / 86_400, up % 86_400 / 3_600, up % 3_600 / 60, up % 60);
    }

    private Reply execute(String command) {
        List<String> words = CommandLine.words(command);
        if (words.isEmpty()) {
            return Reply.empty();
        }
        if (words.size() > CommandLine.MAX_ARGS) {
            return Reply.text("Too many arguments. Commands must have at most " + CommandLine.MAX_ARGS + " arguments.\n");
        }
        Keywords.Keyword k = keywords.find(words);
        if (k == null) {
            return Reply.text(keywords.usage(words));
        }
        if (!level.atLeast(k.level())) {
            return Reply.permissionDenied();
        }
        try {
            return k.command().run(this, words);
        } catch (RuntimeException e) {
            log.warn("Runtime API command '{}' failed", String.join(" ", words), e);
            return Reply.text("Internal error: " + e + "\n");
        }
    }

    private void write(ByteBuf buf) {
        if (!buf.isReadable()) {
            buf.release();
            return;
        }
        bytesWritten += buf.readableBytes();
        channel.write(buf).addListener(f -> {
            if (f.isSuccess()) {
                session.recordClientWrite(System.nanoTime());
            }
        });
    }

    private void closeAfterFlush() {
        if (closing || stopped) {
            return;
        }
        stopped = true;
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    // ---- idle timeout --------------------------------------------------------------------------

    private void armIdleTimer() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
        if (idleTimeoutNanos <= 0 || closing || stopped) {
            return;
        }
        long due = session.lastClientActivityNanos() + idleTimeoutNanos - System.nanoTime();
        idleTimer = channel.eventLoop().schedule(this::onIdleTimer, Math.max(0, due), TimeUnit.NANOSECONDS);
    }

    private void onIdleTimer() {
        idleTimer = null;
        long idle = System.nanoTime() - session.lastClientActivityNanos();
        // Waiting for sessions to close is work done for the client, not idleness.
        if (idle >= idleTimeoutNanos && !waiting) {
            terminate(Termination.of(Termination.Cause.CLIENT_TIMEOUT));
        } else {
            armIdleTimer();
        }
    }

    // ---- Cli ------------------------------------------------------------------------------------

    @Override
    public Patchbay patchbay() {
        return api.patchbay();
    }

    @Override
    public RuntimeApi api() {
        return api;
    }

    @Override
    public StatsSocket socket() {
        return socket;
    }

    @Override
    public Session session() {
        return session;
    }

    @Override
    public Level level() {
        return level;
    }

    @Override
    public void setLevel(Level level) {
        this.level = level;
    }

    /** The admin event loop: both the commands' executor and the session's. */
    @Override
    public Executor executor() {
        return channel.eventLoop();
    }

    @Override
    public Reply prompt(List<String> args) {
        if (args.size() == 1) {
            mode = mode == Mode.PROMPT ? Mode.SINGLE : Mode.PROMPT;
            return Reply.empty();
        }
        Mode m = mode;
        boolean timed = timedPrompt;
        for (String a : args.subList(1, args.size())) {
            switch (a) {
                case "n": m = Mode.SINGLE; break;
                case "i": m = Mode.INTERACTIVE; break;
                case "p": m = Mode.PROMPT; break;
                case "timed": timed = !timed; break;
                default: return Reply.text(PROMPT_USAGE); // "help" and anything unknown
            }
        }
        mode = m;
        timedPrompt = timed;
        return Reply.empty();
    }

    @Override
    public void quit() {
        quit = true;
    }

    @Override
    public long idleTimeoutNanos() {
        return idleTimeoutNanos;
    }

    @Override
    public void setIdleTimeoutNanos(long nanos) {
        idleTimeoutNanos = nanos;
        armIdleTimer();
    }

    @Override
    public void endAfterCommand(Termination why) {
        endWith = why;
    }

    // ---- SessionIo ------------------------------------------------------------------------------

    @Override
    public boolean inExecutor() {
        return channel.eventLoop().inEventLoop();
    }

    @Override
    public int threadIndex() {
        return 0;
    }

    /** The one closing path: cuts the connection at once (a kill does not wait for the answer). */
    @Override
    public void terminate(Termination termination) {
        if (closing) {
            return;
        }
        closing = true;
        session.setState(new SessionState.Closing(termination));
        channel.close();
    }

    @Override
    public long clientPendingWriteBytes() {
        ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    @Override
    public long serverPendingWriteBytes() {
        return 0;
    }

    @Override
    public int clientReadBufferSize() {
        return channel.isActive() ? channel.unsafe().recvBufAllocHandle().guess() : 0;
    }

    @Override
    public int serverReadBufferSize() {
        return 0;
    }

    /** The socket's file descriptor with the native transport, else -1. */
    int fd() {
        if (channel instanceof io.netty.channel.unix.UnixChannel u) {
            return u.fd().intValue();
        }
        return -1;
    }

    /** Bytes of answers written so far (the long form's res total). */
    long bytesWritten() {
        return bytesWritten;
    }

    /** For the long form of show sess: whether this connection is in the middle of a dump or a wait. */
    boolean busy() {
        return current != null;
    }
}
