"""Federation: SERVICE reaches an allowlisted remote only through our proxy, within its limits.

The remote is a second clusterkg of our own on loopback (other data: notes about two of our
clusters and one that is not ours); the misbehaving remotes (hung, too big, redirecting, down)
are small sockets of the test's own.  The canary must never be contacted."""
from __future__ import annotations

import json
import multiprocessing
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from werkzeug.serving import make_server

from clusterkg.app import create_app
from clusterkg.errors import ClusterkgError
from clusterkg.guard import Guard
from conftest import GRAPHS, error_of, free_port

REMOTE_DATA = """\
@prefix cluster: <https://w3id.org/clusterkg/id/cluster/> .
@prefix ex: <http://example.org/remote#> .
cluster:changwon ex:note "R-changwon" .
cluster:gumi ex:note "R-gumi" .
cluster:nowhere ex:note "R-nowhere" .
"""
JOIN = """PREFIX ck: <https://w3id.org/clusterkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?name ?note WHERE {{
  ?c a ck:InnovationCluster ; rdfs:label ?name . FILTER(lang(?name) = "en")
  SERVICE <{remote}> {{ ?c <http://example.org/remote#note> ?note }}
}}"""


def rows(response) -> set[tuple]:
    data = response.get_json() if hasattr(response, "get_json") else json.loads(response.body)
    return {tuple(b[v]["value"] for v in data["head"]["vars"] if v in b) for b in data["results"]["bindings"]}


@pytest.fixture(scope="module")
def remote(endpoint_settings, tmp_path_factory):
    """A second clusterkg (the Flask app, served by werkzeug on loopback) holding REMOTE_DATA."""
    folder = tmp_path_factory.mktemp("remote")
    (folder / "remote.ttl").write_text(REMOTE_DATA)
    app = create_app({**endpoint_settings, "data_files": (str(folder / "remote.ttl"),),
                      "cache_dir": str(folder / "cache"), "query_timeout": WIDE})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sparql"
    server.shutdown()
    app.extensions["clusterkg"].close()


class Misbehaving:
    """A remote that hangs (accepts, never answers), answers too much, or redirects; records requests."""

    def __init__(self, mode: str, redirect_to: str = ""):
        outer = self
        self.requests: list[dict] = []
        self.mode = mode

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                outer.requests.append(dict(self.headers))
                if mode == "hang":
                    time.sleep(30)
                elif mode == "big":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/sparql-results+json")
                    self.end_headers()
                    self.wfile.write(b'{"head":{"vars":["x"]},"results":{"bindings":[' + b'{},' * 400_000 + b"{}]}}")
                elif mode == "redirect":
                    self.send_response(307)
                    self.send_header("Location", redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_port}"
        self.url = f"http://{self.host}/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def misbehaving():
    servers = []

    def make(mode, redirect_to=""):
        servers.append(Misbehaving(mode, redirect_to))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def host_of(url: str) -> str:
    return url.split("/")[2]


#: a wide query time limit for these tests: the machine is shared, and the limits under test
#: (service_timeout) are set below it wherever they matter
WIDE = 8.0


# --- the guard tells where each allowed SERVICE IRI sits ---------------------------------------
def test_guard_reports_allowed_service_targets():
    guard = Guard(graphs=GRAPHS.values(), service_allowlist=("example.org",))
    text = ("PREFIX r: <http://example.org/> SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } "
            "SERVICE SILENT r:q { ?a ?b ?c } }")
    checked = guard.check_query(text)
    assert [(text[start:end], iri) for start, end, iri in checked.services] == [
        ("<http://example.org/sparql>", "http://example.org/sparql"), ("r:q", "http://example.org/q")]


# --- federation works, through the proxy -------------------------------------------------------
def test_federated_join_returns_the_right_rows(make_app, remote, canary):
    client = make_app(service_allowlist=(host_of(remote),), query_timeout=WIDE).test_client()
    r = client.get("/sparql", query_string={"query": JOIN.format(remote=remote)})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert rows(r) == {("Changwon", "R-changwon"), ("Gumi", "R-gumi")}
    canary.assert_untouched(wait=0)


def test_the_remote_is_called_by_the_proxy_not_the_engine(make_service, misbehaving):
    remote = misbehaving("big")
    service = make_service(service_allowlist=(remote.host,), service_max_bytes=10)
    with pytest.raises(ClusterkgError):
        service.answer(f"SELECT * WHERE {{ SERVICE <{remote.url}> {{ ?s ?p ?o }} }}")
    assert remote.requests and all(h["User-Agent"].startswith("clusterkg-federation") for h in remote.requests)


def test_service_description_says_federated(make_app, remote):
    client = make_app(service_allowlist=(host_of(remote),), query_timeout=WIDE).test_client()
    assert b"BasicFederatedQuery" in client.get("/sparql", headers={"Accept": "text/turtle"}).data


# --- everything else stays refused ----------------------------------------------------------
def test_non_allowlisted_service_is_refused_and_the_canary_gets_nothing(make_app, remote, canary):
    client = make_app(service_allowlist=(host_of(remote),), query_timeout=WIDE).test_client()
    for query in (JOIN.format(remote=canary.url), f"LOAD <{canary.url}x.ttl>",
                  f"SELECT * WHERE {{ SERVICE <{remote}> {{ ?s ?p ?o }} SERVICE <{canary.url}> {{ ?s ?p ?o }} }}"):
        r = client.get("/sparql", query_string={"query": query})
        assert r.status_code == 403 and error_of(r)["code"] in ("service-refused", "read-only")
    canary.assert_untouched()


def test_a_redirect_off_the_allowlist_is_not_followed(make_app, misbehaving, canary):
    remote = misbehaving("redirect", redirect_to=canary.url)
    client = make_app(service_allowlist=(remote.host,), query_timeout=WIDE).test_client()
    r = client.get("/sparql", query_string={"query": f"SELECT * WHERE {{ SERVICE <{remote.url}> {{ ?s ?p ?o }} }}"})
    assert r.status_code == 502 and error_of(r)["code"] == "service-failed"
    assert "service_allowlist" in error_of(r)["message"]
    canary.assert_untouched()


def _engine_reach(relay_path, canary_port, result):
    """In a fresh executor-like process: no network but the relay."""
    from clusterkg.backends.executor_process import _drop_network
    from clusterkg.federation import Relay

    _drop_network()
    relay = Relay(relay_path)
    try:
        socket.create_connection(("127.0.0.1", canary_port), timeout=1).close()
        result[0] = 1
    except OSError:
        result[0] = 0
    try:
        socket.create_connection(("127.0.0.1", relay.port), timeout=1).close()
        result[1] = 1
    except OSError:
        result[1] = 0


def test_executors_reach_only_the_relay_with_an_allowlist(endpoint_settings, canary):
    """Defence in depth: with federation on, an executor still has no network; only its relay's port
    on its own loopback answers (where the kernel allows a new network namespace)."""
    from clusterkg.federation import Proxy
    from clusterkg.settings import Settings

    proxy = Proxy(Settings.load(**endpoint_settings, service_allowlist=(f"127.0.0.1:{canary.port}",)))
    try:
        result = multiprocessing.get_context("fork").Array("i", [-1, -1])
        proc = multiprocessing.get_context("fork").Process(target=_engine_reach, args=(proxy.path, canary.port, result))
        proc.start()
        proc.join(10)
        if result[0] == 1:
            pytest.skip("this kernel does not allow a new network namespace; the guard and rewrite alone protect")
        assert list(result) == [0, 1]
    finally:
        proxy.close()
    canary.assert_untouched()


# --- the limits ------------------------------------------------------------------------------
def test_a_hung_remote_is_cut_while_other_queries_are_answered(make_app, misbehaving):
    remote = misbehaving("hang")
    client = make_app(service_allowlist=(remote.host,), service_timeout=3.0, query_timeout=WIDE).test_client()
    client.get("/sparql", query_string={"query": "ASK {}"})  # executors started
    outcome = {}

    def federated():
        began = time.monotonic()
        r = client.get("/sparql", query_string={"query": f"SELECT * WHERE {{ SERVICE <{remote.url}> {{ ?s ?p ?o }} }}"})
        outcome["response"], outcome["seconds"] = r, time.monotonic() - began

    hung = threading.Thread(target=federated)
    hung.start()
    while not remote.requests:  # the call has reached the remote
        time.sleep(0.01)
        assert hung.is_alive()
    r = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    assert r.status_code == 200 and hung.is_alive()  # answered while the federated query still waits
    hung.join(20)
    r = outcome["response"]
    assert r.status_code == 504
    err = error_of(r)
    assert err["code"] == "service-timeout" and remote.host in err["message"]
    print(f"hung remote cut after {outcome['seconds']:.2f} s (service_timeout 3 s)")
    assert outcome["seconds"] < WIDE  # cut by service_timeout, well before the query's own limit


def test_a_call_never_outlives_the_query(make_app, misbehaving):
    """service_timeout longer than the query's time limit: the call is cut before the query's
    deadline, and the client is told it was the remote."""
    remote = misbehaving("hang")
    client = make_app(service_allowlist=(remote.host,), service_timeout=60.0, query_timeout=4.0).test_client()
    began = time.monotonic()
    r = client.get("/sparql", query_string={"query": f"SELECT * WHERE {{ SERVICE <{remote.url}> {{ ?s ?p ?o }} }}"})
    seconds = time.monotonic() - began
    assert r.status_code == 504 and error_of(r)["code"] == "service-timeout", r.get_data(as_text=True)
    print(f"hung remote with service_timeout 60 s, query_timeout 4 s: cut after {seconds:.2f} s")
    assert seconds < 30  # not service_timeout


def test_a_too_big_answer_is_cut(make_app, misbehaving):
    remote = misbehaving("big")
    client = make_app(service_allowlist=(remote.host,), service_max_bytes=100_000, query_timeout=WIDE).test_client()
    r = client.get("/sparql", query_string={"query": f"SELECT * WHERE {{ SERVICE <{remote.url}> {{ ?x ?p ?o }} }}"})
    assert r.status_code == 502
    err = error_of(r)
    assert err["code"] == "service-failed" and "service_max_bytes" in err["message"] and remote.host in err["message"]


def test_a_down_remote_is_a_clear_error(make_app):
    down = f"127.0.0.1:{free_port()}"  # nothing listens there
    client = make_app(service_allowlist=(down,), query_timeout=WIDE).test_client()
    r = client.get("/sparql", query_string={"query": f"SELECT * WHERE {{ SERVICE <http://{down}/sparql> {{ ?s ?p ?o }} }}"})
    assert r.status_code == 502
    err = error_of(r)
    assert err["code"] == "service-failed" and down in err["message"]


@pytest.mark.parametrize("mode", ["down", "hang"])
def test_service_silent_over_a_failing_remote_is_empty(make_app, misbehaving, mode):
    host = f"127.0.0.1:{free_port()}" if mode == "down" else misbehaving("hang").host
    client = make_app(service_allowlist=(host,), service_timeout=1.0, query_timeout=WIDE).test_client()
    query = (f"SELECT ?note WHERE {{ SERVICE SILENT <http://{host}/sparql> "
             "{ ?c <http://example.org/remote#note> ?note } }")
    r = client.get("/sparql", query_string={"query": query})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["results"]["bindings"] == [{}]  # SILENT: the empty solution, not an error


def test_the_sample_config_documents_wikidata_commented_out(tmp_path):
    from pathlib import Path

    from clusterkg.settings import Settings

    sample = Path(__file__).parents[1] / "docs" / "clusterkg.example.toml"
    assert Settings.load(sample).service_allowlist == ()  # off unless the operator turns it on
    enabled = tmp_path / "enabled.toml"
    enabled.write_text(sample.read_text().replace("# service_allowlist", "service_allowlist"))
    assert Settings.load(enabled).service_allowlist == ("query.wikidata.org",)


def test_federated_queries_never_run_in_the_worker(make_app):
    """The worker has the host's network: a SERVICE query, even one that succeeds quickly (SILENT
    over a down remote), always runs in an executor, behind the relay."""
    down = f"127.0.0.1:{free_port()}"
    app = make_app(service_allowlist=(down,), inprocess_max_ms=10_000, query_timeout=WIDE)
    backend, client = app.extensions["clusterkg"].backend, app.test_client()
    for _ in range(3):
        r = client.get("/sparql", query_string={"query": f"SELECT * WHERE {{ SERVICE SILENT <http://{down}/s> {{ ?s ?p ?o }} }}"})
        assert r.status_code == 200, r.get_data(as_text=True)
    assert backend.costs.stats()["in_process"] == 0 and backend.costs.stats()["known_cheap"] == 0


def test_the_relay_survives_both_ends_closing_at_once(tmp_path):
    """Each exchange ends with both sides closing, often in the same round of the relay's loop;
    the relay must go on serving (it once stopped there, and later SERVICE calls hung)."""
    from clusterkg.federation import Relay

    path = str(tmp_path / "p.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(16)

    def answer():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(conn.recv(100).upper())

    threading.Thread(target=answer, daemon=True).start()
    relay = Relay(path)
    try:
        for i in range(200):
            with socket.create_connection(("127.0.0.1", relay.port), timeout=5) as c:
                c.sendall(b"call %d" % i)
                assert c.recv(100) == b"CALL %d" % i
    finally:
        server.close()
