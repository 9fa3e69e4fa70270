"""Dumps of the dataset in the RDF formats, and the tidy CSV tables (the figures; the regional statistics).

Both read the prepared N-Quads (see ``dataset.prepare``), so what is exported is exactly what the
endpoint serves.  Formats that can hold named graphs (N-Quads, TriG, JSON-LD) keep them; the
others get the union of the graphs, each triple once.
"""
from __future__ import annotations

import csv
import io
from typing import IO, TYPE_CHECKING

import pyoxigraph as ox

from . import formats, named_queries
from .backends.store import serialize
from .namespaces import GRAPH_INFERRED

if TYPE_CHECKING:
    from .dataset import Prepared

#: what `clusterkg export --format` accepts: the graph formats of the registry, and csv for a table
FORMATS = formats.names(formats.GRAPH) + ("csv",)

#: The columns of the figures table, in order (the variables of queries/figures.rq).
FIGURE_COLUMNS = (
    "figure", "cluster", "cluster_label", "outcome", "outcome_position", "indicator", "indicator_label",
    "value", "unit", "unit_label", "role", "reference_period", "baseline_period", "period_length",
    "programme_year", "approximate", "comparison_group", "comparison_group_label", "comparison_group_kind",
    "compared_with", "base_indicator", "base_group", "phrase_ko", "phrase_en", "source",
)
#: The columns of the regional-statistics table (the variables of queries/regions-table.rq).
REGION_COLUMNS = (
    "kostat_code", "region", "region_ko", "region_en", "level", "province_code", "province_ko", "province_en",
    "period", "indicator", "indicator_label", "value", "unit", "unit_label", "cluster", "cluster_label", "dataset",
)
#: the tidy tables (`export --format csv --table NAME`, /downloads/NAME.csv): name -> (query of
#: queries/, its columns, what a row is)
TABLES = {
    "figures": ("figures", FIGURE_COLUMNS, "every figure of the article, one row each, with every column needed "
                "to recompute a comparison"),
    "regions": ("regions-table", REGION_COLUMNS, "the regional statistics, one row per region, period and "
                "indicator, with the cluster where there is one"),
}


def export(prepared: Prepared, fmt: str, out: IO[bytes], *, inferred: bool = False, table: str = "figures") -> None:
    """Write the dataset (or, for ``csv``, the table ``table`` of TABLES) to the binary stream ``out``."""
    if fmt == "csv":
        query, columns, _ = TABLES[table]
        out.write(table_csv(open_store(prepared), query, columns).encode("utf-8"))
        return
    rdf = formats.by_name(fmt, formats.GRAPH)  # an unknown name is a ClusterkgError naming the choices
    quads = [q for q in ox.parse(path=prepared.nquads_path, format=ox.RdfFormat.N_QUADS)
             if inferred or q.graph_name.value != GRAPH_INFERRED]
    if rdf.quads:
        data = sorted(quads, key=lambda q: (q.graph_name.value, str(q.subject), str(q.predicate), str(q.object)))
    else:
        data = sorted({q.triple for q in quads}, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    out.write(serialize(data, rdf))


def open_store(prepared: Prepared) -> ox.Store:
    """The pyoxigraph store the endpoint's executors load, for queries of our own (.rq files)."""
    from .backends.store import LocalStore

    return LocalStore.open(prepared.nquads_path, prepared.graphs).store


def query_rows(store: ox.Store, name: str, columns) -> list[dict[str, str]]:
    """One dict per solution of queries/<name>.rq, keyed by ``columns``; lexical forms or IRIs ('' when absent)."""
    rows = []
    for solution in store.query(named_queries.load(name), use_default_graph_as_union=True):
        rows.append({column: "" if solution[column] is None else solution[column].value for column in columns})
    return rows


def figure_rows(store: ox.Store) -> list[dict[str, str]]:
    """One dict per figure, keyed by FIGURE_COLUMNS."""
    return query_rows(store, "figures", FIGURE_COLUMNS)


def table_csv(store: ox.Store, name: str, columns) -> str:
    """The rows of queries/<name>.rq as CSV (RFC 4180, UTF-8, header row)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(query_rows(store, name, columns))
    return buffer.getvalue()
