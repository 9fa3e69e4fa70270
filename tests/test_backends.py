"""The remote backend when its store misbehaves: not there, erroring, not a SPARQL endpoint, stalling;
and recovery once the store answers.  (The protocol itself on every backend: test_protocol.py and
friends, parametrised in conftest.)"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conftest import TEST_TIMEOUT, error_of, free_port
from remote_stores import OxigraphStore

ASK = {"query": "ASK { ?s ?p ?o }"}


class _Fake(BaseHTTPRequestHandler):
    """An HTTP server that is no SPARQL endpoint: ``mode`` says how it misbehaves."""

    mode = "html"

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.mode == "stall":
            time.sleep(30)
            return
        status, media, body = {"html": (200, "text/html", b"<html><body>hello</body></html>"),
                               "error": (500, "text/plain", b"internal trouble in the store")}[self.mode]
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_store():
    servers = []

    def start(mode: str) -> str:
        handler = type("Handler", (_Fake,), {"mode": mode})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/sparql"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _unavailable(response) -> str:
    assert response.status_code == 503, response.data
    err = error_of(response)
    assert err["code"] == "backend-unavailable"
    return err["message"]


def test_a_store_that_does_not_answer(make_app):
    url = f"http://127.0.0.1:{free_port()}/sparql"  # nothing listens there
    client = make_app(backend=url).test_client()
    message = _unavailable(client.get("/sparql", query_string=ASK))
    assert url in message and "does not answer" in message
    _unavailable(client.get("/sparql"))  # the service description needs the store's counts


@pytest.mark.parametrize("mode, says", [("error", "HTTP 500"), ("html", "text/html")])
def test_a_store_that_answers_errors_or_is_no_sparql_endpoint(make_app, fake_store, mode, says):
    client = make_app(backend=fake_store(mode)).test_client()
    assert says in _unavailable(client.get("/sparql", query_string=ASK))


def test_a_stalling_store_gets_the_client_its_error_within_the_limit(make_app, fake_store):
    client = make_app(backend=fake_store("stall"), query_timeout=1.0).test_client()
    started = time.monotonic()
    r = client.get("/sparql", query_string=ASK)
    elapsed = time.monotonic() - started
    assert r.status_code == 503 and error_of(r)["code"] == "query-timeout"
    assert elapsed < 1.0 + 1.0


def test_recovers_when_the_store_comes_back(make_app, endpoint_settings, tmp_path):
    from clusterkg import dataset
    from clusterkg.settings import Settings

    store = OxigraphStore(tmp_path)
    try:
        store.load(dataset.prepare(Settings.load(**endpoint_settings)).nquads_path)
        client = make_app(backend=store.query_url).test_client()  # the store is not started yet
        _unavailable(client.get("/sparql", query_string=ASK))
        store.start()
        r = client.get("/sparql", query_string=ASK)
        assert r.status_code == 200 and r.get_json()["boolean"] is True
        assert client.get("/sparql").status_code == 200  # the service description, counts and all
        store.stop()
        _unavailable(client.get("/sparql", query_string=ASK))
    finally:
        store.close()


def test_a_bad_backend_url_is_one_clear_line_from_the_cli():
    r = subprocess.run([sys.executable, "-m", "clusterkg", "query", "ASK {}", "--setting", "backend", "ftp://x"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr.startswith("error: setting backend: 'ftp://x'") and "Traceback" not in r.stderr


def test_serve_says_so_at_start_and_keeps_answering_503(endpoint_settings, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}/sparql"
    port = free_port()
    env = dict(os.environ)
    for key, value in endpoint_settings.items():
        env["CLUSTERKG_" + key.upper()] = ",".join(value) if isinstance(value, tuple) else str(value)
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "clusterkg", "serve", "--port", str(port), "--workers", "1",
                                 "--backend", dead], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = requests.get(f"http://127.0.0.1:{port}/sparql", params=ASK, timeout=TEST_TIMEOUT + 2)
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.1)
        assert r.status_code == 503 and r.json()["error"]["code"] == "backend-unavailable"
        assert dead in log_path.read_text() and "backend-unavailable" in log_path.read_text()
    finally:
        proc.terminate()
        proc.wait(15)


def test_healthz_says_whether_a_query_can_be_answered(make_app):
    up = make_app(query_timeout=10).test_client().get("/healthz")  # a fresh app on a busy machine: room to start
    assert up.status_code == 200 and up.get_json()["status"] == "ok"
    down = make_app(backend=f"http://127.0.0.1:{free_port()}/sparql").test_client().get("/healthz")
    _unavailable(down)


def test_the_disk_store_is_built_once_per_dataset_version(make_service, endpoint_settings, tmp_path):
    from conftest import FIXTURES

    cache = {"cache_dir": str(tmp_path / "cache")}
    first = make_service(backend="disk", **cache)
    store_dir = first.backend.source
    assert store_dir.is_dir() and store_dir.parent == tmp_path / "cache"
    built = (store_dir / "clusterkg-ready").stat().st_mtime_ns
    again = make_service(backend="disk", **cache)
    assert again.backend.source == store_dir and (store_dir / "clusterkg-ready").stat().st_mtime_ns == built
    changed = make_service(backend="disk", data_files=(str(FIXTURES / "links.ttl"),), **cache)
    assert changed.backend.source != store_dir and changed.backend.source.is_dir()
    assert first.counts() == make_service().counts()  # the same data as the in-memory store
    assert changed.counts() != first.counts()


def test_the_disk_store_loads_its_parts_with_blank_nodes_kept_whole(monkeypatch, tmp_path):
    """The bulk load in parts (backends/disk.py) gives the store one load of the whole file gives,
    blank nodes included, though their lines lie in many blocks far apart."""
    import pyoxigraph as ox

    from clusterkg.backends import disk

    ex = "https://example.org/"
    lines = []
    for i in range(400):
        lines.append(f'<{ex}s{i}> <{ex}p> "value {i}" <{ex}g{i % 3}> .\n')
        if i % 97 == 0:  # one blank node, used as subject and object in lines far apart
            lines.append(f'_:shared <{ex}n> "{i}" <{ex}g0> .\n<{ex}s{i}> <{ex}link> _:shared <{ex}g1> .\n')
    nquads = tmp_path / "data.nq"
    nquads.write_text("".join(lines), encoding="utf-8")
    monkeypatch.setattr(disk, "BLOCK", 256)
    parts = disk.parts(nquads, 3)
    blocks = sorted(b for part in parts for b in part)
    assert len(parts) == 3 and blocks[0][0] == 0 and sum(n for _, n in blocks) == nquads.stat().st_size
    assert all(a + n == b for (a, n), (b, _) in zip(blocks, blocks[1:]))  # every byte once, cut at line ends
    with open(nquads, "rb") as fh:
        data = fh.read()
    assert all(data[a + n - 1:a + n] == b"\n" for a, n in blocks)
    assert [b for part in parts[1:] for b in part if b"_:" in data[b[0]:b[0] + b[1]]] == []

    monkeypatch.setattr(disk.os, "sched_getaffinity", lambda _: {0, 1, 2}, raising=False)
    on_disk = ox.Store(str(tmp_path / "store"))
    disk.bulk_load(on_disk, nquads)
    whole = ox.Store()
    whole.load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    joined = f"SELECT ?s ?i WHERE {{ GRAPH ?a {{ ?s <{ex}link> ?b }} GRAPH ?c {{ ?b <{ex}n> ?i }} }} ORDER BY ?s ?i"
    assert len(on_disk) == len(whole) == 400 + 2 * 5
    assert [tuple(r) for r in on_disk.query(joined)] == [tuple(r) for r in whole.query(joined)]
    assert len(list(whole.query(joined))) == 5 * 5  # every link reaches every note of the one blank node


def test_the_graphs_held_are_those_the_store_has(make_app, endpoint_settings, tmp_path):
    from clusterkg import dataset
    from clusterkg.settings import Settings
    from conftest import GRAPHS

    prepared = dataset.prepare(Settings.load(**endpoint_settings))
    full = prepared.nquads_path
    partial = tmp_path / "partial.nq"
    partial.write_bytes(b"".join(line for line in full.read_bytes().splitlines(keepends=True)
                                 if GRAPHS["inferred"].encode() not in line))
    store = OxigraphStore(tmp_path / "oxigraph")
    try:
        store.load(partial)
        store.start()
        client = make_app(backend=store.query_url).test_client()
        assert set(client.application.extensions["clusterkg"].graphs) == set(prepared.graphs) - {GRAPHS["inferred"]}
        r = client.get("/sparql", query_string={"query": f"ASK FROM <{GRAPHS['inferred']}> {{ ?s ?p ?o }}"})
        assert r.status_code == 400 and error_of(r)["code"] == "unknown-graph"
    finally:
        store.close()

