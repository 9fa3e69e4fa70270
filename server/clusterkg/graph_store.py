"""SPARQL 1.1 Graph Store HTTP Protocol, read access, at /rdf-graph-store.

``GET|HEAD ?graph=IRI`` answers one named graph, ``?default`` the default graph (the union of the
named graphs, as at /sparql), in the negotiated RDF format.  An unknown graph is a 404.  The graphs
never change, so each (graph, format) is serialised once and kept.  Writes (PUT, POST, DELETE,
PATCH) are refused with 403 ``read-only``, like updates at /sparql.
"""
from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request

from . import formats
from .errors import ClusterkgError
from .protocol import first, parse_query_string, read_only
from .store import PREFIXES

bp = Blueprint("graph_store", __name__)
_QUAD_FORMATS = ("trig", "nquads")


@bp.route("/rdf-graph-store", methods=["GET"])
def get_graph():
    ep = current_app.extensions["clusterkg"]
    params = parse_query_string(request.query_string)
    graph = first(params, "graph")
    if "default" in params and graph is not None:
        raise ClusterkgError("Give either ?default or ?graph=IRI, not both.", status=400, code="bad-request")
    if "default" not in params and graph is None:
        raise ClusterkgError("Name a graph: ?graph=IRI (one of " + ", ".join(ep.graphs)
                             + ") or ?default for the default graph (their union).", status=400, code="bad-request")
    if graph is not None and graph not in ep.graphs:
        raise ClusterkgError(f"No graph <{graph}> here; the graphs are: " + ", ".join(ep.graphs) + ".",
                             status=404, code="graph-not-found")
    fmt = formats.choose(first(params, "format"), request.headers.get("Accept"), formats.GRAPH)
    resp = Response(render(ep, graph, fmt), content_type=fmt.media_type)
    resp.headers["Vary"] = "Accept"
    return resp


@bp.route("/rdf-graph-store", methods=["PUT", "POST", "DELETE", "PATCH"])
def write_graph():
    raise read_only(f"{request.method} on the graph store")


def render(ep, graph: str | None, fmt: formats.Format) -> bytes:
    """One graph (None: the default graph) serialised in one format, computed once."""
    key = ("graph-store", graph, fmt.name)
    body = ep.rendered.get(key)
    if body is None:
        store = ep.local.store
        if graph is None:
            triples = list(store.query("CONSTRUCT WHERE { ?s ?p ?o }", use_default_graph_as_union=True))
            items = [ox.Quad(t.subject, t.predicate, t.object) for t in triples] if fmt.name in _QUAD_FORMATS else triples
        else:
            quads = list(store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
            items = quads if fmt.name in _QUAD_FORMATS else [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
        extra = {"prefixes": PREFIXES} if fmt.name in ("turtle", "trig") else {}
        body = ox.serialize(items, format=fmt.ox, **extra)
        ep.remember(key, body)
    return body
