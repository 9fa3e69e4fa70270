"""The SPARQL 1.1 Protocol at /sparql: read the request strictly, guard it, run it, answer bytes.

GET ``?query=``, POST form-encoded ``query=`` and POST ``application/sparql-query`` run a query;
``default-graph-uri`` / ``named-graph-uri`` set its dataset; ``format`` (or ``Accept``) picks the
response format.  GET with no ``query`` answers the service description.  Every update, by any
channel (``update=``, ``application/sparql-update``, an update in ``query=``), is refused with 403.
Parameters are decoded strictly: broken percent-encoding or invalid UTF-8 is a 400, never a guess.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import OrderedDict
from functools import lru_cache
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

from flask import Blueprint, Response, current_app, request

from . import formats, service_description
from .errors import ClusterkgError

bp = Blueprint("sparql", __name__)
log = logging.getLogger(__name__)

TRUNCATED_HEADER = "X-Clusterkg-Truncated"
#: on every response (app.py adds them to Flask's; the fast path writes them itself)
CORS_HEADERS = [("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Expose-Headers", TRUNCATED_HEADER + ", Content-Type, Content-Length")]
_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_CACHE_MAX_BODY = 1 << 20     # answers larger than this are not kept in the result cache
_CACHE_MAX_TOTAL = 64 << 20    # nor more than this in all, per worker


def read_only(what: str) -> ClusterkgError:
    return ClusterkgError(f"This endpoint is read-only: {what} is refused. Use a query (SELECT, ASK, CONSTRUCT, "
                          "DESCRIBE) instead.", status=403, code="read-only")


def bad_request(message: str, code: str = "bad-request") -> ClusterkgError:
    return ClusterkgError(message, status=400, code=code)


def parse_urlencoded(raw: bytes, where: str) -> dict[str, list[str]]:
    """``a=1&b=2`` into {name: [values]}: '+' is a space; bad escapes or non-UTF-8 are a 400."""
    params: dict[str, list[str]] = {}
    if not raw:
        return params
    if _BAD_PERCENT.search(raw):
        raise bad_request(f"Broken percent-encoding in the {where}: every '%' must be followed by two hex digits "
                          "(encode a literal '%' as %25).", "bad-encoding")
    for pair in raw.split(b"&"):
        if not pair:
            continue
        name, _, value = pair.partition(b"=")
        try:
            key = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8")
            params.setdefault(key, []).append(unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise bad_request(f"The {where} is not valid UTF-8 once percent-decoded ({exc.reason} at byte "
                              f"{exc.start}).", "bad-encoding") from None
    return params


def parse_query_string(raw: bytes) -> dict[str, list[str]]:
    """``parse_urlencoded`` of a URL query string, remembered for URLs up to 16 KB: clients repeat
    their URLs, and percent-decoding a long query in Python costs more than the rest of the
    request.  The result is shared: read it, never change it."""
    return _parse_remembered(raw) if len(raw) <= 16384 else parse_urlencoded(raw, "URL query string")


@lru_cache(maxsize=512)
def _parse_remembered(raw: bytes) -> dict[str, list[str]]:
    return parse_urlencoded(raw, "URL query string")


def first(params: dict, name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def body_too_large(limit: int) -> ClusterkgError:
    return ClusterkgError(f"The request body is larger than this endpoint accepts ({limit} bytes, setting "
                          "max_body_bytes).", status=413, code="body-too-large")


def _body() -> bytes:
    """The request body, at most MAX_CONTENT_LENGTH bytes (chunked bodies too), else a 413."""
    limit = request.max_content_length
    stream = request.stream
    chunks, total = [], 0
    while True:
        chunk = stream.read(min(1 << 16, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise body_too_large(limit)  # the error handler drains the rest


def read_request() -> dict[str, list[str]]:
    """All parameters of a /sparql request, the query included (as ``query``)."""
    params = parse_query_string(request.query_string)
    if request.method != "POST":
        return params
    params = {name: list(values) for name, values in params.items()}  # ours to extend
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        for name, values in parse_urlencoded(_body(), "form body").items():
            params.setdefault(name, []).extend(values)
    elif mimetype == "application/sparql-query":
        charset = request.mimetype_params.get("charset", "utf-8")
        try:
            text = _body().decode(charset)
        except LookupError:
            raise ClusterkgError(f"Unknown charset {charset!r} in Content-Type.", status=415,
                                 code="unsupported-media-type") from None
        except UnicodeDecodeError as exc:
            raise bad_request(f"The query is not valid {charset} ({exc.reason} at byte {exc.start}).",
                              "bad-encoding") from None
        if "query" in params:
            raise bad_request("Two queries: with Content-Type application/sparql-query the body is the query, "
                              "so the URL must not carry query= as well.")
        params["query"] = [text]
    elif mimetype == "application/sparql-update":
        raise read_only("SPARQL Update (application/sparql-update)")
    else:
        raise ClusterkgError(
            f"Unsupported Content-Type {mimetype or '(none)'!r} for POST /sparql: send "
            "application/x-www-form-urlencoded (query=…) or application/sparql-query (the query as the body).",
            status=415, code="unsupported-media-type")
    return params


class ResultCache:
    """An LRU of answers for one worker; key: (query, format, dataset args, dataset version).
    At most ``size`` entries (setting result_cache_size), 1 MB each, 64 MB in all."""

    def __init__(self, size: int):
        self.size = max(0, int(size))
        self._entries: OrderedDict = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key):
        if not self.size:
            return None
        with self._lock:
            answer = self._entries.get(key)
            if answer is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return answer

    def put(self, key, answer) -> None:
        if not self.size or len(answer.body) > _CACHE_MAX_BODY:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._entries[key] = answer
            self._bytes += len(answer.body)
            while len(self._entries) > self.size or self._bytes > _CACHE_MAX_TOTAL:
                self._bytes -= len(self._entries.popitem(last=False)[1].body)


def execute(ep, params: dict, accept: str | None, started: float):
    """Answer the query in ``params`` (the core shared by the Flask view and the fast path)."""
    if "update" in params:
        raise read_only("SPARQL Update (update=)")
    queries = params["query"]
    if len(queries) > 1:
        raise bad_request(f"{len(queries)} query parameters: send exactly one.")
    text = queries[0]
    checked = ep.guard.check_query(text)
    default_graphs = tuple(params.get("default-graph-uri", ()))
    named_graphs = tuple(params.get("named-graph-uri", ()))
    if default_graphs or named_graphs:
        ep.guard.check_graphs(default_graphs + named_graphs)
    fmt = formats.choose(first(params, "format"), accept, checked.kind)
    key = (text, fmt.name, default_graphs, named_graphs, ep.version)
    answer = ep.cache.get(key)
    if answer is None:
        answer = run_query(ep, key, started)
        ep.cache.put(key, answer)
    return answer


def run_query(ep, key: tuple, started: float):
    """Evaluate ``key`` = (text, format, default graphs, named graphs, dataset version): in this
    worker if that exact query is known to be quick (``placement``), else in an executor within
    the time limit, noting how long it took there."""
    text, fmt, default_graphs, named_graphs, _version = key
    costs = ep.costs
    cost_key = costs.key(key)
    if costs.take_slot(cost_key):
        try:
            return ep.local.query(text, fmt, default_graphs, named_graphs)
        finally:
            costs.release_slot()
    answer = ep.pool.run(text, fmt, default_graphs, named_graphs, timeout=ep.settings.query_timeout, started=started)
    costs.record(cost_key, text, answer.seconds)
    return answer


def answer_headers(answer) -> list[tuple[str, str]]:
    headers = [("Content-Type", answer.media_type), ("Content-Length", str(len(answer.body))), ("Vary", "Accept")]
    if answer.truncated:
        headers.append((TRUNCATED_HEADER, answer.truncation))
    return headers


def error_body(status: int, code: str, message: str) -> bytes:
    """The one error shape: {"error": {"status", "code", "message"}}, as application/json."""
    return json.dumps({"error": {"status": status, "code": code, "message": message}},
                      ensure_ascii=False).encode("utf-8")


@bp.route("/sparql", methods=["GET", "POST"])
def sparql():
    started = time.monotonic()
    ep = current_app.extensions["clusterkg"]
    params = read_request()
    if "query" not in params and "update" not in params:
        if request.method == "POST":
            raise bad_request("No query: send query=… (form) or the query as an application/sparql-query body.",
                              "missing-query")
        fmt = formats.choose(first(params, "format"), request.headers.get("Accept"), formats.GRAPH)
        return service_description.response(ep, fmt)
    answer = execute(ep, params, request.headers.get("Accept"), started)
    return Response(answer.body, headers=answer_headers(answer))


class FastPath:
    """WSGI middleware: ``GET|HEAD /sparql?query=…`` answered without Flask's request machinery.

    The hot path of the endpoint: it parses the query string, runs ``execute`` and writes the
    same headers (CORS included) and the same JSON errors as the Flask view, in a fraction of the
    time.  Everything else (POST, the service description, the graph store, …) goes to Flask.
    """

    def __init__(self, wsgi_app, endpoint):
        self.wsgi_app = wsgi_app
        self.endpoint = endpoint

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        raw = environ.get("QUERY_STRING", "")
        if environ.get("PATH_INFO") != "/sparql" or method not in ("GET", "HEAD") or "query=" not in raw:
            return self.wsgi_app(environ, start_response)
        started = time.monotonic()
        try:
            params = parse_query_string(raw.encode("latin-1"))
            if "query" not in params and "update" not in params:
                return self.wsgi_app(environ, start_response)
            answer = execute(self.endpoint, params, environ.get("HTTP_ACCEPT"), started)
            status, headers, body = "200 OK", answer_headers(answer), answer.body
        except ClusterkgError as exc:
            status, headers, body = self._error(exc.status, exc.code, exc.message)
        except Exception:
            log.exception("unexpected error on %s /sparql", method)
            status, headers, body = self._error(500, "internal-error",
                                                "An internal error occurred; it was logged on the server.")
        start_response(status, headers + CORS_HEADERS)
        return [b""] if method == "HEAD" else [body]

    @staticmethod
    def _error(status: int, code: str, message: str):
        body = error_body(status, code, message)
        return (f"{status} {HTTPStatus(status).phrase}",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body)
