"""The example queries: the competency questions (queries/competency/*.rq), each with its English
and Korean descriptions from its header comment (``# en: …`` or else the first line; ``# ko: …``).  The query page lists them,
and the endpoint publishes them in the named graph …/graph/examples as SHACL SPARQL executables
(``triples``: sh:SPARQLSelectExecutable etc. with rdfs:comment, sh:select, schema:target and
sh:prefixes, the sparql-examples convention of SIB and UniProt), built by ``dataset.prepare``.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from .namespaces import BASE, PREFIXES

SH = Namespace("http://www.w3.org/ns/shacl#")
SCHEMA = Namespace("https://schema.org/")
EXAMPLE = BASE + "id/example/"
PREFIX_SET = URIRef(BASE + "id/dataset/prefixes")
ENDPOINT = URIRef(BASE + "sparql")
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
#: query form -> (executable class, property holding the text)
FORMS = {"SELECT": (SH.SPARQLSelectExecutable, SH.select), "ASK": (SH.SPARQLAskExecutable, SH.ask),
         "CONSTRUCT": (SH.SPARQLConstructExecutable, SH.construct),
         "DESCRIBE": (SH.SPARQLExecutable, SH.describe)}

@dataclass(frozen=True)
class Example:
    name: str      # file stem
    en: str
    ko: str
    text: str      # the query, header comment included

    def describe(self, lang: str) -> str:
        return self.ko if lang == "ko" else self.en

    @property
    def iri(self) -> str:
        return EXAMPLE + self.name

    @property
    def form(self) -> str:
        body = "\n".join(line for line in self.text.splitlines() if not line.lstrip().startswith("#"))
        body = re.sub(r"<[^>]*>", "", body)
        found = _FORM.search(body)
        return found.group(1).upper() if found else "SELECT"


def _header(text: str) -> dict[str, str]:
    """The header comment's descriptions: ``# en: …`` and ``# ko: …`` lines, and ("") the first line."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines()):
        if not line.startswith("#"):
            break
        key, sep, value = line[1:].strip().partition(": ")
        if sep and key in ("en", "ko"):
            found.setdefault(key, value.strip())
        elif number == 0:
            found[""] = line[1:].strip()
    return found


@cache
def examples() -> tuple[Example, ...]:
    folder = resources.files("clusterkg").joinpath("queries", "competency")
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".rq"):
            continue
        text = entry.read_text(encoding="utf-8")
        stem = entry.name[:-3]
        head = _header(text)
        en = head.get("en") or head.get("", stem)
        found.append(Example(stem, en, head.get("ko", en), text))
    return tuple(found)


def digest() -> bytes:
    """A hash of every example (text and descriptions): part of the dataset's inputs hash."""
    h = hashlib.sha256()
    for e in examples():
        h.update("\x1f".join((e.name, e.en, e.ko, e.text)).encode("utf-8") + b"\x1e")
    return h.digest()


def triples():
    """The examples as SHACL SPARQL executables, and the prefix declarations they share."""
    for prefix, namespace in PREFIXES.items():
        declaration = BNode(f"prefix-{prefix}")
        yield PREFIX_SET, SH.declare, declaration
        yield declaration, SH.prefix, Literal(prefix)
        yield declaration, SH.namespace, Literal(namespace, datatype=XSD.anyURI)
    for e in examples():
        node = URIRef(e.iri)
        kind, holder = FORMS[e.form]
        yield node, RDF.type, SH.SPARQLExecutable
        if kind != SH.SPARQLExecutable:
            yield node, RDF.type, kind
        yield node, RDFS.label, Literal(e.en, lang="en")
        yield node, RDFS.label, Literal(e.ko, lang="ko")
        yield node, RDFS.comment, Literal(e.en, lang="en")
        yield node, RDFS.comment, Literal(e.ko, lang="ko")
        yield node, holder, Literal(e.text)
        yield node, SCHEMA.target, ENDPOINT
        yield node, SH.prefixes, PREFIX_SET
