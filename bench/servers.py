"""Start a server on a free loopback port, wait until it answers, and always stop it.

Every server is spawned in its own process group (start_new_session) so stopping it ends its
gunicorn workers / executor processes too, by that group's id and nothing else.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"  # loopback only: no server here ever binds or is driven on another address


class ServerError(RuntimeError):
    """A server did not start, died, or did not answer in time."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def http_get(url: str, accept: str, timeout: float = 10.0) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of one GET; HTTP errors are answers, not exceptions."""
    req = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers.items(), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.items(), err.read()


@dataclass
class Server:
    name: str                 # short key used in the table and results.json
    label: str                # what it is, for people
    argv: list[str]           # the command; "{port}" in any argument is replaced by the port
    log_dir: Path
    path: str = "/sparql"     # where the SPARQL endpoint answers
    env: dict = field(default_factory=dict)  # added to ours; a None value removes that variable
    cwd: Path | None = None
    port: int = 0
    start_seconds: float = 0.0
    proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def url(self, query: str) -> str:
        return f"{self.base}{self.path}?{urllib.parse.urlencode({'query': query})}"

    def start(self, probe_query: str, probe_accept: str, timeout: float = 120.0) -> float:
        """Spawn, then poll the probe query until it answers 200; returns seconds to that answer."""
        self.port = self.port or free_port()
        argv = [a.replace("{port}", str(self.port)) for a in self.argv]
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.log_dir / f"{self.name}.log"
        log = open(self.log_path, "ab")
        log.write(f"\n$ {' '.join(argv)}\n".encode())
        log.flush()
        t0 = time.perf_counter()
        env = {k: v for k, v in {**os.environ, **self.env}.items() if v is not None}
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=env, cwd=self.cwd, start_new_session=True)
        log.close()
        probe = self.url(probe_query)
        while True:
            if self.proc.poll() is not None:
                raise ServerError(f"{self.name} exited with {self.proc.returncode} before answering; "
                                  f"log {self.log_path}:\n{self.log_tail()}")
            try:
                status, _, body = http_get(probe, probe_accept, timeout=2.0)
                if status == 200 and body:
                    self.start_seconds = time.perf_counter() - t0
                    return self.start_seconds
            except (OSError, urllib.error.URLError):
                pass  # not listening yet
            if time.perf_counter() - t0 > timeout:
                raise ServerError(f"{self.name} did not answer within {timeout:.0f} s; "
                                  f"log {self.log_path}:\n{self.log_tail()}")
            time.sleep(0.02)

    def stop(self) -> None:
        """SIGTERM the server's process group, SIGKILL it after 10 s."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 10
        # Wait for the leader to exit without reaping it (WNOWAIT): while it is a zombie its pid,
        # and so the group id, cannot be reused, so the SIGKILL below reaches only our processes.
        while time.monotonic() < deadline:
            if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                break
            time.sleep(0.05)
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # stragglers in the group (workers, executors)
        except ProcessLookupError:
            pass
        proc.wait()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
