"""The SPARQL queries clusterkg itself runs, kept as .rq files with a header comment (package data)."""
from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load(name: str) -> str:
    """The text of ``queries/<name>.rq``."""
    return resources.files(__package__).joinpath("queries", f"{name}.rq").read_text(encoding="utf-8")
