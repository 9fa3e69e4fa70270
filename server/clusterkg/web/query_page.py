"""The query page, ``/query``: a SPARQL editor (a textarea with our own small highlighter,
static/query.js), the example queries, and the result of ``?query=`` run on the server through the
one service call, as a table whose IRIs link to their pages, with CSV, TSV and JSON downloads from
/sparql.  The query stays in the URL, so a link reproduces it; an error is shown on the page.
Works without JavaScript; the page asks nothing of any other server.
"""
from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Blueprint, request

from ..errors import ClusterkgError
from .. import examples
from . import current_service, i18n, lookup, pages

bp = Blueprint("query_page", __name__)
pages.guard(bp)
SHOWN_ROWS = 500   # rows shown on the page; the downloads carry the whole (capped) result
DEFAULT = """PREFIX ck: <https://w3id.org/clusterkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?cluster ?label WHERE {
  ?cluster a ck:InnovationCluster ; rdfs:label ?label .
}
ORDER BY ?cluster"""


@bp.get("/query")
def query():
    lang, remember = i18n.choose()
    text = request.args.get("query")
    chosen = request.args.get("example")
    listed = examples.examples()
    if chosen is not None and text is None:
        match = next((e for e in listed if e.name == chosen), None)
        if match is None:
            raise ClusterkgError("not-found", f"No example {chosen[:80]!r}.")
        text = match.text
    result, error, status = None, None, 200
    if text:
        try:
            result = _run(text, lang)
        except ClusterkgError as exc:
            error, status = exc.message, exc.status
    downloads = [(name, "/sparql?" + urlencode({"query": text, "format": name})) for name in ("csv", "tsv", "json")] \
        if text and result is not None else []
    return pages.html_page("query.html", lang, remember, status=status, text=text or DEFAULT, ran=bool(text),
                           result=result, error=error, downloads=downloads, examples=listed,
                           alternates=None, jsonld=None, shown_rows=SHOWN_ROWS)


def _run(text: str, lang: str) -> dict:
    answer = current_service().answer(text, format="json")
    if not answer.media_type.startswith("application/sparql-results+json"):
        # CONSTRUCT/DESCRIBE: JSON-LD text, shown as it is
        return {"graph": answer.body.decode("utf-8", "replace"), "truncated": answer.truncated}
    data = json.loads(answer.body)
    if "boolean" in data:
        return {"boolean": data["boolean"]}
    variables = data["head"]["vars"]
    rows = data["results"]["bindings"]
    names = lookup.labels(b["value"] for row in rows[:SHOWN_ROWS] for b in row.values() if b["type"] == "uri")
    table = [[lookup.node(row.get(v), names, lang) for v in variables] for row in rows[:SHOWN_ROWS]]
    return {"variables": variables, "rows": table, "count": len(rows), "truncated": answer.truncated}
