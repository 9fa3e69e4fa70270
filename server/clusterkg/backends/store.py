"""The embedded store: a pyoxigraph Store of the prepared N-Quads, evaluated with the caps.

    store = LocalStore.open(prepared.nquads_path, prepared.graphs, settings)
    answer = store.query("SELECT …", formats.BY_NAME["csv"])   # Answer(media_type, body, truncated, …)

The embedded backend's executor processes run this code, and so does the web worker for queries
known to be quick (``placement``).  It evaluates what the service (``service.Service``) has already
checked: the guard's rules are not repeated here.

Results are serialised by pyoxigraph only.  A small SELECT result is serialised straight into the
requested format; a large one (or a graph) is first written as TSV (N-Triples), one row (triple) per
line, so the rows can be counted and cut as they stream, and the lines kept are re-serialised
natively into the requested format.  A result over ``max_result_rows`` or ``max_response_bytes`` is
cut at a row (triple) boundary and ``Answer.truncation`` says which cap cut it (``rows=10000`` /
``bytes=20000000``).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph as ox

from .. import formats
from ..errors import ClusterkgError
from ..namespaces import BASE as BASE_IRI  # relative IRIs in a query resolve against it (docs/ENDPOINT.md)
from ..namespaces import used_prefixes
from .base import Answer

_TSV = ox.QueryResultsFormat.TSV
_NT = ox.RdfFormat.N_TRIPLES
_NOTE_RESERVE = 400  # bytes kept free for the truncation note


def ox_format(fmt: formats.Format):
    """The pyoxigraph format of a registry format (found by its media type)."""
    if fmt.kind == formats.RESULTS:
        return ox.QueryResultsFormat.from_media_type(fmt.media_type)
    return ox.RdfFormat.from_media_type(fmt.media_type)


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
    """A capped pyoxigraph store of every named graph (default graph = their union)."""

    def __init__(self, store: ox.Store, graphs, *, max_result_rows: int | None = None,
                 max_response_bytes: int | None = None):
        self.store = store
        self.graphs = tuple(graphs)
        self.max_result_rows = max_result_rows
        self.max_response_bytes = max_response_bytes

    @classmethod
    def open(cls, path, graphs, settings=None) -> "LocalStore":
        """The store of an N-Quads file, or of an on-disk store's directory (``disk.py``: opened
        read-only); ``settings`` adds its row and byte caps."""
        if Path(path).is_dir():
            store = ox.Store.read_only(str(path))
        else:
            store = ox.Store()
            store.load(path=str(Path(path)), format=ox.RdfFormat.N_QUADS)
        if settings is None:
            return cls(store, graphs)
        return cls(store, graphs, max_result_rows=settings.max_result_rows,
                   max_response_bytes=settings.max_response_bytes)

    # --- querying -------------------------------------------------------------------------------
    def query(self, text: str, fmt: formats.Format, default_graphs=(), named_graphs=(),
              union_default: bool = True) -> Answer:
        """Run one (already checked) query into ``fmt``, within the caps.

        ``default_graphs``/``named_graphs`` are the protocol's dataset; without them the default
        graph is the union of the named graphs when ``union_default`` (the query names no dataset).
        """
        kwargs: dict = {"base_iri": BASE_IRI}
        if default_graphs or named_graphs:
            # The protocol's dataset replaces the query's FROM/FROM NAMED (SPARQL 1.1 Protocol 2.1.4);
            # with only named graphs given, the default graph is empty (SPARQL 1.1 Query 13.2).
            kwargs["default_graph"] = [ox.NamedNode(u) for u in default_graphs] or ox.DefaultGraph()
            kwargs["named_graphs"] = [ox.NamedNode(u) for u in named_graphs]
        elif union_default:
            kwargs["use_default_graph_as_union"] = True
        try:
            result = self.store.query(text, **kwargs)
        except SyntaxError as exc:
            raise ClusterkgError("malformed-query", f"Malformed query: {exc}") from None
        except (ValueError, OSError, RuntimeError) as exc:
            raise ClusterkgError("query-error", f"The query could not be evaluated: {exc}") from None
        try:
            if isinstance(result, ox.QuerySolutions) and fmt.kind == formats.RESULTS and fmt.name != "tsv":
                small = self._small(result, fmt)
                if small is not None:
                    return small
                result = self.store.query(text, **kwargs)  # a large result: again, counting rows
            return self._shape(result, fmt)
        except (ValueError, OSError, RuntimeError) as exc:  # evaluation continues while serialising
            raise ClusterkgError("query-error", f"The query could not be evaluated: {exc}") from None

    def count_triples(self) -> dict:
        """Triples per named graph, and (key None) in the default graph, their union."""
        from .. import named_queries

        counts = {str(row["graph"].value): int(row["triples"].value)
                  for row in self.store.query(named_queries.load("stats-graphs"))}
        union = self.store.query(named_queries.load("count-union"), use_default_graph_as_union=True)
        counts[None] = int(next(iter(union))["triples"].value)
        return counts

    def dump(self, graph: str | None, fmt: formats.Format) -> bytes:
        """One named graph, or (None) the default graph, their union, whole: no caps apply."""
        if graph is None:
            triples = list(self.store.query("CONSTRUCT WHERE { ?s ?p ?o }", use_default_graph_as_union=True))
            items = [ox.Quad(t.subject, t.predicate, t.object) for t in triples] if fmt.quads else triples
        else:
            quads = list(self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
            items = quads if fmt.quads else [q.triple for q in quads]
        return serialize(items, fmt)

    def _small(self, solutions, fmt: formats.Format) -> Answer | None:
        """The common case at native speed: SELECT results serialised straight into ``fmt``.

        A body shorter than ``(max_result_rows + 1)`` times the smallest possible row in this
        format cannot hold more rows than the cap, nor (being under it) more bytes; such a body is
        the answer.  A longer one stops the serialisation at that size and returns None, and the
        caller evaluates the query again through the counting (TSV) path.
        """
        caps = []
        if self.max_result_rows is not None:
            caps.append(fmt.min_row_bytes * (self.max_result_rows + 1))
        if self.max_response_bytes is not None:
            caps.append(self.max_response_bytes)
        if not caps:
            return Answer(fmt.media_type, solutions.serialize(format=ox_format(fmt)))
        writer = _LineWriter(None, min(caps) - 1)
        try:
            solutions.serialize(writer, format=ox_format(fmt))
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
            return Answer(fmt.media_type, result.serialize(format=ox_format(fmt)))
        if isinstance(result, ox.QuerySolutions):
            if fmt.kind != formats.RESULTS:
                raise ClusterkgError("unknown-format", f"format {fmt.name} cannot express SELECT results.")
            rows = self.max_result_rows
            text, cut = self._capture(result, _TSV, None if rows is None else rows + 1)  # + the header line
            convert = None if fmt.name == "tsv" else (
                lambda data: ox.parse_query_results(data, format=_TSV).serialize(format=ox_format(fmt)))
        else:
            if fmt.kind != formats.GRAPH:
                raise ClusterkgError("unknown-format", f"format {fmt.name} cannot express an RDF graph.")
            text, cut = self._capture(result, _NT, self.max_result_rows)
            convert = None if fmt.name == "ntriples" else (lambda data: serialize(ox.parse(data, format=_NT), fmt, data))
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


def serialize(items, fmt: formats.Format, plain: bytes | None = None) -> bytes:
    """Triples or quads in ``fmt``; a format with prefixes declares those of the one prefix table
    (``namespaces.PREFIXES``) that its data uses (``plain``: the same data as N-Triples/N-Quads)."""
    items = list(items)
    if not fmt.prefixes:
        return ox.serialize(items, format=ox_format(fmt))
    if plain is None:
        plain = ox.serialize(items, format=ox.RdfFormat.N_QUADS if fmt.quads else _NT)
    return ox.serialize(items, format=ox_format(fmt), prefixes=used_prefixes(plain))


def _note(body: bytes, fmt: formats.Format, truncation: str) -> bytes:
    """Say plainly in the body, where the format has room for it, that the result was cut."""
    what, _, limit = truncation.partition("=")
    setting = "max_result_rows" if what == "rows" else "max_response_bytes"
    message = (f"Result truncated: it exceeded this endpoint's limit of {limit} "
               f"{'rows' if what == 'rows' else 'bytes'} (setting {setting}). Add LIMIT/OFFSET to page through it.")
    if fmt.note == formats.NOTE_JSON:
        note = json.dumps({"truncated": True, "limit": truncation, "message": message}).encode()
        return body[:body.rindex(b"}")] + b',"clusterkg":' + note + b"}"
    if fmt.note == formats.NOTE_XML_COMMENT:
        comment = f"<!-- clusterkg: {message} -->\n".encode()
        if body.startswith(b"<?xml"):
            end = body.index(b"?>") + 2
            return body[:end] + b"\n" + comment + body[end:].lstrip(b"\n")
        return comment + body
    if fmt.note == formats.NOTE_HASH_COMMENT:
        return f"# clusterkg: {message}\n".encode() + body
    return body  # CSV, TSV, JSON-LD: the X-Clusterkg-Truncated header says it
