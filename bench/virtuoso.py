"""OpenLink Virtuoso (Debian's virtuoso-opensource) as an optional reference: a throwaway database
in bench/out/virtuoso/, both of its ports on 127.0.0.1, the same N-Quads bulk-loaded through isql.

Its /sparql endpoint queries the union of all graphs when the query names none, like clusterkg.
"""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from servers import HOST, Server, ServerError, free_port

#: the same Virtuoso configuration the tests use
_INI = Path(__file__).resolve().parents[1] / "deploy" / "virtuoso" / "virtuoso.ini.template"


class VirtuosoServer(Server):
    """Server whose start() also bulk-loads the N-Quads file (load time reported separately)."""

    def __init__(self, virtuoso_t: str, isql: str, nquads: Path, work: Path, log_dir: Path):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        self.isql, self.work, self.sql_port = isql, work, free_port()
        port = free_port()
        (work / "virtuoso.ini").write_text(_INI.read_text().format(dir=work, host=HOST, sql_port=self.sql_port,
                                                                   http_port=port, max_rows=10000, max_seconds=60))
        shutil.copy(nquads, work / "dataset.nq")
        super().__init__(name="virtuoso", label="Virtuoso (virtuoso-opensource 7)",
                         argv=[virtuoso_t, "-f", "-c", str(work / "virtuoso.ini")], log_dir=log_dir,
                         cwd=work, port=port)
        self.load_seconds = 0.0

    def start(self, probe_query: str, probe_accept: str, timeout: float = 120.0) -> float:
        seconds = super().start(probe_query, probe_accept, timeout)
        t0 = time.perf_counter()
        self._sql("ld_dir('{0}', 'dataset.nq', 'https://w3id.org/clusterkg/graph/unnamed'); "
                  "rdf_loader_run(); checkpoint;".format(self.work))
        out = self._sql("SELECT COUNT(*) FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;")
        if "\n0" not in out.replace(" ", ""):
            raise ServerError(f"virtuoso: the bulk load reported errors:\n{out[-1000:]}")
        self.load_seconds = time.perf_counter() - t0
        return seconds

    def _sql(self, statements: str) -> str:
        proc = subprocess.run([self.isql, f"{HOST}:{self.sql_port}", "dba", "dba", f"exec={statements}"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
        if proc.returncode != 0 or "*** Error" in proc.stdout:
            raise ServerError(f"virtuoso isql failed: {proc.stdout[-1000:]}")
        return proc.stdout
