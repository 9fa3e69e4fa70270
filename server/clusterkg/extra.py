"""Extra RDF files (setting ``extra_files``, ``--data FILE``): each in a named graph of its own.

    extra = load(settings.extra_files)   # parses every file in memory, or raises InputError naming the first bad one
    extra.nquads                          # the graphs as N-Quads, appended to the prepared dataset
    extra.graphs, extra.notes             # their names, and a line each for the service description
    notes = add(store, settings.extra_files, bulk_load)   # the same straight into a store (the disk backend's)

The format comes from the file's suffix, by the format registry (``formats.FORMATS``: the
``suffix`` and ``names`` of the graph formats: .ttl .nt .nq .trig .jsonld .rdf .owl ...);
pyoxigraph's bulk loader parses it, in Rust (a million triples in about 3 s here, against 9 s
through Python objects). Triples go to ``GRAPH_EXTRA + <file stem>``. A quads file (N-Quads, TriG,
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
_COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


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


def store_bulk_load(store: ox.Store, path: Path, fmt, base_iri: str, to_graph) -> None:
    """pyoxigraph's bulk loader on one file, on this thread (``add``'s default loader)."""
    store.bulk_load(path=str(path), format=fmt, base_iri=base_iri, to_graph=to_graph)


def _bulk(store: ox.Store, path: Path, fmt: formats.Format, to_graph, bulk_load) -> None:
    """``bulk_load`` the file into ``store``; InputError naming the file (and line) if it fails."""
    from .backends.store import ox_format

    try:
        bulk_load(store, path, ox_format(fmt), path.resolve().as_uri(), to_graph)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except SyntaxError as exc:
        raise InputError(f"{path}: not valid {fmt.name}: {_message(exc)}") from None
    except ValueError as exc:  # e.g. a blank node as a graph name where the format allows none
        raise InputError(f"{path}: not valid {fmt.name}: {' '.join(str(exc).split())}") from None


def parse(path: Path) -> ox.Store:
    """The file in an in-memory store, each of its graphs under its name (its default-graph triples
    under ``graph_name(path)``); InputError naming the file and line if it does not parse."""
    fmt = graph_format(path)
    own = ox.NamedNode(graph_name(path))
    store = ox.Store()
    _bulk(store, path, fmt, None if fmt.quads else own, store_bulk_load)
    if fmt.quads and next(store.quads_for_pattern(None, None, None, ox.DefaultGraph()), None) is not None:
        store.update(f"ADD DEFAULT TO <{own.value}> ; DROP DEFAULT")
    return store


def add(store: ox.Store, paths, bulk_load=store_bulk_load) -> dict[str, str]:
    """Load every file into ``store``, each graph with its VoID description; the note of each graph
    (graph -> a line for the service description), in the files' order.

    A triples file goes straight into its graph by ``bulk_load(store, path, format, base_iri, graph)``
    (the disk backend passes its loader in parts); a quads file is parsed in memory first, as its
    graph names are known only then.  The first file that fails raises InputError naming it (and
    the line): ``store`` then holds part of the files, and the caller throws it away."""
    owner: dict[str, Path] = {}
    notes: dict[str, str] = {}
    for path in map(Path, paths):
        fmt = graph_format(path)
        if fmt.quads:
            part = parse(path)
            counts = {row["g"].value: int(row["n"].value) for row in part.query(_COUNTS)}
            names = sorted(counts) or [graph_name(path)]
        else:
            names = [graph_name(path)]
        for name in names:
            if name in GRAPHS:
                raise InputError(f"{path}: names the shipped graph <{name}>; an extra file may not add to it")
            if name in owner:
                raise InputError(f"{path}: graph <{name}> is also filled by {owner[name]}; rename one file")
            owner[name] = path
        if fmt.quads:
            store.bulk_load(part.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
        else:
            _bulk(store, path, fmt, ox.NamedNode(names[0]), bulk_load)
            counts = {names[0]: int(next(iter(store.query(
                f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{names[0]}> {{ ?s ?p ?o }} }}")))["n"].value)}
        with open(path, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        for name in names:
            triples = counts.get(name, 0)
            graph = ox.NamedNode(name)
            store.extend(ox.Quad(s, p, o, graph) for s, p, o in _void(graph, triples, path, fmt, digest))
            notes[name] = f"Extra data from the file {path.name} ({fmt.name}, {triples} triples; `--data`, setting extra_files); outside the OWL-RL closure."
    return notes


def load(paths) -> Extra:
    """Every file parsed into memory and written as N-Quads (the in-memory store appends them to
    the prepared dataset); the first one that fails stops the whole load (nothing is half-loaded)."""
    store = ox.Store()
    notes = add(store, paths)
    return Extra((store.dump(format=ox.RdfFormat.N_QUADS),) if notes else (), tuple(notes), notes)


def _void(graph: ox.NamedNode, triples: int, path: Path, fmt: formats.Format, digest: str):
    yield graph, ox.NamedNode(_RDF + "type"), ox.NamedNode(_VOID + "Dataset")
    yield graph, ox.NamedNode(_VOID + "triples"), ox.Literal(str(triples), datatype=ox.NamedNode(PREFIXES["xsd"] + "integer"))
    yield graph, ox.NamedNode(_DCT + "source"), ox.Literal(path.name)
    yield graph, ox.NamedNode(_DCT + "description"), ox.Literal(
        f"Loaded with clusterkg serve --data from the file {path.name} ({fmt.name}, sha256 {digest}); "
        "void:triples counts the file's triples, not this description.", language="en")
    yield ox.NamedNode(_DATASET), ox.NamedNode(_VOID + "subset"), graph
