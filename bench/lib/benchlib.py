#!/usr/bin/env python3
"""Parsing and reporting helpers for bench/run.sh.

  benchlib.py iperf FILE.json        -> "<Gbit/s> <retransmits>"
  benchlib.py wrk FILE.txt           -> "<req/s> <p50_us> <p99_us> <errors>"
  benchlib.py report METRICS META    -> Markdown on stdout

METRICS is a TSV file of "key<TAB>target<TAB>value" lines written by run.sh;
META is a file of "name<TAB>value" lines (machine, versions, command...).
"""
import json
import os
import signal
import time
import math
import re
import statistics
import sys


def iperf(path):
    try:
        with open(path) as f:
            j = json.load(f)
    except (OSError, ValueError):
        print("nan 0")
        return
    if "error" in j and "end" not in j:
        print("nan 0")
        return
    end = j.get("end", {})
    rx = end.get("sum_received", {}).get("bits_per_second")
    retr = end.get("sum_sent", {}).get("retransmits", 0)
    print(f"{rx / 1e9:.2f} {retr}" if rx else "nan 0")


UNITS = {"us": 1.0, "ms": 1000.0, "s": 1e6, "m": 60e6}


def to_us(s):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", s.strip())
    return float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")


def wrk(path):
    try:
        t = open(path).read()
    except OSError:
        print("nan nan nan 1")
        return
    rps = re.search(r"Requests/sec:\s+([\d.]+)", t)
    p50 = re.search(r"^\s+50%\s+(\S+)", t, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", t, re.M)
    errs = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    if m:
        errs += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    if m:
        errs += int(m.group(1))
    print("%s %s %s %d" % (
        rps.group(1) if rps else "nan",
        "%.1f" % to_us(p50.group(1)) if p50 else "nan",
        "%.1f" % to_us(p99.group(1)) if p99 else "nan",
        errs if rps else max(errs, 1)))


def num(v):
    try:
        x = float(v)
        return None if math.isnan(x) else x
    except (TypeError, ValueError):
        return None


def fmt(x, digits):
    return "—" if x is None else f"{x:,.{digits}f}"


def r2(points):
    """R² of the least-squares line through 'n→rss, ...' (the 0 point left out)."""
    if not points:
        return None
    pts = []
    for part in points.split(","):
        a, _, b = part.strip().partition("→")
        if a and b and int(a) > 0:
            pts.append((float(a), float(b)))
    if len(pts) < 3:
        return None
    n = len(pts)
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    syy = sum((y - my) ** 2 for _, y in pts)
    sxy = sum((x - mx) * (y - my) for x, y in pts)
    return 1.0 if syy == 0 else (sxy * sxy) / (sxx * syy)


def report(metrics_path, meta_path):
    allv = {}
    notes = []
    for line in open(metrics_path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 3:
            continue
        if parts[0] == "note":
            notes.append(parts[2])
        else:
            allv.setdefault((parts[0], parts[1]), []).append(parts[2])
    # the report shows the median over rounds; errors are summed
    m = {}
    for k, vs in allv.items():
        if k[0].startswith("err_"):
            nums = [num(v) for v in vs]
            m[k] = "failed" if "failed" in vs else str(int(sum(x for x in nums if x)))
        elif k[0] in ("idle_points",):
            m[k] = vs[-1]
        else:
            nums = sorted(x for x in (num(v) for v in vs) if x is not None)
            m[k] = str(statistics.median(nums)) if nums else "nan"
    meta = []
    for line in open(meta_path):
        k, _, v = line.rstrip("\n").partition("\t")
        meta.append((k, v))
    metad = dict(meta)
    conns = metad.get("latency connections", "N")
    metad.setdefault("idle max", metad.get("durations", "").rsplit(",", 1)[-1].strip() or "N")

    # key, label, unit digits, better ('hi'|'lo'), target rule, ha target, pb target
    rows = [
        ("tput_1_up", "iperf3 1 stream, client→server (Gbit/s)", 2, "ge", "", ""),
        ("tput_1_down", "iperf3 1 stream, server→client `-R` (Gbit/s)", 2, "ge", "", ""),
        ("tput_4_up", "iperf3 4 streams, client→server (Gbit/s)", 2, "ge", "", ""),
        ("tput_4_down", "iperf3 4 streams, server→client `-R` (Gbit/s)", 2, "ge", "", ""),
        ("tput_1_up", "iperf3 1 stream, client→server, splice (Gbit/s)", 2, "ge", "_splice", "_splice"),
        ("tput_1_down", "iperf3 1 stream, `-R`, splice (Gbit/s)", 2, "ge", "_splice", "_splice"),
        ("tput_4_up", "iperf3 4 streams, client→server, splice (Gbit/s)", 2, "ge", "_splice", "_splice"),
        ("tput_4_down", "iperf3 4 streams, `-R`, splice (Gbit/s)", 2, "ge", "_splice", "_splice"),
        ("connrate", "new connections/s (HTTP `Connection: close`)", 0, "ge", "", ""),
        ("rtt1_p50", "round trip p50, 1 connection (µs)", 1, None, "", ""),
        ("rtt1_p99", "round trip p99, 1 connection (µs)", 1, "p99", "", ""),
        ("rttN_p50", f"round trip p50, {conns} connections (µs)", 1, None, "", ""),
        ("rttN_p99", f"round trip p99, {conns} connections (µs)", 1, "p99", "", ""),
        ("rttN_rps", f"requests/s, {conns} keep-alive connections", 0, None, "", ""),
        ("sessoff_p50", f"round trip p50, {conns} conns + 1,000 idle, no dump loop (µs)", 1, None, "", ""),
        ("sessoff_p99", f"round trip p99, {conns} conns + 1,000 idle, no dump loop (µs)", 1, "p99", "", ""),
        ("sesson_p50", f"round trip p50, same, `show sess` in a loop (µs)", 1, None, "", ""),
        ("sesson_p99", f"round trip p99, same, `show sess` in a loop (µs)", 1, "p99", "", ""),
        ("sessloop_dumps", "full `show sess` dumps completed during one measurement", 0, None, "", ""),
        ("idle_slope", "RSS per idle session (KiB)", 2, "le", "", ""),
        ("idle_heap", "live Java heap per idle session, after full GC (KiB)", 2, None, "", ""),
        ("idle_base", "RSS with no sessions, fitted (MiB)", 1, None, "", ""),
        ("idle_rss_max", f"RSS with {metad.get('idle max', 'N')} idle sessions (MiB)", 1, None, "", ""),
    ]
    out = []
    out.append("| Metric | direct (no proxy) | HAProxy | Patchbay | Patchbay / HAProxy | Target | Met |")
    out.append("|---|---:|---:|---:|---:|---|:-:|")
    for key, label, digits, rule, hsuf, psuf in rows:
        d = num(m.get((key, "direct"))) if not hsuf else None
        h = num(m.get((key, "haproxy" + hsuf)))
        p = num(m.get((key, "patchbay" + psuf)))
        if key == "idle_base":
            h = h / 1024 if h is not None else None
            p = p / 1024 if p is not None else None
        if d is None and h is None and p is None:
            continue
        ratio = f"{p / h:.2f}×" if (h and p is not None) else "—"
        target, met = "", ""
        if rule == "ge":
            target = "≥ 1.00×"
            if h and p is not None:
                met = "yes" if p >= h else "**no**"
        elif rule == "le":
            target = "≤ 1.00×"
            if h and p is not None:
                met = "yes" if p <= h else "**no**"
        elif rule == "p99":
            target = "≤ 1.10×"
            if h and p is not None:
                met = "yes" if p <= 1.10 * h else "**no**"
        if hsuf and not p and p != 0 and not h:
            continue
        if key == "idle_slope":
            # a JVM's RSS follows heap touching and GC, not the session count: when the
            # samples do not lie on a line, the slope says nothing and the target is open
            fits = {t: r2(m.get(("idle_points", t))) for t in ("haproxy", "patchbay")}
            bad = [f"{t} R² {v:.2f}" for t, v in fits.items() if v is not None and v < 0.9]
            if bad and met:
                met = "unclear"
                label += " — poor linear fit: " + ", ".join(bad)
        out.append(f"| {label} | {fmt(d, digits)} | {fmt(h, digits)} | {fmt(p, digits)} | {ratio} | {target} | {met} |")

    # CPU and errors
    cpu_rows = []
    for key, label in [("tput_1_up", "iperf3 1 stream →"), ("tput_1_down", "iperf3 1 stream ←"),
                       ("tput_4_up", "iperf3 4 streams →"), ("tput_4_down", "iperf3 4 streams ←"),
                       ("connrate", "new connections"), ("rtt1", "round trip, 1 connection"),
                       ("rttN", f"round trip, {conns} connections")]:
        cells = []
        for t in ("haproxy", "patchbay", "haproxy_splice", "patchbay_splice"):
            c = num(m.get(("cpu_" + key, t)))
            e = m.get(("err_" + key, t))
            if c is None and e is None:
                cells.append("")
                continue
            s = fmt(c, 0) + " %" if c is not None else "—"
            if e and e not in ("0", "0.0"):
                s += f" ({e} errors)"
            cells.append(s)
        if any(cells):
            cpu_rows.append(f"| {label} | " + " | ".join(cells) + " |")
    if cpu_rows:
        out.append("")
        out.append("Proxy CPU during each test (100 % = one core; errors are wrk socket errors + non-2xx, "
                   "or a failed iperf3 run):")
        out.append("")
        out.append("| Test | HAProxy | Patchbay | HAProxy splice | Patchbay splice |")
        out.append("|---|---:|---:|---:|---:|")
        out.extend(cpu_rows)

    idle = []
    for t in ("haproxy", "patchbay"):
        pts = m.get(("idle_points", t))
        if pts:
            idle.append(f"- {t}: sessions→RSS KiB {pts}")
    if idle:
        out.append("")
        out.append("Idle-session RSS samples:")
        out.append("")
        out.extend(idle)

    rounds = [(k, t, vs) for (k, t), vs in sorted(allv.items())
              if len(vs) > 1 and not k.startswith(("err_", "idle_"))]
    if rounds:
        out.append("")
        out.append("<details><summary>Every round (the table above shows the median)</summary>")
        out.append("")
        out.append("| Metric | Target | Rounds |")
        out.append("|---|---|---|")
        for k, t, vs in rounds:
            out.append(f"| {k} | {t} | {', '.join(vs)} |")
        out.append("")
        out.append("</details>")
    if notes:
        out.append("")
        out.append("Notes and problems seen during the run:")
        out.append("")
        out.extend(f"- {n}" for n in notes)

    head = ["## Patchbay vs HAProxy, " + metad.get("date", ""), ""]
    for k, v in meta:
        if k in ("date",):
            continue
        head.append(f"- {k}: {v}")
    head.append("")
    print("\n".join(head + out))


def proc_table():
    """pid -> (ppid, comm, cpu ticks) for every process."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        rest = st[st.rindex(")") + 2:].split()
        out[int(d)] = (int(rest[1]), comm, int(rest[11]) + int(rest[12]))
    return out


def foreign_ticks(root, prev, cur):
    """CPU ticks used between two proc_table() samples by processes outside ROOT's tree."""
    ours = {root, os.getpid()}
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _, _) in cur.items():
            if ppid in ours and pid not in ours:
                ours.add(pid)
                changed = True
    per = {}
    for pid, (ppid, comm, ticks) in cur.items():
        if pid in ours or pid not in prev:
            continue
        d = ticks - prev[pid][2]
        if d > 0:
            per[comm] = per.get(comm, 0) + d
    return per


def quiet(root, max_pct, timeout):
    """Waits until processes outside ROOT's tree used under MAX_PCT % of a core over 5 s."""
    hz = os.sysconf("SC_CLK_TCK")
    end = time.monotonic() + timeout
    window = []
    prev = proc_table()
    while True:
        time.sleep(1)
        cur = proc_table()
        window = (window + [sum(foreign_ticks(root, prev, cur).values())])[-5:]
        prev = cur
        pct = 100.0 * sum(window) / hz / len(window)
        if len(window) == 5 and pct < max_pct:
            print(f"{pct:.0f}")
            return 0
        if time.monotonic() > end:
            print(f"{pct:.0f}")
            return 1


def monitor(root, path):
    """Samples, once a second, the CPU used by processes that are not the benchmark's own
    (not descendants of ROOT): other people's builds and tests on a shared machine make the
    figures noisy, and the report says how much of that there was.  Writes on SIGTERM."""
    hz = os.sysconf("SC_CLK_TCK")
    prev = proc_table()
    t0 = time.monotonic()
    total = 0
    per_name = {}
    peak = 0.0
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        time.sleep(1)
        cur = proc_table()
        per = foreign_ticks(root, prev, cur)
        sec = sum(per.values())
        for comm, d in per.items():
            per_name[comm] = per_name.get(comm, 0) + d
        total += sec
        peak = max(peak, 100.0 * sec / hz)
        prev = cur
    wall = max(1e-9, time.monotonic() - t0)
    top = sorted(per_name.items(), key=lambda kv: -kv[1])[:3]
    with open(path, "w") as f:
        f.write("%.0f %% of a core on average, peak %.0f %%%s\n" % (
            100.0 * total / hz / wall, peak,
            ("; busiest: " + ", ".join(f"{n} {100.0 * t / hz / wall:.0f} %" for n, t in top)) if top else ""))


def main():
    cmd = sys.argv[1]
    if cmd == "quiet":
        sys.exit(quiet(int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])))
    if cmd == "monitor":
        monitor(int(sys.argv[2]), sys.argv[3])
        return
    if cmd == "iperf":
        iperf(sys.argv[2])
    elif cmd == "wrk":
        wrk(sys.argv[2])
    elif cmd == "report":
        report(sys.argv[2], sys.argv[3])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
