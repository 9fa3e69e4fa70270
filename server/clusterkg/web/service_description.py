"""The SPARQL 1.1 Service Description answered by GET /sparql without a query.

It names the endpoint, the language, the result formats, the features (``sd:UnionDefaultGraph``:
the default graph is the union of the named graphs) and the dataset with each named graph and its
triple count, and states the endpoint's policies and limits in ``dcterms:description``.
Rendered once per (endpoint URL, format) and kept.
"""
from __future__ import annotations

import pyoxigraph as ox
from flask import Response, request

from .. import errors, formats
from ..backends.store import ox_format
from ..namespaces import BASE as BASE_IRI

SD = "http://www.w3.org/ns/sparql-service-description#"


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _code(code: str) -> str:
    """'HTTP 403 (code read-only)', from the error registry."""
    return f"HTTP {errors.CODES[code][0]} (code {code})"


def policy(settings) -> str:
    """The endpoint's rules in words: read-only, no outside hosts, the limits, the error shape."""
    service = (f"SERVICE is refused ({_code('service-refused')}): the endpoint never contacts a host a query "
               "names." if not settings.service_allowlist else
               "SERVICE may name only these hosts: " + ", ".join(settings.service_allowlist)
               + f"; any other is refused ({_code('service-refused')}).")
    return (
        "Read-only: SPARQL Update by any channel (update=, application/sparql-update, an update in query=) is "
        f"refused with {_code('read-only')}. {service} "
        "FROM, FROM NAMED, default-graph-uri and named-graph-uri may name only the graphs listed in the dataset; "
        f"any other graph is {_code('unknown-graph')}. "
        f"Relative IRIs in a query resolve against <{BASE_IRI}>. "
        f"Each query may run {settings.query_timeout:g} s, else {_code('query-timeout')}. "
        f"Results are cut at {settings.max_result_rows} rows or triples and at {settings.max_response_bytes} bytes; "
        "a cut response carries the header X-Clusterkg-Truncated (rows=N or bytes=N) and, in SPARQL JSON, a "
        "top-level \"clusterkg\" note. "
        f"Queries longer than {settings.max_query_length} bytes or bodies over {settings.max_body_bytes} bytes get "
        f"HTTP 413; brackets nested deeper than {settings.max_nesting_depth} levels get {_code('query-too-deep')}. "
        "Every error is application/json: {\"error\": {\"status\": …, \"code\": …, \"message\": …}}. "
        "The response format follows Accept (q-values honoured) or the format parameter ("
        + ", ".join(formats.names(formats.RESULTS)) + " for SELECT/ASK; "
        + ", ".join(formats.names(formats.GRAPH)) + " for graphs)."
    )


def turtle(service, endpoint: str) -> str:
    """The description as Turtle, for the endpoint at this URL."""
    counts = service.counts()
    store_url = endpoint.rsplit("/", 1)[0] + "/rdf-graph-store"
    result_formats = ", ".join(f"<{f.iri}>" for f in formats.FORMATS)
    features = "sd:UnionDefaultGraph" + (", sd:BasicFederatedQuery" if service.settings.service_allowlist else "")
    named = []
    for graph in service.graphs:
        note = service.notes.get(graph, "")
        named.append(
            f"[ a sd:NamedGraph ; sd:name <{graph}> ;\n"
            f"          sd:graph [ a sd:Graph ; void:triples {counts.get(graph, 0)} ; dcterms:description {_literal(note)}@en ] ]")
    named_graphs = " ,\n        ".join(named)
    return f"""@prefix sd: <{SD}> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

<{endpoint}> a sd:Service ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage sd:SPARQL11Query ;
    sd:feature {features} ;
    sd:resultFormat {result_formats} ;
    sd:defaultEntailmentRegime <http://www.w3.org/ns/entailment/Simple> ;
    dcterms:title "clusterkg: Korea's pilot innovation clusters as Linked Data"@en ;
    dcterms:description {_literal(policy(service.settings))}@en ;
    rdfs:seeAlso <{store_url}> ;
    sd:defaultDataset [
        a sd:Dataset ;
        dcterms:description "The default graph is the union of the named graphs (pyoxigraph use_default_graph_as_union); a query with FROM/FROM NAMED, or a request with default-graph-uri/named-graph-uri, uses the dataset it names instead. The OWL-RL inferences are materialised in the graph …/graph/inferred."@en ;
        sd:defaultGraph [ a sd:Graph ; void:triples {counts.get(None, 0)} ;
            dcterms:description "The union of all named graphs."@en ] ;
        sd:namedGraph {named_graphs}
    ] .
"""


def render(service, endpoint: str, fmt: formats.Format) -> bytes:
    def build() -> bytes:
        text = turtle(service, endpoint)
        if fmt.name == "turtle":
            return text.encode("utf-8")
        return ox.serialize(ox.parse(text, format=ox.RdfFormat.TURTLE), format=ox_format(fmt),
                            **({"prefixes": {"sd": SD}} if fmt.prefixes else {}))
    return service.rendered(("service-description", endpoint, fmt.name), build)


def response(service, fmt: formats.Format) -> Response:
    resp = Response(render(service, request.base_url, fmt), content_type=fmt.media_type)
    resp.headers["Vary"] = "Accept"
    return resp
