#!/usr/bin/env python3
"""clusterkg's throughput and latency beside a floor and reference endpoints, in one run.

    python bench/run.py                  # 10 s per point; about 15 min
    python bench/run.py --smoke          # 1 s per point; what CI runs (< 2 min)
    python bench/run.py --rounds 3       # each point 3 times, servers interleaved; medians

Servers, each on a free port of 127.0.0.1, started and always stopped here:
  floor           gunicorn + Flask with clusterkg's workers/threads, answering clusterkg's own
                  precomputed response for each URL: the most the HTTP stack gives on this machine
  clusterkg       `clusterkg serve`, result cache off (result_cache_size = 0)
  clusterkg-cache `clusterkg serve`, result cache on (result_cache_size = --cache-size)
  clusterkg-exec  with --executors-only: no result cache and inprocess_max_ms = 0, every query
                  in an executor process (what clusterkg's placement of quick queries saves)
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
TARGETS = {"ratio_nocache_c8": 0.7, "worst_p99_ms": 15.0, "ratio_cache_c8": 0.9, "cold_start_s": 2.0}


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
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds of wrk per point (default 10)")
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
    ap.add_argument("--cache-size", type=int, default=1024, help="result_cache_size of clusterkg-cache")
    ap.add_argument("--cold-starts", type=int, default=3, help="clusterkg spawns timed for cold start")
    ap.add_argument("--with-virtuoso", action="store_true", help="install Virtuoso if it is missing")
    ap.add_argument("--skip", action="append", default=[], choices=["rdflib-endpoint", "virtuoso"],
                    help="leave out a reference server")
    ap.add_argument("--python", help="the Python with clusterkg installed (default: this one or .venv)")
    ap.add_argument("--clusterkg-cmd", help="command instead of `clusterkg` (development only)")
    ap.add_argument("--out", type=Path, default=BENCH / "out", help="where results.json and logs go")
    args = ap.parse_args(argv)
    if args.smoke:
        args.duration, args.rounds, args.warmup = 1, 1, 1
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

REFERENCES = ("rdflib-endpoint", "virtuoso")


def measure(wrk, servers: list[Server], queries, args) -> dict:
    """results[server][c][point] = list of wrkdrive.Result (one per round); points: mix, each query.
    With --smoke the reference servers run the mix only (keeps CI under 2 minutes)."""
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
                   "p50_ms": round(med("mix", "p50_ms"), 2), "p99_ms": round(med("mix", "p99_ms"), 2),
                   "non2xx": sum(r.non2xx for r in runs), "socket_errors": sum(r.socket_errors for r in runs),
                   "ratio_to_floor": None, "worst_p99_ms": None, "worst_p99_query": None,
                   "points_without_a_finished_request": starved}
            if all(q.name in by_p for q in queries):
                floor = results["floor"][c]
                ratios = [med(q.name, "rps") / statistics.median(r.rps for r in floor[q.name]) for q in queries]
                worst = max((med(q.name, "p99_ms"), q.name) for q in queries)
                row.update({
                    "ratio_to_floor": round(math.exp(statistics.fmean(math.log(x) for x in ratios)), 3),
                    "worst_p99_ms": round(worst[0], 2), "worst_p99_query": worst[1],
                    "per_query_rps": {q.name: round(med(q.name, "rps"), 1) for q in queries},
                    "per_query_p99_ms": {q.name: round(med(q.name, "p99_ms"), 2) for q in queries}})
            rows.append(row)
    return rows


def print_report(rows, servers, cold, targets_row, args, report) -> None:
    start = {s.name: s.start_seconds for s in servers}
    print(f"\nclusterkg benchmark at {report['commit']}{' (server/ has uncommitted changes)' if report['dirty_server_files'] else ''}: "
          f"{args.duration} s per point x {args.rounds} round(s), wrk -t1, {os.cpu_count()} cores, 127.0.0.1")
    head = f"{'server':16} {'c':>2} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7} {'sock err':>8} " \
           f"{'x floor':>7} {'worst p99 ms':>12}  {'(query)':22} {'start s':>7}"
    print(head + "\n" + "-" * len(head))
    for r in rows:
        bound = bool(r["points_without_a_finished_request"])
        ratio = "-" if r["ratio_to_floor"] is None else ("<" if bound else "") + f"{r['ratio_to_floor']:.2f}"
        worst = "-" if r["worst_p99_ms"] is None else (">" if bound else "") + f"{r['worst_p99_ms']:.2f}"
        print(f"{r['server']:16} {r['concurrency']:>2} {r['rps']:>8.1f} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} "
              f"{r['non2xx']:>7} {r['socket_errors']:>8} {ratio:>7} {worst:>12}  "
              f"{r['worst_p99_query'] or '-':22} {start[r['server']]:>7.2f}")
    print("req/s, p50, p99: the mix (all queries in rotation); x floor: geometric mean over the queries of\n"
          "(req/s of that query alone / the floor's); worst p99: the slowest query alone; < or >: some point\n"
          "finished no request in its duration; -: not measured (--smoke runs the references' mix only)")
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
        cached = start(clusterkg_server("clusterkg-cache", f"clusterkg serve, result_cache_size={args.cache_size}",
                                        cmd, info["workers"], args.cache_size, out))
        for q in queries:
            if cached[q.name][1] != base[q.name][1]:
                log(f"warning: {q.name}: clusterkg-cache's body differs from clusterkg's")
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
        for name in set(answers_of) & {"rdflib-endpoint", "virtuoso"}:
            differ = [q.name for q in queries if q.accept == JSON_ACCEPT and answers_of[name][q.name][0] != base[q.name][0]]
            if differ:
                log(f"note: {name} gives other row counts than clusterkg for {', '.join(differ)}")

        order = ["floor", "clusterkg", "clusterkg-cache", "clusterkg-exec", "rdflib-endpoint", "virtuoso"]
        servers.sort(key=lambda s: order.index(s.name))
        results = measure(wrk, servers, queries, args)
        warmup = results.pop("_warmup")
        report["warmup"] = {name: [r.as_dict() for r in rs] for name, rs in warmup.items()}
        rows = summarise(results, queries, args)
        report["summary"] = rows
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
