"""The SPARQL 1.1 Service Description answered by GET /sparql without a query.

It names the endpoint, the language, the result formats, the features (``sd:UnionDefaultGraph``:
the default graph is the union of the named graphs) and the dataset with each named graph and its
triple count, and states the endpoint's policies and limits in ``dcterms:description``.
Rendered once per (endpoint URL, format) and kept.
"""
from __future__ import annotations

import pyoxigraph as ox
from flask import Response, request

from . import formats

SD = "http://www.w3.org/ns/sparql-service-description#"

_GRAPH_NOTES = {
    "ontology": "The clusterkg ontology (ontology/*.ttl).",
    "data": "The clusters, actors, goals, tasks, outcomes and figures of the source article (data/clusters.ttl).",
    "links": "Places, region codes, geometries, industrial complexes and links to external datasets (data/links.ttl).",
    "inferred": "The OWL-RL closure of the other graphs, minus what is asserted and minus noise.",
}


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def policy(settings) -> str:
    """The endpoint's rules in words: read-only, no outside hosts, the limits, the error shape."""
    service = ("SERVICE is refused (HTTP 403, code service-refused): the endpoint never contacts a host a query "
               "names." if not settings.service_allowlist else
               "SERVICE may name only these hosts: " + ", ".join(settings.service_allowlist) + "; any other is refused (403).")
    return (
        "Read-only: SPARQL Update by any channel (update=, application/sparql-update, an update in query=) is "
        f"refused with HTTP 403 (code read-only). {service} "
        "FROM, FROM NAMED, default-graph-uri and named-graph-uri may name only the graphs listed in the dataset; "
        "any other graph is a 400 (code unknown-graph). "
        f"Each query may run {settings.query_timeout:g} s, else HTTP 503 (code query-timeout). "
        f"Results are cut at {settings.max_result_rows} rows or triples and at {settings.max_response_bytes} bytes; "
        "a cut response carries the header X-Clusterkg-Truncated (rows=N or bytes=N) and, in SPARQL JSON, a "
        "top-level \"clusterkg\" note. "
        f"Queries longer than {settings.max_query_length} bytes or bodies over {settings.max_body_bytes} bytes get "
        f"HTTP 413; brackets nested deeper than {settings.max_nesting_depth} levels get 400 (code query-too-deep). "
        "Every error is application/json: {\"error\": {\"status\": …, \"code\": …, \"message\": …}}. "
        "The response format follows Accept (q-values honoured) or the format parameter "
        "(json, xml, csv, tsv for SELECT/ASK; turtle, ntriples, jsonld, rdfxml, trig, nquads for graphs)."
    )


def turtle(ep, endpoint: str) -> str:
    """The description as Turtle, for the endpoint at this URL."""
    counts = ep.graph_counts()
    store_url = endpoint.rsplit("/", 1)[0] + "/rdf-graph-store"
    result_formats = ", ".join(f"<{f.iri}>" for f in formats.FORMATS)
    features = "sd:UnionDefaultGraph" + (", sd:BasicFederatedQuery" if ep.settings.service_allowlist else "")
    named = []
    for graph in ep.graphs:
        note = _GRAPH_NOTES.get(graph.rsplit("/", 1)[-1], "")
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
    dcterms:description {_literal(policy(ep.settings))}@en ;
    rdfs:seeAlso <{store_url}> ;
    sd:defaultDataset [
        a sd:Dataset ;
        dcterms:description "The default graph is the union of the named graphs (pyoxigraph use_default_graph_as_union); a query with FROM/FROM NAMED, or a request with default-graph-uri/named-graph-uri, uses the dataset it names instead. The OWL-RL inferences are materialised in the graph …/graph/inferred."@en ;
        sd:defaultGraph [ a sd:Graph ; void:triples {counts.get(None, 0)} ;
            dcterms:description "The union of all named graphs."@en ] ;
        sd:namedGraph {named_graphs}
    ] .
"""


def render(ep, endpoint: str, fmt: formats.Format) -> bytes:
    key = ("service-description", endpoint, fmt.name)
    body = ep.rendered.get(key)
    if body is None:
        text = turtle(ep, endpoint)
        if fmt.name == "turtle":
            body = text.encode("utf-8")
        else:
            body = ox.serialize(ox.parse(text, format=ox.RdfFormat.TURTLE), format=fmt.ox,
                                **({"prefixes": {"sd": SD}} if fmt.name == "trig" else {}))
        ep.remember(key, body)
    return body


def response(ep, fmt: formats.Format) -> Response:
    resp = Response(render(ep, request.base_url, fmt), content_type=fmt.media_type)
    resp.headers["Vary"] = "Accept"
    return resp
