#!/usr/bin/env python3
"""Where a swarm run's time went, from the logs bench/swarm.sh keeps with KEEP=DIR.

usage: bench/swarm-breakdown.py DIR/capped-n8-r1 [...]
One markdown row per run: launch to "registered" in dfclient.log (JVM start plus the supernode's
registration answer; median and max over peers), launch to the first piece, launch to the CDN's
"cached" line (the whole file in the supernode's cache), that line to the last peer's exit, and
launch to the last exit.
"""
import sys, os, glob, datetime, statistics
def ts(s): return datetime.datetime.strptime(s.strip(), "%Y-%m-%d %H:%M:%S.%f").timestamp()
for d in sys.argv[1:]:
    sn = open(os.path.join(d, "sn.log")).read().splitlines()
    cached = [l for l in sn if "cached:" in l]
    rows = []
    day = None
    for p in sorted(glob.glob(os.path.join(d, "peer*/"))):
        if not os.path.exists(p + "t"): continue
        rc, t = open(p + "t").read().split()
        log = open(p + "logs/dfclient.log").read().splitlines()
        day = log[0][:10]
        last = ts(log[-1][:23]); start = last - float(t)
        reg = next((ts(l[:23]) for l in log if "registered" in l), None)
        first = next((ts(l[:23]) for l in log if "downloading piece" in l), None)
        rows.append((start, reg, first, last))
    if not rows or not cached: continue
    c = ts(day + " " + cached[0][:12])
    s0 = min(r[0] for r in rows); e = max(r[3] for r in rows)
    regs = [r[1] - r[0] for r in rows if r[1]]; firsts = [r[2] - r[0] for r in rows if r[2]]
    print(f"| {os.path.basename(d)} | {statistics.median(regs):.1f} s (max {max(regs):.1f}) | {statistics.median(firsts):.1f} s | {c - s0:.1f} s | {e - c:.1f} s | {e - s0:.1f} s |")
