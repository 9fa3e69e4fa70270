"""The evaluation alone: each benchmark query through clusterkg's in-process store, no HTTP.

    .venv/bin/python bench/engine_times.py [--repeat N]      # JSON {query name: median ms}

``store.LocalStore.query`` is what every answer costs wherever it runs (guard, pyoxigraph's
evaluation, serialisation into the query's Accept format, the caps), so these medians are the
part of a request no HTTP stack or placement can remove.  run.py calls this with the project's
Python and, from them and the floor's throughput, estimates the best ratio to the floor that
any endpoint evaluating with this engine could reach on this machine.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import load_queries  # noqa: E402  (bench/ is not a package)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=300, help="evaluations per query (median of them)")
    args = ap.parse_args(argv)

    from clusterkg import formats
    from clusterkg.dataset import prepare
    from clusterkg.settings import Settings
    from clusterkg.store import LocalStore

    settings = Settings.load()
    store = LocalStore.from_prepared(prepare(settings), settings)
    medians = {}
    for q in load_queries():
        kind = store.guard.check_query(q.text).kind
        fmt = formats.choose(None, q.accept, kind).name
        store.query(q.text, fmt)  # once untimed
        samples = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            store.query(q.text, fmt)
            samples.append(time.perf_counter() - began)
        medians[q.name] = round(statistics.median(samples) * 1000, 4)
    json.dump(medians, sys.stdout)


if __name__ == "__main__":
    main()
