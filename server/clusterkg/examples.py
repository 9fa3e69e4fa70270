"""The example queries: the competency questions (queries/competency/*.rq), each with its English
description (the file's first comment line) and a Korean one (below).  The query page lists them,
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

#: the Korean description of each competency question, by file stem (English: the file's first line)
KOREAN: dict[str, str] = {
    "q01-exports-growth-over-40-percent": "수출이 40% 넘게 늘어난 클러스터는?",
    "q02-ulsan-patent-applications-before-after": "울산의 특허 출원 건수, 이전과 이후.",
    "q03-gwangju-actors-with-kind": "광주에 대해 이름이 나온 행위주체와 그 종류.",
    "q04-council-on-precision-machining": "(초)정밀가공 분야 산학연 협의체가 있는 클러스터는?",
    "q05-group-versus-complex-average": "어떤 집단을 단지 평균과 비교한 수치들.",
    "q06-council-counts": "클러스터마다 산학연 협의체는 몇 개인가?",
    "q07-total-councils": "기사가 밝힌 협의체는 모두 몇 개인가?",
    "q08-clusters-without-goal": "목표나 비전이 적혀 있지 않은 클러스터는?",
    "q09-qualitative-outcomes": "수치가 없는 정성적 성과, 클러스터별.",
    "q10-gumi-before-after": "구미의 이전 → 이후 쌍(R&D 지원기업 21개사 기준)과 그 비율.",
    "q11-rd-support-inputs": "보도된 R&D 지원금(원)은 얼마이며 어느 클러스터인가?",
    "q12-changwon-sales-per-won-of-support": "창원의 1차년도 R&D 지원은 지원금 1원당 얼마의 성과를 냈나?",
    "q13-gwangju-growth-since-2004": "2004년 대비 광주의 성장, 집단별.",
    "q14-ten-billion-club": "연매출 100억원 이상인 광주 광산업체는 해마다 몇 곳이었나?",
    "q15-gunsan-capacity": "군산의 연간 자동차 생산능력.",
    "q16-clusters-in-gyeonggi": "경기도(Wikidata Q20937)에 있는 클러스터는?",
    "q17-kostat-codes-of-cluster-cities": "각 클러스터가 있는 시의 통계청(SGIS) 지역코드 — 센서스 표와 잇기 위해.",
    "q18-wonju-code-valid-in-2022": "강원 코드 개편 전후 원주의 법정동 코드는?",
    "q19-employment-growth": "클러스터별 고용 증가와 그 단위(퍼센트 또는 배수).",
    "q20-banwol-sihwa-patent-registration-rate": "반월시화의 특허 출원 중 등록된 비율은?",
    "q21-english-names": "일곱 클러스터의 영어 이름(언어별 레이블).",
    "q22-fields-in-ksic-26": "표준산업분류 26(전자부품·컴퓨터·통신장비)에 드는 협의체 분야는?",
    "q23-ask-every-figure-has-source": "모든 수치가 원문 기사로 이어지는가?",
    "q24-wonju-financing": "원주 의료기기 기업에 누가 얼마를 투자·융자했나?",
}


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


@cache
def examples() -> tuple[Example, ...]:
    folder = resources.files("clusterkg").joinpath("queries", "competency")
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".rq"):
            continue
        text = entry.read_text(encoding="utf-8")
        stem = entry.name[:-3]
        first = text.splitlines()[0].lstrip("# ").strip() if text.startswith("#") else stem
        found.append(Example(stem, first, KOREAN.get(stem, first), text))
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
