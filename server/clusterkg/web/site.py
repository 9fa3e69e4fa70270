"""The site's own pages: the landing page ``/`` (what the dataset is, the seven clusters, counts,
links, licence, citation, schema.org Dataset markup), ``/downloads`` and its files, and the
dataset's VoID/DCAT description at ``/.well-known/void`` (Turtle by default, any data format by
Accept or ``?format=``).
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, request

from .. import formats
from ..namespaces import BASE, GRAPHS
from . import catalogue, current_service, i18n, lookup, pages

bp = Blueprint("site", __name__)
pages.guard(bp)
_VOID_TYPES = [(name, formats.BY_NAME[name].accept[0]) for name in pages.DATA_FORMATS]
_RDFLIB = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml", "trig": "trig", "nquads": "nquads"}


def _site() -> str:
    return request.host_url.rstrip("/")


@bp.get("/")
def landing():
    """The landing page for browsers; the dataset's VoID/DCAT description for data clients."""
    if pages.representation(None) != pages.HTML:
        return void()
    lang, remember = i18n.choose()
    rows = lookup.select("clusters")
    names = lookup.labels(r["cluster"]["value"] for r in rows)
    clusters = [{"node": lookup.node(r["cluster"], names, lang), "other": i18n.pick(
                    {k: v for k, v in names.get(r["cluster"]["value"], {}).items() if k != lang}, lang),
                 "outcomes": int(r["outcomes"]["value"]), "figures": int(r["figures"]["value"])} for r in rows]
    counts = current_service().counts()
    graphs = [{"iri": iri, "path": lookup.local_path(iri), "description": text, "triples": counts.get(iri)}
              for iri, text in GRAPHS.items() if iri in counts]
    schema = {
        "@context": "https://schema.org/", "@type": "Dataset", "@id": str(catalogue.DATASET),
        "name": [{"@value": t, "@language": k} for k, t in catalogue.TITLE.items()],
        "description": catalogue.SUMMARY["en"], "license": catalogue.LICENCE, "url": _site() + "/",
        "inLanguage": ["ko", "en"], "isBasedOn": "https://w3id.org/clusterkg/id/source/chungbuk-ilbo-2008-10-09",
        "keywords": ["innovation cluster", "혁신클러스터", "industrial complex", "산업단지", "Korea"],
        "distribution": [{"@type": "DataDownload", "encodingFormat": d.media_type.split(";")[0],
                          "contentUrl": f"{_site()}/downloads/{d.name}"} for d in catalogue.downloads()],
        "citation": catalogue.CITATION,
    }
    response = pages.html_page("landing.html", lang, remember, clusters=clusters, graphs=graphs,
                               triples=counts.get(None), title=catalogue.TITLE[lang], summary=catalogue.SUMMARY[lang],
                               citation=catalogue.CITATION, licence=catalogue.LICENCE, alternates=None,
                               jsonld=json.dumps(schema, ensure_ascii=False).replace("</", "<\\/"))
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    response.headers["Link"] = ", ".join(f'</.well-known/void?format={name}>; rel="alternate"; type="{media}"'
                                         for name, media in _VOID_TYPES)
    return response


@bp.get("/downloads")
def downloads():
    lang, remember = i18n.choose()
    rows = [{"d": d, **catalogue.facts(d.name)} for d in catalogue.downloads()]
    held = current_service().graphs
    graphs = [iri.removeprefix(BASE + "graph/") for iri in GRAPHS if iri in held]  # those /graph/<name> serves
    return pages.html_page("downloads.html", lang, remember, rows=rows, graphs=graphs, licence=catalogue.LICENCE,
                           alternates=None, jsonld=None)


@bp.get("/downloads/<name>")
def download(name: str):
    data = catalogue.body(name)
    response = Response(data, content_type=catalogue.BY_FILE[name].media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/.well-known/void")
def void():
    rep = pages.representation(None)
    if rep == pages.HTML:
        rep = "turtle"  # the description is data; its page is the landing page
    fmt = formats.BY_NAME[rep]
    site = _site()
    data = current_service().rendered(("void", site, rep), lambda: catalogue.description(site).serialize(
        format=_RDFLIB[rep], encoding="utf-8"))
    response = Response(data, content_type=fmt.media_type)
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = '<https://www.w3.org/TR/void/>; rel="profile"'
    return response
