"""Where a query runs: in an executor process (killable), or in the web worker itself.

A query text the worker has not seen runs in an executor (``executor.py``), where the time limit
is enforced by SIGKILL; the executor reports how long the evaluation took.  The dataset is
read-only, so the same text over the same dataset version, with the same dataset parameters and
result format, repeats exactly the same work: once it has finished within ``inprocess_max_ms``,
later runs of it are answered from the worker's own store (``store.LocalStore``: the same code,
the same caps), without the hop to an executor, which costs about 0.3 ms of CPU per query (a
third of a cheap one).  pyoxigraph releases the GIL while it evaluates, so such a query does not
hold up the worker's other requests.

At most ``slots`` such queries evaluate at once in one worker (its share of the CPUs, as for
executors): more would only share the same cores.  A query that finds no free slot within
``SLOT_WAIT`` goes to an executor instead.

The trade, measured side by side (bench/run.py --executors-only, c=8, medians of 2 rounds):
0.42 of the floor against 0.38 with every query in an executor, and 0.47 against 0.39 at c=1;
but under that saturation the light queries' p99 rises from 7-10 ms to 11-14 ms (the worst, the
heavy queries', stays about 20 ms either way).  ``inprocess_max_ms = 0`` turns it off.

What this remembers is a measured cost, never an answer: every query is evaluated every time.
A text that calls a function whose value changes between runs (RAND, NOW, UUID, STRUUID, BNODE)
is never trusted this way, since its work may differ; nor is a query that failed, nor one that
names SERVICE anywhere (federated queries run only in executors: see ``federation``).
"""
from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict

#: SPARQL functions whose value (and so possibly the query's work) differs from run to run.
#: (and \u escapes, which could spell one of them in a way this pattern does not see)
_VOLATILE = re.compile(r"\b(RAND|NOW|UUID|STRUUID|BNODE)\s*\(|\\[uU]", re.IGNORECASE)
#: Never in the worker, whose process has the host's network: any text with SERVICE anywhere in it
#: (a remote's answer may change, and only an executor's SERVICE goes through the federation relay;
#: a SERVICE SILENT that failed there would otherwise look like a quick success).
_REMOTE = re.compile(r"SERVICE", re.IGNORECASE)
MEMO_SIZE = 4096  # query keys remembered per worker (16-byte digests: about 1 MB)
SLOT_WAIT = 0.05  # seconds a known-quick query waits for an in-worker slot before taking an executor


class CostMemo:
    """Per-worker memory of which exact queries are known to finish quickly."""

    def __init__(self, max_ms: float, slots: int = 1, size: int = MEMO_SIZE):
        self.max_seconds = max(0.0, float(max_ms)) / 1000.0
        self.size = size
        self._slots = threading.BoundedSemaphore(max(1, int(slots)))
        self._cheap: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()
        self.in_process = 0   # queries answered in the worker
        self.executed = 0     # queries sent to an executor

    @staticmethod
    def key(job, version: str) -> bytes:
        """A 16-byte digest of the job (text, format, dataset) and the dataset version."""
        digest = hashlib.blake2b(digest_size=16)
        for part in (version, job.format.name, "\x1f".join(job.default_graphs), "\x1f".join(job.named_graphs),
                     "union" if job.union_default else "", job.text):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\x1e")
        return digest.digest()

    def take_slot(self, key: bytes) -> bool:
        """True if this exact query already finished within the bound and an in-worker slot is
        free (within SLOT_WAIT): the caller evaluates it here, then calls ``release_slot``."""
        known = False
        if self.max_seconds:
            with self._lock:
                known = key in self._cheap
                if known:
                    self._cheap.move_to_end(key)
        taken = known and self._slots.acquire(timeout=SLOT_WAIT)
        with self._lock:
            if taken:
                self.in_process += 1
            else:
                self.executed += 1
        return taken

    def release_slot(self) -> None:
        self._slots.release()

    def record(self, key: bytes, text: str, seconds: float | None) -> None:
        """An executor finished ``text`` in ``seconds``: remember it if that is within the bound."""
        if seconds is None or seconds > self.max_seconds or _VOLATILE.search(text) or _REMOTE.search(text):
            return
        with self._lock:
            self._cheap[key] = None
            while len(self._cheap) > self.size:
                self._cheap.popitem(last=False)

    def stats(self) -> dict:
        with self._lock:
            return {"known_cheap": len(self._cheap), "in_process": self.in_process, "executed": self.executed}
