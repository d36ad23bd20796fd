package dev.patchbay.filter;

import dev.patchbay.core.FilterDef;
import dev.patchbay.core.Session;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * The filters of one TCP session: the session-level ones (set at run time) in front of the service's.
 * Client bytes pass the chain in order, server bytes in reverse (MaxScale's order). Event loop only.
 */
public final class TcpFilterChain {
    private List<TcpFilterSession> sessionPart = List.of();
    private List<TcpFilterSession> servicePart = List.of();
    private TcpFilterSession[] all = new TcpFilterSession[0];

    /** The service part for {@code filters} (service filters of the session's snapshot). */
    public static TcpFilterChain forService(Session s, List<FilterDef> filters) {
        TcpFilterChain c = new TcpFilterChain();
        c.replaceServicePart(s, filters);
        return c;
    }

    public boolean isEmpty() {
        return all.length == 0;
    }

    public ByteBuf fromClient(ByteBuf buf) {
        for (TcpFilterSession f : all) {
            buf = f.fromClient(buf);
        }
        return buf;
    }

    public ByteBuf fromServer(ByteBuf buf) {
        for (int i = all.length - 1; i >= 0; i--) {
            buf = all[i].fromServer(buf);
        }
        return buf;
    }

    /** Installs a new session-level part, closing the old one. */
    public void replaceSessionPart(List<TcpFilterSession> sessions) {
        List<TcpFilterSession> old = sessionPart;
        sessionPart = List.copyOf(sessions);
        rebuild();
        old.forEach(TcpFilterSession::close);
    }

    /**
     * Rebuilds the service part for a new configuration (a restart): filter sessions of filters that
     * stay keep running (a capture goes on in the same file), the others close, new ones open.
     */
    public void replaceServicePart(Session s, List<FilterDef> filters) {
        List<TcpFilterSession> old = new ArrayList<>(servicePart);
        List<TcpFilterSession> next = new ArrayList<>(filters.size());
        for (FilterDef d : filters) {
            TcpFilterSession keep = null;
            for (TcpFilterSession o : old) {
                if (o.filter() == d) {
                    keep = o;
                    break;
                }
            }
            if (keep != null) {
                old.remove(keep);
                next.add(keep);
            } else if (d instanceof Filter f) {
                next.add(f.newTcpSession(s));
            }
        }
        servicePart = next;
        rebuild();
        old.forEach(TcpFilterSession::close);
    }

    private void rebuild() {
        List<TcpFilterSession> list = new ArrayList<>(sessionPart.size() + servicePart.size());
        list.addAll(sessionPart);
        list.addAll(servicePart);
        all = list.toArray(new TcpFilterSession[0]);
    }

    /** The session ended. */
    public void close() {
        sessionPart.forEach(TcpFilterSession::close);
        servicePart.forEach(TcpFilterSession::close);
        sessionPart = List.of();
        servicePart = List.of();
        all = new TcpFilterSession[0];
    }
}
