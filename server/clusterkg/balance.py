"""Spread client connections evenly over gunicorn's worker processes.

gunicorn's workers all wait on one listening socket and whichever wakes first accepts.  Clients
that keep their connections alive (SPARQLWrapper sessions, wrk, a browser) then stay with that
worker for good, and on this 2-core machine 8 connections often all land on one worker: one
process, one GIL, one core busy while the other idles (measured on the floor server with
``wrk -c8``: 8/0 split ~2,000 req/s, any other split 4,400-5,400 req/s).

``AcceptBalance`` is a small table in shared memory, made by the master before it forks: each
worker writes how many connections it holds, and a worker stops accepting while another live
worker holds fewer (ties accept, so the split stays within one connection).  A worker whose
entry is not refreshed for ``STALE_AFTER`` seconds (dead, or stopped) no longer counts, so a
connection never waits on a worker that cannot take it.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from multiprocessing.sharedctypes import RawArray

STALE_AFTER = 3.0     # seconds without a heartbeat after which a worker's entry is ignored
RECHECK = 0.05        # how often (s) a worker that holds back looks again


class AcceptBalance:
    """Per-worker connection counts shared by all workers of one server."""

    def __init__(self, workers: int):
        slots = max(2, 2 * int(workers))  # room for replacements while old workers exit
        self._lock = multiprocessing.Lock()
        self._pid = RawArray("q", slots)
        self._conns = RawArray("q", slots)
        self._beat = RawArray("d", slots)

    def join(self) -> int:
        """Claim an entry for this process (a free one, or one whose worker went quiet)."""
        pid, now = os.getpid(), time.monotonic()
        with self._lock:
            for i in range(len(self._pid)):
                if self._pid[i] == 0 or now - self._beat[i] > STALE_AFTER:
                    self._pid[i], self._conns[i], self._beat[i] = pid, 0, now
                    return i
        return -1  # no entry: this worker accepts freely

    def leave(self, slot: int) -> None:
        if slot >= 0 and self._pid[slot] == os.getpid():
            self._pid[slot] = 0

    def may_accept(self, slot: int, conns: int) -> bool:
        """Record ``conns`` for this worker; False while a live worker holds fewer connections."""
        if slot < 0:
            return True
        now = time.monotonic()
        self._conns[slot] = conns
        self._beat[slot] = now
        for i in range(len(self._pid)):
            if i != slot and self._pid[i] and self._conns[i] < conns and now - self._beat[i] <= STALE_AFTER:
                return False
        return True
