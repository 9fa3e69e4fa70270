"""The evaluation alone: each benchmark query through clusterkg's in-process store, no HTTP.

    .venv/bin/python bench/engine_times.py [--repeat N]      # JSON {query name: median ms}

``backends.store.LocalStore.query`` is what every answer costs wherever it runs (pyoxigraph's
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
    ap.add_argument("--raw", action="store_true",
                    help="also time pyoxigraph alone (query + serialize, no caps): what the caps cost")
    args = ap.parse_args(argv)


    from clusterkg import formats
    from clusterkg.backends.store import LocalStore, ox_format
    from clusterkg.dataset import prepare
    from clusterkg.guard import Guard
    from clusterkg.settings import Settings

    settings = Settings.load()
    prepared = prepare(settings)
    store = LocalStore.open(prepared.nquads_path, prepared.graphs, settings)
    guard = Guard(graphs=prepared.graphs)

    def median_ms(run) -> float:
        run()  # once untimed
        samples = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            run()
            samples.append(time.perf_counter() - began)
        return round(statistics.median(samples) * 1000, 4)

    medians, raw = {}, {}
    for q in load_queries():
        fmt = formats.choose(None, q.accept, guard.check_query(q.text).kind)
        medians[q.name] = median_ms(lambda: store.query(q.text, fmt))
        if args.raw:
            raw[q.name] = median_ms(lambda: store.store.query(q.text, use_default_graph_as_union=True)
                                    .serialize(format=ox_format(fmt)))
    json.dump({"clusterkg": medians, "pyoxigraph": raw} if args.raw else medians, sys.stdout)


if __name__ == "__main__":
    main()
