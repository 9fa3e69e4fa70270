"""How clusterkg holds up as the data grows (`bench/run.py --scale SIZES`): the shipped dataset plus
0, 100,000, 1,000,000 ... synthetic regional triples (bench/synthetic.py, `--data`), on four setups,
each measured over HTTP through `clusterkg serve`, the real front door, in one run:

  memory    `clusterkg serve --data extra.nt`: the embedded store, in memory in every process
  disk      the same with `backend = disk`: bulk-loaded once into cache_dir, opened read-only
  oxigraph  `clusterkg serve --backend` over Oxigraph's server (`oxigraph serve-read-only`)
  virtuoso  `clusterkg serve --backend` over Debian's Virtuoso 7

    .venv/bin/python bench/run.py --scale 0,100000,1000000
    .venv/bin/python bench/run.py --scale 1000000 --setups disk --duration 5
    .venv/bin/python bench/run.py --scale 1000000 --setups disk --setting max_concurrent_queries=32

For each size and setup:
  load s      embedded: the first `clusterkg serve` on an empty cache (only the shipped dataset's
              OWL-RL closure cached, as after any first start) from spawn to the first answer: the
              --data pass and, on disk, the store's build included. Remote: the store's bulk
              loader (`oxigraph load`; Virtuoso's ld_dir + rdf_loader_run + checkpoint)
  restart s   spawn to first answer with the data loaded: embedded, `clusterkg serve` again;
              remote, the store server and then `clusterkg serve --backend`
  RSS / PSS   resident memory of every process of the server together (gunicorn master, workers,
              executors, and the store server), after the timed runs: the sum of RSS (shared pages
              counted in each process) and of PSS (shared pages split: what they take together);
              scale.json also has how many processes that was
  mix         p50 / p99 of the query mix (bench/queries, all in rotation) at each concurrency
  page        p50 / p99 of the cluster page's queries (queries/pages/cluster-*.rq and its labels
              query, for Gumi) in rotation at concurrency 1: what /id/cluster/gumi asks the store

Result cache off (result_cache_size = 0). Everything on 127.0.0.1, every server stopped at the
end (also on error or Ctrl-C). Writes bench/out/scale.json; the table goes to stdout, progress to
stderr on a terminal only.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import time
import urllib.parse
from contextlib import ExitStack
from pathlib import Path

import synthetic
import tools
import wrkdrive
from servers import Server, http_get
from tools import BENCH, REPO

sys.path.insert(0, str(REPO / "tests"))
PAGES = REPO / "server" / "clusterkg" / "queries" / "pages"
BASE = "https://w3id.org/clusterkg/"
CLUSTER = BASE + "id/cluster/gumi"
JSON_ACCEPT = "application/sparql-results+json"


def progress(msg: str) -> None:
    if sys.stderr.isatty():
        print(f"[scale] {msg}", file=sys.stderr, flush=True)


def tree_memory(group: int, pids=()) -> tuple[float, float, int]:
    """(RSS, PSS) in MB, and how many processes, summed over process group ``group`` (a server started in its own session:
    gunicorn master, workers, executors) and the processes ``pids`` (a store server) with their
    children."""
    procs = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                procs[int(entry.name)] = (int(fields[1]), int(fields[2]))  # ppid, pgrp
            except (OSError, IndexError, ValueError):
                continue  # ended meanwhile
    wanted = {pid for pid, (_, pgrp) in procs.items() if pgrp == group} | set(pids)
    while True:
        more = {pid for pid, (ppid, _) in procs.items() if ppid in wanted} - wanted
        if not more:
            break
        wanted |= more
    rss = pss = 0
    for pid in wanted:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                key, _, value = line.partition(":")
                if key == "Rss":
                    rss += int(value.split()[0])
                elif key == "Pss":
                    pss += int(value.split()[0])
        except (OSError, ValueError):
            continue
    return round(rss / 1024, 1), round(pss / 1024, 1), len(wanted)


def page_queries(server: Server) -> list[tuple[str, str]]:
    """The cluster page's queries for Gumi, as web/cluster_page.build asks them (the labels query
    for every IRI the other three return)."""
    texts = [(PAGES / f"cluster-{n}.rq").read_text().replace("%%THIS%%", f"<{CLUSTER}>")
             for n in ("about", "outcomes", "figures")]
    iris = {CLUSTER}
    for text in texts:
        status, _, body = http_get(server.url(text), JSON_ACCEPT, timeout=60)
        if status != 200:
            raise RuntimeError(f"cluster page query answered {status} {error_code(body)}")
        for row in json.loads(body)["results"]["bindings"]:
            iris.update(b["value"] for b in row.values() if b["type"] == "uri")
    # The page asks for every label in one query, in-process; over HTTP GET that is past the request
    # line's limit (8190 bytes, 414), so the IRIs are written relative to the base (the endpoint
    # resolves them against https://w3id.org/clusterkg/) and split over as many queries as needed.
    template = (PAGES / "labels.rq").read_text()
    terms = [f"<{i[len(BASE):] if i.startswith(BASE) else i}>" for i in sorted(iris)]
    labels, chunk = [], []
    for term in terms + [None]:
        text = template.replace("%%IRIS%%", " ".join(chunk + ([term] if term else [])))
        if term is None or len(server.url(text)) > 8000:
            labels.append(template.replace("%%IRIS%%", " ".join(chunk)))
            chunk = []
        if term:
            chunk.append(term)
    for text in labels:
        status, _, body = http_get(server.url(text), JSON_ACCEPT, timeout=60)
        if status != 200 or not json.loads(body)["results"]["bindings"]:
            raise RuntimeError(f"cluster page labels query answered {status} {error_code(body)}")
    return [(text, JSON_ACCEPT) for text in texts + labels]


def error_code(body: bytes) -> str:
    """The endpoint's error code in a JSON error body (errors.CODES), else the body's start."""
    try:
        return json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return repr(body[:200])


def drive(wrk, server: Server, queries: list[tuple[str, str]], c: int, duration: int) -> wrkdrive.Result:
    reqs = [(server.path + "?" + urllib.parse.urlencode({"query": text}), accept) for text, accept in queries]
    return wrkdrive.run(wrk, server.base, reqs, c, duration, timeout=30)


class Run:
    """One size: the data, the caches, and each setup measured in turn."""

    def __init__(self, args, size: int, work: Path, cmd: list[str], wrk: str, mix, ask):
        self.args, self.size, self.work, self.cmd, self.wrk, self.mix, self.ask = args, size, work, cmd, wrk, mix, ask
        self.data = synthetic.write(work / f"regional-{size}.nt", size) if size else None

    def clusterkg(self, name: str, cache: Path, backend: str = "") -> Server:
        config = self.work / f"{name}.toml"
        settings = "".join(f"{name.strip()} = {value.strip()}\n" for name, _, value in
                           (s.partition("=") for s in self.args.setting))  # --setting NAME=VALUE
        config.write_text(f'result_cache_size = 0\ncache_dir = "{cache}"\n' + (f'backend = "{backend}"\n' if backend else "")
                          + settings)
        argv = self.cmd + ["serve", "--host", "127.0.0.1", "--port", "{port}", "--config", str(config)]
        if self.data:
            argv += ["--data", str(self.data)]
        env = {k: None for k in os.environ if k.startswith("CLUSTERKG_")}
        return Server(f"{name}-{self.size}", f"clusterkg serve ({name})", argv, log_dir=self.args.out / "logs", cwd=REPO, env=env)

    def fresh_cache(self, name: str) -> Path:
        """A cache directory holding only the shipped dataset's prepared N-Quads (its closure)."""
        cache = self.work / f"cache-{name}"
        shutil.rmtree(cache, ignore_errors=True)
        shutil.copytree(self.args.shipped_cache, cache)
        return cache

    def measure(self, server: Server, extra_pids=()) -> dict:
        """Warm up, then the mix at each concurrency and the cluster page's queries; then memory."""
        for _ in range(self.args.warmup):
            drive(self.wrk, server, self.mix, max(self.args.concurrency), 1)
        out = {"mix": {}}
        for c in self.args.concurrency:
            res = drive(self.wrk, server, self.mix, c, self.args.duration)
            out["mix"][str(c)] = res.as_dict()
            progress(f"  {server.name} mix c={c}: {res.rps:.0f} req/s p50 {res.p50_ms:.1f} ms p99 {res.p99_ms:.1f} ms, errors {res.errors}")
        try:
            page = drive(self.wrk, server, page_queries(server), 1, self.args.duration)
            out["page"] = page.as_dict()
            progress(f"  {server.name} cluster page queries c=1: p50 {page.p50_ms:.1f} ms p99 {page.p99_ms:.1f} ms")
        except RuntimeError as exc:  # e.g. a query over its time limit: noted, the rest still counts
            out["page"] = {"error": str(exc)[:500]}
            progress(f"  {server.name} cluster page queries failed: {str(exc)[:200]}")
        out["rss_mb"], out["pss_mb"], out["processes"] = tree_memory(server.proc.pid, extra_pids)
        return out

    def embedded(self, name: str) -> dict:
        cache = self.fresh_cache(name)
        backend = "disk" if name == "disk" else ""
        server = self.clusterkg(name, cache, backend)
        try:
            load = server.start(self.ask.text, self.ask.accept, timeout=1800)
        finally:
            server.stop()
        progress(f"  {name}: load (first start, empty cache) {load:.2f} s")
        server = self.clusterkg(name, cache, backend)
        try:
            restart = server.start(self.ask.text, self.ask.accept, timeout=600)
            progress(f"  {name}: restart {restart:.2f} s")
            return {"load_s": round(load, 2), "restart_s": round(restart, 2), **self.measure(server)}
        finally:
            server.stop()

    def nquads(self) -> Path:
        """The prepared N-Quads of this size (every graph, the extra one included) for the stores."""
        from clusterkg import dataset
        from clusterkg.settings import Settings

        extra = (str(self.data),) if self.data else ()
        return dataset.prepare(Settings.load(cache_dir=str(self.fresh_cache("stores")), extra_files=extra)).nquads_path

    def remote(self, name: str, nquads: Path) -> dict:
        from remote_stores import OxigraphStore, VirtuosoStore

        make = (lambda: OxigraphStore(self.work / "oxigraph")) if name == "oxigraph" else \
            (lambda: VirtuosoStore(self.work / "virtuoso", max_seconds=60))
        with ExitStack() as stack:
            store = make()
            stack.callback(store.close)
            if name == "oxigraph":
                load = store.load(nquads)
                t0 = time.perf_counter()
                store.start(timeout_s=60)
            else:
                store.start()
                load = store.load(nquads)
                store.stop()
                t0 = time.perf_counter()
                store.start()
            progress(f"  {name}: bulk load {load:.2f} s")
            # the cache nquads() prepared: the front door's restart, not its first --data pass
            server = self.clusterkg(name, self.work / "cache-stores", store.query_url)
            stack.callback(server.stop)
            server.start(self.ask.text, self.ask.accept, timeout=600)
            restart = time.perf_counter() - t0
            progress(f"  {name}: restart (store, then clusterkg serve) {restart:.2f} s")
            return {"load_s": round(load, 2), "restart_s": round(restart, 2), **self.measure(server, [store.proc.pid])}


def errors(row: dict) -> int:
    """Non-2xx answers and socket errors over every timed point of a row."""
    points = [*row["mix"].values(), row["page"]]
    return sum(m.get("non2xx", 0) + m.get("socket_errors", 0) for m in points)


def table(rows: list[dict], concurrency: list[int]) -> str:
    head = ["extra triples", "setup", "load s", "restart s", "RSS MB", "PSS MB"]
    for c in concurrency:
        head += [f"mix req/s c={c}", f"mix p50 ms c={c}", f"mix p99 ms c={c}"]
    head += ["page p50 ms", "page p99 ms", "errors"]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['size']:,} | {r['setup']} | " + f"not measured: {r['error'].splitlines()[0][:120]} |")
            continue
        cells = [f"{r['size']:,}", r["setup"], f"{r['load_s']:.2f}", f"{r['restart_s']:.2f}", f"{r['rss_mb']:,.0f}", f"{r['pss_mb']:,.0f}"]
        for c in concurrency:
            m = r["mix"][str(c)]
            cells += [f"{m['rps']:,.0f}", f"{m['p50_ms']:.1f}", f"{m['p99_ms']:.1f}"]
        page = r["page"]
        cells += ["-", "-"] if "error" in page else [f"{page['p50_ms']:.1f}", f"{page['p99_ms']:.1f}"]
        cells.append(str(errors(r)) + ("; page: " + page["error"].replace("cluster page ", "") if "error" in page else ""))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(args, queries) -> int:
    """Measure every size on every setup of ``args.setups``; print the table, write scale.json."""
    from clusterkg import dataset
    from clusterkg.settings import Settings

    ask = next(q for q in queries if q.name == "ask")
    mix = [(q.text, q.accept) for q in queries]
    wrk = tools.ensure_wrk()
    cmd = tools.clusterkg_command(tools.project_python(args.python))
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"command": " ".join(["bench/run.py"] + sys.argv[1:]), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "load_average_at_start": os.getloadavg(), "cores": os.cpu_count(), "duration_s": args.duration,
              "concurrency": args.concurrency, "rows": []}
    rows = report["rows"]
    work = Path(args.work) if args.work else BENCH / "out" / "scale-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    args.shipped_cache = work / "shipped-cache"
    dataset.prepare(Settings.load(cache_dir=str(args.shipped_cache)))  # the closure, as any first start caches it
    try:
        for size in args.scale:
            progress(f"{size:,} extra triples (load average {os.getloadavg()[0]:.1f})")
            (work / f"size-{size}").mkdir()
            run = Run(args, size, work / f"size-{size}", cmd, wrk, mix, ask)
            nquads = None
            for setup in args.setups:
                progress(f" {setup}")
                row = {"size": size, "setup": setup, "load_average": os.getloadavg()}
                try:
                    if setup in ("memory", "disk"):
                        row.update(run.embedded(setup))
                    else:
                        nquads = nquads or run.nquads()
                        row.update(run.remote(setup, nquads))
                except Exception as exc:  # noqa: BLE001 - one setup failing is reported, the rest go on
                    row["error"] = f"{type(exc).__name__}: {exc}"
                    progress(f"  {setup} failed: {row['error'].splitlines()[0]}")
                rows.append(row)
            shutil.rmtree(work / f"size-{size}", ignore_errors=True)  # a size's stores take GBs
    finally:
        report["load_average_at_end"] = os.getloadavg()
        (args.out / "scale.json").write_text(json.dumps(report, indent=2) + "\n")
        shutil.rmtree(work, ignore_errors=True)
    print(table(rows, args.concurrency))
    mixes = [r for r in rows if "error" not in r]
    if mixes:
        print(f"\nload average (1 min) {statistics.median(r['load_average'][0] for r in rows):.1f} median over the setups, "
              f"{os.cpu_count()} cores; wrk {args.duration} s per point; results in {args.out / 'scale.json'}")
    return 1 if any("error" in r or "error" in r["page"] or errors(r) for r in rows) else 0
