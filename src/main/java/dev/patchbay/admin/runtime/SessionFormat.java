package dev.patchbay.admin.runtime;

import dev.patchbay.core.FilterDef;
import dev.patchbay.core.Frontend;
import dev.patchbay.core.Profiling;
import dev.patchbay.core.Server;
import dev.patchbay.core.Service;
import dev.patchbay.core.Session;
import dev.patchbay.core.SessionControl;
import dev.patchbay.core.SessionIo;
import dev.patchbay.core.SessionState;
import dev.patchbay.core.Termination;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * {@code show sess} lines and blocks for Patchbay sessions, in the seed's formats (short line of
 * HAProxy 2.2–2.4, long form of HAProxy 2.8). docs/runtime-api.md explains every value; the flag
 * bits are HAProxy's, set from the session's real state.
 */
final class SessionFormat {

    // Channel flags (CF_*).
    static final int CF_READ_PARTIAL = 0x2;
    static final int CF_SHUTR = 0x20;
    static final int CF_WRITE_PARTIAL = 0x200;
    static final int CF_SHUTW = 0x2000;
    static final int CF_AUTO_CLOSE = 0x8000;
    static final int CF_WROTE_DATA = 0x40000;
    static final int CF_KERN_SPLICING = 0x200000;
    static final int CF_READ_DONTWAIT = 0x400000;
    static final int CF_AUTO_CONNECT = 0x800000;
    static final int CF_DONT_READ = 0x1000000;
    static final int CF_ISRESP = 0x80000000;

    // Stream-interface flags (SI_FL_*), shown in s0=/s1= and scf/scb.
    static final int SI_EXP = 0x1;
    static final int SI_ERR = 0x2;
    static final int SI_WAIT_DATA = 0x8;
    static final int SI_ISBACK = 0x10;
    static final int SI_RXBLK_ROOM = 0x40000;
    static final int SI_RXBLK_SHUT = 0x80000;
    static final int SI_RXBLK_CONN = 0x100000;
    static final int SI_RX_WAIT_EP = 0x200000;

    // Stream-interface states.
    static final int ST_QUE = 2;
    static final int ST_CON = 5;
    static final int ST_EST = 8;
    static final int ST_DIS = 9;
    static final int ST_CLO = 10;
    private static final String[] STATE_NAMES = {"INI", "REQ", "QUE", "TAR", "ASS", "CON", "CER", "RDY", "EST", "DIS", "CLO"};

    // Stream flags (SF_*) and error codes.
    static final int SF_ASSIGNED = 0x2;
    static final int SF_BE_ASSIGNED = 0x8;
    static final int SF_CURR_SESS = 0x40;

    /** Task state shown in ts=: the closing path has started. */
    static final int TASK_KILLED = 0x20;

    /** Activity this recent sets the *_PARTIAL flags ("some data moved lately"). */
    private static final long RECENT_NANOS = 1_000_000_000L;

    private static final DateTimeFormatter ACCEPT_DATE =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss.SSSSSS", Locale.ENGLISH);

    private SessionFormat() {}

    /** The id as the CLI shows it: 0x + lowercase hex. */
    static String id(Session s) {
        return "0x" + Long.toHexString(s.id());
    }

    // ---- the short line ------------------------------------------------------------------------

    static void shortLine(StringBuilder sb, Session s, long now) {
        View v = new View(s, now);
        sb.append(id(s)).append(": proto=").append(v.proto);
        sb.append(" src=").append(v.source).append(" fe=").append(s.frontend().name())
                .append(" be=").append(s.service() == null ? "<NONE>" : s.service().name())
                .append(" srv=").append(v.server == null ? "<none>" : v.server.name());
        if (s.protocolDetails() != null && s.protocolDetails().user() != null) {
            // MariaDB sessions: the login name (HAProxy has no such field).
            sb.append(" user=").append(s.protocolDetails().user());
        }
        sb.append(" ts=").append(hex2(v.taskState))
                .append(" age=").append(HumanTime.format(s.ageNanos() / 1_000_000_000L))
                .append(" calls=").append(s.ioEvents())
                .append(" rate=0")
                .append(" cpu=").append(Profiling.enabled() ? s.cpuNanos() : 0)
                .append(" lat=0");
        sb.append(" rq[f=").append(hex6(v.reqFlags)).append("h,i=").append(v.reqPending)
                .append(",an=00h,rx=").append(timer(v.reqRead, now, ""))
                .append(",wx=").append(timer(v.reqWrite, now, ""))
                .append(",ax=]");
        sb.append(" rp[f=").append(hex6(v.resFlags)).append("h,i=").append(v.resPending)
                .append(",an=00h,rx=").append(timer(v.resRead, now, ""))
                .append(",wx=").append(timer(v.resWrite, now, ""))
                .append(",ax=]");
        sb.append(" s0=[").append(v.frontState).append(',').append(Integer.toHexString(v.frontFlags))
                .append("h,fd=").append(v.frontFd).append(",ex=]");
        sb.append(" s1=[").append(v.backState).append(',').append(Integer.toHexString(v.backFlags))
                .append("h,fd=").append(v.backFd).append(",ex=").append(timer(v.backExpiry, now, "")).append(']');
        sb.append(" exp=").append(timer(v.next, now, ""));
        // Patchbay's addition at the end of the line: the configuration generation the session runs under.
        sb.append(" gen=").append(s.generation()).append('\n');
    }

    // ---- the long form -------------------------------------------------------------------------

    static void longForm(StringBuilder sb, Session s, long now, long epoch) {
        View v = new View(s, now);
        Frontend fe = s.frontend();
        Service be = s.service();
        SessionIo io = s.io();
        CliHandler cli = io instanceof CliHandler c ? c : null;
        Instant accepted = Instant.ofEpochSecond(s.acceptedEpochMicros() / 1_000_000,
                (s.acceptedEpochMicros() % 1_000_000) * 1_000);

        sb.append(id(s)).append(": [").append(ACCEPT_DATE.format(accepted.atZone(ZoneId.systemDefault())))
                .append("] id=").append(s.id()).append(" proto=").append(v.proto)
                .append(" source=").append(v.source).append('\n');

        SessionState st = s.state();
        sb.append("  flags=0x").append(Integer.toHexString(v.streamFlags))
                .append(", conn_retries=").append(s.retries())
                .append(", conn_exp=").append(longTimer(v.backExpiry, now))
                .append(" conn_et=0x000 srv_conn=").append(v.server == null ? "(nil)" : ptr(v.server))
                .append(", pend_pos=").append(st instanceof SessionState.Queued ? ptr(st) : "(nil)")
                .append(" waiting=0 epoch=").append(epoch == 0 ? "0" : "0x" + Long.toHexString(epoch)).append('\n');

        sb.append("  frontend=").append(fe.name()).append(" (id=").append(fe.id())
                .append(" mode=").append(mode(fe)).append("), listener=")
                .append(cli != null ? cli.socket().config().name() : fe.name())
                .append(" (id=").append(fe.listenerId()).append(") addr=")
                .append(address(s.frontendAddress(), fe)).append('\n');

        if (be == null) {
            sb.append("  backend=<NONE> (id=-1 mode=-)\n");
            sb.append("  server=<NONE> (id=-1)\n");
        } else {
            sb.append("  backend=").append(be.name()).append(" (id=").append(be.id()).append(" mode=").append(mode(fe)).append(')');
            if (s.backendLocalAddress() != null) {
                sb.append(" addr=").append(address(s.backendLocalAddress(), fe));
            }
            sb.append('\n');
            if (v.server == null) {
                sb.append("  server=<none> (id=0)\n");
            } else {
                sb.append("  server=").append(v.server.name()).append(" (id=").append(Lookup.serverId(be, v.server)).append(") addr=")
                        .append(address(s.backendRemoteAddress() != null ? s.backendRemoteAddress() : v.server.address(), fe))
                        .append('\n');
            }
        }

        sb.append("  task=").append(ptr(s)).append(" (state=0x").append(hex2(v.taskState))
                .append(" nice=0 calls=").append(s.ioEvents()).append(" rate=0 exp=").append(longTimer(v.next, now))
                .append(" tid=").append(s.threadIndex()).append("(1/").append(s.threadIndex()).append(") age=")
                .append(HumanTime.format(s.ageNanos() / 1_000_000_000L)).append(")\n");

        // Front connector: always the client's connection.
        sb.append("  scf=").append(ptr(io)).append(" flags=0x").append(hex8(v.frontFlags)).append(" state=")
                .append(STATE_NAMES[v.frontState]).append(" endp=CONN,").append(ptr(io)).append(",0x00000000 sub=")
                .append(v.frontReading ? 1 : 0).append('\n');
        sb.append("      co0=").append(ptr(io)).append(" ctrl=").append(v.proto)
                .append(" xprt=RAW mux=PASS data=STRM target=LISTENER:").append(ptr(fe)).append('\n');
        sb.append("      flags=0x").append(hex8(v.frontState == ST_EST ? 0x300 : 0)).append(" fd=").append(v.frontFd)
                .append(" fd.state=00 updt=0 fd.tmask=0x").append(Long.toHexString(1L << Math.min(63, s.threadIndex())))
                .append('\n');

        // Back connector: the applet for the CLI, nothing while queued, else the server connection.
        sb.append("  scb=").append(ptr(io)).append(" flags=0x").append(hex8(v.backFlags)).append(" state=")
                .append(STATE_NAMES[v.backState]).append(" endp=");
        if (cli != null) {
            sb.append("APPCTX,").append(ptr(cli)).append(",0x00000000 sub=0\n");
            sb.append("      app1=").append(ptr(cli)).append(" st0=").append(cli.busy() ? 3 : 1)
                    .append(" st1=0 applet=<CLI> tid=").append(s.threadIndex()).append(" nice=0 calls=")
                    .append(s.ioEvents()).append(" rate=0\n");
        } else if (v.server == null) {
            sb.append("NONE,(nil),0x00000000 sub=0\n");
        } else {
            sb.append("CONN,").append(ptr(io)).append(",0x00000000 sub=").append(v.backReading ? 1 : 0).append('\n');
            sb.append("      co1=").append(ptr(io)).append(" ctrl=").append(backendProto(s, v.server))
                    .append(" xprt=RAW mux=PASS data=STRM target=SERVER:").append(ptr(v.server)).append('\n');
            sb.append("      flags=0x").append(hex8(v.backState == ST_EST ? 0x300 : 0)).append(" fd=").append(v.backFd)
                    .append(" fd.state=00 updt=0 fd.tmask=0x").append(Long.toHexString(1L << Math.min(63, s.threadIndex())))
                    .append('\n');
        }

        channel(sb, "req", s, v.reqFlags, v.reqTotal, v.reqPending, v.reqRead, v.reqWrite, io.clientReadBufferSize(), v, now);
        channel(sb, "res", s, v.resFlags, v.resTotal, v.resPending, v.resRead, v.resWrite,
                cli != null ? 0 : io.serverReadBufferSize(), v, now);
        control(sb, s, now);
    }

    /**
     * Patchbay's last line of the long form: live control (docs/live-control.md). The generation the
     * session runs under and the one it started with, its restarts, what is pending, the session-level
     * filters, and how the last restart ended.
     */
    private static void control(StringBuilder sb, Session s, long now) {
        SessionControl c = s.controlIfAny();
        sb.append("  control: gen=").append(s.generation()).append(" started_gen=").append(s.startGeneration())
                .append(" restarts=").append(c == null ? 0 : c.restarts()).append(" restart=");
        SessionControl.PendingRestart pr = c == null ? null : c.pendingRestart();
        if (pr == null) {
            sb.append("<none>");
        } else if (pr.waitingFor().equals("scheduled")) {
            sb.append("scheduled(").append(HumanTime.remaining(pr.notBeforeNanos(), now, "0s")).append(')');
        } else {
            sb.append("waiting(").append(pr.waitingFor()).append(')');
        }
        SessionControl.PendingKill pk = c == null ? null : c.pendingKill();
        sb.append(" kill=").append(pk == null ? "<NEVER>"
                : longTimer(pk.deadlineNanos(), now) + (pk.safe() ? ",safe" : ""));
        sb.append(" filters=").append(names(s.sessionFilters().stream().map(FilterDef::name).toList()));
        SessionControl.PendingFilters pf = c == null ? null : c.pendingFilters();
        sb.append(" pending_filters=").append(pf == null ? "<none>" : names(pf.names()));
        SessionControl.RestartResult lr = c == null ? null : c.lastRestart();
        sb.append(" last_restart=");
        if (lr == null) {
            sb.append("<none>");
        } else {
            sb.append('"').append(lr.ok() ? "ok" : "failed: " + lr.detail().replace('"', '\'')).append('"');
        }
        sb.append('\n');
    }

    private static String names(java.util.List<String> list) {
        return list.isEmpty() ? "<none>" : String.join(",", list);
    }

    private static void channel(StringBuilder sb, String name, Session s, int flags, long total, long pending,
                                long readExp, long writeExp, int bufSize, View v, long now) {
        sb.append("  ").append(name).append('=').append(ptr(s)).append(" (f=0x").append(hex6(flags))
                .append(" an=0x0 pipe=0 tofwd=").append(v.tunnel ? -1 : 0).append(" total=").append(total).append(")\n");
        sb.append("      an_exp=<NEVER> rex=").append(longTimer(readExp, now)).append(" wex=")
                .append(longTimer(writeExp, now)).append('\n');
        sb.append("      buf=").append(ptr(s)).append(" data=").append(bufSize > 0 ? ptr(s.io()) : "(nil)")
                .append(" o=").append(pending).append(" p=").append(pending).append(" i=0 size=").append(bufSize)
                .append('\n');
    }

    // ---- the values both forms show ------------------------------------------------------------

    /** One consistent reading of a session's state, shared by the short and long forms. */
    private static final class View {
        final String proto;
        final String source;
        final Server server;
        final int taskState;
        final int streamFlags;
        final int reqFlags;
        final int resFlags;
        final long reqPending;
        final long resPending;
        final long reqTotal;
        final long resTotal;
        final long reqRead;
        final long reqWrite;
        final long resRead;
        final long resWrite;
        final int frontState;
        final int backState;
        final int frontFlags;
        final int backFlags;
        final int frontFd;
        final int backFd;
        final long backExpiry;
        final long next;
        final boolean frontReading;
        final boolean backReading;
        final boolean tunnel;

        View(Session s, long now) {
            SessionState st = s.state();
            SessionIo io = s.io();
            CliHandler cli = io instanceof CliHandler c ? c : null;
            int flags = s.flags();
            proto = proto(s.clientAddress());
            source = address(s.clientAddress(), s.frontend());
            Server srv = s.server();
            if (srv == null && st instanceof SessionState.Connecting c) {
                srv = c.server();
            }
            server = srv;
            boolean closing = st instanceof SessionState.Closing || st instanceof SessionState.Closed;
            taskState = closing ? TASK_KILLED : 0;
            Termination t = s.termination();
            streamFlags = SF_BE_ASSIGNED | (srv != null ? SF_ASSIGNED : 0)
                    | (srv != null && st instanceof SessionState.Established ? SF_CURR_SESS : 0)
                    | (t == null ? 0 : errorCode(t.cause()));

            long idle = cli != null ? cli.idleTimeoutNanos() : -1;
            Session.Timers timers = s.timers();
            long clientIdle = cli != null ? (idle > 0 ? s.lastClientActivityNanos() + idle : Session.Timers.NEVER)
                    : timers.clientIdle();
            reqPending = io.serverPendingWriteBytes();
            resPending = io.clientPendingWriteBytes();
            boolean clientInShut = (flags & Session.CLIENT_INPUT_SHUT) != 0;
            boolean serverInShut = (flags & Session.SERVER_INPUT_SHUT) != 0;
            reqRead = clientInShut || closing ? Session.Timers.NEVER : clientIdle;
            resRead = serverInShut || closing ? Session.Timers.NEVER : timers.serverIdle();
            reqWrite = reqPending > 0 && !closing ? timers.serverIdle() : Session.Timers.NEVER;
            resWrite = resPending > 0 && !closing ? clientIdle : Session.Timers.NEVER;
            backExpiry = st instanceof SessionState.Connecting ? timers.connect()
                    : st instanceof SessionState.Queued ? timers.queue() : Session.Timers.NEVER;
            next = cli != null ? clientIdle : timers.next();
            tunnel = cli != null || !(st instanceof SessionState.Queued);

            boolean recentClient = now - s.lastClientActivityNanos() < RECENT_NANOS;
            boolean recentServer = now - s.lastServerActivityNanos() < RECENT_NANOS;
            int rq = CF_AUTO_CLOSE | CF_AUTO_CONNECT;
            int rp = CF_ISRESP | CF_AUTO_CLOSE;
            if (cli != null) {
                rq |= CF_READ_DONTWAIT;
                if (recentClient && s.clientReads() > 0) {
                    rq |= CF_READ_PARTIAL;
                }
                if (s.clientWrites() > 0) {
                    rp |= CF_WROTE_DATA;
                    if (recentClient) {
                        rp |= CF_WRITE_PARTIAL;
                    }
                }
            } else {
                if (recentClient && s.clientReads() > 0) {
                    rq |= CF_READ_PARTIAL;
                }
                if (s.serverWrites() > 0) {
                    rq |= CF_WROTE_DATA;
                    if (recentServer) {
                        rq |= CF_WRITE_PARTIAL;
                    }
                }
                if (recentServer && s.serverReads() > 0) {
                    rp |= CF_READ_PARTIAL;
                }
                if (s.clientWrites() > 0) {
                    rp |= CF_WROTE_DATA;
                    if (recentClient) {
                        rp |= CF_WRITE_PARTIAL;
                    }
                }
            }
            rq |= (clientInShut ? CF_SHUTR : 0) | ((flags & Session.SERVER_OUTPUT_SHUT) != 0 ? CF_SHUTW : 0)
                    | ((flags & Session.CLIENT_READ_PAUSED) != 0 ? CF_DONT_READ : 0)
                    | ((flags & Session.SPLICING) != 0 ? CF_KERN_SPLICING : 0);
            rp |= (serverInShut ? CF_SHUTR : 0) | ((flags & Session.CLIENT_OUTPUT_SHUT) != 0 ? CF_SHUTW : 0)
                    | ((flags & Session.SERVER_READ_PAUSED) != 0 ? CF_DONT_READ : 0)
                    | ((flags & Session.SPLICING) != 0 ? CF_KERN_SPLICING : 0);
            reqFlags = rq;
            resFlags = rp;
            reqTotal = s.bytesFromClient();
            resTotal = cli != null ? cli.bytesWritten() : s.bytesFromServer();

            frontState = closing ? ST_DIS : ST_EST;
            if (st instanceof SessionState.Queued) {
                backState = ST_QUE;
            } else if (st instanceof SessionState.Connecting) {
                backState = ST_CON;
            } else if (st instanceof SessionState.Closed) {
                backState = ST_CLO;
            } else if (closing) {
                backState = ST_DIS;
            } else {
                backState = ST_EST;
            }
            boolean connected = backState == ST_EST;
            int err = t != null && t.cause() != Termination.Cause.CLIENT_CLOSE
                    && t.cause() != Termination.Cause.SERVER_CLOSE ? SI_ERR : 0;
            int exp = t != null && (t.cause() == Termination.Cause.CLIENT_TIMEOUT
                    || t.cause() == Termination.Cause.SERVER_TIMEOUT || t.cause() == Termination.Cause.QUEUE_TIMEOUT)
                    ? SI_EXP : 0;
            frontReading = !closing && !clientInShut && (flags & Session.CLIENT_READ_PAUSED) == 0
                    && (connected || cli != null);
            int f0 = (resPending == 0 ? SI_WAIT_DATA : 0) | err | exp;
            if (clientInShut) {
                f0 |= SI_RXBLK_SHUT;
            } else if (!connected) {
                f0 |= SI_RXBLK_CONN;
            } else if ((flags & Session.CLIENT_READ_PAUSED) != 0) {
                f0 |= SI_RXBLK_ROOM;
            } else if (frontReading) {
                f0 |= SI_RX_WAIT_EP;
            }
            frontFlags = f0;
            backReading = !closing && connected && cli == null && !serverInShut
                    && (flags & Session.SERVER_READ_PAUSED) == 0;
            int f1 = SI_ISBACK | (reqPending == 0 ? SI_WAIT_DATA : 0) | err | exp;
            if (serverInShut) {
                f1 |= SI_RXBLK_SHUT;
            } else if ((flags & Session.SERVER_READ_PAUSED) != 0) {
                f1 |= SI_RXBLK_ROOM;
            } else if (backReading || (cli != null && connected)) {
                f1 |= SI_RX_WAIT_EP;
            }
            backFlags = f1;
            frontFd = cli != null ? cli.fd() : -1;
            backFd = -1;
        }
    }

    /** HAProxy's SF_ERR_* code for how the session ended. */
    static int errorCode(Termination.Cause cause) {
        switch (cause) {
            case CLIENT_TIMEOUT: return 0x2000;
            case CLIENT_CLOSE:
            case CLIENT_ERROR: return 0x3000;
            case SERVER_TIMEOUT:
            case QUEUE_TIMEOUT: return 0x4000;
            case SERVER_CLOSE:
            case SERVER_ERROR:
            case CONNECT_FAILURE:
            case NO_SERVER: return 0x5000;
            case REFUSED: return 0x6000;
            case SERVER_DOWN: return 0x9000;
            case KILLED:
            case SHUTDOWN: return 0xa000;
            default: return 0;
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    static String proto(SocketAddress a) {
        if (a instanceof InetSocketAddress i) {
            return i.getAddress() instanceof Inet6Address ? "tcpv6" : "tcpv4";
        }
        return "unix_stream";
    }

    /** {@code ip:port} (IPv6 without brackets, as HAProxy prints it), or {@code unix:<listener id>}. */
    static String address(SocketAddress a, Frontend fe) {
        if (a instanceof InetSocketAddress i) {
            String host = i.getAddress() != null ? i.getAddress().getHostAddress() : i.getHostString();
            int pct = host.indexOf('%');
            return (pct >= 0 ? host.substring(0, pct) : host) + ":" + i.getPort();
        }
        return "unix:" + fe.listenerId();
    }

    private static String backendProto(Session s, Server server) {
        SocketAddress a = s.backendRemoteAddress() != null ? s.backendRemoteAddress() : server.address();
        return proto(a);
    }

    private static String mode(Frontend fe) {
        return fe.protocol().equals("mariadb") ? "mariadb" : "tcp";
    }

    static String timer(long expiry, long now, String never) {
        return HumanTime.remaining(expiry, now, never);
    }

    /** Long-form timer: {@code <NEVER>}, {@code <PAST>} once expired, else the time left. */
    static String longTimer(long expiry, long now) {
        if (expiry == Session.Timers.NEVER) {
            return "<NEVER>";
        }
        if (expiry - now < 0) {
            return "<PAST>";
        }
        return HumanTime.remaining(expiry, now, "<NEVER>");
    }

    /** A "pointer": the identity of the Java object playing that role, only good to tell objects apart. */
    static String ptr(Object o) {
        return "0x" + Integer.toHexString(System.identityHashCode(o));
    }

    private static String hex2(int v) {
        String h = Integer.toHexString(v);
        return h.length() >= 2 ? h : "0" + h;
    }

    static String hex6(int v) {
        String h = Integer.toHexString(v);
        return h.length() >= 6 ? h : "000000".substring(h.length()) + h;
    }

    private static String hex8(int v) {
        String h = Integer.toHexString(v);
        return "00000000".substring(h.length()) + h;
    }
}
