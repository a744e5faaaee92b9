"""Quantitative targets: tables and prose, comparators, units, years, keys across levels."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from policykg.corpus.records import DocumentMeta
from policykg.corpus.segment import segment_document
from policykg.corpus.text import squash
from policykg.ontology.target_tables import parse_cell
from policykg.ontology.indicators import indicator_key
from policykg.ontology.target_alignment import align_targets, related_keys
from policykg.ontology.target_context import Context
from policykg.ontology.target_prose import parse_targets
from policykg.ontology.targets import extract_targets

FIXTURES = Path(__file__).parent / "fixtures" / "targets"
PLAN = Context(period=(2021, 2025))


def load(name: str, level: str, period: str) -> object:
    source = (FIXTURES / name).read_text(encoding="utf-8")
    return segment_document(source, DocumentMeta(file=name, title=source.splitlines()[0],
                                                 level=level, period=period))


@pytest.fixture(scope="module")
def docs():
    return [load("provincial_plan.txt", "provincial", "2021-2025"),
            load("municipal_plan.txt", "municipal", "2022-2025")]


@pytest.fixture(scope="module")
def targets(docs):
    return extract_targets(docs)


def one(found, indicator_part: str):
    hits = [f for f in found if indicator_part in f.indicator]
    assert len(hits) == 1, [f.indicator for f in found]
    return hits[0]


# ---- table cells and rows -------------------------------------------------------------------

@pytest.mark.parametrize("cell,value,cmp,bracketed,percent", [
    ("≥150", 150, ">=", False, False),
    ("[≥500]", 500, ">=", True, False),
    ("［200］", 200, "=", True, False),
    ("19.9", 19.9, "=", False, False),
    ("≤5%", 5, "<=", False, True),
    ("＞95", 95, ">=", False, False),
    ("98以上", 98, ">=", False, False),
])
def test_table_cells(cell, value, cmp, bracketed, percent):
    c = parse_cell(cell)
    assert (c.value, c.comparator, c.bracketed, c.percent) == (value, cmp, bracketed, percent)


@pytest.mark.parametrize("cell", ["—", "", "预期性", "逐步提高"])
def test_cells_without_a_figure(cell):
    assert parse_cell(cell) is None


def test_table_row_unit_baseline_years_and_attribute(targets):
    t = next(t for t in targets if t.indicator == "在校生规模")
    assert (t.unit, t.value, t.comparator, t.year) == ("万人", 36, ">=", 2025)
    assert (t.baseline_value, t.baseline_year) == (32.5, 2020)
    assert (t.attribute, t.cumulative, t.origin) == ("预期性", False, "table")


def test_bracketed_cells_are_five_year_totals_per_the_note(targets):
    t = next(t for t in targets if t.indicator == "开展职业培训")
    assert (t.unit, t.value, t.cumulative) == ("万人次", 300, True)
    row = next(t for t in targets if t.indicator == "省级示范专业数")
    assert (row.unit, row.cumulative, row.attribute) == (None, True, "约束性")


def test_export_row_has_the_contract_fields(targets):
    row = next(t for t in targets if t.indicator == "技工院校数").to_export()
    assert row == {"doc": "provincial_plan.txt", "provision": row["provision"],
                   "indicator": "技工院校数", "unit": "所",
                   "target": {"value": 90, "comparator": ">=", "year": 2025},
                   "baseline": {"value": 88, "year": 2020}, "cumulative": False,
                   "attribute": "预期性", "relative": False, "baseline_year": 2020}


def test_a_relative_change_exports_its_base_year_without_a_base_value():
    doc = segment_document("乙市技工教育规划\n一、发展目标\n到2025年，技工院校毕业生就业率比2020年"
                           "提高3个百分点。\n",
                           DocumentMeta(file="r.txt", title="乙市技工教育规划", level="municipal",
                                        period="2021-2025"))
    [t] = extract_targets([doc])
    row = t.to_export()
    assert (row["relative"], row["baseline_year"], row["baseline"]) == (True, 2020, None)
    assert (row["target"]["value"], row["unit"]) == (3, "个百分点")


# ---- prose --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,indicator,value,unit,cmp", [
    ("我市技工院校在校生规模保持在3万人以上", "技工院校在校生规模", 3, "万人", ">="),
    ("高级工班及以上在校生比例达40%以上", "高级工班及以上在校生比例", 40, "%", ">="),
    ("学制技师班毕业生对口就业率不低于60%", "学制技师班毕业生对口就业率", 60, "%", ">="),
    ("企业导师占比不低于师资队伍的30%", "企业导师占师资队伍比例", 30, "%", ">="),
    ("具备高级职称的专家不少于5人", "具备高级职称的专家", 5, "人", ">="),
    ("工作待遇高于同类岗位的毕业生占比超60%", "工作待遇高于同类岗位的毕业生占比", 60, "%", ">="),
    ("建成20所高水平技师学院", "高水平技师学院", 20, "所", "="),
    ("定向培养1万名以上制造业“新工匠”", "制造业“新工匠”", 1, "万名", ">="),
    ("遴选30个左右思想政治理论课师资研修基地", "思想政治理论课师资研修基地", 30, "个", "~"),
    ("毕业生就业率保持在98% 以上", "毕业生就业率", 98, "%", ">="),
    ("年输送毕业生9000人以上", "年输送毕业生", 9000, "人", ">="),
    ("建设100门充分运用数字技术、关注学生成长的一流核心课程", "一流核心课程", 100, "门", "="),
    ("累计培训各类人员20万人次", "累计培训各类人员", 20, "万人次", "="),
    ("技能人才总量年均增长5%", "技能人才总量年均增长", 5, "%", "="),
    ("常住人口中技能劳动者占比提高5个百分点", "常住人口中技能劳动者占比提高", 5, "个百分点", "="),
    ("确保90%的毕业生取得职业资格证书", "毕业生取得职业资格证书比例", 90, "%", "="),
    ("中职学校生师比不高于20:1", "中职学校生师比", 20, "N:1", "<="),
])
def test_prose_targets(text, indicator, value, unit, cmp):
    [t] = parse_targets(text, Context())
    assert (t.indicator, t.value, t.unit, t.comparator) == (indicator, value, unit, cmp)


def test_coordinated_figures_share_the_verb():
    found = parse_targets("建成12所高水平技师学院和25所示范性技工学校，遴选40个左右名师工作室。")
    assert [(f.indicator, f.value, f.comparator) for f in found] == [
        ("高水平技师学院", 12, "="), ("示范性技工学校", 25, "="), ("名师工作室", 40, "~")]


def test_percent_subject_becomes_a_share():
    [t] = parse_targets("高级工班以上在校生力争达到55%")
    assert (t.indicator, t.comparator) == ("高级工班以上在校生比例", "=")
    assert indicator_key(t.indicator) == indicator_key("高级工班以上在校生比例")


def test_a_ratio_after_a_level_cue_is_a_target():
    [t] = parse_targets("专职思政教师比达到1:350的水平")
    assert (t.indicator, t.value, t.unit, t.comparator) == ("专职思政教师比", 350, "1:N", "=")


def test_ranges_keep_both_bounds():
    [t] = parse_targets("重点建设2—3所强而精的中职学校")
    assert (t.indicator, t.value, t.upper, t.comparator) == ("中职学校", 2, 3, ">=")


def test_rates_per_period_go_into_the_name_not_the_unit():
    # A figure per year keeps the count's unit, as tables write it (年职业培训规模（万人次）).
    [t] = parse_targets("每年扶持建设50个省级重点专业，每个专业扶持资金150万元")
    assert (t.indicator, t.value, t.unit, t.cumulative) == ("每年省级重点专业", 50, "个", False)
    [t] = parse_targets("每年面向社会开展职业技能培训8万人次以上", PLAN)
    assert (t.indicator, t.value, t.unit, t.comparator) == (
        "每年面向社会开展职业技能培训", 8, "万人次", ">=")
    [t] = parse_targets("专题教育不少于每学年16学时")
    assert (t.indicator, t.unit, t.comparator) == ("每学年专题教育", "学时", ">=")


@pytest.mark.parametrize("text", [
    "按60%的比例提取用于补充单位绩效工资",
    "按每人200元标准给予院校示范性专业建设经费",
    "对符合《划拨用地目录》（国土资源部令第9号）的教育用地可划拨供地",
    "根据《关于深化技工院校改革的意见》（人社部发〔2021〕30号）",
    "初中毕业起点6年制，前4年视为高级工阶段",
    "公示5个工作日，公示期满无异议后公布",
    "在三所高水平技师学院试点的基础上扩大培养",
    "实施“1+1双导师制”",
    "引进培养一批技能大师，建立一支专业师资领军队伍",
    "近3年与职业院校联合开展过订单班项目",
    "扶持打造了183个省级重点专业",
])
def test_numbers_that_are_not_targets(text):
    assert parse_targets(text, PLAN) == []


def test_the_past_is_not_a_target():
    text = "截至2020年底，全省有技工院校146所，在校生60.87万人，毕业生就业率达到96%。"
    assert parse_targets(text, PLAN) == []
    assert parse_targets("“十三五”期间累计培训超过120万人次", PLAN) == []
    assert parse_targets("在校生达到60万人以上", Context(period=(2021, 2025), background=True)) == []


def test_background_provisions_give_no_targets(targets):
    assert not [t for t in targets if t.value in (88, 32.5, 97) and t.origin == "prose"
                and t.doc == "provincial_plan.txt"]


# ---- years and cumulative ---------------------------------------------------------------------

def test_year_from_the_sentence_and_the_paragraph():
    found = parse_targets("争取到2025年底，在校生规模保持在3万人以上；毕业生就业率保持在98%以上。", PLAN)
    assert [f.year for f in found] == [2025, 2025]


def test_year_from_the_five_year_period_and_cumulative():
    [t] = parse_targets("“十四五”期间开展各类培训500万人次以上", PLAN)
    assert (t.year, t.cumulative, t.value, t.unit) == (2025, True, 500, "万人次")
    [t] = parse_targets("到“十四五”末，专职思政教师比达到1:350的水平", PLAN)
    assert t.year == 2025


def test_no_year_where_the_text_gives_none():
    [t] = parse_targets("企业导师占比不低于师资队伍的30%", Context(period=(2025, 2027)))
    assert t.year is None


def test_a_goals_provision_takes_the_plan_period_end():
    [t] = parse_targets("建成12所高水平技师学院", Context(period=(2021, 2025), goals=True))
    assert t.year == 2025


def test_prose_restating_a_table_row_is_one_target(targets):
    mine = [t for t in targets if t.doc == "provincial_plan.txt"
            and t.indicator_key == indicator_key("高级工班以上在校生比例", "%", "技工院校")]
    assert [t.origin for t in mine] == ["table"]


def test_target_spans_point_at_the_source(docs, targets):
    sources = {d.file: d.source for d in docs}
    for t in targets:
        assert 0 <= t.start < t.end <= len(sources[t.doc])
        assert squash(sources[t.doc][t.start:t.end]) == squash(t.text)


# ---- indicators across documents ---------------------------------------------------------------

@pytest.mark.parametrize("a,b", [
    ("高级工班以上在校生比例", "高级工班及以上在校生比例"),
    ("“双师型”教师占比", "双师型教师比例"),
    ("技师学院数量", "技师学院数"),
    ("全市技工院校在校生规模", "技工院校在校生规模"),
])
def test_same_concept_same_key(a, b):
    assert indicator_key(a) == indicator_key(b)


def test_a_narrowing_qualifier_makes_another_concept():
    assert indicator_key("毕业生对口就业率") != indicator_key("毕业生就业率")
    assert related_keys(indicator_key("毕业生对口就业率"), indicator_key("毕业生就业率"))
    assert not related_keys(indicator_key("学制技师班毕业生对口就业率"),
                            indicator_key("毕业生就业率"))


def test_target_alignment_compares_the_lower_level(docs, targets):
    links = align_targets(targets, docs)
    same = [a for a in links if a.relation == "same"]
    # 高级工班以上在校生比例 / 高级工班及以上…, and 在校生规模 / 技工院校在校生规模 (the
    # municipal plan's 技工院校 is the subject the provincial one's text is about)
    assert sorted((a.higher.value, a.lower.value) for a in same) == [(36, 2), (50, 42)]
    [link] = [a for a in same if a.higher.unit == "%"]
    assert (link.higher.doc, link.lower.doc) == ("provincial_plan.txt", "municipal_plan.txt")
    assert (link.higher.value, link.lower.value, link.comparison) == (50, 42, "below")
    assert link.higher_key == link.lower_key
    row = link.to_export()
    assert (row["higher"], row["lower"], row["kind"]) == (link.higher.provision,
                                                          link.lower.provision, "target")


def test_counts_with_a_qualifier_are_not_compared(docs, targets):
    links = align_targets(targets, docs)
    assert not [a for a in links if a.relation == "related" and a.higher.unit not in ("%",)]


def test_same_level_and_unknown_level_are_not_compared(docs, targets):
    flat = [segment_document(d.source, DocumentMeta(file=d.file, title=d.meta.title,
                                                    level="provincial", period=d.meta.period))
            for d in docs]
    assert align_targets(extract_targets(flat), flat) == []


# ---- never raises; spans stay inside ------------------------------------------------------------

TEXTY = st.text(alphabet=st.sampled_from(list(
    "0123456789.%:：-—～年月底末期间以上下左右不低于少超过达到保持在建成设遴选培养每个所名人万次学时"
    "元按第号《》“”（）()[]，。；、\n\t 十四五三两一百的比例率就业在校生规模高级工班及企业导师")),
    max_size=200)


@settings(max_examples=300, deadline=None)
@given(TEXTY, st.booleans())
def test_parser_never_raises_and_spans_stay_inside(text, goals):
    for f in parse_targets(text, Context(period=(2021, 2025), doc_year=2021, goals=goals)):
        assert 0 <= f.start <= f.end <= len(text)
        assert f.comparator in (">=", "<=", "=", "~")
        assert f.indicator


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_parser_never_raises_on_any_text(text):
    for f in parse_targets(text, Context(period=(2021, 2025))):
        assert 0 <= f.start <= f.end <= len(text)


@settings(max_examples=60, deadline=None)
@given(TEXTY)
def test_document_targets_point_inside_the_source(text):
    doc = segment_document("规划\n一、目标\n" + text, DocumentMeta(file="x.txt", title="规划",
                                                                 level="municipal"))
    for t in extract_targets([doc]):
        assert 0 <= t.start <= t.end <= len(doc.source)
