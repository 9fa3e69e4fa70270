"""What the benchmark needs on the machine, installed if missing; and the project's own facts.

Everything here is stdlib-only so `python bench/run.py` works from any Python 3.11+, with or
without the project's venv active.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
REF_VENV = BENCH / ".venv-ref"
#: rdflib-endpoint: the reference, a pure-rdflib SPARQL endpoint (FastAPI + uvicorn).
REF_REQUIREMENT = "rdflib-endpoint[cli]>=0.6,<0.7"


class Missing(RuntimeError):
    """A tool could not be found or installed."""


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _apt_install(package: str) -> None:
    """apt-get install -y PACKAGE, running apt-get update first when the package is unknown."""
    if os.geteuid() != 0:
        raise Missing(f"{package} is not installed and we are not root to apt-get install it")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    known = subprocess.run(["apt-cache", "show", package], **quiet).returncode == 0
    if not known:
        log("apt-get update")
        subprocess.run(["apt-get", "update", "-q"], **quiet)
    log(f"apt-get install -y {package}")
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    proc = subprocess.run(install, **quiet)
    if proc.returncode != 0 and known:  # a stale package list names files the mirror no longer has
        log("apt-get update (the install failed on the old package list)")
        subprocess.run(["apt-get", "update", "-q"], **quiet)
        proc = subprocess.run(install, **quiet)
    if proc.returncode != 0:
        raise Missing(f"apt-get install {package} failed: {proc.stderr.strip()[-500:]}")


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        _apt_install("wrk")
        path = shutil.which("wrk")
    if path is None:
        raise Missing("wrk is not on PATH after installing it")
    return path


def ensure_rdflib_endpoint() -> Path:
    """bench/.venv-ref/bin/rdflib-endpoint, creating the venv and pip-installing it if needed."""
    exe = REF_VENV / "bin" / "rdflib-endpoint"
    if exe.exists():
        return exe
    log(f"creating {REF_VENV.relative_to(REPO)} with {REF_REQUIREMENT}")
    venv.EnvBuilder(with_pip=True, clear=True).create(REF_VENV)
    proc = subprocess.run([str(REF_VENV / "bin" / "python"), "-m", "pip", "install", "-q",
                           "--disable-pip-version-check", REF_REQUIREMENT],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0 or not exe.exists():
        shutil.rmtree(REF_VENV, ignore_errors=True)  # never leave half a venv that looks installed
        raise Missing(f"pip install {REF_REQUIREMENT} failed:\n{proc.stdout[-2000:]}")
    return exe


def find_virtuoso(install: bool) -> tuple[str, str] | None:
    """(virtuoso-t, isql) if installed, installing the Debian package first when asked to."""
    def found():
        server = shutil.which("virtuoso-t")
        isql = shutil.which("isql-vt") or shutil.which("isql-v")
        return (server, isql) if server and isql else None

    if found() is None and install:
        _apt_install("virtuoso-opensource")
    return found()


def project_python(explicit: str | None = None) -> str:
    """The Python that has clusterkg installed: --python, this one, or the repo's .venv."""
    candidates = [explicit] if explicit else [sys.executable, str(REPO / ".venv" / "bin" / "python")]
    for python in candidates:
        ok = subprocess.run([python, "-c", "import clusterkg.settings"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
        if ok:
            return python
    raise Missing(f"no Python with clusterkg installed among {candidates}")


def clusterkg_command(python: str) -> list[str]:
    """The `clusterkg` console script beside that Python (what a user runs)."""
    script = Path(python).parent / "clusterkg"
    if script.exists():
        return [str(script)]
    return [python, "-c", "import sys; from clusterkg.cli import main; sys.exit(main())"]


_PROJECT_INFO = r"""
import json, sys
from clusterkg.settings import Settings
from clusterkg.dataset import prepare
s = Settings.load()
p = prepare(s)   # computes and caches the OWL-RL closure if it is not cached yet
quads = sum(1 for line in open(p.nquads_path, 'rb') if line.strip() and not line.startswith(b'#'))
json.dump({"workers": s.workers, "threads": s.threads, "result_cache_size": s.result_cache_size,
           "nquads": str(p.nquads_path), "version": p.version, "quads": quads,
           "prepare_seconds": p.seconds, "inferred_from_cache": p.inferred_from_cache}, sys.stdout)
"""


def project_info(python: str) -> dict:
    """clusterkg's settings (workers, threads) and its prepared N-Quads (inference cached)."""
    proc = subprocess.run([python, "-c", _PROJECT_INFO], cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise Missing(f"clusterkg.dataset.prepare failed:\n{proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout)
