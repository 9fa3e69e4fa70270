"""Time `clusterkg publish` (Graph Store Protocol PUTs, staged and swapped) against each store's own
bulk loader, on the shipped dataset plus N synthetic triples in a brought-in graph; every store on
127.0.0.1, stopped afterwards.  The numbers in docs/DEPLOY.md come from here:

    .venv/bin/python deploy/measure_publish.py --extra 0 --extra 100000
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from clusterkg import dataset  # noqa: E402
from clusterkg.publish import publish  # noqa: E402
from clusterkg.settings import Settings  # noqa: E402
from remote_stores import OxigraphStore, VirtuosoStore  # noqa: E402
import synthetic  # noqa: E402

EXTRA_GRAPH = "https://w3id.org/clusterkg/graph/extra"


def dataset_with(extra: int, work: Path) -> Path:
    """The shipped dataset's N-Quads plus ``extra`` synthetic regional triples (bench/synthetic.py)."""
    source = dataset.prepare(Settings.load(cache_dir=str(work / "cache"))).nquads_path
    out = work / f"dataset-{extra}.nq"
    out.write_bytes(source.read_bytes())
    return synthetic.write(out, extra, graph=EXTRA_GRAPH, mode="a")


def measure(extra: int, work: Path) -> list[tuple[str, str, float]]:
    nquads = dataset_with(extra, work)
    rows = []
    bulk = OxigraphStore(work / f"ox-bulk-{extra}")
    rows.append(("oxigraph", "bulk loader (oxigraph load)", bulk.load(nquads)))
    store = OxigraphStore(work / f"ox-gsp-{extra}")
    store.start(writable=True)
    try:
        t0 = time.perf_counter()
        publish(nquads, store.gsp_url, update_url=store.update_url)
        rows.append(("oxigraph", "clusterkg publish (GSP PUT + MOVE)", time.perf_counter() - t0))
    finally:
        store.close()
    for mode in ("bulk", "gsp"):
        store = VirtuosoStore(work / f"vt-{mode}-{extra}")
        store.start()
        try:
            if mode == "bulk":
                rows.append(("virtuoso", "bulk loader (ld_dir + rdf_loader_run)", store.load(nquads)))
            else:
                store.grant_updates()
                t0 = time.perf_counter()
                publish(nquads, store.gsp_url, update_url=store.update_url)
                rows.append(("virtuoso", "clusterkg publish (GSP PUT + MOVE)", time.perf_counter() - t0))
        finally:
            store.close()
    lines = sum(1 for _ in open(nquads, "rb"))
    return [(f"{lines:,}", *row) for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--extra", type=int, action="append", help="synthetic triples to add (repeatable)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="clusterkg-publish-") as tmp:
        print("| quads | store | how | seconds |\n|---|---|---|---|")
        for extra in args.extra or [0]:
            for quads, store, how, seconds in measure(extra, Path(tmp)):
                print(f"| {quads} | {store} | {how} | {seconds:.2f} |", flush=True)


if __name__ == "__main__":
    main()
