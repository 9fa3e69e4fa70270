"""The minimal endpoint: Flask + pyoxigraph, no guard, no limits, no executors, no cache.

A reference for clusterkg (run.py's `minimal`): what the same engine over the same data gives
behind the same HTTP stack with nothing else in the way. GET /sparql?query=… only; the query runs
in the web worker's thread on a pyoxigraph Store loaded from clusterkg's prepared N-Quads
(``clusterkg.dataset.prepare(Settings.load()).nquads_path``, inferred graph included), with the
default graph as the union of the named graphs, as clusterkg does. The answer is serialised in
the format the Accept header asks for among a few (SPARQL JSON or XML results; Turtle or
N-Triples for graphs), JSON results / Turtle by default.

Served by gunicorn's plain gthread worker with the workers, threads and keep-alive clusterkg
uses (no connection balancing, no preload: each worker loads its own store):

    python bench/minimal_app.py --port 8124 --workers 2 --threads 16
"""
from __future__ import annotations

import argparse

import pyoxigraph as ox
from flask import Flask, Response, request

#: media type -> pyoxigraph format, in the order tried when Accept names none of them exactly
RESULTS = {"application/sparql-results+json": ox.QueryResultsFormat.JSON,
           "application/sparql-results+xml": ox.QueryResultsFormat.XML}
GRAPHS = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES}


def negotiate(accept: str, offers: dict) -> str:
    """The first offered media type the Accept header names (q-values ignored), else the first offer."""
    asked = [part.split(";")[0].strip().lower() for part in (accept or "").split(",")]
    return next((media for media in asked if media in offers), next(iter(offers)))


def create_app(nquads_path: str) -> Flask:
    store = ox.Store()
    store.load(path=nquads_path, format=ox.RdfFormat.N_QUADS)
    app = Flask("minimal")

    @app.get("/sparql")
    def sparql():
        text = request.args.get("query")
        if not text:
            return Response("missing query\n", status=400, mimetype="text/plain")
        try:
            result = store.query(text, use_default_graph_as_union=True)
        except SyntaxError as exc:
            return Response(f"{exc}\n", status=400, mimetype="text/plain")
        offers = GRAPHS if isinstance(result, ox.QueryTriples) else RESULTS
        media = negotiate(request.headers.get("Accept", ""), offers)
        return Response(result.serialize(format=offers[media]), content_type=media)

    return app


def main(argv=None) -> None:
    from gunicorn.app.base import BaseApplication

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 epilog="example: python bench/minimal_app.py --port 8124 --workers 2 --threads 16")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=16)
    args = ap.parse_args(argv)

    from clusterkg.dataset import prepare
    from clusterkg.settings import Settings

    nquads = str(prepare(Settings.load()).nquads_path)

    class Gunicorn(BaseApplication):
        def load_config(self):
            for key, value in {"bind": f"{args.host}:{args.port}", "workers": args.workers, "threads": args.threads,
                               "worker_class": "gthread", "keepalive": 5, "accesslog": None, "errorlog": "-",
                               "loglevel": "info", "proc_name": "minimal"}.items():
                self.cfg.set(key, value)
            if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 25: no shared control socket
                self.cfg.set("control_socket_disable", True)

        def load(self):
            return create_app(nquads)

    Gunicorn().run()


if __name__ == "__main__":
    main()
