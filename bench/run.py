#!/usr/bin/env python3
"""clusterkg's throughput and latency beside a floor and reference endpoints, in one run.

    python bench/run.py                  # 10 s per point; about 15 min
    python bench/run.py --smoke          # 1 s per point; what CI runs (< 2 min)
    python bench/run.py --rounds 3       # each point 3 times, servers interleaved; medians
    python bench/run.py --duration 3 --rounds 2 --ablations --skip virtuoso --skip rdflib-endpoint
                                         # each mechanism on and off, side by side
    python bench/run.py --scale 0,100000,1000000 --duration 5
                                         # load, restart, memory, p50/p99 as the data grows, on the
                                         # embedded store (memory, disk) and over Oxigraph and Virtuoso
                                         # (bench/scale.py; about 15 minutes)

Servers, each on a free port of 127.0.0.1, started and always stopped here:
  floor           gunicorn + Flask with clusterkg's workers/threads, answering clusterkg's own
                  precomputed response for each URL: the most the HTTP stack gives on this machine
  clusterkg       `clusterkg serve`, result cache off (result_cache_size = 0)
  clusterkg-cache `clusterkg serve`, result cache on (result_cache_size = --cache-size)
  clusterkg-exec  with --executors-only: no result cache and inprocess_max_ms = 0, every query
                  in an executor process (what clusterkg's placement of quick queries saves)
  minimal         Flask + pyoxigraph on the same data, no guard, no limits, no executors
                  (bench/minimal_app.py, gunicorn gthread, same workers/threads): always runs
  clusterkg-no*   with --ablations: clusterkg (no result cache) with one mechanism off, through
                  bench/variant_serve.py: -nofastpath (GET /sparql through Flask), -nobalance (no
                  accept balancing), -noplacement (inprocess_max_ms = 0)
  rdflib-endpoint the same N-Quads served by rdflib-endpoint (bench/.venv-ref)
  virtuoso        the same N-Quads in Virtuoso, if installed (or --with-virtuoso)

Every query of bench/queries/ is checked on every server first (HTTP 200, non-empty body). Then
wrk drives each point - the mix (a rotation through all queries) and each query alone - at each
concurrency, servers interleaved point by point so drift on this noisy machine hits them alike.
Exit status: 1 if a server failed to start, failed the check or answered any error while timed;
0 otherwise (the targets are printed, never asserted). Virtuoso failing only skips it.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import tools
import wrkdrive
from servers import Server, ServerError, http_get
from tools import BENCH, REPO, log

JSON_ACCEPT = "application/sparql-results+json"
TARGETS = {"ratio_nocache_c8": 0.7, "worst_p99_ms": 15.0, "ratio_cache_c8": 0.9, "cold_start_s": 2.0,
           # clusterkg (no cache) beside the minimal endpoint (foundations issue)
           "min_query_ratio_to_minimal": 0.9, "ratio_to_minimal": 1.0, "worst_p99_to_minimal": 1.3}
#: --ablations: server name -> (variant_serve.py flag, what is off)
ABLATIONS = {"clusterkg-nofastpath": ("--no-fastpath", "protocol.FastPath unwrapped: GET /sparql through the Flask view"),
             "clusterkg-nobalance": ("--no-balance", "no accept balancing (Server.balance = None)"),
             "clusterkg-noplacement": ("--no-placement", "inprocess_max_ms = 0: every query in an executor")}
SCALE_SETUPS = ("memory", "disk", "oxigraph", "virtuoso")  # bench/scale.py's, named here for --help
ORDER = ["floor", "minimal", "clusterkg", "clusterkg-before", *ABLATIONS, "clusterkg-cache", "clusterkg-exec", "rdflib-endpoint", "virtuoso"]


@dataclass
class Query:
    name: str
    file: str
    text: str
    accept: str
    what: str


def load_queries() -> list[Query]:
    """bench/queries/*.rq; the header comment gives name, what and accept."""
    queries = []
    for path in sorted((BENCH / "queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        head = {}
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            key, _, value = line[1:].strip().partition(":")
            if key in ("name", "what", "accept"):
                head[key] = value.strip()
        queries.append(Query(head.get("name", path.stem), path.name, text,
                             head.get("accept", JSON_ACCEPT), head.get("what", "")))
    if len(queries) < 8:
        raise SystemExit(f"bench/queries has {len(queries)} queries; the mix needs at least 8")
    return queries


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog="examples:\n" + __doc__.split("\n\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, help="seconds of wrk per point (default 10; --scale: 5)")
    ap.add_argument("--smoke", action="store_true", help="1 s per point, for CI: checks it all works")
    ap.add_argument("--rounds", type=int, default=1, help="measure every point this many times; medians")
    ap.add_argument("--concurrency", default="1,8", help="wrk connections per point (default 1,8)")
    ap.add_argument("--warmup", type=int, default=3, help="1 s bursts of the mix at the top concurrency, untimed, "
                    "before measuring (default 3; --smoke: 1)")
    ap.add_argument("--floor", choices=["wsgi", "flask"], default="wsgi",
                    help="how the floor answers GET /sparql: a WSGI callable in front of Flask, as clusterkg's "
                         "FastPath does (default), or a Flask view")
    ap.add_argument("--executors-only", action="store_true",
                    help="also run clusterkg-exec: no result cache, inprocess_max_ms = 0 (every query in an executor)")
    ap.add_argument("--ablations", action="store_true",
                    help="also run clusterkg (no cache) with one mechanism off each: " + ", ".join(ABLATIONS))
    ap.add_argument("--cache-size", type=int, default=1024, help="result_cache_size of clusterkg-cache")
    ap.add_argument("--cold-starts", type=int, default=3, help="clusterkg spawns timed for cold start")
    ap.add_argument("--with-virtuoso", action="store_true", help="install Virtuoso if it is missing")
    ap.add_argument("--skip", action="append", default=[], choices=["rdflib-endpoint", "virtuoso", "clusterkg-cache"],
                    help="leave out a reference server (or clusterkg-cache)")
    ap.add_argument("--python", help="the Python with clusterkg installed (default: this one or .venv)")
    ap.add_argument("--clusterkg-cmd", help="command instead of `clusterkg` (development only)")
    ap.add_argument("--baseline-cmd", help="also run this `clusterkg` command (e.g. another checkout's "
                    ".venv/bin/clusterkg) as clusterkg-before, no result cache: a before/after in one run")
    ap.add_argument("--out", type=Path, default=BENCH / "out", help="where results.json and logs go")
    ap.add_argument("--scale", metavar="SIZES", help="instead of the comparison: the scale benchmark (bench/scale.py) "
                    "at these numbers of extra synthetic triples, e.g. 0,100000,1000000; writes scale.json")
    ap.add_argument("--setups", default=",".join(SCALE_SETUPS), help="with --scale: which of "
                    + ", ".join(SCALE_SETUPS) + " (default all)")
    ap.add_argument("--work", help="with --scale: the work directory (default bench/out/scale-work; emptied)")
    ap.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                    help="with --scale: a setting of every `clusterkg serve` (a TOML value), e.g. "
                    "max_concurrent_queries=32; repeatable: one setup with and without it, side by side")
    args = ap.parse_args(argv)
    if args.scale:
        try:
            args.scale = [int(x.replace("_", "")) for x in args.scale.split(",")]
        except ValueError:
            ap.error(f"--scale: not a comma-separated list of whole numbers: {args.scale!r}")
        args.setups = [x for x in args.setups.split(",") if x]
        if any(x not in SCALE_SETUPS for x in args.setups):
            ap.error(f"--setups: choose among {', '.join(SCALE_SETUPS)}")
        if any("=" not in s for s in args.setting):
            ap.error("--setting: NAME=VALUE, e.g. max_concurrent_queries=32")
    if args.smoke:
        args.duration, args.rounds, args.warmup = 1, 1, 1
    elif args.duration is None:
        args.duration = 5 if args.scale else 10
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    return args


# --- servers -----------------------------------------------------------------------------------

def clusterkg_server(name, label, cmd, workers, cache_size, out: Path, inprocess_max_ms: float | None = None) -> Server:
    """`clusterkg serve` with a TOML --config setting result_cache_size (and inprocess_max_ms if
    given; the env vars are removed, since they would override the file)."""
    config = out / f"{name}.toml"
    config.write_text(f"result_cache_size = {cache_size}\n"
                      + ("" if inprocess_max_ms is None else f"inprocess_max_ms = {inprocess_max_ms}\n"))
    return Server(name, label, cmd + ["serve", "--host", "127.0.0.1", "--port", "{port}",
                                      "--workers", str(workers), "--config", str(config)],
                  log_dir=out / "logs", cwd=REPO, env={"CLUSTERKG_RESULT_CACHE_SIZE": None, "CLUSTERKG_INPROCESS_MAX_MS": None})


def variant_server(name, label, python, flag, workers, out: Path) -> Server:
    """bench/variant_serve.py FLAG: clusterkg's own Server with one mechanism off, no result cache."""
    config = out / f"{name}.toml"
    config.write_text("result_cache_size = 0\n")
    return Server(name, label, [python, str(BENCH / "variant_serve.py"), flag, "--port", "{port}",
                                "--workers", str(workers), "--config", str(config)],
                  log_dir=out / "logs", cwd=REPO, env={"CLUSTERKG_RESULT_CACHE_SIZE": None, "CLUSTERKG_INPROCESS_MAX_MS": None})


def minimal_server(python, workers, threads, out: Path) -> Server:
    return Server("minimal", f"Flask + pyoxigraph, gunicorn gthread ({workers}w x {threads}t), no guard/limits/executors",
                  [python, str(BENCH / "minimal_app.py"), "--port", "{port}", "--workers", str(workers),
                   "--threads", str(threads)], log_dir=out / "logs", cwd=REPO)


def floor_server(python, workers, threads, kind: str, responses: Path, out: Path) -> Server:
    return Server("floor", f"gunicorn ({workers}w x {threads}t) + Flask app, fixed responses, {kind} hot path",
                  [python, str(BENCH / "floor_app.py"), str(responses), "--kind", kind, "--port", "{port}",
                   "--workers", str(workers), "--threads", str(threads)],
                  log_dir=out / "logs", cwd=BENCH)


def verify(server: Server, queries: list[Query]) -> dict:
    """Each query answers 200 with a non-empty body; returns {query: (rows, body, headers)}."""
    answers = {}
    for q in queries:
        status, headers, body = http_get(server.url(q.text), q.accept, timeout=30)
        if status != 200 or not body.strip():
            raise ServerError(f"{server.name}: {q.name} answered {status} with {len(body)} bytes: {body[:300]!r}")
        try:
            answers[q.name] = (count_rows(body, q.accept), body, headers)
        except (ValueError, KeyError, TypeError):
            raise ServerError(f"{server.name}: {q.name} answered 200 but not SPARQL JSON results: {body[:300]!r}") from None
    return answers


def count_rows(body: bytes, accept: str):
    """Rows of a JSON result, or its boolean for ASK; None for Turtle (not parsed here)."""
    if accept != JSON_ACCEPT:
        return None
    doc = json.loads(body)
    return doc["boolean"] if "boolean" in doc else len(doc["results"]["bindings"])


def cold_start(make: callable, probe: Query, n: int) -> list[float]:
    """Seconds from spawning `clusterkg serve` to its first successful ASK, n times, nothing else running."""
    samples = []
    for _ in range(n):
        server = make()
        try:
            samples.append(server.start(probe.text, probe.accept))
        finally:
            server.stop()
    return samples


# --- measuring ---------------------------------------------------------------------------------

REFERENCES = ("rdflib-endpoint", "virtuoso", "minimal")


def measure(wrk, servers: list[Server], queries, args) -> dict:
    """results[server][c][point] = list of wrkdrive.Result (one per round); points: mix, each query.
    With --smoke the reference servers (minimal included) run the mix only (keeps CI under 2 minutes)."""
    points = [("mix", queries)] + [(q.name, [q]) for q in queries]
    runs_of = lambda s, p: not (args.smoke and s.name in REFERENCES and p != "mix")  # noqa: E731
    results = {s.name: {c: {p: [] for p, _ in points if runs_of(s, p)} for c in args.concurrency} for s in servers}
    total = args.rounds * len(args.concurrency) * sum(len(by_p) for by_p in
                                                      (results[s.name][args.concurrency[0]] for s in servers))
    done = 0
    # Warm-up, untimed: 1 s bursts at the top concurrency, each on new connections (gunicorn keeps a
    # connection on the worker that accepted it, so each burst splits them differently), so every
    # worker has its threads and executor processes before timing. results.json keeps them all;
    # the first one is the cold burst.
    warmup = {}
    for server in servers:
        reqs = [(server.path + "?" + urllib.parse.urlencode({"query": q.text}), q.accept) for q in queries]
        warmup[server.name] = [wrkdrive.run(wrk, server.base, reqs, max(args.concurrency), 1) for _ in range(args.warmup)]
        if warmup[server.name]:
            first = warmup[server.name][0]
            log(f"warm-up {server.name:16} c={max(args.concurrency)} first burst {first.rps:8.1f} req/s "
                f"p99 {first.p99_ms:7.2f} ms; errors {sum(r.errors for r in warmup[server.name])}")
    results["_warmup"] = warmup
    for rnd in range(args.rounds):
        for c in args.concurrency:
            for k, (point, qs) in enumerate(points):
                shift = (k + rnd) % len(servers)   # rotate who goes first, point by point
                for server in servers[shift:] + servers[:shift]:
                    if not runs_of(server, point):
                        continue
                    reqs = [(server.path + "?" + urllib.parse.urlencode({"query": q.text}), q.accept) for q in qs]
                    res = wrkdrive.run(wrk, server.base, reqs, c, args.duration)
                    results[server.name][c][point].append(res)
                    done += 1
                    log(f"[{done}/{total}] {server.name:16} c={c} {point:20} {res.rps:8.1f} req/s "
                        f"p99 {res.p99_ms:7.2f} ms errors {res.errors}")
    return results


def summarise(results, queries, args) -> list[dict]:
    """One row per (server, c): mix req/s, p50, p99; errors; ratio to floor; worst per-query p99.

    A point where not one request finished within the duration counts as 1 request (an upper
    bound on req/s) and p99 = the duration (a lower bound); the row's bound flag says so."""
    rows = []
    for name, by_c in results.items():
        for c in args.concurrency:
            by_p = by_c[c]
            def med(point, attr):
                runs = by_p[point]
                if attr == "rps":
                    return statistics.median(max(r.rps, 1 / r.seconds if r.seconds else 0) for r in runs)
                return statistics.median(getattr(r, attr) if r.requests else args.duration * 1000.0 for r in runs)
            starved = sorted({p for p, runs in by_p.items() if any(r.requests == 0 for r in runs)})
            runs = [r for point in by_p.values() for r in point]
            row = {"server": name, "concurrency": c, "rps": round(med("mix", "rps"), 1),
                   "mix_rps_rounds": [round(r.rps, 1) for r in by_p["mix"]],
                   "p50_ms": round(med("mix", "p50_ms"), 2), "p99_ms": round(med("mix", "p99_ms"), 2),
                   "non2xx": sum(r.non2xx for r in runs), "socket_errors": sum(r.socket_errors for r in runs),
                   "ratio_to_floor": None, "ratio_to_minimal": None, "worst_p99_ms": None, "worst_p99_query": None,
                   "points_without_a_finished_request": starved}
            if all(q.name in by_p for q in queries):
                floor = results["floor"][c]
                ratios = [med(q.name, "rps") / statistics.median(r.rps for r in floor[q.name]) for q in queries]
                worst = max((med(q.name, "p99_ms"), q.name) for q in queries)
                row.update({
                    "ratio_to_floor": round(geomean(ratios), 3),
                    "worst_p99_ms": round(worst[0], 2), "worst_p99_query": worst[1],
                    "per_query_rps": {q.name: round(med(q.name, "rps"), 1) for q in queries},
                    "per_query_p99_ms": {q.name: round(med(q.name, "p99_ms"), 2) for q in queries}})
            rows.append(row)
    add_ratios_to_minimal(rows)
    return rows


def geomean(xs) -> float:
    return math.exp(statistics.fmean(math.log(x) for x in xs))


def add_ratios_to_minimal(rows) -> None:
    """Each row beside the minimal endpoint's at the same concurrency: ratio_to_minimal (geometric
    mean over the queries of req/s / minimal's), per-query ratios, mix req/s ratio, worst p99 ratio."""
    minimal = {r["concurrency"]: r for r in rows if r["server"] == "minimal"}
    for row in rows:
        m = minimal.get(row["concurrency"])
        if m is None or m["rps"] <= 0:
            continue
        row["mix_ratio_to_minimal"] = round(row["rps"] / m["rps"], 3)
        if "per_query_rps" in row and "per_query_rps" in m:
            ratios = {q: row["per_query_rps"][q] / m["per_query_rps"][q] for q in row["per_query_rps"]}
            row["per_query_ratio_to_minimal"] = {q: round(x, 3) for q, x in ratios.items()}
            row["ratio_to_minimal"] = round(geomean(ratios.values()), 3)
            row["worst_p99_to_minimal"] = round(row["worst_p99_ms"] / m["worst_p99_ms"], 3)


def print_report(rows, servers, cold, targets_row, args, report) -> None:
    start = {s.name: s.start_seconds for s in servers}
    print(f"\nclusterkg benchmark at {report['commit']}{' (server/ has uncommitted changes)' if report['dirty_server_files'] else ''}: "
          f"{args.duration} s per point x {args.rounds} round(s), wrk -t1, {os.cpu_count()} cores, 127.0.0.1")
    head = f"{'server':21} {'c':>2} {'req/s':>8} {'rounds':>15} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7} {'sock err':>8} " \
           f"{'x floor':>7} {'x minimal':>9} {'worst p99 ms':>12}  {'(query)':22} {'start s':>7}"
    print(head + "\n" + "-" * len(head))
    for r in rows:
        bound = bool(r["points_without_a_finished_request"])
        ratio = "-" if r["ratio_to_floor"] is None else ("<" if bound else "") + f"{r['ratio_to_floor']:.2f}"
        worst = "-" if r["worst_p99_ms"] is None else (">" if bound else "") + f"{r['worst_p99_ms']:.2f}"
        vs_min = "-" if r["ratio_to_minimal"] is None else f"{r['ratio_to_minimal']:.2f}"
        rounds = "/".join(f"{x:.0f}" for x in r["mix_rps_rounds"])
        print(f"{r['server']:21} {r['concurrency']:>2} {r['rps']:>8.1f} {rounds:>15} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} "
              f"{r['non2xx']:>7} {r['socket_errors']:>8} {ratio:>7} {vs_min:>9} {worst:>12}  "
              f"{r['worst_p99_query'] or '-':22} {start[r['server']]:>7.2f}")
    print("req/s, p50, p99: the mix (all queries in rotation), median over the rounds; rounds: the mix's req/s\n"
          "in each round; x floor, x minimal: geometric mean over the queries of (req/s of that query alone /\n"
          "the floor's, the minimal endpoint's); worst p99: the slowest query alone; < or >: some point\n"
          "finished no request in its duration; -: not measured (--smoke runs the references' mix only)")
    print_versus_minimal(rows)
    print_ablations(report.get("ablations") or [])
    engine = report.get("engine")
    if engine:
        print(f"evaluation alone (bench/engine_times.py: LocalStore.query in-process, median ms): "
              + ", ".join(f"{k} {v:.2f}" for k, v in engine["median_ms"].items()))
        print(f"  -> the best ratio to the floor at c={engine['concurrency']} any endpoint evaluating with this engine "
              f"could reach here (the floor's CPU per request + the evaluation, on {os.cpu_count()} cores): "
              f"{engine['ceiling_ratio']:.2f}")
    if cold:
        print(f"cold start (spawn `clusterkg serve` -> first ASK answered, inference cached): median "
              f"{statistics.median(cold):.2f} s of {', '.join(f'{s:.2f}' for s in cold)}")
    print("\ntargets (printed, not asserted):")
    for t in targets_row:
        print(f"  {t['what']:72} {t['value']:>9} {t['target']:>10}  {'met' if t['met'] else 'MISSED'}")


def print_versus_minimal(rows) -> None:
    """clusterkg (and its ablations) beside the minimal endpoint, query by query."""
    mine = [r for r in rows if r.get("per_query_ratio_to_minimal") and r["server"].startswith("clusterkg")]
    if not mine:
        return
    minimal = {r["concurrency"]: r for r in rows if r["server"] == "minimal"}
    names = list(mine[0]["per_query_ratio_to_minimal"])
    print(f"\nx minimal, query by query (req/s of the query alone / minimal's; targets for clusterkg: every query "
          f">= {TARGETS['min_query_ratio_to_minimal']}, geometric mean >= {TARGETS['ratio_to_minimal']}, "
          f"worst p99 <= {TARGETS['worst_p99_to_minimal']} x minimal's)")
    head = f"{'server':21} {'c':>2} " + " ".join(f"{n[:9]:>9}" for n in names) + f" {'geomean':>7} {'mix':>5} {'worst p99':>9}"
    print(head + "\n" + "-" * len(head))
    for c, m in sorted(minimal.items()):
        if "per_query_rps" in m:
            print(f"{'minimal req/s':21} {c:>2} " + " ".join(f"{m['per_query_rps'][n]:>9.0f}" for n in names)
                  + f" {'':>7} {m['rps']:>5.0f} {m['worst_p99_ms']:>7.2f}ms")
    for r in mine:
        print(f"{r['server']:21} {r['concurrency']:>2} " + " ".join(f"{r['per_query_ratio_to_minimal'][n]:>9.2f}" for n in names)
              + f" {r['ratio_to_minimal']:>7.2f} {r['mix_ratio_to_minimal']:>5.2f} {r['worst_p99_to_minimal']:>8.2f}x")
    print("geomean: over the queries alone; mix: the rotation's req/s / minimal's; worst p99: the server's worst\n"
          "per-query p99 / minimal's worst per-query p99, same concurrency")


def ablation_gains(rows, results) -> list[dict]:
    """What each mechanism pays: clusterkg's req/s / the variant's with it off, same concurrency:
    on the mix, and as the geometric mean over the queries alone. Per round too (servers are
    interleaved point by point, so round k of both ran close in time)."""
    get = {(r["server"], r["concurrency"]): r for r in rows}
    out = []
    for name, (flag, what) in ABLATIONS.items():
        for c in sorted({r["concurrency"] for r in rows}):
            on, off = get.get(("clusterkg", c)), get.get((name, c))
            if on is None or off is None or not off["rps"]:
                continue
            gain = {"mechanism": name.removeprefix("clusterkg-no"), "server": name, "concurrency": c,
                    "mix_gain": round(on["rps"] / off["rps"], 3),
                    "mix_gain_rounds": [round(a / b, 3) for a, b in zip(on["mix_rps_rounds"], off["mix_rps_rounds"]) if b],
                    "queries_gain": None}
            if on.get("per_query_rps") and off.get("per_query_rps"):
                names = list(on["per_query_rps"])
                gain["queries_gain"] = round(geomean(on["per_query_rps"][q] / off["per_query_rps"][q] for q in names), 3)
                by_on, by_off = results["clusterkg"][c], results[name][c]
                gain["queries_gain_rounds"] = [
                    round(geomean(max(by_on[q][k].rps, 0.1) / max(by_off[q][k].rps, 0.1) for q in names), 3)
                    for k in range(min(len(by_on[names[0]]), len(by_off[names[0]])))]
            out.append(gain)
    return out


def print_ablations(gains) -> None:
    if not gains:
        return
    print("\nwhat each mechanism pays: clusterkg's req/s / the same with that mechanism off (> 1: it pays); "
          "the issue keeps one\nthat pays >= 1.10 on the mix at c=8 (or is needed for correctness)")
    head = f"{'mechanism':10} {'c':>2} {'mix':>6} {'mix per round':>22} {'queries geomean':>15} {'per round':>22}"
    print(head + "\n" + "-" * len(head))
    for g in gains:
        per_round = "/".join(f"{x:.2f}" for x in g["mix_gain_rounds"])
        queries = "-" if g["queries_gain"] is None else f"{g['queries_gain']:.2f}"
        queries_rounds = "/".join(f"{x:.2f}" for x in g.get("queries_gain_rounds", []))
        print(f"{g['mechanism']:10} {g['concurrency']:>2} {g['mix_gain']:>6.2f} {per_round:>22} {queries:>15} "
              f"{queries_rounds or '-':>22}")
    print("mix: the mix's req/s (one point per round: noisy here); queries geomean: over the queries alone (one point\n"
          "each per round), steadier; per round: the same ratio within each round")


def engine_ceiling(python: str, rows, args) -> dict | None:
    """Each query's in-process evaluation time (bench/engine_times.py) and the ratio to the floor
    an endpoint with no overhead at all would reach at the top concurrency, where the floor is
    CPU-bound: 1 / (1 + evaluation seconds x the floor's req/s / cores), geometric mean."""
    floor = next((r for r in rows if r["server"] == "floor" and r["concurrency"] == max(args.concurrency)), None)
    if floor is None or args.smoke:
        return None
    proc = subprocess.run([python, str(BENCH / "engine_times.py")], cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        log(f"engine_times.py failed: {proc.stderr.strip()[-500:]}")
        return None
    medians = json.loads(proc.stdout)
    cores = os.cpu_count() or 1
    ratios = [1 / (1 + medians[name] / 1000 * rps / cores) for name, rps in floor["per_query_rps"].items() if name in medians]
    return {"median_ms": medians, "concurrency": floor["concurrency"],
            "ceiling_ratio": round(math.exp(statistics.fmean(math.log(x) for x in ratios)), 3)}


def targets(rows, cold) -> list[dict]:
    get = lambda name, c: next((r for r in rows if r["server"] == name and r["concurrency"] == c), None)  # noqa: E731
    out = []
    c8 = max(r["concurrency"] for r in rows)
    if (r := get("clusterkg", c8)) is not None:
        out.append({"what": f"clusterkg (no cache) ratio to floor at c={c8}", "value": f"{r['ratio_to_floor']:.2f}",
                    "target": f">= {TARGETS['ratio_nocache_c8']}", "met": r["ratio_to_floor"] >= TARGETS["ratio_nocache_c8"]})
    for name in ("clusterkg", "clusterkg-cache"):
        mine = [r for r in rows if r["server"] == name]
        if mine:
            w = max(mine, key=lambda r: r["worst_p99_ms"])
            out.append({"what": f"{name} worst p99 (any query, any c: {w['worst_p99_query']} c={w['concurrency']})",
                        "value": f"{w['worst_p99_ms']:.2f} ms", "target": f"<= {TARGETS['worst_p99_ms']:g} ms",
                        "met": w["worst_p99_ms"] <= TARGETS["worst_p99_ms"]})
    for c in sorted({r["concurrency"] for r in rows}):
        r = get("clusterkg", c)
        if r is None or r.get("per_query_ratio_to_minimal") is None:
            continue
        low = min(r["per_query_ratio_to_minimal"].items(), key=lambda kv: kv[1])
        out.append({"what": f"clusterkg (no cache) / minimal, lowest query at c={c} ({low[0]})", "value": f"{low[1]:.2f}",
                    "target": f">= {TARGETS['min_query_ratio_to_minimal']}", "met": low[1] >= TARGETS["min_query_ratio_to_minimal"]})
        out.append({"what": f"clusterkg (no cache) / minimal, geometric mean over the queries at c={c}",
                    "value": f"{r['ratio_to_minimal']:.2f}", "target": f">= {TARGETS['ratio_to_minimal']}",
                    "met": r["ratio_to_minimal"] >= TARGETS["ratio_to_minimal"]})
        out.append({"what": f"clusterkg (no cache) worst p99 / minimal's worst p99 at c={c}",
                    "value": f"{r['worst_p99_to_minimal']:.2f}", "target": f"<= {TARGETS['worst_p99_to_minimal']}",
                    "met": r["worst_p99_to_minimal"] <= TARGETS["worst_p99_to_minimal"]})
    if (r := get("clusterkg-cache", c8)) is not None:
        out.append({"what": f"clusterkg (cache) ratio to floor at c={c8}", "value": f"{r['ratio_to_floor']:.2f}",
                    "target": f">= {TARGETS['ratio_cache_c8']}", "met": r["ratio_to_floor"] >= TARGETS["ratio_cache_c8"]})
    if cold:
        m = statistics.median(cold)
        out.append({"what": "cold start, median", "value": f"{m:.2f} s", "target": f"<= {TARGETS['cold_start_s']:g} s",
                    "met": m <= TARGETS["cold_start_s"]})
    return out


# --- main --------------------------------------------------------------------------------------

def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally blocks stop the servers
    if args.scale:
        import scale
        return scale.main(args, load_queries())
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
              "duration_s": args.duration, "rounds": args.rounds, "concurrency": args.concurrency,
              "problems": [], "skipped": {}, "servers": {}}
    try:
        return run(args, report)
    except (ServerError, tools.Missing, RuntimeError) as exc:
        report["problems"].append(str(exc))
        log(f"FAILED: {exc}")
        return 1
    except (KeyboardInterrupt, SystemExit):
        report["problems"].append("interrupted")
        raise
    finally:
        (args.out / "results.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        log(f"wrote {(args.out / 'results.json')}")


def run(args, report) -> int:
    t_start = time.perf_counter()
    queries = load_queries()
    ask = next(q for q in queries if q.name == "ask")
    git = lambda *a: subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True).stdout.strip()  # noqa: E731
    report["commit"] = git("rev-parse", "--short", "HEAD")
    report["dirty_server_files"] = git("status", "--porcelain", "--", "server").splitlines()
    report["queries"] = [{"name": q.name, "file": q.file, "accept": q.accept, "what": q.what} for q in queries]
    wrk = tools.ensure_wrk()
    python = tools.project_python(args.python)
    cmd = shlex.split(args.clusterkg_cmd) if args.clusterkg_cmd else tools.clusterkg_command(python)
    info = tools.project_info(python)      # also makes sure the OWL-RL closure is cached
    report["dataset"] = info
    log(f"dataset {info['nquads']} ({info['quads']} quads); clusterkg workers={info['workers']} threads={info['threads']}")
    ref = None
    if "rdflib-endpoint" not in args.skip:
        ref = tools.ensure_rdflib_endpoint()
    virt = None
    if args.smoke and not args.with_virtuoso:
        report["skipped"]["virtuoso"] = "--smoke leaves it out unless --with-virtuoso is given"
    elif "virtuoso" not in args.skip:
        try:
            virt = tools.find_virtuoso(install=args.with_virtuoso)
            if virt is None:
                report["skipped"]["virtuoso"] = "not installed (pass --with-virtuoso to install it)"
        except tools.Missing as exc:
            report["skipped"]["virtuoso"] = str(exc)
    out = args.out
    make_nocache = lambda: clusterkg_server("clusterkg", "clusterkg serve, no result cache", cmd,  # noqa: E731
                                            info["workers"], 0, out)

    # cold start first, while nothing else runs
    log(f"cold start: spawning clusterkg serve {args.cold_starts} times")
    cold = cold_start(make_nocache, ask, args.cold_starts)
    report["cold_start_s"] = {"samples": [round(s, 3) for s in cold], "median": round(statistics.median(cold), 3) if cold else None}

    with ExitStack() as stack:
        servers: list[Server] = []
        answers_of: dict[str, dict] = {}

        def start(server: Server, optional: bool = False) -> dict | None:
            stack.callback(server.stop)
            try:
                server.start(ask.text, ask.accept)
                answers = verify(server, queries)
            except ServerError as exc:
                server.stop()
                if not optional:
                    raise
                report["skipped"][server.name] = str(exc)
                log(f"skipping {server.name}: {exc}")
                return None
            log(f"{server.name} answered after {server.start_seconds:.2f} s; all {len(queries)} queries check out")
            servers.append(server)
            answers_of[server.name] = answers
            report["servers"][server.name] = {"label": server.label, "command": server.argv, "start_s": round(server.start_seconds, 3),
                                              "rows": {k: v[0] for k, v in answers.items()}}
            return answers

        base = start(make_nocache())
        for q in queries:
            if base[q.name][0] in (0, False):
                log(f"warning: {q.name} has no result on clusterkg (is the data there?)")
        responses = out / "floor-responses.json"
        hop = {"date", "server", "connection", "content-length", "transfer-encoding", "keep-alive"}
        responses.write_text(json.dumps([{"query_string": urllib.parse.urlencode({"query": q.text}), "accept": q.accept,
                                          "headers": [h for h in base[q.name][2] if h[0].lower() not in hop],
                                          "body": base[q.name][1].decode("utf-8")} for q in queries], ensure_ascii=False))
        floor = start(floor_server(python, info["workers"], info["threads"], args.floor, responses, out))
        if any(floor[q.name][1] != base[q.name][1] for q in queries):
            raise ServerError("the floor's answers differ from clusterkg's; it would not be a floor")
        start(minimal_server(python, info["workers"], info["threads"], out))
        if "clusterkg-cache" in args.skip:
            report["skipped"]["clusterkg-cache"] = "--skip clusterkg-cache"
        else:
            cached = start(clusterkg_server("clusterkg-cache", f"clusterkg serve, result_cache_size={args.cache_size}",
                                            cmd, info["workers"], args.cache_size, out))
            for q in queries:
                if cached[q.name][1] != base[q.name][1]:
                    log(f"warning: {q.name}: clusterkg-cache's body differs from clusterkg's")
        for name, (flag, what) in ABLATIONS.items() if args.ablations else ():
            variant = start(variant_server(name, f"clusterkg, no result cache, {what}", python, flag, info["workers"], out))
            for q in queries:
                if variant[q.name][1] != base[q.name][1]:
                    log(f"warning: {q.name}: {name}'s body differs from clusterkg's")
        if args.baseline_cmd:
            before = start(clusterkg_server("clusterkg-before", f"{args.baseline_cmd} serve, no result cache",
                                            shlex.split(args.baseline_cmd), info["workers"], 0, out))
            for q in queries:
                if before[q.name][0] != base[q.name][0]:
                    log(f"note: {q.name}: clusterkg-before gives {before[q.name][0]} rows, clusterkg {base[q.name][0]}")
        if args.executors_only:
            start(clusterkg_server("clusterkg-exec", "clusterkg serve, no result cache, inprocess_max_ms=0",
                                   cmd, info["workers"], 0, out, inprocess_max_ms=0))
        if ref is not None:
            start(Server("rdflib-endpoint", "rdflib-endpoint 0.6 (rdflib evaluator, uvicorn)",
                                       [str(ref), "serve", "--host", "127.0.0.1", "--port", "{port}", info["nquads"]],
                                       log_dir=out / "logs", path="/"))
        if virt is not None:
            from virtuoso import VirtuosoServer
            start(VirtuosoServer(virt[0], virt[1], Path(info["nquads"]), out / "virtuoso", out / "logs"), optional=True)
        for name in set(answers_of) & {"rdflib-endpoint", "virtuoso", "minimal"}:
            differ = [q.name for q in queries if q.accept == JSON_ACCEPT and answers_of[name][q.name][0] != base[q.name][0]]
            if differ:
                log(f"note: {name} gives other row counts than clusterkg for {', '.join(differ)}")

        servers.sort(key=lambda s: ORDER.index(s.name))
        results = measure(wrk, servers, queries, args)
        warmup = results.pop("_warmup")
        report["warmup"] = {name: [r.as_dict() for r in rs] for name, rs in warmup.items()}
        rows = summarise(results, queries, args)
        report["summary"] = rows
        report["ablations"] = ablation_gains(rows, results)
        report["runs"] = {s: {str(c): {p: [r.as_dict() for r in rs] for p, rs in by_p.items()} for c, by_p in by_c.items()}
                          for s, by_c in results.items()}
    tr = targets(rows, cold)
    report["targets"] = tr
    report["engine"] = engine_ceiling(python, rows, args)
    print_report(rows, servers, cold, tr, args, report)
    if args.warmup:
        print(f"first burst (untimed warm-up, mix, c={max(args.concurrency)}, 1 s) p99 ms: "
              + ", ".join(f"{name} {rs[0].p99_ms:.1f}" for name, rs in warmup.items()))
    report["seconds"] = round(time.perf_counter() - t_start, 1)
    print(f"\n{len(queries)} queries, total {report['seconds']:.0f} s; results in {args.out / 'results.json'}"
          + "".join(f"\nskipped {k}: {v.splitlines()[0]}" for k, v in report["skipped"].items()))
    bad = [r for r in rows if r["non2xx"] or r["socket_errors"]]
    for r in bad:
        report["problems"].append(f"{r['server']} c={r['concurrency']}: {r['non2xx']} non-2xx, {r['socket_errors']} socket errors")
    for name, rs in warmup.items():
        if any(r.errors for r in rs):
            bad.append(name)
            report["problems"].append(f"{name} warm-up: {sum(r.errors for r in rs)} errors")
    if bad:
        log("FAILED: errors while timed: " + "; ".join(report["problems"]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
