"""clusterkg's server with one of its mechanisms switched off, for the ablation benchmark
(run.py --ablations), without touching the server's code.

    python bench/variant_serve.py --port 8123 --workers 2 --config bench/out/x.toml --no-fastpath
    python bench/variant_serve.py --port 8123 --no-balance
    python bench/variant_serve.py --port 8123 --no-placement

It builds what `clusterkg serve` builds (``clusterkg.serve.Server(settings)``; the app made by
``clusterkg.app.create_app``) and then, per flag:
  --no-fastpath   unwraps ``web.protocol.FastPath``: create_app sets ``app.wsgi_app =
                  FastPath(app.wsgi_app, service)``, so ``app.wsgi_app.wsgi_app`` is Flask's own;
                  every GET /sparql then goes through the Flask view
  --no-balance    sets the Server's ``balance`` to None before run(): ``serve.Worker`` reads
                  ``self.app.balance`` and, when it is None, accepts whatever it wins (gunicorn's
                  plain behaviour)
  --no-placement  inprocess_max_ms = 0: every query runs in an executor process
With no flag it is clusterkg as shipped (same as `clusterkg serve`).
"""
from __future__ import annotations

import argparse


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 epilog="example: python bench/variant_serve.py --port 8123 --no-balance")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--workers", type=int)
    ap.add_argument("--config", help="a TOML file of settings (see `clusterkg settings`)")
    ap.add_argument("--no-fastpath", action="store_true", help="GET /sparql through the Flask view")
    ap.add_argument("--no-balance", action="store_true", help="no accept balancing between workers")
    ap.add_argument("--no-placement", action="store_true", help="inprocess_max_ms = 0 (every query in an executor)")
    args = ap.parse_args(argv)

    from clusterkg.web import protocol
    from clusterkg.app import create_app
    from clusterkg.serve import Server
    from clusterkg.settings import Settings

    settings = Settings.load(args.config, host=args.host, port=args.port, workers=args.workers,
                             inprocess_max_ms=0.0 if args.no_placement else None)
    app = create_app(settings)
    if args.no_fastpath:
        if not isinstance(app.wsgi_app, protocol.FastPath):
            raise SystemExit(f"variant_serve: app.wsgi_app is {type(app.wsgi_app).__name__}, not FastPath; "
                             "create_app changed, update this launcher")
        app.wsgi_app = app.wsgi_app.wsgi_app
    server = Server(settings, app)
    if args.no_balance:
        if not hasattr(server, "balance"):
            raise SystemExit("variant_serve: clusterkg.serve.Server has no `balance` attribute; update this launcher")
        server.balance = None
    server.run()


if __name__ == "__main__":
    main()
