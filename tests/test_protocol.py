"""SPARQL 1.1 Protocol behaviour of /sparql, through Flask's test client on a fresh app."""
from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest

from conftest import count_of, CK, GRAPHS, error_of

pytestmark = pytest.mark.backends  # the same protocol tests on every backend (conftest.BACKENDS)

CLUSTERS = f"SELECT ?c WHERE {{ ?c a <{CK}InnovationCluster> }} ORDER BY ?c"
CLUSTER_IRIS = [f"https://w3id.org/clusterkg/id/cluster/{n}" for n in ("changwon", "gumi", "ulsan")]
SRX = "{http://www.w3.org/2005/sparql-results#}"


def bindings(response, var="c"):
    return [b[var]["value"] for b in json.loads(response.data)["results"]["bindings"]]


# --- the three ways to send a query ---------------------------------------------------------------
def test_get_select_defaults_to_sparql_json(client):
    r = client.get("/sparql", query_string={"query": CLUSTERS})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/sparql-results+json"
    assert bindings(r) == CLUSTER_IRIS
    assert r.headers["Vary"] == "Accept"


def test_post_form(client):
    r = client.post("/sparql", data={"query": CLUSTERS})
    assert r.status_code == 200 and bindings(r) == CLUSTER_IRIS


def test_post_sparql_query_body(client):
    r = client.post("/sparql", data=CLUSTERS.encode(), content_type="application/sparql-query")
    assert r.status_code == 200 and bindings(r) == CLUSTER_IRIS


def test_post_sparql_query_with_charset_and_korean(client):
    q = 'SELECT ?c WHERE { ?c <http://www.w3.org/2000/01/rdf-schema#label> "구미"@ko }'
    r = client.post("/sparql", data=q.encode("utf-8"), content_type="application/sparql-query; charset=UTF-8")
    assert bindings(r) == [CLUSTER_IRIS[1]]


def test_form_with_dataset_parameters_in_the_url(client):
    r = client.post("/sparql?default-graph-uri=" + GRAPHS["links"],
                    data={"query": f"ASK {{ ?c a <{CK}InnovationCluster> }}"})
    assert json.loads(r.data)["boolean"] is False


# --- result formats ---------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["accept", "format"])
def test_select_in_every_results_format(client, how):
    def get(accept, name):
        if how == "accept":
            return client.get("/sparql", query_string={"query": CLUSTERS}, headers={"Accept": accept})
        return client.get("/sparql", query_string={"query": CLUSTERS, "format": name})

    r = get("application/sparql-results+xml", "xml")
    assert r.headers["Content-Type"] == "application/sparql-results+xml"
    assert [u.text for u in ET.fromstring(r.data).iter(SRX + "uri")] == CLUSTER_IRIS
    r = get("text/csv", "csv")
    assert r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.data.decode())))
    assert rows == [["c"]] + [[c] for c in CLUSTER_IRIS]
    r = get("text/tab-separated-values", "tsv")
    assert r.headers["Content-Type"].startswith("text/tab-separated-values")
    assert r.data.decode().splitlines() == ["?c"] + [f"<{c}>" for c in CLUSTER_IRIS]
    r = get("application/sparql-results+json", "json")
    assert bindings(r) == CLUSTER_IRIS


def test_csv_quotes_commas_quotes_and_newlines(client):
    q = f'SELECT ?s WHERE {{ <https://w3id.org/clusterkg/id/outcome/gumi-1> <{CK}statementKo> ?s }}'
    r = client.get("/sparql", query_string={"query": q, "format": "csv"})
    rows = list(csv.reader(io.StringIO(r.data.decode(), newline="")))
    assert rows[1] == ['지식재산권 "출원" 증가,\n특허 등록']


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_ask(client, fmt):
    yes = client.get("/sparql", query_string={"query": f"ASK {{ ?c a <{CK}InnovationCluster> }}", "format": fmt})
    no = client.get("/sparql", query_string={"query": "ASK { <urn:x> <urn:y> <urn:z> }", "format": fmt})
    if fmt == "json":
        assert json.loads(yes.data)["boolean"] is True and json.loads(no.data)["boolean"] is False
    else:
        assert ET.fromstring(yes.data).find(SRX + "boolean").text == "true"
        assert ET.fromstring(no.data).find(SRX + "boolean").text == "false"


GRAPH_FORMATS = [
    ("text/turtle", "turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", "ntriples", ox.RdfFormat.N_TRIPLES),
    ("application/rdf+xml", "rdfxml", ox.RdfFormat.RDF_XML),
    ("application/ld+json", "jsonld", ox.RdfFormat.JSON_LD),
    ("application/trig", "trig", ox.RdfFormat.TRIG),
    ("application/n-quads", "nquads", ox.RdfFormat.N_QUADS),
]


@pytest.mark.parametrize("media, name, oxformat", GRAPH_FORMATS)
def test_construct_in_every_rdf_format(client, media, name, oxformat):
    q = f"CONSTRUCT {{ ?c a <{CK}InnovationCluster> }} WHERE {{ ?c a <{CK}InnovationCluster> }}"
    for r in (client.get("/sparql", query_string={"query": q}, headers={"Accept": media}),
              client.get("/sparql", query_string={"query": q, "format": name})):
        assert r.status_code == 200
        assert r.headers["Content-Type"].split(";")[0] == media
        quads = list(ox.parse(r.data, format=oxformat))
        assert sorted(q.subject.value for q in quads) == CLUSTER_IRIS


def test_construct_defaults_to_turtle_and_describe_works(client):
    r = client.get("/sparql", query_string={"query": f"DESCRIBE <{CLUSTER_IRIS[0]}>"})
    assert r.headers["Content-Type"].startswith("text/turtle")
    triples = list(ox.parse(r.data, format=ox.RdfFormat.TURTLE))
    assert any(t.object == ox.Literal("Changwon", language="en") for t in triples)


def test_format_json_means_jsonld_for_graphs(client):
    r = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2", "format": "json"})
    assert r.headers["Content-Type"] == "application/ld+json"


# --- content negotiation -----------------------------------------------------------------------------
@pytest.mark.parametrize("accept, expected", [
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ("application/sparql-results+xml;q=0.1, text/tab-separated-values", "text/tab-separated-values"),
    ("*/*", "application/sparql-results+json"),
    ("text/*", "text/csv"),
    ("application/json", "application/sparql-results+json"),
    ("image/png, */*;q=0.1", "application/sparql-results+json"),
    ("application/sparql-results+json;q=0, */*", "application/sparql-results+xml"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/sparql-results+xml"),
])
def test_accept_q_values(client, accept, expected):
    r = client.get("/sparql", query_string={"query": CLUSTERS}, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0] == expected


def test_format_parameter_wins_over_accept(client):
    r = client.get("/sparql", query_string={"query": CLUSTERS, "format": "json"},
                   headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert r.headers["Content-Type"] == "application/sparql-results+json"


def test_406_when_nothing_acceptable(client):
    r = client.get("/sparql", query_string={"query": CLUSTERS}, headers={"Accept": "image/png"})
    assert r.status_code == 406
    err = error_of(r)
    assert err["code"] == "not-acceptable" and "application/sparql-results+json" in err["message"]
    r = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "text/csv"})
    assert r.status_code == 406


@pytest.mark.parametrize("query, fmt", [(CLUSTERS, "bogus"), (CLUSTERS, "turtle"), ("CONSTRUCT WHERE {?s ?p ?o}", "csv")])
def test_unusable_format_parameter_is_400(client, query, fmt):
    r = client.get("/sparql", query_string={"query": query, "format": fmt})
    assert r.status_code == 400 and error_of(r)["code"] == "unknown-format"


# --- errors ------------------------------------------------------------------------------------------
def test_malformed_query_gets_the_parsers_message(client):
    r = client.get("/sparql", query_string={"query": "SELECT ?x WHERE { ?x ?y }"})
    assert r.status_code == 400
    err = error_of(r)
    assert err["code"] == "malformed-query" and "1:" in err["message"]


def test_wrong_post_content_type_is_415(client):
    for ctype in ("text/plain", "application/json", None):
        r = client.post("/sparql", data=b"SELECT * {}", content_type=ctype)
        assert r.status_code == 415 and error_of(r)["code"] == "unsupported-media-type"


def test_missing_or_repeated_query(client):
    r = client.post("/sparql", data={"format": "json"})
    assert r.status_code == 400 and error_of(r)["code"] == "missing-query"
    r = client.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D")
    assert r.status_code == 400 and error_of(r)["code"] == "bad-request"
    r = client.post("/sparql?query=ASK%7B%7D", data=b"ASK {}", content_type="application/sparql-query")
    assert r.status_code == 400


def test_unknown_path_and_method(client):
    r = client.get("/nowhere")
    assert r.status_code == 404 and error_of(r)["code"] == "not-found"
    r = client.put("/sparql", data=b"x")
    assert r.status_code == 405 and error_of(r)["code"] == "method-not-allowed"
    assert "GET" in r.headers["Allow"] and "POST" in r.headers["Allow"]


# --- dataset -----------------------------------------------------------------------------------------
def count(client, query, **params):
    r = client.get("/sparql", query_string={"query": query, **params})
    assert r.status_code == 200, r.data
    return count_of(r.data)


def test_default_graph_is_the_union_of_the_named_graphs(client):
    per_graph = {g: count(client, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")
                 for g in GRAPHS.values()}
    assert all(per_graph.values())
    union = count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    distinct = count(client, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")
    assert union == distinct
    # an inferred triple is visible in the default graph
    assert count(client, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?o a <http://www.w3.org/ns/prov#Entity> }}") == 2


def test_default_graph_uri_and_named_graph_uri(client):
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    data = count(client, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPHS['data']}> {{ ?s ?p ?o }} }}")
    assert count(client, q, **{"default-graph-uri": GRAPHS["data"]}) == data
    r = client.get("/sparql", query_string={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                                            "named-graph-uri": GRAPHS["links"]})
    assert bindings(r, "g") == [GRAPHS["links"]]
    # only named graphs given: the default graph is empty (SPARQL 1.1 Query, 13.2)
    assert count(client, q, **{"named-graph-uri": GRAPHS["links"]}) == 0


def test_from_and_from_named_in_the_query(client):
    data = count(client, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPHS['data']}> {{ ?s ?p ?o }} }}")
    assert count(client, f"SELECT (COUNT(*) AS ?n) FROM <{GRAPHS['data']}> WHERE {{ ?s ?p ?o }}") == data
    assert count(client, f"PREFIX g: <{BASE_GRAPH}> SELECT (COUNT(*) AS ?n) FROM g:data WHERE {{ ?s ?p ?o }}") == data
    r = client.get("/sparql", query_string={
        "query": f"SELECT DISTINCT ?g FROM NAMED <{GRAPHS['links']}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"})
    assert bindings(r, "g") == [GRAPHS["links"]]


BASE_GRAPH = "https://w3id.org/clusterkg/graph/"


@pytest.mark.parametrize("params", [
    {"query": "SELECT * FROM <http://example.org/elsewhere> WHERE { ?s ?p ?o }"},
    {"query": "SELECT * FROM NAMED <http://example.org/elsewhere> WHERE { ?s ?p ?o }"},
    {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "http://example.org/elsewhere"},
    {"query": "SELECT * WHERE { ?s ?p ?o }", "named-graph-uri": "http://example.org/elsewhere"},
])
def test_unknown_graphs_are_a_clear_400(client, params):
    r = client.get("/sparql", query_string=params)
    assert r.status_code == 400
    err = error_of(r)
    assert err["code"] == "unknown-graph" and GRAPHS["data"] in err["message"]


# --- service description, HEAD, CORS ------------------------------------------------------------------
SD = "http://www.w3.org/ns/sparql-service-description#"


def test_service_description(client):
    r = client.get("/sparql")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/turtle")
    store = ox.Store()
    store.load(r.data, format=ox.RdfFormat.TURTLE)

    def ask(q):
        return bool(store.query(f"PREFIX sd: <{SD}> ASK {{ {q} }}"))

    assert ask("?s a sd:Service ; sd:endpoint <http://localhost/sparql> ; sd:supportedLanguage sd:SPARQL11Query")
    assert ask("?s sd:feature sd:UnionDefaultGraph")
    assert ask("?s sd:resultFormat <http://www.w3.org/ns/formats/SPARQL_Results_JSON>, "
               "<http://www.w3.org/ns/formats/Turtle>, <http://www.w3.org/ns/formats/SPARQL_Results_CSV>")
    for graph in GRAPHS.values():
        assert ask(f"?s sd:defaultDataset [ sd:namedGraph [ sd:name <{graph}> ; sd:graph [ "
                   f"<http://rdfs.org/ns/void#triples> ?n ] ] ] FILTER(?n > 0)")
    assert ask("?s sd:defaultDataset [ sd:defaultGraph [ <http://rdfs.org/ns/void#triples> ?n ] ]")
    assert ask('?s <http://purl.org/dc/terms/description> ?d FILTER(CONTAINS(?d, "read-only"))')


@pytest.mark.parametrize("media, oxformat", [("application/ld+json", ox.RdfFormat.JSON_LD),
                                             ("application/n-triples", ox.RdfFormat.N_TRIPLES),
                                             ("application/rdf+xml", ox.RdfFormat.RDF_XML)])
def test_service_description_is_negotiable(client, media, oxformat):
    r = client.get("/sparql", headers={"Accept": media})
    assert r.headers["Content-Type"].split(";")[0] == media
    assert any(q.object == ox.NamedNode(SD + "Service") for q in ox.parse(r.data, format=oxformat))
    assert client.get("/sparql", headers={"Accept": "text/csv"}).status_code == 406


def test_head(client):
    get = client.get("/sparql", query_string={"query": CLUSTERS})
    head = client.head("/sparql", query_string={"query": CLUSTERS})
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    sd = client.head("/sparql")
    assert sd.status_code == 200 and sd.headers["Content-Type"].startswith("text/turtle") and sd.data == b""


def test_cors_on_get_post_errors_and_preflight(client):
    origin = {"Origin": "https://example.org"}
    assert client.get("/sparql", query_string={"query": CLUSTERS}, headers=origin) \
        .headers["Access-Control-Allow-Origin"] == "*"
    assert client.post("/sparql", data={"query": CLUSTERS}, headers=origin) \
        .headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/sparql", query_string={"query": "nonsense"}, headers=origin) \
        .headers["Access-Control-Allow-Origin"] == "*"
    r = client.options("/sparql", headers={**origin, "Access-Control-Request-Method": "POST",
                                           "Access-Control-Request-Headers": "content-type, accept"})
    assert r.status_code in (200, 204)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "content-type" in r.headers["Access-Control-Allow-Headers"].lower()
    assert "X-Clusterkg-Truncated" in client.get("/sparql").headers["Access-Control-Expose-Headers"]
