"""The remote backend: the named graphs in a SPARQL 1.1 store, reached over HTTP (setting ``backend``).

    backend = RemoteBackend(settings, prepared)     # settings.backend = "http://127.0.0.1:7878/query"

The service in front of it is the same as in front of the embedded store (``service.Service``):
the guard, the time limit and the caps all apply here, not in the store.  Each query is sent as a
SPARQL 1.1 Protocol POST (form-encoded) on a new connection (standard library ``http.client``):

* relative IRIs resolve against https://w3id.org/clusterkg/: a ``BASE`` declaration is prepended;
* the dataset: the protocol's default-graph-uri / named-graph-uri are passed through; a query that
  names no dataset gets every graph held as both (the default graph is their union, and GRAPH ?g
  sees each), so a store's own system graphs (Virtuoso's) never leak into an answer;
* the time limit: the socket's timeout is set, before every read, to what is left until the
  job's deadline; past it the connection is closed and the client gets 503 ``query-timeout``
  (the store may keep working on it: its own limit, e.g. ``oxigraph --timeout-s``, ends that);
* the caps: SELECT/ASK are asked for as SPARQL JSON, CONSTRUCT/DESCRIBE as N-Triples; the answer
  is parsed while it streams in (pyoxigraph), rows (triples) are written as TSV (N-Triples) lines
  until ``max_result_rows`` or ``max_response_bytes``, the rest is never read, and the kept lines
  are re-serialised into the requested format with the embedded store's capping (``store``).

A store that does not answer, answers errors or is not a SPARQL endpoint gives 503
``backend-unavailable`` (said at start in the log, and on every request until it answers again).
"""
from __future__ import annotations

import hashlib
import http.client
import io
import json
import logging
import re
import socket
import time
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox

from .. import formats, named_queries
from ..errors import ClusterkgError
from ..namespaces import BASE as BASE_IRI
from .base import Answer, Job
from .store import lines_answer, ox_format, serialize

log = logging.getLogger(__name__)

RESULTS_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples"
_NONE = "urn:clusterkg:no-graph"     # the dataset when the store holds none of our graphs
_SYNTAX = re.compile(r"syntax|pars(e|ing)|error at \d+:\d+|expected|unexpected|SP030", re.IGNORECASE)
#: Virtuoso answers 500 to a query it cannot compile or evaluate: SQLSTATE 37000 (syntax), 42xxx, 22xxx
_STORE_QUERY_ERROR = re.compile(r"^Virtuoso (37000|42\w{3}|22\w{3}) Error")
_MESSAGE_MAX = 600


class _Deadline(Exception):
    pass


class _Body(io.RawIOBase):
    """The response body as a file for pyoxigraph's parsers; every read ends by the deadline."""

    def __init__(self, response: http.client.HTTPResponse, sock: socket.socket, deadline: float):
        self.response, self.sock, self.deadline = response, sock, deadline
        self.timed_out = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.timed_out = True
            raise _Deadline
        self.sock.settimeout(left)
        try:
            return self.response.readinto(buffer)
        except (socket.timeout, TimeoutError):
            self.timed_out = True
            raise _Deadline from None


class RemoteBackend:
    """A SPARQL 1.1 query endpoint holding clusterkg's named graphs (``clusterkg publish`` puts them there)."""

    def __init__(self, settings, prepared):
        self.settings = settings
        self.url = settings.backend
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ClusterkgError("bad-input", f"setting backend: {self.url!r} is not an http(s) URL of a SPARQL endpoint")
        self._parts = parts
        self.ours = tuple(prepared.graphs)
        self.version = "remote-" + hashlib.sha256(f"{self.url}\n{prepared.version}".encode()).hexdigest()[:16]
        try:
            self.graphs = self.held_graphs()
            if not self.graphs:
                log.warning("backend %s holds none of clusterkg's graphs; publish them first (clusterkg publish)",
                            self.url)
        except ClusterkgError as exc:
            log.warning("backend %s: %s Serving anyway: /sparql answers 503 backend-unavailable until it answers.",
                        self.url, exc.message)
            self.graphs = self.ours

    # --- the backend interface ------------------------------------------------------------------
    def held_graphs(self) -> tuple[str, ...]:
        """Which of our graphs the store holds (asked once, at start; EXISTS stops at a graph's first triple)."""
        values = " ".join(f"<{g}>" for g in self.ours)
        rows = self._select(f"SELECT ?g WHERE {{ VALUES ?g {{ {values} }} FILTER EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} }} }}",
                            self.ours, self.ours)
        held = {str(row["g"].value) for row in rows if row["g"] is not None}
        return tuple(g for g in self.ours if g in held)

    def query(self, job: Job) -> Answer:
        if not job.text.strip():  # Virtuoso would take it for an (empty) update
            raise ClusterkgError("malformed-query", "Malformed query: the query is empty.")
        default, named = self._dataset(job.default_graphs, job.named_graphs, job.union_default)
        fmt = job.format
        began = time.perf_counter()
        response, body = self._post(job.text, default, named, GRAPH_ACCEPT if fmt.kind == formats.GRAPH
                                    else RESULTS_ACCEPT, job.deadline, job.timeout)
        try:
            answer = self._shape(response, body, fmt, job.timeout)
        finally:
            response.close()
        return Answer(answer.media_type, answer.body, answer.truncated, answer.truncation,
                      time.perf_counter() - began)

    def count_triples(self) -> dict:
        default, named = self._dataset((), (), True)
        counts = {str(row["graph"].value): int(row["triples"].value)
                  for row in self._select(named_queries.load("stats-graphs"), default, named)}
        union = self._select(named_queries.load("count-union"), default, named)
        counts[None] = int(union[0]["triples"].value) if union else 0
        return counts

    def dump(self, graph: str | None, fmt: formats.Format) -> bytes:
        if graph is None:
            default, named = self._dataset((), (), True)
            text = "CONSTRUCT WHERE { ?s ?p ?o }"
        else:
            default, named = self.graphs or (_NONE,), (graph,)
            text = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        timeout = max(60.0, self.settings.query_timeout)
        response, body = self._post(text, default, named, GRAPH_ACCEPT, time.monotonic() + timeout, timeout)
        try:
            triples = list(self._parse(body, response, lambda: ox.parse(body, format=ox.RdfFormat.N_TRIPLES), timeout))
        finally:
            response.close()
        where = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
        items = [ox.Quad(t.subject, t.predicate, t.object, where) for t in triples] if fmt.quads else triples
        return serialize(items, fmt)

    def warm(self) -> None:
        """Nothing to load: each query opens its own connection."""

    def close(self) -> None:
        """Nothing held between queries."""

    # --- talking to the store -------------------------------------------------------------------
    def _dataset(self, default_graphs, named_graphs, union_default):
        if default_graphs or named_graphs:
            return tuple(default_graphs), tuple(named_graphs)
        if union_default:
            held = self.graphs or (_NONE,)
            return held, held
        return (), ()  # the query's own FROM / FROM NAMED (the guard checked they are held)

    def _post(self, text: str, default, named, accept: str, deadline: float, timeout: float):
        """Send one query; the response (status 200, a SPARQL answer) and its body as a file."""
        fields = [("query", f"BASE <{BASE_IRI}> {text}")]  # same line: the store's line numbers stay ours
        fields += [("default-graph-uri", g) for g in default] + [("named-graph-uri", g) for g in named]
        payload = urlencode(fields).encode("utf-8")
        parts = self._parts
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        left = deadline - time.monotonic()
        if left <= 0:
            raise _timeout(timeout)
        connection_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = connection_type(parts.hostname, parts.port, timeout=left)
        try:
            conn.request("POST", path, body=payload, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Accept": accept, "User-Agent": "clusterkg"})
            sock = conn.sock  # kept: the connection lets go of it once a response says Connection: close
            sock.settimeout(max(0.001, deadline - time.monotonic()))
            response = conn.getresponse()
        except (socket.timeout, TimeoutError):
            conn.close()
            raise _timeout(timeout) from None
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise self.unavailable(f"it does not answer ({exc.__class__.__name__}: {exc})") from None
        if response.status != 200:
            message = _message(response, sock, deadline)
            conn.close()
            if response.status == 400 or _STORE_QUERY_ERROR.match(message):
                code = "malformed-query" if _SYNTAX.search(message) else "query-error"
                raise ClusterkgError(code, f"The SPARQL store refused the query: {message}")
            raise self.unavailable(f"it answered HTTP {response.status}: {message}")
        media = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
        wanted = {RESULTS_ACCEPT: ("application/sparql-results+json", "application/json"),
                  GRAPH_ACCEPT: ("application/n-triples", "text/plain")}[accept]
        if media not in wanted:
            conn.close()
            raise self.unavailable(f"it answered {media or 'no Content-Type'} where a SPARQL endpoint answers "
                                   f"{accept}: is {self.url} a SPARQL query endpoint?")
        return response, _Body(response, sock, deadline)

    def unavailable(self, why: str) -> ClusterkgError:
        return ClusterkgError("backend-unavailable", f"The SPARQL store behind this endpoint ({self.url}) is "
                              f"unavailable: {why}. Try again later.")

    def _select(self, text: str, default, named) -> list:
        """A query of our own (small answers): its solutions, within the time limit."""
        timeout = self.settings.query_timeout
        response, body = self._post(text, default, named, RESULTS_ACCEPT, time.monotonic() + timeout, timeout)
        try:
            return list(self._parse(body, response, lambda: ox.parse_query_results(
                body, format=ox.QueryResultsFormat.JSON), timeout))
        finally:
            response.close()

    def _parse(self, body: _Body, response, parse, timeout: float):
        """Iterate what ``parse()`` yields from ``body``, turning a stall or a broken answer into errors."""
        try:
            yield from parse()
        except (_Deadline, SyntaxError, ValueError, OSError) as exc:
            raise self._unreadable(body, timeout, exc) from None

    def _unreadable(self, body: _Body, timeout: float, exc: Exception) -> ClusterkgError:
        """A stall past the deadline is the time limit; anything else, a store we cannot read."""
        if isinstance(exc, _Deadline) or body.timed_out:
            return _timeout(timeout)
        return self.unavailable(f"its answer could not be read ({exc})")

    # --- shaping the answer (the embedded store's caps) -------------------------------------------
    def _shape(self, response, body: _Body, fmt: formats.Format, timeout: float) -> Answer:
        rows = self.settings.max_result_rows
        byte_cap = self.settings.max_response_bytes
        if fmt.kind == formats.GRAPH:
            triples = self._parse(body, response, lambda: ox.parse(body, format=ox.RdfFormat.N_TRIPLES), timeout)
            text, cut = _capture((f"{t} .\n" for t in triples), rows, byte_cap)
            convert = None if fmt.name == "ntriples" else (
                lambda data: serialize(ox.parse(data, format=ox.RdfFormat.N_TRIPLES), fmt))
            return lines_answer(text, cut, fmt, 0, convert, rows, byte_cap)
        try:
            result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        except (_Deadline, SyntaxError, ValueError, OSError) as exc:
            raise self._unreadable(body, timeout, exc) from None
        if isinstance(result, ox.QueryBoolean):
            if fmt.kind != formats.RESULTS:
                fmt = formats.DEFAULT[formats.RESULTS]
            return Answer(fmt.media_type, result.serialize(format=ox_format(fmt)))
        variables = result.variables
        solutions = self._parse(body, response, lambda: result, timeout)
        header = "\t".join(str(v) for v in variables) + "\n"
        lines = ("\t".join("" if s[v] is None else str(s[v]) for v in variables) + "\n" for s in solutions)
        text, cut = _capture(lines, rows, None if byte_cap is None else byte_cap - len(header), header)
        tsv = ox.QueryResultsFormat.TSV
        convert = None if fmt.name == "tsv" else (
            lambda data: ox.parse_query_results(data, format=tsv).serialize(format=ox_format(fmt)))
        return lines_answer(text, cut, fmt, 1, convert, rows, byte_cap)


def _capture(lines, max_rows, max_bytes, head: str = "") -> tuple[bytes, str]:
    """``head`` and whole lines up to ``max_rows`` lines and ``max_bytes`` bytes, and which cap cut."""
    parts, size, count, cut = [head.encode("utf-8")], 0, 0, ""
    for line in lines:
        data = line.encode("utf-8")
        if max_rows is not None and count >= max_rows:
            cut = "rows"
            break
        if max_bytes is not None and size + len(data) > max_bytes:
            cut = "bytes"
            break
        parts.append(data)
        size += len(data)
        count += 1
    if hasattr(lines, "close"):
        lines.close()
    return b"".join(parts), cut


def _timeout(timeout: float) -> ClusterkgError:
    return ClusterkgError("query-timeout", f"The query ran longer than this endpoint's time limit of {timeout:g} s "
                          "(setting query_timeout) and was stopped. Narrow it down or add LIMIT.")


def _message(response, sock, deadline: float) -> str:
    """The first lines of an error answer, as one line."""
    try:
        sock.settimeout(max(0.05, min(2.0, deadline - time.monotonic())))
        raw = response.read(4096)
    except (OSError, http.client.HTTPException):
        raw = b""
    text = raw.decode("utf-8", "replace")
    try:
        data = json.loads(text)
        text = data.get("error", {}).get("message") or data.get("message") or text
    except (ValueError, AttributeError):
        pass
    return " ".join(text.split())[:_MESSAGE_MAX] or response.reason
