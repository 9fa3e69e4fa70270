"""The figures are a well-formed RDF Data Cube: the integrity constraints IC-1 … IC-21 of the W3C
Recommendation (section 11) hold on the shipped graph.

The graph is ontology/*.ttl + data/clusters.ttl + data/links.ttl, as written (no OWL-RL closure),
loaded into one pyoxigraph store and then normalised with the Recommendation's own update queries
(section 10.3, tests/data-cube-ic/normalise-1.ru and normalise-2.ru): they add the qb:Observation
types and the qb:componentProperty links that the constraints are written against. What the
normalisation does not add, the data states itself: every code of a code list is typed skos:Concept
(IC-19 asks for it) as well as ck:Indicator, ck:FigureRole or ck:Group.

Each tests/data-cube-ic/ic-NN.rq is one constraint as an ASK query; true means a violation. IC-20 and
IC-21 are templates whose $p comes from their .instantiate.rq query (none here: no hierarchical code
list). A test also breaks a copy of the graph on purpose, so that the queries are seen to catch what
they are meant to catch.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
import pytest

from clusterkg.settings import SHIPPED, Settings

IC_DIR = Path(__file__).parent / "data-cube-ic"
CONSTRAINTS = sorted(p for p in IC_DIR.glob("ic-*.rq") if not p.name.endswith(".instantiate.rq"))
QB = "http://purl.org/linked-data/cube#"
CK = "https://w3id.org/clusterkg/ontology#"


def _turtle_files() -> list[Path]:
    settings = Settings.load()
    ontology = sorted((SHIPPED / "ontology").glob("*.ttl"))
    return ontology + [Path(p) for p in settings.data_files + settings.links_files]


def _normalised(extra_update: str | None = None) -> ox.Store:
    store = ox.Store()
    for path in _turtle_files():
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    if extra_update:
        store.update(extra_update)
    for phase in ("normalise-1.ru", "normalise-2.ru"):
        store.update((IC_DIR / phase).read_text(encoding="utf-8"))
    return store


@lru_cache(maxsize=None)
def _shipped() -> ox.Store:
    return _normalised()


def _violated(store: ox.Store, path: Path) -> bool:
    """Whether the constraint of ``path`` is violated (any instantiation of a template)."""
    text = path.read_text(encoding="utf-8")
    if "$p" not in text:
        return bool(store.query(text))
    instantiate = (path.parent / f"{path.stem}.instantiate.rq").read_text(encoding="utf-8")
    return any(bool(store.query(text.replace("$p", row["p"].value))) for row in store.query(instantiate))


def test_all_twenty_one_constraints_are_here():
    numbers = sorted({int(p.stem.split("-")[1]) for p in CONSTRAINTS})
    assert numbers == list(range(1, 22))


@pytest.mark.parametrize("path", CONSTRAINTS, ids=lambda p: p.stem)
def test_integrity_constraint_holds_on_the_shipped_graph(path):
    header = path.read_text(encoding="utf-8").splitlines()[0].lstrip("# ")
    assert not _violated(_shipped(), path), f"violated: {header}"


def test_the_figures_are_observations_of_the_one_data_set():
    store = _shipped()
    figures = {r["f"] for r in store.query(f"SELECT ?f WHERE {{ ?f a <{CK}Figure> }}")}
    observations = {r["o"] for r in store.query(f"SELECT ?o WHERE {{ ?o a <{QB}Observation> }}")}
    assert len(figures) >= 70 and figures == observations


def test_every_property_used_on_a_figure_is_a_declared_component_or_bookkeeping():
    """A Data Cube consumer sees only the structure's components: nothing on a figure is left out of it."""
    bookkeeping = {
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/2000/01/rdf-schema#label",
        "http://www.w3.org/2000/01/rdf-schema#comment", "http://purl.org/dc/terms/source", QB + "dataSet",
    }
    store = _shipped()
    used = {r["p"].value for r in store.query(f"SELECT DISTINCT ?p WHERE {{ ?f a <{CK}Figure> ; ?p [] }}")}
    declared = {r["p"].value for r in store.query(
        f"SELECT ?p WHERE {{ ?ds a <{QB}DataSet> ; <{QB}structure>/<{QB}component>/<{QB}componentProperty> ?p }}")}
    assert used - bookkeeping - declared == set()


BROKEN = [
    # IC-11: a figure without one of its dimensions
    ("ic-11", f"""DELETE {{ ?f <{CK}comparisonGroup> ?g }} WHERE {{
                   ?f <{CK}comparisonGroup> ?g FILTER(STRENDS(STR(?f), "gumi-4-production-change")) }}"""),
    # IC-12: a second observation with every dimension value of an existing one
    ("ic-12", f"""INSERT {{ <urn:x:copy> ?p ?o }} WHERE {{
                   ?f ?p ?o FILTER(STRENDS(STR(?f), "gumi-4-production-change")) }}"""),
    # IC-12: without the bullet number, Banwol-Sihwa's complex average of 5.6% (bullets 1 and 3) is one
    # observation twice
    ("ic-12", f"""DELETE {{ ?f <{CK}outcomePosition> ?n }} WHERE {{
                   ?f <{CK}outcomePosition> ?n FILTER(CONTAINS(STR(?f), "banwol-sihwa")) }}"""),
    # IC-13: a figure without its required phrase
    ("ic-13", f"""DELETE {{ ?f <{CK}phraseKo> ?o }} WHERE {{
                   ?f <{CK}phraseKo> ?o FILTER(STRENDS(STR(?f), "gumi-4-production-change")) }}"""),
    # IC-19: a dimension value outside its code list
    ("ic-19", f"""DELETE {{ ?f <{CK}role> ?r }} INSERT {{ ?f <{CK}role> <urn:x:no-such-role> }} WHERE {{
                   ?f <{CK}role> ?r FILTER(STRENDS(STR(?f), "gumi-4-production-change")) }}"""),
]


@pytest.mark.parametrize("name, update", BROKEN, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BROKEN)])
def test_a_broken_copy_violates_the_constraint(name, update):
    assert _violated(_normalised(update), IC_DIR / f"{name}.rq")
