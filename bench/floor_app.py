"""The floor: the same stack as clusterkg (gunicorn, same workers, threads and keep-alive, a Flask
app) answering each benchmark URL with clusterkg's own precomputed response, without any SPARQL
work. Its throughput is the most this HTTP stack gives on this machine; clusterkg's "ratio to the
floor" is the share of that it keeps.

Two kinds (--kind), as clusterkg's own hot path is built:
  wsgi  (default) a WSGI callable in front of the Flask app answers GET /sparql?query=…, as
        clusterkg.web.protocol.FastPath does; anything else goes to Flask
  flask the Flask view answers it (Flask's request machinery on every request)

run.py writes the responses file (query string, Accept, status line, headers, body) from
clusterkg's answers and starts, through clusterkg's own gunicorn setup:

    python bench/floor_app.py RESPONSES --kind wsgi --port PORT --workers W --threads T
"""
from __future__ import annotations

import json

from flask import Flask, Response, request

NOT_FOUND = ("404 Not Found", [("Content-Type", "text/plain")], b"not a benchmark URL\n")


def load(responses_file: str) -> dict:
    """{(query string, Accept): (status line, headers, body)}."""
    with open(responses_file, encoding="utf-8") as fh:
        entries = json.load(fh)
    return {(e["query_string"], e["accept"]): ("200 OK", [tuple(h) for h in e["headers"]], e["body"].encode("utf-8"))
            for e in entries}


def create_app(responses_file: str, kind: str = "wsgi"):
    table = load(responses_file)
    app = Flask(__name__)

    @app.get("/sparql")
    def sparql():
        status, headers, body = table.get((request.query_string.decode("latin-1"), request.headers.get("Accept", "")),
                                          NOT_FOUND)
        return Response(body, status=int(status[:3]), headers=headers)

    if kind == "flask":
        return app

    flask_wsgi = app.wsgi_app

    def fast_path(environ, start_response):
        if environ.get("PATH_INFO") != "/sparql" or environ.get("REQUEST_METHOD") != "GET":
            return flask_wsgi(environ, start_response)
        status, headers, body = table.get((environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT", "")), NOT_FOUND)
        start_response(status, headers + [("Content-Length", str(len(body)))])
        return [body]

    app.wsgi_app = fast_path
    return app


def main(argv=None) -> None:
    """Serve the floor app through clusterkg's own gunicorn setup (``clusterkg.serve.Server``:
    same worker class, threads, keep-alive and connection balancing as ``clusterkg serve``)."""
    import argparse

    from clusterkg.serve import Server
    from clusterkg.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("responses", help="the responses file run.py wrote")
    ap.add_argument("--kind", choices=["wsgi", "flask"], default="wsgi")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--workers", type=int, required=True)
    ap.add_argument("--threads", type=int, required=True)
    args = ap.parse_args(argv)
    settings = Settings.load(host="127.0.0.1", port=args.port, workers=args.workers, threads=args.threads)
    Server(settings, create_app(args.responses, args.kind)).run()


if __name__ == "__main__":
    main()
