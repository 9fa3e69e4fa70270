"""What a backend is: the one interface through which the service reaches the data.

A backend holds the named graphs and answers, within a deadline and the caps, the queries the
service has already checked (``guard``: read-only, SERVICE allowlist, graphs held, nesting).  Two
implementations are planned: the embedded pyoxigraph store with killable executors
(``embedded.py``) and a remote SPARQL 1.1 store over HTTP.  Each is one module; ``open_backend``
in ``__init__`` picks one from the settings.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from ..formats import Format

TRUNCATED_HEADER = "X-Clusterkg-Truncated"   # names the cap that cut an answer (see ``truncation``)


@dataclass(frozen=True)
class Answer:
    """A query's answer, ready for the wire."""

    media_type: str
    body: bytes
    truncated: bool = False
    truncation: str = ""           # e.g. "rows=10000": the value of the X-Clusterkg-Truncated header
    seconds: float | None = None   # evaluation time, where the backend measured it

    @cached_property
    def headers(self) -> list[tuple[str, str]]:
        """Its HTTP headers, made once per answer (a cached answer is sent many times): read them,
        never change them."""
        headers = [("Content-Type", self.media_type), ("Content-Length", str(len(self.body))), ("Vary", "Accept")]
        if self.truncated:
            headers.append((TRUNCATED_HEADER, self.truncation))
        return headers


@dataclass(frozen=True)
class Job:
    """One checked query, as the service hands it to a backend."""

    text: str
    format: Format
    default_graphs: tuple[str, ...] = ()   # the protocol's dataset (replaces FROM / FROM NAMED)
    named_graphs: tuple[str, ...] = ()
    union_default: bool = True     # no dataset named anywhere: the default graph is the union
    timeout: float = 10.0          # seconds, from ``started``
    started: float = 0.0           # time.monotonic() when the request arrived
    services: tuple = ()           # allowed SERVICE targets (start, end, IRI): guard.Checked.services

    @property
    def deadline(self) -> float:
        return self.started + self.timeout


class Backend(Protocol):
    graphs: tuple[str, ...]        # the named graphs it holds
    notes: dict[str, str]          # what the graphs outside namespaces.GRAPHS (the extra files') hold
    version: str                   # changes whenever the data changes (keys the result cache)

    def query(self, job: Job) -> Answer:
        """The answer to ``job`` within its deadline and the caps, or a ClusterkgError."""

    def count_triples(self) -> dict:
        """Triples per named graph, and (key None) in the default graph."""

    def dump(self, graph: str | None, fmt: Format) -> bytes:
        """One named graph (None: the default graph), whole, in ``fmt``."""

    def warm(self) -> None:
        """Get ready to answer (in this process) before the first request."""

    def close(self) -> None:
        """Release what this process holds."""
