"""Changes from a base year and the parts of a figure (issue 14): every verb of change is one
rule — "比<year>(年)增加/增长/减少/下降/提升/扩大/提高/缩小 N" and 较<year> are changes from
that year, never a level (nor a share) of the indicator they change — and a bare figure after
其中 is a target of its own indicator, with the whole's comparator and year."""
from __future__ import annotations

import pytest

from policykg.corpus.reader import read_bytes
from policykg.corpus.records import DocumentMeta
from policykg.corpus.segment import segment_document
from policykg.ontology.indicators import indicator_key
from policykg.ontology.target_context import Context
from policykg.ontology.target_prose import parse_targets
from policykg.ontology.targets import extract_targets

PLAN = Context(period=(2021, 2025), doc_year=2022)


def found(text: str, ctx: Context = PLAN) -> list[tuple]:
    return [(f.indicator, f.comparator, f.value, f.unit, f.year, f.relative, f.baseline_year)
            for f in parse_targets(text, ctx)]


# ---- changes from a base year -------------------------------------------------------------------

@pytest.mark.parametrize("verb", ["增加", "增长", "减少", "下降", "提升", "扩大", "提高", "缩小"])
@pytest.mark.parametrize("base", ["比2021年", "较2021年", "比2021年底", "比2021"])
def test_every_change_verb_is_relative_to_its_base_year(verb, base):
    [t] = parse_targets(f"到2025年，全县职业培训补贴人数{base}{verb}2000人", PLAN)
    assert (t.value, t.unit, t.year, t.relative, t.baseline_year) == (2000, "人", 2025, True, 2021)
    assert t.indicator == f"职业培训补贴人数较2021年{verb}"


def test_a_change_after_a_level_is_the_change_of_that_figure_not_a_second_level():
    # the subject is written once, in the clause before; the change borrows it
    rows = found("到2025年，全区技工学校在校生达到6000人，比2021年增长20%；毕业生就业率保持在96%以上。")
    assert rows == [
        ("技工学校在校生", "=", 6000, "人", 2025, False, None),
        ("技工学校在校生较2021年增长", "=", 20, "%", 2025, True, 2021),
        ("毕业生就业率", ">=", 96, "%", 2025, False, None)]


def test_a_change_in_a_count_is_not_a_level_of_the_count():
    level, change = parse_targets("到2025年，技工院校学制教育规模达到1.8万人左右，"
                                  "比2021年增加3000人。", PLAN)
    assert (level.value, level.unit, level.comparator, level.relative) == (1.8, "万人", "~", False)
    assert (change.value, change.unit, change.relative, change.baseline_year) == (
        3000, "人", True, 2021)
    # two concepts: a change never meets the level it changes (nor a share of it)
    assert indicator_key(change.indicator, change.unit) != indicator_key(level.indicator,
                                                                         level.unit)
    assert "比例" not in change.indicator


def test_a_change_without_a_figure_before_takes_the_clause_before():
    [t] = parse_targets("到2025年，企业职工参训人次稳步增长，较2021年提高15%", PLAN)
    assert (t.indicator, t.relative, t.baseline_year) == ("企业职工参训人次较2021年提高", True, 2021)


def test_the_subject_may_follow_the_change_verb():
    [t] = parse_targets("到2025年，比2021年增加公共实训基地4个", PLAN)
    assert (t.indicator, t.value, t.unit, t.relative, t.baseline_year) == (
        "公共实训基地较2021年增加", 4, "个", True, 2021)


def test_the_end_of_a_five_year_period_is_a_base_year():
    [t] = parse_targets("到2025年，高技能人才占比较“十三五”末提高4个百分点", PLAN)
    assert (t.value, t.unit, t.year, t.relative, t.baseline_year) == (4, "个百分点", 2025, True, 2020)


@pytest.mark.parametrize("text,indicator,value,cmp", [
    ("到2025年，城镇登记失业率下降到4.5%以下", "城镇登记失业率", 4.5, "<="),
    ("到2025年，培训等待时间缩短至10天以内", "培训等待时间缩短至", 10, "<="),
    ("到2025年，办学成本降至每生8000元以下", None, None, None),
])
def test_reaching_a_lower_level_is_a_level_not_a_change(text, indicator, value, cmp):
    rows = parse_targets(text, PLAN)
    if indicator is None:
        assert rows == []                     # money is never a target
        return
    [t] = rows
    assert not t.relative and t.comparator == cmp and t.value == value
    assert t.indicator.startswith(indicator[:4])


def test_a_year_written_with_the_value_is_not_a_base_year():
    [t] = parse_targets("到2025年，培训人数由1500人提高到3000人", PLAN)
    assert (t.value, t.relative, t.baseline_year, t.baseline_value) == (3000, False, None, 1500)


# ---- parts after 其中 -----------------------------------------------------------------------------

def test_a_part_after_qizhong_is_its_own_target_with_the_wholes_comparator_and_year():
    rows = found("到2025年，全州公办技工院校达到9所以上，其中技师学院2所。")
    assert rows == [("公办技工院校", ">=", 9, "所", 2025, False, None),
                    ("技师学院", ">=", 2, "所", 2025, False, None)]
    assert indicator_key("技师学院") != indicator_key("公办技工院校")


def test_a_list_of_parts_after_one_qizhong():
    rows = found("到2025年，全市职业技能实训基地达到15个，其中省级3个、市级8个。")
    assert [r[:3] for r in rows] == [("职业技能实训基地", "=", 15),
                                      ("省级职业技能实训基地", "=", 3),
                                      ("市级职业技能实训基地", "=", 8)]
    assert {r[4] for r in rows} == {2025}


def test_a_part_in_brackets_and_a_part_with_its_own_bound():
    rows = found("到2025年，技工院校在校生达到2万人（其中高级工班以上在校生8000人以上）")
    assert rows[1][:4] == ("高级工班以上在校生", ">=", 8000, "人")


def test_no_part_without_a_whole_and_none_in_the_past():
    assert parse_targets("截至2021年底，全市有技工院校7所，其中技师学院2所。", PLAN) == []
    assert parse_targets("其中技师学院2所。", PLAN) == []
    # a part of a sentence before is not a part of this one
    rows = found("到2025年，技工院校达到10所。其中技师学院2所为省属。")
    assert [r[0] for r in rows] == ["技工院校"]


# ---- a web page of the same shape, end to end ---------------------------------------------------

PAGE = """<html><body><h2>某州技工教育提质培优行动方案</h2>
<p>一、总体目标</p>
<p>到2025年，全州技工院校达到9所，其中技师学院2所；技工院校在校生达到1.6万人左右，比2021年增加4000人，比2021年增长33%。</p>
<p>二、主要任务</p><p>（一）优化布局。推动技师学院扩容。</p>
</body></html>"""


def test_a_plan_page_reads_parts_and_changes_apart_from_levels():
    text = read_bytes(PAGE.encode("utf-8"), "page.html", 10 ** 6).text
    doc = segment_document(text, DocumentMeta(file="page.html", title="某州技工教育提质培优行动方案",
                                              level="municipal", period="2021-2025",
                                              date="2022-06-01"))
    got = {(t.indicator, t.value, t.unit, t.relative) for t in extract_targets([doc])}
    assert got == {("技工院校", 9, "所", False), ("技师学院", 2, "所", False),
                   ("技工院校在校生", 1.6, "万人", False),
                   ("技工院校在校生较2021年增加", 4000, "人", True),
                   ("技工院校在校生较2021年增长", 33, "%", True)}
