"""Cases of the W3C SPARQL 1.1 Protocol tests that a black-box run found missing, each pinned."""
from __future__ import annotations

import json

import pyoxigraph as ox

from conftest import error_of


def test_relative_iris_resolve_against_the_base(client):
    """query_content_type_construct: a relative IRI in a query is not an error."""
    r = client.post("/sparql", data="CONSTRUCT { <s> <p> 1 } WHERE {}",
                    content_type="application/sparql-query", headers={"Accept": "application/n-triples"})
    assert r.status_code == 200
    triples = list(ox.parse(r.data, format=ox.RdfFormat.N_TRIPLES))
    assert [(t.subject.value, t.predicate.value, t.object.value) for t in triples] == [
        ("https://w3id.org/clusterkg/s", "https://w3id.org/clusterkg/p", "1")]


def test_a_base_in_the_query_wins(client):
    r = client.get("/sparql", query_string={"query": "BASE <http://example.org/a/> SELECT ?x WHERE { BIND(<y> AS ?x) }"})
    assert json.loads(r.data)["results"]["bindings"][0]["x"]["value"] == "http://example.org/a/y"


def test_a_query_body_must_be_utf8(client):
    text = "ASK { ?s ?p ?o }"
    r = client.post("/sparql", data=text.encode("utf-16"), content_type="application/sparql-query; charset=UTF-16")
    assert r.status_code == 415 and error_of(r)["code"] == "unsupported-media-type"
    r = client.post("/sparql", data=text.encode("utf-8"), content_type="application/sparql-query; charset=utf-8")
    assert r.status_code == 200


def test_query_and_update_together_is_malformed(client):
    for r in (client.get("/sparql", query_string={"query": "ASK {}", "update": "CLEAR ALL"}),
              client.post("/sparql", data={"query": "ASK {}", "update": "CLEAR ALL"})):
        assert r.status_code == 400 and error_of(r)["code"] == "bad-request"


def test_a_language_tag_is_not_a_keyword(client):
    for tag in ("add", "insert", "en-delete", "load"):
        r = client.get("/sparql", query_string={"query": f'ASK {{ ?s ?p "x"@{tag} }}'})
        assert r.status_code == 200, (tag, r.data)
        assert json.loads(r.data)["boolean"] is False
    r = client.get("/sparql", query_string={"query": 'ASK { ?s ?p "x"@en } ADD DEFAULT TO DEFAULT'})
    assert r.status_code == 403 and error_of(r)["code"] == "read-only"


def test_a_browser_gets_errors_as_a_page(client):
    r = client.get("/sparql", query_string={"query": "SELECT * WHERE {"},
                   headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 400 and r.mimetype == "text/html"
    assert b"malformed-query" in r.data and b"Traceback" not in r.data


def test_a_browser_at_the_endpoint_is_sent_to_the_query_page(client):
    r = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/query")
    # a data client still gets the service description
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.mimetype == "text/turtle"
