package dev.patchbay.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.IoEvent;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What {@link EpollRegistrationFix} hands to Netty's epoll handler, recorded by a stand-in for it: one change per
 * descriptor per wait, the last one asked for; "no interest" as EPOLLET alone; no EPOLL_CTL_DEL before a close.
 * (Real sockets through the wrapper: every TCP and MariaDB test, e.g. TcpProxyTest's half-close cases.)
 */
class EpollRegistrationFixTest {
    private static final int IN = EpollIoOps.EPOLLIN.value();
    private static final int OUT = EpollIoOps.EPOLLOUT.value();
    private static final int RDHUP = EpollIoOps.EPOLLRDHUP.value();
    private static final int ET = EpollIoOps.EPOLLET.value();

    /** What reached the stand-in, in order: "submit N", "wait", "delete", "leave in set". */
    private final List<String> kernel = new ArrayList<>();
    private boolean onLoop = true;
    private boolean failSubmits;
    private final IoHandler handler = EpollRegistrationFix.wrap(new IoHandlerFactory() {
        @Override
        public IoHandler newHandler(ThreadAwareExecutor executor) {
            return new RecordingEpoll();
        }

        @Override
        public boolean isChangingThreadSupported() {
            return false;
        }
    }).newHandler(new ThreadAwareExecutor() {
        @Override
        public boolean isExecutorThread(Thread thread) {
            return onLoop;
        }

        @Override
        public void execute(Runnable command) {
            command.run();
        }
    });
    private final Channel channel = new Channel();

    @Test
    void changesBetweenTwoWaitsReachTheKernelOnceAsTheLastOne() throws Exception {
        IoRegistration r = handler.register(channel);
        r.submit(ops(RDHUP)); // a backend channel registers...
        r.submit(ops(OUT | RDHUP)); // ...and connects
        assertThat(kernel).isEmpty();
        waitForEvents();
        r.submit(ops(RDHUP)); // the connect completes...
        r.submit(ops(IN | RDHUP)); // ...and reading starts
        waitForEvents();
        r.submit(ops(RDHUP)); // a read pauses and resumes before the next wait: nothing changed
        r.submit(ops(IN | RDHUP));
        waitForEvents();
        assertThat(kernel).containsExactly(
                "submit " + (OUT | RDHUP), "wait", "submit " + (IN | RDHUP), "wait", "wait");
    }

    @Test
    void noInterestKeepsARegisteredDescriptorInTheSetWithEdgeTriggeringAlone() throws Exception {
        IoRegistration r = handler.register(channel);
        r.submit(ops(IN | RDHUP));
        waitForEvents();
        r.submit(EpollIoOps.NONE); // input shut, nothing to write
        waitForEvents();
        r.submit(ops(OUT)); // a large write later: a MOD, which succeeds because the descriptor is still in the set
        waitForEvents();
        assertThat(kernel).containsExactly(
                "submit " + (IN | RDHUP), "wait", "submit " + ET, "wait", "submit " + OUT, "wait");
    }

    @Test
    void noInterestBeforeTheDescriptorIsInTheSetAddsNothing() throws Exception {
        IoRegistration r = handler.register(channel);
        r.submit(EpollIoOps.NONE);
        waitForEvents();
        assertThat(kernel).containsExactly("wait");
    }

    @Test
    void aChannelDeregisteringBeforeItsCloseSkipsTheDelete() throws Exception {
        IoRegistration r = handler.register(channel);
        r.submit(ops(IN | RDHUP));
        waitForEvents();
        r.submit(EpollIoOps.NONE); // closing: pending, and dropped with the registration
        r.cancel();
        waitForEvents();
        assertThat(kernel).containsExactly("submit " + (IN | RDHUP), "wait", "leave in set", "wait");
        assertThat(channel.fd().isOpen()).as("the socket itself is untouched").isTrue();
        assertThat(r.isValid()).isFalse();
    }

    @Test
    void aFailedEpollCtlAtTheFlushClosesTheChannelAndTheLoopGoesOn() throws Exception {
        IoRegistration r = handler.register(channel);
        failSubmits = true;
        r.submit(ops(IN | RDHUP));
        waitForEvents();
        assertThat(channel.closed).isTrue();
        assertThat(kernel).containsExactly("failed " + (IN | RDHUP), "wait");
    }

    @Test
    void aChangeFromAnotherThreadReachesTheKernelAtOnce() throws Exception {
        IoRegistration r = handler.register(channel);
        onLoop = false;
        r.submit(ops(IN | RDHUP));
        assertThat(kernel).containsExactly("submit " + (IN | RDHUP));
    }

    private void waitForEvents() {
        handler.run(new IoHandlerContext() {
            @Override
            public boolean canBlock() {
                return false;
            }

            @Override
            public long delayNanos(long currentTimeNanos) {
                return 0;
            }

            @Override
            public long deadlineNanos() {
                return -1;
            }
        });
    }

    private static IoOps ops(int value) {
        return EpollIoOps.valueOf(value);
    }

    /** Netty's epoll handler as far as the kernel is concerned: DEL on cancel only while the descriptor is open. */
    private final class RecordingEpoll implements IoHandler {
        @Override
        public int run(IoHandlerContext context) {
            kernel.add("wait");
            return 0;
        }

        @Override
        public IoRegistration register(IoHandle handle) {
            EpollIoHandle epollHandle = (EpollIoHandle) handle;
            return new IoRegistration() {
                boolean valid = true;

                @Override
                public <T> T attachment() {
                    return null;
                }

                @Override
                public long submit(IoOps ops) {
                    int value = ((EpollIoOps) ops).value();
                    if (failSubmits) {
                        kernel.add("failed " + value);
                        throw new UncheckedIOException(
                                new IOException("epoll_ctl(..) failed with error(-9): Bad file descriptor"));
                    }
                    kernel.add("submit " + value);
                    return value;
                }

                @Override
                public boolean isValid() {
                    return valid;
                }

                @Override
                public boolean cancel() {
                    valid = false;
                    kernel.add(epollHandle.fd().isOpen() ? "delete" : "leave in set");
                    return true;
                }
            };
        }

        @Override
        public void wakeup() {
        }

        @Override
        public boolean isCompatible(Class<? extends IoHandle> handleType) {
            return true;
        }
    }

    /** A channel's handle on a descriptor number that is never used for I/O here. */
    private static final class Channel implements EpollIoHandle {
        private final FileDescriptor fd = new FileDescriptor(1_000_000);
        boolean closed;

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent ioEvent) {
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
