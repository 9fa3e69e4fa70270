"""Inside an executor process, and the wire between it and its worker (``executor.py``).

An executor loads the prepared N-Quads into its own pyoxigraph Store (``store.LocalStore``, the
code the CLI runs) and answers one job at a time with serialised bytes, timing each evaluation
so the worker can tell quick queries (``placement``).  It defends itself: no network at all (a new
network namespace, where the kernel allows it; with a ``service_allowlist``, a relay on its own
loopback leads to the worker's federation proxy and nowhere else: see ``federation``), a CPU-time
rlimit per job (so it dies even if its worker died first), an address-space cap
(``max_executor_memory_mb``) and a 128 MiB stack for the engine's recursion.
"""
from __future__ import annotations

import ctypes
import logging
import os
import pickle
import resource
import signal
import struct
import sys
import threading
import time
import traceback

from .. import federation, formats
from ..errors import ClusterkgError
from .store import LocalStore

log = logging.getLogger(__name__)

STACK_BYTES = 128 << 20
_CLONE_NEWUSER, _CLONE_NEWNET = 0x10000000, 0x40000000


# --- the wire: length-prefixed frames over a socketpair ----------------------------------------
# job   (worker -> executor): !I length, then pickle((text, format name, default graphs, named graphs,
#        union default, timeout, SERVICE targets (start, end, IRI), deadline (time.monotonic())))
# reply (executor -> worker): !BII kind, meta length, body length; meta; body
#   kind OK: meta = "media type\ntruncation\nseconds of evaluation"; kind ERROR: meta = "code\nmessage"; READY: empty
OK, ERROR, READY = 0, 1, 2
REPLY = struct.Struct("!BII")
JOB = struct.Struct("!I")
_CHUNK = 1 << 16


def recv_frame(sock, head: struct.Struct):
    """(header fields, payload) of one frame; EOFError if the peer is gone."""
    buf = sock.recv(_CHUNK)
    while len(buf) < head.size:
        more = sock.recv(_CHUNK)
        if not more:
            raise EOFError
        buf += more
    fields = head.unpack_from(buf)
    need = head.size + sum(fields[1:] if head is REPLY else fields)
    if len(buf) < need:
        data = bytearray(need)
        data[:len(buf)] = buf
        view, got = memoryview(data), len(buf)
        while got < need:
            n = sock.recv_into(view[got:])
            if not n:
                raise EOFError
            got += n
        buf = data
    return fields, memoryview(buf)[head.size:need]


def encode_job(job) -> bytes:
    """One job frame (a ``base.Job``), as the worker sends it."""
    payload = pickle.dumps((job.text, job.format.name, job.default_graphs, job.named_graphs, job.union_default,
                            job.timeout, job.services, job.deadline), protocol=pickle.HIGHEST_PROTOCOL)
    return JOB.pack(len(payload)) + payload


def send_reply(sock, kind: int, meta: str, body: bytes = b"") -> None:
    meta_bytes = meta.encode("utf-8")
    sock.sendmsg([REPLY.pack(kind, len(meta_bytes), len(body)), meta_bytes, body]) if len(body) < _CHUNK \
        else sock.sendall(REPLY.pack(kind, len(meta_bytes), len(body)) + meta_bytes + body)


# --- the executor process ----------------------------------------------------------------------
def child_main(sock, nquads_path, graphs, settings, proxy_path) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the worker decides when executors stop
    _drop_network()
    relay = federation.Relay(proxy_path) if proxy_path else None
    memory_mb = getattr(settings, "max_executor_memory_mb", 0)
    if memory_mb:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, resource.RLIM_INFINITY))
        except (ValueError, OSError):
            pass
    threading.stack_size(STACK_BYTES)
    worker = threading.Thread(target=_serve, args=(sock, nquads_path, graphs, settings, relay), name="clusterkg-executor")
    worker.start()
    worker.join()
    os._exit(0)


def _drop_network() -> None:
    """Enter an empty network namespace: no socket this process opens can reach any host."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(_CLONE_NEWNET) != 0 and libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
            log.debug("executor: no network namespace (errno %d); relying on the query guard", ctypes.get_errno())
    except (OSError, AttributeError):
        pass


def _serve(sock, nquads_path, graphs, settings, relay) -> None:
    store = LocalStore.open(nquads_path, graphs, settings)
    try:
        send_reply(sock, READY, "")
    except OSError:
        return  # the worker went away while this executor was loading (the server is stopping)
    while True:
        try:
            _, payload = recv_frame(sock, JOB)
        except (EOFError, OSError):
            return  # the worker closed the socket (or died): nothing more to do
        text, fmt, default_graphs, named_graphs, union_default, timeout, services, deadline = pickle.loads(payload)
        _limit_cpu(timeout)
        if services and relay is None:  # cannot happen: the guard allows SERVICE only with an allowlist
            send_reply(sock, ERROR, "service-refused\nThis endpoint does not run federated queries (SERVICE).")
            continue
        if services:
            text = federation.rewrite(text, services, relay.port, deadline)
        try:
            began = time.perf_counter()
            answer = store.query(text, formats.BY_NAME[fmt], default_graphs, named_graphs, union_default)
            seconds = time.perf_counter() - began
            kind, meta, body = OK, f"{answer.media_type}\n{answer.truncation}\n{seconds!r}", answer.body
        except ClusterkgError as exc:
            kind, meta, body = ERROR, f"{exc.code}\n{exc.message}", b""
        except Exception:  # a bug of ours: keep the details in the log, not on the wire
            traceback.print_exc(file=sys.stderr)
            kind, meta, body = ERROR, "internal-error\nThe query failed inside the server; the error was logged.", b""
        try:
            send_reply(sock, kind, meta, body)
        except OSError:
            return


def _limit_cpu(timeout: float) -> None:
    """Die by SIGXCPU a little after the time limit, even if no worker is left to kill us."""
    try:
        soft = int(time.process_time() + timeout) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))
    except (ValueError, OSError):
        pass
