"""Targets as real plans of any place write them (issue 14): prose forms, past statistics and
baselines that are never targets, indicator tables in Markdown, HTML, Word and plain text."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from policykg.corpus.reader import read_bytes
from policykg.corpus.records import DocumentMeta
from policykg.corpus.segment import segment_document
from policykg.ontology.target_tables import parse_cell
from policykg.ontology.indicators import indicator_key
from policykg.ontology.target_context import Context
from policykg.ontology.target_prose import parse_targets
from policykg.ontology.targets import extract_targets

FIXTURES = Path(__file__).parent / "fixtures" / "targets"
PLAN = Context(period=(2021, 2025), doc_year=2021)
LATE = Context(period=(2021, 2025), doc_year=2023)     # a plan issued in the period's third year


def read(name: str, data: bytes | None = None, period: str | None = "2021-2025",
         date: str | None = None) -> object:
    data = data if data is not None else (FIXTURES / name).read_bytes()
    text = read_bytes(data, name, 10 ** 7).text
    return segment_document(text, DocumentMeta(file=name, title=text.splitlines()[0],
                                               level="municipal", period=period, date=date))


def rows(doc) -> list[tuple]:
    return [(t.indicator, t.unit, t.value, t.comparator, t.year) for t in extract_targets([doc])]


def only(text: str, ctx: Context = PLAN):
    found = parse_targets(text, ctx)
    assert len(found) == 1, [(f.indicator, f.value) for f in found]
    return found[0]


# ---- prose forms --------------------------------------------------------------------------------

@pytest.mark.parametrize("text,indicator,value,unit,cmp", [
    ("到2025年，在校生规模达到4万人以上", "在校生规模", 4, "万人", ">="),
    ("技师学院达到12所", "技师学院", 12, "所", "="),
    ("新增高技能人才不少于3万人", "新增高技能人才", 3, "万人", ">="),
    ("企业兼职教师不低于教师总数的20%", "企业兼职教师占教师总数比例", 20, "%", ">="),
    ("力争新增高技能人才超过2万人", "新增高技能人才", 2, "万人", ">="),
    ("建成10所左右省级优质技工院校", "省级优质技工院校", 10, "所", "~"),
    ("毕业生初次就业率保持在95%左右", "毕业生初次就业率", 95, "%", "~"),
    ("毕业生就业率稳定在97%以上", "毕业生就业率", 97, "%", ">="),
    ("力争建成5所技师学院", "技师学院", 5, "所", "="),
])
def test_prose_levels_and_bounds(text, indicator, value, unit, cmp):
    t = only(text)
    assert (t.indicator, t.value, t.unit, t.comparator) == (indicator, value, unit, cmp)


@pytest.mark.parametrize("text", ["重点建设3至5所高水平技工院校", "重点建设3—5所高水平技工院校",
                                  "重点建设三至五所高水平技工院校"])
def test_a_range_is_at_least_its_lower_bound(text):
    t = only(text)
    assert (t.indicator, t.value, t.upper, t.unit, t.comparator) == (
        "高水平技工院校", 3, 5, "所", ">=")


def test_a_cumulative_total_over_the_period():
    t = only("“十四五”期间累计培训各类人员不少于15万人次")
    assert (t.value, t.unit, t.comparator, t.year, t.cumulative) == (15, "万人次", ">=", 2025, True)


def test_a_figure_per_year_keeps_the_counts_unit():
    t = only("每年面向社会开展职业技能培训8万人次以上")
    assert (t.indicator, t.unit, t.cumulative) == ("每年面向社会开展职业技能培训", "万人次", False)


def test_a_bounded_duration_is_a_target_and_a_bare_one_is_not():
    t = only("推动专业教师每两年到企业实践不少于2个月")
    assert (t.value, t.unit, t.comparator, t.year) == (2, "个月", ">=", None)
    assert "企业实践" in t.indicator
    assert parse_targets("公示期为1个月，期满无异议后公布", PLAN) == []


def test_an_increase_by_percentage_points_is_relative_to_its_base_year():
    t = only("到2025年，技能劳动者占就业人员的比例比2020年提高3个百分点")
    assert (t.value, t.unit, t.year, t.relative, t.baseline_year) == (3, "个百分点", 2025, True, 2020)
    assert t.indicator == "技能劳动者占就业人员的比例较2020年提高"


def test_an_increase_in_percent_is_never_an_absolute_share():
    t = only("到2025年，全省技能人才总量比2010年提高8%")
    assert (t.value, t.unit, t.relative, t.baseline_year) == (8, "%", True, 2010)
    assert indicator_key(t.indicator) != indicator_key("技能人才总量")
    assert t.year == 2025                       # the base year is not the target year


def test_doubling_is_twice_the_base():
    t = only("到2025年，技师学院数量比2020年翻一番")
    assert (t.indicator, t.value, t.unit, t.year, t.relative) == (
        "技师学院数量为2020年的", 2, "倍", 2025, True)


@pytest.mark.parametrize("text", ["高技能人才占技能人才的比例达到1/3", "高技能人才占技能人才的比例达到三分之一"])
def test_a_fraction_is_a_share_in_percent(text):
    t = only(text)
    assert (t.indicator, t.value, t.unit, t.comparator) == ("高技能人才占技能人才的比例", 33.33, "%", "=")


def test_a_share_keeps_its_subject_and_its_whole():
    a = only("到2025年，甲市技工院校毕业生占新增技能人才的比例达到40%")
    b = only("到2025年，高技能人才占技能人才的比例达到30%以上")
    assert indicator_key(a.indicator) != indicator_key(b.indicator)
    assert "技工院校毕业生" in a.indicator and "高技能人才占技能人才" in b.indicator


def test_a_share_without_its_subject_takes_the_clause_before():
    t = only("到2025年，高技能人才总量稳步增长，占技能人才的比例达到35%以上")
    assert t.indicator.startswith("高技能人才总量占技能人才")
    # two places whose shares are of different populations stay two indicators
    other = only("到2025年，技工院校毕业生人数持续增加，占技能人才的比例达到35%以上")
    assert indicator_key(t.indicator) != indicator_key(other.indicator)


def test_bracketed_asides_do_not_change_the_indicator():
    found = parse_targets("到2025年，全市技工院校（含技师学院）在校生规模达到4万人以上，"
                          "技师学院（含筹建）达到6所", PLAN)
    assert [(f.indicator, f.value) for f in found] == [("技工院校在校生规模", 4), ("技师学院", 6)]


def test_a_figure_in_brackets_names_its_own_indicator():
    found = parse_targets("到2025年，技工院校达到20所（其中技师学院达到8所）", PLAN)
    assert [(f.indicator, f.value) for f in found] == [("技工院校", 20), ("技师学院", 8)]


def test_a_clause_without_a_subject_continues_the_figure_before():
    found = parse_targets("到2023年，技工院校数量达到15所；到2025年，达到18所。", PLAN)
    assert [(f.indicator, f.value, f.year) for f in found] == [
        ("技工院校数量", 15, 2023), ("技工院校数量", 18, 2025)]


# ---- never targets: the past, baselines, titles -------------------------------------------------

@pytest.mark.parametrize("text", [
    "截至2022年底，全省技能人才总量达到1200万人，高技能人才达到350万人。",
    "“十三五”以来，全省累计培训各类人员超过500万人次。",
    "2020年，全市技工院校在校生达到4.2万人。",
    "技工院校毕业生就业率连续多年保持在95%以上。",
    "五年来，全省技工院校累计向社会输送毕业生17.4万人。",
    "截至8月底，城镇新增就业累计达到59万人。",
    "目前全市有技工院校12所，在校生达到3万人。",
])
def test_past_statistics_are_not_targets(text):
    assert parse_targets(text, LATE) == []


def test_a_deadline_after_the_document_is_a_target():
    t = only("截至2025年底，全省技工院校达到150所以上", LATE)
    assert (t.value, t.comparator) == (150, ">=")


def test_the_forms_plan_reads_targets_only_where_the_plan_commits():
    found = extract_targets([read("forms_plan.txt", date="2023-03-01")])
    past = [(t.indicator, t.value) for t in found if t.value in (60, 120)
            or (t.value == 35 and "比例" not in t.indicator)
            or (t.value == 95 and t.comparator != "~")]
    assert past == []
    values = {(t.indicator, t.value) for t in found}
    assert {("技工院校数量", 18), ("技师学院", 6), ("专业教师每两年到企业实践", 2)} <= values
    assert len(found) == 17


def test_a_year_in_the_title_is_not_a_target():
    text = ("丙市人力资源和社会保障局关于做好2023年技工院校招生工作的通知\n"
            "一、加强宣传。各技工院校要做好2023年招生宣传工作。\n")
    doc = segment_document(text, DocumentMeta(file="n.txt", title=text.splitlines()[0],
                                              level="county", date="2023-04-20"))
    assert extract_targets([doc]) == []


# ---- tables ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell,value,upper,cmp,bracketed", [
    ("3—5", 3, 5, ">=", False),
    ("约5", 5, None, "~", False),
    ("[12]", 12, None, "=", True),
    ("≥35%", 35, None, ">=", False),
])
def test_table_cells(cell, value, upper, cmp, bracketed):
    c = parse_cell(cell)
    assert (c.value, c.upper, c.comparator, c.bracketed) == (value, upper, cmp, bracketed)


def test_markdown_table_years_across_with_milestones_and_baselines():
    found = {(r[0], r[4]): r for r in rows(read("indicators.md"))}
    assert found[("技工院校在校生规模", 2025)] == ("技工院校在校生规模", "万人", 3, ">=", 2025)
    assert found[("技工院校在校生规模", 2023)][2] == 2.8     # a milestone column is a target too
    assert ("技师学院在校生", 2025) in found                  # 其中 and the aside left out
    assert found[("毕业生就业率", 2025)][1:4] == ("%", 97, ">=")
    doc = read("indicators.md")
    t = next(t for t in extract_targets([doc]) if t.indicator == "技工院校在校生规模"
             and t.year == 2025)
    assert (t.baseline_value, t.baseline_year, t.attribute) == (2.4, 2020, "预期性")
    total = next(t for t in extract_targets([doc]) if t.indicator == "开展职业技能培训")
    assert (total.value, total.cumulative) == (25, True)


def test_base_year_columns_and_background_tables_are_never_targets():
    found = extract_targets([read("indicators.md")])
    assert not [t for t in found if t.value in (2.4, 0.8, 96, 11, 12)]
    assert not [t for t in found if t.year == 2020]


def test_html_table_with_five_year_period_headers():
    found = {r[0]: r for r in rows(read("indicators.html"))}
    assert found["技工院校数"] == ("技工院校数", "所", 22, "=", 2025)
    assert found["技师学院"] == ("技师学院", "所", 7, "=", 2025)
    assert found["年职业培训规模"] == ("年职业培训规模", "万人次", 5, "~", 2025)
    assert not [r for r in found.values() if r[2] in (20, 5) and r[0] != "年职业培训规模"]


def test_word_table_is_read_like_any_other():
    import docx
    document = docx.Document()
    document.add_paragraph("戊市技工教育“十四五”发展规划")
    document.add_paragraph("一、发展目标")
    document.add_paragraph("到2025年，主要指标如下。")
    cells = [("指标", "2020年", "2025年", "属性"), ("在校生规模（万人）", "3.2", "≥4", "约束性"),
             ("毕业生就业率（%）", "96", "97以上", "预期性")]
    table = document.add_table(rows=len(cells), cols=4)
    for r, row in enumerate(cells):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    buf = io.BytesIO()
    document.save(buf)
    found = {r[0]: r for r in rows(read("plan.docx", buf.getvalue()))}
    assert found["在校生规模"] == ("在校生规模", "万人", 4, ">=", 2025)
    assert found["毕业生就业率"] == ("毕业生就业率", "%", 97, ">=", 2025)
    assert not [r for r in found.values() if r[2] in (3.2, 96)]


def test_transposed_table_years_down_indicators_across():
    found = extract_targets([read("transposed.txt")])
    got = {t.indicator: (t.unit, t.value, t.comparator, t.year, t.baseline_value)
           for t in found}
    assert got == {"在校生规模": ("万人", 1.5, "=", 2025, 1.1),
                   "毕业生就业率": ("%", 97, ">=", 2025, 95),
                   "技工院校数": ("所", 4, "=", 2025, 3)}


def test_a_task_table_holds_no_targets():
    text = ("己省技工教育工作要点\n一、重点任务\n序号\t重点任务\t责任单位\t完成时限\n"
            "1\t扩大招生规模\t省人力资源社会保障厅\t2025年底前\n"
            "2\t建设一批实训基地\t省财政厅\t每年9月底前\n")
    doc = segment_document(text, DocumentMeta(file="t.txt", title="己省技工教育工作要点",
                                              level="provincial", period="2021-2025"))
    assert extract_targets([doc]) == []
