"""Competency questions: each queries/competency/*.rq names a question a policy researcher asks and,
in its header, the answer worked out by hand from the article. This runs every one and compares.

Header lines read here:
  # expect: var=value var=value …   one expected row (prefixed names expand with clusterkg's prefixes;
                                     numbers compare as numbers; text as written, no spaces)
  # expect: true | false             the answer of an ASK
  # ordered: true                     the rows must come in the order given
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from importlib import resources

import pytest

from clusterkg import dataset
from clusterkg.export import open_store
from clusterkg.namespaces import PREFIXES
from clusterkg.settings import Settings

QUERY_DIR = resources.files("clusterkg").joinpath("queries", "competency")
QUERIES = sorted(p.name for p in QUERY_DIR.iterdir() if p.name.endswith(".rq"))


@pytest.fixture(scope="module")
def store():
    return open_store(dataset.prepare(Settings.load()))


def _expand(value: str) -> str:
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return value


def _normal(value: str):
    try:
        return Decimal(value).normalize()
    except InvalidOperation:
        return value


def _parse_header(text: str):
    rows, ask, ordered = [], None, False
    for line in text.splitlines():
        if not line.startswith("#"):
            continue
        body = line.lstrip("#").strip()
        if body.startswith("expect:"):
            spec = body[len("expect:"):].strip()
            if spec in ("true", "false"):
                ask = spec == "true"
            else:
                rows.append({k: _normal(_expand(v)) for k, v in (pair.split("=", 1) for pair in spec.split())})
        elif body.replace(" ", "") == "ordered:true":
            ordered = True
    return rows, ask, ordered


def test_there_are_at_least_twenty_questions():
    assert len(QUERIES) >= 20


@pytest.mark.parametrize("name", QUERIES)
def test_competency_question(store, name):
    text = QUERY_DIR.joinpath(name).read_text(encoding="utf-8")
    assert text.startswith("#"), "a competency query starts with its header comment"
    expected, ask, ordered = _parse_header(text)
    assert expected or ask is not None, f"{name} states no expected answer"
    result = store.query(text, use_default_graph_as_union=True)
    if ask is not None:
        assert bool(result) is ask
        return
    got = [{k: _normal(row[k].value) if row[k] is not None else None for k in expected[0]} for row in result]
    if ordered:
        assert got == expected
    else:
        key = lambda r: sorted((k, str(v)) for k, v in r.items())
        assert sorted(got, key=key) == sorted(expected, key=key)
