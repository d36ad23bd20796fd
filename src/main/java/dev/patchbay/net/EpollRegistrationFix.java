package dev.patchbay.net;

import io.netty.channel.Channel;
import io.netty.channel.IoEvent;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty's epoll {@code IoHandler} with a bug worked around and the {@code epoll_ctl} calls of a proxied
 * connection cut from nine to four (HAProxy makes three).
 *
 * <p><b>The bug</b> (Netty 4.2.18, loses data on half-closed connections): Netty turns a submit of no interest
 * ({@link EpollIoOps#NONE}) into {@code EPOLL_CTL_DEL} but still believes the descriptor is registered, so the
 * next non-empty submit is an {@code EPOLL_CTL_MOD} that fails with ENOENT. A channel reaches "no interest"
 * whenever its input is shut (the peer half-closed: EPOLLIN and EPOLLRDHUP are both dropped) while nothing is
 * waiting to be written; if a later write then fills the socket buffer, setting EPOLLOUT threw
 * {@code epoll_ctl(..) failed with error(-2)} and the channel was closed with data still queued (a client that
 * half-closes and then receives a large response got it cut short). Here "no interest" on a descriptor in the
 * epoll set becomes {@code EPOLLET} alone: it stays in the set, nothing but an edge of error or hang-up is
 * reported, and the next change is an {@code EPOLL_CTL_MOD} that succeeds.
 *
 * <p><b>Fewer system calls.</b> A channel's interest changes several times between two {@code epoll_wait}s
 * (registered without EPOLLIN, then reading starts; a backend drops EPOLLOUT and adds EPOLLIN when its connect
 * completes; the input is shut and the channel closes). Only the interest in force at the next wait matters, so
 * changes made on the loop's thread are recorded and given to the kernel once, just before the loop waits: the
 * kernel sees the same interest at every wait as without batching. And a channel leaving the loop skips
 * {@code EPOLL_CTL_DEL}: Netty deregisters a channel only to close its socket right after, and closing a
 * descriptor removes it from the epoll set (should a deregistered descriptor stay open and report an event,
 * Netty deletes it then, as for any descriptor it no longer knows).
 *
 * <p>A failed {@code epoll_ctl} at the flush is logged and closes the channel, as Netty does when the call
 * fails at once.
 *
 * <p><b>The peer's FIN, known early.</b> An event that carries EPOLLRDHUP is handled by reading to the end of the
 * stream: Netty delivers the bytes (read complete), then reads the end. While such an event is handled,
 * {@link #endOfStreamFollows(Channel)} says so, which lets a relay send the bytes and the FIN it will relay in
 * one segment.
 */
final class EpollRegistrationFix implements IoHandler {
    private static final Logger log = LoggerFactory.getLogger(EpollRegistrationFix.class);
    private static final int NONE = EpollIoOps.NONE.value();
    private static final int ET_ONLY = EpollIoOps.EPOLLET.value();

    /** The channel (as Netty's handle) whose event, being handled on this thread, carries the peer's FIN. */
    private static final FastThreadLocal<EpollIoHandle> FIN_IN_EVENT = new FastThreadLocal<>();

    private final IoHandler delegate;
    private final ThreadAwareExecutor executor;
    /** Registrations whose interest changed since the last flush, each once. */
    private final ArrayDeque<Registration> changed = new ArrayDeque<>();

    private EpollRegistrationFix(IoHandler delegate, ThreadAwareExecutor executor) {
        this.delegate = delegate;
        this.executor = executor;
    }

    static IoHandlerFactory wrap(IoHandlerFactory factory) {
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor executor) {
                return new EpollRegistrationFix(factory.newHandler(executor), executor);
            }

            @Override
            public boolean isChangingThreadSupported() {
                return factory.isChangingThreadSupported();
            }
        };
    }

    /**
     * Whether {@code ch}'s event being handled now (on its loop) carries its peer's FIN: what it reads in this
     * event is the last of its input, and the end of the stream is read before the event is done (or, past
     * Netty's reads-per-event limit, by a task Netty queues on the same loop for the rest).
     */
    static boolean endOfStreamFollows(Channel ch) {
        return FIN_IN_EVENT.get() == ch.unsafe();
    }

    static IoHandlerFactory epoll() {
        return wrap(EpollIoHandler.newFactory());
    }

    @Override
    public void initialize() {
        delegate.initialize();
    }

    @Override
    public int run(IoHandlerContext context) {
        // Every epoll_wait happens inside the delegate's run: the kernel gets the interest in force first.
        Registration r;
        while ((r = changed.poll()) != null) {
            r.flush();
        }
        return delegate.run(context);
    }

    @Override
    public void prepareToDestroy() {
        delegate.prepareToDestroy();
    }

    @Override
    public void destroy() {
        changed.clear();
        delegate.destroy();
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        Registration registration = new Registration(this, (EpollIoHandle) handle);
        registration.delegate = delegate.register(registration);
        return registration;
    }

    @Override
    public void wakeup() {
        delegate.wakeup();
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return delegate.isCompatible(handleType);
    }

    /**
     * A channel's registration as the channel sees it, and the channel as Netty's epoll handler sees it: with a
     * descriptor that reads as closed once the channel deregisters, so that Netty skips its
     * {@code EPOLL_CTL_DEL} (the close that follows removes the descriptor from the set).
     */
    private static final class Registration implements IoRegistration, EpollIoHandle {
        private final EpollRegistrationFix owner;
        private final EpollIoHandle channel;
        private final Descriptor fd;
        IoRegistration delegate;
        /** The interest the kernel has; -1 while the descriptor is not in the epoll set. */
        private int submitted = -1;
        /** The interest asked for last, given to the kernel at the next flush. */
        private int wanted = -1;
        private boolean queued;

        Registration(EpollRegistrationFix owner, EpollIoHandle handle) {
            this.owner = owner;
            this.channel = handle;
            this.fd = new Descriptor(handle.fd());
        }

        @Override
        public <T> T attachment() {
            return delegate.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            int value = ((EpollIoOps) ops).value();
            if (!owner.executor.isExecutorThread(Thread.currentThread())) {
                // Netty changes a channel's interest on its loop only; should anything else, it gets the call at once.
                wanted = value;
                return apply();
            }
            if (!delegate.isValid()) {
                return -1;
            }
            wanted = value;
            if (!queued) {
                queued = true;
                owner.changed.add(this);
            }
            return value;
        }

        void flush() {
            queued = false;
            try {
                apply();
            } catch (UncheckedIOException e) {
                log.warn("Closing a channel: epoll_ctl on descriptor {} failed: {}",
                        fd.intValue(), e.getCause().getMessage());
                try {
                    channel.close();
                } catch (Exception closeFailed) {
                    log.debug("Closing descriptor {} failed", fd.intValue(), closeFailed);
                }
            }
        }

        private long apply() {
            if (!delegate.isValid()) {
                return -1;
            }
            int value = wanted;
            if (submitted < 0) {
                if (value == NONE) {
                    return 0; // not in the set and nothing asked: nothing to add
                }
            } else if (value == NONE) {
                value = ET_ONLY;
            }
            if (value == submitted) {
                return value;
            }
            long r = delegate.submit(EpollIoOps.valueOf(value));
            submitted = r < 0 ? -1 : value;
            return r;
        }

        @Override
        public boolean isValid() {
            return delegate.isValid();
        }

        @Override
        public boolean cancel() {
            fd.deregistered = true;
            return delegate.cancel();
        }

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent ioEvent) {
            if (!(ioEvent instanceof EpollIoEvent e) || !e.ops().contains(EpollIoOps.EPOLLRDHUP)) {
                channel.handle(registration, ioEvent);
                return;
            }
            FIN_IN_EVENT.set(channel);
            try {
                channel.handle(registration, ioEvent);
            } finally {
                FIN_IN_EVENT.set(null);
            }
        }

        @Override
        public void registered() {
            channel.registered();
        }

        @Override
        public void unregistered() {
            channel.unregistered();
        }

        @Override
        public void close() throws Exception {
            channel.close();
        }
    }


    /** The channel's descriptor, reading as closed once the channel deregisters; closing it closes the socket. */
    private static final class Descriptor extends FileDescriptor {
        private final FileDescriptor socket;
        volatile boolean deregistered;

        Descriptor(FileDescriptor socket) {
            super(socket.intValue());
            this.socket = socket;
        }

        @Override
        public boolean isOpen() {
            return !deregistered && socket.isOpen();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
