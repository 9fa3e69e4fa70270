"""The loading path: named graphs, the cached OWL-RL closure, its consistency and its noise filter."""
from __future__ import annotations

import shutil

import pyoxigraph as ox
import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from clusterkg import dataset
from clusterkg.settings import Settings

CK = "https://w3id.org/clusterkg/ontology#"


@pytest.fixture()
def fresh_settings(tmp_path):
    """The shipped inputs with an empty cache of their own."""
    return Settings.load(cache_dir=tmp_path / "cache")


def test_prepare_writes_every_named_graph(fresh_settings):
    prepared = dataset.prepare(fresh_settings)
    graphs = {q.graph_name.value for q in ox.parse(path=prepared.nquads_path, format=ox.RdfFormat.N_QUADS)}
    assert graphs == set(dataset.ALL_GRAPHS)


def test_second_prepare_reuses_the_cached_closure(fresh_settings, monkeypatch):
    first = dataset.prepare(fresh_settings)
    assert not first.inferred_from_cache

    def must_not_run(*args, **kwargs):
        raise AssertionError("the closure was recomputed although the inputs did not change")

    monkeypatch.setattr(dataset, "owlrl_closure", must_not_run)
    second = dataset.prepare(fresh_settings)
    assert second.inferred_from_cache
    assert second.version == first.version and second.nquads_path == first.nquads_path


def test_changing_an_input_changes_the_version(fresh_settings, tmp_path):
    copy = tmp_path / "clusters.ttl"
    shutil.copy(fresh_settings.data_files[0], copy)
    before = dataset.inputs_hash(fresh_settings.replace(data_files=(copy,)))
    copy.write_text(copy.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    after = dataset.inputs_hash(fresh_settings.replace(data_files=(copy,)))
    assert before != after


def test_owlrl_closure_is_consistent(fresh_settings):
    """No resource is a member of owl:Nothing and no OWL-RL clash is asserted in the closure."""
    asserted = dataset.load_graphs(fresh_settings)
    inferred = dataset.owlrl_closure(asserted)
    assert len(inferred) > 0
    assert list(inferred.subjects(RDF.type, OWL.Nothing)) == []
    # owlrl reports inconsistencies as rdfs:comment-carrying error nodes typed by this class
    assert list(inferred.triples((None, RDF.type, URIRef("http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage")))) == []
    clashes = [(s, o) for s, o in inferred.subject_objects(OWL.differentFrom) if s == o]
    assert clashes == []


def test_closure_adds_what_queries_use(fresh_settings):
    """Subclass reasoning reaches the data: a cluster is an org:OrganizationalCollaboration."""
    inferred = dataset.owlrl_closure(dataset.load_graphs(fresh_settings))
    collab = URIRef("http://www.w3.org/ns/org#OrganizationalCollaboration")
    cluster = URIRef("https://w3id.org/clusterkg/id/cluster/gumi")
    assert (cluster, RDF.type, collab) in inferred


@pytest.mark.parametrize("triple, keep", [
    ((Literal("x"), RDF.type, RDFS.Literal), False),
    ((URIRef(CK + "a"), OWL.sameAs, URIRef(CK + "a")), False),
    ((URIRef(CK + "a"), RDF.type, OWL.Thing), False),
    ((URIRef(CK + "C"), RDFS.subClassOf, URIRef(CK + "C")), False),
    ((OWL.Thing, RDF.type, OWL.Class), False),
    ((URIRef(CK + "a"), RDF.type, URIRef(CK + "C")), True),
    ((BNode(), RDF.type, URIRef(CK + "C")), True),
])
def test_noise_filter(triple, keep):
    assert dataset.useful(triple) is keep
