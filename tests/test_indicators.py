"""Indicators across levels: one concept per indicator at the granularity an official
compares, the wording kept, never two different things merged; the search over them; and the
relative targets' base year in the export and the graph."""
from __future__ import annotations

import pytest
from rdflib import Literal

from policykg.corpus.records import DocumentMeta
from policykg.corpus.segment import segment_document
from policykg.ontology.graph_build import build_graph
from policykg.ontology.graph_files import validate_graph
from policykg.ontology.indicators import document_subject, indicator_key, matches, unit_family
from policykg.ontology.namespaces import POL
from policykg.ontology.targets import extract_targets
from policykg.ontology.target_alignment import align_targets

TECH = "技工院校"          # the subject of a 技工教育 plan


def key(name: str, unit: str | None, subject: str | None = TECH) -> str:
    return indicator_key(name, unit, subject)


# ---- one concept ----------------------------------------------------------------------------

@pytest.mark.parametrize("a,b", [
    (("毕业生就业率", "%"), ("毕业生初次就业率", "%")),                  # 初次: how it is measured
    (("在校生规模", "万人"), ("技工院校在校生规模", "万人")),              # the plan's own subject
    (("在校生规模", "万人"), ("技工院校学制教育规模", "万人")),            # 学制教育 = enrolment
    (("在校生人数", "人"), ("在校学生", "万人")),                          # size words, synonyms
    (("高级工班及以上在校生占比", "%"), ("高级工以上在校生比例", "%")),
    (("每年面向社会开展职业技能培训", "万人次"), ("年职业培训规模", "万人次")),
    (("年均开展职业培训", "万人次"), ("每年职业培训", "万人次")),
    (("全省技工院校数量", "所"), ("技工院校数", "所")),
])
def test_wordings_an_official_reads_as_one_indicator_share_a_key(a, b):
    assert key(*a) == key(*b)


@pytest.mark.parametrize("a,b", [
    (("技师学院数", "所"), ("技工院校数", "所")),              # 技师学院 are some 技工院校
    (("毕业生就业率", "%"), ("毕业生就业人数", "人")),          # a rate is not a count
    (("在校生规模", "万人"), ("高级工班以上在校生比例", "%")),  # a population, a share of it
    (("毕业生对口就业率", "%"), ("毕业生就业率", "%")),        # 对口 narrows the measure
    (("高水平技工院校", "所"), ("技工院校", "所")),            # a subset
    (("职业培训", "万人次"), ("年职业培训", "万人次")),        # a period total, a yearly one
])
def test_different_things_keep_different_keys(a, b):
    assert key(*a) != key(*b)


def test_a_share_never_meets_a_count():
    assert key("就业率", "%") != key("就业率", "人")
    assert key("企业导师", "%").endswith("比例")


def test_a_bare_population_belongs_to_the_documents_subject():
    # another sector's plan: its 在校生 are 职业院校's, not 技工院校's
    assert key("在校生规模", "万人", "职业院校") != key("在校生规模", "万人", TECH)
    # a wording naming its own institution class keeps it, whatever the document's
    assert key("技工院校在校生规模", "万人", "职业院校") == key("在校生规模", "万人", TECH)
    # no subject known: the name as written
    assert key("在校生规模", "万人", None) == "在校生"
    # 高级工 is a level of any worker: society's 高级工以上技能人才 are no school's
    assert key("高级工以上技能人才", "万人") == key("高级工以上技能人才", "万人", "职业院校")


@pytest.mark.parametrize("title,text,subject", [
    ("甲省技工教育“十四五”发展规划", "", "技工院校"),
    ("甲市推动技工教育高质量发展实施方案", "", "技工院校"),
    ("甲省中等职业教育质量提升计划", "", "中职学校"),
    ("甲省现代职业教育体系建设改革实施方案", "", "职业院校"),
    ("甲省技能人才发展规划", "技工院校要…技工院校应…支持技工院校…职业院校", "技工院校"),
    ("甲省技能人才发展规划", "技工院校、职业院校", None),      # too few mentions
    ("关于做好招生工作的通知", "", None),
])
def test_document_subject(title, text, subject):
    assert document_subject(title, text) == subject


def test_unit_family():
    assert [unit_family(u) for u in ("%", "1:N", "万人", "人次", "名", "所", None)] == [
        "rate", "rate", "person", "person", "person", "count", "count"]


# ---- across levels, in documents ----------------------------------------------------------------

PROVINCE = """丙省技工教育“十四五”发展规划
一、发展目标
到2025年，全省技工院校学制教育规模保持在40万人以上，毕业生初次就业率保持在97%以上，技师学院达到30所。
"""
CITY = """丁市推动技工教育高质量发展实施方案
一、主要目标
到2025年，我市技工院校在校生规模达到3万人以上，毕业生就业率保持在98%以上，技工院校达到8所。
"""


def _docs():
    return [segment_document(PROVINCE, DocumentMeta(
                file="p.txt", title=PROVINCE.splitlines()[0], level="provincial",
                region="丙省", period="2021-2025")),
            segment_document(CITY, DocumentMeta(
                file="c.txt", title=CITY.splitlines()[0], level="municipal", region="丁市",
                period="2021-2025"))]


def test_targets_keep_their_wording_and_share_the_concept():
    targets = extract_targets(_docs())
    by_name = {t.indicator: t for t in targets}
    assert by_name["技工院校学制教育规模"].indicator_key == by_name["技工院校在校生规模"].indicator_key
    assert by_name["毕业生初次就业率"].indicator_key == by_name["毕业生就业率"].indicator_key
    assert by_name["技师学院"].indicator_key != by_name["技工院校"].indicator_key


def test_the_same_concept_is_compared_across_levels():
    docs = _docs()
    links = align_targets(extract_targets(docs), docs)
    pairs = {(a.higher.indicator, a.lower.indicator, a.relation) for a in links}
    assert ("毕业生初次就业率", "毕业生就业率", "same") in pairs
    assert ("技工院校学制教育规模", "技工院校在校生规模", "same") in pairs
    assert not [a for a in links if "技师学院" in a.higher.indicator]


# ---- the search over indicators -----------------------------------------------------------------

@pytest.mark.parametrize("query,found", [
    ("在校生", True), ("在校生规模", True), ("学制教育规模", True), ("學制教育規模", True),
    ("技工院校在校生规模", True), ("就业率", False), ("", True),
])
def test_search_finds_an_indicator_by_any_of_its_wordings(query, found):
    k = key("在校生规模", "万人")
    assert matches(query, k, ["在校生规模", "技工院校在校生规模"]) is found


# ---- relative targets in the graph --------------------------------------------------------------

def test_a_relative_target_carries_its_base_year_in_the_graph():
    doc = segment_document("戊市技工教育规划\n一、发展目标\n到2025年，技工院校毕业生就业率比2020年"
                           "提高3个百分点，技师学院达到5所。\n",
                           DocumentMeta(file="r.txt", title="戊市技工教育规划",
                                        level="municipal", region="戊市", period="2021-2025"))
    g = build_graph([doc]).graph
    relative = set(g.subjects(POL.relative, Literal(True)))
    assert len(relative) == 1
    [target] = relative
    year = g.value(target, POL.baselineYear)
    assert (str(year), str(year.datatype).rsplit("#", 1)[-1]) == ("2020", "gYear")
    assert g.value(target, POL.baselineValue) is None
    conforms, text = validate_graph(g)
    assert conforms, text[:2000]
