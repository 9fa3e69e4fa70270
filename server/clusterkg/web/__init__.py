"""The HTTP side: blueprints that read requests and write responses, and nothing else.

Every view reaches the data through the one service (``current_service()``), attached to the app
by ``init_app``.  ``http`` holds what every response shares: the error handlers (one renderer,
``errors.render``), CORS and the request-size guard.
"""
from __future__ import annotations

from flask import current_app

from ..service import Service

EXTENSION = "clusterkg"


def init_app(app, service: Service) -> None:
    app.extensions[EXTENSION] = service


def current_service() -> Service:
    """The service of the app handling this request."""
    return current_app.extensions[EXTENSION]
