"""The query guard: SERVICE, updates, FROM graphs and nesting are caught before any parser runs,
and the server never contacts a host a query names (a canary TCP server must receive nothing)."""
from __future__ import annotations

import multiprocessing
import socket

import pytest

from clusterkg.errors import ClusterkgError
from clusterkg.guard import Guard
from conftest import GRAPHS, error_of

pytestmark = pytest.mark.backends  # the same tests on every backend (conftest.BACKENDS)

GUARD = Guard(graphs=GRAPHS.values(), max_nesting_depth=50)


def refusal(text: str, guard: Guard = GUARD) -> tuple[int, str]:
    with pytest.raises(ClusterkgError) as info:
        guard.check_query(text)
    return info.value.status, info.value.code


def service_forms(url: str) -> list[str]:
    """SERVICE written every way a parser accepts it."""
    return [
        f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
        f"select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ sErViCe <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE # a comment\n  SILENT # another\n <{url}>\n{{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?a ?b ?c OPTIONAL {{ {{ ?x ?y ?z }} UNION {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
        f"PREFIX c: <{url}> SELECT * WHERE {{ SERVICE c: {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ BIND(<{url}> AS ?u) SERVICE ?u {{ ?s ?p ?o }} }}",
        f"SELECT*WHERE{{SERVICE<{url}>{{?s ?p ?o}}}}",
        f"ASK {{ FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        # pyoxigraph needs no space between SERVICE and SILENT, and unescapes \\u in IRIs
        f"SELECT * WHERE {{ SERVICESILENT <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE <{url}\\u0065> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ _:b ?p ?o . SERVICE\t<{url}> {{ ?s ?p ?o }} }}",
    ]


@pytest.mark.parametrize("query", service_forms("http://127.0.0.1:9/sparql"))
def test_service_is_refused_in_every_spelling(query):
    assert refusal(query) == (403, "service-refused")


@pytest.mark.parametrize("query", [
    'SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1:9/> {}" }',
    "SELECT * WHERE { ?s ?p '''multi\nline SERVICE <http://x/>''' }",
    "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }",
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://127.0.0.1:9/> { }",
    "PREFIX service: <http://example.org/> SELECT ?service WHERE { ?service service:service ?o }",
    'SELECT * WHERE { ?s ?p "a \\" SERVICE <http://x/> {} \\" b" }',
])
def test_service_in_strings_iris_comments_and_names_is_not_a_keyword(query):
    GUARD.check_query(query)


def test_service_allowlist():
    guard = Guard(graphs=GRAPHS.values(), service_allowlist=("query.wikidata.org", "127.0.0.1:8890"))
    guard.check_query("SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }")
    guard.check_query("SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:8890/sparql> { ?s ?p ?o } }")
    assert refusal("SELECT * WHERE { SERVICE <http://127.0.0.1:8891/sparql> { } }", guard)[1] == "service-refused"
    assert refusal("SELECT * WHERE { SERVICE <http://evil.example/?q=query.wikidata.org> { } }", guard)[0] == 403
    assert refusal("SELECT * WHERE { SERVICE ?where { } }", guard)[0] == 403


@pytest.mark.parametrize("update", [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "delete { ?s ?p ?o } insert { ?s ?p 1 } where { ?s ?p ?o }",
    "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:9/data.ttl>",
    "LOAD SILENT <http://127.0.0.1:9/data.ttl> INTO GRAPH <urn:g>",
    "CLEAR ALL", "CLEAR DEFAULT", "DROP GRAPH <https://w3id.org/clusterkg/graph/data>", "DROP ALL",
    "CREATE GRAPH <urn:g>", "ADD DEFAULT TO <urn:g>", "MOVE <urn:a> TO <urn:b>", "COPY DEFAULT TO <urn:g>",
    "PREFIX ex: <http://example.org/> INSERT DATA { ex:a ex:b ex:c }",
    "SELECT * WHERE { ?s ?p ?o } ; INSERT DATA { <urn:a> <urn:b> <urn:c> }",
])
def test_updates_are_refused(update):
    assert refusal(update) == (403, "read-only")


def test_nesting_is_bounded_before_parsing():
    for opener, closer in (("{", "}"), ("(", ")"), ("[", "]")):
        deep = "SELECT * WHERE { FILTER(" + opener * 10_000 + closer * 10_000 + ") }"
        assert refusal(deep) == (400, "query-too-deep")
    GUARD.check_query("SELECT * WHERE " + "{" * 40 + "}" * 40)
    GUARD.check_query('SELECT * WHERE { ?s ?p "' + "{" * 1000 + '" }')  # inside a string: not nesting


def test_from_graphs_are_resolved_and_checked():
    checked = GUARD.check_query(f"PREFIX g: <https://w3id.org/clusterkg/graph/> SELECT * FROM g:data "
                                f"FROM NAMED <{GRAPHS['links']}> WHERE {{ ?s ?p ?o }}")
    assert checked.from_graphs == (GRAPHS["data"],) and checked.from_named == (GRAPHS["links"],)
    assert refusal("SELECT * FROM <http://127.0.0.1:9/x> WHERE { ?s ?p ?o }") == (400, "unknown-graph")


def test_query_form_is_found():
    assert GUARD.check_query("PREFIX select: <urn:x#> ASK { ?s select:p ?o }").form == "ASK"
    assert GUARD.check_query("CONSTRUCT { ?s ?p ?o } WHERE { { SELECT * { ?s ?p ?o } } }").kind == "graph"
    assert GUARD.check_query("describe <urn:x>").kind == "graph"


def test_unterminated_string_is_refused():
    assert refusal('SELECT * WHERE { ?s ?p "open }') == (400, "malformed-query")


# --- the canary: nothing is ever fetched ------------------------------------------------------
@pytest.mark.deviates("virtuoso", "Virtuoso 7.2 answers ASK { GRAPH <iri> { ?s ?p ?o } } true when <iri> is outside "
                                  "the named-graph-uri dataset (a SELECT of the same pattern is empty)")
def test_the_service_never_contacts_the_canary(make_service, canary):
    service = make_service()
    for query in service_forms(canary.url) + [f"SELECT * FROM <{canary.url}x> WHERE {{ ?s ?p ?o }}",
                                              f"SELECT * FROM NAMED <{canary.url}x> WHERE {{ ?s ?p ?o }}"]:
        with pytest.raises(ClusterkgError):
            service.answer(query)
    with pytest.raises(ClusterkgError):
        service.answer("SELECT * WHERE { ?s ?p ?o }", default_graphs=[canary.url])
    # GRAPH <url> is pattern matching over the graphs held, never a fetch
    assert b'"boolean":false' in service.answer(f"ASK {{ GRAPH <{canary.url}> {{ ?s ?p ?o }} }}").body
    canary.assert_untouched()


@pytest.mark.deviates("virtuoso", "Virtuoso's anonymous SPARQL user may not run SERVICE: the store itself never "
                                  "federates, so this positive control has nothing to see")
def test_the_canary_does_see_an_allowlisted_service(make_service, canary):
    """Positive control: the same query reaches the canary once its host is allowlisted."""
    service = make_service(service_allowlist=(f"127.0.0.1:{canary.port}",))
    with pytest.raises(ClusterkgError):  # the canary answers nothing SPARQL-like
        service.answer(f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}")
    canary.sock.settimeout(0.1)
    import time
    time.sleep(0.3)
    assert canary.hits and canary.hits[0].startswith(b"POST")


def test_endpoint_never_contacts_the_canary(client, canary):
    for query in service_forms(canary.url):
        r = client.get("/sparql", query_string={"query": query})
        assert r.status_code == 403 and error_of(r)["code"] == "service-refused"
    for params in ({"query": f"SELECT * FROM <{canary.url}x> WHERE {{ ?s ?p ?o }}"},
                   {"query": f"SELECT * FROM NAMED <{canary.url}x> WHERE {{ ?s ?p ?o }}"},
                   {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": canary.url},
                   {"query": "SELECT * WHERE { ?s ?p ?o }", "named-graph-uri": canary.url}):
        r = client.get("/sparql", query_string=params)
        assert r.status_code == 400 and error_of(r)["code"] == "unknown-graph"
    r = client.get("/sparql", query_string={"query": f"ASK {{ GRAPH <{canary.url}> {{ ?s ?p ?o }} }}"})
    assert r.status_code == 200
    r = client.post("/sparql", data={"update": f"LOAD <{canary.url}data.ttl>"})
    assert r.status_code == 403 and error_of(r)["code"] == "read-only"
    r = client.post("/sparql", data=f"LOAD <{canary.url}data.ttl>".encode(), content_type="application/sparql-update")
    assert r.status_code == 403
    r = client.get("/sparql", query_string={"query": f"LOAD <{canary.url}data.ttl>"})
    assert r.status_code == 403
    canary.assert_untouched()


def _try_connect(port, result):
    from clusterkg.backends.executor_process import _drop_network
    _drop_network()
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        result.value = 1
    except OSError:
        result.value = 0


def test_executors_have_no_network_when_nothing_is_allowlisted(canary):
    """Defence in depth: an executor's network namespace is empty, so even a SERVICE the guard
    missed could not leave the process (where the kernel allows new namespaces)."""
    ctx = multiprocessing.get_context("fork")
    result = ctx.Value("i", -1)
    proc = ctx.Process(target=_try_connect, args=(canary.port, result))
    proc.start()
    proc.join(10)
    if result.value == 1:
        pytest.skip("this kernel does not allow a new network namespace; the guard alone protects")
    assert result.value == 0
    canary.assert_untouched()
