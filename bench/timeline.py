#!/usr/bin/env python3
"""Timeline analyser for bench/timeline.sh (Python 3, standard library only).

  timeline.py sample OUT.json MARKER [INTERVAL]   per-thread CPU of every JVM whose command line
                                                  contains MARKER, until SIGTERM/SIGINT
  timeline.py analyse RUNDIR [--gantt]            merge the run's timeline files and print the
                                                  breakdown
  timeline.py self-test                           checks of the parsing, merging and accounting

A run directory (bench/timeline.sh writes it) holds:
  sn/logs/timeline.log                  the supernode's events
  peer-<i>/logs/timeline.log            each dfget's events (its upload server shares the home)
  peer-<i>.times                        "launch_us exit_us exit_code" of each dfget, from the shell
  peer-<i>.rusage                       "elapsed user sys maxrss_kb" of each dfget (GNU time)
  cpu.json                              the sampler's output

Timeline lines (common/src/main/java/io/smalldragonfly/common/log/Timeline.java):
  <epoch us> <event> key=value...       keys task cid piece src bytes proc pid thread, and details
"""
import json
import os
import re
import signal
import statistics
import sys
import time

# ---------------------------------------------------------------------------------------------
# parsing and merging


def parse_line(line, origin=""):
    """One timeline line as a dict, or None for a line that is not one (a torn or foreign line)."""
    parts = line.split()
    if len(parts) < 2 or not parts[0].isdigit():
        return None
    e = {"ts": int(parts[0]), "ev": parts[1], "file": origin}
    for kv in parts[2:]:
        k, sep, v = kv.partition("=")
        if not sep:
            continue
        e[k] = v
    if "piece" in e:
        try:
            e["piece"] = int(e["piece"])
        except ValueError:
            return None
    if "bytes" in e:
        try:
            e["bytes"] = int(e["bytes"])
        except ValueError:
            del e["bytes"]
    return e


def read_events(path, origin):
    out = []
    try:
        with open(path, errors="replace") as f:
            for line in f:
                if not line.endswith("\n"):
                    break  # a line still being written (or torn by a crash)
                e = parse_line(line, origin)
                if e is not None:
                    out.append(e)
    except FileNotFoundError:
        pass
    return out


def merge(streams):
    """All events of several files in time order (stable for equal times)."""
    out = [e for s in streams for e in s]
    out.sort(key=lambda e: e["ts"])
    return out


def read_run(rundir):
    """Peers (label -> info) and the merged events of a run directory."""
    peers = {}
    streams = [read_events(os.path.join(rundir, "sn", "logs", "timeline.log"), "supernode")]
    for name in sorted(os.listdir(rundir), key=natural):
        m = re.fullmatch(r"peer-(\d+)", name)
        if not m or not os.path.isdir(os.path.join(rundir, name)):
            continue
        label = name
        info = {"label": label}
        try:
            with open(os.path.join(rundir, name + ".times")) as f:
                t = f.read().split()
                info["launch"], info["exit"], info["rc"] = int(t[0]), int(t[1]), int(t[2])
        except (FileNotFoundError, IndexError, ValueError):
            pass
        try:
            with open(os.path.join(rundir, name + ".rusage")) as f:
                t = f.read().split()
                info["rusage"] = {"elapsed": float(t[0]), "user": float(t[1]), "sys": float(t[2]),
                                  "maxrss_kb": int(t[3])}
        except (FileNotFoundError, IndexError, ValueError):
            pass
        peers[label] = info
        streams.append(read_events(os.path.join(rundir, name, "logs", "timeline.log"), label))
    return peers, merge(streams)


def natural(s):
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", s)]


# ---------------------------------------------------------------------------------------------
# accounting

PEER_STATES = ["fetching", "fetched, not yet handled", "reporting", "polling the supernode", "nothing to do"]


def sweep(intervals_by_state, start, end):
    """Splits [start, end) among states by priority (earlier state in the list wins an overlap).

    intervals_by_state: list of (state, [(a, b), ...]) in priority order. Returns {state: us},
    including "other" for time covered by none; the values sum to end - start.
    """
    points = {start, end}
    for _, ivs in intervals_by_state:
        for a, b in ivs:
            if b > a:
                points.add(min(max(a, start), end))
                points.add(min(max(b, start), end))
    pts = sorted(points)
    # coverage counts per state at each elementary segment, by a difference array
    idx = {p: i for i, p in enumerate(pts)}
    cover = []
    for state, ivs in intervals_by_state:
        diff = [0] * (len(pts) + 1)
        for a, b in ivs:
            a, b = min(max(a, start), end), min(max(b, start), end)
            if b > a:
                diff[idx[a]] += 1
                diff[idx[b]] -= 1
        run, c = 0, []
        for i in range(len(pts) - 1):
            run += diff[i]
            c.append(run > 0)
        cover.append((state, c))
    out = {s: 0 for s, _ in intervals_by_state}
    out["other"] = 0
    for i in range(len(pts) - 1):
        seg = pts[i + 1] - pts[i]
        for state, c in cover:
            if c[i]:
                out[state] += seg
                break
        else:
            out["other"] += seg
    return out


def pair_intervals(events, start_ev, end_evs, key=lambda e: e.get("piece")):
    """[(a, b)] from each start event to the next matching end event of the same key."""
    open_ = {}
    out = []
    for e in events:
        if e["ev"] == start_ev:
            open_[key(e)] = e["ts"]
        elif e["ev"] in end_evs and key(e) in open_:
            out.append((open_.pop(key(e)), e["ts"]))
    return out


def first(events, name):
    for e in events:
        if e["ev"] == name:
            return e["ts"]
    return None


def last(events, name):
    t = None
    for e in events:
        if e["ev"] == name:
            t = e["ts"]
    return t


def analyse(peers, events, gantt=False, out=sys.stdout):
    """Prints the report; returns the figures as a dict (the self-test checks them)."""
    result = {"peers": {}, "pieces": {}}
    sn = [e for e in events if e["file"] == "supernode"]
    by_peer = {label: [e for e in events if e["file"] == label] for label in peers}
    cid_of = {}
    for label, evs in by_peer.items():
        for e in evs:
            if "cid" in e:
                cid_of[label] = e["cid"]
                break
    label_of = {c: l for l, c in cid_of.items()}
    task = next((e["task"] for evs in by_peer.values() for e in evs if "task" in e), None)
    if task:
        sn = [e for e in sn if e.get("task", task) == task]
    launches = [p["launch"] for p in peers.values() if "launch" in p]
    t0 = min(launches) if launches else (events[0]["ts"] if events else 0)
    ends = [p["exit"] for p in peers.values() if "exit" in p]
    t_end = max(ends) if ends else (events[-1]["ts"] if events else t0)
    if launches:  # attach mode: supernode events of other runs are not ours
        sn = [e for e in sn if t0 - 60_000_000 <= e["ts"] <= t_end + 1_000_000]

    def rel(t):
        return (t - t0) / 1e6

    # --- availability of each piece: the CDN's publication, and each peer's verified copy
    published = {}
    for e in sn:
        if e["ev"] == "cdn_published" and "piece" in e:
            published.setdefault(e["piece"], e["ts"])
    have = {label: {} for label in peers}  # label -> piece -> ts it was verified (or found on disk)
    src_of = {label: {} for label in peers}
    for label, evs in by_peer.items():
        for e in evs:
            if e["ev"] in ("verified", "handled") and "piece" in e:
                have[label].setdefault(e["piece"], e["ts"])
                if e["ev"] == "handled":
                    src_of[label].setdefault(e["piece"], e.get("src"))
    all_pieces = sorted(set(published) | {p for h in have.values() for p in h})

    def available_at(piece, t, exclude):
        ts = [published.get(piece)] + [have[l].get(piece) for l in peers if l != exclude]
        ts = [x for x in ts if x is not None]
        return bool(ts) and min(ts) <= t

    # --- per peer
    print(f"run: {len(peers)} peer(s), task {task}, wall {rel(t_end):.2f} s from the first launch", file=out)
    cdn_start = first(sn, "cdn_fetch_start")
    cdn_done = first(sn, "cdn_complete")
    sn_reg = [e for e in sn if e["ev"] == "sn_registered"]
    if cdn_start is not None:
        n_pub = len(published)
        span = (cdn_done or max(published.values(), default=cdn_start)) - cdn_start
        size = sum(e.get("bytes", 0) for e in sn if e["ev"] == "cdn_read")
        rate = size / 1048576 / (span / 1e6) if span > 0 else 0
        print(f"CDN: fetch started at +{rel(cdn_start):.3f} s, {n_pub} pieces published, complete at "
              f"+{rel(cdn_done):.3f} s" if cdn_done else f"CDN: fetch started at +{rel(cdn_start):.3f} s",
              f"({span / 1e6:.2f} s, {rate:.0f} MiB/s ingest)", file=out)
        result["cdn"] = {"start": rel(cdn_start), "span": span / 1e6, "rate": rate,
                         "complete": rel(cdn_done) if cdn_done else None}
        cdn_pieces(sn, rel, out, result)
    print(file=out)
    header = ["phase (s)"] + list(peers)
    rows = []
    phase_names = ["start-up (JVM, CLI, upload server)", "engine to register sent", "registration (supernode)",
                   "prepare (work files)"] + ["p2p: " + s for s in PEER_STATES] + [
                   "p2p: other", "p2p end to md5 wait", "md5 tail (whole-file digest)", "commit (rename)",
                   "exit (summary, JVM exit)", "total (launch to exit)"]
    table = {p: [] for p in phase_names}
    gantt_rows = {}
    for label, info in peers.items():
        evs = by_peer[label]
        launch = info.get("launch", first(evs, "download_start"))
        dstart = first(evs, "download_start")
        reg_sent = first(evs, "register_sent")
        reg_ans = first(evs, "register_answer")
        registered = first(evs, "registered")
        p2p_done = first(evs, "p2p_done") or last(evs, "handled")
        md5_wait = first(evs, "md5_wait")
        md5_done = first(evs, "md5_done")
        committed = first(evs, "committed")
        exit_ = info.get("exit", committed)
        marks = [launch, dstart, reg_sent, reg_ans, registered]
        if None in marks or p2p_done is None:
            print(f"{label}: incomplete timeline (missing start/registration/p2p events); skipped", file=out)
            continue
        fetching = pair_intervals(evs, "fetch_start", {"fetch_end", "piece_failed"})
        handoff = pair_intervals(evs, "fetch_end", {"handled", "piece_failed"})
        reporting = pair_intervals(evs, "handled", {"reported"})
        polling = pair_intervals(evs, "poll_sent", {"poll_answer"}, key=lambda e: 0)
        inflight = pair_intervals(evs, "fetch_queued", {"handled", "piece_failed"})
        states = sweep([("fetching", fetching), ("fetched, not yet handled", handoff), ("reporting", reporting),
                        ("polling the supernode", polling)], registered, p2p_done)
        states["nothing to do"] = states.pop("other")
        states["other"] = 0
        ph = {
            "start-up (JVM, CLI, upload server)": dstart - launch,
            "engine to register sent": reg_sent - dstart,
            "registration (supernode)": reg_ans - reg_sent,
            "prepare (work files)": registered - reg_ans,
        }
        for s in PEER_STATES + ["other"]:
            ph["p2p: " + s] = states.get(s, 0)
        ph["p2p end to md5 wait"] = (md5_wait - p2p_done) if md5_wait else 0
        ph["md5 tail (whole-file digest)"] = (md5_done - md5_wait) if md5_wait and md5_done else 0
        ph["commit (rename)"] = (committed - md5_done) if md5_done and committed else 0
        ph["exit (summary, JVM exit)"] = (exit_ - committed) if committed and exit_ else 0
        ph["total (launch to exit)"] = (exit_ or p2p_done) - launch
        for k in phase_names:
            table[k].append(ph.get(k, 0) / 1e6)
        # idle and under-filled time while a piece this peer lacked existed elsewhere
        others = list(published.values()) + [t for l in peers if l != label for t in have[l].values()]
        gaps = idle_gaps(inflight, registered, p2p_done, all_pieces, have[label],
                         lambda p, t: available_at(p, t, label), others)
        nbytes = sum(e.get("bytes", 0) for e in evs if e["ev"] == "handled")
        fetch_span = (last(evs, "handled") or p2p_done) - (first(evs, "fetch_start") or registered)
        from_peers = sum(1 for p, s in src_of[label].items() if s in label_of)
        result["peers"][label] = {"phases": {k: v / 1e6 for k, v in ph.items()}, "idle": gaps,
                                  "bytes": nbytes, "from_peers": from_peers,
                                  "pieces": len(src_of[label])}
        info["_summary"] = (nbytes, fetch_span, from_peers, len(src_of[label]), gaps)
        if gantt:
            gantt_rows[label] = (launch, dstart, registered, p2p_done, md5_done, exit_, inflight)
    w = max(len(p) for p in phase_names) + 1
    print(f"{'per peer, seconds':<{w}}" + "".join(f"{h:>9}" for h in header[1:]) + f"{'median':>9}", file=out)
    for k in phase_names:
        vals = table[k]
        if not vals or (all(abs(v) < 0.0005 for v in vals) and k == "p2p: other"):
            continue
        print(f"{k:<{w}}" + "".join(f"{v:9.3f}" for v in vals) + f"{statistics.median(vals):9.3f}", file=out)
    print(file=out)
    for label, info in peers.items():
        if "_summary" not in info:
            continue
        nbytes, span, fp, np_, gaps = info.pop("_summary")
        ru = info.get("rusage")
        cpu = f", dfget CPU {ru['user'] + ru['sys']:.2f} s (user {ru['user']:.2f} sys {ru['sys']:.2f}), " \
              f"peak RSS {ru['maxrss_kb'] / 1024:.0f} MB" if ru else ""
        rate = nbytes / 1048576 / (span / 1e6) if span > 0 else 0
        print(f"{label}: {np_} pieces ({fp} from peers, {np_ - fp} from the CDN), {nbytes / 1048576:.1f} MiB "
              f"at {rate:.0f} MiB/s over the first fetch to the last piece{cpu}", file=out)
        print(f"  idle with nothing in flight while a piece it lacked existed elsewhere: "
              f"{gaps['idle_us'] / 1e6:.3f} s in {gaps['idle_gaps']} gap(s)"
              + (f", longest {gaps['longest_us'] / 1e3:.0f} ms at +{rel(gaps['longest_at']):.3f} s"
                 if gaps["idle_gaps"] else ""), file=out)
        print(f"  fewer than {gaps['slots']} in flight while more such pieces existed: "
              f"{gaps['underfilled_us'] / 1e6:.3f} s", file=out)
    print(file=out)
    pipeline(peers, by_peer, sn, cid_of, label_of, published, out, result)
    piece_table(all_pieces, published, have, src_of, label_of, peers, sn, rel, out, result)
    if gantt:
        print_gantt(gantt_rows, published, t0, t_end, out)
    return result


def pipeline(peers, by_peer, sn, cid_of, label_of, published, out, result):
    """Per peer: the registration's legs, the polls as the supernode saw them, and the median of
    each stage of a piece's way from available to reported."""
    piece_size = next((int(e["pieceSize"]) for evs in by_peer.values() for e in evs
                       if e["ev"] == "registered" and "pieceSize" in e), 0)

    def piece_of(e):
        if "range" not in e or not piece_size:
            return None
        try:
            return int(e["range"].split("-")[0]) // piece_size
        except ValueError:
            return None
    # when each peer's copy became known to the supernode (success reports), for availability
    reported = {}
    for e in sn:
        if e["ev"] in ("sn_success", "sn_poll_recv") and e.get("result", "SEMI_SUCCESS").endswith("SUCCESS"):
            p = piece_of(e)
            if p is not None:
                reported.setdefault(e.get("cid"), {}).setdefault(p, e["ts"])
    stages = ["available -> assigned (supernode)", "assigned -> fetch start (answer, queue)",
              "fetch start -> first byte", "first byte -> last byte", "last byte -> handled (loop)",
              "handled -> reported (piece/suc)"]
    print("per peer: registration legs, polls seen by the supernode, and the median ms of each stage of "
          "a piece", file=out)
    w = max(len(x) for x in stages) + 1
    rows = {k: [] for k in stages}
    for label in peers:
        cid = cid_of.get(label)
        evs = by_peer[label]
        mine = [e for e in sn if e.get("cid") == cid]
        recv, done = first(mine, "sn_register_recv"), first(mine, "sn_registered")
        sent, ans = first(evs, "register_sent"), first(evs, "register_answer")
        polls = pair_intervals(mine, "sn_poll_recv", {"sn_poll_answer"}, key=lambda e: 0)
        waits = [e for e in mine if e["ev"] == "sn_poll_answer" and e.get("decision") == "Wait"]
        answers = [e for e in mine if e["ev"] == "sn_poll_answer"]
        held = []
        for (a, b), ans_e in zip(polls, answers):
            held.append((b - a, ans_e))
        wait_s = sum(d for d, e in held if e.get("decision") == "Wait") / 1e6
        piece_answers = [int(e["pieces"]) for e in answers if "pieces" in e]
        repeated = sum(1 for e in answers if "repeated" in e)
        whys = {}
        for e in waits:
            why = re.sub(r"\d+", "N", e.get("why", "?"))  # "piece N is being fetched by a peer ..."
            whys[why] = whys.get(why, 0) + 1
        held_pieces = sorted(d for d, e in held if "pieces" in e)
        # 602 answers while the supernode itself knew another peer holding a piece this one lacked
        # (reported by piece/suc or a poll): the scheduler chose to make it wait
        known_wait = cdn_wait = 0
        known_wait_us = cdn_wait_us = 0
        my_reports = reported.get(cid, {})
        for (a, b), ans_e in zip(polls, answers):
            if ans_e.get("decision") != "Wait":
                continue
            if any(t <= b and my_reports.get(p, b + 1) > b
                   for c, ps in reported.items() if c != cid for p, t in ps.items()):
                known_wait += 1
                known_wait_us += b - a
            elif any(t <= b and my_reports.get(p, b + 1) > b for p, t in published.items()):
                cdn_wait += 1  # only the CDN had it: another peer was fetching it from there
                cdn_wait_us += b - a
        legs = ""
        if None not in (recv, done, sent, ans):
            legs = (f"registration: {(recv - sent) / 1e3:.0f} ms to reach the supernode, {(done - recv) / 1e3:.0f} ms "
                    f"there (source probe, task), {(ans - done) / 1e3:.0f} ms back; ")
        print(f"{label}: {legs}{len(polls)} polls, {len(waits)} answered 602 after a hold ({wait_s:.2f} s "
              f"in all; {known_wait} of them, {known_wait_us / 1e6:.2f} s, while another peer had reported a piece "
              f"it lacked, {cdn_wait} ({cdn_wait_us / 1e6:.2f} s) while only the CDN had one), {len(piece_answers)} with pieces (median {statistics.median(piece_answers) if piece_answers else 0}"
              f" per answer, held median {(held_pieces[len(held_pieces) // 2] / 1e3) if held_pieces else 0:.0f} ms)"
              + (f", {repeated} repeating pieces in flight" if repeated else "")
              + (f"; 602 because: " + ", ".join(f"{k.replace('_', ' ')} x{v}" for k, v in sorted(whys.items()))
                 if whys and "?" not in whys else ""), file=out)
        assigned = {}
        for e in mine:
            if e["ev"] == "sn_assign" and "piece" in e:
                assigned.setdefault(e["piece"], e["ts"])
        marks = {}
        for e in evs:
            if "piece" in e and e["ev"] in ("fetch_start", "first_byte", "fetch_end", "handled", "reported"):
                marks.setdefault(e["piece"], {}).setdefault(e["ev"], e["ts"])
        st = {k: [] for k in stages}
        for p, m in marks.items():
            avail = [published.get(p)] + [reported.get(c, {}).get(p) for c in label_of if c != cid]
            avail = [x for x in avail if x is not None]
            a = assigned.get(p)
            if avail and a:
                st[stages[0]].append(a - min(avail))
            if a and "fetch_start" in m:
                st[stages[1]].append(m["fetch_start"] - a)
            for k, (x, y) in zip(stages[2:], [("fetch_start", "first_byte"), ("first_byte", "fetch_end"),
                                              ("fetch_end", "handled"), ("handled", "reported")]):
                if x in m and y in m:
                    st[k].append(m[y] - m[x])
        for k in stages:
            rows[k].append(statistics.median(st[k]) / 1e3 if st[k] else float("nan"))
        result["peers"].setdefault(label, {})["stages_ms"] = {k: rows[k][-1] for k in stages}
        result["peers"][label]["polls"] = {"polls": len(polls), "wait": len(waits), "known_wait": known_wait,
                                           "cdn_wait": cdn_wait, "whys": whys, "repeated": repeated}
    print(f"{'median ms per piece':<{w}}" + "".join(f"{l:>9}" for l in peers), file=out)
    for k in stages:
        print(f"{k:<{w}}" + "".join(f"{v:9.1f}" for v in rows[k]), file=out)
    print(file=out)


def cdn_pieces(sn, rel, out, result):
    """The CDN's per-piece ingest: source read, write+hash, publication."""
    read = {e["piece"]: e["ts"] for e in sn if e["ev"] == "cdn_read"}
    written = {e["piece"]: e["ts"] for e in sn if e["ev"] == "cdn_written"}
    pub = {e["piece"]: e["ts"] for e in sn if e["ev"] == "cdn_published"}
    start = next((e["ts"] for e in sn if e["ev"] == "cdn_fetch_start"), None)
    if not read or start is None:
        return
    wait, hash_, save = [], [], []
    prev = start
    for n in sorted(read):
        wait.append(read[n] - prev)
        if n in written:
            hash_.append(written[n] - read[n])
            if n in pub:
                save.append(pub[n] - written[n])
        prev = pub.get(n, written.get(n, read[n]))
    tot = lambda xs: sum(xs) / 1e6
    print(f"CDN per piece (sums over {len(read)} pieces): waiting for source bytes {tot(wait):.3f} s, "
          f"framing+write+md5+sha256 {tot(hash_):.3f} s, meta save+publish {tot(save):.3f} s; median piece "
          f"{statistics.median(wait) / 1e3:.1f} / {statistics.median(hash_) / 1e3 if hash_ else 0:.1f} / "
          f"{statistics.median(save) / 1e3 if save else 0:.1f} ms", file=out)
    result["cdn"].update({"source_wait": tot(wait), "hash_write": tot(hash_), "save_publish": tot(save)})


def idle_gaps(inflight, start, end, pieces, have, available, avail_times, slots=4):
    """Time in [start, end) with no piece in flight (and with < slots in flight) while a piece this
    peer lacked was available somewhere. Evaluated at every event boundary (exact for step data)."""
    points = sorted({start, end} | {t for iv in inflight for t in iv if start <= t <= end}
                    | {t for t in have.values() if start <= t <= end}
                    | {t for t in avail_times if start <= t <= end})
    idle_us = under_us = 0
    gaps = []
    cur = None
    for a, b in zip(points, points[1:]):
        if b <= a:
            continue
        n_in = sum(1 for x, y in inflight if x <= a < y)
        lacking = [p for p in pieces if have.get(p, end + 1) > a and available(p, a)]
        in_flight_pieces = n_in
        spare = len(lacking) - in_flight_pieces
        if n_in == 0 and lacking:
            idle_us += b - a
            if cur and cur[1] == a:
                cur[1] = b
            else:
                cur = [a, b]
                gaps.append(cur)
        if n_in < slots and spare > 0:
            under_us += b - a
    longest = max(gaps, key=lambda g: g[1] - g[0]) if gaps else None
    return {"idle_us": idle_us, "idle_gaps": len(gaps), "underfilled_us": under_us, "slots": slots,
            "longest_us": (longest[1] - longest[0]) if longest else 0,
            "longest_at": longest[0] if longest else 0}


def piece_table(pieces, published, have, src_of, label_of, peers, sn, rel, out, result):
    if not pieces:
        return
    labels = list(peers)
    print("per piece: published by the CDN at +s, then ms from publication to each peer having it "
          "(c = fetched from the CDN, p = from a peer)", file=out)
    print(f"{'piece':>5} {'pub +s':>8}" + "".join(f"{l:>10}" for l in labels), file=out)
    lat_all = []
    for p in pieces:
        pub = published.get(p)
        cells = []
        for l in labels:
            t = have[l].get(p)
            if t is None or pub is None:
                cells.append(f"{'-':>10}")
                continue
            src = src_of[l].get(p)
            kind = "p" if src in label_of else "c"
            lat = (t - pub) / 1e3
            lat_all.append(lat)
            cells.append(f"{lat:9.0f}{kind}")
        print(f"{p:>5} {rel(pub) if pub else float('nan'):8.3f}" + "".join(cells), file=out)
        result["pieces"][p] = {"pub": rel(pub) if pub else None,
                               "lat_ms": {l: (have[l][p] - pub) / 1e3 for l in labels if p in have[l] and pub}}
    if lat_all:
        lat_all.sort()
        q = lambda f: lat_all[min(len(lat_all) - 1, int(f * len(lat_all)))]
        print(f"publication to peer: median {statistics.median(lat_all):.0f} ms, p90 {q(0.9):.0f} ms, "
              f"max {lat_all[-1]:.0f} ms over {len(lat_all)} piece copies", file=out)
        result["latency_median_ms"] = statistics.median(lat_all)
    print(file=out)


def print_gantt(rows, published, t0, t_end, out, width=100):
    span = max(1, t_end - t0)
    col = lambda t: min(width - 1, max(0, int((t - t0) * width / span)))
    print(f"Gantt, one column = {span / width / 1e3:.0f} ms: s start-up, r registering, digits = pieces in "
          f"flight, . nothing in flight, m md5 tail, x exit", file=out)
    cdn = [" "] * width
    for t in published.values():
        c = col(t)
        cdn[c] = "#" if cdn[c] in " #" else cdn[c]
    print(f"{'CDN':>8} |{''.join(cdn)}|", file=out)
    for label, (launch, dstart, registered, p2p_done, md5_done, exit_, inflight) in rows.items():
        line = [" "] * width
        for i in range(width):
            a = t0 + i * span / width
            if a < launch:
                continue
            if a < dstart:
                ch = "s"
            elif a < registered:
                ch = "r"
            elif a < p2p_done:
                n = sum(1 for x, y in inflight if x <= a < y)
                ch = str(min(n, 9)) if n else "."
            elif md5_done and a < md5_done:
                ch = "m"
            elif exit_ and a < exit_:
                ch = "x"
            else:
                continue
            line[i] = ch
        print(f"{label:>8} |{''.join(line)}|", file=out)
    print(file=out)


# ---------------------------------------------------------------------------------------------
# CPU sampling


def clk_tck():
    try:
        return os.sysconf("SC_CLK_TCK")
    except (ValueError, OSError):
        return 100


def read_stat(path):
    """(comm, utime, stime) in ticks from a /proc/.../stat file, or None."""
    try:
        with open(path, "rb") as f:
            s = f.read().decode(errors="replace")
    except OSError:
        return None
    l, r = s.find("("), s.rfind(")")
    if l < 0 or r < 0:
        return None
    rest = s[r + 2:].split()
    return s[l + 1:r], int(rest[11]), int(rest[12])


def classify(argv, marker):
    """A label for a JVM of the run from its command line, or None when not ours."""
    line = " ".join(argv)
    if marker not in line or not argv or "java" not in os.path.basename(argv[0]):
        return None
    home = ""
    if "--home" in argv:
        i = argv.index("--home")
        home = os.path.basename(argv[i + 1].rstrip("/")) if i + 1 < len(argv) else ""
    if "SupernodeMain" in line:
        return "supernode"
    if "DfgetMain" in line:
        return ("upload:" if "server" in argv[argv.index(next(a for a in argv if "DfgetMain" in a)) + 1:][:1]
                else "dfget:") + home
    return None


LAUNCHERS = {"sh", "dash", "bash", "time", "jspawnhelper", "env"}


def sample(out_path, marker, interval=0.1):
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    procs = {}   # pid -> {"label", "threads": {tid: [comm, ut, st]}}
    seen = set()
    retries = {}
    machine = []  # (t, busy ticks, total ticks)
    t_start = time.time()
    first_tick = True
    while not stop:
        now = time.time()
        try:
            pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
        except OSError:
            pids = []
        for pid in pids:
            if pid in seen:
                # a peer process spawned by a thin dfget (fork, jspawnhelper, setsid, java) shows
                # the parent's java command line until its own exec: look again for 2 s
                p = procs.get(pid)
                if p and now - p["first"] < 2.0:
                    try:
                        with open(f"/proc/{pid}/cmdline", "rb") as f:
                            label = classify([a.decode(errors="replace") for a in f.read().split(b"\0") if a], marker)
                        if label:
                            p["label"] = label
                    except OSError:
                        pass
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
            except OSError:
                continue
            # bin/dfget and bin/launch are shell scripts, and the JDK starts a child (the upload
            # server) through jspawnhelper: each execs java in the same pid, so a launcher is
            # looked at again on the next tick
            # (an empty command line is a process between fork and exec, or a kernel thread:
            # looked at for 2 s)
            if not argv:
                retries[pid] = retries.get(pid, 0) + 1
                if retries[pid] > 20:
                    seen.add(pid)
            elif os.path.basename(argv[0]) not in LAUNCHERS:
                seen.add(pid)
            label = classify(argv, marker)
            if label:
                # a process already running when sampling starts (the supernode) is charged only
                # what it spends from now on; later ones from their start
                procs[pid] = {"label": label, "threads": {}, "first": now, "last": now,
                              "base": {} if not first_tick else None}
        for pid, p in procs.items():
            if p.get("gone"):
                continue
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                p["gone"] = True
                continue
            for tid in tids:
                st = read_stat(f"/proc/{pid}/task/{tid}/stat")
                if st:
                    if p["base"] is None:
                        p.setdefault("base0", {})[tid] = st
                    b = (p.get("base0") or {}).get(tid, (None, 0, 0))
                    p["threads"][tid] = [st[0], st[1] - b[1], st[2] - b[2]]
            if p["base"] is None:
                p["base"] = {}
            p["last"] = now
        try:
            with open("/proc/stat") as f:
                v = [int(x) for x in f.readline().split()[1:]]
            machine.append((now, sum(v) - v[3] - v[4], sum(v)))
        except OSError:
            pass
        first_tick = False
        time.sleep(max(0.0, interval - (time.time() - now)))
    self_cpu = sum(os.times()[:2])
    data = {"clk_tck": clk_tck(), "interval": interval, "start": t_start, "end": time.time(),
            "sampler_cpu_s": self_cpu, "cores": os.cpu_count(),
            "machine": machine[:1] + machine[-1:],
            "procs": {str(pid): {"label": p["label"], "first": p["first"], "last": p["last"],
                                 "threads": p["threads"]} for pid, p in procs.items()}}
    with open(out_path, "w") as f:
        json.dump(data, f)


def cpu_report(path, out=sys.stdout, top=6):
    try:
        with open(path) as f:
            d = json.load(f)
    except FileNotFoundError:
        return None
    tck = d["clk_tck"]
    print(f"CPU per process (sampled every {d['interval'] * 1000:.0f} ms from /proc/<pid>/task/*/stat; a "
          f"process's last <= {d['interval'] * 1000:.0f} ms are missed; sampler itself "
          f"{d['sampler_cpu_s']:.2f} CPU-s)", file=out)
    m = d.get("machine", [])
    if len(m) == 2 and m[1][2] > m[0][2]:
        busy = (m[1][1] - m[0][1]) / (m[1][2] - m[0][2])
        wall = m[1][0] - m[0][0]
        print(f"machine: {busy * 100:.0f}% of {d['cores']} cores busy over {wall:.2f} s "
              f"({busy * d['cores'] * wall:.2f} CPU-s, every process)", file=out)
    totals = {}
    rows = []
    for pid, p in sorted(d["procs"].items(), key=lambda kv: natural(kv[1]["label"])):
        groups = {}
        for comm, ut, st in p["threads"].values():
            g = re.sub(r"\d+", "#", comm)
            a = groups.setdefault(g, [0, 0, 0])
            a[0] += ut
            a[1] += st
            a[2] += 1
        total_u = sum(a[0] for a in groups.values()) / tck
        total_s = sum(a[1] for a in groups.values()) / tck
        totals[p["label"]] = total_u + total_s
        best = sorted(groups.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:top]
        desc = ", ".join(f"{g}{'x' + str(a[2]) if a[2] > 1 else ''} {(a[0] + a[1]) / tck:.2f}"
                         for g, a in best if a[0] + a[1] > 0)
        rows.append((p["label"], pid, total_u, total_s, desc))
    w = max([len(r[0]) for r in rows] + [8])
    print(f"{'process':<{w}} {'pid':>7} {'user s':>7} {'sys s':>7}  top threads (user+sys s; xN = N threads; "
          f"'java' is the main thread, 'C# CompilerThre' the JIT)", file=out)
    for label, pid, u, s, desc in rows:
        print(f"{label:<{w}} {pid:>7} {u:7.2f} {s:7.2f}  {desc}", file=out)
    kinds = {}
    for label, v in totals.items():
        k = label.split(":")[0]
        kinds.setdefault(k, []).append(v)
    print("sum by kind: " + ", ".join(f"{k} {sum(v):.2f} CPU-s ({len(v)} process(es))"
                                      for k, v in sorted(kinds.items())), file=out)
    if len(m) == 2 and m[1][2] > m[0][2]:
        machine_s = (m[1][1] - m[0][1]) / tck
        ours = sum(totals.values())
        print(f"this run's JVMs: {ours:.2f} of the machine's {machine_s:.2f} busy CPU-s over the run "
              f"({machine_s - ours:.2f} CPU-s went to other processes: the sampler, nginx, other users)", file=out)
    print(file=out)
    return totals


# ---------------------------------------------------------------------------------------------
# self-test


def self_test():
    import io
    import tempfile
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    # parsing: a full line, a torn line, a foreign line
    e = parse_line("1000000 assigned task=t1 cid=c1 piece=3 src=cdn bytes=42 proc=dfclient pid=7 thread=dfget-1\n")
    check(e and e["ev"] == "assigned" and e["piece"] == 3 and e["bytes"] == 42 and e["thread"] == "dfget-1",
          "parse a full line")
    check(parse_line("10000") is None and parse_line("2026-12-02 some log line") is None, "reject non-lines")
    check(parse_line("1000 x piece=zz") is None, "reject a bad piece number")
    # merging keeps time order across files
    m = merge([[{"ts": 3, "ev": "a"}, {"ts": 5, "ev": "b"}], [{"ts": 4, "ev": "c"}]])
    check([x["ev"] for x in m] == ["a", "c", "b"], "merge orders by time")
    # sweep: priorities and the remainder sum to the span
    s = sweep([("x", [(0, 10)]), ("y", [(5, 20)])], 0, 30)
    check(s == {"x": 10, "y": 10, "other": 10}, f"sweep priorities {s}")

    # a synthetic run: a CDN that publishes pieces 0,1 at 1.0 s / 1.5 s; peer-1 fetches both from the
    # CDN; peer-2 gets 0 from peer-1 and idles 0.4 s while piece 1 is available.
    S = 1_000_000
    T = 1_700_000_000 * S
    sn = [f"{T + 0.50 * S:.0f} cdn_fetch_start task=t fromPiece=0 proc=supernode",
          f"{T + 0.90 * S:.0f} cdn_read task=t piece=0 bytes=100 proc=supernode",
          f"{T + 0.95 * S:.0f} cdn_written task=t piece=0 bytes=100 proc=supernode",
          f"{T + 1.00 * S:.0f} cdn_published task=t piece=0 bytes=105 proc=supernode",
          f"{T + 1.40 * S:.0f} cdn_read task=t piece=1 bytes=50 proc=supernode",
          f"{T + 1.45 * S:.0f} cdn_written task=t piece=1 bytes=50 proc=supernode",
          f"{T + 1.50 * S:.0f} cdn_published task=t piece=1 bytes=55 proc=supernode",
          f"{T + 1.50 * S:.0f} cdn_complete task=t pieces=2 proc=supernode",
          f"{T + 9.00 * S:.0f} cdn_published task=other piece=0 bytes=5 proc=supernode",
          # peer-1 reports piece 0 at 1.3 s; peer-2's poll is held 0.8 s and answered 602 at 1.2 s
          # (nothing reported yet, piece 0 published: "only the CDN had one"), then at 1.3 s it
          # is assigned piece 0 from peer-1; a second 602 at 1.75 s after peer-1 reported piece 1
          f"{T + 1.30 * S:.0f} sn_success task=t cid=c1 range=0-99 holder=cdn proc=supernode",
          f"{T + 0.40 * S:.0f} sn_poll_recv task=t cid=c2 proc=supernode",
          f"{T + 1.20 * S:.0f} sn_poll_answer task=t cid=c2 decision=Wait why=piece_0_is_being_fetched proc=supernode",
          f"{T + 1.21 * S:.0f} sn_poll_recv task=t cid=c2 proc=supernode",
          f"{T + 1.29 * S:.0f} sn_poll_answer task=t cid=c2 pieces=1 proc=supernode",
          f"{T + 1.29 * S:.0f} sn_assign task=t cid=c2 piece=0 src=c1 proc=supernode",
          f"{T + 1.41 * S:.0f} sn_poll_recv task=t cid=c2 range=0-99 result=SEMI_SUCCESS proc=supernode",
          f"{T + 1.75 * S:.0f} sn_poll_answer task=t cid=c2 decision=Wait why=no_new_piece proc=supernode",
          f"{T + 1.70 * S:.0f} sn_success task=t cid=c1 range=100-199 holder=cdn proc=supernode"]

        # peer lines: (seconds, event, piece, src)
    def peer(cid, steps):
        return [f"{T + st[0] * S:.0f} {st[1]} task=t cid={cid}" + (f" piece={st[2]}" if st[2] is not None else "")
                + (f" src={st[3]}" if st[3] else "") + (" bytes=100" if st[1] == "handled" else "")
                + (" " + st[4] if len(st) > 4 else "") for st in steps]
    p1 = peer("c1", [(0.3, "download_start", None, None), (0.4, "register_sent", None, None),
                     (0.6, "register_answer", None, None), (0.7, "registered", None, None, "pieceSize=100"),
                     (0.7, "poll_sent", None, None), (1.0, "poll_answer", None, None),
                     (1.0, "fetch_queued", 0, "cdn"), (1.0, "fetch_start", 0, "cdn"), (1.2, "fetch_end", 0, "cdn"),
                     (1.2, "verified", 0, "cdn"), (1.25, "handled", 0, "cdn"), (1.3, "reported", 0, "cdn"),
                     (1.5, "fetch_queued", 1, "cdn"), (1.5, "fetch_start", 1, "cdn"), (1.7, "fetch_end", 1, "cdn"),
                     (1.7, "verified", 1, "cdn"), (1.7, "handled", 1, "cdn"), (1.8, "reported", 1, "cdn"),
                     (1.8, "p2p_done", None, None), (1.8, "md5_wait", None, None), (2.0, "md5_done", None, None),
                     (2.05, "committed", None, None)])
    p2 = peer("c2", [(0.5, "download_start", None, None), (0.6, "register_sent", None, None),
                     (0.8, "register_answer", None, None), (0.8, "registered", None, None),
                     (1.3, "fetch_queued", 0, "c1"), (1.3, "fetch_start", 0, "c1"), (1.4, "fetch_end", 0, "c1"),
                     (1.4, "verified", 0, "c1"), (1.4, "handled", 0, "c1"),
                     (1.8, "fetch_queued", 1, "c1"), (1.8, "fetch_start", 1, "c1"), (1.9, "fetch_end", 1, "c1"),
                     (1.9, "verified", 1, "c1"), (1.9, "handled", 1, "c1"),
                     (1.9, "p2p_done", None, None), (1.9, "md5_wait", None, None), (1.95, "md5_done", None, None),
                     (1.95, "committed", None, None)])
    with tempfile.TemporaryDirectory() as d:
        for name, lines in (("sn", sn), ("peer-1", p1), ("peer-2", p2)):
            os.makedirs(os.path.join(d, name, "logs"))
            with open(os.path.join(d, name, "logs", "timeline.log"), "w") as f:
                f.write("\n".join(lines) + "\n" + "123 torn")  # a torn last line must be ignored
        for name, launch, exit_ in (("peer-1", 0.0, 2.5), ("peer-2", 0.1, 2.2)):
            with open(os.path.join(d, name + ".times"), "w") as f:
                f.write(f"{T + launch * S:.0f} {T + exit_ * S:.0f} 0\n")
        peers, events = read_run(d)
        check(list(peers) == ["peer-1", "peer-2"], f"peers found {list(peers)}")
        check(len(events) == len(sn) + len(p1) + len(p2), f"events merged {len(events)}")
        buf = io.StringIO()
        r = analyse(peers, events, gantt=True, out=buf)
    ph1 = r["peers"]["peer-1"]["phases"]
    close = lambda a, b: abs(a - b) < 1e-6
    check(close(ph1["start-up (JVM, CLI, upload server)"], 0.3), "peer-1 start-up 0.3 s")
    check(close(ph1["registration (supernode)"], 0.2), "peer-1 registration 0.2 s")
    check(close(ph1["p2p: fetching"], 0.4), f"peer-1 fetching {ph1['p2p: fetching']}")
    check(close(ph1["p2p: polling the supernode"], 0.3), f"peer-1 polling {ph1['p2p: polling the supernode']}")
    check(close(ph1["md5 tail (whole-file digest)"], 0.2), "peer-1 md5 tail")
    check(close(ph1["exit (summary, JVM exit)"], 0.45), "peer-1 exit")
    parts = sum(v for k, v in ph1.items() if not k.startswith("total"))
    check(close(parts, ph1["total (launch to exit)"]) and close(ph1["total (launch to exit)"], 2.5),
          f"peer-1 phases sum to its wall time ({parts} vs {ph1['total (launch to exit)']})")
    idle2 = r["peers"]["peer-2"]["idle"]
    # peer-2: piece 0 available from 1.0 (CDN) but fetched at 1.3 -> idle 0.3 s; piece 1 available
    # from 1.5 (CDN) but fetched at 1.8 -> 0.3 s more: two gaps, 0.6 s
    check(idle2["idle_gaps"] == 2 and close(idle2["idle_us"] / 1e6, 0.6), f"peer-2 idle {idle2}")
    check(r["peers"]["peer-2"]["from_peers"] == 2 and r["peers"]["peer-1"]["from_peers"] == 0, "sources")
    check(close(r["pieces"][0]["lat_ms"]["peer-2"], 400) and close(r["pieces"][1]["lat_ms"]["peer-1"], 200),
          f"latency from publication {r['pieces']}")
    check(close(r["cdn"]["source_wait"], 0.4 + 0.4), f"cdn source wait {r['cdn']}")
    check("other" not in r["pieces"] and 0 in r["pieces"], "the other task's event is filtered")
    check("|" in buf.getvalue() and "CDN" in buf.getvalue(), "gantt printed")
    polls2 = r["peers"]["peer-2"]["polls"]
    check(polls2["polls"] == 3 and polls2["wait"] == 2, f"peer-2 polls {polls2}")
    # the first 602 (1.2 s): only the CDN had piece 0; the second (1.75 s): peer-1 had reported
    # piece 1 (1.7 s), which peer-2 lacked
    check(polls2["known_wait"] == 1 and polls2["cdn_wait"] == 1, f"602 classification {polls2}")
    check(polls2["whys"] == {"piece_N_is_being_fetched": 1, "no_new_piece": 1}, f"602 reasons {polls2}")
    st2 = r["peers"]["peer-2"]["stages_ms"]
    # piece 0 available at 1.0 s (CDN), assigned 1.29 s: 290 ms; fetch start 1.3 s: 10 ms later
    check(close(st2["available -> assigned (supernode)"], 290) and close(st2["assigned -> fetch start (answer, queue)"], 10),
          f"peer-2 stages {st2}")
    # the sampler's classification
    check(classify(["/usr/bin/java", "-cp", "x", "io.smalldragonfly.dfget.DfgetMain", "server", "--home",
                    "/w/run/peer-3"], "/w/run") == "upload:peer-3", "classify an upload server")
    check(classify(["/usr/bin/java", "io.smalldragonfly.dfget.DfgetMain", "-u", "u", "--home", "/w/run/peer-3"],
                   "/w/run") == "dfget:peer-3", "classify a dfget")
    check(classify(["/usr/bin/java", "io.smalldragonfly.supernode.SupernodeMain", "--home", "/w/run/sn"],
                   "/w/run") == "supernode", "classify the supernode")
    check(classify(["/usr/bin/java", "io.smalldragonfly.dfget.DfgetMain", "--home", "/elsewhere"], "/w/run")
          is None, "ignore other runs")
    # stat parsing with a space and parentheses in the thread name
    with tempfile.NamedTemporaryFile("w", delete=False) as f:
        f.write("123 (C2 Compiler (x)) S 1 1 1 0 -1 0 0 0 0 0 250 17 0 0 20 0 1 0 0 0 0\n")
    st = read_stat(f.name)
    os.unlink(f.name)
    check(st == ("C2 Compiler (x)", 250, 17), f"stat parse {st}")
    if failures:
        print("self-test FAILED:\n  " + "\n  ".join(failures))
        print(buf.getvalue())
        return 1
    print("self-test passed (parsing, merging, phase accounting, idle gaps, latency, CPU sampling helpers)")
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "self-test":
        return self_test()
    if len(argv) >= 4 and argv[1] == "sample":
        sample(argv[2], argv[3], float(argv[4]) if len(argv) > 4 else 0.1)
        return 0
    if len(argv) >= 3 and argv[1] == "analyse":
        peers, events = read_run(argv[2])
        if not events:
            print(f"no timeline events under {argv[2]} (was SMALL_DRAGONFLY_TIMELINE=1 set?)", file=sys.stderr)
            return 1
        analyse(peers, events, gantt="--gantt" in argv)
        cpu_report(os.path.join(argv[2], "cpu.json"))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
