"""The fast path (web.protocol.FastPath: GET|HEAD /sparql?query= without Flask's request
machinery) is a second way in; it must answer exactly what the Flask view answers.  Kept because
it pays (bench/run.py --ablations: 1.19x the mix at c=8, median of 5 rounds)."""
from __future__ import annotations

import pytest
from werkzeug.test import Client

from clusterkg.web.protocol import FastPath
from conftest import CK

#: every triple without a blank node
NAMED = "SELECT * WHERE { ?s ?p ?o FILTER(!isBlank(?s) && !isBlank(?o)) }"

REQUESTS = [
    ({"query": f"SELECT ?c WHERE {{ ?c a <{CK}InnovationCluster> }} ORDER BY ?c"}, {}),
    ({"query": NAMED + " ORDER BY ?s ?p ?o LIMIT 5", "format": "csv"}, {}),
    ({"query": NAMED + " ORDER BY ?s ?p ?o LIMIT 5"}, {"Accept": "application/sparql-results+xml"}),
    ({"query": "ASK { ?s ?p ?o }"}, {"Accept": "text/tab-separated-values"}),
    ({"query": f"CONSTRUCT WHERE {{ ?c a <{CK}InnovationCluster> }}"}, {"Accept": "text/turtle"}),
    ({"query": "CONSTRUCT { ?s ?p ?o } WHERE " + NAMED[15:] + " ORDER BY ?s ?p ?o", "format": "jsonld"}, {}),
    ({"query": NAMED + " ORDER BY ?s ?p ?o"}, {}),                                  # over the row cap
    ({"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1",
      "default-graph-uri": "https://w3id.org/clusterkg/graph/data"}, {}),
    ({"query": "SELECT * WHERE {"}, {}),                                               # 400 malformed
    ({"query": "SELECT * WHERE {"}, {"Accept": "text/html"}),                          # 400 as a page
    ({"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}, {}),                        # 403
    ({"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}, {}),  # 403
    ({"query": "ASK {}", "update": "CLEAR ALL"}, {}),                                  # 400
    ({"query": "ASK {}", "format": "nope"}, {}),                                       # 400 unknown-format
    ({"query": "ASK {}"}, {"Accept": "image/png"}),                                    # 406
    ({"query": "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }"}, {}),        # 400 unknown-graph
]


# every query orders its rows and leaves blank nodes out: the first run of a query is in an
# executor, the second (placement) in the worker's own store, and between processes pyoxigraph's
# order of unordered results and its blank node labels differ

@pytest.fixture
def both(make_app):
    app = make_app(max_result_rows=20)
    assert isinstance(app.wsgi_app, FastPath)
    return Client(app.wsgi_app), Client(app.wsgi_app.wsgi_app)   # fast path, Flask alone


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("params, headers", REQUESTS)
def test_the_fast_path_answers_what_flask_answers(both, method, params, headers):
    fast, flask = both
    a = fast.open("/sparql", method=method, query_string=params, headers=headers)
    b = flask.open("/sparql", method=method, query_string=params, headers=headers)
    assert a.status_code == b.status_code  # (the reason phrase is werkzeug's upper case or ours)
    assert a.get_data() == b.get_data()
    assert sorted(a.headers.items()) == sorted(b.headers.items())
