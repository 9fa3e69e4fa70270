"""validation.validate(): the pyshacl wrapper behind `clusterkg validate` (the shipped data, or files in its place)."""
from __future__ import annotations

import time
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH

from clusterkg import validation
from clusterkg.errors import ClusterkgError, InputError
from clusterkg.settings import Settings

ID = "https://w3id.org/clusterkg/id/"
CKSHAPE = "https://w3id.org/clusterkg/shapes#"
FIXTURES = Path(__file__).parent / "fixtures" / "shapes"

PREFIXES = """\
@prefix ck: <https://w3id.org/clusterkg/ontology#> .
@prefix cluster: <https://w3id.org/clusterkg/id/cluster/> .
@prefix outcome: <https://w3id.org/clusterkg/id/outcome/> .
@prefix figure: <https://w3id.org/clusterkg/id/figure/> .
@prefix actor: <https://w3id.org/clusterkg/id/actor/> .
@prefix source: <https://w3id.org/clusterkg/id/source/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
"""


def _shipped() -> Settings:
    settings = Settings.load()
    missing = [p for p in (*settings.data_files, *settings.links_files) if not Path(p).exists()]
    if missing:
        pytest.skip(f"the shipped data is not written yet: {', '.join(map(str, missing))} missing")
    return settings


@pytest.fixture(scope="module")
def shipped_report():
    settings = _shipped()
    start = time.perf_counter()
    report = validation.validate(settings)
    report_seconds = time.perf_counter() - start
    print(f"\nvalidated the shipped data in {report_seconds:.2f} s: {report.counts_by_severity}")
    return report


def _write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(PREFIXES + body, encoding="utf-8")
    return path


# --- the shipped data ---------------------------------------------------------------------

def test_shipped_data_conforms(shipped_report):
    assert shipped_report.conforms, shipped_report.text()
    assert shipped_report.results == [], shipped_report.text()  # not even a warning


def test_shipped_report_says_so_in_words(shipped_report):
    text = shipped_report.text()
    assert text.startswith("Conforms: 0 violations, 0 warnings, 0 infos.")
    assert "clusters.ttl" in text and "links.ttl" in text
    assert shipped_report.shapes_count > 100 and shipped_report.triples > 1000


# --- files in place of the data -------------------------------------------------------------

def test_invalid_file_reports_node_shape_path_and_message(tmp_path):
    bad = _write(tmp_path, "bad.ttl", """
figure:gumi-1-sales-result a ck:Figure ;
    ck:value "795억원" ;
    ck:value 79500000000 .
""")
    report = validation.validate(Settings.load(links_files=()), data_files=[bad])
    assert not report.conforms
    value = [r for r in report.results if r.source_shape == URIRef(CKSHAPE + "FigureShape-value")]
    assert {r.focus_node for r in value} == {URIRef(ID + "figure/gumi-1-sales-result")}
    assert {r.component for r in value} == {"MaxCountConstraintComponent", "OrConstraintComponent"}
    assert Literal("795억원") in {r.value for r in value}
    assert all(r.severity == "Violation" and "exactly one ck:value" in r.message and r.message_ko for r in value)
    text = report.text()
    assert text.startswith("Does NOT conform:")
    block = text[text.index("Violation: figure:gumi-1-sales-result"):]
    for expected in ("shape    ckshape:FigureShape-value", "path     ck:value", 'value    "795억원"',
                     "message  A figure has exactly one ck:value"):
        assert expected in block, expected


def test_counts_by_severity_and_warnings_do_not_break_conformance(tmp_path):
    # an actor without the article's phrase (ck:contextKo) is a warning, nothing more
    path = _write(tmp_path, "actor.ttl", """
actor:tama-association a ck:RelatedInstitution ;
    rdfs:label "일본 TAMA협회"@ko , "TAMA Association"@en ;
    dcterms:source source:chungbuk-ilbo-2008-10-09 .
source:chungbuk-ilbo-2008-10-09 a ck:SourceArticle ;
    rdfs:label "충북일보 2008-10-09"@ko , "Chungbuk Ilbo, 2008-10-09"@en ;
    dcterms:title "혁신클러스터가 지역의 미래를 이끈다"@ko ;
    dcterms:publisher "충북일보 (Chungbuk Ilbo)" ;
    dcterms:issued "2008-10-09T21:59:37+09:00"^^xsd:dateTime ;
    dcterms:creator "이 기자"@ko ;
    dcterms:language "ko" .
""")
    report = validation.validate(Settings.load(links_files=()), data_files=[path])
    assert report.counts_by_severity == {"Violation": 0, "Warning": 1, "Info": 0}, report.text()
    assert report.conforms
    assert report.text().startswith("Conforms: 0 violations, 1 warning, 0 infos.")
    assert report.results[0].source_shape == URIRef(CKSHAPE + "ActorShape-context")


def test_results_are_ordered_stably(tmp_path):
    path = FIXTURES / "invalid" / "ClusterShape-outcome.ttl"
    settings = Settings.load(links_files=())
    first = validation.validate(settings, data_files=[path])
    second = validation.validate(settings, data_files=[path])
    assert len(first.results) > 3
    assert first.results == second.results
    assert first.text().split("\n", 2)[2] == second.text().split("\n", 2)[2]  # all but the timing line
    keys = [r.sort_key() for r in first.results]
    assert keys == sorted(keys)


def test_complex_paths_are_shown_in_sparql_syntax():
    report = validation.validate(Settings.load(links_files=()),
                                 data_files=[FIXTURES / "invalid" / "ClusterShape-outcome.ttl"])
    outcome = [r for r in report.results if r.source_shape == URIRef(CKSHAPE + "ClusterShape-outcome")]
    assert [r.path for r in outcome] == ["^ck:outcomeOf"]
    assert "path     ^ck:outcomeOf" in report.text()


def test_sparql_messages_name_the_values_with_prefixes():
    report = validation.validate(Settings.load(links_files=()),
                                 data_files=[FIXTURES / "invalid" / "ClusterShape-councils.ttl"])
    [result] = [r for r in report.results if r.source_shape == URIRef(CKSHAPE + "ClusterShape-councils")]
    assert result.message == "cluster:gumi names more councils (ck:hasCouncil: 1) than its ck:councilCount (0)."
    assert result.message_ko.startswith("cluster:gumi에 예로 든 협의체")


def test_data_files_replace_the_data_but_keep_the_links(tmp_path):
    settings = _shipped()
    empty = _write(tmp_path, "empty.ttl", "")
    report = validation.validate(settings, data_files=[empty])
    assert report.data_files == (empty, *map(Path, settings.links_files))
    links, _ = validation.load_data(settings.replace(data_files=()))
    assert report.triples == len(links)  # data/clusters.ttl was not read
    assert report.conforms, report.text()  # the links graph is complete in itself


def test_no_inference_so_a_type_counts_only_when_asserted():
    """Why validate() passes inference="none": with RDFS inference, ck:hasGoal's rdfs:range would
    type a misspelt goal IRI ck:Goal and the broken link would pass unnoticed."""
    settings = Settings.load(links_files=())
    path = FIXTURES / "invalid" / "ClusterShape-goal.ttl"
    shape = URIRef(CKSHAPE + "ClusterShape-goal")
    ours = validation.validate(settings, data_files=[path])
    assert [r.component for r in ours.results if r.source_shape == shape] == ["ClassConstraintComponent"]
    _, report, _ = pyshacl.validate(Graph().parse(path), shacl_graph=validation.load_shapes(settings),
                                    ont_graph=validation.load_ontology(settings), inference="rdfs")
    assert (None, SH.sourceShape, shape) not in report


# --- errors ---------------------------------------------------------------------------------

def test_malformed_file_is_an_input_error_naming_file_and_line(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\nex:d ex:e ex:f .\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        validation.validate(Settings.load(), data_files=[bad])
    assert str(bad) in caught.value.message and "line 2" in caught.value.message


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError) as caught:
        validation.validate(Settings.load(), data_files=[tmp_path / "missing.ttl"])
    assert "missing.ttl" in caught.value.message


def test_malformed_shapes_are_an_input_error(tmp_path):
    (tmp_path / "broken.shapes.ttl").write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n<a> sh:path \n",
                                                encoding="utf-8")
    with pytest.raises(InputError) as caught:
        validation.validate(Settings.load(shapes_dir=tmp_path), data_files=[FIXTURES / "valid" / "UnitShape.ttl"])
    assert "broken.shapes.ttl" in caught.value.message


def test_no_shapes_is_an_input_error(tmp_path):
    with pytest.raises(InputError):
        validation.validate(Settings.load(shapes_dir=tmp_path), data_files=[FIXTURES / "valid" / "UnitShape.ttl"])


def test_unusable_shapes_are_an_error_not_a_crash(tmp_path):
    (tmp_path / "values.ttl").write_text("""\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:S a sh:NodeShape ; sh:targetNode ex:a ;
    sh:sparql [ sh:select "SELECT $this WHERE { VALUES ?x { 1 } }" ] .
""", encoding="utf-8")
    with pytest.raises(ClusterkgError):
        validation.validate(Settings.load(shapes_dir=tmp_path, links_files=()),
                            data_files=[FIXTURES / "valid" / "UnitShape.ttl"])
