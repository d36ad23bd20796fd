package dev.patchbay.net;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.util.concurrent.ThreadAwareExecutor;

/**
 * Works around a Netty 4.2.18 epoll bug that loses data on half-closed connections.
 *
 * <p>{@code EpollIoHandler}'s registration turns a submit of no interest ({@link EpollIoOps#NONE}) into
 * {@code EPOLL_CTL_DEL} but still believes the descriptor is registered, so the next non-empty submit is an
 * {@code EPOLL_CTL_MOD} that fails with ENOENT. A channel reaches "no interest" whenever its input is shut
 * (the peer half-closed: EPOLLIN and EPOLLRDHUP are both dropped) while nothing is waiting to be written; if
 * a later write then fills the socket buffer, setting EPOLLOUT throws {@code UncheckedIOException: epoll_ctl(..)
 * failed with error(-2)} and the channel is closed with data still queued (a client that half-closes and
 * then receives a large response gets it cut short; the rare "client error (Channel output shutdown)" of
 * TcpProxyTest.largePayload, and the spliced "server error" of earlier builds).
 *
 * <p>This handler wraps Netty's and replaces "no interest" on a descriptor that is in the epoll set with
 * {@code EPOLLET} alone: the descriptor stays in the set, nothing but an edge of error or hang-up is reported,
 * and the next submit's {@code EPOLL_CTL_MOD} succeeds. It also spares the {@code EPOLL_CTL_DEL} that used to
 * fail with ENOENT (and allocate an exception) when such a channel closed, and an identical resubmit
 * (one {@code EPOLL_CTL_MOD} per backend connect).
 */
final class EpollRegistrationFix implements IoHandler {
    private final IoHandler delegate;

    private EpollRegistrationFix(IoHandler delegate) {
        this.delegate = delegate;
    }

    static IoHandlerFactory wrap(IoHandlerFactory factory) {
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor executor) {
                return new EpollRegistrationFix(factory.newHandler(executor));
            }

            @Override
            public boolean isChangingThreadSupported() {
                return factory.isChangingThreadSupported();
            }
        };
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
        return delegate.run(context);
    }

    @Override
    public void prepareToDestroy() {
        delegate.prepareToDestroy();
    }

    @Override
    public void destroy() {
        delegate.destroy();
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        return new Registration(delegate.register(handle));
    }

    @Override
    public void wakeup() {
        delegate.wakeup();
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return delegate.isCompatible(handleType);
    }

    private static final class Registration implements IoRegistration {
        private final IoRegistration delegate;
        /**
         * The interest last given to the kernel; -1 while the descriptor is not in the epoll set (Netty adds it
         * on the first non-empty submit) or the registration is gone.
         */
        private int submitted = -1;

        Registration(IoRegistration delegate) {
            this.delegate = delegate;
        }

        @Override
        public <T> T attachment() {
            return delegate.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            int value = ((EpollIoOps) ops).value();
            if (submitted < 0) {
                // Not in the set yet: "no interest" adds nothing, anything else is Netty's EPOLL_CTL_ADD.
                long r = delegate.submit(ops);
                if (value != 0 && r >= 0) {
                    submitted = value;
                }
                return r;
            }
            if (value == 0) {
                ops = EpollIoOps.EPOLLET;
                value = EpollIoOps.EPOLLET.value();
            }
            if (value == submitted && delegate.isValid()) {
                // Netty resubmits unchanged interest (e.g. after every connect); in level-triggered
                // mode an identical EPOLL_CTL_MOD changes nothing, so spare the system call.
                return value;
            }
            long r = delegate.submit(ops);
            submitted = r < 0 ? -1 : value;
            return r;
        }

        @Override
        public boolean isValid() {
            return delegate.isValid();
        }

        @Override
        public boolean cancel() {
            return delegate.cancel();
        }
    }
}
