"""The Flask application factory: ``create_app(config)`` -> the endpoint as a WSGI app.

``config`` is a ``Settings``, a dict of setting overrides, or None (defaults < TOML < environment).
Creating the app prepares the dataset (``dataset.prepare``: cheap when the inference cache is warm),
opens the backend the settings name and wraps it in the one ``Service``; nothing else.  Each
process that serves requests builds its own per-process resources on first use, or ahead of it
through ``Service.warm()`` (which ``clusterkg serve`` calls in every worker).  Wiring only: the
views live in ``web/``.
"""
from __future__ import annotations

from flask import Flask

from . import backends, dataset, web
from .service import Service
from .settings import Settings
from .web import graph_store, health, http, pages, protocol, query_page, site


def _settings_of(config) -> Settings:
    if config is None:
        return Settings.load()
    if isinstance(config, Settings):
        return config
    if isinstance(config, dict):
        return Settings.load(**config)
    raise TypeError(f"create_app(config): expected Settings, dict or None, not {type(config).__name__}")


def create_service(settings: Settings) -> Service:
    """The service over the backend the settings name (the CLI builds the same one)."""
    # the disk store bulk-loads the --data files itself, straight from the files (backends/disk.py)
    prepared = dataset.prepare(settings, merge_extra=settings.backend != "disk")
    return Service(settings, backends.open_backend(settings, prepared))


def create_app(config=None) -> Flask:
    settings = _settings_of(config)
    service = create_service(settings)
    app = Flask("clusterkg")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False
    web.init_app(app, service)
    http.init_app(app)
    app.register_blueprint(protocol.bp)
    app.register_blueprint(graph_store.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(site.bp)
    app.register_blueprint(query_page.bp)
    app.register_blueprint(health.bp)
    app.wsgi_app = protocol.FastPath(app.wsgi_app, service)
    return app
