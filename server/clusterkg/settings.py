"""Every limit and path of clusterkg as a named setting with a default and help text.

Settings come, in rising order of precedence, from the defaults below, a TOML file
(``--config FILE``), environment variables ``CLUSTERKG_<NAME>`` and explicit overrides
(``--setting NAME VALUE`` and the commands' own flags such as ``--port``; the keyword arguments
of ``Settings.load`` and ``create_app(config)``).  ``clusterkg settings`` prints them all with
their help text; ``clusterkg settings --markdown`` prints the table in the README.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _shipped_root() -> Path:
    """Where ontology/, data/ and shapes/ are: inside the installed package (a wheel, or
    ``pip install .``), else beside server/ in a source checkout (``pip install -e .``)."""
    return _PACKAGE if (_PACKAGE / "ontology").is_dir() else _PACKAGE.parents[1]


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/clusterkg`` (``~/.cache/clusterkg``): a user's cache, never the package."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "clusterkg"


#: The folder holding the shipped ontology/, data/ and shapes/.
SHIPPED = _shipped_root()


#: Executors per CPU of a worker's share when ``max_concurrent_queries`` is 0 (its default).
EXECUTORS_PER_CPU = 4


def _setting(default, help: str, **kw):
    return field(default=default, metadata={"help": help}, **kw)


@dataclass(frozen=True)
class Settings:
    # --- inputs -------------------------------------------------------------------------
    ontology_dir: Path = _setting(SHIPPED / "ontology", "Folder of the ontology's Turtle files (graph …/graph/ontology).")
    data_files: tuple = _setting((SHIPPED / "data" / "clusters.ttl",), "Turtle files of the cluster data (graph …/graph/data).")
    links_files: tuple = _setting((SHIPPED / "data" / "links.ttl",), "Turtle files of the links to external datasets (graph …/graph/links).")
    regions_files: tuple = _setting((SHIPPED / "data" / "regions" / "regions.ttl", SHIPPED / "data" / "regions" / "cluster-regions.ttl"),
                                    "Turtle files of the regional statistics and their links (graph …/graph/regions; not in the OWL-RL closure). Empty: no such graph.")
    extra_files: tuple = _setting((), "Further RDF files to serve (`--data FILE`), each in its own named graph …/graph/extra/<file stem> (N-Quads/TriG: their named graphs keep their names); format by suffix: .ttl .nt .nq .trig .jsonld .rdf. Not in the OWL-RL closure.")
    shapes_dir: Path = _setting(SHIPPED / "shapes", "Folder of the SHACL shapes used by `clusterkg validate`.")
    cache_dir: Path = _setting(default_cache_dir(), "Where the OWL-RL closure and the store's N-Quads are cached, keyed by the inputs' hash (default $XDG_CACHE_HOME/clusterkg, else ~/.cache/clusterkg).")
    inference: bool = _setting(True, "Compute (or load from cache) the OWL-RL closure into …/graph/inferred.")

    # --- server -------------------------------------------------------------------------
    host: str = _setting("127.0.0.1", "Address `clusterkg serve` binds to.")
    port: int = _setting(8000, "Port `clusterkg serve` binds to.")
    workers: int = _setting(2, "gunicorn worker processes (each answers HTTP; queries run in executor processes).")
    threads: int = _setting(16, "Threads per gunicorn worker: how many requests one worker holds at once.")
    backend: str = _setting("", "Where the graphs live. Empty: the embedded store, in memory in every process. `disk`: the embedded store on disk, bulk-loaded once into cache_dir and opened read-only by every process (for large data). A URL: a SPARQL 1.1 query endpoint holding them (filled by `clusterkg publish`); the guard, time limit and caps still apply here.")

    # --- limits (the endpoint is public and read-only) ------------------------------------
    query_timeout: float = _setting(10.0, "Seconds a query may run before it is stopped and the client told so (HTTP 503).")
    max_query_length: int = _setting(100_000, "Largest query text accepted, in bytes (HTTP 413 beyond).")
    max_body_bytes: int = _setting(1_000_000, "Largest request body accepted, in bytes (HTTP 413 beyond).")
    max_result_rows: int = _setting(10_000, "Most rows (or triples) a SELECT/CONSTRUCT/DESCRIBE returns; the response says plainly when it was cut.")
    max_response_bytes: int = _setting(20_000_000, "Largest response body, in bytes; the response says plainly when it was cut.")
    max_nesting_depth: int = _setting(200, "Deepest bracket nesting accepted in a query (HTTP 400 beyond): guards the parsers' recursion.")
    max_concurrent_queries: int = _setting(0, "Executor processes a worker may run at once; beyond this a query waits, within its time limit. 0: four per CPU of the worker's share (the machine's CPUs / workers; 4 with 2 workers on 2 cores): each executor holds memory of its own (on disk 15-50 MB: Python, RocksDB's caches; in memory, a copy of the data).")
    max_executor_memory_mb: int = _setting(1024, "Address space one executor process may use, in MiB (a query needing more is stopped: HTTP 400 query-aborted); 0: no cap.")
    service_allowlist: tuple = _setting((), "Hosts (or host:port) a SERVICE clause may name, e.g. query.wikidata.org (empty: SERVICE is refused). The call goes through the server's federation proxy; the server never fetches any other URL a query names.")
    service_timeout: float = _setting(5.0, "Seconds one SERVICE call may take (connect, send, whole answer), never beyond the query's own time limit; slower: HTTP 504 service-timeout.")
    service_max_bytes: int = _setting(10_000_000, "Largest answer one SERVICE call may return, in bytes; larger: HTTP 502 service-failed.")
    inprocess_max_ms: float = _setting(25.0, "A query whose exact text (same dataset, parameters and format) already finished in an executor within this many ms runs in the web worker itself from then on, skipping the hop (the data is read-only, so it repeats the same work); 0: every query runs in an executor.")
    page_cache: bool = _setting(True, "Keep each rendered page (HTML, data, CSV) per worker once built (the data is read-only); false renders every request anew.")
    result_cache_size: int = _setting(0, "Entries in the per-worker result cache keyed by the request (query, format or Accept, dataset); 0 turns it off.")

    def cpu_share(self) -> int:
        """This machine's CPUs per gunicorn worker, at least 1: how many queries one worker keeps
        evaluating at once (busy executors, and quick queries in the worker itself)."""
        return max(1, (os.cpu_count() or 2) // max(1, int(self.workers)))

    def max_executors(self) -> int:
        """Executor processes one worker may run at once: ``max_concurrent_queries``, or (0) four per
        CPU of its share: more cannot evaluate at once, and a few spare cover the queries that wait
        on a long one."""
        return int(self.max_concurrent_queries) or EXECUTORS_PER_CPU * self.cpu_share()

    @classmethod
    def help(cls) -> list[tuple[str, object, str]]:
        """(name, default, help) for every setting, in declaration order."""
        return [(f.name, f.default, f.metadata["help"]) for f in fields(cls)]

    @classmethod
    def markdown(cls) -> str:
        """The settings table of the README (``clusterkg settings --markdown``): name, type,
        default, help; shipped paths shown relative to the package, the user cache by its rule."""
        rows = ["| setting | type | default | what it does |", "|---|---|---|---|"]
        for f in fields(cls):
            kind = "path" if isinstance(f.default, Path) else "list" if isinstance(f.default, tuple) else type(f.default).__name__
            rows.append(f"| `{f.name}` | {kind} | {_shown(f.default)} | {f.metadata['help'].replace('|', '&#124;')} |")
        return "\n".join(rows) + "\n"

    @classmethod
    def load(cls, config_file: str | os.PathLike | None = None, *, overrides_from: str = "an explicit override",
             **overrides) -> "Settings":
        """Defaults < TOML file < CLUSTERKG_* environment < keyword overrides (None is ignored).

        A value that does not fit its setting raises ValueError naming the setting and where the
        value came from (``overrides_from`` names the overrides' source); so does an unknown name."""
        values: dict = {}  # name -> (value, where it came from)
        if config_file is not None:
            with open(config_file, "rb") as fh:
                try:
                    table = tomllib.load(fh)
                except tomllib.TOMLDecodeError as exc:
                    raise ValueError(f"{config_file}: not valid TOML: {exc}") from None
            values.update({k: (v, str(config_file)) for k, v in table.items()})
        known = {f.name: f for f in fields(cls)}
        for name in known:
            env = os.environ.get("CLUSTERKG_" + name.upper())
            if env is not None:
                values[name] = (env, "CLUSTERKG_" + name.upper())
        values.update({k: (v, overrides_from) for k, v in overrides.items() if v is not None})
        unknown = sorted(set(values) - set(known))
        if unknown:
            where = sorted({values[k][1] for k in unknown})
            raise ValueError(f"unknown setting(s) {', '.join(unknown)} in {', '.join(where)} (see `clusterkg settings`)")
        return cls(**{k: _coerce(known[k], v, where) for k, (v, where) in values.items()})

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)


def _shown(value) -> str:
    """A default as the docs show it, the same on every machine."""
    if isinstance(value, tuple):
        return ", ".join(_shown(v) for v in value) if value else "(empty)"
    if value == "":
        return "(empty)"
    if isinstance(value, Path):
        if value == default_cache_dir():
            return "`$XDG_CACHE_HOME/clusterkg`"
        if value.is_relative_to(SHIPPED):
            return f"`{value.relative_to(SHIPPED).as_posix()}{'/' if value.is_dir() else ''}`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _coerce(f: dataclasses.Field, value, where: str):
    """Turn a TOML, environment or command-line value into the setting's type.

    Strings (environment, ``--setting``) are parsed; TOML values must already have the right
    kind (a TOML ``true`` is no port number, 2.5 is no count of workers)."""
    default = f.default
    kind = type(default)
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
                return value.strip().lower() in _TRUE
            raise ValueError
        if kind is tuple:
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, (str, os.PathLike)) for v in value):
                raise ValueError
            return tuple(Path(v) for v in value) if f.name.endswith("_files") else tuple(str(v) for v in value)
        if isinstance(default, Path):
            if not isinstance(value, (str, os.PathLike)) or not str(value):
                raise ValueError
            return Path(value)
        if isinstance(value, bool):
            raise ValueError
        if kind is int:
            if isinstance(value, float):
                raise ValueError
            return int(value.strip() if isinstance(value, str) else value)
        if kind is float:
            return float(value)
        if kind is str:
            if not isinstance(value, str):
                raise ValueError
            return value
        return kind(value)
    except (TypeError, ValueError):
        expected = {bool: "true or false", tuple: "a list (comma-separated in text)", int: "a whole number",
                    float: "a number", str: "text"}.get(kind, "a path")
        raise ValueError(f"setting {f.name} (from {where}): {value!r} is not {expected}") from None
