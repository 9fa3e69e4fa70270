"""Every IRI under https://w3id.org/clusterkg/ served by its path, with content negotiation.

``/id/…`` (resources), ``/ontology`` and ``/graph/…`` answer HTML to browsers and Turtle, JSON-LD,
N-Triples or RDF/XML to clients: by ``Accept`` (q-values; a bare ``*/*`` gets Turtle, as pubby
does, so curl gets data), by a suffix (``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``; ``.csv`` for a
cluster's table) or by ``?format=``.  Every answer says ``Vary: Accept`` and lists the other
formats in ``Link: <…>; rel="alternate"``.  A path that names no resource is a 404 (an HTML page
for a browser); a path that could not be an IRI of ours never reaches a query.
"""
from __future__ import annotations

import re
from http import HTTPStatus

from flask import Blueprint, Response, current_app, render_template, request

from .. import errors, formats
from ..errors import ClusterkgError
from ..namespaces import BASE, GRAPH_INFERRED, GRAPH_ONTOLOGY, GRAPHS
from . import cluster_page, current_service, http, i18n, lookup, ontology_page, protocol

bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")

#: the data formats every page offers, by their registry names (suffix from the registry)
DATA_FORMATS = ("turtle", "jsonld", "ntriples", "rdfxml")
SUFFIXES = {formats.BY_NAME[name].suffix: name for name in DATA_FORMATS}
HTML = "html"
CSV = "csv"
_SEGMENT = r"[a-z0-9][a-z0-9_-]{0,120}"
_ID_PATH = re.compile(rf"^{_SEGMENT}(/{_SEGMENT}){{1,3}}$")
CLUSTER = BASE + "id/cluster/"


def strict_query_string() -> None:
    """Every page reads its query string as /sparql does: broken percent-encoding or text that is
    not UTF-8 is a 400 (bad-encoding), never a guess; a parameter given twice is a 400 too."""
    params = protocol.parse_query_string(request.query_string)
    repeated = sorted(name for name, values in params.items() if len(values) > 1)
    if repeated:
        raise ClusterkgError("bad-request", f"Parameter {repeated[0][:40]!r} given more than once.")


def error_page(exc: ClusterkgError):
    """An error of a page: our own page, in the visitor's language, for a browser; the JSON error
    shape (``http.error_response``) for everyone else."""
    if not errors.wants_html(request.headers.get("Accept")):
        return http.error_response(exc)
    lang = request.cookies.get(i18n.COOKIE)
    lang = lang if lang in i18n.LANGS else (request.accept_languages.best_match(i18n.LANGS) or i18n.DEFAULT)
    return html_page("error.html", lang, False, status=exc.status, code=exc.code, message=exc.message,
                     phrase=HTTPStatus(exc.status).phrase, alternates=None, jsonld=None)


def guard(blueprint: Blueprint) -> None:
    """What every page blueprint shares: the strict query string and the error page."""
    blueprint.before_request(strict_query_string)
    blueprint.register_error_handler(ClusterkgError, error_page)


guard(bp)


# --- negotiation --------------------------------------------------------------------------------
def _q_of(ranges, media: str) -> tuple[int, float]:
    """(specificity, q) of the most specific Accept range matching ``media``; (-1, 0) if none."""
    major, minor = media.split("/", 1)
    best = (-1, 0.0)
    for r_major, r_minor, q, _ in ranges:
        spec = 2 if (r_major, r_minor) == (major, minor) else 1 if (r_major == major and r_minor == "*") \
            else 0 if (r_major, r_minor) == ("*", "*") else -1
        if spec > best[0]:
            best = (spec, q)
    return best


def representation(suffix: str | None, extra: tuple[str, ...] = ()) -> str:
    """HTML, a data format's registry name, or one of ``extra`` (e.g. 'csv'), for this request."""
    asked = request.args.get("format")
    if suffix is not None:
        return SUFFIXES.get(suffix) or suffix
    if asked is not None:
        asked = asked.strip().lower()
        if asked in (HTML, "text/html") or asked in extra:
            return HTML if asked.startswith(("html", "text/html")) else asked
        fmt = formats.by_name(asked, formats.GRAPH)
        return fmt.name
    accept = request.headers.get("Accept", "")
    if not accept.strip():
        return "turtle"
    ranges = formats.parse_accept(accept)
    html_spec, html_q = max(_q_of(ranges, "text/html"), _q_of(ranges, "application/xhtml+xml"))
    fmt = formats.negotiate(accept, formats.GRAPH)
    data_q = max((_q_of(ranges, m)[1] for m in fmt.accept), default=0.0) if fmt else 0.0
    if html_spec >= 1 and html_q > 0 and html_q >= data_q:
        return HTML
    if fmt is None:
        raise ClusterkgError("not-acceptable", f"Not acceptable: nothing in Accept: {accept[:200]} is offered here. "
                             "Offered: text/html, " + ", ".join(formats.BY_NAME[n].accept[0] for n in DATA_FORMATS) + ".")
    return fmt.name


def _split_suffix(path: str, extra: tuple[str, ...] = ()) -> tuple[str, str | None]:
    stem, dot, suffix = path.rpartition(".")
    if dot and (suffix in SUFFIXES or suffix in extra or suffix == HTML):
        return stem, suffix
    return path, None


def _alternates(path: str, extra: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    """(href, media type, name) of every format of the page at ``path``."""
    rows = [(path, "text/html", "HTML")]
    rows += [(f"{path}.{formats.BY_NAME[n].suffix}", formats.BY_NAME[n].accept[0], formats.BY_NAME[n].suffix.upper())
             for n in DATA_FORMATS]
    rows += [(f"{path}.{e}", "text/csv", e.upper()) for e in extra]
    return rows


def _headers(response: Response, path: str, extra=()) -> Response:
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    response.headers["Link"] = ", ".join(f'<{href}>; rel="alternate"; type="{media}"'
                                         for href, media, _ in _alternates(path, extra))
    return response


def _data(body: bytes, name: str, path: str, extra=()) -> Response:
    return _headers(Response(body, content_type=formats.BY_NAME[name].media_type), path, extra)


def html_page(template: str, lang: str, remember: bool, status: int = 200, **context) -> Response:
    """A page of ours: the template with the interface's words in ``lang``."""
    body = render_template(template, lang=lang, w=i18n.words(lang), langs=i18n.LANGS,
                           path=request.path, **context)
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    if remember:
        i18n.remember(response, lang)
    return response


def _cached(key, build) -> bytes:
    if current_app.config.get("CLUSTERKG_PAGE_CACHE", current_service().settings.page_cache):
        return current_service().rendered(("page",) + key, build)
    return build()


# --- /id/… --------------------------------------------------------------------------------------
@bp.get("/id/<path:rest>")
def resource(rest: str):
    stem, suffix = _split_suffix(rest, (CSV,))
    if not _ID_PATH.match(stem):
        raise ClusterkgError("not-found", f"No resource at /id/{rest[:200]}: not an IRI of this dataset.")
    iri, path = BASE + "id/" + stem, "/id/" + stem
    is_cluster = iri.startswith(CLUSTER)
    extra = (CSV,) if is_cluster else ()
    rep = representation(suffix, extra)
    lang, remember = i18n.choose()
    rows = lookup.select("resource", this=iri)
    if not rows:
        if rep == HTML:
            response = html_page("not_found.html", lang, remember, status=404, iri=iri)
            response.headers["Vary"] = "Accept"
            return response
        raise ClusterkgError("not-found", f"No resource <{iri}> in this dataset.")
    if rep == CSV:
        if not is_cluster:
            raise ClusterkgError("unknown-format", "format=csv is offered for clusters only.")
        body = _cached((iri, CSV, lang), lambda: cluster_page.to_csv(cluster_page.build(iri, lang)))
        response = Response(body, content_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="{stem.rsplit("/", 1)[-1]}.csv"'
        return _headers(response, path, extra)
    if rep != HTML:
        return _data(_cached((iri, rep), lambda: lookup.graph("resource-graph", rep, this=iri)), rep, path, extra)

    def build() -> bytes:
        context = _resource_context(iri, rows, lang)
        context["alternates"] = _alternates(path, extra)
        context["jsonld"] = _jsonld(iri)
        if is_cluster:
            return html_page("cluster.html", lang, False, cluster=cluster_page.build(iri, lang), **context).get_data()
        return html_page("resource.html", lang, False, **context).get_data()

    response = Response(_cached((iri, HTML, lang), build), content_type="text/html; charset=utf-8")
    if remember:
        i18n.remember(response, lang)
    return _headers(response, path, extra)


def _jsonld(iri: str) -> str:
    body = lookup.graph("resource-graph", "jsonld", this=iri).decode("utf-8")
    return body.replace("</", "<\\/")


def _resource_context(iri: str, rows: list[dict], lang: str) -> dict:
    """The statements of a resource, both ways, labelled; rdf:type first."""
    names = lookup.labels({iri} | {b["value"] for r in rows for k, b in r.items() if k in ("p", "v") and b["type"] == "uri"})
    out, incoming, types = [], [], []
    for row in rows:
        item = {"p": lookup.node(row["p"], names, lang), "v": lookup.node(row["v"], names, lang),
                "inferred": row["g"]["value"] == GRAPH_INFERRED}
        if row["dir"]["value"] == "in":
            incoming.append(item)
        elif row["p"]["value"] == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type":
            types.append(item)
        else:
            out.append(item)
    order = lambda item: (item["inferred"], item["p"].text, item["v"].text)  # noqa: E731
    return {"iri": iri, "name": i18n.pick(names.get(iri), lang) or lookup.curie(iri), "names": names.get(iri, {}),
            "types": sorted(types, key=order), "out": sorted(out, key=order), "incoming": sorted(incoming, key=order)}


# --- /ontology and /graph/… ---------------------------------------------------------------------
@bp.get("/ontology")
@bp.get("/ontology.<suffix>")
def ontology(suffix: str | None = None):
    if suffix is not None and suffix not in SUFFIXES and suffix != HTML:
        raise ClusterkgError("not-found", f"No /ontology.{suffix[:20]}; use .ttl, .jsonld, .nt or .rdf.")
    rep = representation(suffix)
    if rep != HTML:
        return _data(current_service().dump(GRAPH_ONTOLOGY, formats.BY_NAME[rep]), rep, "/ontology")
    lang, remember = i18n.choose()
    iri = BASE + "ontology#"

    def build() -> bytes:
        context = _resource_context(iri, lookup.select("resource", this=iri), lang)
        context["incoming"] = []  # every term points here by rdfs:isDefinedBy; the page lists them all
        return html_page("ontology.html", lang, False, alternates=_alternates("/ontology"), jsonld=_jsonld(iri),
                         doc=ontology_page.build(lang), **context).get_data()

    response = Response(_cached((iri, HTML, lang), build), content_type="text/html; charset=utf-8")
    if remember:
        i18n.remember(response, lang)
    return _headers(response, "/ontology")


@bp.get("/ontology/<version>")
def ontology_version(version: str):
    """A version IRI of the ontology (owl:versionIRI) serves the ontology the store holds."""
    stem, suffix = _split_suffix(version)
    iri = BASE + "ontology/" + stem
    if not re.fullmatch(r"[0-9][0-9.]{0,20}", stem) or not lookup.select("resource", this=iri):
        raise ClusterkgError("not-found", f"No ontology version {stem[:40]!r} here; see /ontology.")
    return ontology(suffix)


@bp.get("/graph/<name>")
def named_graph(name: str):
    stem, suffix = _split_suffix(name)
    iri = BASE + "graph/" + stem
    if iri not in GRAPHS or iri not in current_service().graphs:
        raise ClusterkgError("not-found", f"No graph {BASE}graph/{stem[:100]} here.")
    rep = representation(suffix)
    path = "/graph/" + stem
    if rep != HTML:
        return _data(current_service().dump(iri, formats.BY_NAME[rep]), rep, path)
    lang, remember = i18n.choose()
    counts = current_service().counts()
    response = html_page("graph.html", lang, remember, iri=iri, name=stem, description=GRAPHS[iri],
                         triples=counts.get(iri), alternates=_alternates(path), jsonld=None)
    return _headers(response, path)
