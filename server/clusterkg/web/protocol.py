"""The SPARQL 1.1 Protocol at /sparql: read the request strictly, guard it, run it, answer bytes.

GET ``?query=``, POST form-encoded ``query=`` and POST ``application/sparql-query`` run a query;
``default-graph-uri`` / ``named-graph-uri`` set its dataset; ``format`` (or ``Accept``) picks the
response format.  GET with no ``query`` answers the service description (a browser asking for
HTML is sent to the query page, /query).  Every update, by any
channel (``update=``, ``application/sparql-update``, an update in ``query=``), is refused with 403.
Parameters are decoded strictly: broken percent-encoding or invalid UTF-8 is a 400, never a guess.
"""
from __future__ import annotations

import logging
import re
import time
from functools import lru_cache
from urllib.parse import unquote_to_bytes

from flask import Blueprint, Response, redirect, request

from .. import errors, formats
from ..backends import TRUNCATED_HEADER
from ..errors import ClusterkgError
from . import current_service, service_description

bp = Blueprint("sparql", __name__)
log = logging.getLogger(__name__)

#: on every response (``http`` adds them to Flask's; the fast path writes them itself)
CORS_HEADERS = [("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Expose-Headers", TRUNCATED_HEADER + ", Content-Type, Content-Length")]
_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def read_only(what: str) -> ClusterkgError:
    return ClusterkgError("read-only", f"This endpoint is read-only: {what} is refused. Use a query (SELECT, ASK, "
                          "CONSTRUCT, DESCRIBE) instead.")


def bad_request(message: str, code: str = "bad-request") -> ClusterkgError:
    return ClusterkgError(code, message)


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
    return ClusterkgError("body-too-large", f"The request body is larger than this endpoint accepts ({limit} bytes, "
                          "setting max_body_bytes).")


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
        if charset.strip().lower() not in ("utf-8", "utf8"):  # SPARQL 1.1 Protocol 2.1.3: UTF-8 only
            raise ClusterkgError("unsupported-media-type", f"Unsupported charset {charset!r}: a query sent as "
                                 "application/sparql-query must be UTF-8 (SPARQL 1.1 Protocol §2.1.3).")
        try:
            text = _body().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise bad_request(f"The query is not valid UTF-8 ({exc.reason} at byte {exc.start}).",
                              "bad-encoding") from None
        if "query" in params:
            raise bad_request("Two queries: with Content-Type application/sparql-query the body is the query, "
                              "so the URL must not carry query= as well.")
        params["query"] = [text]
    elif mimetype == "application/sparql-update":
        raise read_only("SPARQL Update (application/sparql-update)")
    else:
        raise ClusterkgError(
            "unsupported-media-type", f"Unsupported Content-Type {mimetype or '(none)'!r} for POST /sparql: send "
            "application/x-www-form-urlencoded (query=…) or application/sparql-query (the query as the body).")
    return params


def execute(service, params: dict, accept: str | None, started: float):
    """Answer the query in ``params`` through the service (the Flask view and the fast path)."""
    if "update" in params:
        if "query" in params:
            raise bad_request("A request carries either query= or update=, not both (SPARQL 1.1 Protocol §2.1).")
        raise read_only("SPARQL Update (update=)")
    queries = params["query"]
    if len(queries) > 1:
        raise bad_request(f"{len(queries)} query parameters: send exactly one.")
    return service.answer(queries[0], format=first(params, "format"), accept=accept,
                          default_graphs=params.get("default-graph-uri", ()),
                          named_graphs=params.get("named-graph-uri", ()), started=started)


@bp.route("/sparql", methods=["GET", "POST"])
def sparql():
    started = time.monotonic()
    service = current_service()
    params = read_request()
    if "query" not in params and "update" not in params:
        if request.method == "POST":
            raise bad_request("No query: send query=… (form) or the query as an application/sparql-query body.",
                              "missing-query")
        if "format" not in params and errors.wants_html(request.headers.get("Accept")):
            return redirect("/query", code=303)  # a person in a browser: the query page
        fmt = formats.choose(first(params, "format"), request.headers.get("Accept"), formats.GRAPH)
        return service_description.response(service, fmt)
    answer = execute(service, params, request.headers.get("Accept"), started)
    return Response(answer.body, headers=answer.headers)


class FastPath:
    """WSGI middleware: ``GET|HEAD /sparql?query=…`` answered without Flask's request machinery.

    The hot path of the endpoint: it parses the query string, runs ``execute`` and writes the
    same headers (CORS included) and the same JSON errors as the Flask view, in a fraction of the
    time.  Everything else (POST, the service description, the graph store, …) goes to Flask.
    """

    def __init__(self, wsgi_app, service):
        self.wsgi_app = wsgi_app
        self.service = service

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
            answer = execute(self.service, params, environ.get("HTTP_ACCEPT"), started)
            status, headers, body = "200 OK", answer.headers, answer.body
        except ClusterkgError as exc:
            status, headers, body = errors.render(exc, environ.get("HTTP_ACCEPT"))
        except Exception:
            log.exception("unexpected error on %s /sparql", method)
            status, headers, body = errors.render(errors.internal(), environ.get("HTTP_ACCEPT"))
        start_response(status, headers + CORS_HEADERS)
        return [b""] if method == "HEAD" else [body]
