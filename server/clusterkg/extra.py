"""Extra RDF files (setting ``extra_files``, ``--data FILE``): each in a named graph of its own.

    extra = load(settings.extra_files)   # parses every file, or raises InputError naming the first bad one
    extra.nquads                          # the graphs as N-Quads (one bytes per file), appended to the prepared dataset
    extra.graphs, extra.notes             # their names, and a line each for the service description

The format comes from the file's suffix, by the format registry (``formats.FORMATS``: the
``suffix`` and ``names`` of the graph formats: .ttl .nt .nq .trig .jsonld .rdf .owl ...);
pyoxigraph parses it. Triples go to ``GRAPH_EXTRA + <file stem>``. A quads file (N-Quads, TriG,
JSON-LD) keeps its own graph names for its named graphs; its default-graph triples go to
``GRAPH_EXTRA + <file stem>``. A graph name that is one of the shipped graphs, or that two files
share, is refused: one file never adds to a graph another file (or the project) fills.

Each graph gets a VoID description inside itself: ``<graph> a void:Dataset ; void:triples N`` (N =
the file's triples in that graph, the description not counted), ``dcterms:source`` the file name,
``dcterms:description`` the format and the sha256 of the file's bytes, and
``ckds:clusterkg void:subset <graph>``.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import formats
from .errors import InputError
from .namespaces import GRAPH_EXTRA, GRAPHS, PREFIXES

_VOID, _DCT, _RDF = PREFIXES["void"], PREFIXES["dcterms"], PREFIXES["rdf"]
_DATASET = PREFIXES["ckds"] + "clusterkg"


@dataclass
class Extra:
    nquads: tuple[bytes, ...] = ()
    graphs: tuple[str, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)


def graph_format(path: Path) -> formats.Format:
    """The registry's graph format of a file, by its suffix; InputError if none."""
    suffix = path.suffix.lower().lstrip(".")
    for fmt in formats.BY_KIND[formats.GRAPH]:
        if suffix and suffix in (fmt.suffix, *fmt.names):
            return fmt
    known = sorted({s for f in formats.BY_KIND[formats.GRAPH] for s in (f.suffix, *f.names) if "+" not in s and "-" not in s})
    raise InputError(f"{path}: unknown RDF file suffix {path.suffix or '(none)'!r}: use one of " + ", ".join("." + s for s in known))


def graph_name(path: Path) -> str:
    """GRAPH_EXTRA + the file stem, lower-cased, anything but letters, digits, '-' and '_' as '-'."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", path.stem.lower()).strip("-")
    if not slug:
        raise InputError(f"{path}: the file name gives no graph name (use letters or digits)")
    return GRAPH_EXTRA + slug


def _message(exc: SyntaxError) -> str:
    text = " ".join(str(exc.msg).split())
    if exc.lineno and f"line {exc.lineno}" not in text:
        text = f"line {exc.lineno}: {text}"
    return text


def parse(path: Path) -> ox.Store:
    """The file in an in-memory store, each of its graphs under its name (its default-graph triples
    under ``graph_name(path)``); InputError naming the file and line if it does not parse.

    pyoxigraph's bulk loader parses and stores in Rust, no Python object per triple: a million
    triples take about 3 s here, against 9 s for the same through Python objects."""
    from .backends.store import ox_format

    fmt = graph_format(path)
    own = ox.NamedNode(graph_name(path))
    store = ox.Store()
    try:
        store.bulk_load(path=str(path), format=ox_format(fmt), base_iri=path.resolve().as_uri(),
                        to_graph=None if fmt.quads else own)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except SyntaxError as exc:
        raise InputError(f"{path}: not valid {fmt.name}: {_message(exc)}") from None
    except ValueError as exc:  # e.g. a blank node as a graph name where the format allows none
        raise InputError(f"{path}: not valid {fmt.name}: {' '.join(str(exc).split())}") from None
    if fmt.quads and next(store.quads_for_pattern(None, None, None, ox.DefaultGraph()), None) is not None:
        store.update(f"ADD DEFAULT TO <{own.value}> ; DROP DEFAULT")
    return store


def load(paths) -> Extra:
    """Parse every file; the first one that fails stops the whole load (nothing is half-loaded)."""
    extra = Extra()
    owner: dict[str, Path] = {}
    dumps: list[bytes] = []
    for path in map(Path, paths):
        fmt = graph_format(path)
        store = parse(path)
        with open(path, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        counts = {row["g"].value: int(row["n"].value) for row in store.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
        for name in sorted(counts) or [graph_name(path)]:
            if name in GRAPHS:
                raise InputError(f"{path}: names the shipped graph <{name}>; an extra file may not add to it")
            if name in owner:
                raise InputError(f"{path}: graph <{name}> is also filled by {owner[name]}; rename one file")
            owner[name] = path
            triples = counts.get(name, 0)
            graph = ox.NamedNode(name)
            store.extend(ox.Quad(s, p, o, graph) for s, p, o in _void(graph, triples, path, fmt, digest))
            extra.notes[name] = f"Extra data from the file {path.name} ({fmt.name}, {triples} triples; `--data`, setting extra_files); outside the OWL-RL closure."
        dumps.append(store.dump(format=ox.RdfFormat.N_QUADS))
    extra.graphs = tuple(owner)
    extra.nquads = tuple(dumps)
    return extra


def _void(graph: ox.NamedNode, triples: int, path: Path, fmt: formats.Format, digest: str):
    yield graph, ox.NamedNode(_RDF + "type"), ox.NamedNode(_VOID + "Dataset")
    yield graph, ox.NamedNode(_VOID + "triples"), ox.Literal(str(triples), datatype=ox.NamedNode(PREFIXES["xsd"] + "integer"))
    yield graph, ox.NamedNode(_DCT + "source"), ox.Literal(path.name)
    yield graph, ox.NamedNode(_DCT + "description"), ox.Literal(
        f"Loaded with clusterkg serve --data from the file {path.name} ({fmt.name}, sha256 {digest}); "
        "void:triples counts the file's triples, not this description.", language="en")
    yield ox.NamedNode(_DATASET), ox.NamedNode(_VOID + "subset"), graph

