"""SPARQL 1.1 Graph Store HTTP Protocol, read access, at /rdf-graph-store."""
from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from conftest import GRAPHS, error_of

pytestmark = pytest.mark.backends  # the same tests on every backend (conftest.BACKENDS)


def sparql_count(client, where: str) -> int:
    r = client.get("/sparql", query_string={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"})
    return int(json.loads(r.data)["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_get_each_named_graph(client, name):
    r = client.get("/rdf-graph-store", query_string={"graph": GRAPHS[name]})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/turtle")
    triples = list(ox.parse(r.data, format=ox.RdfFormat.TURTLE))
    assert len(triples) == sparql_count(client, f"GRAPH <{GRAPHS[name]}> {{ ?s ?p ?o }}") > 0


def test_get_default_graph_is_the_union(client):
    r = client.get("/rdf-graph-store?default", headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/n-triples"
    assert len(set(ox.parse(r.data, format=ox.RdfFormat.N_TRIPLES))) == sparql_count(client, "?s ?p ?o")


@pytest.mark.parametrize("media, oxformat", [
    ("application/n-triples", ox.RdfFormat.N_TRIPLES), ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("application/ld+json", ox.RdfFormat.JSON_LD), ("application/trig", ox.RdfFormat.TRIG),
    ("application/n-quads", ox.RdfFormat.N_QUADS)])
def test_negotiated_formats(client, media, oxformat):
    r = client.get("/rdf-graph-store", query_string={"graph": GRAPHS["links"]}, headers={"Accept": media})
    assert r.status_code == 200 and r.headers["Content-Type"].split(";")[0] == media
    quads = list(ox.parse(r.data, format=oxformat))
    assert len(quads) == sparql_count(client, f"GRAPH <{GRAPHS['links']}> {{ ?s ?p ?o }}")
    if oxformat in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):  # quad formats keep the graph's name
        assert {q.graph_name for q in quads} == {ox.NamedNode(GRAPHS["links"])}


def test_format_parameter_and_406(client):
    r = client.get("/rdf-graph-store", query_string={"graph": GRAPHS["data"], "format": "jsonld"})
    assert r.headers["Content-Type"] == "application/ld+json"
    r = client.get("/rdf-graph-store", query_string={"graph": GRAPHS["data"]}, headers={"Accept": "text/csv"})
    assert r.status_code == 406 and error_of(r)["code"] == "not-acceptable"


def test_unknown_graph_is_404(client):
    r = client.get("/rdf-graph-store", query_string={"graph": "http://example.org/nope"})
    assert r.status_code == 404 and error_of(r)["code"] == "graph-not-found"


def test_graph_or_default_is_required_and_exclusive(client):
    assert error_of(client.get("/rdf-graph-store"))["status"] == 400
    r = client.get("/rdf-graph-store", query_string={"graph": GRAPHS["data"], "default": ""})
    assert r.status_code == 400


def test_head(client):
    get = client.get("/rdf-graph-store", query_string={"graph": GRAPHS["data"]})
    head = client.head("/rdf-graph-store", query_string={"graph": GRAPHS["data"]})
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    assert client.head("/rdf-graph-store", query_string={"graph": "http://example.org/nope"}).status_code == 404


@pytest.mark.parametrize("method", ["put", "post", "delete", "patch"])
def test_writes_are_refused_and_change_nothing(client, method):
    before = sparql_count(client, "GRAPH ?g { ?s ?p ?o }")
    r = getattr(client, method)("/rdf-graph-store", query_string={"graph": GRAPHS["data"]},
                                data=b"<urn:a> <urn:b> <urn:c> .", content_type="text/turtle")
    assert r.status_code == 403 and error_of(r)["code"] == "read-only"
    assert sparql_count(client, "GRAPH ?g { ?s ?p ?o }") == before
