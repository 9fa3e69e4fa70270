"""`clusterkg publish` into real stores (Oxigraph's server, Virtuoso): every graph lands, publishing
again replaces (never duplicates), a store that refuses writes gets nothing, and the remote backend
serves what was published."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from clusterkg import dataset
from clusterkg.settings import Settings
from conftest import FIXTURES
from remote_stores import OxigraphStore, VirtuosoStore

GRAPH_COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def publish(endpoint_settings, *args, **overrides):
    env = dict(os.environ)
    for key, value in {**endpoint_settings, **overrides}.items():
        env["CLUSTERKG_" + key.upper()] = ",".join(value) if isinstance(value, tuple) else str(value)
    return subprocess.run([sys.executable, "-m", "clusterkg", "publish", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def graph_counts(query_url: str) -> dict[str, int]:
    r = requests.get(query_url, params={"query": GRAPH_COUNTS}, headers={"Accept": "application/sparql-results+json"},
                     timeout=30)
    r.raise_for_status()
    return {b["g"]["value"]: int(b["n"]["value"]) for b in r.json()["results"]["bindings"]}


def expected_counts(endpoint_settings, **overrides) -> dict[str, int]:
    from clusterkg.publish import graphs_of

    prepared = dataset.prepare(Settings.load(**{**endpoint_settings, **overrides}))
    return {g: data.count(b"\n") for g, data in graphs_of(prepared.nquads_path).items()}


def ours(counts: dict) -> dict:
    return {g: n for g, n in counts.items() if g.startswith("https://w3id.org/clusterkg/")}


@pytest.fixture
def oxigraph_writable(tmp_path):
    store = OxigraphStore(tmp_path / "oxigraph")
    store.start(writable=True)
    yield store
    store.close()


@pytest.mark.parametrize("swap", ["move", "put"])
def test_publish_into_oxigraph_then_again_replaces(endpoint_settings, oxigraph_writable, swap):
    store = oxigraph_writable
    args = ["--to", store.gsp_url] + (["--update", store.update_url] if swap == "move" else [])
    first = publish(endpoint_settings, *args)
    assert first.returncode == 0, first.stderr
    expected = expected_counts(endpoint_settings)
    assert graph_counts(store.query_url) == expected and set(expected) == set(prepared_graphs(endpoint_settings))
    # again, with another file in the data graph: the graph is replaced, nothing is duplicated
    links = (str(FIXTURES / "links.ttl"),)
    again = publish(endpoint_settings, *args, data_files=links)
    assert again.returncode == 0, again.stderr
    changed = expected_counts(endpoint_settings, data_files=links)
    assert changed != expected
    assert graph_counts(store.query_url) == changed  # no staging graph left either
    assert f"published {len(expected)} graphs" in again.stdout


def test_a_read_only_store_gets_nothing_and_a_clear_error(endpoint_settings, tmp_path):
    store = OxigraphStore(tmp_path / "oxigraph")
    store.load(dataset.prepare(Settings.load(**endpoint_settings)).nquads_path)
    store.start()  # serve-read-only
    try:
        before = graph_counts(store.query_url)
        result = publish(endpoint_settings, "--to", store.gsp_url, data_files=(str(FIXTURES / "links.ttl"),))
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: the store refused PUT")
        assert "Nothing was published" in result.stderr and "Traceback" not in result.stderr
        assert graph_counts(store.query_url) == before
    finally:
        store.close()


def test_virtuoso_refuses_then_accepts_and_the_backend_serves_it(endpoint_settings, tmp_path, make_app):
    store = VirtuosoStore(tmp_path / "virtuoso")
    store.start()
    try:
        refused = publish(endpoint_settings, "--to", store.gsp_url)  # its anonymous user may not write
        assert refused.returncode == 2 and "Nothing was published" in refused.stderr, refused.stderr
        assert ours(graph_counts(store.query_url)) == {}
        assert not [g for g in graph_counts(store.query_url) if g.startswith("urn:clusterkg:staging")]
        store.grant_updates()
        for _ in range(2):
            done = publish(endpoint_settings, "--to", store.gsp_url, "--update", store.update_url)
            assert done.returncode == 0, done.stderr
        assert ours(graph_counts(store.query_url)) == expected_counts(endpoint_settings)
        assert not [g for g in graph_counts(store.query_url) if g.startswith("urn:clusterkg:staging")]
        store.revoke_updates()
        client = make_app(backend=store.query_url).test_client()
        service = client.application.extensions["clusterkg"]
        assert service.counts() == make_app().extensions["clusterkg"].counts()
    finally:
        store.close()


def prepared_graphs(endpoint_settings) -> tuple[str, ...]:
    """Every named graph the dataset holds: what publish must put in the store."""
    from clusterkg import dataset
    from clusterkg.settings import Settings

    return dataset.prepare(Settings.load(**endpoint_settings)).graphs
