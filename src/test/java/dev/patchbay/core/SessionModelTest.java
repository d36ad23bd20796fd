package dev.patchbay.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/** The session model on its own: ids, registry notifications, io_activity, timers. */
class SessionModelTest {

    /** A SessionIo whose "event loop" is the calling thread. */
    private static final class InlineIo implements SessionIo {
        Session session;

        @Override
        public Executor executor() {
            return Runnable::run;
        }

        @Override
        public boolean inExecutor() {
            return true;
        }

        @Override
        public int threadIndex() {
            return 0;
        }

        @Override
        public void terminate(Termination t) {
            session.setState(new SessionState.Closing(t));
            session.markClosed();
        }

        @Override
        public long clientPendingWriteBytes() {
            return 0;
        }

        @Override
        public long serverPendingWriteBytes() {
            return 0;
        }

        @Override
        public int clientReadBufferSize() {
            return 0;
        }

        @Override
        public int serverReadBufferSize() {
            return 0;
        }
    }

    private static Session open(SessionRegistry r, Frontend f) {
        InlineIo io = new InlineIo();
        io.session = r.open(f, new InetSocketAddress("127.0.0.1", 5000), new InetSocketAddress("127.0.0.1", 4000), io,
                new SessionState.Queued(System.nanoTime()));
        return io.session;
    }

    @Test
    void registryNotifiesOpenAndCloseWithTheTermination() throws Exception {
        SessionRegistry r = new SessionRegistry();
        Frontend f = new Frontend("l1", 1, 1, "tcp", "ipv4@127.0.0.1:4000", null, 0);
        List<String> events = new ArrayList<>();
        r.addListener(new SessionRegistry.Listener() {
            @Override
            public void opened(Session s) {
                events.add("opened " + s.id());
            }

            @Override
            public void closed(Session s, Termination t) {
                events.add("closed " + s.id() + " " + t.describe());
            }
        });
        Session a = open(r, f);
        Session b = open(r, f);
        assertThat(f.currentSessions()).isEqualTo(2);
        b.kill(Termination.killedBy(Termination.AdminInterface.REST_API, "admin")).get();
        assertThat(events).containsExactly("opened 1", "opened 2", "closed 2 killed (REST API admin)");
        assertThat(r.get(2)).isNull();
        assertThat(r.snapshot()).containsExactly(a);
        assertThat(f.currentSessions()).isEqualTo(1);
        assertThat(f.totalSessions()).isEqualTo(2);
    }

    @Test
    void ioActivityCountsOnlyTheLastThirtySeconds() {
        SessionRegistry r = new SessionRegistry();
        Session s = open(r, new Frontend("l1", 1, 1, "tcp", "x", null, 0));
        long now = System.nanoTime();
        long minute = 60_000_000_000L;
        s.recordClientRead(10, now - minute);   // too old
        s.recordServerWrite(now - minute);
        for (int i = 0; i < 5; i++) {
            s.recordClientRead(10, now - i * 4_000_000_000L); // within the window
        }
        s.recordClientWrite(now);
        assertThat(s.ioActivity()).isEqualTo(6);
        assertThat(s.ioEvents()).isEqualTo(8);
        assertThat(s.bytesFromClient()).isEqualTo(60);
    }

    @Test
    void idsStartAtOneAndGrow() {
        SessionRegistry r = new SessionRegistry();
        Frontend f = new Frontend("l1", 1, 1, "tcp", "x", null, 0);
        assertThat(open(r, f).id()).isEqualTo(1);
        assertThat(open(r, f).id()).isEqualTo(2);
        assertThat(r.lastId()).isEqualTo(2);
        assertThat(r.snapshot(1)).extracting(Session::id).containsExactly(1L);
    }
}
