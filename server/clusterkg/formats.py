"""The response formats: their names, media types, and content negotiation.

Two kinds: ``results`` (SELECT/ASK: SPARQL JSON, XML, CSV, TSV) and ``graph``
(CONSTRUCT/DESCRIBE, the service description and the graph store: Turtle, N-Triples, JSON-LD,
RDF/XML, TriG, N-Quads).  A format is chosen by the ``format`` parameter (a short name or a media
type, for browsers and the CLI) or else by the ``Accept`` header, q-values honoured.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pyoxigraph import QueryResultsFormat, RdfFormat

from .errors import ClusterkgError

RESULTS = "results"
GRAPH = "graph"
_W3 = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    name: str
    kind: str
    media_type: str          # what Content-Type says
    accept: tuple[str, ...]  # media types that select it, the canonical one first
    ox: object               # the pyoxigraph format
    iri: str                 # its W3C format IRI (for the service description)
    names: tuple[str, ...] = ()  # further names for ?format= / the CLI


FORMATS: tuple[Format, ...] = (
    Format("json", RESULTS, "application/sparql-results+json",
           ("application/sparql-results+json", "application/json", "text/javascript", "application/javascript"),
           QueryResultsFormat.JSON, _W3 + "SPARQL_Results_JSON", ("srj",)),
    Format("xml", RESULTS, "application/sparql-results+xml",
           ("application/sparql-results+xml", "application/xml", "text/xml"),
           QueryResultsFormat.XML, _W3 + "SPARQL_Results_XML", ("srx",)),
    Format("csv", RESULTS, "text/csv; charset=utf-8", ("text/csv",), QueryResultsFormat.CSV, _W3 + "SPARQL_Results_CSV"),
    Format("tsv", RESULTS, "text/tab-separated-values; charset=utf-8", ("text/tab-separated-values",),
           QueryResultsFormat.TSV, _W3 + "SPARQL_Results_TSV"),
    Format("turtle", GRAPH, "text/turtle; charset=utf-8", ("text/turtle", "application/x-turtle", "application/turtle"),
           RdfFormat.TURTLE, _W3 + "Turtle", ("ttl",)),
    Format("ntriples", GRAPH, "application/n-triples", ("application/n-triples", "text/plain"),
           RdfFormat.N_TRIPLES, _W3 + "N-Triples", ("nt", "n-triples")),
    Format("jsonld", GRAPH, "application/ld+json", ("application/ld+json", "application/json", "application/x-json+ld"),
           RdfFormat.JSON_LD, _W3 + "JSON-LD", ("json-ld", "json")),
    Format("rdfxml", GRAPH, "application/rdf+xml", ("application/rdf+xml",),
           RdfFormat.RDF_XML, _W3 + "RDF_XML", ("rdf", "rdf+xml", "rdf-xml", "xml", "owl")),
    Format("trig", GRAPH, "application/trig", ("application/trig",), RdfFormat.TRIG, _W3 + "TriG"),
    Format("nquads", GRAPH, "application/n-quads", ("application/n-quads",), RdfFormat.N_QUADS, _W3 + "N-Quads",
           ("nq", "n-quads")),
)
BY_KIND = {kind: tuple(f for f in FORMATS if f.kind == kind) for kind in (RESULTS, GRAPH)}
DEFAULT = {RESULTS: BY_KIND[RESULTS][0], GRAPH: BY_KIND[GRAPH][0]}
#: The names the CLI offers (``clusterkg query --format``).
CLI_NAMES = ("json", "xml", "csv", "tsv", "turtle", "ntriples", "nquads", "trig", "jsonld", "rdfxml")


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
        raise ClusterkgError(f"format={name} cannot express {what}; use one of: "
                             + ", ".join(f.name for f in BY_KIND[kind]) + ".", status=400, code="unknown-format")
    raise ClusterkgError(f"Unknown format {name!r}; for {what} use one of: "
                         + ", ".join(f.name for f in BY_KIND[kind]) + ".", status=400, code="unknown-format")


def _parse_accept(header: str) -> list[tuple[str, str, float, int]]:
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
    ranges = _parse_accept(accept)
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
            f"Not acceptable: nothing in Accept: {accept} can express "
            + ("SELECT/ASK results" if kind == RESULTS else "an RDF graph")
            + ". Offered: " + ", ".join(f.accept[0] for f in BY_KIND[kind])
            + " (or pass format=" + "|".join(f.name for f in BY_KIND[kind]) + ").",
            status=406, code="not-acceptable")
    return fmt
