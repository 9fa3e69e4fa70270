"""GET /healthz: a cheap check for load balancers (deploy/haproxy.cfg): 200 when this process can
answer a query now, else the error (503 ``backend-unavailable``, ``executor-unavailable``, …).

It asks ``ASK {}`` through the service, so it reaches the backend (a remote store, or an executor)
like any query does.  With the result cache on (``result_cache_size``), a cached answer may stand
in for the backend's: the check then says the worker is up, not that the store is.
"""
from __future__ import annotations

import time

from flask import Blueprint, jsonify

from . import current_service

bp = Blueprint("health", __name__)


@bp.route("/healthz", methods=["GET", "HEAD"])
def healthz():
    service = current_service()
    service.answer("ASK {}", format="json", started=time.monotonic())
    response = jsonify({"status": "ok", "version": service.version})
    response.headers["Cache-Control"] = "no-store"
    return response
