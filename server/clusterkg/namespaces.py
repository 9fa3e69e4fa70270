"""The prefixes clusterkg writes in Turtle/TriG output and offers to queries (see docs/MODEL.md)."""
from __future__ import annotations

ID = "https://w3id.org/clusterkg/id/"

PREFIXES: dict[str, str] = {
    "ck": "https://w3id.org/clusterkg/ontology#",
    "ckshape": "https://w3id.org/clusterkg/shapes#",
    **{kind: f"{ID}{kind}/" for kind in (
        "cluster", "complex", "place", "actor", "council", "field", "goal", "task", "outcome",
        "figure", "indicator", "unit", "role", "group", "code", "scheme", "source", "linkset",
        "region", "observation",
    )},
    "ckds": ID + "dataset/",
    "ckgraph": "https://w3id.org/clusterkg/graph/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "qb": "http://purl.org/linked-data/cube#",
    "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#",
    "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#",
    "sdmx-measure": "http://purl.org/linked-data/sdmx/2009/measure#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "wgs": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "void": "http://rdfs.org/ns/void#",
}
