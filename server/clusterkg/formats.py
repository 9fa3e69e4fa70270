"""The response formats: their names, media types, and content negotiation.

Two kinds: ``results`` (SELECT/ASK: SPARQL JSON, XML, CSV, TSV) and ``graph``
(CONSTRUCT/DESCRIBE, the service description and the graph store: Turtle, N-Triples, JSON-LD,
RDF/XML, TriG, N-Quads).  A format is chosen by the ``format`` parameter (a short name or a media
type, for browsers and the CLI) or else by the ``Accept`` header, q-values honoured.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .errors import ClusterkgError

RESULTS = "results"
GRAPH = "graph"
_W3 = "http://www.w3.org/ns/formats/"

#: How a format says in its body that a result was cut (the X-Clusterkg-Truncated header always does)
NOTE_JSON, NOTE_XML_COMMENT, NOTE_HASH_COMMENT, NOTE_NONE = "json-member", "xml-comment", "hash-comment", "none"


@dataclass(frozen=True)
class Format:
    name: str
    kind: str                # RESULTS (SELECT/ASK) or GRAPH (CONSTRUCT/DESCRIBE, dumps)
    media_type: str          # what Content-Type says (pyoxigraph and remote stores know it too)
    accept: tuple[str, ...]  # media types that select it, the canonical one first
    iri: str                 # its W3C format IRI (for the service description)
    names: tuple[str, ...] = ()  # further names for ?format= / the CLI
    suffix: str = ""         # the file suffix of a dump in this format
    quads: bool = False      # holds named graphs (N-Quads, TriG, JSON-LD)
    prefixes: bool = False   # declares prefixes (Turtle, TriG, RDF/XML)
    row_mark: bytes = b""    # results: a mark that occurs at least once per row (see ``row_bound``)
    row_mark_extra: int = 0  # ... corrected by this many for the rest of the document
    note: str = NOTE_NONE    # how the body says it was truncated


FORMATS: tuple[Format, ...] = (
    Format("json", RESULTS, "application/sparql-results+json",
           ("application/sparql-results+json", "application/json", "text/javascript", "application/javascript"),
           _W3 + "SPARQL_Results_JSON", ("srj",), "srj", row_mark=b"},{", row_mark_extra=1, note=NOTE_JSON),
    Format("xml", RESULTS, "application/sparql-results+xml",
           ("application/sparql-results+xml", "application/xml", "text/xml"),
           _W3 + "SPARQL_Results_XML", ("srx",), "srx", row_mark=b"<result", row_mark_extra=-1,
           note=NOTE_XML_COMMENT),
    Format("csv", RESULTS, "text/csv; charset=utf-8", ("text/csv",), _W3 + "SPARQL_Results_CSV", (), "csv",
           row_mark=b"\n", row_mark_extra=-1),
    Format("tsv", RESULTS, "text/tab-separated-values; charset=utf-8", ("text/tab-separated-values",),
           _W3 + "SPARQL_Results_TSV", (), "tsv", row_mark=b"\n", row_mark_extra=-1),
    Format("turtle", GRAPH, "text/turtle; charset=utf-8", ("text/turtle", "application/x-turtle", "application/turtle"),
           _W3 + "Turtle", ("ttl",), "ttl", prefixes=True, note=NOTE_HASH_COMMENT),
    Format("ntriples", GRAPH, "application/n-triples", ("application/n-triples", "text/plain"),
           _W3 + "N-Triples", ("nt", "n-triples"), "nt", note=NOTE_HASH_COMMENT),
    Format("jsonld", GRAPH, "application/ld+json", ("application/ld+json", "application/json", "application/x-json+ld"),
           _W3 + "JSON-LD", ("json-ld", "json"), "jsonld", quads=True),
    Format("rdfxml", GRAPH, "application/rdf+xml", ("application/rdf+xml",),
           _W3 + "RDF_XML", ("rdf", "rdf+xml", "rdf-xml", "xml", "owl"), "rdf", prefixes=True, note=NOTE_XML_COMMENT),
    Format("trig", GRAPH, "application/trig", ("application/trig",), _W3 + "TriG", (), "trig",
           quads=True, prefixes=True, note=NOTE_HASH_COMMENT),
    Format("nquads", GRAPH, "application/n-quads", ("application/n-quads",), _W3 + "N-Quads",
           ("nq", "n-quads"), "nq", quads=True, note=NOTE_HASH_COMMENT),
)
BY_KIND = {kind: tuple(f for f in FORMATS if f.kind == kind) for kind in (RESULTS, GRAPH)}
DEFAULT = {RESULTS: BY_KIND[RESULTS][0], GRAPH: BY_KIND[GRAPH][0]}
BY_NAME = {f.name: f for f in FORMATS}


def row_bound(fmt: Format, body: bytes) -> int:
    """At least the number of rows in a SELECT result serialised in ``fmt`` (a C-speed count).

    Each row adds its mark once: JSON writes ``},{`` between two rows, XML ``<result`` opens one
    (``<results>`` is the one extra), CSV and TSV end each line, the header too, with a newline.
    A mark inside a value (JSON and CSV do not escape these characters) only raises the bound, so
    a body whose bound is within a cap holds no more rows than the cap.
    """
    return body.count(fmt.row_mark) + fmt.row_mark_extra


def names(kind: str | None = None) -> tuple[str, ...]:
    """The canonical names of every format (of one kind): the CLI's choices."""
    return tuple(f.name for f in (FORMATS if kind is None else BY_KIND[kind]))


def _names(kind: str) -> dict[str, Format]:
    table: dict[str, Format] = {}
    for f in BY_KIND[kind]:
        for key in (f.name, *f.names, *f.accept):
            table.setdefault(key, f)
    return table


_NAMES = {kind: _names(kind) for kind in (RESULTS, GRAPH)}


def by_name(name: str | None, kind: str) -> Format:
    """The format a ``format`` parameter or CLI name means for results of this kind.

    ``json`` and ``xml`` name JSON-LD and RDF/XML for graph results, so one ``format=json``
    suits any query.  An unknown name, or one that cannot express this kind, is a 400.
    """
    if name is None or name == "":
        return DEFAULT[kind]
    key = name.strip().lower().split(";")[0].strip()
    found = _NAMES[kind].get(key)
    if found is not None:
        return found
    other = GRAPH if kind == RESULTS else RESULTS
    what = "SELECT/ASK results" if kind == RESULTS else "an RDF graph (CONSTRUCT/DESCRIBE)"
    if key in _NAMES[other]:
        raise ClusterkgError("unknown-format", f"format={name} cannot express {what}; use one of: "
                             + ", ".join(f.name for f in BY_KIND[kind]) + ".")
    raise ClusterkgError("unknown-format", f"Unknown format {name!r}; for {what} use one of: "
                         + ", ".join(f.name for f in BY_KIND[kind]) + ".")


def parse_accept(header: str) -> list[tuple[str, str, float, int]]:
    ranges = []
    for index, part in enumerate(header.split(",")):
        fields = part.split(";")
        media = fields[0].strip().lower()
        if "/" not in media:
            continue
        major, minor = (s.strip() for s in media.split("/", 1))
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((major, minor, q, index))
    return ranges


@lru_cache(maxsize=256)
def negotiate(accept: str | None, kind: str) -> Format | None:
    """The best format of this kind for an Accept header; None if none is acceptable (406).

    Each format takes the q of the most specific range matching any of its media types;
    the highest q wins, then an exact match over a wildcard, then the client's order,
    then the server's (JSON, Turtle first).
    """
    if not accept or not accept.strip():
        return DEFAULT[kind]
    ranges = parse_accept(accept)
    best, best_key = None, None
    for rank, fmt in enumerate(BY_KIND[kind]):
        match = None  # (specificity, -index, q)
        for alias_rank, media in enumerate(fmt.accept):
            major, minor = media.split("/", 1)
            for r_major, r_minor, q, index in ranges:
                if r_major == "*" and r_minor == "*":
                    spec = 0
                elif r_major == major and r_minor == "*":
                    spec = 1
                elif r_major == major and r_minor == minor:
                    spec = 2
                else:
                    continue
                cand = (spec, -index, q, -alias_rank)
                if match is None or cand[:2] > match[:2]:
                    match = cand
        if match is None or match[2] <= 0:
            continue
        key = (match[2], match[0], match[1], match[3], -rank)
        if best_key is None or key > best_key:
            best, best_key = fmt, key
    return best


def choose(format_param: str | None, accept: str | None, kind: str) -> Format:
    """The response format: ``format`` wins over Accept; 406 if Accept allows nothing we have."""
    if format_param:
        return by_name(format_param, kind)
    fmt = negotiate(accept, kind)
    if fmt is None:
        raise ClusterkgError(
            "not-acceptable", f"Not acceptable: nothing in Accept: {accept} can express "
            + ("SELECT/ASK results" if kind == RESULTS else "an RDF graph")
            + ". Offered: " + ", ".join(f.accept[0] for f in BY_KIND[kind])
            + " (or pass format=" + "|".join(f.name for f in BY_KIND[kind]) + ").")
    return fmt
