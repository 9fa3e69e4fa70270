"""What every response shares: errors in one shape, CORS, and the request-body guard.

Errors leave through ``errors.render``: the JSON shape ``{"error": {"status", "code",
"message"}}`` for API clients, a small HTML page for a browser that prefers one.  No traceback
ever reaches a client.  Every response carries CORS headers; OPTIONS answers preflights.
"""
from __future__ import annotations

import logging
import time

from flask import Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .. import errors
from ..errors import ClusterkgError
from .protocol import CORS_HEADERS, body_too_large

log = logging.getLogger(__name__)

DRAIN_LIMIT = 256 << 20   # an oversized body is read and dropped up to this much, so the 413 arrives
DRAIN_SECONDS = 10.0


def init_app(app) -> None:
    app.before_request(_refuse_large_body)
    app.after_request(_cors)
    app.register_error_handler(ClusterkgError, _error_response)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def error_response(exc: ClusterkgError, headers=None) -> Response:
    status, head, body = errors.render(exc, request.headers.get("Accept"))
    response = Response(body, status=exc.status, headers=head)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _error_response(exc: ClusterkgError):
    headers = {}
    if exc.code == "body-too-large" and not _drain():
        headers["Connection"] = "close"
    return error_response(exc, headers)


def _http_error(exc: HTTPException):
    if isinstance(exc, RequestEntityTooLarge):
        return _error_response(_too_large())
    status = exc.code or 500
    headers = {}
    if status == 405:
        allowed = sorted(getattr(exc, "valid_methods", None) or [])
        headers["Allow"] = ", ".join(allowed)
        message = f"Method {request.method} is not allowed on {request.path}; allowed: {', '.join(allowed)}."
    elif status == 404:
        message = f"Nothing at {request.path}. The SPARQL endpoint is /sparql; the graph store is /rdf-graph-store."
    else:
        message = exc.description or exc.name
    return error_response(errors.for_status(status, message), headers)


def _unexpected(exc: Exception):
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_response(errors.internal())


def _too_large() -> ClusterkgError:
    return body_too_large(request.max_content_length or 0)


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
    for name, value in CORS_HEADERS:
        headers[name] = value
    if request.method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = "GET, POST, HEAD, OPTIONS"
        asked = request.headers.get("Access-Control-Request-Headers", "")
        headers["Access-Control-Allow-Headers"] = asked if asked.replace(",", "").replace("-", "").replace(" ", "").isalnum() \
            else "Accept, Content-Type"
        headers["Access-Control-Max-Age"] = "86400"
    return response
