"""How the backends hold up as the data grows: the shipped dataset plus 0 / 100k / 1M synthetic
triples (a brought-in graph), served by the embedded store in memory, the embedded store on disk
(``backend = "disk"``) and the remote backend over Oxigraph's server; all on 127.0.0.1.

For each: the one-off build (the on-disk store's bulk load; ``oxigraph load``), the time from a
new service to its first answer (per process: what a new worker or executor pays), and the median
of 5 runs of each bench query (bench/queries, through ``Service.answer``: guard, caps and all).

    .venv/bin/python deploy/measure_scale.py --extra 0 --extra 100000 --extra 1000000
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "deploy"))

from clusterkg import backends, dataset  # noqa: E402
from clusterkg.dataset import Prepared  # noqa: E402
from clusterkg.service import Service  # noqa: E402
from clusterkg.settings import Settings  # noqa: E402
from measure_publish import EXTRA_GRAPH, dataset_with  # noqa: E402
from remote_stores import OxigraphStore  # noqa: E402

QUERIES = sorted((ROOT / "bench" / "queries").glob("*.rq"))


def run(extra: int, work: Path) -> None:
    nquads = dataset_with(extra, work)
    base = dataset.prepare(Settings.load(cache_dir=str(work / "cache")))
    prepared = Prepared(f"{base.version}-{extra}", nquads, base.graphs + (EXTRA_GRAPH,), 0.0, True)
    settings = Settings.load(cache_dir=str(work / "cache"), query_timeout=60.0, workers=1)
    oxigraph = OxigraphStore(work / f"oxigraph-{extra}")
    builds = {"disk": None, "oxigraph": oxigraph.load(nquads)}
    oxigraph.start(timeout_s=60)
    try:
        for kind, overrides in (("memory", {}), ("disk", {"backend": "disk"}),
                                ("oxigraph", {"backend": oxigraph.query_url})):
            s = settings.replace(**overrides)
            t0 = time.perf_counter()
            backend = backends.open_backend(s, prepared)
            built = time.perf_counter() - t0
            if kind == "disk":
                builds["disk"] = built
            service = Service(s, backend)
            try:
                t0 = time.perf_counter()
                service.answer("ASK { ?s ?p ?o }")
                first = time.perf_counter() - t0
                medians = []
                for path in QUERIES:
                    text = path.read_text()
                    times = []
                    for _ in range(5):
                        t0 = time.perf_counter()
                        service.answer(text)
                        times.append(time.perf_counter() - t0)
                    medians.append(statistics.median(times) * 1000)
                build = builds.get(kind)
                print(f"| {extra:,} | {kind} | {'-' if build is None else f'{build:.1f}'} | {first:.2f} | "
                      + " | ".join(f"{m:.1f}" for m in medians) + " |", flush=True)
            finally:
                service.close()
    finally:
        oxigraph.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--extra", type=int, action="append", help="synthetic triples to add (repeatable)")
    args = parser.parse_args()
    names = [p.stem.split("-", 1)[0] for p in QUERIES]
    print("| extra triples | backend | build s | first answer s | " + " | ".join(f"q{n} ms" for n in names) + " |")
    print("|---" * (4 + len(names)) + "|")
    with tempfile.TemporaryDirectory(prefix="clusterkg-scale-") as tmp:
        for extra in args.extra or [0]:
            run(extra, Path(tmp))


if __name__ == "__main__":
    main()
