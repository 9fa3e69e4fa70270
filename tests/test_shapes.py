"""The SHACL shapes: each one is exercised by a valid and an invalid fixture, and the shapes are valid SHACL.

Fixtures live in tests/fixtures/shapes/{valid,invalid}/<Shape>[.<variant>].ttl, where <Shape> is the
local name of a shape in https://w3id.org/clusterkg/shapes#. Each file names its focus node with
``ckt:fixture ckt:focusNode <node>`` (ckt: https://w3id.org/clusterkg/shapes/test#). They are validated
the way ``clusterkg validate`` validates (validation.validate_graph: the shipped ontology as ont_graph,
no inference), with no links file. Linked resources in a fixture are typed stubs; whatever the stubs
break is broken in both files of a pair, so it cancels out.

* valid/<Shape>.ttl: the shape reports nothing, and the focus node conforms to every shape.
* invalid/<Shape>[.<variant>].ttl: compared with valid/<Shape>.ttl, every new result has the
  expected sh:focusNode and sh:sourceShape (the file breaks exactly that shape), and there is one.

Adding a fixture file adds a test.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH

from clusterkg import dataset, validation
from clusterkg.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
CKSHAPE = Namespace("https://w3id.org/clusterkg/shapes#")
CKT = Namespace("https://w3id.org/clusterkg/shapes/test#")
CK = "https://w3id.org/clusterkg/ontology#"


def _files(kind: str) -> list[Path]:
    return sorted((FIXTURES / kind).glob("*.ttl"))


def _shape_of(path: Path) -> URIRef:
    return CKSHAPE[path.name.split(".")[0]]


@lru_cache(maxsize=None)
def _shapes() -> Graph:
    return validation.load_shapes(Settings.load())


@lru_cache(maxsize=None)
def _ontology() -> Graph:
    return validation.load_ontology(Settings.load())


def _named_shapes(shapes: Graph) -> set[URIRef]:
    return {s for t in (SH.NodeShape, SH.PropertyShape) for s in shapes.subjects(RDF.type, t) if isinstance(s, URIRef)}


def _key(result: validation.Result, focus: URIRef) -> tuple:
    """What identifies a result across the two files of a pair (the focus node may be renamed)."""
    def norm(node):
        return "<focus>" if node == focus else "_:b" if isinstance(node, BNode) else node
    return (norm(result.focus_node), result.source_shape, str(result.path), norm(result.value), result.component)


def _run(path: Path) -> tuple[URIRef, tuple[validation.Result, ...]]:
    """The fixture's focus node and the validation results of the fixture."""
    # many valid fixtures differ only in their comment: validate each distinct graph once
    text = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
    dataset.parse_turtle(path)  # a malformed fixture fails here, naming file and line
    focus, results = _run_text(text)
    assert focus is not None, f"{path.name}: no `ckt:fixture ckt:focusNode <node>` triple"
    return focus, results


@lru_cache(maxsize=None)
def _run_text(text: str) -> tuple[URIRef, tuple[validation.Result, ...]]:
    data = Graph().parse(data=text, format="turtle")
    focus = data.value(CKT.fixture, CKT.focusNode)
    data.remove((CKT.fixture, None, None))
    report = validation.validate_graph(data, _shapes(), _ontology())
    return focus, tuple(report.results)


def _describe(results) -> str:
    return "\n".join(f"  {r.focus_node} {r.source_shape} {r.path} {r.value}: {r.message}" for r in results) or "  (none)"


# --- the fixtures ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", _files("valid"), ids=lambda p: p.stem)
def test_valid_fixture_conforms(path):
    shape = _shape_of(path)
    assert shape in _named_shapes(_shapes()), f"{path.name}: no shape ckshape:{shape.split('#')[1]}"
    focus, results = _run(path)
    from_shape = [r for r in results if r.source_shape == shape]
    assert not from_shape, f"{shape} reports on its valid fixture:\n{_describe(from_shape)}"
    on_focus = [r for r in results if r.focus_node == focus]
    assert not on_focus, f"the focus node {focus} of the valid fixture does not conform:\n{_describe(on_focus)}"


@pytest.mark.parametrize("path", _files("invalid"), ids=lambda p: p.stem)
def test_invalid_fixture_breaks_exactly_its_shape(path):
    shape = _shape_of(path)
    valid = FIXTURES / "valid" / f"{shape.split('#')[1]}.ttl"
    assert valid.exists(), f"{path.name} has no valid counterpart {valid.name}"
    focus, results = _run(path)
    valid_focus, valid_results = _run(valid)
    before = {_key(r, valid_focus) for r in valid_results}
    new = [r for r in results if _key(r, focus) not in before]
    assert new, f"{path.name} breaks nothing that {valid.name} does not break"
    assert any(r.focus_node == focus and r.source_shape == shape for r in new), \
        f"no result for focus {focus} from {shape}; new results:\n{_describe(new)}"
    stray = [r for r in new if (r.focus_node, r.source_shape) != (focus, shape)]
    assert not stray, f"{path.name} breaks more than {shape} on {focus}:\n{_describe(stray)}"
    for r in new:  # what a person reads: the shape's own message, in English and in Korean
        assert r.message and r.message_ko, f"{shape}: result without an English and a Korean message"


def test_every_shape_has_a_valid_and_an_invalid_fixture():
    shapes = {s.split("#")[1] for s in _named_shapes(_shapes())}
    valid = {p.name.split(".")[0] for p in _files("valid")}
    invalid = {p.name.split(".")[0] for p in _files("invalid")}
    assert shapes - valid == set(), "shapes without a valid fixture"
    assert shapes - invalid == set(), "shapes without an invalid fixture"
    assert (valid | invalid) - shapes == set(), "fixtures named after no shape"


# --- the shapes themselves ------------------------------------------------------------------

def test_shapes_pass_meta_shacl():
    """The shapes graph conforms to the SHACL-SHACL shapes that pyshacl ships (SHACL spec, appendix C)."""
    shacl_shacl = Graph().parse(Path(pyshacl.__file__).parent / "assets" / "shacl-shacl.ttl")
    conforms, _, text = pyshacl.validate(_shapes(), shacl_graph=shacl_shacl, inference="none")
    assert conforms, text


def test_shapes_graph_is_accepted_with_meta_shacl_option():
    conforms, _, text = pyshacl.validate(Graph(), shacl_graph=_shapes(), meta_shacl=True)
    assert conforms, text


def test_every_named_shape_has_messages_in_english_and_korean_and_a_severity():
    shapes = _shapes()
    for shape in _named_shapes(shapes):
        languages = {m.language for m in shapes.objects(shape, SH.message)}
        assert {"en", "ko"} <= languages, f"{shape}: sh:message in {languages or 'no language'}"
        assert shapes.value(shape, SH.severity) in (SH.Violation, SH.Warning, SH.Info), f"{shape}: no sh:severity"


def test_shape_names_follow_the_class_shape_property_pattern():
    shapes = _shapes()
    for shape in _named_shapes(shapes):
        name = shape.split("#")[1]
        base = name.split("-")[0]
        assert base.endswith("Shape"), name
        assert (CKSHAPE[base], RDF.type, SH.NodeShape) in shapes, f"{name}: no node shape ckshape:{base}"
        if (shape, RDF.type, SH.PropertyShape) in shapes:
            assert (CKSHAPE[base], SH.property, shape) in shapes, f"{name} is not a sh:property of {base}"


def test_target_classes_exist():
    """A misspelt sh:targetClass would silently check nothing."""
    ontology = _ontology()
    for target in set(_shapes().objects(None, SH.targetClass)):
        if str(target).startswith(CK):
            assert (target, RDF.type, OWL.Class) in ontology, f"sh:targetClass {target} is not a class of the ontology"


def _classes_targeted(shapes: Graph, ontology: Graph) -> set[URIRef]:
    targeted = set(shapes.objects(None, SH.targetClass))
    # a shape for C also targets every subclass of C (SHACL follows rdfs:subClassOf*)
    changed = True
    while changed:
        sub = {s for s, o in ontology.subject_objects(RDFS.subClassOf) if o in targeted and isinstance(s, URIRef)}
        changed = not sub <= targeted
        targeted |= sub
    return targeted


def test_every_class_of_the_shipped_data_has_a_shape():
    settings = Settings.load()
    if not all(Path(p).exists() for p in settings.data_files + settings.links_files):
        pytest.skip("data/clusters.ttl or data/links.ttl is not written yet")
    data, _ = validation.load_data(settings)
    used = {o for o in data.objects(None, RDF.type) if isinstance(o, URIRef)}
    missing = used - _classes_targeted(_shapes(), _ontology())
    assert not missing, f"classes used in the data without a node shape: {sorted(missing)}"


def test_every_class_of_the_ontology_has_a_shape():
    ontology = _ontology()
    classes = {c for c in ontology.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
    missing = classes - _classes_targeted(_shapes(), ontology)
    assert not missing, f"ontology classes without a node shape: {sorted(missing)}"
