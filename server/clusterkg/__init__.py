"""clusterkg: the knowledge graph of Korea's seven pilot innovation clusters, and its SPARQL endpoint."""
from __future__ import annotations

__version__ = "0.1.0"


def create_app(config=None):
    """The Flask application factory (see ``clusterkg.app``); no work happens at import time."""
    from .app import create_app as _create_app

    return _create_app(config)
