"""Synthetic regional statistics: N triples shaped like the regional graph (data/regions), for the
scale benchmark (bench/scale.py) and the publish timing (deploy/measure_publish.py).

    write(path, 1_000_000)                       # N-Triples, to serve with `clusterkg serve --data path`
    write(path, 1_000_000, graph=IRI)            # N-Quads lines in that graph (appended to a dataset)

Each observation is 7 triples, as in data/regions/regions.ttl: a qb:Observation in a data set of
its own (ckds:synthetic-statistics), with a unit, a real si-gun-gu of the regional graph as its
area (so joins with the shipped data find it), a year, an integer value and one of 40 synthetic
indicators.  The observations cycle through region, then indicator, then year (2000 onwards);
the last one is cut short so that exactly N triples are written.  Deterministic: the same N gives
the same bytes.  Stdlib only.
"""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASE = "https://w3id.org/clusterkg/"
INDICATORS = 40
UNITS = ("firms", "million-krw", "persons")

_P = {
    "type": "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
    "dataSet": "http://purl.org/linked-data/cube#dataSet",
    "unit": "http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure",
    "area": "http://purl.org/linked-data/sdmx/2009/dimension#refArea",
    "period": "http://purl.org/linked-data/sdmx/2009/dimension#refPeriod",
    "value": "http://purl.org/linked-data/sdmx/2009/measure#obsValue",
    "indicator": BASE + "ontology#regionalIndicator",
}


def regions() -> list[str]:
    """The KOSTAT codes of the si-gun-gu in the shipped regional graph."""
    text = (REPO / "data" / "regions" / "regions.ttl").read_text(encoding="utf-8")
    codes = sorted(set(re.findall(r"^region:kostat-(\d+) a ck:SiGunGu", text, re.M)))
    if not codes:
        raise RuntimeError("no si-gun-gu found in data/regions/regions.ttl")
    return codes


def observation(i: int, codes: list[str]) -> list[tuple[str, str]]:
    """The 7 (predicate, object) pairs of observation i, objects in N-Triples syntax."""
    code = codes[i % len(codes)]
    k = (i // len(codes)) % INDICATORS
    year = 2000 + i // (len(codes) * INDICATORS)
    return [
        (_P["type"], "<http://purl.org/linked-data/cube#Observation>"),
        (_P["dataSet"], f"<{BASE}id/dataset/synthetic-statistics>"),
        (_P["unit"], f"<{BASE}id/unit/{UNITS[k % len(UNITS)]}>"),
        (_P["area"], f"<{BASE}id/region/kostat-{code}>"),
        (_P["period"], f'"{year}"^^<http://www.w3.org/2001/XMLSchema#gYear>'),
        (_P["value"], f'"{(i * 2654435761) % 10_000_000}"^^<http://www.w3.org/2001/XMLSchema#integer>'),
        (_P["indicator"], f"<{BASE}id/indicator/synthetic-{k}>"),
    ]


def write(path: Path, triples: int, graph: str | None = None, mode: str = "w") -> Path:
    """Write exactly ``triples`` synthetic triples to ``path`` (N-Triples, or N-Quads in ``graph``);
    ``mode="a"`` appends (after a dataset's own N-Quads)."""
    codes = regions()
    end = f" <{graph}> .\n" if graph else " .\n"
    written = 0
    with open(path, mode, encoding="utf-8") as fh:
        i = 0
        while written < triples:
            subject = f"<{BASE}id/observation/synthetic-{i}>"
            lines = [f"{subject} <{p}> {o}{end}" for p, o in observation(i, codes)[:triples - written]]
            fh.write("".join(lines))
            written += len(lines)
            i += 1
    return Path(path)
