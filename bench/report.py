#!/usr/bin/env python3
"""Collects the machine-readable lines of one bench/all.sh run into a JSON
file, and renders docs/PERFORMANCE.md (the table of every figure) and its
gnuplot plots from such a file.

  report.py collect WORKDIR OUT.json   # the logs of one run -> JSON
  report.py render RESULT.json DOCDIR  # JSON -> DOCDIR/PERFORMANCE.md + PNGs
  report.py table RESULT.json          # the figures and ratios, on stdout

Every figure has a unit, sipward's value, the peer's value measured in the
same run and the ratio sipward/peer; "better" says which way is better.
"""
import json
import os
import re
import statistics
import subprocess
import sys

KV = re.compile(r"(\w+)=(\S+)")


def kvs(line):
    return dict(KV.findall(line))


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def lines(path, prefix):
    """kv dicts of the lines of PATH that start with PREFIX."""
    if not os.path.exists(path):
        return []
    with open(path, errors="replace") as f:
        return [kvs(l[len(prefix):]) for l in f if l.startswith(prefix)]


class Figures:
    def __init__(self):
        self.rows = []

    def add(self, area, what, unit, sipward, peer, peer_value, better,
            note=""):
        sw, pv = num(sipward), num(peer_value)
        ratio = sw / pv if sw is not None and pv else None
        self.rows.append({
            "area": area, "what": what, "unit": unit, "sipward": sw,
            "peer": peer, "peer_value": pv,
            "ratio": round(ratio, 3) if ratio is not None else None,
            "better": better, "note": note})


PARSER_PEERS = (("sofia", "sofia-sip"), ("osip", "oSIP"), ("re", "libre"))


def collect_parsers(work, fig):
    cols = {d["name"]: d for d in lines(f"{work}/parsers.log", "PARSER ")}
    sw = cols.get("sipward")
    if not sw:
        return
    for key, metric, unit in (("cpu_ns", "parse a 12-message mix, CPU time",
                               "ns/msg"),
                              ("ir_per_msg", "parse, instructions (callgrind)",
                               "instr/msg"),
                              ("allocs_per_msg", "parse, heap allocations",
                               "allocs/msg")):
        for col, name in PARSER_PEERS:
            if col in cols:
                ver = cols[col].get("version", "")
                fig.add("parser", metric, unit, sw.get(key),
                        f"{name} {ver.split('+')[0].split('-')[0]}",
                        cols[col].get(key), "lower")


def medians(path, modes=False):
    """Median of every figure over the runs of each (server, mode), from
    the per-run lines ("kamailio 301 cps=..." or "sipward rps=..."), so a
    section stopped by its time limit still gives the runs it finished."""
    runs = {}
    if not os.path.exists(path):
        return {}
    with open(path, errors="replace") as f:
        for l in f:
            w = l.split()
            if len(w) < 2 or w[0] not in ("sipward", "kamailio"):
                continue
            if modes:
                if "=" in w[1] or w[1] == "latency":
                    continue
                d = kvs(l)
                mode = w[1] + (f"-{d['alg']}" if "alg" in d else "")
            elif "=" in w[1]:
                d, mode = kvs(l), ""
            else:
                continue
            runs.setdefault((w[0], mode), []).append(d)
    out = {}
    for key, rs in runs.items():
        m = {}
        for k in rs[0]:
            vals = [num(r.get(k)) for r in rs]
            vals = [v for v in vals if v is not None]
            m[k] = statistics.median(vals) if vals else rs[0][k]
        m["runs"] = len(rs)
        out[key] = m
    return out


def collect_net(work, fig):
    m = medians(f"{work}/options.log")
    sw, k = m.get(("sipward", "")), m.get(("kamailio", ""))
    if not sw or not k:
        return
    fig.add("OPTIONS", "OPTIONS -> 200, server CPU per request", "us",
            sw["cpu_us_per_req"], "Kamailio", k["cpu_us_per_req"], "lower")
    fig.add("OPTIONS", "OPTIONS -> 200, requests/s (SIPp closed loop)",
            "req/s", sw["rps"], "Kamailio", k["rps"], "higher")


LOCATION = (("301", "INVITE -> 301 -> ACK", "calls/s"),
            ("302", "INVITE -> 302 -> ACK", "calls/s"),
            ("register", "REGISTER -> 200 (new AOR, no digest)", "reg/s"))


def collect_location(work, fig):
    m = medians(f"{work}/location.log", modes=True)
    for mode, what, rate_unit in LOCATION:
        sw, k = m.get(("sipward", mode)), m.get(("kamailio", mode))
        if not sw or not k:
            continue
        note = ("sipward: durable (SQLite fsync before the 200); "
                "Kamailio: in memory") if mode == "register" else ""
        fig.add("registrar", f"{what}, server CPU per request", "us",
                sw["srv_us_per_call"], "Kamailio", k["srv_us_per_call"],
                "lower", note)
        fig.add("registrar", f"{what}, throughput (SIPp)", rate_unit,
                sw["cps"], "Kamailio", k["cps"], "higher")
    for (name, mode), sw in m.items():
        if name != "sipward" or not mode.startswith("regauth-"):
            continue
        k = m.get(("kamailio", mode), {})
        alg = mode.split("-", 1)[1]
        what = f"REGISTER -> 401 -> REGISTER+digest {alg} -> 200"
        note = ("Kamailio: one password for all users, no user lookup; "
                "sipward: durable, HA1 per user")
        fig.add("registrar", f"{what}, server CPU per registration", "us",
                sw.get("srv_us_per_reg"), "Kamailio",
                k.get("srv_us_per_reg"), "lower", note)
        fig.add("registrar", f"{what}, registrations/s", "reg/s",
                sw.get("reg_per_s"), "Kamailio", k.get("reg_per_s"),
                "higher")
    mem = m.get(("sipward", "memory"))
    if mem:
        n = num(mem.get("bindings")) or 0
        per = num(mem.get("per_binding_bytes")) or 0
        empty = (num(mem.get("empty_rss_kb")) or 0) / 1024
        extra = "" if n >= 1e6 else (
            f" (QUICK: fewer bindings; at that rate 1,000,000 would take "
            f"about {empty + per * 1e6 / 2**20:,.0f} MB)")
        k = m.get(("kamailio", "memory"), {})
        kmb = num(k.get("pss_kb"))
        knote = ""
        if kmb:
            knote = (f"; Kamailio: PSS of all its processes (usrloc is in "
                     f"shared memory) after SIPp registered "
                     f"{num(k.get('bindings')) or 0:,.0f} new AORs, "
                     f"{num(k.get('per_binding_bytes')) or 0:.0f} bytes a binding, empty "
                     f"{(num(k.get('empty_pss_kb')) or 0) / 1024:.0f} MB")
        fig.add("registrar", f"memory holding {n:,.0f} bindings", "MB",
                round(num(mem["rss_kb"]) / 1024, 1),
                "Kamailio" if kmb else "", round(kmb / 1024, 1) if kmb else
                None, "lower",
                f"sipward: RSS, {per:.0f} bytes a binding, loaded from the "
                f"store in {mem.get('load_s')} s; empty daemon {empty:.0f} MB"
                f"{extra}{knote}")


def latency_series(work):
    rows = []
    for d in lines(f"{work}/location.log", "kamailio latency ") + \
            [dict(x, name="sipward") for x in
             lines(f"{work}/location.log", "sipward latency ")]:
        d.setdefault("name", "kamailio")
        rows.append({
            "server": d["name"], "frac": num(d.get("frac")),
            "offered": num(d.get("offered")), "achieved": num(d.get("cps")),
            "max_cps": num(d.get("max_cps")),
            "srv_cpu_pct": num(d.get("srv_cpu_pct")),
            "srv_us_per_call": num(d.get("srv_us_per_call")),
            "failed": num(d.get("failed")),
            "p50_us": num(d.get("probe_p50_us")),
            "p90_us": num(d.get("probe_p90_us")),
            "p99_us": num(d.get("probe_p99_us")),
            "probe_n": num(d.get("probe_n")),
            "probe_lost": num(d.get("probe_lost"))})
    return rows


def collect_latency(series, fig):
    by = {(r["server"], r["frac"]): r for r in series}
    for frac in (0.5, 0.9):
        sw, k = by.get(("sipward", frac)), by.get(("kamailio", frac))
        if not sw or not k:
            continue
        for p in ("p50", "p90", "p99"):
            fig.add("latency",
                    f"INVITE -> 301 latency {p} at {frac:.0%} of the maximum"
                    f" rate ({sw['offered']:,.0f} calls/s)", "us",
                    sw[f"{p}_us"], "Kamailio", k[f"{p}_us"], "lower")


def collect_stir(work, fig):
    o = (lines(f"{work}/stir.log", "OPENSSL ") or [{}])[0]
    s = (lines(f"{work}/stir.log", "STIR ") or [{}])[0]
    if s:
        fig.add("STIR", "stir_verify (Identity -> verdict), one core",
                "verifies/s", s.get("verify_per_s"),
                "openssl speed ecdsap256 verify", o.get("verify_per_s"),
                "higher")
        fig.add("STIR", "parse INVITE + stir_verify, one core",
                "verifies/s", s.get("msg_verify_per_s"),
                "openssl speed ecdsap256 verify", o.get("verify_per_s"),
                "higher")
        fig.add("STIR", "stir_sign (PASSporT + ES256 + header), one core",
                "signs/s", s.get("sign_per_s"),
                "openssl speed ecdsap256 sign", o.get("sign_per_s"),
                "higher")
    sti = {(d.get("mode"), d.get("name")): d
           for d in lines(f"{work}/sti.log", "STI ")}
    for mode, what in (("verify", "STI-VS: INVITE+Identity -> verify -> 302"),
                       ("sign", "STI-AS: INVITE -> sign -> 302+Identity")):
        sw, k = sti.get((mode, "sipward")), sti.get((mode, "kamailio"))
        if not sw or not k:
            continue
        note = ("both validate the chain (Kamailio CertVerify=5)"
                if mode == "verify" else "")
        fig.add("STIR", f"{what}, server CPU per call", "us",
                sw["us_per_call"], "Kamailio+secsipid", k["us_per_call"],
                "lower", note)
        fig.add("STIR", f"{what}, calls/s (SIPp)", "calls/s",
                sw["calls_per_s"], "Kamailio+secsipid", k["calls_per_s"],
                "higher")


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def collect(work, out):
    machine = {}
    with open(f"{work}/machine.txt") as f:
        for l in f:
            k, _, v = l.rstrip("\n").partition("=")
            machine[k] = v
    # The peers' load script flags a run noisy when other processes used
    # more than 20 % of a core meanwhile: how much the machine was shared.
    flags = [d.get("noisy") for d in
             lines(f"{work}/location.log", "kamailio ") +
             lines(f"{work}/location.log", "sipward ") if "noisy" in d]
    if flags:
        machine["noisy_runs"] = f"{flags.count('1')} of {len(flags)}"
    fig = Figures()
    collect_parsers(work, fig)
    collect_net(work, fig)
    collect_location(work, fig)
    series = latency_series(work)
    collect_latency(series, fig)
    collect_stir(work, fig)
    sections = {}
    if os.path.exists(f"{work}/sections.txt"):
        for l in open(f"{work}/sections.txt"):
            d = kvs(l)
            sections[d["name"]] = {"rc": int(d["rc"]), "secs": int(d["secs"])}
    res = {"date": machine.pop("date"), "quick": machine.pop("quick") == "1",
           "machine": machine, "sections": sections, "figures": fig.rows,
           "load_series": series}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    return res


def fmt(v):
    if v is None:
        return "—"
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def verdict(r):
    q = r["ratio"]
    return "—" if q is None else f"{q:.2f}"


SUP = "¹²³⁴⁵⁶⁷⁸⁹"


def table(res):
    """The markdown table of every figure, and its numbered notes."""
    out = ["| area | figure | unit | sipward | peer | peer figure "
           "| sipward/peer | better |", "|---|---|---|---:|---|---:|---:|---|"]
    notes = []
    for r in res["figures"]:
        what = r["what"]
        if r["note"]:
            notes.append(r["note"])
            what += " " + SUP[(len(notes) - 1) % len(SUP)]
        out.append(f"| {r['area']} | {what} | {r['unit'].replace('us', 'µs')}"
                   f" | {fmt(r['sipward'])} | {r['peer'] or '—'}"
                   f" | {fmt(r['peer_value'])} | {verdict(r)} | {r['better']} |")
    out.append("")
    out += [f"{SUP[i % len(SUP)]} {n}.  " for i, n in enumerate(notes)]
    return "\n".join(out)


def text_table(res):
    out = []
    for r in res["figures"]:
        q = "—" if r["ratio"] is None else f"{r['ratio']:.2f}"
        out.append(f"{r['area']:<9} {r['what'][:62]:<62} {fmt(r['sipward']):>9}"
                   f" {fmt(r['peer_value']):>9} {r['unit']:<10} ratio {q:>5}"
                   f"  {(r['peer'] or '')[:24]}")
    return "\n".join(out)


GNUPLOT_HEAD = """set terminal pngcairo size 900,540 font "DejaVu Sans,11"
set datafile separator ","
set key top left box opaque
set grid
set xlabel "offered load (INVITE -> 301 -> ACK calls/s, SIPp open loop)"
"""


def plots(res, docdir):
    series = res["load_series"]
    if not series:
        return []
    pdir = os.path.join(docdir, "perf")
    os.makedirs(pdir, exist_ok=True)
    data = {}
    for srv in ("sipward", "kamailio"):
        rows = sorted((r for r in series if r["server"] == srv),
                      key=lambda r: r["offered"])
        path = os.path.join(pdir, f".{srv}.csv")
        with open(path, "w") as f:
            for r in rows:
                f.write(",".join("" if r[k] is None else str(r[k]) for k in (
                    "offered", "achieved", "srv_us_per_call", "p50_us",
                    "p90_us", "p99_us")) + "\n")
        data[srv] = path
    when = f"{res['date']}, {res['machine'].get('cpu', '')}"
    sw, ka = data["sipward"], data["kamailio"]
    script = GNUPLOT_HEAD + f"""
set output "{pdir}/throughput.png"
set title "Throughput against offered load ({when})"
set ylabel "completed calls/s"
set yrange [0:*]
set xrange [0:*]
plot x title "offered = completed" with lines dt 2 lw 1.5 lc rgb "#555555", \\
     "{sw}" using 1:2 title "sipward" with linespoints lw 2 pt 7 lc rgb "#1f77b4", \\
     "{ka}" using 1:2 title "Kamailio (-x fm -X fm, 1 worker)" with linespoints lw 2 pt 5 lc rgb "#d62728"
set output "{pdir}/cpu.png"
set title "Server CPU per call against offered load ({when})"
set ylabel "server CPU per completed call, µs (log scale)"
set logscale y
set yrange [*:*]
plot "{sw}" using 1:3 title "sipward" with linespoints lw 2 pt 7 lc rgb "#1f77b4", \\
     "{ka}" using 1:3 title "Kamailio (-x fm -X fm, 1 worker)" with linespoints lw 2 pt 5 lc rgb "#d62728"
set output "{pdir}/latency.png"
set title "Latency against offered load (µs probe, one request in flight; {when})"
set ylabel "INVITE -> 301 latency, µs (log scale)"
set logscale y
set yrange [*:*]
set key top left box opaque
plot "{sw}" using 1:4 title "sipward p50" with linespoints lw 2 pt 7 lc rgb "#1f77b4", \\
     "{sw}" using 1:5 title "sipward p90" with linespoints lw 2 dt 2 pt 7 lc rgb "#1f77b4", \\
     "{sw}" using 1:6 title "sipward p99" with linespoints lw 2 dt 4 pt 7 lc rgb "#1f77b4", \\
     "{ka}" using 1:4 title "Kamailio p50" with linespoints lw 2 pt 5 lc rgb "#d62728", \\
     "{ka}" using 1:5 title "Kamailio p90" with linespoints lw 2 dt 2 pt 5 lc rgb "#d62728", \\
     "{ka}" using 1:6 title "Kamailio p99" with linespoints lw 2 dt 4 pt 5 lc rgb "#d62728"
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    for p in data.values():
        os.remove(p)
    return ["perf/throughput.png", "perf/latency.png", "perf/cpu.png"]


def series_table(res):
    out = ["| server | offered calls/s | completed calls/s | failed calls "
           "| server CPU % | CPU µs/call | p50 µs | p90 µs | p99 µs |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in sorted(res["load_series"],
                    key=lambda r: (r["server"] != "sipward", r["offered"])):
        out.append(f"| {r['server']} | {fmt(r['offered'])} "
                   f"({r['frac']:.0%}) | {fmt(r['achieved'])} "
                   f"| {fmt(r['failed'])} "
                   f"| {fmt(r['srv_cpu_pct'])} | {fmt(r['srv_us_per_call'])} "
                   f"| {fmt(r['p50_us'])} | {fmt(r['p90_us'])} "
                   f"| {fmt(r['p99_us'])} |")
    return "\n".join(out)


def render(res, docdir, json_name):
    m = res["machine"]
    os.makedirs(docdir, exist_ok=True)
    pngs = plots(res, docdir)
    la = m.get("loadavg_start", "?")
    cores = num(m.get("cores")) or 1
    busy = (num(la.split()[0]) or 0) / cores if la != "?" else 0
    load_note = (
        f"**The machine was loaded by other work during this run** (load "
        f"average {la.split()[0]} on {cores:.0f} cores at the start, "
        f"{m.get('loadavg_end', '?').split()[0]} at the end): absolute rates "
        "and latencies are inflated and noisy. The ratios, sipward against "
        "its peer measured in the same run on the same machine, are what "
        "count; CPU time per request and instruction counts hold up best."
        if busy > 0.25 else
        f"The machine was quiet at the start of the run (load average "
        f"{la.split()[0]} on {cores:.0f} cores).")
    failed = [n for n, s in res["sections"].items() if s["rc"] != 0]
    doc = f"""# Performance

Every figure of sipward side by side with its peer, measured in one run of
`make bench{' QUICK=1' if res['quick'] else ''}` on {res['date']}
({'QUICK: fewer runs, calls and load steps' if res['quick'] else 'full run'}).
Generated by `bench/report.py` from
[`bench/results/{json_name}`](../bench/results/{json_name}): do not edit by
hand, run `make bench` again.

{load_note}

## Machine

| | |
|---|---|
| CPU | {m.get('cpu', '?')}, {m.get('cores', '?')} cores |
| memory | {m.get('mem', '?')} |
| kernel | {m.get('kernel', '?')} |
| OS | {m.get('os', '?')} |
| load average at start / end | {la} / {m.get('loadavg_end', '?')} |
| SIPp runs during which other processes used > 20 % of a core | {m.get('noisy_runs', '?')} |
| sipward | commit {m.get('commit', '?')}, gcc -O2 (release build) |
| peers | Kamailio {m.get('kamailio', '?')}, SIPp {m.get('sipp', '?')}, OpenSSL {m.get('openssl', '?')} |

## Figures

sipward/peer is sipward's figure divided by the peer's: below 1 is better
for CPU, latency, instructions and allocations, above 1 for rates.

{table(res)}

{('Sections that failed or timed out in this run: ' + ', '.join(failed) + '.') if failed else ''}

## Throughput, CPU and latency against offered load

INVITE -> 301 -> ACK at fixed offered loads (fractions of the higher of
the two servers' saturation rates in this run), both servers up, each step
run against Kamailio then sipward. Latency is the peers' microsecond probe
(one INVITE in flight at a time, 200 a second) during the load. SIPp sends
in bursts, once per 4 ms clock tick, so the probe often waits behind a
burst: compare the servers at the same load rather than reading the tails
as service times. On a loaded machine SIPp cannot always offer the rate it
was asked for, and retransmits what it does not get answered in time: the
completed calls/s of the table say what each server really handled.

{chr(10).join(f'![{os.path.basename(p)}]({p})' for p in pngs)}

{series_table(res) if res['load_series'] else ''}

## How each figure is measured

- **Parser** (`bench/parsers/run.sh`): the same 12-message mix parsed by
  every column, which must extract identical fields first; CPU ns per
  message pinned to one CPU, instructions per message under callgrind,
  heap allocations counted by a malloc hook. Peers: Debian's libre, oSIP,
  sofia-sip.
- **OPTIONS** (`bench/net/options.sh`): SIPp closed loop against each
  server, interleaved; server CPU is utime + stime of all its processes
  and threads from `/proc/PID/stat` over the run, divided by the requests.
- **301, 302, REGISTER** (`bench/location/run.sh`): the peers' load script
  (SIPp at saturation), Kamailio 5.6 with the peers' `redirect.cfg` in its
  best configuration (`-x fm -X fm`, one worker: the fast allocator and the
  worker count that served it best when it was tuned); sipward with one
  worker and its SQLite store. Digest REGISTER: `regauth.c` (200 in
  flight, users in turn), Kamailio with `kamailio-regauth.cfg`. Memory:
  RSS of the daemon that loaded the bindings from its store, against the
  PSS of every Kamailio process after SIPp registered as many new AORs.
- **Latency**: a failed call is one SIPp gave up on after its
  retransmissions; on a loaded machine most are SIPp's own receive buffer
  overflowing, not the server's.
- **STIR** (`bench/stir/run.sh`): `stir_verify` and `stir_sign` per CPU
  second of one thread, next to `openssl speed ecdsap256` (the raw P-256
  operation, the physical limit). `bench/stir-service/run.sh`: the daemon's
  STI-VS and STI-AS driven by SIPp against Kamailio + secsipid (`-x fm -X
  fm`, two workers, the best count for the Go verifier), same key and
  certificate.
- On a 2-core machine SIPp and the server share the CPUs: calls/s is a
  figure of the whole machine (mostly of SIPp); server CPU per request is
  what ranks the servers.

## Reproduce

```sh
make bench            # installs what it needs (scripts/bench-deps.sh), 15-20 minutes
make bench QUICK=1    # under 3 minutes: one run each, fewer calls and load steps
bench/report.py render bench/results/{json_name} docs   # this page again
```
"""
    with open(os.path.join(docdir, "PERFORMANCE.md"), "w") as f:
        f.write(re.sub(r"\n{3,}", "\n\n", doc))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "collect":
        res = collect(sys.argv[2], sys.argv[3])
        print(text_table(res))
    elif len(sys.argv) == 4 and sys.argv[1] == "render":
        with open(sys.argv[2]) as f:
            res = json.load(f)
        render(res, sys.argv[3], os.path.basename(sys.argv[2]))
    elif len(sys.argv) == 3 and sys.argv[1] == "table":
        with open(sys.argv[2]) as f:
            print(text_table(json.load(f)))
    else:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
