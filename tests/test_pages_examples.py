"""The example queries: listed on /query with ko/en descriptions, and published by the endpoint in
…/graph/examples as SHACL SPARQL executables (the sparql-examples convention)."""
from __future__ import annotations

from pathlib import Path

import pytest

from clusterkg.app import create_app

COMPETENCY = Path(__file__).parent.parent / "server" / "clusterkg" / "queries" / "competency"
SH = "http://www.w3.org/ns/shacl#"
QUERY = """PREFIX sh: <http://www.w3.org/ns/shacl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <https://schema.org/>
SELECT ?ex ?text ?ko ?en ?target ?prefixes WHERE {
  GRAPH <https://w3id.org/clusterkg/graph/examples> {
    ?ex a sh:SPARQLExecutable ; sh:select|sh:ask|sh:construct ?text ; schema:target ?target ; sh:prefixes ?prefixes ;
        rdfs:comment ?ko, ?en .
    FILTER(lang(?ko) = "ko" && lang(?en) = "en")
  }
}"""


@pytest.fixture(scope="module")
def web(site_settings):
    app = create_app(site_settings)
    yield app.test_client()
    app.extensions["clusterkg"].close()


def test_examples_are_published_as_executables(web):
    files = {p.stem: p.read_text(encoding="utf-8") for p in COMPETENCY.glob("*.rq")}
    rows = web.get("/sparql", query_string={"query": QUERY, "format": "json"}).get_json()["results"]["bindings"]
    by_name = {r["ex"]["value"].rsplit("/", 1)[1]: r for r in rows}
    assert set(by_name) == set(files)
    for name, row in by_name.items():
        assert row["text"]["value"] == files[name]
        assert row["ko"]["value"] and row["en"]["value"] and row["ko"]["value"] != row["en"]["value"]
        assert row["target"]["value"] == "https://w3id.org/clusterkg/sparql"
        # each published query runs on the endpoint as it stands
        answer = web.get("/sparql", query_string={"query": row["text"]["value"], "format": "json"})
        assert answer.status_code == 200, name
    declared = web.get("/sparql", query_string={"format": "json", "query":
                       "SELECT ?prefix WHERE { <https://w3id.org/clusterkg/id/dataset/prefixes> "
                       "<http://www.w3.org/ns/shacl#declare>/<http://www.w3.org/ns/shacl#prefix> ?prefix }"})
    assert {"ck", "rdfs", "qb"} <= {b["prefix"]["value"] for b in declared.get_json()["results"]["bindings"]}


def test_query_page_lists_and_runs_each_example(web):
    html = web.get("/query?lang=en", headers={"Accept": "text/html"}).get_data(as_text=True)
    for path in COMPETENCY.glob("*.rq"):
        assert f'href="/query?example={path.stem}"' in html
    page = web.get("/query?example=q06-council-counts", headers={"Accept": "text/html"})
    assert page.status_code == 200 and '<table class="results">' in page.get_data(as_text=True)
    bad = web.get("/query?query=SELECT%20%3Fx%20WHERE%20%7B", headers={"Accept": "text/html"})
    assert bad.status_code == 400 and 'id="error"' in bad.get_data(as_text=True)
    assert web.get("/query?example=nope", headers={"Accept": "text/html"}).status_code == 404


def test_example_has_a_page(web):
    page = web.get("/id/example/q01-exports-growth-over-40-percent?lang=ko", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "수출이 40% 넘게 늘어난 클러스터는?" in page.get_data(as_text=True)
