"""The worker's pool of executor processes: queries run outside the web worker, so a runaway one
can be killed.  What runs inside an executor, and the wire to it: ``executor_process``.

pyoxigraph cannot cancel a query and holds its thread in Rust, so each gunicorn worker keeps a
small pool of executor processes (multiprocessing ``forkserver``: a clean, single-threaded parent
that has already imported pyoxigraph, so a new executor is ready in ~15 ms).  Each executor loads
the prepared N-Quads into its own in-memory Store and answers jobs with serialised bytes
(``store.LocalStore``), so only bytes cross the pipe.

A request takes an idle executor, or starts one while fewer than the worker's share of the CPUs
are busy (``Settings.cpu_share``; executors on a job for over ``STUCK_AFTER`` do not count, so a long
query never holds up short ones), up to ``Settings.max_executors()`` (``max_concurrent_queries``;
by default four per CPU of the worker's share); otherwise it queues, within its time limit.  It
sends the job and waits until its deadline.  An executor still busy after ``RENICE_AFTER``
seconds, and seen burning CPU, is reniced to 19 so that new, cheap queries keep the CPU (and a
fresh executor is started for them); at the deadline it is SIGKILLed and the
client gets 503 ``query-timeout``.  A reniced executor that finishes in time gets its priority back
(or, without CAP_SYS_NICE, is retired); ``SPARE_EXECUTORS`` idle ones are kept warm ahead of need.

Each executor also defends itself (no network, CPU-time and address-space limits, a large stack
for the engine's recursion): see ``executor_process``.  With a ``service_allowlist`` the pool also
runs the worker's federation proxy, the executors' only way out (``federation``).
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import select
import signal
import socket
import threading
import time
from .. import federation
from ..errors import ClusterkgError
from .base import Answer, Job
from .executor_process import OK, READY, REPLY, child_main, encode_job, recv_frame

log = logging.getLogger(__name__)

SPARE_EXECUTORS = 2     # idle executors kept warm per worker
#: A worker keeps its share of the CPUs (Settings.cpu_share()) of executors busy before queries
#: queue for one: a few executors whose stores stay in the CPU caches beat many cold ones.
#: Executors on a job for over STUCK_AFTER seconds do not count, and no query queues longer than
#: that: it gets a new executor then, up to Settings.max_executors().
STUCK_AFTER = 0.1
_RECHECK = 0.01
RENICE_AFTER = 0.5      # seconds a query runs before its executor yields the CPU to others
READY_TIMEOUT = 30.0    # seconds a new executor may take to load the store


def _context():
    """multiprocessing's forkserver, preloaded with what an executor runs (public API only).

    multiprocessing re-runs the parent's main script in each child; under ``clusterkg serve`` that
    is the console script, whose one import (``clusterkg.cli``, which imports nothing heavy at
    module level) the forkserver has already made, so an executor starts without re-importing.
    """
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__package__ + ".executor_process", "clusterkg.cli"])
    return ctx


# --- the worker's side ------------------------------------------------------------------------
class _Executor:
    __slots__ = ("proc", "sock", "pid", "reniced", "poller", "busy_since")

    def __init__(self, proc, sock):
        self.proc, self.sock, self.pid, self.reniced = proc, sock, proc.pid, False
        self.busy_since = 0.0  # time.monotonic() when its current job was sent; 0 when idle
        self.poller = select.poll()
        self.poller.register(sock.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)

    def wait(self, seconds: float) -> bool:
        """True once the executor has written something (or gone away) within ``seconds``."""
        return bool(self.poller.poll(max(0, int(seconds * 1000))))


class ExecutorPool:
    """The executors of one worker process (create it in the process that will use it)."""

    def __init__(self, nquads_path, graphs, settings):
        self._proxy = federation.Proxy(settings) if settings.service_allowlist else None
        self._args = (str(nquads_path), tuple(graphs), settings, self._proxy.path if self._proxy else None)
        self._max = max(1, settings.max_executors())
        self._spares = min(SPARE_EXECUTORS, self._max)
        self._soft = max(1, min(settings.cpu_share(), self._max))
        self._long = 0           # executors reniced on a long query (not counted against the soft cap)
        self._cond = threading.Condition()
        self._idle: list[_Executor] = []
        self._all: set[_Executor] = set()
        self._count = 0          # executors running or starting
        self._closed = False
        self._want = threading.Event()
        self._warmer: threading.Thread | None = None

    # --- running a job ------------------------------------------------------------------------
    def run(self, job: Job) -> Answer:
        """Run one query within its deadline."""
        deadline, timeout = job.deadline, job.timeout
        frame = encode_job(job)
        for _attempt in range(3):
            ex = self._acquire(deadline, timeout)
            ex.busy_since = time.monotonic()
            try:
                ex.sock.sendall(frame)
            except OSError:       # it died while idle: take another
                self._discard(ex)
                continue
            return self._await(ex, deadline, timeout)
        raise ClusterkgError("executor-unavailable", "No query executor could be started; try again.")

    def _await(self, ex: _Executor, deadline: float, timeout: float) -> Answer:
        try:
            ready = ex.wait(min(RENICE_AFTER, deadline - time.monotonic()))
            if not ready:
                ready = self._wait_long(ex, deadline)
            if not ready:
                self._kill(ex)
                raise ClusterkgError(
                    "query-timeout", f"The query ran longer than this endpoint's time limit of {timeout:g} s "
                    "(setting query_timeout) and was stopped. Narrow it down or add LIMIT.")
            (kind, meta_len, _), payload = recv_frame(ex.sock, REPLY)
        except (EOFError, OSError):
            code = self._discard(ex)
            raise ClusterkgError(
                "query-aborted", f"The query engine stopped while evaluating this query ({code}): it needed more "
                "stack or memory than an executor has (settings max_nesting_depth, max_executor_memory_mb). "
                "Simplify the query.") from None
        self._release(ex)
        meta = bytes(payload[:meta_len]).decode("utf-8")
        if kind == OK:
            media_type, truncation, seconds = meta.split("\n", 2)
            return Answer(media_type, bytes(payload[meta_len:]), bool(truncation), truncation, float(seconds))
        code, message = meta.split("\n", 1)
        raise ClusterkgError(code, message)

    def _stuck(self, now: float) -> int:
        """Busy executors on a job for longer than STUCK_AFTER (not yet counted as long)."""
        return sum(1 for ex in self._all if ex.busy_since and not ex.reniced and now - ex.busy_since > STUCK_AFTER)

    def _acquire(self, deadline: float, timeout: float) -> _Executor:
        waited_enough = time.monotonic() + STUCK_AFTER
        with self._cond:
            while True:
                if self._closed:
                    raise ClusterkgError("executor-unavailable", "The server is shutting down.")
                if self._idle:
                    ex = self._idle.pop()
                    break
                now = time.monotonic()
                if self._count < self._max and (self._count - self._long < self._soft or now >= waited_enough
                                                or self._count - self._long - self._stuck(now) < self._soft):
                    self._count += 1
                    ex = None
                    break
                remaining = deadline - now
                if remaining <= 0:
                    raise ClusterkgError(
                        "server-busy", f"All {self._max} query executors of this worker stayed busy for the whole "
                        f"time limit ({timeout:g} s); try again shortly.")
                self._cond.wait(min(remaining, _RECHECK) if self._count < self._max else remaining)
            short = (not self._idle and self._count < self._max
                     and self._count - self._long < max(self._soft, self._spares))
        if ex is None:
            try:
                ex = self._spawn()
            except BaseException:
                with self._cond:
                    self._count -= 1
                    self._cond.notify()
                raise
            with self._cond:
                self._all.add(ex)
        if short:  # the last idle one is taken: start the next before it is needed
            self.warm()
        return ex

    def _release(self, ex: _Executor) -> None:
        if self._closed:
            self._retire(ex)
            return
        if ex.reniced:  # back to normal priority if we may (CAP_SYS_NICE), else start afresh
            try:
                os.setpriority(os.PRIO_PROCESS, ex.pid, 0)
            except OSError:
                self._retire(ex)
                self.warm()
                return
            with self._cond:
                self._long -= 1
                ex.reniced = False
        ex.busy_since = 0.0
        with self._cond:
            self._idle.append(ex)
            self._cond.notify()

    # --- executor lifecycle -------------------------------------------------------------------
    def _spawn(self) -> _Executor:
        parent, child = socket.socketpair()
        proc = _context().Process(target=child_main, args=(child, *self._args), daemon=True, name="clusterkg-executor")
        try:
            proc.start()
        finally:
            child.close()
        ex = _Executor(proc, parent)
        try:
            if ex.wait(READY_TIMEOUT) and recv_frame(parent, REPLY)[0][0] == READY:
                return ex
        except (EOFError, OSError):
            pass
        self._reap(ex, kill=True)
        raise ClusterkgError("executor-unavailable", "A query executor failed to start; see the server log.")

    def _wait_long(self, ex: _Executor, deadline: float) -> bool:
        """Wait out a query past RENICE_AFTER; renice its executor once it is seen burning CPU
        (a query merely queued for a CPU on a busy machine keeps its priority)."""
        before = _cpu_seconds(ex.pid)
        while not ex.reniced:
            slice_end = min(deadline, time.monotonic() + RENICE_AFTER / 2)
            if ex.wait(slice_end - time.monotonic()):
                return True
            if time.monotonic() >= deadline:
                return False
            now = _cpu_seconds(ex.pid)
            if before is None or now is None or now - before >= RENICE_AFTER / 5:
                self._mark_long(ex)
            before = now
        return ex.wait(deadline - time.monotonic())

    def _mark_long(self, ex: _Executor) -> None:
        """A long query: lower its executor's priority, and have a fresh one ready for the others."""
        _renice(ex)
        with self._cond:
            if ex in self._all:
                self._long += 1
                ex.reniced = True
        self.warm()

    def _forget(self, ex: _Executor) -> None:
        with self._cond:
            if ex in self._all:
                self._all.discard(ex)
                self._count -= 1
                self._long -= ex.reniced
            self._cond.notify()

    def _kill(self, ex: _Executor) -> None:
        self._forget(ex)
        self._reap(ex, kill=True)
        self.warm()

    def _retire(self, ex: _Executor) -> None:
        self._forget(ex)
        self._reap(ex, kill=False)

    def _discard(self, ex: _Executor) -> str:
        """Drop an executor that died; say how it ended."""
        self._forget(ex)
        ex.proc.join(1.0)
        code = ex.proc.exitcode
        self._reap(ex, kill=True)
        self.warm()
        if code is None:
            return "executor lost"
        return f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"

    @staticmethod
    def _reap(ex: _Executor, *, kill: bool) -> None:
        if kill:
            try:
                os.kill(ex.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            ex.sock.close()  # an idle executor exits on EOF
        except OSError:
            pass
        threading.Thread(target=ex.proc.join, name="clusterkg-reaper", daemon=True).start()

    # --- keeping spares warm ------------------------------------------------------------------
    def warm(self) -> None:
        """Start (in the background) enough executors that ``SPARE_EXECUTORS`` are idle."""
        if self._closed:
            return
        if self._warmer is None:
            with self._cond:
                if self._warmer is None:
                    self._warmer = threading.Thread(target=self._warm_loop, name="clusterkg-warmer", daemon=True)
                    self._warmer.start()
        self._want.set()

    def _warm_loop(self) -> None:
        while not self._closed:
            self._want.wait()
            self._want.clear()
            while True:
                with self._cond:
                    if (self._closed or len(self._idle) >= self._spares or self._count >= self._max
                            or self._count - self._long >= max(self._soft, self._spares)):
                        break
                    self._count += 1
                try:
                    ex = self._spawn()
                except Exception as exc:
                    if self._closed:
                        pass
                    elif isinstance(exc, ClusterkgError):  # it said why; also seen when the server is stopping
                        log.warning("could not start a query executor (%s); trying again", exc.message)
                    else:
                        log.exception("could not start a query executor")
                    with self._cond:
                        self._count -= 1
                    time.sleep(1.0)
                    break
                with self._cond:
                    self._all.add(ex)
                    self._idle.append(ex)
                    self._cond.notify()

    def close(self) -> None:
        """Stop every executor of this pool (idle ones at once, busy ones by SIGKILL)."""
        with self._cond:
            self._closed = True
            executors = list(self._all)
            self._all.clear()
            self._idle.clear()
            self._count = self._long = 0
            self._cond.notify_all()
        self._want.set()
        for ex in executors:
            self._reap(ex, kill=True)
        if self._proxy is not None:
            self._proxy.close()


def _cpu_seconds(pid: int) -> float | None:
    """CPU time a process has used so far (Linux /proc); None where that cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return None


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _renice(ex: _Executor) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, ex.pid, 19)
    except (OSError, PermissionError):
        pass
