"""Korean and English: which language a request gets, the interface's words, and picking a label.

The language is ``?lang=ko|en`` (remembered in a cookie), else the cookie, else the browser's
Accept-Language, else Korean (the language of the source).  An unknown ``lang`` is a 400.  A label
is picked in the chosen language, then the other one, then an untagged one (``pick``).
"""
from __future__ import annotations

from flask import request

from ..errors import ClusterkgError

LANGS = ("ko", "en")
DEFAULT = "ko"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def choose() -> tuple[str, bool]:
    """(language, whether to remember it in the cookie) for the current request."""
    asked = request.args.get("lang")
    if asked is not None:
        if asked not in LANGS:
            raise ClusterkgError("bad-request", f"Unknown language lang={asked[:40]!r}; use lang=ko or lang=en.")
        return asked, request.cookies.get(COOKIE) != asked
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGS:
        return cookie, False
    best = request.accept_languages.best_match(LANGS)
    return (best or DEFAULT), False


def remember(response, lang: str) -> None:
    response.set_cookie(COOKIE, lang, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)


def pick(labels: dict[str, str] | None, lang: str) -> str | None:
    """A label from {language tag: text}: the chosen language, the other, then untagged ('')."""
    if not labels:
        return None
    for tag in (lang, *(other for other in LANGS if other != lang), ""):
        if tag in labels:
            return labels[tag]
    return next(iter(labels.values()))


#: the interface's words: key -> (Korean, English)
WORDS: dict[str, tuple[str, str]] = {
    "site": ("클러스터KG", "clusterkg"),
    "tagline": ("한국 7개 혁신클러스터의 지식 그래프", "The knowledge graph of Korea's seven innovation clusters"),
    "home": ("처음", "Home"),
    "clusters": ("클러스터", "Clusters"),
    "query": ("SPARQL 질의", "SPARQL query"),
    "ontology": ("온톨로지", "Ontology"),
    "downloads": ("내려받기", "Downloads"),
    "properties": ("속성", "Properties"),
    "incoming": ("이 자원을 가리키는 링크", "Links to this resource"),
    "property": ("속성", "Property"),
    "value": ("값", "Value"),
    "from": ("주어", "From"),
    "inferred": ("추론됨", "inferred"),
    "formats": ("다른 형식", "Other formats"),
    "iri": ("IRI", "IRI"),
    "goal": ("목표", "Goal"),
    "councils": ("산학연 협의체", "Councils"),
    "council_count": ("협의체 수", "Number of councils"),
    "field_kind": ("분야 명칭(원문)", "Field kind (as written)"),
    "fields": ("분야", "Field"),
    "actors": ("행위주체", "Actors"),
    "tasks": ("추진과제", "Tasks"),
    "places": ("지역", "Places"),
    "complexes": ("산업단지", "Industrial complexes"),
    "description": ("원문 설명", "Description (Korean source)"),
    "outcomes": ("주요성과", "Outcomes"),
    "outcome": ("성과", "Outcome"),
    "description_figures": ("설명 속 수치", "Figures in the description"),
    "indicator": ("지표", "Indicator"),
    "role": ("역할", "Role"),
    "unit": ("단위", "Unit"),
    "period": ("기간", "Period"),
    "group": ("비교집단", "Comparison group"),
    "phrase": ("원문 표현", "As written"),
    "figure": ("수치", "Figure"),
    "sentence_ko": ("원문 (한국어)", "Source sentence (Korean)"),
    "reading_en": ("영어 읽기", "English reading"),
    "source": ("출처", "Source"),
    "qualitative": ("정성적 성과 (수치 없음)", "qualitative outcome (no figure)"),
    "csv": ("이 표를 CSV로", "This table as CSV"),
    "charts": ("도표", "Charts"),
    "chart_pairs": ("이전 → 이후 (쌍마다 자체 눈금)", "Before → after (each pair on its own scale)"),
    "chart_growth": ("증가율과 비교 평균 (%)", "Growth rates and comparison averages (%)"),
    "before": ("이전", "before"),
    "after": ("이후", "after"),
    "growth": ("증가율", "growth"),
    "average": ("비교 평균", "comparison average"),
    "approx": ("약", "approx."),
    "since": ("기준", "since"),
    "not_found": ("찾을 수 없음", "Not found"),
    "not_found_text": ("이 IRI에 해당하는 자원이 이 데이터셋에 없습니다.", "This dataset holds no resource with this IRI."),
    "licence": ("이용허락", "Licence"),
    "cite": ("인용", "How to cite"),
    "counts": ("규모", "Size"),
    "triples": ("트리플", "triples"),
    "graph": ("그래프", "Graph"),
    "language": ("언어", "Language"),
    "embedded_data": ("이 페이지의 데이터", "This page's data"),
    # the site pages' sentences
    'bytes': ('바이트', 'Bytes'),
    'code': ('코드', 'code'),
    'data': ('데이터', 'data'),
    'default_graph_union': ('기본 그래프 (합집합)', 'default graph (union)'),
    'error': ('오류', 'Error'),
    'error_code': ('오류 코드', 'error code'),
    'iri_note': ('https://w3id.org/clusterkg/ 아래의 모든 IRI는 이 사이트의 페이지이자 (Turtle, JSON-LD, N-Triples, RDF/XML) 데이터다.', 'Every IRI under https://w3id.org/clusterkg/ is a page here and data for clients (Turtle, JSON-LD, N-Triples, RDF/XML).'),
    'examples': ('예시 질의', 'Examples'),
    'figures': ('수치', 'figures'),
    'file': ('파일', 'File'),
    'downloads_note': ('엔드포인트가 제공하는 그래프에서 생성했다; 각 파일은 다음 설명의 dcat:Distribution이기도 하다:', 'Generated from the graph the endpoint serves; each is also a dcat:Distribution in'),
    'holds': ('내용', 'Holds'),
    'innovation_cluster_programme': ('혁신클러스터 사업', 'Innovation cluster programme'),
    'media_type': ('미디어 유형', 'Media type'),
    'one_graph_at_a_time': ('그래프별', 'One graph at a time'),
    'ontology_and_data': ('온톨로지와 데이터', 'Ontology and data'),
    'quotation_note': ('기사 인용은 짧게, 출처를 밝혀 싣는다; 기사의 저작권은 충북일보에 있다.', 'Quotations from the article are short and attributed; the article itself is © 충북일보.'),
    'result': ('결과', 'Result'),
    'rows': ('행', 'rows'),
    'run': ('실행', 'Run'),
    'shown': ('개 표시', 'shown'),
    'query_label': ('SPARQL 질의 (읽기 전용; 엔드포인트:', 'SPARQL query (read-only; the endpoint is'),
    'specialised_by': ('하위', 'Specialised by'),
    'truncated_note': ('결과가 엔드포인트 한도에서 잘렸다.', "The result was cut by the endpoint's caps."),
    'types': ('유형', 'Types'),
    'use_it': ('이용', 'Use it'),
}


#: labels of the W3C terms the pages show most (the store holds no labels for them): IRI -> (ko, en)
_RDFS, _DCT, _SKOS = "http://www.w3.org/2000/01/rdf-schema#", "http://purl.org/dc/terms/", "http://www.w3.org/2004/02/skos/core#"
TERMS: dict[str, tuple[str, str]] = {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type": ("유형", "type"),
    _RDFS + "label": ("레이블", "label"),
    _RDFS + "comment": ("설명", "comment"),
    _RDFS + "isDefinedBy": ("정의한 곳", "defined by"),
    _RDFS + "subClassOf": ("상위 클래스", "subclass of"),
    _DCT + "source": ("출처", "source"),
    _DCT + "title": ("제목", "title"),
    _DCT + "description": ("설명", "description"),
    _DCT + "license": ("이용허락", "licence"),
    _SKOS + "altLabel": ("다른 이름", "alternative label"),
    _SKOS + "exactMatch": ("같은 대상", "exact match"),
    _SKOS + "closeMatch": ("가까운 대상", "close match"),
    _SKOS + "broadMatch": ("더 넓은 대상", "broad match"),
    _SKOS + "notation": ("표기", "notation"),
    _SKOS + "inScheme": ("체계", "in scheme"),
    _SKOS + "definition": ("정의", "definition"),
    "http://purl.org/linked-data/cube#dataSet": ("데이터셋", "data set"),
    "http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure": ("단위", "unit of measure"),
    "http://purl.org/linked-data/sdmx/2009/measure#obsValue": ("관측값", "observed value"),
    "http://www.w3.org/ns/prov#wasDerivedFrom": ("유래", "derived from"),
    "http://xmlns.com/foaf/0.1/page": ("웹 페이지", "page"),
    "http://www.w3.org/ns/org#subOrganizationOf": ("상위 조직", "sub-organisation of"),
}


def term(iri: str, lang: str) -> str | None:
    """The label of a common W3C term in ``lang``, or None."""
    pair = TERMS.get(iri)
    return pair[LANGS.index(lang)] if pair else None


def words(lang: str) -> dict[str, str]:
    index = LANGS.index(lang)
    return {key: pair[index] for key, pair in WORDS.items()}
