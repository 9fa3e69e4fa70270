"""The live gunicorn server, spoken to by the clients researchers use: SPARQLWrapper and rdflib's
SPARQLStore (correct SELECT, ASK and CONSTRUCT results), plus updates, SERVICE and time limits
over real HTTP."""
from __future__ import annotations

import time
import urllib.error

import pytest
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

from conftest import count_of, CK, GRAPHS, RUNAWAY, TEST_TIMEOUT

CLUSTER = "https://w3id.org/clusterkg/id/cluster/"
LABELS = f"""SELECT ?c ?label WHERE {{ ?c a <{CK}InnovationCluster> ;
    <http://www.w3.org/2000/01/rdf-schema#label> ?label FILTER(lang(?label) = "en") }} ORDER BY ?c"""
EXPECTED = [(CLUSTER + "changwon", "Changwon"), (CLUSTER + "gumi", "Gumi"), (CLUSTER + "ulsan", "Ulsan")]


def wrapper(live_server, query, fmt=JSON, method="GET"):
    sparql = SPARQLWrapper(live_server + "/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    sparql.setMethod(method)
    return sparql.query()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select_json(live_server, method):
    result = wrapper(live_server, LABELS, JSON, method).convert()
    assert [(b["c"]["value"], b["label"]["value"]) for b in result["results"]["bindings"]] == EXPECTED
    assert result["results"]["bindings"][0]["label"]["xml:lang"] == "en"


def test_sparqlwrapper_select_xml_and_csv(live_server):
    doc = wrapper(live_server, LABELS, XML).convert()
    uris = [n.firstChild.data for n in doc.getElementsByTagName("uri")]
    assert uris == [c for c, _ in EXPECTED]
    csv_text = wrapper(live_server, LABELS, CSV).convert().decode()
    assert csv_text.splitlines()[1] == f"{CLUSTER}changwon,Changwon"


def test_sparqlwrapper_ask(live_server):
    assert wrapper(live_server, f"ASK {{ <{CLUSTER}gumi> a <{CK}InnovationCluster> }}").convert()["boolean"] is True
    assert wrapper(live_server, f"ASK {{ <{CLUSTER}gumi> a <{CK}Outcome> }}").convert()["boolean"] is False


@pytest.mark.parametrize("fmt", [TURTLE, XML])
def test_sparqlwrapper_construct(live_server, fmt):
    query = f"CONSTRUCT {{ ?c <{CK}label> ?l }} WHERE {{ ?c a <{CK}InnovationCluster> ; " \
            f"<http://www.w3.org/2000/01/rdf-schema#label> ?l }}"
    result = wrapper(live_server, query, fmt).convert()
    graph = result if isinstance(result, Graph) else Graph().parse(data=result, format="turtle")
    assert len(graph) == 6
    assert (URIRef(CLUSTER + "ulsan"), URIRef(CK + "label"), Literal("울산", lang="ko")) in graph


def test_sparqlwrapper_update_is_refused(live_server):
    sparql = SPARQLWrapper(live_server + "/sparql")
    sparql.setMethod("POST")
    sparql.setQuery("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    with pytest.raises(urllib.error.HTTPError) as info:
        sparql.query()
    assert info.value.code == 403


def test_rdflib_sparqlstore(live_server):
    graph = Graph(store=SPARQLStore(live_server + "/sparql"))
    rows = [(str(r.c), str(r.label)) for r in graph.query(LABELS)]
    assert rows == EXPECTED
    assert graph.query(f"ASK {{ <{CLUSTER}changwon> <{CK}locatedIn> ?p }}").askAnswer is True
    constructed = graph.query(f"CONSTRUCT {{ ?c <{CK}locatedIn> ?p }} WHERE {{ ?c <{CK}locatedIn> ?p }}").graph
    assert len(constructed) == 3
    assert (URIRef(CLUSTER + "gumi"), URIRef(CK + "locatedIn"),
            URIRef("https://w3id.org/clusterkg/id/place/gumi")) in constructed


def test_rdflib_sparqlstore_named_graph(live_server):
    store = SPARQLStore(live_server + "/sparql")
    links = Graph(store=store, identifier=URIRef(GRAPHS["links"]))
    places = {str(o) for o in links.objects(None, URIRef(CK + "locatedIn"))}
    assert places == {f"https://w3id.org/clusterkg/id/place/{n}" for n in ("changwon", "gumi", "ulsan")}


def count(live_server) -> int:
    r = requests.get(live_server + "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
                     timeout=10)
    return count_of(r.content)


def test_updates_over_http_change_nothing(live_server):
    before = count(live_server)
    url = live_server + "/sparql"
    for update in ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "DROP ALL", "CLEAR DEFAULT",
                   "DELETE WHERE { ?s ?p ?o }", "LOAD <http://example.org/x>"):
        for r in (requests.post(url, data={"update": update}, timeout=10),
                  requests.post(url, data=update, headers={"Content-Type": "application/sparql-update"}, timeout=10),
                  requests.get(url, params={"query": update}, timeout=10),
                  requests.get(url, params={"update": update}, timeout=10)):
            assert r.status_code == 403 and r.json()["error"]["code"] == "read-only"
    assert count(live_server) == before


def test_live_server_never_contacts_the_canary(live_server, canary):
    url = live_server + "/sparql"
    for query in (f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}",
                  f"select * where {{ service silent <{canary.url}> {{ ?s ?p ?o }} }}",
                  f"SELECT * WHERE {{ SERVICE\n# comment\nSILENT\n<{canary.url}>\n{{ ?s ?p ?o }} }}",
                  f"SELECT * WHERE {{ {{ OPTIONAL {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }} }} }}"):
        assert requests.post(url, data={"query": query}, timeout=10).status_code == 403
    for params in ({"query": f"SELECT * FROM <{canary.url}x> WHERE {{ ?s ?p ?o }}"},
                   {"query": f"SELECT * FROM NAMED <{canary.url}x> WHERE {{ ?s ?p ?o }}"},
                   {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": canary.url}):
        assert requests.get(url, params=params, timeout=10).status_code == 400
    assert requests.get(url, params={"query": f"ASK {{ GRAPH <{canary.url}> {{ ?s ?p ?o }} }}"},
                        timeout=10).json()["boolean"] is False
    assert requests.post(url, data={"update": f"LOAD <{canary.url}x.ttl>"}, timeout=10).status_code == 403
    canary.assert_untouched()


def test_live_time_limit(live_server):
    started = time.monotonic()
    r = requests.get(live_server + "/sparql", params={"query": RUNAWAY}, timeout=30)
    assert r.status_code == 503 and r.json()["error"]["code"] == "query-timeout"
    assert time.monotonic() - started < TEST_TIMEOUT + 1.0


def test_service_description_and_graph_store_over_http(live_server):
    r = requests.get(live_server + "/sparql", headers={"Accept": "text/turtle"}, timeout=10)
    assert r.status_code == 200 and f"<{live_server}/sparql> a sd:Service" in r.text
    r = requests.get(live_server + "/rdf-graph-store", params={"graph": GRAPHS["data"]},
                     headers={"Accept": "application/n-triples"}, timeout=10)
    assert r.status_code == 200 and len(Graph().parse(data=r.text, format="nt")) > 0
    r = requests.options(live_server + "/sparql", headers={"Origin": "https://example.org",
                                                           "Access-Control-Request-Method": "POST"}, timeout=10)
    assert r.status_code in (200, 204) and r.headers["Access-Control-Allow-Origin"] == "*"
