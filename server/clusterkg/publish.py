"""``clusterkg publish``: put every named graph of the prepared dataset into a SPARQL 1.1 store.

    publish(prepared.nquads_path, "http://127.0.0.1:7878/store", update_url="http://127.0.0.1:7878/update")

Through the SPARQL 1.1 Graph Store HTTP Protocol: one ``PUT ?graph=<g>`` per named graph, which
replaces that graph, so publishing again replaces and never duplicates.  Every graph in the
N-Quads goes, ours and any brought-in ones; triples outside a named graph are not published.

Nothing half-published, in three steps:

1. stage: each graph is PUT under a temporary name (``urn:clusterkg:staging:<token>:<n>``).  A store
   that refuses writes, or refuses any graph, fails here; the staged graphs are deleted again and
   the live graphs were never touched;
2. swap: with ``update_url`` (the store's SPARQL Update endpoint), one update request
   ``MOVE <staged> TO <g> ; …`` for all graphs (a store that runs one request as one transaction,
   as Oxigraph does, swaps them atomically); without it, each live graph is PUT again (the store
   has just accepted that very data) and the staged ones are deleted;
3. verify: each live graph is read back (GET, N-Triples) and its triples counted; a mismatch is an
   error naming the graph.

The store's own bulk loader (``oxigraph load``, Virtuoso's ``ld_dir``/``rdf_loader_run``) is
faster for large data but needs the store's files or its SQL port; docs/DEPLOY.md compares them.
"""
from __future__ import annotations

import http.client
import re
import secrets
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox

from .errors import ClusterkgError, InputError

NT = "application/n-triples"
_TAG = re.compile(r"<[^>]*>")  # a store's HTML error page, read as text


@dataclass(frozen=True)
class Published:
    graphs: dict[str, int]   # graph IRI -> triples now in the store
    seconds: float
    atomic_swap: bool


def graphs_of(nquads_path: Path) -> dict[str, bytes]:
    """Each named graph of an N-Quads file, as N-Triples."""
    triples: dict[str, list] = defaultdict(list)
    try:
        for quad in ox.parse(path=str(nquads_path), format=ox.RdfFormat.N_QUADS):
            if isinstance(quad.graph_name, ox.NamedNode):
                triples[quad.graph_name.value].append(quad.triple)
    except (OSError, SyntaxError) as exc:
        raise InputError(f"{nquads_path}: {exc}") from None
    return {graph: ox.serialize(items, format=ox.RdfFormat.N_TRIPLES) for graph, items in sorted(triples.items())}


class GraphStore:
    """The few Graph Store Protocol and Update calls publishing needs (standard library HTTP)."""

    def __init__(self, gsp_url: str, update_url: str | None = None, timeout: float = 300.0):
        for url in (gsp_url, update_url):
            if url is not None and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname):
                raise InputError(f"{url!r} is not an http(s) URL")
        self.gsp_url, self.update_url, self.timeout = gsp_url, update_url, timeout

    def _call(self, method: str, url: str, body: bytes | None = None, content_type: str | None = None,
              accept: str | None = None) -> bytes:
        request = urllib.request.Request(url, data=body, method=method)
        if content_type:
            request.add_header("Content-Type", content_type)
        if accept:
            request.add_header("Accept", accept)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) only
                return response.read()
        except urllib.error.HTTPError as exc:
            detail = " ".join(_TAG.sub(" ", exc.read(2000).decode("utf-8", "replace")).split())[:600]
            raise _refused(method, url, f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise _refused(method, url, f"no answer ({getattr(exc, 'reason', exc)})") from None

    def _graph_url(self, graph: str) -> str:
        sep = "&" if urlsplit(self.gsp_url).query else "?"
        return f"{self.gsp_url}{sep}{urlencode({'graph': graph})}"

    def put(self, graph: str, ntriples: bytes) -> None:
        self._call("PUT", self._graph_url(graph), ntriples, NT)

    def delete(self, graph: str) -> None:
        self._call("DELETE", self._graph_url(graph))

    def count(self, graph: str) -> int:
        data = self._call("GET", self._graph_url(graph), accept=NT)
        return sum(1 for _ in ox.parse(data, format=ox.RdfFormat.N_TRIPLES))

    def update(self, text: str) -> None:
        self._call("POST", self.update_url, urlencode({"update": text}).encode(), "application/x-www-form-urlencoded")


def _refused(method: str, url: str, why: str) -> ClusterkgError:
    return ClusterkgError("backend-unavailable", f"the store refused {method} {url}: {why}")


def publish(nquads_path: Path, gsp_url: str, *, update_url: str | None = None, progress=None) -> Published:
    """Stage, swap and verify every named graph of ``nquads_path`` (see the module's docstring)."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    graphs = graphs_of(Path(nquads_path))
    if not graphs:
        raise InputError(f"{nquads_path}: no named graph to publish")
    store = GraphStore(gsp_url, update_url)
    token = secrets.token_hex(6)
    staged: dict[str, str] = {}
    try:
        for n, (graph, data) in enumerate(graphs.items()):
            name = f"urn:clusterkg:staging:{token}:{n}"
            say(f"staging {graph} ({len(data)} bytes)")
            store.put(name, data)
            staged[graph] = name
    except ClusterkgError as exc:
        _drop(store, staged.values())
        raise ClusterkgError(exc.code, f"{exc.message}. Nothing was published: the live graphs are unchanged"
                             + (" and the staged copies were removed." if staged else ".")) from None
    if update_url:
        say("swapping the staged graphs in, in one update request")
        try:
            store.update(" ;\n".join(f"MOVE <{name}> TO <{graph}>" for graph, name in staged.items()))
        except ClusterkgError as exc:
            _drop(store, staged.values())
            raise ClusterkgError(exc.code, f"{exc.message}. The swap was refused; the staged copies were removed.") \
                from None
    else:
        for graph, data in graphs.items():
            say(f"replacing {graph}")
            store.put(graph, data)
        _drop(store, staged.values())
    counts = {}
    for graph, data in graphs.items():
        say(f"counting {graph} in the store")
        counts[graph] = store.count(graph)
        expected = sum(1 for _ in ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
        if counts[graph] != expected:
            raise ClusterkgError("backend-unavailable", f"after publishing, {graph} holds {counts[graph]} triples in "
                                 f"the store, not {expected}: check the store ({gsp_url}) and publish again.")
    return Published(counts, time.perf_counter() - started, bool(update_url))


def _drop(store: GraphStore, names) -> None:
    for name in names:
        try:
            store.delete(name)
        except ClusterkgError:
            pass
