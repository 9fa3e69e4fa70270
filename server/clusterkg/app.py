"""The Flask application factory: ``create_app(config)`` -> the SPARQL endpoint as a WSGI app.

``config`` is a ``Settings``, a dict of setting overrides, or None (defaults < TOML < environment).
Creating the app prepares the dataset (``dataset.prepare``: cheap when the inference cache is warm)
and nothing else; each process that serves requests starts its own executor pool and loads its
own small in-process store (for the service description and the graph store) on first use, or
ahead of it through ``Endpoint.warm()`` (which ``clusterkg serve`` calls in every worker).

Every error leaves as one JSON shape, ``{"error": {"status", "code", "message"}}``; no traceback
ever reaches a client.  Every response carries CORS headers; OPTIONS answers preflights.
"""
from __future__ import annotations

import logging
import os
import threading
import time

from flask import Flask, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from . import dataset, graph_store, named_queries, protocol
from .errors import ClusterkgError
from .executor import ExecutorPool
from .guard import Guard
from .placement import CostMemo
from .settings import Settings
from .store import LocalStore

log = logging.getLogger(__name__)

DRAIN_LIMIT = 256 << 20   # an oversized body is read and dropped up to this much, so the 413 arrives
DRAIN_SECONDS = 10.0
_HTTP_CODES = {400: "bad-request", 404: "not-found", 405: "method-not-allowed", 406: "not-acceptable",
               413: "body-too-large", 414: "uri-too-long", 415: "unsupported-media-type"}


class Endpoint:
    """What the views share: settings, the prepared dataset, the guard, caches, and per-process
    resources (the executor pool and an in-process store) created after any fork."""

    def __init__(self, settings: Settings, prepared):
        self.settings = settings
        self.prepared = prepared
        self.version = prepared.version
        self.graphs = tuple(prepared.graphs)
        self.guard = Guard.from_settings(settings, self.graphs)
        self.cache = protocol.ResultCache(settings.result_cache_size)
        self.costs = CostMemo(settings.inprocess_max_ms, slots=settings.cpu_share())
        self.rendered: dict = {}     # fixed responses (service description, graph store)
        self._lock = threading.Lock()
        self._pid = None
        self._pool: ExecutorPool | None = None
        self._local: LocalStore | None = None
        self._counts: dict | None = None

    def _this_process(self) -> None:
        if self._pid != os.getpid():  # first use here, or a fork: nothing of the parent's is ours
            self._pid, self._pool, self._local = os.getpid(), None, None

    def _per_process(self, attr: str, build):
        """``self.<attr>``, built once in this process (a forked worker builds its own)."""
        if getattr(self, attr) is None or self._pid != os.getpid():
            with self._lock:
                self._this_process()
                if getattr(self, attr) is None:
                    setattr(self, attr, build())
        return getattr(self, attr)

    @property
    def pool(self) -> ExecutorPool:
        return self._per_process("_pool", lambda: ExecutorPool(self.prepared.nquads_path, self.graphs, self.settings))

    @property
    def local(self) -> LocalStore:
        return self._per_process("_local", lambda: LocalStore.from_prepared(self.prepared, self.settings))

    def graph_counts(self) -> dict:
        """Triples per named graph, and (key None) in the default graph, their union."""
        if self._counts is None:
            store = self.local.store
            counts = {str(row["graph"].value): int(row["triples"].value)
                      for row in store.query(named_queries.load("stats-graphs"))}
            counts[None] = int(next(iter(store.query(named_queries.load("count-union"),
                                                     use_default_graph_as_union=True)))["triples"].value)
            self._counts = counts
        return self._counts

    def remember(self, key, body: bytes) -> None:
        with self._lock:
            if len(self.rendered) > 512:
                self.rendered.clear()
            self.rendered[key] = body

    def warm(self) -> None:
        """Start executors and load the in-process store now rather than on the first request."""
        self.pool.warm()
        self.graph_counts()

    def close(self) -> None:
        with self._lock:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.close()
            self._pool = None


def _settings_of(config) -> Settings:
    if config is None:
        return Settings.load()
    if isinstance(config, Settings):
        return config
    if isinstance(config, dict):
        return Settings.load(**config)
    raise TypeError(f"create_app(config): expected Settings, dict or None, not {type(config).__name__}")


def create_app(config=None) -> Flask:
    settings = _settings_of(config)
    prepared = dataset.prepare(settings)
    app = Flask("clusterkg")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False
    endpoint = app.extensions["clusterkg"] = Endpoint(settings, prepared)
    app.wsgi_app = protocol.FastPath(app.wsgi_app, endpoint)
    app.register_blueprint(protocol.bp)
    app.register_blueprint(graph_store.bp)
    app.before_request(_refuse_large_body)
    app.after_request(_cors)
    app.register_error_handler(ClusterkgError, _error_response)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    return app


# --- errors -------------------------------------------------------------------------------------
def _json_error(status: int, code: str, message: str, headers=None):
    return protocol.error_body(status, code, message), status, {"Content-Type": "application/json", **(headers or {})}


def _error_response(exc: ClusterkgError):
    headers = {}
    if exc.status == 413 and exc.code == "body-too-large" and not _drain():
        headers["Connection"] = "close"
    return _json_error(exc.status, exc.code, exc.message, headers)


def _http_error(exc: HTTPException):
    status = exc.code or 500
    headers = {}
    if isinstance(exc, RequestEntityTooLarge):
        return _error_response(_too_large())
    if status == 405:
        allowed = getattr(exc, "valid_methods", None) or []
        allowed = sorted(allowed)
        headers["Allow"] = ", ".join(allowed)
        message = f"Method {request.method} is not allowed on {request.path}; allowed: {', '.join(allowed)}."
    elif status == 404:
        message = f"Nothing at {request.path}. The SPARQL endpoint is /sparql; the graph store is /rdf-graph-store."
    else:
        message = exc.description or exc.name
    return _json_error(status, _HTTP_CODES.get(status, "http-error"), message, headers)


def _unexpected(exc: Exception):
    log.exception("unexpected error on %s %s", request.method, request.path)
    return _json_error(500, "internal-error", "An internal error occurred; it was logged on the server.")


# --- request hooks ------------------------------------------------------------------------------
def _too_large() -> ClusterkgError:
    return protocol.body_too_large(request.max_content_length or 0)


def _refuse_large_body():
    length = request.content_length
    if length is not None and length > (request.max_content_length or 0):
        raise _too_large()


def _drain() -> bool:
    """Read and drop what is left of the body, so the client reads our 413 rather than a reset."""
    stream = request.environ.get("wsgi.input")
    if stream is None:
        return True
    total, deadline = 0, time.monotonic() + DRAIN_SECONDS
    try:
        while total < DRAIN_LIMIT and time.monotonic() < deadline:
            chunk = stream.read(1 << 16)
            if not chunk:
                return True
            total += len(chunk)
    except Exception:  # the client went away, or sent a malformed chunk
        return False
    return False


def _cors(response):
    headers = response.headers
    for name, value in protocol.CORS_HEADERS:
        headers[name] = value
    if request.method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = "GET, POST, HEAD, OPTIONS"
        asked = request.headers.get("Access-Control-Request-Headers", "")
        headers["Access-Control-Allow-Headers"] = asked if asked.replace(",", "").replace("-", "").replace(" ", "").isalnum() \
            else "Accept, Content-Type"
        headers["Access-Control-Max-Age"] = "86400"
    return response
