"""The ontology's documentation, generated from the ontology graph itself: every class and property
with its Korean and English labels and comments, its place in the hierarchy, its domains and ranges
and the W3C terms it specialises.  Reads ``queries/pages/ontology-terms.rq``; the template is
``ontology.html``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..namespaces import BASE
from . import i18n, lookup

CK = BASE + "ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
#: the kinds of term, in the order the page lists them
KINDS = (("class", OWL + "Class", ("Classes", "클래스")),
         ("object", OWL + "ObjectProperty", ("Object properties", "객체 속성")),
         ("datatype", OWL + "DatatypeProperty", ("Datatype properties", "데이터 속성")),
         ("annotation", OWL + "AnnotationProperty", ("Annotation properties", "주석 속성")))
RELATIONS = {  # predicate -> (key, English, Korean)
    RDFS + "subClassOf": ("super", "Subclass of", "상위 클래스"),
    RDFS + "subPropertyOf": ("super", "Subproperty of", "상위 속성"),
    RDFS + "domain": ("domain", "Domain", "정의역"),
    RDFS + "range": ("range", "Range", "치역"),
    OWL + "inverseOf": ("inverse", "Inverse of", "역속성"),
    OWL + "equivalentClass": ("equivalent", "Equivalent to", "동등"),
    OWL + "disjointWith": ("disjoint", "Disjoint with", "서로소"),
}


@dataclass
class Term:
    iri: str
    name: str                      # the local name (ck:Figure -> Figure)
    label: str
    labels: dict[str, str]
    comments: dict[str, str]
    types: list[lookup.Node] = field(default_factory=list)
    relations: dict[str, list[lookup.Node]] = field(default_factory=dict)
    subterms: list[lookup.Node] = field(default_factory=list)
    kind: str = "other"


def build(lang: str) -> dict:
    rows = lookup.select("ontology-terms")
    wanted = {b["value"] for row in rows for b in row.values() if b["type"] == "uri"}
    names = lookup.labels(wanted)
    node = lambda iri: lookup.node({"type": "uri", "value": iri}, names, lang)  # noqa: E731
    terms: dict[str, Term] = {}
    for row in rows:
        iri, p, v = row["term"]["value"], row["p"]["value"], row["v"]
        term = terms.get(iri)
        if term is None:
            local = iri[len(CK):] if iri.startswith(CK) else iri
            term = terms[iri] = Term(iri, local, i18n.pick(names.get(iri), lang) or local, names.get(iri, {}), {})
        if p == RDFS + "comment":
            term.comments[v.get("xml:lang", "")] = v["value"]
        elif p == RDF_TYPE:
            for key, kind_iri, _ in KINDS:
                if v["value"] == kind_iri:
                    term.kind = key
            term.types.append(node(v["value"]))
        elif p in RELATIONS and v["type"] == "uri":
            term.relations.setdefault(p, []).append(node(v["value"]))
    for term in terms.values():
        for p in (RDFS + "subClassOf", RDFS + "subPropertyOf"):
            for parent in term.relations.get(p, []):
                if parent.iri in terms:
                    terms[parent.iri].subterms.append(node(term.iri))
    index = 0 if lang == "en" else 1
    sections = []
    for key, _, titles in KINDS:
        members = sorted((t for t in terms.values() if t.kind == key), key=lambda t: t.name.lower())
        if members:
            sections.append({"key": key, "title": titles[index], "terms": members})
    relation_names = {p: (en if lang == "en" else ko) for p, (_, en, ko) in RELATIONS.items()}
    return {"sections": sections, "relation_names": relation_names, "count": len(terms)}
