"""The floor: the same stack as clusterkg (gunicorn + Flask, same workers and threads) answering a
fixed, precomputed response for each benchmark URL, with no SPARQL work at all.

Its throughput is the most the HTTP stack can give on this machine; clusterkg's "ratio to the
floor" is the share of that it keeps. run.py fills the responses file with clusterkg's own
answers (status, Content-Type, body) and starts:

    gunicorn --workers W --threads T --bind 127.0.0.1:PORT --pythonpath bench floor_app:app
"""
from __future__ import annotations

import json
import os

from flask import Flask, Response, request


def create_app(responses_file: str) -> Flask:
    with open(responses_file, encoding="utf-8") as fh:
        entries = json.load(fh)
    table = {(e["query"], e["accept"]): (e["body"].encode("utf-8"), e["content_type"]) for e in entries}
    app = Flask(__name__)

    @app.get("/sparql")
    def sparql():
        hit = table.get((request.args.get("query", ""), request.headers.get("Accept", "")))
        if hit is None:
            return Response("not a benchmark URL\n", status=404, content_type="text/plain")
        body, content_type = hit
        return Response(body, content_type=content_type)

    return app


app = create_app(os.environ["BENCH_FLOOR_RESPONSES"]) if "BENCH_FLOOR_RESPONSES" in os.environ else None
