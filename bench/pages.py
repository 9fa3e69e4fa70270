#!/usr/bin/env python3
"""The site's pages: server time and weight, measured against a live `clusterkg serve`.

    python bench/pages.py                    # 100 requests per page, page cache off and on
    python bench/pages.py --requests 20      # quicker

For each page, sequential GETs over loopback with a browser's Accept (text/html), one connection
reused: p50 and p90 of the time to the last byte (server time plus a loopback round trip), once
with the setting page_cache = false (every page rendered from its queries) and once with it on.
The weight is the page's HTML plus every asset it links from /assets/ (what a browser fetches
from us; nothing comes from elsewhere). Targets (issue 9, printed, never asserted): a cluster page
p50 <= 20 ms without a cache; every page but the query page <= 300 KB with its assets.
"""
from __future__ import annotations

import argparse
import http.client
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tools  # noqa: E402  (bench/ is not a package)
from servers import HOST, Server  # noqa: E402
from tools import BENCH, REPO, log  # noqa: E402

PAGES = ["/", "/id/cluster/changwon", "/id/cluster/gumi", "/id/cluster/ulsan", "/id/cluster/banwol-sihwa",
         "/id/cluster/gwangju", "/id/cluster/wonju", "/id/cluster/gunsan", "/id/actor/gwangju-technopark",
         "/id/indicator/exports", "/ontology", "/downloads", "/query"]
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Language": "en"}
_ASSET = re.compile(rb'(?:href|src)="(/assets/[^"]+)"')


def timed_gets(conn: http.client.HTTPConnection, path: str, n: int) -> tuple[list[float], bytes]:
    samples, body = [], b""
    for _ in range(n):
        began = time.perf_counter()
        conn.request("GET", path, headers=HTML)
        response = conn.getresponse()
        body = response.read()
        samples.append(time.perf_counter() - began)
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}: {body[:200]!r}")
    return samples, body


def weight(conn: http.client.HTTPConnection, html: bytes) -> int:
    total = len(html)
    for asset in sorted(set(_ASSET.findall(html))):
        conn.request("GET", asset.decode())
        total += len(conn.getresponse().read())
    return total


def measure(cmd: list[str], page_cache: bool, n: int, out: Path) -> dict:
    config = out / f"pages-cache-{str(page_cache).lower()}.toml"
    config.write_text(f"page_cache = {str(page_cache).lower()}\nworkers = 1\n")
    server = Server(f"pages-cache-{page_cache}", "clusterkg serve (1 worker)",
                    cmd + ["serve", "--host", HOST, "--port", "{port}", "--config", str(config)],
                    log_dir=out / "logs", cwd=REPO, env={"CLUSTERKG_PAGE_CACHE": None, "CLUSTERKG_WORKERS": None})
    server.start("ASK {}", "application/sparql-results+json")
    try:
        conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
        rows = {}
        for path in PAGES:
            timed_gets(conn, path, 3)  # untimed: the first render of each
            samples, html = timed_gets(conn, path, n)
            rows[path] = {"p50_ms": statistics.median(samples) * 1000,
                          "p90_ms": statistics.quantiles(samples, n=10)[-1] * 1000, "kb": weight(conn, html) / 1000}
        return rows
    finally:
        server.stop()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 epilog="example: .venv/bin/python bench/pages.py --requests 50")
    ap.add_argument("--requests", type=int, default=100, help="timed requests per page (default 100)")
    ap.add_argument("--out", type=Path, default=BENCH / "out", help="where the server logs go")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    cmd = tools.clusterkg_command(tools.project_python())
    log(f"{len(PAGES)} pages x {args.requests} requests, page cache off then on")
    off, on = measure(cmd, False, args.requests, args.out), measure(cmd, True, args.requests, args.out)
    print(f"{'page':32} {'p50 ms':>8} {'p90 ms':>8} {'cached p50':>11} {'KB with assets':>15}")
    for path in PAGES:
        print(f"{path:32} {off[path]['p50_ms']:8.2f} {off[path]['p90_ms']:8.2f} {on[path]['p50_ms']:11.2f} "
              f"{off[path]['kb']:15.1f}")
    clusters = [off[p]["p50_ms"] for p in PAGES if p.startswith("/id/cluster/")]
    heavy = max((off[p]["kb"], p) for p in PAGES if p != "/query")
    print(f"\ntargets (printed, not asserted): slowest cluster page p50 without a cache {max(clusters):.2f} ms "
          f"(<= 20 ms: {'met' if max(clusters) <= 20 else 'MISSED'}); heaviest page but /query "
          f"{heavy[0]:.1f} KB, {heavy[1]} (<= 300 KB: {'met' if heavy[0] <= 300 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
