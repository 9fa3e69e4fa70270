"""Federated queries (SERVICE) through code of ours: an allowlist, a time limit and a size cap.

pyoxigraph evaluates ``SERVICE <url>`` by fetching the URL itself, with no allowlist, no time
limit and no size cap.  So the engine never gets a remote URL, and has no way to reach one:

* every executor lives in an empty network namespace (``executor_process._drop_network``) whose
  only interface is its own loopback; no socket it opens reaches any other host;
* the guard reports where each allowed SERVICE IRI sits in the query (``Checked.services``); the
  executor replaces each with ``http://127.0.0.1:<relay port>/s/<deadline>/<endpoint>``
  (``rewrite``), a URL on that loopback;
* there a ``Relay`` (one thread in the executor) passes the bytes of each connection on to the
  ``Proxy`` of its worker, over a Unix socket (a file, which crosses network namespaces);
* the ``Proxy`` (threads in the worker, which owns the executor pool) decodes the endpoint,
  checks its host against ``service_allowlist`` again, sends the engine's request on with a time
  limit for the whole call (``service_timeout``, never past the query's deadline) and reads at most
  ``service_max_bytes`` of the answer.  It follows a redirect only to an allowlisted host.  A
  remote that is down, slow, too big or answers an error becomes a one-line error that the
  engine passes on (``error_in``): HTTP 502 ``service-failed`` or 504 ``service-timeout``.

``SERVICE SILENT`` keeps its meaning: a failed call gives the empty solution, not an error.
"""
from __future__ import annotations

import atexit
import base64
import fcntl
import http.client
import logging
import os
import re
import selectors
import shutil
import socket
import socketserver
import ssl
import struct
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import urljoin, urlsplit

from .errors import ClusterkgError
from .guard import host_allowed

log = logging.getLogger(__name__)

MAX_REDIRECTS = 3
#: a call ends this long before the query's deadline, so that its clear 504 reaches the client
#: before the executor is stopped at the deadline (which would say only 503 query-timeout)
DEADLINE_MARGIN = 0.5
_CHUNK = 1 << 16
_ERROR = re.compile(r"clusterkg:(service-failed|service-timeout): ([^\r\n]*)")
_FORWARDED_HEADERS = ("Content-Type", "Accept")
USER_AGENT = "clusterkg-federation (https://w3id.org/clusterkg/)"


# --- the engine's side: the rewrite and the error it passes back ------------------------------
def rewrite(text: str, services, port: int, deadline: float) -> str:
    """``text`` with each allowed SERVICE target (``Checked.services``) replaced by the relay's URL."""
    for start, end, iri in sorted(services, reverse=True):
        token = base64.urlsafe_b64encode(iri.encode("utf-8")).decode("ascii").rstrip("=")
        text = f"{text[:start]}<http://127.0.0.1:{port}/s/{int(deadline * 1000)}/{token}>{text[end:]}"
    return text


def error_in(message: str) -> ClusterkgError | None:
    """The proxy's error inside an engine error message (which quotes the proxy's answer), if any."""
    m = _ERROR.search(message)
    return ClusterkgError(m.group(1), m.group(2)) if m else None


def _decode(path: str) -> tuple[float, str] | None:
    """(deadline, endpoint IRI) of a relay URL path ``/s/<deadline ms>/<base64url IRI>``."""
    parts = path.split("/")
    if len(parts) != 4 or parts[1] != "s" or not parts[2].isdigit():
        return None
    try:
        iri = base64.urlsafe_b64decode(parts[3] + "=" * (-len(parts[3]) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return int(parts[2]) / 1000, iri


# --- the worker's side: the proxy ---------------------------------------------------------------
class _Failure(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class Proxy:
    """The federation proxy of one process (the worker owning an executor pool)."""

    def __init__(self, settings):
        self.allowlist = frozenset(h.strip().lower() for h in settings.service_allowlist if h.strip())
        self.timeout = float(settings.service_timeout)
        self.max_bytes = int(settings.service_max_bytes)
        self._dir = tempfile.mkdtemp(prefix="clusterkg-federation-")  # mode 0700: ours alone
        self.path = os.path.join(self._dir, "proxy.sock")
        atexit.register(_remove, self._dir, os.getpid())  # also when a worker exits without close()
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = _UnixHTTPServer(self.path, Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="clusterkg-federation", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def call(self, method: str, iri: str, deadline: float, body: bytes, headers: dict) -> tuple[int, str, bytes]:
        """(status, content type, body) of the remote's answer, or _Failure saying what went wrong."""
        host = urlsplit(iri).netloc or "?"
        budget = min(self.timeout, deadline - DEADLINE_MARGIN - time.monotonic())
        if budget <= 0:
            raise _Failure("service-timeout", f"SERVICE <{iri}>: no time left for the call within the "
                                              "query's time limit (setting query_timeout).")
        until = time.monotonic() + budget
        try:
            for _ in range(MAX_REDIRECTS + 1):
                if not host_allowed(iri, self.allowlist):
                    raise _Failure("service-failed", f"SERVICE <{iri}> was refused by the federation proxy: "
                                                     "its host is not in service_allowlist.")
                status, reason, media, location, data = self._fetch(method, iri, body, headers, until)
                if status in (301, 302, 303, 307, 308) and location:
                    iri = urljoin(iri, location)
                    if status == 303:
                        method, body = "GET", b""
                    continue
                if not 200 <= status < 300:
                    snippet = data[:200].decode("utf-8", "replace").replace("\n", " ").replace("\r", " ")
                    raise _Failure("service-failed", f"The remote endpoint {host} answered HTTP {status} {reason}"
                                                     + (f": {snippet}" if snippet else "."))
                return status, media, data
            raise _Failure("service-failed", f"The remote endpoint {host} redirected more than {MAX_REDIRECTS} times.")
        except (socket.timeout, TimeoutError):
            raise _Failure("service-timeout", f"The remote endpoint {host} did not answer within {budget:.3g} s "
                                              "(setting service_timeout, bounded by query_timeout).") from None
        except (OSError, http.client.HTTPException) as exc:
            raise _Failure("service-failed", f"The remote endpoint {host} could not be queried: "
                                             f"{type(exc).__name__}: {exc or 'connection closed'}.") from None

    def _fetch(self, method, iri, body, headers, until):
        """One HTTP exchange, all of it before ``until``; the body read up to the size cap."""
        parts = urlsplit(iri)
        remaining = until - time.monotonic()
        if remaining <= 0:
            raise socket.timeout
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=remaining,
                                               context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=remaining)
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request(method, target, body=body or None,
                         headers={**headers, "User-Agent": USER_AGENT, "Connection": "close"})
            sock = conn.sock  # kept: http.client lets go of it once a response says the connection closes
            sock.settimeout(max(0.001, until - time.monotonic()))
            response = conn.getresponse()
            chunks, size = [], 0
            while True:
                remaining = until - time.monotonic()
                if remaining <= 0:
                    raise socket.timeout
                sock.settimeout(remaining)
                chunk = response.read1(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_bytes:
                    raise _Failure("service-failed", f"The remote endpoint {parts.netloc} answered more than "
                                                     f"{self.max_bytes} bytes (setting service_max_bytes); "
                                                     "the call was cut.")
                chunks.append(chunk)
            return (response.status, response.reason, response.getheader("Content-Type", ""),
                    response.getheader("Location"), b"".join(chunks))
        finally:
            conn.close()


def _remove(folder: str, owner: int) -> None:
    if os.getpid() == owner:  # not in a forked child, whose parent's proxy still runs
        shutil.rmtree(folder, ignore_errors=True)


class _Handler(BaseHTTPRequestHandler):
    """One call from an engine (through its relay): forward it, or answer the one-line error."""

    owner: Proxy
    protocol_version = "HTTP/1.0"

    def do_POST(self):
        target = _decode(self.path.split("?", 1)[0])
        if target is None:
            return self._reply(400, "text/plain", b"not a federation proxy URL")
        deadline, iri = target
        if "?" in self.path:  # the engine's GET form puts the query in the URL
            iri += ("&" if "?" in iri else "?") + self.path.split("?", 1)[1]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {h: self.headers[h] for h in _FORWARDED_HEADERS if self.headers.get(h)}
        try:
            status, media, data = self.owner.call(self.command, iri, deadline, body, headers)
        except _Failure as exc:
            failure = exc
        except Exception:  # a bug of ours: logged, and still a clear answer rather than a dropped call
            log.exception("federation proxy")
            failure = _Failure("service-failed", f"SERVICE <{iri}>: the federation proxy failed; see the server log.")
        else:
            return self._reply(status, media or "application/octet-stream", data)
        log.info("federation: %s %s", failure.code, failure.message)
        status = 504 if failure.code == "service-timeout" else 502
        self._reply(status, "text/plain; charset=utf-8", f"clusterkg:{failure.code}: {failure.message}".encode("utf-8"))

    do_GET = do_POST

    def _reply(self, status: int, media: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def address_string(self) -> str:
        return "executor"

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
        log.debug("federation: " + format, *args)


# --- the executor's side: the relay -------------------------------------------------------------
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1


def _loopback_up(sock) -> None:
    """Bring up ``lo`` (down in a new network namespace); nothing to do, or not allowed, elsewhere."""
    try:
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, _SIOCGIFFLAGS, struct.pack("16sH14s", b"lo", 0, b"")))[1]
        if not flags & _IFF_UP:
            fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | _IFF_UP, b""))
    except OSError as exc:
        log.debug("federation relay: cannot bring lo up (%s)", exc)


class Relay:
    """A TCP listener on the executor's loopback that passes each connection to the proxy's socket."""

    def __init__(self, proxy_path: str):
        self.proxy_path = proxy_path
        self._listener = socket.socket()
        _loopback_up(self._listener)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._run, name="clusterkg-relay", daemon=True).start()

    def _run(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self._listener, selectors.EVENT_READ)
        peers: dict = {}
        while True:
            for key, _ in sel.select():
                try:
                    self._step(key.fileobj, sel, peers)
                except Exception:  # a bug of ours: logged; the relay keeps serving the next calls
                    log.exception("federation relay")

    def _step(self, sock, sel, peers) -> None:
        """Handle one ready socket: a new connection, or bytes (or the end) of an exchange."""
        if sock is self._listener:
            try:
                conn, _ = sock.accept()
            except OSError:  # e.g. out of file descriptors: the engine's call fails, not the relay
                return
            upstream = socket.socket(socket.AF_UNIX)
            try:
                upstream.connect(self.proxy_path)
            except OSError:
                conn.close()
                upstream.close()
                return
            peers[conn], peers[upstream] = upstream, conn
            sel.register(conn, selectors.EVENT_READ)
            sel.register(upstream, selectors.EVENT_READ)
            return
        other = peers.get(sock)
        if other is None:  # closed with its peer earlier in this round
            return
        try:
            data = sock.recv(_CHUNK)
            if data:
                other.sendall(data)
                return
        except OSError:
            pass
        for s in (sock, other):  # one side is done: so is the exchange
            sel.unregister(s)
            peers.pop(s, None)
            s.close()
