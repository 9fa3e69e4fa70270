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

import itertools
import json
import re
from pathlib import Path

import pyoxigraph as ox

from .. import federation, formats
from ..errors import ClusterkgError
from ..namespaces import BASE as BASE_IRI  # relative IRIs in a query resolve against it (docs/ENDPOINT.md)
from ..namespaces import PREFIXES
from .base import Answer

_TSV = ox.QueryResultsFormat.TSV
_NOTE_RESERVE = 400  # bytes kept free for the truncation note
_IRI = re.compile(rb"<([^>]*)>")  # an IRI as the writers write it
_PREFIX_OF = {iri.encode(): name for name, iri in PREFIXES.items()}  # namespace -> its prefix


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
            raise _engine_error(exc) from None
        try:
            if isinstance(result, ox.QuerySolutions) and fmt.kind == formats.RESULTS:
                direct = self._direct(result, fmt)
                if direct is not None:
                    return direct
                result = self.store.query(text, **kwargs)  # over a cap: again, counting rows exactly
            return self._shape(result, fmt)
        except (ValueError, OSError, RuntimeError) as exc:  # evaluation continues while serialising
            raise _engine_error(exc) from None

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

    def _direct(self, solutions, fmt: formats.Format) -> Answer | None:
        """SELECT results serialised straight into ``fmt``, in one pass: the answer, unless the
        byte cap stops the serialisation or the body may hold more rows than the cap
        (``formats.row_bound``); then None, and the caller counts and cuts exactly."""
        limit = self.max_response_bytes
        if limit is None:
            body = solutions.serialize(format=ox_format(fmt))
        else:
            writer = _LineWriter(None, limit)
            try:
                solutions.serialize(writer, format=ox_format(fmt))
            except _Enough:
                return None
            except OSError:
                if writer.cut:
                    return None
                raise
            body = b"".join(writer.parts)
        if self.max_result_rows is not None and formats.row_bound(fmt, body) > self.max_result_rows:
            return None
        return Answer(fmt.media_type, body)

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
            return lines_answer(text, cut, fmt, 1, convert, rows, self.max_response_bytes)
        if fmt.kind != formats.GRAPH:
            raise ClusterkgError("unknown-format", f"format {fmt.name} cannot express an RDF graph.")
        rows, limit = self.max_result_rows, self.max_response_bytes
        triples = list(itertools.islice(result, None if rows is None else rows + 1))
        cut = "rows" if rows is not None and len(triples) > rows else ""
        triples = triples[:rows]
        body = serialize(triples, fmt)
        if limit is not None and len(body) > _room(limit, cut):
            body, cut = _fit(lambda k: serialize(triples[:k], fmt), len(triples), limit - _NOTE_RESERVE), "bytes"
        return capped_answer(body, cut, fmt, rows, limit)

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



def _engine_error(exc: Exception) -> ClusterkgError:
    """The client's error for an engine error: the federation proxy's own, where it quotes one."""
    return federation.error_in(str(exc)) or ClusterkgError("query-error", f"The query could not be evaluated: {exc}")


def lines_answer(text: bytes, cut: str, fmt: formats.Format, header_lines: int, convert, max_rows, limit) -> Answer:
    """The answer of a result kept as whole lines (TSV with its header line, or N-Triples), one row
    each, in ``fmt`` (``convert`` turns lines into it; None: they are it already), cut to ``limit``
    bytes at a row and noted.  ``cut`` says which cap already cut the lines ("rows", "bytes" or "")."""
    body = text if convert is None else convert(text)
    if limit is not None and len(body) > _room(limit, cut):
        ends = [0] + [m.end() for m in re.finditer(b"\n", text)]

        def render(k: int) -> bytes:
            part = text[:ends[header_lines + k]]
            return part if convert is None else convert(part)
        body, cut = _fit(render, len(ends) - 1 - header_lines, limit - _NOTE_RESERVE), "bytes"
    return capped_answer(body, cut, fmt, max_rows, limit)


def _room(limit: int, cut: str) -> int:
    """The bytes a body may take under ``limit``: all of them, unless a cap cut it and the note
    will be added (then _NOTE_RESERVE fewer: a body cut by rows, or captured up to the byte cap
    and converted, may fit the limit alone and not with its note)."""
    return limit - _NOTE_RESERVE if cut else limit


def capped_answer(body: bytes, cut: str, fmt: formats.Format, max_rows, limit) -> Answer:
    """``body`` as the answer; if a cap cut it, with the X-Clusterkg-Truncated value and the note."""
    if not cut:
        return Answer(fmt.media_type, body)
    truncation = f"rows={max_rows}" if cut == "rows" else f"bytes={limit}"
    return Answer(fmt.media_type, _note(body, fmt, truncation), True, truncation)


def _fit(render, rows: int, limit: int) -> bytes:
    """The longest ``render(k)`` (the first k rows, k <= rows) that fits in ``limit`` bytes."""
    lo, hi = 0, rows
    best = render(0)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        body = render(mid)
        if len(body) <= limit:
            lo, best = mid, body
        else:
            hi = mid - 1
    return best


def serialize(items, fmt: formats.Format) -> bytes:
    """Triples or quads in ``fmt``; a format with prefixes declares those of the one prefix table
    (``namespaces.PREFIXES``) whose namespaces its IRIs are in: written once as N-Triples (or
    N-Quads), its IRIs say which (cheaper than offering the writer the whole table, which it
    tries on every IRI)."""
    items = items if isinstance(items, list) else list(items)
    if not fmt.prefixes:
        return ox.serialize(items, format=ox_format(fmt))
    plain = ox.serialize(items, format=ox.RdfFormat.N_QUADS if fmt.quads else ox.RdfFormat.N_TRIPLES)
    used = {_PREFIX_OF.get(iri[:max(iri.rfind(b"/"), iri.rfind(b"#")) + 1]) for iri in set(_IRI.findall(plain))}
    return ox.serialize(items, format=ox_format(fmt), prefixes={name: PREFIXES[name] for name in PREFIXES if name in used})


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
