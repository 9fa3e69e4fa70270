"""The embedded store on disk, for data too large to load into every executor (setting
``backend = "disk"``).

    backend = DiskBackend(settings, prepared)

The same as ``embedded.EmbeddedBackend`` (executors, placement, caps), except where the data comes
from: instead of each process parsing the prepared N-Quads into its own in-memory store, the N-Quads
are bulk-loaded once into a pyoxigraph (RocksDB) store in ``cache_dir/store-<version>``, and every
worker and executor opens that directory read-only (``store.LocalStore.open`` of a directory).  It is
built again only when the inputs change (the version is the inputs' hash), through a temporary
directory renamed into place, so concurrent starters never open half a store.
"""
from __future__ import annotations

import gc
import logging
import shutil
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from .embedded import EmbeddedBackend

log = logging.getLogger(__name__)

READY = "clusterkg-ready"   # written last into a finished store directory
#: Address space RocksDB reserves on opening a store (thread stacks, arenas: VmPeak ~1 GB for the
#: test fixture, measured), added to an executor's max_executor_memory_mb so the cap still bounds
#: what a query uses rather than failing every start ("Resource temporarily unavailable").
OPEN_RESERVE_MB = 1024


def build(nquads_path: Path, version: str, cache_dir: Path) -> Path:
    """The on-disk store of this dataset version, bulk-loaded now unless it already exists."""
    target = Path(cache_dir) / f"store-{version}"
    if (target / READY).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=target.name + ".", suffix=".tmp"))
    try:
        started = time.perf_counter()
        store = ox.Store(str(work))
        store.bulk_load(path=str(nquads_path), format=ox.RdfFormat.N_QUADS)
        store.optimize()
        store.flush()
        del store
        gc.collect()  # closes the database before the directory is renamed
        (work / READY).write_text(version)
        try:
            work.rename(target)
        except OSError:  # another process finished first: use its store
            if not (target / READY).exists():
                raise
        log.info("on-disk store %s built in %.1f s", target, time.perf_counter() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


class DiskBackend(EmbeddedBackend):
    def __init__(self, settings, prepared):
        if settings.max_executor_memory_mb:
            settings = settings.replace(max_executor_memory_mb=settings.max_executor_memory_mb + OPEN_RESERVE_MB)
        super().__init__(settings, prepared)
        self.source = build(prepared.nquads_path, prepared.version, Path(settings.cache_dir))
