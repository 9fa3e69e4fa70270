"""The errors of clusterkg: one registry of codes, one error type, one way to render it.

Every error a client can see is a ``ClusterkgError(code, message)``; its HTTP status comes from
``CODES``, the one table of error codes (docs/ENDPOINT.md lists each, and a test checks they
agree).  On the wire it takes one shape, ``{"error": {"status", "code", "message"}}`` as
``application/json`` (``json_body``), or a small HTML page for a browser that asked for one
(``html_body``); ``render`` picks between them.  The Flask app, gunicorn's own HTTP errors and the
CLI (which prints ``message`` and exits 2) all go through here.
"""
from __future__ import annotations

import html
import json
from http import HTTPStatus

#: code -> (HTTP status, when it happens).  ``http-error`` takes the status of the HTTP error.
CODES: dict[str, tuple[int | None, str]] = {
    "malformed-query": (400, "the query does not parse; the parser's message gives the position"),
    "bad-encoding": (400, "broken percent-encoding, or text that is not UTF-8 (URL, form body or query body)"),
    "query-too-deep": (400, "brackets nested deeper than max_nesting_depth (checked before any parser runs)"),
    "unknown-graph": (400, "FROM, FROM NAMED, default-graph-uri or named-graph-uri names a graph not held here"),
    "unknown-format": (400, "a format name this endpoint does not have, or one that cannot express the result"),
    "bad-request": (400, "a malformed request: repeated or conflicting parameters (query= with update=, two queries)"),
    "missing-query": (400, "POST /sparql with no query"),
    "query-error": (400, "the engine reported an error while evaluating the query (its message is passed on)"),
    "query-aborted": (400, "the engine ran out of memory (max_executor_memory_mb) or stack on this query"),
    "bad-input": (400, "an input file (data, configuration) cannot be read or parsed (the CLI exits 2)"),
    "bad-shapes": (400, "the SHACL shapes themselves cannot be used (the CLI exits 2)"),
    "read-only": (403, "any SPARQL Update, by any channel, and any write to the graph store"),
    "service-refused": (403, "SERVICE whose host is not in service_allowlist (empty by default)"),
    "forbidden": (403, "gunicorn refused the request (e.g. a forwarded header from an untrusted address)"),
    "not-found": (404, "nothing at this path"),
    "graph-not-found": (404, "the graph store has no such graph"),
    "method-not-allowed": (405, "this path does not answer this method (the Allow header says which do)"),
    "not-acceptable": (406, "nothing in Accept can express the result (the message lists what can)"),
    "body-too-large": (413, "a request body over max_body_bytes (read and dropped first, so the client gets the 413)"),
    "query-too-long": (413, "a query over max_query_length bytes"),
    "uri-too-long": (414, "a request line over 8190 bytes (gunicorn): send long queries by POST"),
    "unsupported-media-type": (415, "POST with a Content-Type other than a form or application/sparql-query, "
                                    "or a charset other than UTF-8"),
    "expectation-failed": (417, "an Expect header gunicorn cannot meet"),
    "headers-too-large": (431, "too many or too large request headers (gunicorn)"),
    "http-error": (None, "any other HTTP-level error, with its own status"),
    "internal-error": (500, "a bug of ours; the details are in the server log, never in the answer"),
    "not-implemented": (501, "an HTTP feature gunicorn does not implement (e.g. a Transfer-Encoding)"),
    "service-failed": (502, "a SERVICE call to an allowlisted host failed: down, refused, an HTTP error, "
                            "a redirect off the allowlist, or an answer over service_max_bytes"),
    "query-timeout": (503, "the query ran past query_timeout and was stopped"),
    "server-busy": (503, "every query executor of a worker stayed busy for the whole time limit"),
    "executor-unavailable": (503, "no query executor could be started, or the server is shutting down"),
    "service-timeout": (504, "a SERVICE call to an allowlisted host took longer than service_timeout "
                             "(or the query's time left)"),
    "backend-unavailable": (503, "the SPARQL store named by the setting backend does not answer, answers errors, "
                                 "or is not a SPARQL endpoint"),
}

#: gunicorn's and werkzeug's HTTP errors: status -> our code
BY_STATUS: dict[int, str] = {
    400: "bad-request", 403: "forbidden", 404: "not-found", 405: "method-not-allowed", 406: "not-acceptable",
    413: "body-too-large", 414: "uri-too-long", 415: "unsupported-media-type", 417: "expectation-failed",
    431: "headers-too-large", 500: "internal-error", 501: "not-implemented",
}


class ClusterkgError(Exception):
    """An error with a registered code (which fixes its HTTP status) and a message meant for people."""

    def __init__(self, code: str, message: str, *, status: int | None = None):
        super().__init__(message)
        registered = CODES[code][0]  # a KeyError here is a bug: every code is registered
        self.code = code
        self.message = message
        self.status = registered if registered is not None else (status or 500)


class InputError(ClusterkgError):
    """An input file the operator gave cannot be read or parsed (CLI exit code 2)."""

    def __init__(self, message: str):
        super().__init__("bad-input", message)


def for_status(status: int, message: str) -> ClusterkgError:
    """The error of an HTTP-level failure (werkzeug, gunicorn) with this status."""
    return ClusterkgError(BY_STATUS.get(status, "http-error"), message, status=status)


def json_body(status: int, code: str, message: str) -> bytes:
    """The one error shape: {"error": {"status", "code", "message"}}."""
    return json.dumps({"error": {"status": status, "code": code, "message": message}},
                      ensure_ascii=False).encode("utf-8")


def html_body(status: int, code: str, message: str) -> bytes:
    """The same error as a small page, for a person in a browser."""
    title = f"{status} {_phrase(status)}"
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{title} · clusterkg</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"></head>\n'
            f'<body><main><h1>{title}</h1><p>{html.escape(message)}</p>'
            f'<p><small>error code <code>{html.escape(code)}</code></small></p>'
            f'<p><a href="/">clusterkg</a></p></main></body></html>\n').encode("utf-8")


def wants_html(accept: str | None) -> bool:
    """A browser's Accept (text/html named before any JSON or SPARQL type) gets the HTML page."""
    if not accept:
        return False
    accept = accept.lower()
    at = accept.find("text/html")
    if at < 0:
        return False
    others = [i for i in (accept.find("json"), accept.find("sparql")) if i >= 0]
    return not others or at < min(others)


def render(exc: ClusterkgError, accept: str | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status line, headers, body) of an error: JSON, or HTML where the client prefers it."""
    if wants_html(accept):
        body, media = html_body(exc.status, exc.code, exc.message), "text/html; charset=utf-8"
    else:
        body, media = json_body(exc.status, exc.code, exc.message), "application/json"
    headers = [("Content-Type", media), ("Content-Length", str(len(body)))]
    return f"{exc.status} {_phrase(exc.status)}", headers, body


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def internal() -> ClusterkgError:
    """What a client is told about a bug of ours (the details go to the server log)."""
    return ClusterkgError("internal-error", "An internal error occurred; it was logged on the server.")
