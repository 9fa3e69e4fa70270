"""The backends: where the data lives and how a checked query is evaluated (see ``base``)."""
from __future__ import annotations

from .base import TRUNCATED_HEADER, Answer, Backend, Job

__all__ = ["TRUNCATED_HEADER", "Answer", "Backend", "Job", "open_backend"]


def open_backend(settings, prepared) -> Backend:
    """The backend the settings ask for: a remote SPARQL store (setting ``backend``), else the
    embedded pyoxigraph store."""
    if settings.backend == "disk":
        from .disk import DiskBackend

        return DiskBackend(settings, prepared)
    if settings.backend:
        from .remote import RemoteBackend

        return RemoteBackend(settings, prepared)
    from .embedded import EmbeddedBackend

    return EmbeddedBackend(settings, prepared)
