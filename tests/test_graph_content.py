"""What the graph itself must hold: labelled terms, labelled resources, and figures that trace to
the article word for word."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from clusterkg import dataset
from clusterkg.settings import Settings

CK = "https://w3id.org/clusterkg/ontology#"
ID = "https://w3id.org/clusterkg/id/"
ARTICLE = Path(__file__).resolve().parents[2] / "shared" / "source" / "article-2008-10-09.txt"


@pytest.fixture(scope="module")
def graphs():
    return dataset.load_graphs(Settings.load())


def _langs(graph, subject, predicate):
    return {o.language for o in graph.objects(subject, predicate) if isinstance(o, Literal)}


def test_every_ontology_term_is_labelled_commented_and_defined(graphs):
    onto = graphs.graph(URIRef(dataset.GRAPH_ONTOLOGY))
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDFS.Datatype)
    terms = {s for kind in kinds for s in onto.subjects(RDF.type, kind)
             if isinstance(s, URIRef) and str(s).startswith(CK)}
    assert len(terms) > 50
    problems = [str(t) for t in sorted(terms)
                if not {"ko", "en"} <= _langs(onto, t, RDFS.label)
                or not {"ko", "en"} <= _langs(onto, t, RDFS.comment)
                or (t, RDFS.isDefinedBy, URIRef(CK)) not in onto]
    assert problems == []


def test_ontology_header_has_version_licence_and_dates(graphs):
    onto = graphs.graph(URIRef(dataset.GRAPH_ONTOLOGY))
    header = URIRef(CK)
    assert (header, RDF.type, OWL.Ontology) in onto
    for predicate in (OWL.versionIRI, URIRef("http://purl.org/dc/terms/license"),
                      URIRef("http://purl.org/dc/terms/created"), URIRef("http://purl.org/dc/terms/modified")):
        assert onto.value(header, predicate) is not None, predicate


def test_every_resource_has_korean_and_english_labels(graphs):
    missing = []
    for graph_iri in (dataset.GRAPH_DATA, dataset.GRAPH_LINKS):
        g = graphs.graph(URIRef(graph_iri))
        for s in set(g.subjects(RDF.type, None)):
            if isinstance(s, URIRef) and str(s).startswith(ID) and not {"ko", "en"} <= _langs(g, s, RDFS.label):
                missing.append(str(s))
    assert missing == []


@pytest.fixture(scope="module")
def article():
    if not ARTICLE.exists():
        pytest.skip(f"the source article is not beside the project ({ARTICLE})")
    return ARTICLE.read_text(encoding="utf-8")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_korean_phrase_is_in_the_article(graphs, article):
    """ck:phraseKo, ck:statementKo and ck:contextKo (the quotations) are the article's words as written."""
    data = graphs.graph(URIRef(dataset.GRAPH_DATA))
    squashed = _squash(article)
    phrases = [(s, o) for p in (URIRef(CK + "phraseKo"), URIRef(CK + "statementKo"), URIRef(CK + "contextKo"))
               for s, o in data.subject_objects(p)]
    assert len(phrases) > 100
    assert [(str(s), str(o)) for s, o in phrases if _squash(str(o)) not in squashed] == []


def _article_numbers(phrase: str) -> list[float]:
    """The values a phrase writes, in the unit the graph uses (억 → ×1e8, 만 → ×1e4)."""
    values = []
    for number, scale in re.findall(r"(\d[\d,]*(?:\.\d+)?)\s*(억|만)?", phrase):
        value = float(number.replace(",", ""))
        values.append(value * {"억": 1e8, "만": 1e4}.get(scale, 1))
    return values


def test_every_figure_value_is_written_in_its_phrase(graphs):
    """A figure's number is one the phrase beside it actually writes: nothing computed or invented."""
    data = graphs.graph(URIRef(dataset.GRAPH_DATA))
    wrong = []
    figures = list(data.subjects(RDF.type, URIRef(CK + "Figure")))
    assert len(figures) >= 70
    for figure in figures:
        value = float(data.value(figure, URIRef(CK + "value")))
        phrase = str(data.value(figure, URIRef(CK + "phraseKo")))
        if not any(abs(value - v) < 1e-6 for v in _article_numbers(phrase)):
            wrong.append((str(figure), value, phrase))
    assert wrong == []


def test_figures_are_typed_numbers(graphs):
    data = graphs.graph(URIRef(dataset.GRAPH_DATA))
    numeric = {"integer", "decimal", "nonNegativeInteger", "positiveInteger"}
    bad = [(str(s), o) for s, o in data.subject_objects(URIRef(CK + "value"))
           if not (isinstance(o, Literal) and o.datatype and o.datatype.split("#")[-1] in numeric)]
    assert bad == []


CLUSTER_NAMES = {"changwon": "창원", "gumi": "구미", "ulsan": "울산", "banwol-sihwa": "반월시화",
                 "gwangju": "광주", "wonju": "원주", "gunsan": "군산"}


def _passages(article: str) -> dict[str, str]:
    """Each cluster's own text: its ◇ section and its block of outcomes (squashed)."""
    text = _squash(article)
    outcomes_at = text.index("혁신클러스터주요성과")
    sections, blocks = text[:outcomes_at], text[outcomes_at:]
    passages = {}
    for slug, name in CLUSTER_NAMES.items():
        own = ""
        if f"◇{name}클러스터" in sections:
            start = sections.index(f"◇{name}클러스터")
            end = sections.find("◇", start + 1)
            own = sections[start:end if end > 0 else len(sections)]
        start = blocks.index(name, len("혁신클러스터주요성과"))
        later = [blocks.find(other, start + len(name)) for other in CLUSTER_NAMES.values() if other != name]
        end = min([i for i in later if i > start] + [blocks.find("이기자")])
        passages[slug] = own + blocks[start:end]
    return passages


def test_each_actor_relation_carries_a_phrase_of_its_own_cluster(graphs, article):
    """The phrase naming an actor for a cluster comes from that cluster's passage, not another's."""
    data = graphs.graph(URIRef(dataset.GRAPH_DATA))
    passages = _passages(article)
    relations = list(data.subject_objects(URIRef(CK + "qualifiedActorRelation")))
    assert len(relations) >= 10
    wrong = []
    for cluster, relation in relations:
        slug = str(cluster).rsplit("/", 1)[1]
        phrase = _squash(str(data.value(relation, URIRef(CK + "contextKo"))))
        if phrase not in passages[slug]:
            wrong.append((str(relation), phrase))
    assert wrong == []


def test_every_named_actor_has_a_role(graphs):
    data = graphs.graph(URIRef(dataset.GRAPH_DATA))
    named = set(data.subject_objects(URIRef(CK + "namedActor")))
    qualified = {(c, data.value(r, URIRef(CK + "relatedActor")))
                 for c, r in data.subject_objects(URIRef(CK + "qualifiedActorRelation"))
                 if data.value(r, URIRef(CK + "actorRole")) is not None}
    assert named and named == qualified


def test_every_quotation_has_an_english_rendering_beside_it(graphs):
    """Whatever the graph quotes in Korean, it also renders in English on the same resource."""
    data = graphs.graph(URIRef(dataset.GRAPH_DATA))
    pairs = {"phraseKo": "phraseEn", "statementKo": "statementEn", "contextKo": "contextEn"}
    missing = [(str(s), ko) for ko, en in pairs.items() for s in set(data.subjects(URIRef(CK + ko), None))
               if not any(o.language == "en" for o in data.objects(s, URIRef(CK + en)))]
    assert missing == []


def test_no_full_section_text_is_republished(graphs, article):
    """No literal of the data carries a whole paragraph of the article (the quotation rule)."""
    paragraphs = [_squash(p) for p in article.split("\n\n") if len(_squash(p)) > 120]
    assert paragraphs
    long_quotes = [str(s) for g in (dataset.GRAPH_DATA, dataset.GRAPH_LINKS, dataset.GRAPH_ONTOLOGY)
                   for s, _, o in graphs.graph(URIRef(g)).triples((None, None, None))
                   if isinstance(o, Literal) and any(p in _squash(str(o)) for p in paragraphs)]
    assert long_quotes == []


FIGURE_COLUMN_PROPERTIES = {
    "outcome_position": "outcomePosition", "compared_with": "comparedWith", "base_indicator": "baseIndicator",
    "base_group": "baseGroup", "programme_year": "programmeYear", "period_length": "periodLength",
    "approximate": "approximate", "reference_period": "referencePeriod", "baseline_period": "baselinePeriod",
    "phrase_ko": "phraseKo", "phrase_en": "phraseEn",
}


def test_the_figures_table_carries_every_attribute_a_comparison_needs(graphs):
    """Each column of the tidy CSV holds, for every figure, exactly what the graph says (or is empty)."""
    from clusterkg import export

    data = graphs.graph(URIRef(dataset.GRAPH_DATA))
    rows = {r["figure"]: r for r in export.figure_rows(export.open_store(dataset.prepare(Settings.load())))}
    assert set(FIGURE_COLUMN_PROPERTIES) <= set(export.FIGURE_COLUMNS)
    assert len(rows) == len(set(data.subjects(RDF.type, URIRef(CK + "Figure"))))
    wrong = []
    for figure, row in rows.items():
        for column, prop in FIGURE_COLUMN_PROPERTIES.items():
            value = data.value(URIRef(figure), URIRef(CK + prop))
            if row[column] != ("" if value is None else str(value)):
                wrong.append((figure, column, row[column], value))
    assert wrong == []
    assert any(r["compared_with"] for r in rows.values()) and any(r["base_group"] for r in rows.values())
