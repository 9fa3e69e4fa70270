"""Load the shipped Turtle into named graphs, add the OWL-RL closure, cache the result on disk.

One loading path serves the CLI, the tests and the server:

    prepared = prepare(settings)      # cheap when the cache is warm: hashes the inputs, nothing more
    prepared.nquads_path              # every graph, the inferred one included, as N-Quads
    load_graphs(settings)             # the asserted rdflib graphs, for inference and validation

The expensive step (owlrl) runs once per distinct set of inputs; its output is cached under
``settings.cache_dir`` keyed by a hash of the input files' bytes and of this module's
``PIPELINE_VERSION``, so a second start does not recompute it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from .errors import InputError
from .settings import Settings

log = logging.getLogger(__name__)

# the graph IRIs are defined once, in namespaces; imported here for the loaders and the tests
from . import examples
from .namespaces import (ALL_GRAPHS, ASSERTED_GRAPHS, GRAPH_DATA, GRAPH_EXAMPLES,  # noqa: F401
                         GRAPH_INFERRED, GRAPH_LINKS, GRAPH_ONTOLOGY, GRAPH_REGIONS)

#: Bump when the inference or the noise filter changes, so old caches are not reused.
PIPELINE_VERSION = "1"

_AXIOMATIC_NAMESPACES = tuple(str(ns) for ns in (OWL, RDF, RDFS, XSD))


@dataclass(frozen=True)
class Prepared:
    """What the query store needs: one N-Quads file of every graph, and its version."""

    version: str            # hash of the inputs; changes whenever a shipped file changes
    nquads_path: Path
    graphs: tuple[str, ...]  # the named graphs it holds
    seconds: float           # time prepare() took (0.0x when the cache was warm)
    inferred_from_cache: bool
    notes: dict = field(default_factory=dict)  # graph -> what it holds, for the extra files' graphs
    #: --data files not in nquads_path (``prepare(..., merge_extra=False)``): the disk backend loads
    #: them straight into its store (``backends.disk``), with their graphs and notes
    extra_files: tuple[Path, ...] = ()


def input_files(settings: Settings) -> dict[str, list[Path]]:
    """The Turtle files of each asserted graph, in a stable order."""
    ontology = sorted(Path(settings.ontology_dir).glob("*.ttl"))
    return {
        GRAPH_ONTOLOGY: ontology,
        GRAPH_DATA: [Path(p) for p in settings.data_files],
        GRAPH_LINKS: [Path(p) for p in settings.links_files],
    }


def inputs_hash(settings: Settings) -> str:
    """A hash of every input file's bytes (and the graph it goes to), plus PIPELINE_VERSION."""
    h = hashlib.sha256(PIPELINE_VERSION.encode())
    h.update(b"inference" if settings.inference else b"no-inference")
    extra_files = {"extra": [Path(p) for p in settings.extra_files]}
    for graph, paths in {**input_files(settings), GRAPH_REGIONS: region_files(settings), **extra_files}.items():
        for path in paths:
            h.update(graph.encode() + b"\0" + str(path.name).encode() + b"\0")
            _hash_file(h, path)
    h.update(examples.digest())
    return h.hexdigest()[:16]


def region_files(settings: Settings) -> list[Path]:
    """The Turtle files of graph …/graph/regions (the OWL-RL closure does not see them)."""
    return [Path(p) for p in settings.regions_files]


def regions_nquads(settings: Settings) -> bytes:
    """The regional graph as N-Quads, parsed by pyoxigraph: 25,000 triples of Data Cube
    observations gain nothing from the closure, which would cost far more than parsing them."""
    import pyoxigraph

    quads = []
    graph = pyoxigraph.NamedNode(GRAPH_REGIONS)
    for path in region_files(settings):
        try:
            triples = list(pyoxigraph.parse(_read_bytes(path), format=pyoxigraph.RdfFormat.TURTLE))
        except SyntaxError as exc:
            raise InputError(f"{path}: Turtle syntax error: " + " ".join(str(exc.msg).split())) from None
        quads.extend(pyoxigraph.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
    return pyoxigraph.serialize(quads, format=pyoxigraph.RdfFormat.N_QUADS)


def _hash_file(h, path: Path) -> None:
    """Feed the file's bytes to ``h`` a megabyte at a time: a --data file can be gigabytes."""
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def parse_turtle(path: Path, graph: Graph | None = None) -> Graph:
    """Parse one Turtle file; a syntax error becomes an InputError naming the file and line."""
    graph = graph if graph is not None else Graph()
    data = _read_bytes(path)
    try:
        graph.parse(data=data, format="turtle", publicID=path.resolve().as_uri())
    except Exception as exc:  # rdflib raises several kinds (BadSyntax, ParserError, ValueError)
        raise InputError(f"{path}: {_syntax_message(data, exc)}") from None
    return graph


def _syntax_message(data: bytes, exc: Exception) -> str:
    """A one-line message with the line and column of the error.

    rdflib's Turtle parser reports unreliable line numbers, so the file is parsed again with
    pyoxigraph, whose error names the exact position; rdflib's own message is the fallback.
    """
    import pyoxigraph

    try:
        for _ in pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.TURTLE):
            pass
    except SyntaxError as precise:
        return "Turtle syntax error: " + " ".join(str(precise.msg).split())
    msg = getattr(exc, "message", None) or str(exc)
    return "Turtle syntax error: " + " ".join(str(msg).split())


def load_graphs(settings: Settings) -> Dataset:
    """The asserted graphs as an rdflib Dataset (for inference and validation)."""
    ds = Dataset()
    for graph_iri, paths in input_files(settings).items():
        g = ds.graph(URIRef(graph_iri))
        for path in paths:
            parse_turtle(path, g)
    return ds


def owlrl_closure(asserted: Dataset) -> Graph:
    """The OWL-RL closure of the asserted graphs, minus what is asserted, minus noise."""
    import owlrl

    merged = Graph()
    for graph_iri in ASSERTED_GRAPHS:
        for triple in asserted.graph(URIRef(graph_iri)):
            merged.add(triple)
    before = set(merged)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(merged)
    inferred = Graph()
    for triple in merged:
        if triple not in before and useful(triple):
            inferred.add(triple)
    return inferred


def useful(triple) -> bool:
    """Keep what a query can use: drop literal subjects, reflexive and axiomatic triples."""
    s, p, o = triple
    if isinstance(s, Literal):
        return False  # not RDF; stores and N-Triples reject it
    if s == o and p in (OWL.sameAs, OWL.equivalentClass, OWL.equivalentProperty,
                        RDFS.subClassOf, RDFS.subPropertyOf):
        return False
    if p == RDF.type and o in (OWL.Thing, RDFS.Resource):
        return False
    if o == OWL.Thing and p in (RDFS.subClassOf, RDFS.domain, RDFS.range):
        return False
    if isinstance(s, URIRef) and str(s).startswith(_AXIOMATIC_NAMESPACES):
        return False  # facts about the W3C vocabularies themselves
    return True


def prepare(settings: Settings, merge_extra: bool = True) -> Prepared:
    """Make sure the cached N-Quads of this input set exist; build them if not.

    With extra files (setting extra_files), the shipped part is prepared (or found) on its own and
    the extra graphs appended to a copy: adding a file never recomputes the closure.  With
    ``merge_extra=False`` they are not read here: the result is the shipped part's N-Quads under
    the whole input set's version, the files in ``extra_files`` (for the disk backend, which
    bulk-loads them straight into its store)."""
    start = time.perf_counter()
    version = inputs_hash(settings)
    cache_dir = Path(settings.cache_dir)
    nquads_path = cache_dir / f"dataset-{version}.nq"
    graphs = tuple(g for g in ALL_GRAPHS if (g != GRAPH_INFERRED or settings.inference)
                   and (g != GRAPH_REGIONS or settings.regions_files))
    if settings.extra_files and not merge_extra:
        base = prepare(settings.replace(extra_files=()))
        return Prepared(version, base.nquads_path, base.graphs, time.perf_counter() - start,
                        base.inferred_from_cache, extra_files=tuple(map(Path, settings.extra_files)))
    if settings.extra_files:
        extra_path = cache_dir / f"dataset-{version}.extra.json"  # the extra graphs' names and notes
        if nquads_path.exists() and extra_path.exists():
            notes = json.loads(extra_path.read_text(encoding="utf-8"))
            cached = True
        else:
            from . import extra as extras
            extra = extras.load(settings.extra_files)  # a bad file stops here: nothing is written
            base = prepare(settings.replace(extra_files=()))
            _write_atomically(extra_path, json.dumps(extra.notes, ensure_ascii=False).encode("utf-8"))
            _write_atomically(nquads_path, base.nquads_path.read_bytes(), *extra.nquads)
            notes, cached = extra.notes, False
        return Prepared(version, nquads_path, graphs + tuple(notes), time.perf_counter() - start, cached, notes)

    if nquads_path.exists():
        return Prepared(version, nquads_path, graphs, time.perf_counter() - start, True)

    ds = load_graphs(settings)
    if settings.inference:
        t0 = time.perf_counter()
        inferred = owlrl_closure(ds)
        target = ds.graph(URIRef(GRAPH_INFERRED))
        for triple in inferred:
            target.add(triple)
        log.info("OWL-RL closure: %d triples added in %.2f s", len(inferred), time.perf_counter() - t0)
    published = ds.graph(URIRef(GRAPH_EXAMPLES))
    for triple in examples.triples():
        published.add(triple)
    _write_atomically(nquads_path, ds.serialize(format="nquads", encoding="utf-8") + regions_nquads(settings))
    return Prepared(version, nquads_path, graphs, time.perf_counter() - start, False)


def _write_atomically(path: Path, *parts: bytes) -> None:
    """Write ``parts`` one after another through a temporary file and rename, so concurrent starters
    never read half a file (no joined copy: at a million extra triples that is 224 MB and 0.5 s)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            for data in parts:
                fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
