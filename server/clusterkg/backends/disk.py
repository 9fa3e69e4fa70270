"""The embedded store on disk, for data too large to load into every executor (setting
``backend = "disk"``).

    backend = DiskBackend(settings, prepared)

The same as ``embedded.EmbeddedBackend`` (executors, placement, caps), except where the data comes
from: instead of each process parsing the prepared N-Quads into its own in-memory store, the N-Quads
are bulk-loaded once into a pyoxigraph (RocksDB) store in ``cache_dir/store<LAYOUT>-<version>``, and every
worker and executor opens that directory read-only (``store.LocalStore.open`` of a directory).  It is
built again only when the inputs change (the version is the inputs' hash), through a temporary
directory renamed into place, so concurrent starters never open half a store.

The build is pyoxigraph's bulk loader, nothing else: the prepared N-Quads of the shipped graphs, then
each ``--data`` file straight from the file into its named graph (``extra.add``: the same graph
names, checks, counts and VoID descriptions as the in-memory store's, without parsing a million
triples into memory and writing them out again first), the graphs' notes kept beside the store
(``clusterkg-extra.json``), and the triples of every graph counted once (``clusterkg-counts.json``,
what the service description and VoID say; the workers read it instead of counting).  A file that does not parse stops the build (InputError naming the
file and line) and the temporary directory is removed: nothing is half-loaded.  No
``optimize()`` (it took 2 s at a million triples and left the directory larger).  The bulk loader
works on one thread per call (a batch is a million quads), so an N-Quads or N-Triples file is cut
into as many parts as there are cores, at line ends (one statement per line), and the parts are
loaded by concurrent calls; blank nodes are scoped to one call, so every block of the file that
holds a ``_:`` goes to the same part.  Measured at a million extra triples on 2 idle cores: 4.2 s
in two parts, 8.2 s in one.
"""
from __future__ import annotations

import gc
import io
import json
import logging
import os
import shutil
import threading
import tempfile
import time
import traceback
from pathlib import Path

import pyoxigraph as ox

from .. import extra
from .embedded import EmbeddedBackend
from .store import LocalStore

log = logging.getLogger(__name__)

#: What a build writes (bump it when that changes, so a store an older build left is not reused):
#: 2 = the --data files' notes and the counts beside the store.
LAYOUT = 2
READY = "clusterkg-ready"   # written last into a finished store directory
NOTES = "clusterkg-extra.json"  # the --data files' graphs and their notes (graph -> note), in order
COUNTS = "clusterkg-counts.json"  # triples per graph and in their union ([graph or null, n], ...)
#: Address space RocksDB reserves on opening a store (thread stacks, arenas: VmPeak ~1 GB for the
#: test fixture, measured), added to an executor's max_executor_memory_mb so the cap still bounds
#: what a query uses rather than failing every start ("Resource temporarily unavailable").
OPEN_RESERVE_MB = 1024


def build(nquads_path: Path, version: str, cache_dir: Path, extra_files=()) -> tuple[Path, dict]:
    """The on-disk store of this dataset version, bulk-loaded now unless it already exists, and
    the notes of the graphs of ``extra_files`` (loaded into it after the N-Quads)."""
    target = Path(cache_dir) / f"store{LAYOUT}-{version}"
    if (target / READY).exists():
        return target, _notes(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=target.name + ".", suffix=".tmp"))
    store = None
    try:
        started = time.perf_counter()
        store = ox.Store(str(work))
        try:
            bulk_load(store, Path(nquads_path))
            notes = extra.add(store, extra_files, bulk_load)
            counts = LocalStore(store, ()).count_triples()
            store.flush()
        except BaseException as exc:
            traceback.clear_frames(exc.__traceback__)  # the frames that hold the store: let it close
            raise
        finally:
            store = None
            gc.collect()  # closes the database before the directory is renamed (or removed)
        (work / NOTES).write_text(json.dumps(notes, ensure_ascii=False), encoding="utf-8")
        (work / COUNTS).write_text(json.dumps(list(counts.items())), encoding="utf-8")
        (work / READY).write_text(version)
        try:
            work.rename(target)
        except OSError:  # another process finished first: use its store
            if not (target / READY).exists():
                raise
            notes = _notes(target)
        log.info("on-disk store %s built in %.1f s", target, time.perf_counter() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target, notes


def _notes(target: Path) -> dict:
    path = target / NOTES
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


BLOCK = 8 << 20  #: bytes per block of the N-Quads file handed to a part


def parts(nquads_path: Path, count: int) -> list[list[tuple[int, int]]]:
    """The file's blocks (offset, length; each ends at a line end) in ``count`` parts of about equal
    size; every block holding ``_:`` (a blank node, or those two characters in a literal) in part 0."""
    found: list[list[tuple[int, int]]] = [[] for _ in range(count)]
    sizes = [0] * count
    with open(nquads_path, "rb") as fh:
        offset = 0
        while block := fh.read(BLOCK):
            end = block.rfind(b"\n") + 1 if len(block) == BLOCK else len(block)
            if end == 0:  # one line longer than a block: take it whole
                end = len(block) + len(fh.readline())
            fh.seek(offset + end)
            k = 0 if b"_:" in block[:end] else sizes.index(min(sizes))
            found[k].append((offset, end))
            sizes[k] += end
            offset += end
    return [p for p in found if p]


class _Blocks(io.RawIOBase):
    """A file-like view of some blocks of a file, one after another."""

    def __init__(self, path: Path, blocks):
        self.fd = os.open(path, os.O_RDONLY)
        self.blocks = list(blocks)
        self.index = self.done = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self.index < len(self.blocks):
            offset, length = self.blocks[self.index]
            if self.done < length:
                data = os.pread(self.fd, min(len(buffer), length - self.done), offset + self.done)
                buffer[:len(data)] = data
                self.done += len(data)
                return len(data)
            self.index, self.done = self.index + 1, 0
        return 0

    def close(self) -> None:
        if not self.closed:
            os.close(self.fd)
        super().close()


LINE_FORMATS = (ox.RdfFormat.N_QUADS, ox.RdfFormat.N_TRIPLES)  #: one statement per line: cut into parts


def bulk_load(store: ox.Store, path: Path, fmt=ox.RdfFormat.N_QUADS, base_iri: str | None = None,
              to_graph=None) -> None:
    """Bulk-load the file into ``store`` (triples into ``to_graph``): an N-Quads or N-Triples file in
    parts on concurrent threads (pyoxigraph lets go of the GIL), any other in one call.  A file
    that does not parse raises the SyntaxError of its first error, its line counted from the
    file's start (a part's own error counts from the part's)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if fmt not in LINE_FORMATS:
        store.bulk_load(path=str(path), format=fmt, base_iri=base_iri, to_graph=to_graph)
        return
    errors: list[BaseException] = []

    def load(blocks) -> None:
        try:
            with io.BufferedReader(_Blocks(path, blocks), 1 << 20) as reader:
                store.bulk_load(reader, format=fmt, base_iri=base_iri, to_graph=to_graph)
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(blocks,), name="clusterkg-bulk-load")
               for blocks in parts(path, max(1, min(cores, 4)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        if isinstance(errors[0], SyntaxError) and len(threads) > 1:
            for _ in ox.parse(path=str(path), format=fmt, base_iri=base_iri):  # raises at the first error
                pass
        raise errors[0]


class DiskBackend(EmbeddedBackend):
    def __init__(self, settings, prepared):
        if settings.max_executor_memory_mb:
            settings = settings.replace(max_executor_memory_mb=settings.max_executor_memory_mb + OPEN_RESERVE_MB)
        super().__init__(settings, prepared)
        self.source, notes = build(prepared.nquads_path, prepared.version, Path(settings.cache_dir),
                                   prepared.extra_files)
        self.notes.update(notes)
        self.graphs += tuple(g for g in notes if g not in self.graphs)

    def count_triples(self) -> dict:
        """As counted when the store was built (the data never changes): no worker scans every
        triple on starting, nor fills its own block cache doing so (a store built before the
        counts were kept: counted now)."""
        path = Path(self.source) / COUNTS
        if not path.exists():
            return super().count_triples()
        return {graph: n for graph, n in json.loads(path.read_text(encoding="utf-8"))}
