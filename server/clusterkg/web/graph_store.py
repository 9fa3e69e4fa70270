"""SPARQL 1.1 Graph Store HTTP Protocol, read access, at /rdf-graph-store.

``GET|HEAD ?graph=IRI`` answers one named graph, ``?default`` the default graph (the union of the
named graphs, as at /sparql), in the negotiated RDF format.  An unknown graph is a 404.  The graphs
never change, so the service renders each (graph, format) once.  Writes (PUT, POST, DELETE, PATCH)
are refused with 403 ``read-only``, like updates at /sparql.
"""
from __future__ import annotations

from flask import Blueprint, Response, request

from .. import formats
from ..errors import ClusterkgError
from . import current_service
from .protocol import first, parse_query_string, read_only

bp = Blueprint("graph_store", __name__)


@bp.route("/rdf-graph-store", methods=["GET"])
def get_graph():
    service = current_service()
    params = parse_query_string(request.query_string)
    graph = first(params, "graph")
    if "default" in params and graph is not None:
        raise ClusterkgError("bad-request", "Give either ?default or ?graph=IRI, not both.")
    if "default" not in params and graph is None:
        raise ClusterkgError("bad-request", "Name a graph: ?graph=IRI (one of " + ", ".join(service.graphs)
                             + ") or ?default for the default graph (their union).")
    if graph is not None and graph not in service.graphs:
        raise ClusterkgError("graph-not-found", f"No graph <{graph}> here; the graphs are: "
                             + ", ".join(service.graphs) + ".")
    fmt = formats.choose(first(params, "format"), request.headers.get("Accept"), formats.GRAPH)
    resp = Response(service.dump(graph, fmt), content_type=fmt.media_type)
    resp.headers["Vary"] = "Accept"
    return resp


@bp.route("/rdf-graph-store", methods=["PUT", "POST", "DELETE", "PATCH"])
def write_graph():
    raise read_only(f"{request.method} on the graph store")
