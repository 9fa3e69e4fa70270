"""The dataset's downloads and its description: every dump (each RDF format, with and without the
inferred triples) and the tidy CSV of every figure, each with its size and SHA-256; and the VoID +
DCAT description of the dataset (a dcat:Distribution per download, a dcat:DataService for /sparql)
built from them.  Everything is generated from the graph through the one service, once per process
(``Service.rendered``), never written by hand.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

from .. import export, formats, named_queries
from ..backends.store import serialize
from ..errors import ClusterkgError
from ..namespaces import BASE, GRAPH_INFERRED, GRAPHS, PREFIXES
from . import current_service

VOID = Namespace("http://rdfs.org/ns/void#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
DATASET = URIRef(BASE + "id/dataset/clusterkg")
LICENCE = "https://creativecommons.org/licenses/by/4.0/"
TITLE = {"ko": "클러스터KG: 한국 7개 혁신클러스터의 지식 그래프",
         "en": "clusterkg: the knowledge graph of Korea's seven pilot innovation clusters"}
SUMMARY = {
    "ko": "2003년 도입된 산업단지 혁신클러스터 7곳(창원, 구미, 울산, 반월시화, 광주, 원주, 군산)의 목표, 산학연 "
          "협의체, 행위주체, 추진과제, 주요성과와 그 수치. 모든 사실은 충북일보 2008-10-09 기사에서 왔으며 원문 "
          "문장으로 이어진다; 지역 식별자는 각 출처를 밝힌다.",
    "en": "The goals, councils, actors, tasks, outcomes and figures of Korea's seven industrial-complex innovation "
          "clusters (Changwon, Gumi, Ulsan, Banwol-Sihwa, Gwangju, Wonju, Gunsan; introduced in 2003). Every fact "
          "comes from one article (Chungbuk Ilbo, 2008-10-09) and links back to its sentence; every external "
          "identifier names its source.",
}
CITATION = ("clusterkg: the knowledge graph of Korea's seven pilot innovation clusters (dataset), "
            "https://w3id.org/clusterkg/, CC BY 4.0; facts from Chungbuk Ilbo, 2008-10-09.")
#: the RDF formats of the downloads: every graph format of the registry
DUMP_FORMATS = formats.names(formats.GRAPH)


@dataclass(frozen=True)
class Download:
    name: str          # file name under /downloads/
    fmt: str           # registry name, or "csv" for a table of export.TABLES (named by the file)
    media_type: str
    inferred: bool     # holds the OWL-RL closure
    what: str          # what it holds (English)
    format_iri: str


#: formats whose files are complete documents that may follow one another: one dump per named
#: graph, joined, keeps the graphs (JSON-LD cannot be joined so: it holds the union as one graph)
_JOINABLE = ("nquads", "trig")


def downloads() -> list[Download]:
    rows = []
    for inferred in (True, False):
        for name in DUMP_FORMATS:
            fmt = formats.BY_NAME[name]
            kept = "each named graph kept" if name in _JOINABLE else "the union as one graph"
            what = ("every graph with the inferred triples" if inferred
                    else "without the inferred triples") + f", {kept}"
            stem = "clusterkg-inferred" if inferred else "clusterkg"
            rows.append(Download(f"{stem}.{fmt.suffix}", name, fmt.media_type, inferred, what, fmt.iri))
    for table, (_, _, what) in export.TABLES.items():
        rows.append(Download(f"{table}.csv", "csv", "text/csv; charset=utf-8", False, f"{what} (tidy CSV)",
                             "http://www.w3.org/ns/formats/SPARQL_Results_CSV"))
    return rows


BY_FILE = {d.name: d for d in downloads()}


def body(name: str) -> bytes:
    """The bytes of one download, rendered once per process."""
    download = BY_FILE.get(name)
    if download is None:
        raise ClusterkgError("not-found", f"No download {name[:100]!r}; see /downloads.")
    return current_service().rendered(("download", name), lambda: _render(download))


def _render(download: Download) -> bytes:
    service = current_service()
    if download.fmt == "csv":
        query, _, _ = export.TABLES[download.name.removesuffix(".csv")]  # the tables of `clusterkg export --format csv`
        answer = service.answer(named_queries.load(query), format="csv")
    else:
        fmt = formats.BY_NAME[download.fmt]
        graphs = [g for g in service.graphs if download.inferred or g != GRAPH_INFERRED]
        if download.fmt in _JOINABLE:
            return b"".join(service.dump(g, fmt) for g in graphs)
        if download.inferred:
            return service.dump(None, fmt)
        return _union(service, graphs, fmt)
    if answer.truncated:
        raise ClusterkgError("internal-error", f"The download {download.name} would be cut by the result caps.")
    return answer.body


def _union(service, graphs, fmt: formats.Format) -> bytes:
    """The union of some graphs as one graph (each triple once, in a fixed order, so every
    worker renders the same bytes and the same SHA-256): dumps are whole, never capped."""
    nquads = formats.BY_NAME["nquads"]
    quads = ox.parse(b"".join(service.dump(g, nquads) for g in graphs), format=ox.RdfFormat.N_QUADS)
    triples = sorted({q.triple for q in quads}, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    return serialize(triples, fmt)


def facts(name: str) -> dict:
    """Size and SHA-256 of one download."""
    def compute() -> dict:
        data = body(name)
        return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return current_service().rendered(("download-facts", name), compute)


def description(site: str) -> Graph:
    """VoID + DCAT of the dataset; ``site`` is the base URL downloads are served from."""
    g = Graph()
    for prefix in ("void", "dcterms", "rdf", "xsd"):
        g.bind(prefix, PREFIXES[prefix])
    g.bind("dcat", DCAT)
    g.bind("spdx", SPDX)
    counts = current_service().counts()
    g.add((DATASET, RDF.type, VOID.Dataset))
    g.add((DATASET, RDF.type, DCAT.Dataset))
    for lang, text in TITLE.items():
        g.add((DATASET, DCTERMS.title, Literal(text, lang=lang)))
    for lang, text in SUMMARY.items():
        g.add((DATASET, DCTERMS.description, Literal(text, lang=lang)))
    g.add((DATASET, DCTERMS.license, URIRef(LICENCE)))
    g.add((DATASET, DCTERMS.source, URIRef(BASE + "id/source/chungbuk-ilbo-2008-10-09")))
    g.add((DATASET, VOID.uriSpace, Literal(BASE + "id/")))
    g.add((DATASET, VOID.sparqlEndpoint, URIRef(site + "/sparql")))
    g.add((DATASET, VOID.rootResource, URIRef(BASE + "id/programme/innovation-cluster")))
    if counts.get(None) is not None:
        g.add((DATASET, VOID.triples, Literal(counts[None], datatype=XSD.integer)))
    for graph_iri in GRAPHS:
        if graph_iri in counts:
            sub = URIRef(graph_iri)
            g.add((DATASET, VOID.subset, sub))
            g.add((sub, RDF.type, VOID.Dataset))
            g.add((sub, VOID.triples, Literal(counts[graph_iri], datatype=XSD.integer)))
            g.add((sub, DCTERMS.description, Literal(GRAPHS[graph_iri], lang="en")))
    service_node = URIRef(site + "/sparql")
    g.add((service_node, RDF.type, DCAT.DataService))
    g.add((service_node, DCAT.endpointURL, service_node))
    g.add((service_node, DCAT.servesDataset, DATASET))
    g.add((service_node, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    endpoint = URIRef(site + "/sparql#distribution")
    g.add((DATASET, DCAT.distribution, endpoint))
    g.add((endpoint, RDF.type, DCAT.Distribution))
    g.add((endpoint, DCAT.accessURL, service_node))
    g.add((endpoint, DCAT.accessService, service_node))
    g.add((endpoint, DCTERMS.license, URIRef(LICENCE)))
    for download in downloads():
        url = URIRef(f"{site}/downloads/{download.name}")
        dist = url
        info = facts(download.name)
        g.add((DATASET, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.mediaType, URIRef("https://www.iana.org/assignments/media-types/"
                                            + download.media_type.split(";")[0])))
        g.add((dist, DCTERMS.format, URIRef(download.format_iri)))
        g.add((dist, DCTERMS.license, URIRef(LICENCE)))
        g.add((dist, DCTERMS.description, Literal(download.what, lang="en")))
        g.add((dist, DCAT.byteSize, Literal(info["bytes"], datatype=XSD.nonNegativeInteger)))
        checksum = BNode(f"sha256-{download.name}")
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(info["sha256"], datatype=XSD.hexBinary)))
        if download.name.endswith(".ttl") and download.inferred:
            g.add((DATASET, VOID.dataDump, url))
    return g
