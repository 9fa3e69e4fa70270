"""Where a query runs (clusterkg.placement): a new query in an executor; the same query, once
measured quick there, in the worker itself; volatile or slow queries always in an executor."""
from __future__ import annotations

import json

import pytest

from conftest import CK, RUNAWAY
from clusterkg.backends import Job
from clusterkg.backends.placement import CostMemo
from clusterkg.formats import BY_NAME

JSON_FORMAT = BY_NAME["json"]

LABELS = f"SELECT ?s ?label WHERE {{ ?s a <{CK}InnovationCluster> ; <http://www.w3.org/2000/01/rdf-schema#label> ?label }} ORDER BY ?s ?label"
JSON = "application/sparql-results+json"
#: a bound no evaluation of the tiny fixture comes near even on a loaded machine, so these tests
#: pin the placement rules, not the machine's speed (the bound itself is tested on CostMemo below)
GENEROUS_MS = 5000


def ask(client, query, accept=JSON):
    r = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert r.status_code == 200, r.data
    return r


def test_a_repeated_quick_query_runs_in_the_worker_with_the_same_answer(make_app):
    app = make_app(inprocess_max_ms=GENEROUS_MS)
    ep, client = app.extensions["clusterkg"].backend, app.test_client()
    first = ask(client, LABELS)
    assert ep.costs.stats()["in_process"] == 0 and ep.costs.stats()["executed"] == 1
    ep.pool.close()  # no executor left: only the worker's own store can answer now
    second = ask(client, LABELS)
    assert ep.costs.stats()["in_process"] == 1
    assert second.data == first.data and second.headers["Content-Type"] == first.headers["Content-Type"]
    assert json.loads(second.data)["results"]["bindings"], "the fixture has labelled clusters"


def test_the_memo_is_per_format_and_dataset(make_app):
    app = make_app(inprocess_max_ms=GENEROUS_MS)
    ep, client = app.extensions["clusterkg"].backend, app.test_client()
    ask(client, LABELS)
    ask(client, LABELS, "text/csv")               # another format: measured again
    r = client.get("/sparql", query_string={"query": LABELS, "default-graph-uri": "https://w3id.org/clusterkg/graph/data"},
                   headers={"Accept": JSON})      # another dataset: measured again
    assert r.status_code == 200
    assert ep.costs.stats() == {"known_cheap": 3, "in_process": 0, "executed": 3}


@pytest.mark.parametrize("volatile", ["SELECT (RAND() AS ?r) WHERE {}", "SELECT ?s WHERE { ?s ?p ?o FILTER(NOW() > ?o) } LIMIT 1",
                                      "SELECT (struuid () AS ?u) {}", "SELECT (\\u0052AND() AS ?r) {}"])
def test_volatile_queries_always_use_an_executor(make_app, volatile):
    app = make_app(inprocess_max_ms=GENEROUS_MS)
    ep, client = app.extensions["clusterkg"].backend, app.test_client()
    for _ in range(3):
        client.get("/sparql", query_string={"query": volatile})
    assert ep.costs.stats()["in_process"] == 0 and ep.costs.stats()["known_cheap"] == 0


@pytest.mark.parametrize("bound_ms", [0, 1e-6])
def test_off_or_too_slow_means_always_an_executor(make_app, bound_ms):
    app = make_app(inprocess_max_ms=bound_ms)
    ep, client = app.extensions["clusterkg"].backend, app.test_client()
    for _ in range(3):
        ask(client, LABELS)
    assert ep.costs.stats()["in_process"] == 0 and ep.costs.stats()["known_cheap"] == 0


def test_a_query_stopped_at_the_limit_is_never_trusted(make_app):
    # a bound far above the time limit: only the rule (a stopped query reports no cost) keeps it out
    app = make_app(query_timeout=1.0, inprocess_max_ms=1e9)
    ep, client = app.extensions["clusterkg"].backend, app.test_client()
    assert client.get("/sparql", query_string={"query": RUNAWAY}).status_code == 503
    assert ep.costs.stats()["known_cheap"] == 0 and ep.costs.stats()["in_process"] == 0


def test_failed_queries_are_not_remembered(make_app):
    app = make_app(inprocess_max_ms=GENEROUS_MS)
    ep, client = app.extensions["clusterkg"].backend, app.test_client()
    for _ in range(2):
        assert client.get("/sparql", query_string={"query": "SELECT (1/0 AS ?x) WHERE { FILTER(" }).status_code == 400
    assert ep.costs.stats()["known_cheap"] == 0


def test_memo_is_bounded():
    memo = CostMemo(25.0, size=3)
    keys = [CostMemo.key(Job(f"ASK {{ <urn:{i}> ?p ?o }}", JSON_FORMAT), "v") for i in range(5)]
    for i, key in enumerate(keys):
        memo.record(key, f"ASK {{ <urn:{i}> ?p ?o }}", 0.001)
    assert memo.stats()["known_cheap"] == 3
    assert not memo.take_slot(keys[0])
    assert memo.take_slot(keys[4])
    memo.release_slot()
    memo.record(keys[0], "ASK {}", 0.026)  # over 25 ms
    assert not memo.take_slot(keys[0])


def test_in_worker_evaluations_are_bounded_by_slots():
    memo = CostMemo(25.0, slots=1)
    key = CostMemo.key(Job("ASK {}", JSON_FORMAT), "v")
    memo.record(key, "ASK {}", 0.001)
    assert memo.take_slot(key)
    assert not memo.take_slot(key)   # the one slot is held: this one takes an executor
    memo.release_slot()
    assert memo.take_slot(key)
    memo.release_slot()
    assert memo.stats() == {"known_cheap": 1, "in_process": 2, "executed": 1}
