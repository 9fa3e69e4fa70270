"""The in-process API the CLI uses (``clusterkg query``): LocalStore.from_prepared(...).query(...)."""
from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest

from clusterkg import dataset, formats
from clusterkg.errors import ClusterkgError
from clusterkg.settings import Settings
from clusterkg.store import Answer, LocalStore
from conftest import CK, GRAPHS

SELECT = f"SELECT ?c WHERE {{ ?c a <{CK}InnovationCluster> }} ORDER BY ?c"
CONSTRUCT = f"CONSTRUCT {{ ?c a <{CK}InnovationCluster> }} WHERE {{ ?c a <{CK}InnovationCluster> }}"


@pytest.fixture(scope="module")
def prepared(endpoint_settings):
    return dataset.prepare(Settings.load(**endpoint_settings))


@pytest.fixture(scope="module")
def store(prepared):
    return LocalStore.from_prepared(prepared)


def test_every_cli_format_name(store):
    assert set(formats.CLI_NAMES) == {"json", "xml", "csv", "tsv", "turtle", "ntriples", "nquads", "trig",
                                      "jsonld", "rdfxml"}
    media = {}
    for name in ("json", "xml", "csv", "tsv"):
        answer = store.query(SELECT, name)
        assert isinstance(answer, Answer) and answer.truncated is False and answer.body
        media[name] = answer.media_type
    assert media["json"] == "application/sparql-results+json" and media["csv"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(store.query(SELECT, "csv").body.decode())))
    assert len(rows) == 4
    for name in ("turtle", "ntriples", "nquads", "trig", "jsonld", "rdfxml"):
        answer = store.query(CONSTRUCT, name)
        fmt = formats.by_name(name, formats.GRAPH)
        assert answer.media_type == fmt.media_type
        assert len(list(ox.parse(answer.body, format=fmt.ox))) == 3


def test_defaults_and_cross_kind_names(store):
    assert store.query(SELECT).media_type == "application/sparql-results+json"
    assert store.query(CONSTRUCT).media_type.startswith("text/turtle")
    assert store.query(CONSTRUCT, "json").media_type == "application/ld+json"
    assert store.query(CONSTRUCT, "xml").media_type == "application/rdf+xml"
    with pytest.raises(ClusterkgError) as info:
        store.query(SELECT, "turtle")
    assert info.value.status == 400 and info.value.code == "unknown-format"


def test_dataset_arguments(store):
    def count(**kw):
        body = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "json", **kw).body
        return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])

    everything = count()
    data = count(default_graph_uris=[GRAPHS["data"]])
    links = count(default_graph_uris=[GRAPHS["links"]])
    assert 0 < data < everything and 0 < links < everything
    assert count(default_graph_uris=[GRAPHS["data"], GRAPHS["links"]]) == data + links
    assert count(named_graph_uris=[GRAPHS["data"]]) == 0
    with pytest.raises(ClusterkgError):
        count(default_graph_uris=["http://example.org/elsewhere"])


@pytest.mark.parametrize("query, code", [
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "service-refused"),
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "read-only"),
    ("LOAD <http://127.0.0.1:9/x.ttl>", "read-only"),
    ("SELECT * WHERE { ?s ?p }", "malformed-query"),
    ("SELECT * WHERE " + "{" * 1000 + "}" * 1000, "query-too-deep"),
])
def test_same_guard_as_the_server(store, query, code):
    with pytest.raises(ClusterkgError) as info:
        store.query(query)
    assert info.value.code == code


def test_no_caps_without_settings_and_caps_with_them(prepared, store):
    assert store.query("SELECT * WHERE { ?s ?p ?o }", "tsv").truncated is False
    capped = LocalStore.from_prepared(prepared, Settings.load(max_result_rows=3))
    answer = capped.query("SELECT * WHERE { ?s ?p ?o }", "tsv")
    assert answer.truncated is True and answer.truncation == "rows=3"
    assert len(answer.body.decode().splitlines()) == 4
