"""The in-process query API: a pyoxigraph Store of the prepared N-Quads, guarded and capped.

    store = LocalStore.from_prepared(dataset.prepare(settings), settings)
    answer = store.query("SELECT …", "csv")        # Answer(media_type, body, truncated, truncation)

The CLI (``clusterkg query``) uses it directly and the server's executor processes run exactly
this code, so both refuse updates and SERVICE the same way (``guard.Guard``).

Results are serialised by pyoxigraph only: SELECT results first as TSV (one row per line, so
the rows can be counted and cut as they stream), CONSTRUCT/DESCRIBE as N-Triples (one triple a
line); the lines kept are then re-serialised natively into the requested format.  A result over
``max_result_rows`` or ``max_response_bytes`` is cut at a row (triple) boundary and
``Answer.truncation`` says which cap cut it (``rows=10000`` / ``bytes=20000000``).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from . import formats
from .errors import ClusterkgError
from .guard import Guard

_TSV = ox.QueryResultsFormat.TSV
_NT = ox.RdfFormat.N_TRIPLES
_NOTE_RESERVE = 400  # bytes kept free for the truncation note
#: the fewest bytes one more row adds to a SELECT result in each format ({} , / <result></result> / CRLF)
_MIN_ROW_BYTES = {"json": 3, "xml": 17, "csv": 2, "tsv": 1}

#: Prefixes the Turtle/TriG output declares (the model's namespaces and the common vocabularies).
PREFIXES = {
    "ck": "https://w3id.org/clusterkg/ontology#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "qb": "http://purl.org/linked-data/cube#",
}


@dataclass(frozen=True)
class Answer:
    media_type: str
    body: bytes
    truncated: bool = False
    truncation: str = ""   # e.g. "rows=10000": the value of the X-Clusterkg-Truncated header
    seconds: float | None = None  # evaluation time, where an executor measured it


class _Enough(Exception):
    """Raised from the line-counting writer to stop a serialisation once the caps are reached."""


class _LineWriter:
    """A file-like sink that keeps whole lines up to a count and a byte budget, then stops."""

    __slots__ = ("parts", "lines", "size", "max_lines", "max_bytes", "cut")

    def __init__(self, max_lines: int | None, max_bytes: int | None):
        self.parts: list[bytes] = []
        self.lines = 0
        self.size = 0
        self.max_lines = max_lines
        self.max_bytes = max_bytes
        self.cut = ""

    def write(self, chunk) -> int:
        chunk = bytes(chunk)
        self.parts.append(chunk)
        self.size += len(chunk)
        self.lines += chunk.count(b"\n")
        if self.max_lines is not None and self.lines > self.max_lines:
            self.cut = "rows"
            raise _Enough
        if self.max_bytes is not None and self.size > self.max_bytes:
            self.cut = "bytes"
            raise _Enough
        return len(chunk)

    def flush(self) -> None:
        pass

    def kept(self) -> bytes:
        """Everything written, or on a cut the whole lines within the caps."""
        data = b"".join(self.parts)
        if not self.cut:
            return data
        end = -1
        if self.cut == "rows":
            for _ in range(self.max_lines):
                end = data.index(b"\n", end + 1)
        else:
            end = data.rfind(b"\n", 0, self.max_bytes)
        return data[:end + 1]


class LocalStore:
    """A guarded, capped pyoxigraph store of every named graph (default graph = their union)."""

    def __init__(self, store: ox.Store, graphs, *, guard: Guard | None = None,
                 max_result_rows: int | None = None, max_response_bytes: int | None = None):
        self.store = store
        self.graphs = tuple(graphs)
        self.guard = guard or Guard(graphs=self.graphs)
        self.max_result_rows = max_result_rows
        self.max_response_bytes = max_response_bytes

    @classmethod
    def from_nquads(cls, path, graphs, settings=None) -> "LocalStore":
        store = ox.Store()
        store.load(path=str(path), format=ox.RdfFormat.N_QUADS)
        if settings is None:  # the CLI: same guard, no row or byte caps
            return cls(store, graphs)
        return cls(store, graphs, guard=Guard.from_settings(settings, graphs),
                   max_result_rows=settings.max_result_rows, max_response_bytes=settings.max_response_bytes)

    @classmethod
    def from_prepared(cls, prepared, settings=None) -> "LocalStore":
        """A store loaded from ``prepared.nquads_path``; ``settings`` adds its caps and allowlist."""
        return cls.from_nquads(Path(prepared.nquads_path), prepared.graphs, settings)

    # --- querying -------------------------------------------------------------------------------
    def query(self, text: str, result_format: str | None = None,
              default_graph_uris=None, named_graph_uris=None) -> Answer:
        """Run one query; ``result_format`` is a format name (``formats.CLI_NAMES``) or None."""
        checked = self.guard.check_query(text)
        default_graph_uris = tuple(default_graph_uris or ())
        named_graph_uris = tuple(named_graph_uris or ())
        self.guard.check_graphs(default_graph_uris + named_graph_uris)
        fmt = formats.by_name(result_format, checked.kind)
        kwargs: dict = {}
        if default_graph_uris or named_graph_uris:
            # The protocol's dataset replaces the query's FROM/FROM NAMED (SPARQL 1.1 Protocol 2.1.4);
            # with only named graphs given, the default graph is empty (SPARQL 1.1 Query 13.2).
            kwargs["default_graph"] = [ox.NamedNode(u) for u in default_graph_uris] or ox.DefaultGraph()
            kwargs["named_graphs"] = [ox.NamedNode(u) for u in named_graph_uris]
        elif not checked.has_dataset:
            kwargs["use_default_graph_as_union"] = True
        try:
            result = self.store.query(text, **kwargs)
        except SyntaxError as exc:
            raise ClusterkgError(f"Malformed query: {exc}", status=400, code="malformed-query") from None
        except (ValueError, OSError, RuntimeError) as exc:
            raise ClusterkgError(f"The query could not be evaluated: {exc}", status=400, code="query-error") from None
        try:
            if isinstance(result, ox.QuerySolutions) and fmt.kind == formats.RESULTS and fmt.ox != _TSV:
                small = self._small(result, fmt)
                if small is not None:
                    return small
                result = self.store.query(text, **kwargs)  # a large result: again, counting rows
            return self._shape(result, fmt)
        except (ValueError, OSError, RuntimeError) as exc:  # evaluation continues while serialising
            raise ClusterkgError(f"The query could not be evaluated: {exc}", status=400, code="query-error") from None

    def _small(self, solutions, fmt: formats.Format) -> Answer | None:
        """The common case at native speed: SELECT results serialised straight into ``fmt``.

        A body shorter than ``(max_result_rows + 1)`` times the smallest possible row in this
        format cannot hold more rows than the cap, nor (being under it) more bytes; such a body is
        the answer.  A longer one stops the serialisation at that size and returns None, and the
        caller evaluates the query again through the counting (TSV) path.
        """
        caps = []
        if self.max_result_rows is not None:
            caps.append(_MIN_ROW_BYTES[fmt.name] * (self.max_result_rows + 1))
        if self.max_response_bytes is not None:
            caps.append(self.max_response_bytes)
        if not caps:
            return Answer(fmt.media_type, solutions.serialize(format=fmt.ox))
        writer = _LineWriter(None, min(caps) - 1)
        try:
            solutions.serialize(writer, format=fmt.ox)
        except _Enough:
            return None
        except OSError:
            if writer.cut:
                return None
            raise
        return Answer(fmt.media_type, b"".join(writer.parts))

    def _shape(self, result, fmt: formats.Format) -> Answer:
        if isinstance(result, ox.QueryBoolean):
            if fmt.kind != formats.RESULTS:
                fmt = formats.DEFAULT[formats.RESULTS]
            return Answer(fmt.media_type, result.serialize(format=fmt.ox))
        if isinstance(result, ox.QuerySolutions):
            if fmt.kind != formats.RESULTS:
                raise ClusterkgError(f"format {fmt.name} cannot express SELECT results.", status=400, code="unknown-format")
            rows = self.max_result_rows
            text, cut = self._capture(result, _TSV, None if rows is None else rows + 1)  # + the header line
            convert = None if fmt.ox == _TSV else (lambda data: ox.parse_query_results(data, format=_TSV).serialize(format=fmt.ox))
        else:
            if fmt.kind != formats.GRAPH:
                raise ClusterkgError(f"format {fmt.name} cannot express an RDF graph.", status=400, code="unknown-format")
            text, cut = self._capture(result, _NT, self.max_result_rows)
            convert = None if fmt.ox == _NT else (lambda data: _reserialize(data, fmt))
        body = text if convert is None else convert(text)
        header_lines = 1 if fmt.kind == formats.RESULTS else 0
        limit = self.max_response_bytes
        if limit is not None and len(body) > limit:
            body, cut = self._fit(text, header_lines, convert, limit - _NOTE_RESERVE), "bytes"
        if not cut:
            return Answer(fmt.media_type, body)
        truncation = f"rows={self.max_result_rows}" if cut == "rows" else f"bytes={limit}"
        return Answer(fmt.media_type, _note(body, fmt, truncation), True, truncation)

    def _capture(self, result, fmt, max_lines):
        byte_cap = None if self.max_response_bytes is None else self.max_response_bytes + 1
        writer = _LineWriter(max_lines, byte_cap)
        try:
            result.serialize(writer, format=fmt)
        except _Enough:
            pass
        except OSError:
            if not writer.cut:  # a real error, not our stop surfacing as an I/O error
                raise
        return writer.kept(), writer.cut

    @staticmethod
    def _fit(text: bytes, header_lines: int, convert, limit: int) -> bytes:
        """The longest prefix of whole lines whose converted form fits in ``limit`` bytes."""
        ends = [m.end() for m in re.finditer(b"\n", text)]
        head = ends[header_lines - 1] if header_lines else 0
        ends = ends[header_lines:]

        def render(k: int) -> bytes:
            part = text[:ends[k - 1]] if k else text[:head]
            return part if convert is None else convert(part)

        lo, hi = 0, len(ends)
        best = render(0)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            body = render(mid)
            if len(body) <= limit:
                lo, best = mid, body
            else:
                hi = mid - 1
        return best


def _reserialize(ntriples: bytes, fmt: formats.Format) -> bytes:
    """N-Triples to the requested RDF format; Turtle/TriG declare the known prefixes they use."""
    quads = ox.parse(ntriples, format=_NT)
    if fmt.name in ("turtle", "trig"):
        used = {p: ns for p, ns in PREFIXES.items() if ns.encode() in ntriples}
        return ox.serialize(quads, format=fmt.ox, prefixes=used)
    return ox.serialize(quads, format=fmt.ox)


def _note(body: bytes, fmt: formats.Format, truncation: str) -> bytes:
    """Say plainly in the body, where the format has room for it, that the result was cut."""
    what, _, limit = truncation.partition("=")
    setting = "max_result_rows" if what == "rows" else "max_response_bytes"
    message = (f"Result truncated: it exceeded this endpoint's limit of {limit} "
               f"{'rows' if what == 'rows' else 'bytes'} (setting {setting}). Add LIMIT/OFFSET to page through it.")
    if fmt.name == "json":
        note = json.dumps({"truncated": True, "limit": truncation, "message": message}).encode()
        return body[:body.rindex(b"}")] + b',"clusterkg":' + note + b"}"
    if fmt.name in ("xml", "rdfxml"):
        comment = f"<!-- clusterkg: {message} -->\n".encode()
        if body.startswith(b"<?xml"):
            end = body.index(b"?>") + 2
            return body[:end] + b"\n" + comment + body[end:].lstrip(b"\n")
        return comment + body
    if fmt.name in ("turtle", "trig", "ntriples", "nquads"):
        return f"# clusterkg: {message}\n".encode() + body
    return body  # CSV, TSV, JSON-LD: the X-Clusterkg-Truncated header says it
