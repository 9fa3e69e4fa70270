"""Every limit holds, and every kind of bad input gets one documented 4xx: the time limit (even for
a query that never leaves the engine), body and query size, nesting, result rows and bytes,
executor memory; the result cache; the store never changes."""
from __future__ import annotations

import csv
import io
import json
import socket
import threading
import time

import pytest
import requests

from clusterkg.errors import ClusterkgError
from conftest import CK, RUNAWAY, TEST_TIMEOUT, error_of

pytestmark = pytest.mark.backends  # the same tests on every backend (conftest.BACKENDS)

COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def triples(client) -> int:
    r = client.get("/sparql", query_string={"query": COUNT_ALL})
    return int(json.loads(r.data)["results"]["bindings"][0]["n"]["value"])


# --- the time limit ------------------------------------------------------------------------------
def test_runaway_query_is_stopped_within_the_limit(make_app):
    client = make_app(query_timeout=1.5).test_client()
    client.get("/sparql", query_string={"query": "ASK {}"})
    started = time.monotonic()
    r = client.get("/sparql", query_string={"query": RUNAWAY})
    elapsed = time.monotonic() - started
    assert r.status_code == 503 and error_of(r)["code"] == "query-timeout"
    assert 1.4 < elapsed < 1.5 + 1.0
    r = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})  # the pool recovered
    assert r.status_code == 200


def test_cheap_queries_stay_fast_during_a_runaway(live_server):
    url = live_server + "/sparql"
    results = {}

    def runaway():
        started = time.monotonic()
        results["runaway"] = (requests.get(url, params={"query": RUNAWAY}, timeout=30), time.monotonic() - started)

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.2)
    latencies = []
    for _ in range(8):  # both before and after the runaway executor is reniced
        started = time.monotonic()
        r = requests.get(url, params={"query": f"ASK {{ ?c a <{CK}InnovationCluster> }}"}, timeout=10)
        latencies.append(time.monotonic() - started)
        assert r.status_code == 200 and r.json()["boolean"] is True
        time.sleep(0.15)
    thread.join()
    response, elapsed = results["runaway"]
    assert response.status_code == 503 and response.json()["error"]["code"] == "query-timeout"
    assert elapsed < TEST_TIMEOUT + 1.0
    assert max(latencies) < 1.0, latencies


def test_twenty_runaways_at_once_all_get_clear_answers(live_server):
    url = live_server + "/sparql"
    answers = [None] * 20

    def send(i):
        started = time.monotonic()
        try:
            r = requests.post(url, data={"query": RUNAWAY + f" # {i}"}, timeout=60)
            answers[i] = (r.status_code, r.json()["error"]["code"], time.monotonic() - started)
        except Exception as exc:  # a dropped connection would land here
            answers[i] = ("failed", repr(exc), time.monotonic() - started)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(a[0] == 503 and a[1] in ("query-timeout", "server-busy") for a in answers), answers
    assert max(a[2] for a in answers) < TEST_TIMEOUT + 2.0, answers
    r = requests.get(url, params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    assert r.status_code == 200 and r.json()["boolean"] is True


@pytest.mark.embedded_only("the executors' own bound: a remote store has its own")
def test_a_worker_runs_at_most_four_executors_per_cpu_of_its_share_by_default(make_service, monkeypatch):
    """max_concurrent_queries = 0 (the default) bounds a worker's executors by its CPUs (each holds
    memory of its own): eight runaways at once on a one-CPU share get answers, from four executors."""
    import os

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    service = make_service(workers=2, query_timeout=TEST_TIMEOUT)
    assert service.settings.max_concurrent_queries == 0 and service.settings.cpu_share() == 1
    answers, running = [], []

    def send(i):
        try:
            service.answer(RUNAWAY + f" # {i}")
            answers.append("answered")
        except ClusterkgError as exc:
            answers.append(exc.code)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        running.append(service.backend.pool._count)
        time.sleep(0.02)
    assert sorted(set(answers)) <= ["query-timeout", "server-busy"] and len(answers) == 8, answers
    assert max(running) == 4, running
    assert json.loads(service.answer("ASK {}", format="json").body)["boolean"] is True


@pytest.mark.embedded_only("the executors' address-space cap; a remote store has its own memory limits")
def test_executor_out_of_memory_is_a_clear_400(make_app):
    client = make_app(max_executor_memory_mb=400, query_timeout=10).test_client()
    started = time.monotonic()
    r = client.get("/sparql", query_string={
        "query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } ORDER BY ?a"})
    assert r.status_code == 400 and error_of(r)["code"] == "query-aborted"
    assert time.monotonic() - started < 10
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200


# --- sizes -------------------------------------------------------------------------------------------
def test_large_body_gets_a_clean_413(client):
    body = b"query=" + b"x" * (10 * 1024 * 1024)
    r = client.post("/sparql", data=body, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 413 and error_of(r)["code"] == "body-too-large"


@pytest.mark.parametrize("chunked", [False, True])
def test_ten_megabyte_body_on_the_live_server(live_server, chunked):
    payload = b"SELECT * WHERE { ?s ?p ?o } #" + b"x" * (10 * 1024 * 1024)
    data = (payload[i:i + 65536] for i in range(0, len(payload), 65536)) if chunked else payload
    r = requests.post(live_server + "/sparql", data=data, timeout=30,
                      headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413 and error_of(r)["code"] == "body-too-large"
    assert requests.get(live_server + "/sparql", params={"query": "ASK {}"}, timeout=10).status_code == 200


def test_query_length_cap(make_app):
    client = make_app(max_query_length=300).test_client()
    long_query = "SELECT * WHERE { ?s ?p ?o } # " + "x" * 400
    for r in (client.get("/sparql", query_string={"query": long_query}),
              client.post("/sparql", data={"query": long_query}),
              client.post("/sparql", data=long_query.encode(), content_type="application/sparql-query")):
        assert r.status_code == 413 and error_of(r)["code"] == "query-too-long"


def test_overlong_url_is_414_in_the_same_shape(live_server):
    r = requests.get(live_server + "/sparql", params={"query": "ASK {} #" + "x" * 10000}, timeout=10)
    assert r.status_code == 414
    assert r.json()["error"]["code"] == "uri-too-long" and "POST" in r.json()["error"]["message"]


@pytest.mark.parametrize("deep", [
    "SELECT * WHERE " + "{" * 5000 + "}" * 5000,
    "SELECT * WHERE { FILTER(" + "(" * 20000 + "1" + ")" * 20000 + ") }",
    "SELECT * WHERE { ?s ?p " + "[ ?p " * 3000 + "1" + " ]" * 3000 + " }",
])
def test_deep_nesting_is_refused_before_parsing(live_server, deep):
    r = requests.post(live_server + "/sparql", data={"query": deep}, timeout=10)
    assert r.status_code == 400 and error_of(r)["code"] == "query-too-deep"
    assert requests.get(live_server + "/sparql", params={"query": "ASK {}"}, timeout=10).status_code == 200


# --- result caps ---------------------------------------------------------------------------------------
def test_rows_over_the_cap_are_cut_and_said_so(make_app):
    client = make_app(max_result_rows=5).test_client()
    r = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 200 and r.headers["X-Clusterkg-Truncated"] == "rows=5"
    data = json.loads(r.data)
    assert len(data["results"]["bindings"]) == 5
    assert data["clusterkg"]["truncated"] is True and "max_result_rows" in data["clusterkg"]["message"]
    r = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }", "format": "csv"})
    assert r.headers["X-Clusterkg-Truncated"] == "rows=5"
    assert len(list(csv.reader(io.StringIO(r.data.decode(), newline="")))) == 6  # a literal may span lines
    r = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "ntriples"})
    lines = r.data.decode().splitlines()
    assert r.headers["X-Clusterkg-Truncated"] == "rows=5"
    assert lines[0].startswith("# clusterkg: Result truncated") and len(lines) == 6
    r = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"})
    assert "X-Clusterkg-Truncated" not in r.headers and "clusterkg" not in json.loads(r.data)


#: rows whose values hold each results format's row mark (formats.row_bound), so a count of marks
#: overstates the rows: the cap must still cut at exactly the right row
TRICKY = ['"a},{b"', '"line\\none"', '"<result>"', "<urn:x>", '"x\\ty"']


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
@pytest.mark.parametrize("rows", [3, 4])
def test_the_row_cap_is_exact_in_every_results_format(make_app, fmt, rows):
    import pyoxigraph as ox

    client = make_app(max_result_rows=3).test_client()
    values = " ".join(f"({v})" for v in TRICKY[:rows])
    r = client.get("/sparql", query_string={"query": f"SELECT ?v WHERE {{ VALUES (?v) {{ {values} }} }}", "format": fmt})
    assert r.status_code == 200
    assert ("X-Clusterkg-Truncated" in r.headers) == (rows > 3)
    body = r.data
    if fmt == "json":
        got = len(json.loads(body)["results"]["bindings"])
    elif fmt == "csv":
        import csv
        import io
        got = len(list(csv.reader(io.StringIO(body.decode())))) - 1
    else:
        got = len(list(ox.parse_query_results(body, format=getattr(ox.QueryResultsFormat, fmt.upper()))))
    assert got == 3


def test_bytes_over_the_cap_are_cut_at_a_row(make_app):
    client = make_app(max_response_bytes=2000).test_client()
    r = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.headers["X-Clusterkg-Truncated"] == "bytes=2000"
    assert len(r.data) <= 2000
    data = json.loads(r.data)
    assert 0 < len(data["results"]["bindings"]) < 77 and data["clusterkg"]["truncated"] is True
    r = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "turtle"})
    assert r.headers["X-Clusterkg-Truncated"] == "bytes=2000" and len(r.data) <= 2000


@pytest.mark.parametrize("cut", ["bytes", "rows"])
def test_a_cut_body_that_fits_only_without_its_note_is_cut_again(cut):
    """Lines already cut by a cap (captured up to the byte cap, or to the row cap) that fit the byte
    limit alone but not with the truncation note: cut again at a row, so body and note fit."""
    from clusterkg import formats
    from clusterkg.backends.store import lines_answer

    line = b"<https://w3id.org/clusterkg/s> <https://w3id.org/clusterkg/p> \"%s\" .\n"
    text = b"".join(line % str(i).zfill(8).encode() for i in range(24))
    limit = len(text) + 10  # the lines fit; the lines and the note do not
    answer = lines_answer(text, cut, formats.BY_NAME["ntriples"], 0, None, 1000, limit)
    assert answer.truncated and answer.truncation == f"bytes={limit}"
    assert len(answer.body) <= limit
    assert line % b"00000000" in answer.body and line % b"00000023" not in answer.body  # cut at a row
    assert b"# clusterkg: Result truncated" in answer.body


# --- the result cache ------------------------------------------------------------------------------------
def test_result_cache(make_app):
    app = make_app(result_cache_size=4)
    client, backend = app.test_client(), app.extensions["clusterkg"].backend
    asked = []
    original = backend.query
    backend.query = lambda job: asked.append(job) or original(job)  # count what reaches the backend
    q = {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"}
    first = client.get("/sparql", query_string=q)
    second = client.get("/sparql", query_string=q)
    assert first.data == second.data and len(asked) == 1
    client.get("/sparql", query_string={**q, "format": "csv"})
    client.get("/sparql", query_string={**q, "default-graph-uri": "https://w3id.org/clusterkg/graph/data"})
    assert len(asked) == 3


def test_result_cache_is_off_by_default(make_app):
    app = make_app()
    client, backend = app.test_client(), app.extensions["clusterkg"].backend
    asked = []
    original = backend.query
    backend.query = lambda job: asked.append(job) or original(job)
    for _ in range(2):
        client.get("/sparql", query_string={"query": "ASK {}"})
    assert len(asked) == 2


# --- bad input of every kind ---------------------------------------------------------------------------------
BAD = [
    ("get", "/sparql?query=SELECT%ZZ", None, None, 400, "bad-encoding"),
    ("get", "/sparql?query=SELECT%", None, None, 400, "bad-encoding"),
    ("get", "/sparql?query=%FF%FE", None, None, 400, "bad-encoding"),
    ("get", "/sparql?query=%C3%28", None, None, 400, "bad-encoding"),
    ("post", "/sparql", b"query=%E0%80", "application/x-www-form-urlencoded", 400, "bad-encoding"),
    ("post", "/sparql", b"query=%zz", "application/x-www-form-urlencoded", 400, "bad-encoding"),
    ("post", "/sparql", b"SELECT \xff\xfe", "application/sparql-query", 400, "bad-encoding"),
    ("post", "/sparql", b"ASK {}", "application/sparql-query; charset=no-such", 415, "unsupported-media-type"),
    ("post", "/sparql", b"ASK {}", "text/plain", 415, "unsupported-media-type"),
    ("post", "/sparql", b"<x/>", "application/xml", 415, "unsupported-media-type"),
    ("get", "/sparql?query=SELECT+*+WHERE+%7B+%3Fs+%3Fp", None, None, 400, "malformed-query"),
    ("get", "/sparql?query=%00%01%02", None, None, 400, "malformed-query"),
    ("get", "/sparql?query=" + "%7B" * 3000, None, None, 400, "query-too-deep"),
    ("get", "/sparql?query=" + "(" * 3000, None, None, 400, "query-too-deep"),
    ("get", "/sparql?query=SELECT+*+%7B%22unterminated", None, None, 400, "malformed-query"),
    ("get", "/sparql?query=", None, None, 400, "malformed-query"),
    ("post", "/sparql", b"", "application/x-www-form-urlencoded", 400, "missing-query"),
    ("delete", "/sparql", None, None, 405, "method-not-allowed"),
    ("get", "/sparql/../etc/passwd", None, None, 404, "not-found"),
]


@pytest.mark.parametrize("method, path, body, ctype, status, code", BAD)
def test_bad_input_gets_one_documented_error_shape(client, method, path, body, ctype, status, code):
    before = triples(client)
    kwargs = {"data": body, "content_type": ctype} if body is not None else {}
    r = getattr(client, method)(path, **kwargs)
    assert r.status_code == status, r.data
    assert error_of(r)["code"] == code
    assert triples(client) == before


def test_raw_garbage_on_the_socket_leaves_the_server_up(live_server):
    host, port = live_server.removeprefix("http://").split(":")
    for raw in (b"\x00\xff garbage\r\n\r\n", b"GET /sparql?query=%ZZ HTTP/1.1\r\nHost: x\r\n\r\n",
                b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Type: application/sparql-query\r\n\r\n\xff\xfe\xfd\xfc\xfb",
                b"GET /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n"):
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall(raw)
            reply = s.recv(65536)
        assert reply.startswith(b"HTTP/1.1 4"), reply
        assert b"application/json" in reply and b"Traceback" not in reply
    assert requests.get(live_server + "/sparql", params={"query": "ASK {}"}, timeout=10).status_code == 200


# --- read-only, by every channel ----------------------------------------------------------------------------------
UPDATES = ["INSERT DATA { <urn:a> <urn:b> <urn:c> }", "DELETE WHERE { ?s ?p ?o }",
           "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "LOAD <http://example.org/x.ttl>",
           "CLEAR ALL", "DROP DEFAULT", "DROP GRAPH <https://w3id.org/clusterkg/graph/data>",
           "CREATE GRAPH <urn:g>", "ADD DEFAULT TO <urn:g>", "MOVE DEFAULT TO <urn:g>", "COPY DEFAULT TO <urn:g>"]


@pytest.mark.parametrize("update", UPDATES)
def test_every_update_by_every_channel_is_refused(client, update):
    before = triples(client)
    for r in (client.get("/sparql", query_string={"update": update}),
              client.get("/sparql", query_string={"query": update}),
              client.post("/sparql", data={"update": update}),
              client.post("/sparql", data={"query": update}),
              client.post("/sparql", data=update.encode(), content_type="application/sparql-update"),
              client.post("/sparql", data=update.encode(), content_type="application/sparql-query")):
        assert r.status_code == 403, r.data
        assert error_of(r)["code"] == "read-only" and "read-only" in error_of(r)["message"]
    assert triples(client) == before
