"""Real SPARQL 1.1 stores on 127.0.0.1 for the remote-backend tests: Oxigraph's own server (PyPI
``oxigraph``) and OpenLink Virtuoso (Debian's ``virtuoso-opensource``, set up as bench/virtuoso.py
does).  Each loads an N-Quads file with the store's own bulk loader, serves it, and stops on
``close()``.  A store that is not installed is installed here (Oxigraph with pip, Virtuoso with
apt-get, as .ci/run does) or the setup fails loudly: nothing is skipped.

    store = OxigraphStore(workdir); store.load(nquads); store.start()
    store.query_url, store.gsp_url, store.update_url
    store.close()
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class StoreError(RuntimeError):
    pass


def _wait_http(url: str, proc: subprocess.Popen, log: Path, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StoreError(f"{url}: the store exited ({proc.returncode}):\n{log.read_text(errors='replace')[-2000:]}")
        try:
            if requests.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise StoreError(f"{url}: no answer within {seconds:g} s:\n{log.read_text(errors='replace')[-2000:]}")


from processes import stop as _stop  # noqa: E402  (one way to stop a process, for every test module)


class OxigraphStore:
    """``oxigraph load`` into a directory, then ``oxigraph serve`` (writable, for publish tests) or
    ``oxigraph serve-read-only`` (what a deployment runs).  Not ``--union-default-graph``: with it,
    Oxigraph 0.5 ignores a query's FROM (the union stays the default graph); the remote backend
    names the union's graphs itself (default-graph-uri), so the store's own default is never used."""

    name = "oxigraph"

    def __init__(self, work: Path):
        self.work = Path(work)
        self.location = self.work / "db"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.binary = self._binary()

    @staticmethod
    def _binary() -> str:
        found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
        if not Path(found).exists():
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "oxigraph>=0.5,<0.6"], check=True)
        if not Path(found).exists():
            raise StoreError("the oxigraph server is not installed (pip install oxigraph) and could not be installed")
        return found

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base + "/query"

    @property
    def gsp_url(self) -> str:
        return self.base + "/store"

    @property
    def update_url(self) -> str:
        return self.base + "/update"

    def load(self, nquads: Path) -> float:
        self.location.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        proc = subprocess.run([self.binary, "load", "--location", str(self.location), "--file", str(nquads),
                        "--format", "application/n-quads"], capture_output=True, text=True, timeout=600)
        if proc.returncode:
            raise StoreError(f"oxigraph load failed: {proc.stderr[:1000]}")
        return time.perf_counter() - started

    def start(self, *, writable: bool = False, timeout_s: int = 30) -> None:
        self.location.mkdir(parents=True, exist_ok=True)
        argv = [self.binary, "serve" if writable else "serve-read-only", "--location", str(self.location),
                "--bind", f"{HOST}:{self.port}"]
        if not writable:
            argv += ["--timeout-s", str(timeout_s)]
        log = self.work / "oxigraph.log"
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_http(self.query_url, self.proc, log)
        except BaseException:
            self.close()
            raise

    def stop(self) -> None:
        _stop(self.proc)
        self.proc = None

    def close(self) -> None:
        self.stop()


#: one Virtuoso configuration for the tests and the benchmark
VIRTUOSO_INI = Path(__file__).resolve().parents[1] / "deploy" / "virtuoso" / "virtuoso.ini.template"


class VirtuosoStore:
    """A throwaway Virtuoso database in ``work``; both ports on 127.0.0.1.  Its /sparql answers
    queries (the default graph is the union of all graphs); ``grant_updates()`` lets anonymous
    clients write through /sparql-graph-crud and SPARQL Update (for the publish tests only)."""

    name = "virtuoso"

    def __init__(self, work: Path, max_seconds: int = 10):
        self.work = Path(work)
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        self.virtuoso_t, self.isql = self._binaries()
        self.sql_port, self.port = free_port(), free_port()
        (self.work / "virtuoso.ini").write_text(VIRTUOSO_INI.read_text().format(
            dir=self.work, host=HOST, sql_port=self.sql_port, http_port=self.port, max_rows=100000,
            max_seconds=max_seconds))
        self.proc: subprocess.Popen | None = None

    @staticmethod
    def _binaries() -> tuple[str, str]:
        if not shutil.which("virtuoso-t"):
            subprocess.run(["apt-get", "install", "-y", "-qq", "virtuoso-opensource"], check=False,
                           capture_output=True, timeout=900)
        binaries = shutil.which("virtuoso-t"), shutil.which("isql-vt")
        if not all(binaries):
            raise StoreError("Virtuoso is not installed and apt-get could not install it: "
                             "run `apt-get update && apt-get install -y virtuoso-opensource`")
        return binaries  # type: ignore[return-value]

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base + "/sparql"

    @property
    def gsp_url(self) -> str:
        return self.base + "/sparql-graph-crud"

    @property
    def update_url(self) -> str:
        return self.base + "/sparql"

    def start(self) -> None:
        log = self.work / "virtuoso.out"
        with open(log, "ab") as out:
            self.proc = subprocess.Popen([self.virtuoso_t, "-f", "-c", str(self.work / "virtuoso.ini")],
                                         cwd=self.work, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_http(self.query_url, self.proc, log, 120)
        except BaseException:
            self.close()
            raise

    def load(self, nquads: Path) -> float:
        """The bulk loader (ld_dir + rdf_loader_run), as bench/virtuoso.py does."""
        shutil.copy(nquads, self.work / "dataset.nq")
        started = time.perf_counter()
        self.sql(f"ld_dir('{self.work}', 'dataset.nq', 'urn:clusterkg:unnamed'); rdf_loader_run(); checkpoint;")
        out = self.sql("SELECT COUNT(*) FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;")
        if "\n0" not in out.replace(" ", ""):
            raise StoreError(f"virtuoso: the bulk load reported errors:\n{out[-1000:]}")
        self.sql("DELETE FROM DB.DBA.LOAD_LIST;")
        return time.perf_counter() - started

    def grant_updates(self) -> None:
        self.sql('GRANT SPARQL_UPDATE TO "SPARQL"; GRANT EXECUTE ON DB.DBA.SPARQL_INSERT_DICT_CONTENT TO "SPARQL"; '
                 'GRANT EXECUTE ON DB.DBA.SPARQL_DELETE_DICT_CONTENT TO "SPARQL";')

    def revoke_updates(self) -> None:
        self.sql('REVOKE SPARQL_UPDATE FROM "SPARQL";')

    def sql(self, statements: str) -> str:
        proc = subprocess.run([self.isql, f"{HOST}:{self.sql_port}", "dba", "dba", f"exec={statements}"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
        if proc.returncode != 0 or "*** Error" in proc.stdout:
            raise StoreError(f"virtuoso isql failed: {proc.stdout[-1000:]}")
        return proc.stdout

    def stop(self) -> None:
        _stop(self.proc)
        self.proc = None

    def close(self) -> None:
        self.stop()
