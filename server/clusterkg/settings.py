"""Every limit and path of clusterkg as a named setting with a default and help text.

Settings come, in rising order of precedence, from the defaults below, a TOML file
(``clusterkg serve --config FILE``), environment variables ``CLUSTERKG_<NAME>`` and
explicit keyword overrides (what ``create_app(config)`` and the CLI pass).
``clusterkg settings`` prints them all with their help text.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

#: The repository root: ontology/, data/ and shapes/ live beside server/.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _setting(default, help: str, **kw):
    return field(default=default, metadata={"help": help}, **kw)


@dataclass(frozen=True)
class Settings:
    # --- inputs -------------------------------------------------------------------------
    ontology_dir: Path = _setting(PROJECT_ROOT / "ontology", "Folder of the ontology's Turtle files (graph …/graph/ontology).")
    data_files: tuple = _setting((PROJECT_ROOT / "data" / "clusters.ttl",), "Turtle files of the cluster data (graph …/graph/data).")
    links_files: tuple = _setting((PROJECT_ROOT / "data" / "links.ttl",), "Turtle files of the links to external datasets (graph …/graph/links).")
    regions_files: tuple = _setting((PROJECT_ROOT / "data" / "regions" / "regions.ttl", PROJECT_ROOT / "data" / "regions" / "cluster-regions.ttl"),
                                    "Turtle files of the regional statistics and their links (graph …/graph/regions; not in the OWL-RL closure). Empty: no such graph.")
    shapes_dir: Path = _setting(PROJECT_ROOT / "shapes", "Folder of the SHACL shapes used by `clusterkg validate`.")
    cache_dir: Path = _setting(PROJECT_ROOT / ".cache", "Where the OWL-RL closure and the store's N-Quads are cached, keyed by the inputs' hash.")
    inference: bool = _setting(True, "Compute (or load from cache) the OWL-RL closure into …/graph/inferred.")

    # --- server -------------------------------------------------------------------------
    host: str = _setting("127.0.0.1", "Address `clusterkg serve` binds to.")
    port: int = _setting(8000, "Port `clusterkg serve` binds to.")
    workers: int = _setting(2, "gunicorn worker processes (each answers HTTP; queries run in executor processes).")
    threads: int = _setting(16, "Threads per gunicorn worker: how many requests one worker holds at once.")

    # --- limits (the endpoint is public and read-only) ------------------------------------
    query_timeout: float = _setting(10.0, "Seconds a query may run before it is stopped and the client told so (HTTP 503).")
    max_query_length: int = _setting(100_000, "Largest query text accepted, in bytes (HTTP 413 beyond).")
    max_body_bytes: int = _setting(1_000_000, "Largest request body accepted, in bytes (HTTP 413 beyond).")
    max_result_rows: int = _setting(10_000, "Most rows (or triples) a SELECT/CONSTRUCT/DESCRIBE returns; the response says plainly when it was cut.")
    max_response_bytes: int = _setting(20_000_000, "Largest response body, in bytes; the response says plainly when it was cut.")
    max_nesting_depth: int = _setting(200, "Deepest bracket nesting accepted in a query (HTTP 400 beyond): guards the parsers' recursion.")
    max_concurrent_queries: int = _setting(32, "Executor processes a worker may run at once; beyond this a query waits, within its time limit.")
    max_executor_memory_mb: int = _setting(1024, "Address space one executor process may use, in MiB (a query needing more is stopped: HTTP 400 query-aborted); 0: no cap.")
    service_allowlist: tuple = _setting((), "Hosts a SERVICE clause may name (empty: SERVICE is refused). The server never fetches any other URL a query names.")
    inprocess_max_ms: float = _setting(25.0, "A query whose exact text (same dataset, parameters and format) already finished in an executor within this many ms runs in the web worker itself from then on, skipping the hop (the data is read-only, so it repeats the same work); 0: every query runs in an executor.")
    result_cache_size: int = _setting(0, "Entries in the per-worker result cache keyed by (query, format, dataset, dataset version); 0 turns it off.")

    def cpu_share(self) -> int:
        """This machine's CPUs per gunicorn worker, at least 1: how many queries one worker keeps
        evaluating at once (busy executors, and quick queries in the worker itself)."""
        return max(1, (os.cpu_count() or 2) // max(1, int(self.workers)))

    @classmethod
    def help(cls) -> list[tuple[str, object, str]]:
        """(name, default, help) for every setting, in declaration order."""
        return [(f.name, f.default, f.metadata["help"]) for f in fields(cls)]

    @classmethod
    def load(cls, config_file: str | os.PathLike | None = None, **overrides) -> "Settings":
        """Defaults < TOML file < CLUSTERKG_* environment < keyword overrides (None is ignored)."""
        values: dict = {}
        if config_file is not None:
            with open(config_file, "rb") as fh:
                values.update(tomllib.load(fh))
        known = {f.name: f for f in fields(cls)}
        for name in known:
            env = os.environ.get("CLUSTERKG_" + name.upper())
            if env is not None:
                values[name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)} (see `clusterkg settings`)")
        return cls(**{k: _coerce(known[k], v) for k, v in values.items()})

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)


def _coerce(f: dataclasses.Field, value):
    """Turn TOML/env/CLI values into the setting's type, with a clear message when they don't fit."""
    default = f.default
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                if value.lower() in ("1", "true", "yes", "on"):
                    return True
                if value.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError(value)
            return bool(value)
        if isinstance(default, Path):
            return Path(value)
        if isinstance(default, tuple):
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            if f.name.endswith("_files"):
                return tuple(Path(v) for v in value)
            return tuple(value)
        return type(default)(value)
    except (TypeError, ValueError):
        raise ValueError(f"setting {f.name}: {value!r} is not a valid {type(default).__name__}") from None
