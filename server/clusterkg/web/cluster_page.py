"""The page of one cluster: its goal, councils and fields, actors by kind, tasks, and every outcome
as a table of its figures beside the Korean sentence it came from, with charts; and the CSV of
exactly that table.  Reads through ``lookup`` (queries/pages/cluster-*.rq); renders nothing itself.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from .. import charts
from . import i18n, lookup

ROLE = "https://w3id.org/clusterkg/id/role/"
ROLE_ORDER = {"basis": 0, "input": 1, "before": 2, "after": 3, "level": 4, "change": 5, "comparison-average": 6,
              "result": 7, "multiple": 8, "share": 9, "range-from": 10, "range-to": 11}
PERCENT = "https://w3id.org/clusterkg/id/unit/percent"


@dataclass
class Outcome:
    iri: str | None
    position: int | None
    statement: str | None            # the Korean bullet as written
    reading: str | None              # its English reading (the outcome's English label)
    source: lookup.Node | None
    node: lookup.Node | None
    rows: list[dict] = field(default_factory=list)   # one per figure


def _value(binding) -> str:
    if binding is None:
        return ""
    text = binding["value"]
    try:
        number = float(text)
    except ValueError:
        return text
    return f"{int(number):,}" if number == int(number) and "." not in text else f"{number:,.10g}"


def build(iri: str, lang: str) -> dict:
    """Everything the cluster template shows, labelled in ``lang``."""
    about = lookup.select("cluster-about", this=iri)
    listed = lookup.select("cluster-outcomes", this=iri)
    figures = lookup.select("cluster-figures", this=iri)
    wanted = {iri}
    for row in about + listed + figures:
        wanted.update(b["value"] for b in row.values() if b["type"] == "uri")
    names = lookup.labels(wanted)
    node = lambda b: lookup.node(b, names, lang)  # noqa: E731

    sections: dict[str, list] = {}
    texts: dict[str, list[str]] = {}
    for row in about:
        section = row["section"]["value"]
        if "item" in row:
            sections.setdefault(section, []).append(
                {"node": node(row["item"]), "kind": node(row.get("kind")),
                 "text": row.get("text", {}).get("value"), "pos": int(row["pos"]["value"]) if "pos" in row else 0})
        elif "text" in row:
            texts.setdefault(section, []).append(row["text"]["value"] if section != "comment"
                                                 else (row["text"].get("xml:lang", ""), row["text"]["value"]))
    sections = {k: _unique(v) for k, v in sections.items()}
    sections.get("task", []).sort(key=lambda t: t["pos"])
    actors_by_kind: dict[str, list] = {}
    for actor in sorted(sections.get("actor", []), key=lambda a: (a["kind"].text, a["node"].text)):
        actors_by_kind.setdefault(actor["kind"].text, []).append(actor)
    comments = dict(texts.get("comment", []))

    outcomes: dict[str | None, Outcome] = {}
    for row in listed:
        key = row["outcome"]["value"]
        outcomes[key] = Outcome(key, int(row["position"]["value"]), row.get("statement", {}).get("value"),
                                i18n.pick({k: v for k, v in names.get(key, {}).items() if k == "en"}, "en"),
                                node(row.get("source")), node(row["outcome"]))
    for row in figures:
        key = row.get("outcome", {}).get("value")
        out = outcomes.get(key)
        if out is None:
            out = outcomes[key] = Outcome(key, None, None, None, None, node(row.get("outcome")))
        out.rows.append({
            "figure": node(row["figure"]), "indicator": node(row.get("indicator")),
            "role": node(row.get("role")), "role_iri": row.get("role", {}).get("value", ""),
            "value": _value(row.get("value")), "raw": row.get("value", {}).get("value", ""),
            "number": float(row["value"]["value"]) if "value" in row else None,
            "unit": node(row.get("unit")), "unit_iri": row.get("unit", {}).get("value", ""),
            "group": node(row.get("group")), "period": _period(row),
            "approx": row.get("approx", {}).get("value") == "true",
            "phrase": row.get("phrase", {}).get("value"), "source": node(row.get("source")),
            "compared": row.get("comparedWith", {}).get("value"),
        })
    for out in outcomes.values():
        out.rows.sort(key=lambda r: (r["indicator"].text if r["indicator"] else "",
                                     ROLE_ORDER.get(r["role_iri"].removeprefix(ROLE), 99), r["figure"].iri))
    ordered = sorted(outcomes.values(), key=lambda o: (o.position is None, o.position or 0))
    return {"iri": iri, "name": i18n.pick(names.get(iri), lang), "names": names.get(iri, {}),
            "sections": sections, "actors_by_kind": actors_by_kind, "texts": texts, "comments": comments,
            "outcomes": ordered, "charts": _charts(ordered, lang)}


def _unique(items: list[dict]) -> list[dict]:
    seen, kept = set(), []
    for item in items:
        key = (item["node"].iri, item["kind"].iri if item["kind"] else None)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def _period(row: dict) -> str:
    parts = []
    if "baseline" in row:
        parts.append(row["baseline"]["value"] + "→")
    if "period" in row:
        parts.append(row["period"]["value"])
    if "length" in row:
        parts.append(f"({row['length']['value']})")
    return " ".join(parts)


def _charts(outcomes: list[Outcome], lang: str) -> list[str]:
    """Before/after pairs (each pair on its own scale), and growth rates in percent beside the
    comparison average each is compared with (ck:comparedWith), on one scale."""
    w = i18n.words(lang)
    pairs, percent = [], {}
    for out in outcomes:
        by_key: dict[tuple, dict[str, dict]] = {}
        for row in out.rows:
            key = (row["indicator"].iri if row["indicator"] else None, row["group"].iri if row["group"] else None)
            by_key.setdefault(key, {})[row["role_iri"].removeprefix(ROLE)] = row
            if row["unit_iri"] == PERCENT and row["number"] is not None and \
                    row["role_iri"] in (ROLE + "change", ROLE + "comparison-average"):
                percent[row["figure"].iri] = row
        for roles in by_key.values():
            if "before" in roles and "after" in roles:
                pairs.append([_bar(roles[role], w[role], series, unit=True)
                              for role, series in (("before", 0), ("after", 1))])
    growth, used = [], set()
    for iri, row in percent.items():
        if row["role_iri"] != ROLE + "change" or iri in used:
            continue
        group = [_bar(row, w["growth"], 1)]
        average = percent.get(row["compared"] or "")
        if average is not None:
            group.append(_bar(average, w["average"], 0))
            used.add(average["figure"].iri)
        growth.append(group)
    growth += [[_bar(row, w["average"], 0)] for iri, row in percent.items()
               if row["role_iri"] != ROLE + "change" and iri not in used]
    drawn = []
    if pairs:
        drawn.append(charts.bar_chart(w["chart_pairs"], pairs, shared_scale=False))
    if growth:
        drawn.append(charts.bar_chart(w["chart_growth"], growth, shared_scale=True))
    return drawn


def _bar(row: dict, role: str, series: int, unit: bool = False) -> charts.Bar:
    """One figure as a bar: '<indicator> · <group> (<role>)', its value with its unit."""
    label = row["indicator"].text if row["indicator"] else ""
    if row["group"] and not unit:
        label += f" · {row['group'].text}"
    text = f"{row['value']} {row['unit'].text}" if unit and row["unit"] else f"{row['value']}%"
    return charts.Bar(f"{label} ({role})", row["number"] or 0, text, series)


CSV_COLUMNS = ("outcome", "position", "sentence_ko", "reading_en", "figure", "indicator", "role", "value",
               "unit", "period", "comparison_group", "approximate", "phrase_ko", "source")


def to_csv(page: dict) -> bytes:
    """The table on the page, one row per figure (a qualitative outcome: one row without a figure)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    text = lambda n: n.text if n else ""  # noqa: E731
    for out in page["outcomes"]:
        head = [out.iri or "", out.position or "", out.statement or "", out.reading or ""]
        for row in out.rows or [None]:
            if row is None:
                writer.writerow(head + [""] * (len(CSV_COLUMNS) - len(head)))
                continue
            writer.writerow(head + [row["figure"].iri, text(row["indicator"]), text(row["role"]),
                                    row["raw"], text(row["unit"]),
                                    row["period"], text(row["group"]), "true" if row["approx"] else "",
                                    row["phrase"] or "", row["source"].iri if row["source"] else ""])
    return buffer.getvalue().encode("utf-8")
