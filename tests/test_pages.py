"""The site's pages over the shipped dataset: content negotiation of every IRI, the cluster page's
table, charts and CSV, languages, the landing page, downloads and the VoID/DCAT description, and
bad input (Flask's test client; the browser tests are in test_browser.py)."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re

import pytest
import rdflib
from markupsafe import escape
from rdflib.namespace import DCAT, RDF

from clusterkg.app import create_app

BASE = "https://w3id.org/clusterkg/"
GUMI = BASE + "id/cluster/gumi"
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def app(site_settings):
    app = create_app(site_settings)
    app.config["CLUSTERKG_PAGE_CACHE"] = False
    yield app
    app.extensions["clusterkg"].close()


@pytest.fixture
def web(app):
    return app.test_client()


def sparql(web, query: str) -> list[dict]:
    response = web.get("/sparql", query_string={"query": query, "format": "json"})
    assert response.status_code == 200, response.data
    return response.get_json()["results"]["bindings"]


def parse(data: bytes, fmt: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=data, format=fmt)


# --- content negotiation ----------------------------------------------------------------------
@pytest.mark.parametrize("accept,media,rdflib_format", [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("*/*", "text/turtle", "turtle"),
    ("text/turtle;q=0.4, application/rdf+xml;q=0.9, text/html;q=0.5", "application/rdf+xml", "xml"),
])
def test_data_by_accept(web, accept, media, rdflib_format):
    response = web.get("/id/cluster/gumi", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(media)
    assert "Accept" in response.headers["Vary"]
    g = parse(response.data, rdflib_format)
    assert (rdflib.URIRef(GUMI), RDF.type, rdflib.URIRef(BASE + "ontology#InnovationCluster")) in g
    # the links that point to it are there too (councils name their cluster)
    assert any(True for _ in g.subject_predicates(rdflib.URIRef(GUMI)))


def test_no_accept_gets_turtle_and_html_for_browsers(web):
    assert web.get("/id/cluster/gumi").headers["Content-Type"].startswith("text/turtle")
    page = web.get("/id/cluster/gumi", headers=HTML)
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Accept" in page.headers["Vary"]


@pytest.mark.parametrize("suffix,rdflib_format", [("ttl", "turtle"), ("jsonld", "json-ld"), ("nt", "nt"), ("rdf", "xml")])
def test_suffix_urls(web, suffix, rdflib_format):
    response = web.get(f"/id/actor/gwangju-technopark.{suffix}", headers=HTML)  # the suffix wins over Accept
    assert response.status_code == 200
    g = parse(response.data, rdflib_format)
    assert rdflib.URIRef(BASE + "id/actor/gwangju-technopark") in set(g.subjects())


def test_alternates_in_headers_and_page(web):
    page = web.get("/id/unit/cases", headers=HTML)
    assert page.status_code == 200
    link = page.headers["Link"]
    html = page.get_data(as_text=True)
    for suffix, media in [("ttl", "text/turtle"), ("jsonld", "application/ld+json"), ("nt", "application/n-triples"),
                          ("rdf", "application/rdf+xml")]:
        assert f'</id/unit/cases.{suffix}>; rel="alternate"; type="{media}"' in link
        assert f'<link rel="alternate" type="{media}" href="/id/unit/cases.{suffix}">' in html
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
                      .replace("<\\/", "</"))
    g = rdflib.Graph().parse(data=json.dumps(data), format="json-ld")
    assert rdflib.URIRef(BASE + "id/unit/cases") in set(g.objects())


def test_page_shows_incoming_links_with_labels(web):
    """unit:cases has few statements of its own; the figures measured in it point to it."""
    figures = sparql(web, "SELECT ?f WHERE { ?f <http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure> "
                          "<https://w3id.org/clusterkg/id/unit/cases> }")
    assert figures
    html = web.get("/id/unit/cases?lang=en", headers=HTML).get_data(as_text=True)
    for row in figures:
        assert 'href="' + row["f"]["value"].removeprefix(BASE[:-1]) + '"' in html
    label = sparql(web, "SELECT ?l WHERE { <%s> <http://www.w3.org/2000/01/rdf-schema#label> ?l "
                        "FILTER(lang(?l) = 'en') }" % figures[0]["f"]["value"])[0]["l"]["value"]
    assert str(escape(label)) in html


def test_labels_follow_the_language(web):
    en = web.get("/id/cluster/gumi?lang=en", headers=HTML).get_data(as_text=True)
    ko = web.get("/id/cluster/gumi?lang=ko", headers=HTML).get_data(as_text=True)
    assert '<html lang="en">' in en and "<h1>Gumi cluster</h1>" in en
    assert '<html lang="ko">' in ko and "<h1>구미클러스터</h1>" in ko


def test_language_cookie_and_accept_language(web):
    response = web.get("/id/cluster/ulsan?lang=en", headers=HTML)
    assert "lang=en" in response.headers["Set-Cookie"]
    again = web.get("/id/cluster/ulsan", headers=HTML)  # the test client keeps the cookie
    assert '<html lang="en">' in again.get_data(as_text=True)
    fresh = web.application.test_client()
    page = fresh.get("/id/cluster/ulsan", headers={**HTML, "Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in page.get_data(as_text=True)
    page = fresh.get("/id/cluster/ulsan", headers={**HTML, "Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"})
    assert '<html lang="ko">' in page.get_data(as_text=True)


def test_label_fallback():
    from clusterkg.web.i18n import pick
    assert pick({"en": "E", "": "U"}, "ko") == "E"
    assert pick({"": "U"}, "en") == "U"
    assert pick({"ko": "K", "en": "E"}, "en") == "E"
    assert pick({}, "ko") is None


# --- the cluster page ---------------------------------------------------------------------------
def test_cluster_table_has_every_figure_and_its_sentence(web):
    figures = sparql(web, "SELECT ?f ?v WHERE { ?f <https://w3id.org/clusterkg/ontology#cluster> <%s> ; "
                          "<https://w3id.org/clusterkg/ontology#value> ?v }" % GUMI)
    outcomes = sparql(web, "SELECT ?s WHERE { ?o <https://w3id.org/clusterkg/ontology#outcomeOf> <%s> ; "
                           "<https://w3id.org/clusterkg/ontology#statementKo> ?s }" % GUMI)
    html = web.get("/id/cluster/gumi", headers=HTML).get_data(as_text=True)
    table = html[html.index('<table class="figures">'):html.index("</table>", html.index('<table class="figures">'))]
    for row in figures:
        assert 'href="' + row["f"]["value"].removeprefix(BASE[:-1]) + '"' in table
    for row in outcomes:
        assert f'<blockquote lang="ko">{escape(row["s"]["value"])}</blockquote>' in table
    assert 'href="/id/source/chungbuk-ilbo-2008-10-09"' in table


def test_cluster_csv_is_the_table(web):
    html = web.get("/id/cluster/gumi", headers=HTML).get_data(as_text=True)
    table = html[html.index('<table class="figures">'):html.index("</table>", html.index('<table class="figures">'))]
    shown = re.findall(r'<td class="num"><a href="/id/(figure/[^"]+)">', table)
    for url in ("/id/cluster/gumi.csv", "/id/cluster/gumi?format=csv"):
        response = web.get(url, headers=HTML)
        assert response.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert [r["figure"].removeprefix(BASE + "id/") for r in rows if r["figure"]] == shown


def test_cluster_charts_are_svg_labelled_and_stable(web):
    first = web.get("/id/cluster/gumi?lang=en", headers=HTML).get_data(as_text=True)
    second = web.get("/id/cluster/gumi?lang=en", headers=HTML).get_data(as_text=True)
    charts = re.findall(r"<svg .*?</svg>", first, re.S)
    assert charts and charts == re.findall(r"<svg .*?</svg>", second, re.S)
    bars = re.findall(r'<g role="img" aria-label="([^"]+)"><title>[^<]+</title>.*?<rect ', charts[0])
    assert bars and all(":" in label for label in bars)
    assert any("44" in label for label in bars) and any("77" in label for label in bars)  # 지적재산권 44 → 77


def test_other_kinds_have_pages(web):
    for path in ("/id/actor/gwangju-technopark", "/id/council/gumi-mobile-phone-and-dmb-components", "/id/indicator/exports",
                 "/id/source/chungbuk-ilbo-2008-10-09", "/id/figure/gumi-2-intellectual-property-rights-before"):
        response = web.get(path + "?lang=en", headers=HTML)
        assert response.status_code == 200, path
        assert "<h1>" in response.get_data(as_text=True)


# --- /ontology, /graph -------------------------------------------------------------------------
def test_ontology_and_graphs(web):
    g = parse(web.get("/ontology", headers={"Accept": "text/turtle"}).data, "turtle")
    assert (rdflib.URIRef(BASE + "ontology#"), RDF.type, rdflib.OWL.Ontology) in g
    assert web.get("/ontology", headers=HTML).headers["Content-Type"].startswith("text/html")
    assert len(parse(web.get("/graph/links.nt").data, "nt")) > 100
    assert web.get("/graph/nothing", headers=HTML).status_code == 404


# --- landing, downloads, VoID/DCAT -----------------------------------------------------------------
def test_landing_page(web):
    html = web.get("/", headers=HTML).get_data(as_text=True)
    clusters = sparql(web, "SELECT ?c WHERE { ?c a <https://w3id.org/clusterkg/ontology#InnovationCluster> }")
    assert len(clusters) == 7
    for row in clusters:
        assert 'href="' + row["c"]["value"].removeprefix(BASE[:-1]) + '"' in html
    schema = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert schema["@type"] == "Dataset" and schema["license"].startswith("https://creativecommons.org/licenses/by/4.0")
    for href in ("/query", "/ontology", "/downloads", "/.well-known/void", "/sparql"):
        assert f'href="{href}"' in html


def test_landing_iri_gives_data_clients_the_description(web):
    for url, accept, fmt in (("/", "text/turtle", "turtle"), ("/", "application/ld+json", "json-ld"),
                             ("/.well-known/void?format=nt", None, "nt")):
        response = web.get(url, headers={"Accept": accept} if accept else {})
        g = parse(response.data, fmt)
        assert (rdflib.URIRef(BASE + "id/dataset/clusterkg"), RDF.type, DCAT.Dataset) in g, (url, accept)
    assert web.get("/", headers=HTML).headers["Content-Type"].startswith("text/html")


def test_void_describes_every_download(web):
    g = parse(web.get("/.well-known/void").data, "turtle")
    dataset = rdflib.URIRef(BASE + "id/dataset/clusterkg")
    assert (dataset, RDF.type, DCAT.Dataset) in g
    assert any(True for _ in g.subjects(RDF.type, DCAT.DataService))
    downloads = [d for d in g.objects(dataset, DCAT.distribution) if (d, DCAT.downloadURL, None) in g]
    assert len(downloads) >= 5
    spdx = rdflib.Namespace("http://spdx.org/rdf/terms#")
    for dist in downloads:
        url = str(g.value(dist, DCAT.downloadURL))
        body = web.get(url.removeprefix("http://localhost")).data
        assert int(g.value(dist, DCAT.byteSize)) == len(body)
        assert str(g.value(g.value(dist, spdx.checksum), spdx.checksumValue)) == hashlib.sha256(body).hexdigest()


def test_downloads_without_inferred_hold_no_inferred_triple(web):
    inferred = parse(web.get("/graph/inferred.nt").data, "nt")
    asserted = parse(web.get("/downloads/clusterkg.nt").data, "nt")
    everything = parse(web.get("/downloads/clusterkg-inferred.nt").data, "nt")
    assert inferred and not any(t in asserted for t in inferred)
    assert all(t in everything for t in inferred)


def test_downloads_link_every_named_graph_the_site_serves(web):
    html = web.get("/downloads", headers=HTML).get_data(as_text=True)
    linked = re.findall(r'href="/graph/([^"]+)"', html)
    assert "regions" in linked and "examples" in linked
    for name in linked:
        assert web.get(f"/graph/{name}", headers=HTML).status_code == 200


def test_the_csv_downloads_are_the_tables_of_clusterkg_export(web):
    import csv
    import io

    from click.testing import CliRunner

    from clusterkg.cli import main

    for table in ("figures", "regions"):
        exported = CliRunner().invoke(main, ["export", "--format", "csv", "--table", table], catch_exceptions=False)
        downloaded = web.get(f"/downloads/{table}.csv")
        assert downloaded.status_code == 200 and downloaded.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(downloaded.get_data(as_text=True))))
        assert len(rows) > 10
        assert rows == list(csv.reader(io.StringIO(exported.stdout)))


# --- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize("path,status", [
    ("/id/cluster/no-such-cluster", 404), ("/id/../../etc/passwd", 404), ("/id/cluster/%2e%2e/%2e%2e/x", 404),
    ("/id/cluster/gumi?lang=fr", 400), ("/id/cluster/gumi?format=bogus", 400), ("/id/actor/gwangju-technopark.csv", 400),
    ("/assets/../app.py", 404), ("/downloads/../../pyproject.toml", 404), ("/id/" + "a/" * 400 + "b", 404),
])
def test_bad_input(web, path, status):
    page = web.get(path, headers=HTML)
    assert page.status_code == status
    assert page.headers["Content-Type"].startswith("text/html")
    if path.startswith(("/id/cluster/", "/id/actor/")):  # the site's own page, with its navigation
        assert '<header class="top">' in page.get_data(as_text=True)
    api = web.get(path, headers={"Accept": "application/json"})
    assert api.status_code == status
    assert api.get_json()["error"]["status"] == status


def test_ontology_documentation_lists_every_term(web):
    terms = sparql(web, "SELECT ?t ?ko ?en WHERE { GRAPH <https://w3id.org/clusterkg/graph/ontology> { "
                        "{ ?t a <http://www.w3.org/2002/07/owl#Class> } UNION "
                        "{ ?t a <http://www.w3.org/2002/07/owl#ObjectProperty> } UNION "
                        "{ ?t a <http://www.w3.org/2002/07/owl#DatatypeProperty> } "
                        "?t <http://www.w3.org/2000/01/rdf-schema#label> ?ko, ?en "
                        "FILTER(lang(?ko) = 'ko' && lang(?en) = 'en' && isIRI(?t)) } }")
    assert len(terms) > 50
    html = web.get("/ontology?lang=en", headers=HTML).get_data(as_text=True)
    for row in terms:
        local = row["t"]["value"].split("#", 1)[1]
        start = html.index(f'<section class="term" id="{local}">')
        section = html[start:html.index("</section>", start)]
        assert str(escape(row["ko"]["value"])) in section and str(escape(row["en"]["value"])) in section
    # the W3C terms a class specialises are named: ck:Figure is a qb:Observation
    start = html.index('<section class="term" id="Figure">')
    assert "http://purl.org/linked-data/cube#Observation" in html[start:html.index("</section>", start)]


def test_every_page_but_the_query_page_weighs_at_most_300_kb(web):
    """The page and everything it loads (stylesheets, scripts, images it names on this server)."""
    clusters = [r["c"]["value"].removeprefix(BASE[:-1]) for r in sparql(
        web, "SELECT ?c WHERE { ?c a <https://w3id.org/clusterkg/ontology#InnovationCluster> }")]
    paths = ["/", "/downloads", "/ontology", "/graph/data", "/id/unit/percent", "/id/source/chungbuk-ilbo-2008-10-09",
             "/id/dataset/figures", *clusters]
    for path in paths:
        for lang in ("ko", "en"):
            page = web.get(f"{path}?lang={lang}", headers=HTML)
            assert page.status_code == 200, path
            html = page.get_data(as_text=True)
            assets = set(re.findall(r'<(?:link rel="stylesheet"|script|img)[^>]*(?:href|src)="(/[^"]+)"', html))
            weight = len(page.data) + sum(len(web.get(a).data) for a in assets)
            assert weight <= 300_000, f"{path} weighs {weight} bytes"


def test_every_iri_of_ours_is_served(web):
    """Each IRI under https://w3id.org/clusterkg/ in the data answers by its path, as a page and as
    Turtle (hash IRIs: the document before the #).  /sparql is the endpoint, not a page."""
    rows = sparql(web, 'SELECT DISTINCT ?x WHERE { { ?x ?p ?o } UNION { ?s ?p ?x } FILTER(isIRI(?x) && '
                       'STRSTARTS(STR(?x), "https://w3id.org/clusterkg/")) }')
    assert len(rows) > 300
    for row in rows:
        path = "/" + row["x"]["value"][len(BASE):].split("#")[0]
        if path == "/sparql":
            continue
        assert web.get(path, headers=HTML).status_code == 200, path
        assert web.get(path, headers={"Accept": "text/turtle"}).status_code == 200, path


def test_huge_and_malformed_query_strings_on_the_live_server(site_server):
    import requests
    # gunicorn refuses a request line over 8190 bytes before it reads any header, so the answer is
    # the JSON error shape whatever the Accept header says
    huge = requests.get(site_server + "/id/cluster/gumi?lang=" + "x" * 20_000, headers=HTML, timeout=10)
    assert huge.status_code == 414 and huge.json()["error"]["status"] == 414
    nearly = requests.get(site_server + "/id/cluster/gumi?lang=" + "x" * 7_000, headers=HTML, timeout=10)
    assert nearly.status_code == 400 and nearly.headers["Content-Type"].startswith("text/html")
    for query in ("lang=%zz", "lang=%ff%fe", "format=%00", "lang=ko&lang=%"):
        response = requests.get(site_server + "/id/cluster/gumi?" + query, headers=HTML, timeout=10)
        assert 400 <= response.status_code < 500, query
        assert response.headers["Content-Type"].startswith("text/html"), query
    long_query = requests.get(site_server + "/query", params={"query": "SELECT * WHERE { ?s ?p ?o } #" + "x" * 7000},
                              headers=HTML, timeout=10)
    assert long_query.status_code in (200, 413)


def test_bar_chart_escapes_labels_and_scales_bars():
    from clusterkg.charts import Bar, bar_chart
    svg = bar_chart('<b>"t"</b>', [[Bar("<script>x</script>", 10, "10%", 0), Bar("b", 5, "5%", 1)], [Bar("c", -3, "-3%")]])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([0-9.]+)"', svg)]
    assert widths[0] == 2 * widths[1] and widths[2] == 0   # one shared scale; a negative value draws no bar
    assert svg == bar_chart('<b>"t"</b>', [[Bar("<script>x</script>", 10, "10%", 0), Bar("b", 5, "5%", 1)],
                                           [Bar("c", -3, "-3%")]])


def test_quad_downloads_keep_the_named_graphs(web):
    import pyoxigraph as ox
    for name, fmt in (("clusterkg-inferred.nq", ox.RdfFormat.N_QUADS), ("clusterkg-inferred.trig", ox.RdfFormat.TRIG),
                      ("clusterkg.nq", ox.RdfFormat.N_QUADS), ("clusterkg.trig", ox.RdfFormat.TRIG)):
        quads = list(ox.parse(web.get("/downloads/" + name).data, format=fmt))
        graphs = {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}
        assert (BASE + "graph/data") in graphs and (BASE + "graph/links") in graphs, name
        assert ((BASE + "graph/inferred") in graphs) == ("inferred" in name), name


def test_every_word_a_template_uses_is_in_both_languages():
    from pathlib import Path

    from clusterkg.web.i18n import WORDS
    folder = Path(__file__).parent.parent / "server" / "clusterkg" / "web" / "templates"
    used = {key for path in folder.glob("*.html") for key in re.findall(r"\bw\.([a-z_0-9]+)", path.read_text())}
    assert used and used <= set(WORDS), sorted(used - set(WORDS))
    assert all(ko and en and ko != en or key in ("iri",) for key, (ko, en) in WORDS.items())
