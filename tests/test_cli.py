"""The `clusterkg` command: exit codes, formats, and one-line errors for bad input."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from clusterkg import dataset
from clusterkg.cli import main


@pytest.fixture()
def run(tmp_path):
    def invoke(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    return invoke


@pytest.mark.parametrize("fmt, rdf_format", [
    ("turtle", ox.RdfFormat.TURTLE), ("ntriples", ox.RdfFormat.N_TRIPLES), ("nquads", ox.RdfFormat.N_QUADS),
    ("trig", ox.RdfFormat.TRIG), ("jsonld", ox.RdfFormat.JSON_LD), ("rdfxml", ox.RdfFormat.RDF_XML),
])
def test_export_round_trips(run, tmp_path, fmt, rdf_format):
    out = tmp_path / f"dump.{fmt}"
    result = run("export", "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    quads = list(ox.parse(path=out, format=rdf_format))
    graphs = {q.graph_name.value for q in quads if not isinstance(q.graph_name, ox.DefaultGraph)}
    if rdf_format.supports_datasets:
        assert graphs == set(dataset.ALL_GRAPHS) - {dataset.GRAPH_INFERRED}
    else:
        assert graphs == set()
    subjects = {q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode)}
    assert "https://w3id.org/clusterkg/id/cluster/ulsan" in subjects


def test_export_inferred_adds_the_inferred_graph(run, tmp_path):
    plain, full = tmp_path / "plain.nq", tmp_path / "full.nq"
    assert run("export", "--format", "nquads", "-o", str(plain)).exit_code == 0
    assert run("export", "--format", "nquads", "--inferred", "-o", str(full)).exit_code == 0
    graphs = {q.graph_name.value for q in ox.parse(path=full, format=ox.RdfFormat.N_QUADS)}
    assert dataset.GRAPH_INFERRED in graphs
    assert full.stat().st_size > plain.stat().st_size


def test_export_csv_has_one_row_per_figure(run):
    result = run("export", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    store = ox.Store()
    store.bulk_load(path=dataset.prepare(dataset.Settings.load()).nquads_path, format=ox.RdfFormat.N_QUADS)
    count = int(next(iter(store.query(
        "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { GRAPH ?g { ?f a <https://w3id.org/clusterkg/ontology#Figure> } }")))["n"].value)
    assert len(rows) == count > 0
    gunsan_exports = [r for r in rows if r["cluster"].endswith("/cluster/gunsan")
                      and r["indicator"].endswith("/indicator/exports")]
    assert [r["value"] for r in gunsan_exports] == ["109"]
    assert gunsan_exports[0]["unit"].endswith("/unit/percent")
    assert gunsan_exports[0]["phrase_ko"] and gunsan_exports[0]["source"]


def test_stats_counts_graphs_and_classes(run):
    result = run("stats", "--json")
    assert result.exit_code == 0
    stats = json.loads(result.stdout)
    by_graph = {g["graph"]: g for g in stats["graphs"]}
    assert set(by_graph) == set(dataset.ALL_GRAPHS)
    data_classes = {c["class"]: c["instances"] for c in by_graph[dataset.GRAPH_DATA]["classes"]}
    assert data_classes["https://w3id.org/clusterkg/ontology#InnovationCluster"] == 7


def test_malformed_turtle_is_one_line_naming_file_and_line(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e ;; ] .\nex:f ex:g ex:h .\n",
                   encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "clusterkg", "validate", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(bad) in lines[0] and "line 3" in lines[0]


def test_unreadable_file_exits_2(run, tmp_path):
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "missing.ttl")])
    assert result.exit_code == 2
    assert "missing.ttl" in result.stderr


def test_unknown_export_format_exits_2(run):
    result = CliRunner().invoke(main, ["export", "--format", "yaml"])
    assert result.exit_code == 2
    assert "yaml" in result.stderr


def test_a_table_goes_with_csv_only(run):
    result = CliRunner().invoke(main, ["export", "--format", "turtle", "--table", "regions"])
    assert result.exit_code == 2
    assert "--table goes with --format csv" in result.stderr


def test_query_runs_locally(run):
    result = run("query", "ASK { <https://w3id.org/clusterkg/id/cluster/wonju> ?p ?o }", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["boolean"] is True


def test_malformed_query_exits_2():
    result = CliRunner().invoke(main, ["query", "SELECT WHERE {"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_validate_shipped_data_conforms(run):
    result = run("validate")
    assert result.exit_code == 0, result.output


def test_validate_reports_a_broken_file_and_exits_1(run, tmp_path):
    """A realistic slip — a cluster's English label dropped — is reported by node and shape."""
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDFS

    graph = Graph().parse(dataset.Settings.load().data_files[0], format="turtle")
    ulsan = URIRef("https://w3id.org/clusterkg/id/cluster/ulsan")
    english = [o for o in graph.objects(ulsan, RDFS.label) if isinstance(o, Literal) and o.language == "en"]
    assert english
    for label in english:
        graph.remove((ulsan, RDFS.label, label))
    broken = tmp_path / "clusters.ttl"
    graph.serialize(broken, format="turtle")
    result = run("validate", str(broken))
    assert result.exit_code == 1
    assert "Violation: cluster:ulsan" in result.output
    assert "ckshape:ClusterShape-label" in result.output
