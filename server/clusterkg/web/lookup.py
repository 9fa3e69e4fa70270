"""What the pages read, and how they read it: the .rq files under queries/pages, run through the
one service call, their rows as plain dicts, and the labels of the IRIs a page shows.

A page query names its resource by a placeholder (``%%THIS%%``, ``%%IRIS%%``) that is replaced by
IRIs checked with ``safe_iri`` first, so nothing a visitor types reaches the query text unchecked.
``Node`` is one RDF term as a page shows it: a link to its page on this site (for IRIs under
https://w3id.org/clusterkg/), its label in the chosen language, or its literal text.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import escape

from .. import named_queries
from ..namespaces import BASE, GRAPHS, PREFIXES
from . import current_service, i18n

_IRI = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`]*$')
_LANG_OF = {"ko", "en"}


def safe_iri(iri: str) -> bool:
    """An absolute IRI with none of the characters that could end an <…> in SPARQL."""
    return len(iri) <= 2000 and bool(_IRI.match(iri))


def select(name: str, **iris) -> list[dict]:
    """The rows of queries/pages/<name>.rq: {variable: binding} each (SPARQL JSON bindings)."""
    text = named_queries.load("pages/" + name)
    for key, value in iris.items():
        values = [value] if isinstance(value, str) else list(value)
        if not all(safe_iri(v) for v in values):
            raise ValueError(f"not a safe IRI in {key}: {values!r}")
        text = text.replace(f"%%{key.upper()}%%", " ".join(f"<{v}>" for v in values))
    body = current_service().answer(text, format="json").body
    return json.loads(body)["results"]["bindings"]


def graph(name: str, fmt: str, **iris) -> bytes:
    """The body of queries/pages/<name>.rq (a CONSTRUCT) in the graph format ``fmt``."""
    text = named_queries.load("pages/" + name)
    for key, value in iris.items():
        if not safe_iri(value):
            raise ValueError(f"not a safe IRI in {key}: {value!r}")
        text = text.replace(f"%%{key.upper()}%%", f"<{value}>")
    return current_service().answer(text, format=fmt).body


def labels(iris) -> dict[str, dict[str, str]]:
    """{iri: {language tag or '': label}} for the IRIs given (one query)."""
    wanted = sorted({i for i in iris if i and safe_iri(i)})
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(wanted), 400):
        for row in select("labels", iris=wanted[start:start + 400]):
            label = row["label"]
            found.setdefault(row["s"]["value"], {}).setdefault(label.get("xml:lang", ""), label["value"])
    return found


def local_path(iri: str) -> str | None:
    """The path of an IRI's page on this site, or None for an IRI of somebody else's."""
    if not iri.startswith(BASE):
        return None
    rest = iri[len(BASE):]
    if rest.startswith("ontology#") or rest == "ontology":
        return "/" + rest
    if rest.startswith("id/") or (rest.startswith("graph/") and iri in GRAPHS):
        return "/" + rest
    return None


def curie(iri: str) -> str:
    """prefix:local for an IRI under a known prefix, else the IRI."""
    best = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]):]}" if best else iri


@dataclass(frozen=True)
class Node:
    """One RDF term on a page: text to show, where it links, its language and datatype."""
    text: str
    href: str | None = None
    iri: str | None = None
    lang: str | None = None
    datatype: str | None = None

    def __html__(self) -> str:
        """How a template shows it (Jinja calls this): a link, or the text in its language."""
        if self.href:
            title = f' title="{escape(self.iri)}"' if self.iri and self.iri != self.href else ""
            return f'<a href="{escape(self.href)}"{title}>{escape(self.text)}</a>'
        lang = f' lang="{escape(self.lang)}"' if self.lang else ""
        datatype = f' <small class="dt">{escape(self.datatype)}</small>' \
            if self.datatype and self.datatype != "xsd:string" else ""
        return f"<span{lang}>{escape(self.text)}</span>{datatype}"


def node(binding: dict | None, names: dict[str, dict[str, str]], lang: str) -> Node | None:
    """The Node of a SPARQL JSON binding, labelled from ``names`` (see ``labels``)."""
    if binding is None:
        return None
    if binding["type"] == "uri":
        iri = binding["value"]
        text = i18n.pick(names.get(iri), lang) or i18n.term(iri, lang) or curie(iri)
        return Node(text, local_path(iri) or iri, iri)
    if binding["type"] == "bnode":
        return Node("_:" + binding["value"])
    tag = binding.get("xml:lang")
    datatype = binding.get("datatype")
    return Node(binding["value"], lang=tag if tag else None,
                datatype=curie(datatype) if datatype else None)
