package dev.patchbay.filter;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer thread of one statement filter (qlafilter, regexfilter's {@code log_file}, topfilter):
 * every file operation runs here, never on an event loop. Per-statement jobs go through
 * {@link #offer}, bounded by the bytes they carry: when {@code max_queued_bytes} are waiting, a job
 * is dropped and counted rather than waited for. Opening and closing files and end-of-session
 * reports go through {@link #submit}, which is never dropped (there is one per session, not one per
 * statement). Files are flushed after each job ({@code flush=true}) or whenever the queue runs
 * empty, so a quiet filter never holds lines back.
 */
final class LogWriter {
    private static final Logger log = LoggerFactory.getLogger("patchbay.filter");
    private static final Object STOP = new Object();

    /** Work for the writer thread. */
    interface Job {
        void run() throws IOException;
    }

    private record Item(Job job, int bytes) {}

    private final String filterName;
    private final long maxQueuedBytes;
    private final boolean flushEach;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder droppedBytes = new LongAdder();
    private final LongAdder writeErrors = new LongAdder();
    private volatile String lastError = "";
    private final Thread thread;

    // Writer thread only.
    private final Set<Writer> dirty = new LinkedHashSet<>();

    LogWriter(String threadName, String filterName, long maxQueuedBytes, boolean flushEach) {
        this.filterName = filterName;
        this.maxQueuedBytes = maxQueuedBytes;
        this.flushEach = flushEach;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues a per-statement job of about {@code bytes} bytes; false (dropped and counted) when the queue is full. */
    boolean offer(int bytes, Job job) {
        if (queuedBytes.addAndGet(bytes) > maxQueuedBytes) {
            queuedBytes.addAndGet(-bytes);
            dropped.increment();
            droppedBytes.add(bytes);
            return false;
        }
        queue.add(new Item(job, bytes));
        return true;
    }

    /** Queues a job that is never dropped. */
    void submit(Job job) {
        queue.add(new Item(job, 0));
    }

    /** Runs what is queued, closes the files the jobs left open (through {@code atEnd}) and ends the thread. */
    void stop(Job atEnd) {
        queue.add(new Item(atEnd, 0));
        queue.add(STOP);
    }

    /** Waits (bounded) for the thread to have run everything: tests and shutdown. */
    boolean awaitStopped(long millis) throws InterruptedException {
        thread.join(millis);
        return !thread.isAlive();
    }

    void diagnostics(Map<String, Object> d) {
        d.put("queued_bytes", queuedBytes.get());
        d.put("dropped", dropped.sum());
        d.put("dropped_bytes", droppedBytes.sum());
        d.put("write_errors", writeErrors.sum());
        d.put("last_error", lastError);
    }

    long dropped() {
        return dropped.sum();
    }

    long writeErrors() {
        return writeErrors.sum();
    }

    String lastError() {
        return lastError;
    }

    private void run() {
        try {
            while (true) {
                Object o = queue.take();
                if (o == STOP) {
                    break;
                }
                Item it = (Item) o;
                queuedBytes.addAndGet(-it.bytes());
                try {
                    it.job().run();
                } catch (IOException e) {
                    failed("write failed: " + describe(e));
                } catch (RuntimeException e) {
                    // A bug in a job must not end the thread: every later line would be lost.
                    writeErrors.increment();
                    lastError = e.toString();
                    log.error("Filter {}: writer job failed", filterName, e);
                }
                if (queue.isEmpty()) {
                    flushDirty();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flushDirty();
    }

    // ---- for jobs (writer thread) -----------------------------------------------------------

    /** Opens (creating it if needed) a UTF-8 text file; {@code append} false empties it. */
    Writer open(Path path, boolean append) throws IOException {
        return new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(path, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING),
                StandardCharsets.UTF_8), 65536);
    }

    /** Standard output as a writer that is flushed but never closed. */
    static Writer stdout() {
        return new OutputStreamWriter(System.out, StandardCharsets.UTF_8);
    }

    /** Something was written to {@code w}: flushed now or when the queue runs empty. */
    void wrote(Writer w) throws IOException {
        if (flushEach) {
            w.flush();
        } else {
            dirty.add(w);
        }
    }

    void close(Writer w) {
        if (w == null) {
            return;
        }
        dirty.remove(w);
        try {
            w.close();
        } catch (IOException e) {
            failed("close failed: " + describe(e));
        }
    }

    /** Counts a failure and keeps it as {@code last_error}; returns {@code why}. */
    String failed(String why) {
        writeErrors.increment();
        lastError = why;
        log.warn("Filter {}: {}", filterName, why);
        return why;
    }

    private void flushDirty() {
        for (Writer w : dirty) {
            try {
                w.flush();
            } catch (IOException e) {
                failed("flush failed: " + describe(e));
            }
        }
        dirty.clear();
    }

    /** An I/O error as the operator reads it: {@code No such file or directory}, {@code Permission denied}. */
    static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
