"""The embedded backend: the prepared dataset in pyoxigraph, queries in killable executors.

Each process that answers requests (a gunicorn worker, the CLI) builds, on first use and again
after a fork, its own executor pool (``executor``: the time limit is enforced by SIGKILL) and its
own in-process store (``store.LocalStore``: counts, dumps, and the queries ``placement`` knows to
be quick).  Both load the prepared N-Quads (``dataset.prepare``), so no data is shared between
processes and nothing is written.
"""
from __future__ import annotations

import os
import threading

from ..formats import Format
from .base import Answer, Job
from .executor import ExecutorPool
from .placement import CostMemo
from .store import LocalStore


class EmbeddedBackend:
    def __init__(self, settings, prepared):
        self.settings = settings
        self.source = prepared.nquads_path
        self.graphs = tuple(prepared.graphs)
        self.notes = dict(prepared.notes)
        self.version = prepared.version
        self.costs = CostMemo(settings.inprocess_max_ms, slots=settings.cpu_share())
        self._lock = threading.Lock()
        self._pid = None
        self._pool: ExecutorPool | None = None
        self._local: LocalStore | None = None

    # --- per-process resources ------------------------------------------------------------------
    def _per_process(self, attr: str, build):
        """``self.<attr>``, built once in this process (a forked worker builds its own)."""
        if getattr(self, attr) is None or self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():  # first use here, or a fork: nothing of the parent's is ours
                    self._pid, self._pool, self._local = os.getpid(), None, None
                if getattr(self, attr) is None:
                    setattr(self, attr, build())
        return getattr(self, attr)

    @property
    def pool(self) -> ExecutorPool:
        return self._per_process("_pool", lambda: ExecutorPool(self.source, self.graphs, self.settings))

    @property
    def local(self) -> LocalStore:
        return self._per_process("_local", lambda: LocalStore.open(self.source, self.graphs, self.settings))

    # --- the backend interface ------------------------------------------------------------------
    def query(self, job: Job) -> Answer:
        """In this process if this exact query is known to be quick (``placement``), else in an
        executor within the time limit, noting how long it took there.  A federated query always
        runs in an executor: only there is SERVICE sent through the federation proxy."""
        costs = self.costs
        cost_key = costs.key(job, self.version)
        if not job.services and costs.take_slot(cost_key):
            try:
                return self.local.query(job.text, job.format, job.default_graphs, job.named_graphs, job.union_default)
            finally:
                costs.release_slot()
        answer = self.pool.run(job)
        costs.record(cost_key, job.text, answer.seconds)
        return answer

    def count_triples(self) -> dict:
        return self.local.count_triples()

    def dump(self, graph: str | None, fmt: Format) -> bytes:
        return self.local.dump(graph, fmt)

    def warm(self) -> None:
        self.pool.warm()
        self.local  # noqa: B018 - load the store now rather than on the first request

    def close(self) -> None:
        with self._lock:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.close()
            self._pool = None
