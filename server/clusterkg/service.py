"""The service: the one call that answers a query, for every caller.

    service = Service(settings, backends.open_backend(settings, dataset.prepare(settings)))
    answer = service.answer("SELECT …", format="csv")        # Answer(media_type, body, truncated, …)

``answer(text, format, accept, dataset, started)`` checks the query (``guard``: read-only, SERVICE
allowlist, graphs held, length, nesting), picks the response format (``formats``), looks in the
result cache, and asks the backend (``backends``) to evaluate it within the time limit and the
caps.  The /sparql view, the graph store, the service description's counts, ``clusterkg query``
and the pages all call it; none of them reaches the data another way.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict

from . import formats
from .backends import Answer, Backend, Job
from .guard import Guard
from .namespaces import GRAPHS
from .settings import Settings

_CACHE_MAX_BODY = 1 << 20     # answers larger than this are not kept in the result cache
_CACHE_MAX_TOTAL = 64 << 20    # nor more than this in all, per process
_RENDERED_MAX = 512            # fixed responses (dumps, descriptions) kept per process


class ResultCache:
    """An LRU of answers for one service (one backend, one dataset version); key: the request
    (query, format or Accept, dataset).  At most ``size`` entries (setting result_cache_size),
    1 MB each, 64 MB in all."""

    def __init__(self, size: int):
        self.size = max(0, int(size))
        self._entries: OrderedDict = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        if not self.size:
            return None
        with self._lock:
            answer = self._entries.get(key)
            if answer is not None:
                self._entries.move_to_end(key)
            return answer

    def put(self, key, answer: Answer) -> None:
        if not self.size or len(answer.body) > _CACHE_MAX_BODY:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._entries[key] = answer
            self._bytes += len(answer.body)
            while len(self._entries) > self.size or self._bytes > _CACHE_MAX_TOTAL:
                self._bytes -= len(self._entries.popitem(last=False)[1].body)


class Service:
    """Answers queries over one backend, with the endpoint's rules."""

    def __init__(self, settings: Settings, backend: Backend):
        self.settings = settings
        self.backend = backend
        self.graphs = tuple(backend.graphs)
        self.notes = {**dict(getattr(backend, "notes", {})), **GRAPHS}  # graph -> what it holds
        self.guard = Guard.from_settings(settings, self.graphs)
        self.cache = ResultCache(settings.result_cache_size)
        self._rendered: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._counts: dict | None = None

    @property
    def version(self) -> str:
        return self.backend.version

    def answer(self, text: str, *, format: str | None = None, accept: str | None = None,
               default_graphs=(), named_graphs=(), started: float | None = None) -> Answer:
        """The answer to one query: ``format`` (a name or media type) wins over ``accept``; the
        dataset parameters replace the query's FROM/FROM NAMED; the time limit runs from ``started``
        (time.monotonic(); default now).  Raises ClusterkgError with the reason otherwise.

        The result cache is looked up first, keyed by the arguments as given: the checks and the
        format choice depend on nothing else (the settings and the data are fixed while the
        process runs), and only answers are kept, never refusals."""
        default_graphs, named_graphs = tuple(default_graphs), tuple(named_graphs)
        key = (text, format, None if format else accept, default_graphs, named_graphs)
        answer = self.cache.get(key)
        if answer is not None:
            return answer
        checked = self.guard.check_query(text)
        if default_graphs or named_graphs:
            self.guard.check_graphs(default_graphs + named_graphs)
        fmt = formats.choose(format, accept, checked.kind)
        job = Job(text, fmt, default_graphs, named_graphs, union_default=not checked.has_dataset,
                  timeout=self.settings.query_timeout,
                  started=time.monotonic() if started is None else started, services=checked.services)
        answer = self.backend.query(job)
        self.cache.put(key, answer)
        return answer

    def counts(self) -> dict:
        """Triples per named graph, and (key None) in the default graph; counted once."""
        if self._counts is None:
            self._counts = self.backend.count_triples()
        return self._counts

    def dump(self, graph: str | None, fmt: formats.Format) -> bytes:
        """One named graph (None: the default graph), whole, in ``fmt``; rendered once."""
        return self.rendered(("dump", graph, fmt.name), lambda: self.backend.dump(graph, fmt))

    def rendered(self, key, render) -> bytes:
        """A fixed response (the data never changes while the process runs), rendered once."""
        with self._lock:
            body = self._rendered.get(key)
        if body is None:
            body = render()
            with self._lock:
                self._rendered[key] = body
                while len(self._rendered) > _RENDERED_MAX:
                    self._rendered.popitem(last=False)
        return body

    def warm(self) -> None:
        """Get the backend ready in this process (``clusterkg serve`` calls it in every worker)."""
        self.backend.warm()
        self.counts()

    def close(self) -> None:
        self.backend.close()
