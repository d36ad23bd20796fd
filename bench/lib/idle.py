#!/usr/bin/env python3
"""Idle-session helpers for bench/run.sh.

  idle.py hold --port P
      Backend: accepts connections on 127.0.0.1:P, echoes whatever it reads,
      and keeps every connection open until the peer closes it.

  idle.py ramp --target HOST:PORT --pid PID --steps 1000,2000,... [--settle S]
      Client: opens connections to the proxy in steps; on each connection it
      sends one byte and waits for the echo (so the session is established
      end to end, client -> proxy -> backend -> proxy -> client), then leaves
      the connection idle.  After each step it waits --settle seconds and
      samples VmRSS of PID (the proxy).  Prints one line per step:
          sessions <N> rss_kib <KiB>
      and finally the least-squares slope:
          slope_kib_per_session <X> base_kib <Y>
      All connections are closed on exit.

  idle.py churn --target HOST:PORT --count N
      Opens, echoes one byte through and closes N sessions one after another
      (warms the accept/connect/close path before the idle ramp).

  idle.py heap --target HOST:PORT --pid PID --sessions N
      For a JVM: live heap (after a full GC, via jcmd GC.class_histogram)
      before and with N idle sessions open.  Prints:
          live_heap_bytes_per_session <X> heap_before <B> heap_after <A>
"""
import argparse
import os
import selectors
import socket
import sys
import time


def hold(port):
    sel = selectors.DefaultSelector()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(4096)
    ls.setblocking(False)
    sel.register(ls, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                while True:
                    try:
                        c, _ = ls.accept()
                    except BlockingIOError:
                        break
                    except OSError:
                        time.sleep(0.01)  # EMFILE: back off, the proxy retries
                        break
                    c.setblocking(False)
                    sel.register(c, selectors.EVENT_READ, 1)
            else:
                c = key.fileobj
                try:
                    d = c.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    d = b""
                if d:
                    try:
                        c.send(d)  # tiny payloads: one send is enough
                    except OSError:
                        pass
                else:
                    sel.unregister(c)
                    c.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def slope(points):
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    sxy = sum((p[0] - mx) * (p[1] - my) for p in points)
    b = sxy / sxx if sxx else float("nan")
    return b, my - b * mx


def ramp(target, pid, steps, settle, timeout):
    host, port = target.rsplit(":", 1)
    addr = (host, int(port))
    socks = []
    points = []
    deadline = time.monotonic() + timeout
    base = rss_kib(pid)
    print(f"sessions 0 rss_kib {base}", flush=True)
    try:
        for n in steps:
            open_sessions(addr, n, socks, deadline)
            time.sleep(settle)
            r = rss_kib(pid)
            points.append((n, r))
            print(f"sessions {n} rss_kib {r}", flush=True)
        # every connection must still be alive: no data, no EOF
        for s in socks:
            s.setblocking(False)
            try:
                d = s.recv(1)
                raise RuntimeError("an idle session was closed by the proxy" if d == b"" else "unexpected data")
            except BlockingIOError:
                pass
        b, a = slope([(0, base)] + points) if len(points) < 2 else slope(points)
        print(f"slope_kib_per_session {b:.3f} base_kib {a:.0f}", flush=True)
    finally:
        for s in socks:
            try:
                s.close()
            except OSError:
                pass


def open_sessions(addr, n, socks, deadline):
    batch = []
    while len(socks) < n:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(addr)
        s.sendall(b"x")
        socks.append(s)
        batch.append(s)
        if len(batch) >= 200 or len(socks) == n:
            for b in batch:
                if b.recv(1) != b"x":
                    raise RuntimeError("session closed before echo (proxy dropped it)")
            batch = []
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {len(socks)} sessions")


def churn(target, count):
    host, port = target.rsplit(":", 1)
    addr = (host, int(port))
    for _ in range(count):
        with socket.create_connection(addr, timeout=10) as s:
            s.sendall(b"x")
            if s.recv(1) != b"x":
                raise RuntimeError("session closed before echo")


def live_heap(pid):
    import subprocess
    out = subprocess.run(["jcmd", str(pid), "GC.class_histogram"], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    for line in reversed(out.splitlines()):
        if line.startswith("Total"):
            return int(line.split()[2])
    raise RuntimeError("no Total line in jcmd GC.class_histogram output")


def heap(target, pid, n, timeout):
    host, port = target.rsplit(":", 1)
    socks = []
    try:
        before = live_heap(pid)
        open_sessions((host, int(port)), n, socks, time.monotonic() + timeout)
        time.sleep(1)
        after = live_heap(pid)
    finally:
        for s in socks:
            s.close()
    print(f"live_heap_bytes_per_session {(after - before) / n:.0f} heap_before {before} heap_after {after}", flush=True)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hold")
    h.add_argument("--port", type=int, required=True)
    r = sub.add_parser("ramp")
    r.add_argument("--target", required=True)
    r.add_argument("--pid", type=int, required=True)
    r.add_argument("--steps", required=True)
    r.add_argument("--settle", type=float, default=2.0)
    r.add_argument("--timeout", type=float, default=120.0)
    c = sub.add_parser("churn")
    c.add_argument("--target", required=True)
    c.add_argument("--count", type=int, required=True)
    j = sub.add_parser("heap")
    j.add_argument("--target", required=True)
    j.add_argument("--pid", type=int, required=True)
    j.add_argument("--sessions", type=int, required=True)
    j.add_argument("--timeout", type=float, default=120.0)
    a = p.parse_args()
    if a.cmd == "hold":
        hold(a.port)
    elif a.cmd == "churn":
        churn(a.target, a.count)
    elif a.cmd == "heap":
        heap(a.target, a.pid, a.sessions, a.timeout)
    else:
        try:
            ramp(a.target, a.pid, [int(x) for x in a.steps.split(",")], a.settle, a.timeout)
        except Exception as e:  # reported, the caller records the failure
            print(f"error {e}", flush=True)
            sys.exit(1)


if __name__ == "__main__":
    main()
