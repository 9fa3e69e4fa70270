"""Where a query runs: in an executor process (killable), or in the web worker itself.

A query text the worker has not seen runs in an executor (``executor.py``), where the time limit
is enforced by SIGKILL; the executor reports how long the evaluation took.  The dataset is
read-only, so the same text over the same dataset version, with the same dataset parameters and
result format, repeats exactly the same work: once it has finished within ``inprocess_max_ms``,
later runs of it are answered from the worker's own store (``store.LocalStore``: the same code,
the same caps), without the hop to an executor, which costs about 0.3 ms of CPU per query (a
third of a cheap one).  pyoxigraph releases the GIL while it evaluates, so such a query does not
hold up the worker's other requests.

What this remembers is a measured cost, never an answer: every query is evaluated every time.
A text that calls a function whose value changes between runs (RAND, NOW, UUID, STRUUID, BNODE)
is never trusted this way, since its work may differ; nor is a query that failed.
"""
from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict

#: SPARQL functions whose value (and so possibly the query's work) differs from run to run.
#: (and \u escapes, which could spell one of them in a way this pattern does not see)
_VOLATILE = re.compile(r"\b(RAND|NOW|UUID|STRUUID|BNODE)\s*\(|\\[uU]", re.IGNORECASE)
MEMO_SIZE = 4096  # query keys remembered per worker (16-byte digests: about 1 MB)


class CostMemo:
    """Per-worker memory of which exact queries are known to finish quickly."""

    def __init__(self, max_ms: float, size: int = MEMO_SIZE):
        self.max_seconds = max(0.0, float(max_ms)) / 1000.0
        self.size = size
        self._cheap: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()
        self.in_process = 0   # queries answered in the worker
        self.executed = 0     # queries sent to an executor

    @staticmethod
    def key(text: str, fmt: str, default_graphs, named_graphs, version: str) -> bytes:
        digest = hashlib.blake2b(digest_size=16)
        for part in (version, fmt, "\x1f".join(default_graphs), "\x1f".join(named_graphs), text):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\x1e")
        return digest.digest()

    def known_cheap(self, key: bytes) -> bool:
        """True if this exact query already finished within the bound (counted as in-process)."""
        if not self.max_seconds:
            return False
        with self._lock:
            if key in self._cheap:
                self._cheap.move_to_end(key)
                self.in_process += 1
                return True
            self.executed += 1
            return False

    def record(self, key: bytes, text: str, seconds: float | None) -> None:
        """An executor finished ``text`` in ``seconds``: remember it if that is within the bound."""
        if seconds is None or seconds > self.max_seconds or _VOLATILE.search(text):
            return
        with self._lock:
            self._cheap[key] = None
            while len(self._cheap) > self.size:
                self._cheap.popitem(last=False)

    def stats(self) -> dict:
        with self._lock:
            return {"known_cheap": len(self._cheap), "in_process": self.in_process, "executed": self.executed}
