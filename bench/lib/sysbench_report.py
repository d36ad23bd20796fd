#!/usr/bin/env python3
"""Parsing and reporting helpers for bench/sysbench.sh.

  sysbench_report.py parse FILE                 -> "<tps> <qps> <p95_ms> <errors> <reconnects>"
  sysbench_report.py report METRICS META [PROF] -> Markdown on stdout

METRICS is a TSV file of "round test threads path key value" lines (and "note<TAB>text");
META is "name<TAB>value" lines; PROF an optional directory with strace -c outputs
(strace_<path>.txt + sysbench_<path>.txt) and JFR recordings (pb-mariadb.jfr, pb-tcp.jfr
+ sysbench_jfr.txt, sysbench_jfr_tcp.txt).
"""
import json
import os
import re
import statistics
import subprocess
import sys
from collections import Counter, defaultdict

PATHS = ["direct", "haproxy", "pb-mariadb", "pb-tcp"]
LABEL = {"direct": "direct", "haproxy": "HAProxy", "pb-mariadb": "Patchbay mariadb",
         "pb-tcp": "Patchbay tcp"}
# throughput metric per test: QPS for point selects (1 query = 1 transaction), TPS for read_only
THR = {"oltp_point_select": ("qps", "QPS"), "oltp_read_only": ("tps", "TPS")}
TARGET_THR_MARIADB = 0.90
TARGET_P95_MARIADB = 1.10
TARGET_THR_TCP = 1.00


def parse(path):
    try:
        t = open(path).read()
    except OSError:
        print("nan nan nan 1 0")
        return
    def per_sec(name):
        m = re.search(r"^\s+" + name + r":\s+\d+\s+\(([\d.]+) per sec\.\)", t, re.M)
        return m.group(1) if m else "nan"
    def count(name):
        m = re.search(r"^\s+" + name + r":\s+(\d+)", t, re.M)
        return m.group(1) if m else "0"
    p95 = re.search(r"95th percentile:\s+([\d.]+)", t)
    print(per_sec("transactions"), per_sec("queries"), p95.group(1) if p95 else "nan",
          count("ignored errors"), count("reconnects"))


def num(v):
    try:
        x = float(v)
        return None if x != x else x
    except (TypeError, ValueError):
        return None


def fmt(x, d=0):
    return "—" if x is None else f"{x:,.{d}f}"


def ratio_cell(vals, num_path, den_path, key, rounds):
    """median(num)/median(den), plus the range of the per-round paired ratios."""
    a = [vals.get((r, num_path, key)) for r in rounds]
    b = [vals.get((r, den_path, key)) for r in rounds]
    ma = [x for x in a if x is not None]
    mb = [x for x in b if x is not None]
    if not ma or not mb or statistics.median(mb) == 0:
        return None, "—"
    r = statistics.median(ma) / statistics.median(mb)
    pairs = [x / y for x, y in zip(a, b) if x is not None and y]
    rng = f" ({min(pairs):.2f}–{max(pairs):.2f})" if len(pairs) > 1 else ""
    return r, f"{r:.2f}×{rng}"


def med(vals, path, key, rounds):
    xs = [vals.get((r, path, key)) for r in rounds]
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def strace_summary(path):
    """syscall -> calls, from `strace -c` output."""
    out = {}
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return out
    for ln in lines:
        tok = ln.split()
        if len(tok) in (5, 6) and re.fullmatch(r"[\d.]+", tok[0]) and tok[-1] != "total":
            out[tok[-1]] = int(tok[3])
    return out


def sysbench_count(path, what="queries"):
    try:
        t = open(path).read()
    except OSError:
        return None
    m = re.search(r"^\s+" + what + r":\s+(\d+)", t, re.M)
    return int(m.group(1)) if m else None


def jfr_events(jfr, event):
    try:
        out = subprocess.run(["jfr", "print", "--json", "--events", event, jfr],
                             capture_output=True, text=True, check=True).stdout
        return json.loads(out)["recording"]["events"]
    except (OSError, subprocess.CalledProcessError, ValueError, KeyError):
        return []


def cls_name(f):
    return f.get("method", {}).get("type", {}).get("name", "?").replace("/", ".")


def frame_name(f):
    return f"{cls_name(f).rsplit('.', 1)[-1]}.{f.get('method', {}).get('name', '?')}"


def worker(e):
    t = e.get("values", {}).get("sampledThread") or e.get("values", {}).get("thread") or {}
    return "patchbay-worker" in str(t.get("javaName") or t.get("osName") or "")


def jfr_summary(jfr, queries, lines):
    """Hot methods of the worker thread, its allocation per query, GC pauses."""
    samples = [e for e in jfr_events(jfr, "jdk.ExecutionSample") if worker(e)]
    native = [e for e in jfr_events(jfr, "jdk.NativeMethodSample") if worker(e)]
    top = Counter()
    incl = Counter()
    for e in samples:
        frames = (e["values"].get("stackTrace") or {}).get("frames", [])
        if not frames:
            continue
        top[frame_name(frames[0])] += 1
        seen = set()
        for f in frames:
            n = frame_name(f)
            if n not in seen and cls_name(f).startswith(("dev.patchbay", "io.netty.channel", "io.netty.handler")):
                incl[n] += 1
                seen.add(n)
    n = sum(top.values())
    if n:
        lines.append(f"Worker thread: {n} samples in Java code (JFR samples every 10 ms while a thread "
                     f"runs Java code; {len(native)} samples in native code, every 20 ms), that is "
                     f"{n / queries * 1e4:.2f} Java samples per 10,000 queries. Top frames (self):"
                     if queries else f"Worker thread: {n} samples in Java code. Top frames (self):")
        lines.append("")
        lines.append("| method | samples | share |")
        lines.append("|---|---:|---:|")
        for k, c in top.most_common(15):
            lines.append(f"| `{k}` | {c} | {100 * c / n:.1f} % |")
        lines.append("")
        lines.append("Patchbay and Netty channel methods on the stack (inclusive):")
        lines.append("")
        lines.append("| method | samples | share |")
        lines.append("|---|---:|---:|")
        for k, c in incl.most_common(20):
            lines.append(f"| `{k}` | {c} | {100 * c / n:.1f} % |")
        lines.append("")
    per_thread = defaultdict(list)
    for e in jfr_events(jfr, "jdk.ThreadAllocationStatistics"):
        if worker(e):
            t = e["values"]["thread"]
            per_thread[t.get("javaName")].append(int(e["values"].get("allocated", 0)))
    alloc = sum(max(v) - min(v) for v in per_thread.values())
    if per_thread and queries:
        lines.append(f"Worker-thread allocation (JFR `ThreadAllocationStatistics`, first to last): "
                     f"{alloc / 1048576:,.1f} MiB for {queries:,} queries, **{alloc / queries:,.0f} bytes per query**.")
        lines.append("")
    gcs = jfr_events(jfr, "jdk.GarbageCollection")
    pauses = []
    for g in gcs:
        d = g.get("values", {}).get("sumOfPauses")
        m = re.match(r"PT([\d.]+)S", d) if isinstance(d, str) else None
        if m:
            pauses.append(float(m.group(1)) * 1000)
    lines.append(f"GC: {len(pauses)} collections during the recording" +
                 (f", pauses median {statistics.median(pauses):.1f} ms, max {max(pauses):.1f} ms." if pauses else "."))
    lines.append("")


def report(metrics_path, meta_path, prof=None):
    vals = {}
    notes = []
    loads = {}
    cells = []
    for line in open(metrics_path):
        p = line.rstrip("\n").split("\t")
        if p[0] == "note":
            notes.append(p[1])
            continue
        if len(p) != 6:
            continue
        rnd, test, th, path, key, v = p
        if key == "loadavg":
            loads[rnd] = v
            continue
        cell = (test, int(th))
        if cell not in cells:
            cells.append(cell)
        vals.setdefault(cell, {})[(rnd, path, key)] = num(v)
    rounds = sorted({k[0] for c in vals.values() for k in c}, key=lambda r: int(r))
    meta = [l.rstrip("\n").partition("\t") for l in open(meta_path)]
    title = dict((k, v) for k, _, v in meta).get("date", "")
    out = [f"## sysbench through Patchbay (mariadb and tcp mode) and HAProxy, {title}", ""]
    for k, _, v in meta:
        if k != "date":
            out.append(f"- {k}: {v}")
    if loads:
        out.append("- load average (1 min) at the start of each round: " +
                   ", ".join(f"{loads[r]}" for r in sorted(loads, key=int)))
    out.append("")

    out.append("### Throughput (median over rounds; ratio of medians, per-round paired ratios in brackets)")
    out.append("")
    out.append("| test | client threads | direct | HAProxy | Patchbay mariadb | Patchbay tcp "
               "| mariadb / HAProxy | tcp / HAProxy | mariadb ≥ 0.90× | tcp ≥ 1.00× |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|:-:|:-:|")
    verdicts = []
    for cell in cells:
        test, th = cell
        v = vals[cell]
        key, unit = THR.get(test, ("qps", "QPS"))
        rm, sm = ratio_cell(v, "pb-mariadb", "haproxy", key, rounds)
        rt, st = ratio_cell(v, "pb-tcp", "haproxy", key, rounds)
        ym = "—" if rm is None else ("yes" if rm >= TARGET_THR_MARIADB else "**no**")
        yt = "—" if rt is None else ("yes" if rt >= TARGET_THR_TCP else "**no**")
        verdicts.append((cell, "thr_m", rm)); verdicts.append((cell, "thr_t", rt))
        out.append(f"| {test} ({unit}) | {th} | " +
                   " | ".join(fmt(med(v, p, key, rounds)) for p in PATHS) +
                   f" | {sm} | {st} | {ym} | {yt} |")
    out.append("")
    out.append("### p95 latency in ms (per transaction; median over rounds)")
    out.append("")
    out.append("| test | client threads | direct | HAProxy | Patchbay mariadb | Patchbay tcp "
               "| mariadb / HAProxy | tcp / HAProxy | mariadb ≤ 1.10× |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|:-:|")
    for cell in cells:
        test, th = cell
        v = vals[cell]
        rm, sm = ratio_cell(v, "pb-mariadb", "haproxy", "p95", rounds)
        rt, st = ratio_cell(v, "pb-tcp", "haproxy", "p95", rounds)
        ym = "—" if rm is None else ("yes" if rm <= TARGET_P95_MARIADB else "**no**")
        verdicts.append((cell, "p95_m", rm))
        out.append(f"| {test} | {th} | " + " | ".join(fmt(med(v, p, "p95", rounds), 2) for p in PATHS) +
                   f" | {sm} | {st} | {ym} |")
    out.append("")
    out.append("### CPU (median over rounds): proxy process in % of a core, and µs of proxy CPU per query")
    out.append("")
    out.append("| test | client threads | HAProxy % | Patchbay mariadb % | Patchbay tcp % "
               "| HAProxy µs/query | Patchbay mariadb µs/query | Patchbay tcp µs/query | MariaDB % (direct / HAProxy / PB mariadb / PB tcp) |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for cell in cells:
        test, th = cell
        v = vals[cell]
        cpus = [med(v, p, "cpu", rounds) for p in ("haproxy", "pb-mariadb", "pb-tcp")]
        per_q = []
        for p in ("haproxy", "pb-mariadb", "pb-tcp"):
            xs = [v.get((r, p, "cpu")) * 1e4 / v.get((r, p, "qps"))
                  for r in rounds if v.get((r, p, "cpu")) is not None and v.get((r, p, "qps"))]
            per_q.append(statistics.median(xs) if xs else None)
        db = " / ".join(fmt(med(v, p, "dbcpu", rounds)) for p in PATHS)
        out.append(f"| {test} | {th} | " + " | ".join(fmt(x) for x in cpus) + " | " +
                   " | ".join(fmt(x, 1) for x in per_q) + f" | {db} |")
    out.append("")
    errs = {p: sum(int(x or 0) for c in vals.values() for (r, pp, k), x in c.items()
                   if pp == p and k in ("errors", "reconnects")) for p in PATHS}
    out.append("sysbench ignored errors + reconnects, all cells: " +
               ", ".join(f"{LABEL[p]} {errs[p]}" for p in PATHS) + ".")
    out.append("")

    def count(kind, pred):
        xs = [r for c, k, r in verdicts if k == kind and r is not None]
        return sum(1 for r in xs if pred(r)), len(xs)
    a = count("thr_m", lambda r: r >= TARGET_THR_MARIADB)
    b = count("p95_m", lambda r: r <= TARGET_P95_MARIADB)
    c = count("thr_t", lambda r: r >= TARGET_THR_TCP)
    out.append("### Targets")
    out.append("")
    out.append("| target | cells met |")
    out.append("|---|---:|")
    out.append(f"| Patchbay mariadb throughput ≥ 0.90 × HAProxy | {a[0]} of {a[1]} |")
    out.append(f"| Patchbay mariadb p95 ≤ 1.10 × HAProxy | {b[0]} of {b[1]} |")
    out.append(f"| Patchbay tcp throughput ≥ 1.00 × HAProxy | {c[0]} of {c[1]} |")
    out.append("")

    if prof and os.path.isdir(prof):
        out.append("### Profile (extra cells after the rounds, oltp_point_select, 4 client threads; not in the tables above)")
        out.append("")
        rows = {}
        for p in ("haproxy", "pb-tcp", "pb-mariadb"):
            s = strace_summary(os.path.join(prof, f"strace_{p}.txt"))
            q = sysbench_count(os.path.join(prof, f"sysbench_{p}.txt"))
            if s and q:
                rows[p] = (s, q)
        if rows:
            names = Counter()
            for s, q in rows.values():
                for k, c in s.items():
                    names[k] += c / q
            top = [k for k, _ in names.most_common(9)]
            out.append("System calls per query (`strace -c -f` on the proxy while it served the cell):")
            out.append("")
            out.append("| proxy | queries | total / query | " + " | ".join(top) + " |")
            out.append("|---|---:|---:|" + "---:|" * len(top))
            for p, (s, q) in rows.items():
                out.append(f"| {LABEL[p]} | {q:,} | {sum(s.values()) / q:.2f} | " +
                           " | ".join(f"{s.get(k, 0) / q:.2f}" for k in top) + " |")
            out.append("")
        for name, sbf, label in (("pb-mariadb.jfr", "sysbench_jfr.txt", "mariadb mode"),
                                 ("pb-tcp.jfr", "sysbench_jfr_tcp.txt", "tcp mode")):
            jfr = os.path.join(prof, name)
            if os.path.exists(jfr):
                q = sysbench_count(os.path.join(prof, sbf))
                out.append(f"#### JFR, Patchbay {label} ({q or 0:,} queries)")
                out.append("")
                jfr_summary(jfr, q, out)
    if notes:
        out.append("### Notes")
        out.append("")
        for n in notes:
            out.append(f"- {n}")
        out.append("")
    print("\n".join(out))


def main():
    cmd = sys.argv[1]
    if cmd == "parse":
        parse(sys.argv[2])
    elif cmd == "report":
        report(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
