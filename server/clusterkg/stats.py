"""Counts per named graph and per class: what `clusterkg stats` prints."""
from __future__ import annotations

from . import named_queries
from .dataset import Prepared
from .export import open_store


def dataset_stats(prepared: Prepared) -> dict:
    """{"version", "graphs": [{"graph", "triples", "classes": [{"class", "instances"}]}]}."""
    store = open_store(prepared)
    classes: dict[str, list[dict]] = {}
    for row in store.query(named_queries.load("stats-classes")):
        classes.setdefault(row["graph"].value, []).append(
            {"class": row["class"].value, "instances": int(row["instances"].value)})
    graphs = [
        {"graph": row["graph"].value, "triples": int(row["triples"].value),
         "classes": classes.get(row["graph"].value, [])}
        for row in store.query(named_queries.load("stats-graphs"))
    ]
    return {"version": prepared.version, "graphs": graphs}
