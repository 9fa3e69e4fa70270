"""Dumps of the dataset in the RDF formats, and the tidy CSV table of every figure.

Both read the prepared N-Quads (see ``dataset.prepare``), so what is exported is exactly what the
endpoint serves.  Formats that can hold named graphs (N-Quads, TriG, JSON-LD) keep them; the
others get the union of the graphs, each triple once.
"""
from __future__ import annotations

import csv
import io
from typing import IO

import pyoxigraph as ox

from . import named_queries
from .dataset import GRAPH_INFERRED, Prepared
from .errors import ClusterkgError
from .namespaces import PREFIXES

RDF_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
}
FORMATS = tuple(RDF_FORMATS) + ("csv",)

#: The columns of the figures table, in order (the variables of queries/figures.rq).
FIGURE_COLUMNS = (
    "figure", "cluster", "cluster_label", "outcome", "outcome_position", "indicator", "indicator_label",
    "value", "unit", "unit_label", "role", "reference_period", "baseline_period", "period_length",
    "programme_year", "approximate", "comparison_group", "comparison_group_label", "comparison_group_kind",
    "compared_with", "base_indicator", "base_group", "phrase_ko", "phrase_en", "source",
)


def export(prepared: Prepared, fmt: str, out: IO[bytes], *, inferred: bool = False) -> None:
    """Write the dataset (or, for ``csv``, the figures table) to the binary stream ``out``."""
    if fmt == "csv":
        out.write(figures_csv(prepared).encode("utf-8"))
        return
    if fmt not in RDF_FORMATS:
        raise ClusterkgError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}", code="unknown-format")
    rdf_format = RDF_FORMATS[fmt]
    quads = [q for q in ox.parse(path=prepared.nquads_path, format=ox.RdfFormat.N_QUADS)
             if inferred or q.graph_name.value != GRAPH_INFERRED]
    if rdf_format.supports_datasets:
        data = sorted(quads, key=lambda q: (q.graph_name.value, str(q.subject), str(q.predicate), str(q.object)))
    else:
        data = sorted({q.triple for q in quads}, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    prefixes = PREFIXES if fmt in ("turtle", "trig", "xml") else None
    out.write(ox.serialize(data, format=rdf_format, prefixes=prefixes))


def open_store(prepared: Prepared) -> ox.Store:
    """The pyoxigraph store the endpoint's executors load, for queries of our own (.rq files)."""
    from .store import LocalStore

    return LocalStore.from_prepared(prepared).store


def figure_rows(store: ox.Store) -> list[dict[str, str]]:
    """One dict per figure, keyed by FIGURE_COLUMNS; values are lexical forms or IRIs ('' when absent)."""
    rows = []
    for solution in store.query(named_queries.load("figures"), use_default_graph_as_union=True):
        row = {}
        for column in FIGURE_COLUMNS:
            term = solution[column]
            row[column] = "" if term is None else term.value
        rows.append(row)
    return rows


def figures_csv(prepared: Prepared) -> str:
    """The tidy table of every figure as CSV (RFC 4180, UTF-8, header row)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIGURE_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(figure_rows(open_store(prepared)))
    return buffer.getvalue()
