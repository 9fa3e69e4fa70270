"""The SPARQL 1.1 Protocol at /sparql: read the request strictly, guard it, run it, answer bytes.

GET ``?query=``, POST form-encoded ``query=`` and POST ``application/sparql-query`` run a query;
``default-graph-uri`` / ``named-graph-uri`` set its dataset; ``format`` (or ``Accept``) picks the
response format.  GET with no ``query`` answers the service description.  Every update, by any
channel (``update=``, ``application/sparql-update``, an update in ``query=``), is refused with 403.
Parameters are decoded strictly: broken percent-encoding or invalid UTF-8 is a 400, never a guess.
"""
from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from urllib.parse import unquote_to_bytes

from flask import Blueprint, Response, current_app, request

from . import formats, service_description
from .errors import ClusterkgError

bp = Blueprint("sparql", __name__)

TRUNCATED_HEADER = "X-Clusterkg-Truncated"
_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_CACHE_MAX_BODY = 1 << 20  # answers larger than this are not kept in the result cache


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
    params = parse_urlencoded(request.query_string, "URL query string")
    if request.method != "POST":
        return params
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
    """An LRU of answers for one worker; key: (query, format, dataset args, dataset version)."""

    def __init__(self, size: int):
        self.size = max(0, int(size))
        self._entries: OrderedDict = OrderedDict()
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
            self._entries[key] = answer
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


@bp.route("/sparql", methods=["GET", "POST"])
def sparql():
    started = time.monotonic()
    ep = current_app.extensions["clusterkg"]
    params = read_request()
    if "update" in params:
        raise read_only("SPARQL Update (update=)")
    queries = params.get("query")
    if not queries:
        if request.method == "POST":
            raise bad_request("No query: send query=… (form) or the query as an application/sparql-query body.",
                              "missing-query")
        fmt = formats.choose(first(params, "format"), request.headers.get("Accept"), formats.GRAPH)
        return service_description.response(ep, fmt)
    if len(queries) > 1:
        raise bad_request(f"{len(queries)} query parameters: send exactly one.")
    text = queries[0]
    checked = ep.guard.check_query(text)
    default_graphs = tuple(params.get("default-graph-uri", ()))
    named_graphs = tuple(params.get("named-graph-uri", ()))
    if default_graphs or named_graphs:
        ep.guard.check_graphs(default_graphs + named_graphs)
    fmt = formats.choose(first(params, "format"), request.headers.get("Accept"), checked.kind)
    key = (text, fmt.name, default_graphs, named_graphs, ep.version)
    answer = ep.cache.get(key)
    if answer is None:
        answer = ep.pool.run(text, fmt.name, default_graphs, named_graphs,
                             timeout=ep.settings.query_timeout, started=started)
        ep.cache.put(key, answer)
    response = Response(answer.body, content_type=answer.media_type)
    response.headers["Vary"] = "Accept"
    if answer.truncated:
        response.headers[TRUNCATED_HEADER] = answer.truncation
    return response
