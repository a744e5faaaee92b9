"""Fair comparisons across levels (issue 15): a lower level's target is judged against its
higher level's only where the comparison means something — rates and shares, changes in
points or percent, durations, figures per head or per unit.  Counts grow with the place
(every city is below its province on a raw count): they are set side by side, verdict "n/a".
The rule lives in ontology.target_alignment (compare); the graph's links and the web's 对比 read it."""
from __future__ import annotations

import pytest

from policykg.corpus.records import DocumentMeta
from policykg.corpus.segment import segment_document
from policykg.ontology.target_alignment import (NOT_COMPARED, align_targets, comparable, compare,
                                               comparison_basis)
from policykg.ontology.targets import extract_targets
from policykg.web import reading, target_views


@pytest.mark.parametrize("unit,indicator,basis", [
    ("%", "高级工班以上在校生比例", "rate"),
    ("％", "毕业生就业率", "rate"),
    ("个百分点", "技能劳动者占比较2020年提高", "rate"),
    ("N:1", "生师比", "rate"),
    ("倍", "技师学院数量为2020年的", "rate"),
    ("个月", "专业教师企业实践", "duration"),
    ("学时", "教师每年参加培训", "duration"),
    ("人", "每万名就业人员中高技能人才", "per-unit"),
    ("所", "每个县技工学校", "per-unit"),
    ("元", "生均拨款", "per-unit"),
    ("万人", "技工院校在校生", "count"),
    ("所", "技工院校", "count"),
    ("万人次", "每年面向社会开展职业培训", "count"),    # per year is still the whole place's
    ("万人", "技工院校在校生较2022年增加", "count"),     # a change of a count is a count
    (None, "高技能人才", "count"),
])
def test_what_a_target_measures(unit, indicator, basis):
    assert comparison_basis(unit, indicator) == basis
    assert comparable(unit, indicator) == (basis != "count")


def test_rates_are_judged_and_counts_are_not():
    assert compare(55, 40, "%") == "below"
    assert compare(55, 60, "%") == "above"
    assert compare(98, 98.0, "%") == "equal"
    assert compare(65, 3, "万人", "在校生规模") == NOT_COMPARED == "n/a"
    assert compare(3, 3, "所", "技师学院") == "n/a"          # not even "equal"
    assert compare(2, 2.5, "人", "每万名职工中技师") == "above"


PROVINCE = """某省技工教育发展规划
一、发展目标
到2025年，全省技工院校在校生规模达到50万人以上，高级工班以上在校生比例达到45%以上，专业教师每年到企业实践不少于1个月。
"""
CITY = """某市技工教育发展实施方案
一、发展目标
到2025年，全市技工院校在校生规模达到4万人以上，高级工班以上在校生比例达到40%以上，专业教师每年到企业实践不少于2个月。
"""


def _docs():
    meta = dict(period="2021-2025", date="2022-01-01")
    return [segment_document(PROVINCE, DocumentMeta(file="p.txt", title="某省技工教育发展规划",
                                                    level="provincial", **meta)),
            segment_document(CITY, DocumentMeta(file="c.txt", title="某市技工教育发展实施方案",
                                                level="municipal", **meta))]


def test_links_across_levels_judge_only_what_is_comparable():
    docs = _docs()
    links = align_targets(extract_targets(docs), docs)
    got = {(a.lower.unit, a.higher.value, a.lower.value, a.comparison) for a in links}
    assert ("万人", 50, 4, "n/a") in got          # a count: side by side, never "below"
    assert ("%", 45, 40, "below") in got
    assert ("个月", 1, 2, "above") in got
    for a in links:
        assert a.to_export()["comparison"] == a.comparison


def _entry(uri, level, value, unit, indicator, comparator=">="):
    return {"uri": uri, "level": level, "provision": uri, "doc": uri + ".txt", "unit": unit,
            "indicator": indicator, "target": {"value": value, "comparator": comparator}}


def test_the_web_comparison_uses_the_ontology_rule_and_says_why():
    entries = [_entry("p1", "provincial", 65, "万人", "在校生规模"),
               _entry("c1", "municipal", 3, "万人", "技工院校在校生规模"),
               _entry("p2", "provincial", 55, "%", "高级工班以上在校生比例"),
               _entry("c2", "municipal", 40, "%", "高级工班及以上在校生比例")]
    rows = target_views.comparisons(entries, [("p1", "c1"), ("p2", "c2")])
    got = {r["lower"]: (r["comparison"], r["basis"]) for r in rows}
    assert got == {"c1": ("n/a", "count"), "c2": ("below", "rate")}
    # every verdict has its words, the side-by-side one included, and the page says why
    assert set(reading.VERDICTS) >= {"below", "equal", "above", "n/a"}
    assert "不比较" in reading.VERDICTS["n/a"] and "规模" in reading.NOT_COMPARED_NOTE
