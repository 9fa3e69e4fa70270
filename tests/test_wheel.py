"""An installed clusterkg works from any directory: the built wheel carries the ontology, data,
shapes and queries, its commands run from an unrelated folder, and the inference cache lands in
the user's cache directory (or the cache_dir setting), never inside the installed package."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from a clean copy of this checkout (a stale build/ or *.egg-info could
    supply files the packaging rules no longer name), unpacked with pip into a folder of its own."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".cache", ".pytest_cache", "tests", "bench"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp / "dist"), str(source)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp / "dist").glob("clusterkg-*.whl")
    target = tmp / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    return target


def test_the_wheel_carries_every_shipped_rdf_file_and_query(installed):
    shipped = [p for folder in ("ontology", "data", "shapes") for p in (REPO / folder).rglob("*")
               if p.suffix in (".ttl", ".nt")]
    queries = list((REPO / "server" / "clusterkg" / "queries").rglob("*.rq"))
    assert shipped and queries
    for path in shipped:
        assert (installed / "clusterkg" / path.relative_to(REPO)).is_file(), path
    for path in queries:
        assert (installed / path.relative_to(REPO / "server")).is_file(), path


def _run(installed: Path, cwd: Path, *args: str, **env_extra: str) -> subprocess.CompletedProcess:
    """The wheel's own `clusterkg` script, its package first on the path, from ``cwd``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERKG_")}
    env.update(PYTHONPATH=str(installed), PYTHONDONTWRITEBYTECODE="1", **env_extra)
    return subprocess.run([str(installed / "bin" / "clusterkg"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_commands_run_from_any_directory_and_cache_outside_the_package(installed, tmp_path):
    work, xdg, chosen = tmp_path / "elsewhere", tmp_path / "xdg", tmp_path / "chosen-cache"
    work.mkdir()
    before = _snapshot(installed)

    where = _run(installed, work, "settings")
    assert where.returncode == 0, where.stderr
    assert f"ontology_dir = PosixPath('{installed / 'clusterkg' / 'ontology'}')" in where.stdout

    validated = _run(installed, work, "validate", XDG_CACHE_HOME=str(xdg))
    assert validated.returncode == 0, validated.stdout + validated.stderr

    stats = _run(installed, work, "stats", "--json", XDG_CACHE_HOME=str(xdg))
    assert stats.returncode == 0, stats.stderr
    graphs = {g["graph"]: g["triples"] for g in json.loads(stats.stdout)["graphs"]}
    assert graphs["https://w3id.org/clusterkg/graph/inferred"] > 0
    assert list((xdg / "clusterkg").glob("dataset-*.nq")), "the default cache is $XDG_CACHE_HOME/clusterkg"

    asked = _run(installed, work, "query", "ASK { <https://w3id.org/clusterkg/id/cluster/wonju> ?p ?o }",
                 "--setting", "cache_dir", str(chosen), "--setting", "inference", "false", XDG_CACHE_HOME=str(xdg))
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["boolean"] is True
    assert list(chosen.glob("dataset-*.nq")), "the cache_dir setting decides where the cache goes"

    assert _snapshot(installed) == before, "a command wrote into the installed package"
    assert list(work.iterdir()) == [], "a command wrote into the working directory"
