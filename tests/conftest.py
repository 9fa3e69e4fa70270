"""Shared fixtures: endpoint settings over a small Turtle fixture, fresh apps, a live gunicorn
server, and a canary TCP server that must never be contacted."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from clusterkg.app import create_app, create_service
from clusterkg.settings import Settings
from processes import stop, wait_until_answers

FIXTURES = Path(__file__).parent / "fixtures" / "endpoint"
BASE = "https://w3id.org/clusterkg/"
GRAPHS = {name: BASE + "graph/" + name for name in ("ontology", "data", "links", "inferred")}
CK = "https://w3id.org/clusterkg/ontology#"
#: the query time limit of the test apps and of the live server (short, so the suite stays fast)
TEST_TIMEOUT = 2.0
RUNAWAY = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
           "?m ?n2 ?o . ?p ?q ?r }")


@pytest.fixture(scope="session")
def endpoint_settings(tmp_path_factory) -> dict:
    """Setting overrides for every test app and the live server."""
    return {
        "ontology_dir": str(FIXTURES / "ontology"),
        "data_files": (str(FIXTURES / "data.ttl"),),
        "links_files": (str(FIXTURES / "links.ttl"),),
        "regions_files": (),
        "cache_dir": str(tmp_path_factory.mktemp("cache")),
        "query_timeout": TEST_TIMEOUT,
    }


#: Where the data lives behind the front door.  A test module marked ``pytestmark =
#: pytest.mark.backends`` runs every test that builds an app (``make_app``, ``client``) once per
#: backend: the embedded store (in memory, and on disk), and the remote backend over Oxigraph's server and over Virtuoso,
#: each started on 127.0.0.1 with the fixture's N-Quads (``remote_stores``: installed if missing,
#: else the setup fails; nothing is skipped).  Other modules run on the embedded store only.
BACKENDS = ("embedded", "disk", "oxigraph", "virtuoso")


def pytest_configure(config):
    config.addinivalue_line("markers", "backends: run this module's app tests on every backend (conftest.BACKENDS)")
    config.addinivalue_line("markers", "embedded_only(why): a test of the embedded store's own machinery")
    config.addinivalue_line("markers", "deviates(backend, why): a known deviation of that store; its run is a "
                                       "strict xfail (reported, and an error once the store behaves)")


def pytest_generate_tests(metafunc):
    marked = metafunc.definition.get_closest_marker("backends")
    if "backend_kind" in metafunc.fixturenames and marked and not metafunc.definition.get_closest_marker("embedded_only"):
        deviations = {m.args[0]: m.args[1] for m in metafunc.definition.iter_markers("deviates")}
        metafunc.parametrize("backend_kind", [
            pytest.param(kind, marks=pytest.mark.xfail(strict=True, reason=deviations[kind]))
            if kind in deviations else kind for kind in BACKENDS])


@pytest.fixture
def backend_kind() -> str:
    return "embedded"


def _remote_store(kind, endpoint_settings, tmp_path_factory):
    from clusterkg import dataset
    from remote_stores import OxigraphStore, VirtuosoStore

    nquads = dataset.prepare(Settings.load(**endpoint_settings)).nquads_path
    work = tmp_path_factory.mktemp(kind)
    # the store's own time limit ends what the client was told timed out: a few seconds of CPU, not minutes
    store = OxigraphStore(work) if kind == "oxigraph" else VirtuosoStore(work, max_seconds=int(TEST_TIMEOUT * 2))
    try:
        if kind == "oxigraph":
            store.load(nquads)
            store.start(timeout_s=int(TEST_TIMEOUT * 2))
        else:
            store.start()
            store.load(nquads)
    except BaseException:
        store.close()
        raise
    return store


@pytest.fixture(scope="session")
def oxigraph_store(endpoint_settings, tmp_path_factory):
    store = _remote_store("oxigraph", endpoint_settings, tmp_path_factory)
    yield store
    store.close()


@pytest.fixture(scope="session")
def virtuoso_store(endpoint_settings, tmp_path_factory):
    store = _remote_store("virtuoso", endpoint_settings, tmp_path_factory)
    yield store
    store.close()


@pytest.fixture
def backend_settings(request, backend_kind) -> dict:
    """The setting that points the app at this test's backend (none for the embedded store)."""
    if backend_kind == "embedded":
        return {}
    if backend_kind == "disk":
        return {"backend": "disk"}
    return {"backend": request.getfixturevalue(f"{backend_kind}_store").query_url}


@pytest.fixture
def make_app(endpoint_settings, backend_settings):
    """create_app over the fixture (on this test's backend), with per-test overrides; executors stop after the test."""
    apps = []

    def make(**overrides):
        app = create_app({**endpoint_settings, **backend_settings, **overrides})
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["clusterkg"].close()


@pytest.fixture
def make_service(endpoint_settings, backend_settings):
    """The one service (guard, cache, this test's backend) over the fixture, as the CLI builds it."""
    services = []

    def make(**overrides):
        service = create_service(Settings.load(**{**endpoint_settings, **backend_settings, **overrides}))
        services.append(service)
        return service

    yield make
    for service in services:
        service.close()


@pytest.fixture
def client(make_app):
    return make_app().test_client()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(settings: dict, log_dir: Path):
    """`python -m clusterkg serve` (the click CLI: gunicorn, 2 workers) on a free port with these
    setting overrides; yields its base URL and stops it after."""
    port = free_port()
    env = dict(os.environ)
    for key, value in settings.items():
        env["CLUSTERKG_" + key.upper()] = ",".join(value) if isinstance(value, tuple) else str(value)
    env["CLUSTERKG_WORKERS"] = "2"
    log_path = log_dir / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "clusterkg", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(url + "/sparql", proc, log_path, params={"query": "ASK {}"})
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def live_server(endpoint_settings, tmp_path_factory):
    """The live server over the small fixture; yields its base URL."""
    with serve(endpoint_settings, tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="session")
def site_settings(tmp_path_factory) -> dict:
    """Setting overrides for the pages' tests: the shipped dataset (the site needs its figures)."""
    return {"cache_dir": str(tmp_path_factory.mktemp("site-cache")), "query_timeout": 5.0}


@pytest.fixture(scope="session")
def site_server(site_settings, tmp_path_factory):
    """The live server over the shipped dataset, for the site's browser tests; yields its base URL."""
    with serve(site_settings, tmp_path_factory.mktemp("site-server")) as url:
        yield url


class Canary:
    """A TCP server on 127.0.0.1 that records every connection; the endpoint must make none."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.hits: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            with conn:
                conn.settimeout(0.5)
                try:
                    self.hits.append(conn.recv(4096) or b"<connected>")
                except OSError:
                    self.hits.append(b"<connected>")

    def assert_untouched(self, wait: float = 0.3):
        time.sleep(wait)
        assert self.hits == [], f"the canary was contacted: {self.hits!r}"

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def canary():
    c = Canary()
    yield c
    c.close()


def error_of(response) -> dict:
    """The documented error shape: application/json {"error": {"status", "code", "message"}}."""
    assert response.headers["Content-Type"].startswith("application/json"), response.headers["Content-Type"]
    data = response.get_json() if hasattr(response, "get_json") else response.json()
    assert set(data) == {"error"}
    err = data["error"]
    assert set(err) == {"status", "code", "message"}
    assert err["status"] == response.status_code
    assert err["message"] and "Traceback" not in err["message"]
    return err


def count_of(body: bytes) -> int:
    """The ?n of a SPARQL JSON answer to a SELECT (COUNT(…) AS ?n) query."""
    import json

    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])
