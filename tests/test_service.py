"""The one service call (``Service.answer``) that /sparql, the graph store, the CLI and the pages use."""
from __future__ import annotations

import csv
import io

import pyoxigraph as ox
import pytest

from clusterkg import formats
from clusterkg.backends import Answer
from clusterkg.backends.store import ox_format
from clusterkg.errors import ClusterkgError
from clusterkg.namespaces import PREFIXES
from conftest import BASE, CK, GRAPHS, count_of

pytestmark = pytest.mark.backends  # the same tests on every backend (conftest.BACKENDS)

SELECT = f"SELECT ?c WHERE {{ ?c a <{CK}InnovationCluster> }} ORDER BY ?c"
CONSTRUCT = f"CONSTRUCT {{ ?c a <{CK}InnovationCluster> }} WHERE {{ ?c a <{CK}InnovationCluster> }}"


@pytest.fixture
def service(make_service):
    """The service over this test's backend (conftest: parametrised over every backend)."""
    return make_service()


def test_every_format_of_the_registry(service):
    for fmt in formats.BY_KIND[formats.RESULTS]:
        answer = service.answer(SELECT, format=fmt.name)
        assert isinstance(answer, Answer) and answer.truncated is False
        assert answer.media_type == fmt.media_type
        if fmt.name == "csv":  # pyoxigraph reads every results format but CSV
            assert len(list(csv.reader(io.StringIO(answer.body.decode())))) == 4
        else:
            assert len(list(ox.parse_query_results(answer.body, format=ox_format(fmt)))) == 3
    for fmt in formats.BY_KIND[formats.GRAPH]:
        answer = service.answer(CONSTRUCT, format=fmt.name)
        assert answer.media_type == fmt.media_type
        assert len(list(ox.parse(answer.body, format=ox_format(fmt)))) == 3


def test_format_by_accept_and_defaults(service):
    assert service.answer(SELECT).media_type == "application/sparql-results+json"
    assert service.answer(CONSTRUCT).media_type.startswith("text/turtle")
    assert service.answer(SELECT, accept="text/csv").media_type.startswith("text/csv")
    assert service.answer(CONSTRUCT, format="json").media_type == "application/ld+json"
    assert service.answer(CONSTRUCT, format="xml").media_type == "application/rdf+xml"
    with pytest.raises(ClusterkgError) as info:
        service.answer(SELECT, format="turtle")
    assert info.value.status == 400 and info.value.code == "unknown-format"


def test_dataset_arguments(service):
    def count(**kw):
        return count_of(service.answer("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", format="json", **kw).body)

    everything = count()
    data = count(default_graphs=[GRAPHS["data"]])
    links = count(default_graphs=[GRAPHS["links"]])
    assert 0 < data < everything and 0 < links < everything
    assert count(default_graphs=[GRAPHS["data"], GRAPHS["links"]]) == data + links
    assert count(named_graphs=[GRAPHS["data"]]) == 0
    with pytest.raises(ClusterkgError):
        count(default_graphs=["http://example.org/elsewhere"])


@pytest.mark.parametrize("query, code", [
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "service-refused"),
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "read-only"),
    ("LOAD <http://127.0.0.1:9/x.ttl>", "read-only"),
    ("SELECT * WHERE { ?s ?p }", "malformed-query"),
    ("SELECT * WHERE " + "{" * 1000 + "}" * 1000, "query-too-deep"),
])
def test_the_guard_is_part_of_the_call(service, query, code):
    with pytest.raises(ClusterkgError) as info:
        service.answer(query)
    assert info.value.code == code


def test_relative_iris_resolve_against_the_documented_base(service):
    body = service.answer("CONSTRUCT { <s> <p> 1 } WHERE {}", format="ntriples").body
    assert body.strip() == b'<https://w3id.org/clusterkg/s> <https://w3id.org/clusterkg/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .'


def test_turtle_and_trig_declare_just_the_prefixes_their_iris_use(service):
    """Graph answers declare the prefixes of the one table whose namespaces they use, and no other."""
    resource = f"<{BASE}id/cluster/changwon>"
    query = f"CONSTRUCT {{ {resource} ?p ?o }} WHERE {{ {resource} ?p ?o }}"
    iris = {str(term.value) for triple in ox.parse(service.answer(query, format="ntriples").body,
                                                    format=ox.RdfFormat.N_TRIPLES)
            for term in (*triple, getattr(triple.object, "datatype", None)) if isinstance(term, ox.NamedNode)}
    for name in ("turtle", "trig"):
        body = service.answer(query, format=name).body.decode()
        declared = dict(line.split()[1:3] for line in body.splitlines() if line.startswith("@prefix"))
        assert {"cluster:", "ck:"} <= set(declared)
        assert "observation:" not in declared and "void:" not in declared
        for prefix, namespace in declared.items():
            assert PREFIXES[prefix[:-1]] == namespace[1:-1]
            assert any(iri.startswith(namespace[1:-1]) for iri in iris), f"{prefix} declared, not used"
        statements = "\n".join(line for line in body.splitlines() if not line.startswith("@prefix"))
        assert f"<{BASE}id/cluster/" not in statements and "cluster:changwon" in statements


def test_caps_from_the_settings(make_service):
    capped = make_service(max_result_rows=3)
    answer = capped.answer("SELECT * WHERE { ?s ?p ?o }", format="tsv")
    assert answer.truncated is True and answer.truncation == "rows=3"
    assert len(answer.body.decode().splitlines()) == 4


def test_counts_and_dumps(service):
    counts = service.counts()
    assert set(counts) == set(service.graphs) | {None}
    assert counts[None] <= sum(counts[g] for g in service.graphs)
    for graph in service.graphs:
        body = service.dump(graph, formats.BY_NAME["ntriples"])
        assert len(list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))) == counts[graph]
