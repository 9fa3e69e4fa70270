"""``clusterkg serve``: the Flask app behind gunicorn (pre-fork master, threaded workers).

    from clusterkg.serve import run
    run(Settings.load(config_file, host=..., port=..., workers=...))

The master builds the app once (``preload_app``: the dataset is prepared once, before the
workers fork); each worker then starts its executor pool and its small in-process store
(``Endpoint.warm``) before taking requests.  gunicorn's own answers to malformed HTTP (a request
line over 8190 bytes, bad headers) use the endpoint's JSON error shape too.

Its one command line is ``clusterkg serve`` (``python -m clusterkg serve``) in cli.py.
"""
from __future__ import annotations


from gunicorn import util as gunicorn_util
from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

from . import balance, errors
from .balance import AcceptBalance
from .settings import Settings


def _write_json_error(sock, status_int, reason, mesg):
    """gunicorn's own HTTP errors (a malformed request it never hands to the app), in our shape."""
    message = mesg or reason
    if status_int == 414:
        message += ". Send long queries by POST (application/sparql-query or a form body)."
    exc = errors.for_status(status_int, message)
    body = errors.json_body(exc.status, exc.code, exc.message)
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Access-Control-Allow-Origin: *\r\nContent-Length: {len(body)}\r\n\r\n")
    gunicorn_util.write_nonblock(sock, head.encode("latin-1") + body)


class Worker(ThreadWorker):
    """gunicorn's threaded worker, answering HTTP-level errors in the endpoint's JSON shape and
    taking its share of the connections (``balance.AcceptBalance``) rather than whatever it wins."""

    _balance: AcceptBalance | None = None
    _slot = -1

    def init_process(self):
        gunicorn_util.write_error = _write_json_error
        self._balance = getattr(self.app, "balance", None)
        super().init_process()

    def run(self):
        if self._balance is not None:  # joins once warm, so nobody holds back for a worker still loading
            self._slot = self._balance.join()
        try:
            super().run()
        finally:
            self._leave()

    def _leave(self):
        if self._balance is not None:
            self._balance.leave(self._slot)
            self._balance = None

    def _fair(self) -> bool:
        if self._balance is None:
            return True
        if not self.alive:  # shutting down: others must not hold back for us
            self._leave()
            return True
        return self._balance.may_accept(self._slot, self.nr_conns)

    def set_accept_enabled(self, enabled):
        super().set_accept_enabled(enabled and self._fair())

    def wait_for_and_dispatch_events(self, timeout):
        if self._balance is not None and not self._fair():
            super().set_accept_enabled(False)
            timeout = min(timeout, balance.RECHECK)
        super().wait_for_and_dispatch_events(timeout)


def _post_worker_init(worker) -> None:
    service = worker.wsgi.extensions.get("clusterkg")
    if service is not None:
        try:
            service.warm()
        except errors.ClusterkgError as exc:  # e.g. a remote store down: say so, serve 503s until it is back
            worker.log.warning("%s", exc.message)


class Server(BaseApplication):
    """gunicorn configured from clusterkg's settings."""

    def __init__(self, settings: Settings, app=None):
        self.settings = settings
        self._app = app
        self.balance = AcceptBalance(settings.workers)  # shared memory: made here, before the workers fork
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        host = f"[{s.host}]" if ":" in s.host and not s.host.startswith("[") else s.host
        options = {
            "bind": f"{host}:{s.port}",
            "workers": max(1, int(s.workers)),
            "threads": max(1, int(s.threads)),
            "worker_class": "clusterkg.serve.Worker",
            "preload_app": True,
            "timeout": int(max(30, s.query_timeout * 2 + 10)),
            "graceful_timeout": int(max(10, s.query_timeout + 5)),
            "keepalive": 5,
            "limit_request_line": 8190,
            "post_worker_init": _post_worker_init,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "clusterkg",
        }
        if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 25: no shared control socket
            options["control_socket_disable"] = True
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self):
        if self._app is None:
            from .app import create_app
            self._app = create_app(self.settings)
        return self._app


def run(settings: Settings) -> None:
    """Serve until stopped (SIGTERM/SIGINT); what ``clusterkg serve`` calls."""
    Server(settings).run()

