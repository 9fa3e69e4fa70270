"""SHACL validation of the clusterkg data: a small wrapper around pyshacl.

    report = validate(settings)                       # the shipped data/clusters.ttl + data/links.ttl
    report = validate(settings, data_files=[path])    # PATH in place of the data files (links stay)
    report.conforms, report.results, report.counts_by_severity, print(report.text())

How pyshacl is called, and why:

* The data graph is the data files plus the links files; the ontology is passed as ``ont_graph``, so
  pyshacl mixes its class and property axioms (rdfs:subClassOf and the like, not its other triples)
  into the data graph before validating. That is what lets ``sh:targetClass ck:Place`` reach a
  ``ck:MetropolitanCity`` and ``sh:class ck:Outcome`` accept a ``ck:QuantitativeOutcome``: SHACL
  follows ``rdfs:subClassOf*`` in the data graph.
* ``inference="none"``. SHACL's own ``rdfs:subClassOf*`` walk is all the reasoning the shapes need.
  RDFS inference would add ``rdfs:domain``/``rdfs:range`` types, and those manufacture exactly
  what the shapes check: ``ck:hasGoal rdfs:range ck:Goal`` makes any object of ``ck:hasGoal`` a
  goal, so a misspelt goal IRI would pass ``sh:class ck:Goal`` silently (tests/test_validation.py
  shows it). Without inference a type has to be asserted to count. It is also faster (1.4 s
  against 2.3 s with "rdfs" on the shipped data).
* Only ``sh:Violation`` makes the data non-conformant; ``sh:Warning`` and ``sh:Info`` results are
  reported but do not change ``conforms`` (pyshacl's ``allow_warnings``/``allow_infos``).
"""
from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from . import dataset
from .errors import ClusterkgError, InputError
from .namespaces import PREFIXES
from .settings import Settings

SEVERITIES = ("Violation", "Warning", "Info")  # most severe first; the order of the report


@dataclass(frozen=True)
class Result:
    """One SHACL validation result (``sh:ValidationResult``)."""

    focus_node: Node            # sh:focusNode: the resource that fails
    source_shape: Node          # sh:sourceShape: e.g. ckshape:ClusterShape-label
    path: Node | str | None     # sh:resultPath: an IRI, a complex path in SPARQL syntax ("^ck:outcomeOf"),
                                # or None for a node shape's own constraint
    severity: str               # "Violation", "Warning" or "Info"
    message: str                # sh:resultMessage in English (the shape's sh:message @en)
    value: Node | None = None   # sh:value: the offending value, when there is one
    component: str = ""         # sh:sourceConstraintComponent, local name (e.g. "MinCountConstraintComponent")
    message_ko: str | None = None  # the shape's sh:message @ko, when it has one

    def sort_key(self) -> tuple:
        return (SEVERITIES.index(self.severity) if self.severity in SEVERITIES else len(SEVERITIES),
                str(self.focus_node), str(self.source_shape), _n3(self.path), _n3(self.value),
                self.component, self.message)


@dataclass(frozen=True)
class Report:
    conforms: bool
    results: list[Result]
    seconds: float = 0.0
    data_files: tuple[Path, ...] = ()
    shapes_count: int = 0
    triples: int = 0
    graph: Graph | None = field(default=None, repr=False, compare=False)  # pyshacl's report graph

    @property
    def counts_by_severity(self) -> dict[str, int]:
        counts = Counter(r.severity for r in self.results)
        return {s: counts.get(s, 0) for s in SEVERITIES} | {s: n for s, n in counts.items() if s not in SEVERITIES}

    def text(self) -> str:
        """A report for a person: one block per result (node, shape, path, value, message), stably ordered."""
        counts = self.counts_by_severity
        summary = ", ".join(f"{n} {s.lower()}{'' if n == 1 else 's'}" for s, n in counts.items())
        files = ", ".join(str(p) for p in self.data_files)
        lines = [
            f"{'Conforms' if self.conforms else 'Does NOT conform'}: {summary}.",
            f"Validated {files or 'the data'} ({self.triples} triples) against {self.shapes_count} shapes "
            f"in {self.seconds:.2f} s.",
        ]
        for r in self.results:
            lines.append("")
            lines.append(f"{r.severity}: {_short(r.focus_node)}")
            lines.append(f"  shape    {_short(r.source_shape)}" + (f"  ({r.component})" if r.component else ""))
            if r.path is not None:
                lines.append(f"  path     {_short(r.path)}")
            if r.value is not None:
                lines.append(f"  value    {_short(r.value)}")
            lines.append(f"  message  {r.message}")
            if r.message_ko:
                lines.append(f"           {r.message_ko}")
        return "\n".join(lines) + "\n"


# --- loading --------------------------------------------------------------------------------

def shape_files(settings: Settings) -> list[Path]:
    files = sorted(Path(settings.shapes_dir).glob("*.ttl"))
    if not files:
        raise InputError(f"{settings.shapes_dir}: no SHACL shapes (*.ttl) found")
    return files


def load_shapes(settings: Settings) -> Graph:
    """Every shapes/*.ttl in one graph; a malformed file raises InputError naming file and line."""
    shapes = Graph()
    for path in shape_files(settings):
        dataset.parse_turtle(path, shapes)
    return shapes


def load_ontology(settings: Settings) -> Graph:
    ontology = Graph()
    for path in dataset.input_files(settings)[dataset.GRAPH_ONTOLOGY]:
        dataset.parse_turtle(path, ontology)
    return ontology


def load_data(settings: Settings, data_files=None) -> tuple[Graph, tuple[Path, ...]]:
    """The data files (or ``data_files`` in their place) plus the links files, in one graph."""
    files = tuple(Path(p) for p in (data_files if data_files else settings.data_files))
    files += tuple(Path(p) for p in settings.links_files)
    data = Graph()
    for path in files:
        dataset.parse_turtle(path, data)
    return data, files


# --- validating -----------------------------------------------------------------------------

def validate(settings: Settings, data_files=None) -> Report:
    """Validate the shipped data (or ``data_files`` in place of the data files) against shapes/."""
    start = time.perf_counter()
    shapes = load_shapes(settings)
    ontology = load_ontology(settings)
    data, files = load_data(settings, data_files)
    report = validate_graph(data, shapes, ontology)
    return Report(report.conforms, report.results, time.perf_counter() - start, files,
                  report.shapes_count, len(data), report.graph)


def validate_graph(data: Graph, shapes: Graph, ontology: Graph | None = None) -> Report:
    """The pyshacl call itself, on graphs already loaded (the tests reuse parsed shapes)."""
    import pyshacl

    start = time.perf_counter()
    conforms, report_graph, _ = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none",
        allow_warnings=True, allow_infos=True, meta_shacl=False, advanced=False)
    if not isinstance(report_graph, Graph):  # pyshacl returns a ValidationFailure for a broken shape
        raise ClusterkgError("bad-shapes", f"the SHACL shapes cannot be used: {report_graph}")
    results = sorted(_results(report_graph, shapes), key=Result.sort_key)
    return Report(bool(conforms), results, time.perf_counter() - start, (), count_shapes(shapes),
                  len(data), report_graph)


def count_shapes(shapes: Graph) -> int:
    """Named shapes (node and property shapes with an IRI)."""
    named = {s for s in shapes.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)}
    named |= {s for s in shapes.subjects(RDF.type, SH.PropertyShape) if isinstance(s, URIRef)}
    return len(named)


def _results(report: Graph, shapes: Graph):
    for node in report.subjects(RDF.type, SH.ValidationResult):
        messages: dict[str, str] = {}
        for m in sorted(report.objects(node, SH.resultMessage)):
            messages.setdefault(_language(m), _shorten_iris(str(m)))
        shape = report.value(node, SH.sourceShape)
        path = report.value(node, SH.resultPath)
        if isinstance(path, BNode):  # a complex path: render it in SPARQL syntax
            path = _path_text(report, path)
        severity = report.value(node, SH.resultSeverity)
        component = report.value(node, SH.sourceConstraintComponent)
        yield Result(
            focus_node=report.value(node, SH.focusNode),
            source_shape=shape,
            path=path,
            severity=_local(severity) if severity is not None else "Violation",
            message=messages.get("en") or next(iter(messages.values()), ""),
            value=report.value(node, SH.value),
            component=_local(component) if component is not None else "",
            message_ko=messages.get("ko"),
        )


def _language(message: Node) -> str:
    """The message's language. pyshacl drops the tag of a SPARQL-based message when it fills in
    its {?variables}; the shapes keep Hangul out of English messages, so Hangul means Korean."""
    if isinstance(message, Literal) and message.language:
        return message.language
    return "ko" if _HANGUL.search(str(message)) else "en"


_HANGUL = re.compile("[\uac00-\ud7a3]")
_IRI_IN_TEXT = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&*+=%-]*[A-Za-z0-9/_#~=-]")


def _shorten_iris(text: str) -> str:
    """Prefixed names for the IRIs pyshacl writes into a SPARQL-based message."""
    return _IRI_IN_TEXT.sub(lambda m: _short(URIRef(m.group(0))).strip("<>"), text)


def _path_text(g: Graph, path: Node) -> str:
    """A SHACL property path in SPARQL syntax: ``^ck:outcomeOf``, ``(skos:closeMatch|skos:broadMatch)``."""
    if isinstance(path, URIRef):
        return _short(path)
    if (path, RDF.first, None) in g:
        return "/".join(_path_text(g, p) for p in Collection(g, path))
    for pred, fmt in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"),
                      (SH.oneOrMorePath, "{}+"), (SH.zeroOrOnePath, "{}?")):
        inner = g.value(path, pred)
        if inner is not None:
            return fmt.format(_path_text(g, inner))
    alternatives = g.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_path_text(g, p) for p in Collection(g, alternatives)) + ")"
    return str(path)


_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def _short(node: Node | None) -> str:
    """A readable name: a prefixed name where one of the project's prefixes fits, else N3."""
    if isinstance(node, URIRef):
        s = str(node)
        for prefix, ns in _BY_LENGTH:
            if s.startswith(ns) and len(s) > len(ns):
                return f"{prefix}:{s[len(ns):]}"
        return f"<{s}>"
    if isinstance(node, str) and not isinstance(node, (Literal, BNode)):
        return node  # a complex path, already rendered
    if isinstance(node, Literal) and node.datatype is not None:
        return f'"{node}"^^{_short(node.datatype)}'
    return _n3(node)


def _n3(node) -> str:
    return "" if node is None else node.n3() if isinstance(node, Node) else str(node)


def _local(iri: Node) -> str:
    s = str(iri)
    return s.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
