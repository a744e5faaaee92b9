"""Metadata read from a document's own text: 文号, date, issuer, title, status, level, region."""
from __future__ import annotations

import json

import pytest

from policykg.corpus.manifest import bundled_dir
from policykg.corpus.metadata import (check_given, explain_metadata, infer_metadata, normalize_number,
                             parse_date, plan_period, read_text_facts)
from policykg.corpus.origin import place_of
from policykg.corpus.text import squash
from policykg.pipeline.evaluate import find_eval_dir
from ingest_formats import PLAN

# Facts of the bundled documents that their texts do not state (see documents.json): the
# reader must leave them out rather than guess.  (003 names no issuer, but its body speaks
# of 全省 and names 广东省 most: provincial 广东省, as the manifest has it.)
NOT_IN_TEXT = {("004", "number"), ("004", "issuer"), ("004", "level"), ("004", "region"),
               ("002", "issuer"), ("003", "issuer")}
# The hand-checked region of 003 adds the area it is about: 广东省（粤港澳大湾区）.
WITHIN = {("003", "region")}
FIELDS = ("title", "number", "issuer", "level", "region", "date", "status")


def _gold():
    folder = find_eval_dir()
    if folder is None or not (folder / "documents.json").is_file():
        pytest.skip("no evaluation data (../shared/eval)")
    return json.loads((folder / "documents.json").read_text(encoding="utf-8"))["documents"]


def test_bundled_texts_against_the_hand_checked_metadata():
    right = 0
    for gold in _gold():
        text = (bundled_dir() / gold["file"]).read_text(encoding="utf-8")
        meta = infer_metadata(text, gold["file"], {})
        for field in FIELDS:
            mine, want = getattr(meta, field), gold[field]
            if field == "status":
                want = "draft" if "draft" in want else "issued"
            if (gold["file"][:3], field) in NOT_IN_TEXT:
                assert mine is None, (gold["file"], field, mine)
                continue
            if field == "title":     # 003's title keeps a line-break space of its PDF
                mine, want = squash(mine), squash(want)
            if (gold["file"][:3], field) in WITHIN:
                mine, want = bool(mine) and want.startswith(mine), True
            assert mine == want, (gold["file"], field, mine, want)
            right += 1
    assert right == 5 * len(FIELDS) - len(NOT_IN_TEXT)


def test_the_plan_fixture():
    meta = infer_metadata(PLAN, "005_x.txt", {})
    assert meta.number == "江人社发〔2023〕15号"
    assert meta.title == "江门市推进技工教育高质量发展行动方案（2023—2025年）"
    assert meta.issuer == "江门市人力资源和社会保障局"
    assert (meta.level, meta.region) == ("municipal", "江门市")
    # The signature date, not the colophon's printing date nor a deadline in the body.
    assert meta.date == "2023-03-08"
    assert (meta.status, meta.period) == ("issued", "2023-2025")


# ---- 文号 -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["江人社发〔2023〕15号", "江人社发[2023]15号", "江人社发［2023］15号",
                                 "江人社发 〔 2023 〕 15 号", "江人社发(2023)15号", "江人社发【2023】第15号",
                                 "江人社发〔２０２３〕１５号"])
def test_number_variants_normalise(raw):
    assert normalize_number(raw) == "江人社发〔2023〕15号"


def test_number_only_from_its_own_line_not_from_a_citation():
    text = ("广东省人力资源和社会保障厅\n粤人社规 [2023] 7 号\n关于印发《某办法》的通知\n"
            "根据《人力资源社会保障部关于印发技工教育“十四五”规划的通知》（人社部发〔2021〕86号），制定本办法。\n")
    assert read_text_facts(text).number == "粤人社规〔2023〕7号"
    body_only = "某某实施方案\n根据《某规划》（人社部发〔2021〕86号），制定本方案。\n一、总体要求\n"
    assert read_text_facts(body_only).number is None


def test_labelled_web_page_fields():
    text = ("索引号：11440000MB2C92/2023-00012\n发文字号：粤府办〔2023〕5号\n发布机构：广东省人民政府办公厅\n"
            "成文日期：2023-01-20\n发布日期：2023-01-28\n标题：广东省某某工作方案\n广东省某某工作方案\n"
            "为了……，制定本方案。\n一、总体要求\n")
    facts = read_text_facts(text)
    assert (facts.number, facts.issuer, facts.date, facts.title) == (
        "粤府办〔2023〕5号", "广东省人民政府办公厅", "2023-01-20", "广东省某某工作方案")


# ---- dates ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,iso", [("2023年3月8日", "2023-03-08"), ("2023 年 3 月 8 日", "2023-03-08"),
                                     ("二〇二三年三月八日", "2023-03-08"),
                                     ("二○二一年十二月二十四日", "2021-12-24"),
                                     ("2023-3-8", "2023-03-08"), ("2023年2月30日", None),
                                     ("３月", None)])
def test_parse_date(raw, iso):
    assert parse_date(raw) == iso


def test_date_from_the_colophon_when_there_is_no_signature_date():
    text = ("某市某某方案\n一、总体要求\n到2025年12月31日前完成。\n"
            "本方案自2022年6月1日起施行。\n  东莞市人力资源和社会保障局办公室      2022 年 5 月 5 日印发\n")
    facts = read_text_facts(text)
    assert facts.date == "2022-05-05"
    assert facts.issuer == "东莞市人力资源和社会保障局"      # the bureau, not its office


def test_body_dates_are_not_the_issuing_date():
    text = "某某方案\n一、总体要求\n2023年3月8日前，各单位报送材料。\n到2025年底，比例达到40%。\n"
    assert read_text_facts(text).date is None


# ---- issuer ----------------------------------------------------------------------------------------

def test_joint_issuers_from_the_notice_title():
    text = ("人力资源社会保障部 国家发展改革委 财政部关于印发《某某意见》的通知\n人社部发〔2021〕30号\n"
            "各省、自治区、直辖市人力资源社会保障厅（局）：\n现将……印发给你们。\n")
    meta = infer_metadata(text, "x.txt", {})
    assert meta.issuers == ("人力资源社会保障部", "国家发展改革委", "财政部")
    assert meta.issuer == "人力资源社会保障部"          # the first, for readers of one issuer
    assert (meta.level, meta.region) == ("national", "全国")
    assert meta.title == "某某意见"


def test_red_header_issuer_and_government_office_kept():
    text = ("东莞市人民政府办公室文件\n东府办〔2022〕25号\n东莞市人民政府办公室关于持续推进“三项工程”的工作方案\n"
            "为了……，制定本方案。\n一、总体要求\n")
    meta = infer_metadata(text, "x.txt", {})
    assert meta.issuer == "东莞市人民政府办公室"
    assert meta.title == "东莞市人民政府办公室关于持续推进“三项工程”的工作方案"
    assert (meta.level, meta.region) == ("municipal", "东莞市")


def test_signature_issuer_before_the_date():
    text = ("广州市黄埔区技能人才培养实施细则\n第一条 为了……，制定本细则。\n第二条 ……。\n"
            "广州市黄埔区人力资源和社会保障局\n2024年1月5日\n")
    meta = infer_metadata(text, "x.txt", {})
    assert (meta.issuer, meta.date) == ("广州市黄埔区人力资源和社会保障局", "2024-01-05")
    assert (meta.level, meta.region) == ("county", "广州市黄埔区")


def test_issuer_named_in_the_title_itself():
    meta = infer_metadata("国务院关于加快发展现代职业教育的决定\n国发〔2014〕19号\n各省……：\n", "x.txt", {})
    assert (meta.issuer, meta.level, meta.number) == ("国务院", "national", "国发〔2014〕19号")


# ---- title and status --------------------------------------------------------------------------------

def test_title_broken_over_lines_with_a_status_line():
    text = ("广东省深化技师学院学制技师培养\n改革试点工作方案\n（公开征求意见稿）\n\n"
            "为深入贯彻……，制定本工作方案。\n一、指导思想\n")
    meta = infer_metadata(text, "x.txt", {})
    assert meta.title == "广东省深化技师学院学制技师培养改革试点工作方案（公开征求意见稿）"
    assert (meta.status, meta.level, meta.region) == ("draft", "provincial", "广东省")


def test_notice_title_broken_over_two_lines():
    text = ("江门市人力资源和社会保障局关于印发《江门市推进技工教育\n高质量发展行动方案》的通知\n"
            "各技工院校：\n现将……印发给你们。\n")
    meta = infer_metadata(text, "x.txt", {})
    assert meta.title == "江门市推进技工教育高质量发展行动方案"
    assert meta.issuer == "江门市人力资源和社会保障局"


def test_no_title_found_falls_back_to_the_file_name():
    meta = infer_metadata("各单位：请于月底前报送材料。\n", "005_ab.txt", {}, fallback_title="报送通知")
    assert meta.title == "报送通知"


def test_plan_period():
    assert plan_period("技工教育“十四五”规划") == "2021-2025"
    assert plan_period("“十五五”规划") == "2026-2030"
    assert plan_period("行动方案（2023—2025年）") == "2023-2025"
    assert plan_period("实施方案") is None


# ---- level and region ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name,level,region", [
    ("人力资源社会保障部", "national", "全国"), ("人力资源社会保障部办公厅", "national", "全国"),
    ("国务院办公厅", "national", "全国"), ("国家发展改革委", "national", "全国"),
    ("广东省人力资源和社会保障厅", "provincial", "广东省"), ("广东省人民政府", "provincial", "广东省"),
    ("广西壮族自治区教育厅", "provincial", "广西壮族自治区"), ("北京市教育委员会", "provincial", "北京市"),
    ("北京市海淀区人民政府", "county", "北京市海淀区"), ("东莞市人力资源和社会保障局", "municipal", "东莞市"),
    ("广东省东莞市人民政府", "municipal", "东莞市"), ("东莞市市场监督管理局", "municipal", "东莞市"),
    ("深圳市南山区教育局", "county", "深圳市南山区"), ("台山市人民政府", "county", "台山市"),
    ("博罗县人民政府", "county", "博罗县"), ("省人力资源社会保障厅", "provincial", None),
    ("市人社局", "municipal", None),
])
def test_place_of_issuer(name, level, region):
    place = place_of(name)
    assert (place.level, place.region) == (level, region)


def test_zones_named_qu_are_not_counties():
    assert place_of("粤港澳大湾区建设领导小组") is None
    assert place_of("广州市经济技术开发区管委会").level == "municipal"


# ---- flags ---------------------------------------------------------------------------------------------

def test_flags_win_and_are_reported():
    inferred = explain_metadata(PLAN, "005_x.txt", {"title": "自定标题", "level": "county",
                                                    "date": "2023年4月1日", "issuer": None})
    meta = inferred.meta
    assert (meta.title, meta.level, meta.date) == ("自定标题", "county", "2023-04-01")
    assert meta.region == "江门市"            # not given: still from the issuer
    assert inferred.sources["title"] == "flag" and inferred.sources["region"] == "from the issuer"
    assert inferred.sources["number"].startswith("text: 江人社发")


@pytest.mark.parametrize("given,message", [({"level": "city"}, "--level must be one of"),
                                           ({"date": "next week"}, "--date: not a date"),
                                           ({"number": "15号"}, "not a document number"),
                                           ({"status": "final"}, "--status must be"),
                                           ({"colour": "red"}, "unknown metadata field")])
def test_bad_flags_are_refused(given, message):
    with pytest.raises(ValueError, match=message):
        check_given(given)


def test_web_page_metadata_table():
    from policykg.corpus.markup import html_to_text
    page = ("<html><body><nav>首页 &gt; 政策文件</nav><table>"
            "<tr><td>索引号：</td><td>000014349/2023-00012</td><td>主题分类：</td><td>劳动、人事</td></tr>"
            "<tr><td>发文机关：</td><td>人力资源社会保障部</td><td>成文日期：</td><td>2023年03月08日</td></tr>"
            "<tr><td>标题：</td><td>关于做好技工院校招生工作的通知</td></tr>"
            "<tr><td>发文字号：</td><td>人社厅发〔2023〕9号</td><td>发布日期：</td><td>2023年03月15日</td></tr>"
            "</table><h1>关于做好技工院校招生工作的通知</h1><p>各省、自治区、直辖市人力资源社会保障厅（局）：</p>"
            "<p>为做好招生工作，现通知如下。</p><p>一、加强招生宣传</p></body></html>")
    meta = infer_metadata(html_to_text(page), "x.html", {})
    assert (meta.number, meta.issuer, meta.date, meta.level) == (
        "人社厅发〔2023〕9号", "人力资源社会保障部", "2023-03-08", "national")
    assert meta.title == "关于做好技工院校招生工作的通知"


def test_a_table_header_is_not_a_label():
    text = "某市某某方案\n序号\t名称\t牵头单位\n1\t推动提质扩容\t市教育局\n为了……，制定本方案。\n一、总体要求\n"
    assert read_text_facts(text).title == "某市某某方案"


# ---- where a document comes from (issue 14) --------------------------------------------------------

def test_county_level_city_is_county_under_its_prefecture():
    text = ("平江路小区改造工作的通知\n浏人社发〔2024〕3号\n各街道：\n请按要求做好改造工作。\n"
            "浏阳市人力资源和社会保障局\n2024年2月1日\n")
    inferred = explain_metadata(text, "x.txt", {})
    assert (inferred.meta.level, inferred.meta.region) == ("county", "浏阳市")
    assert inferred.sources["level"] == "from the issuer" and inferred.warnings() == []


def test_direct_municipality_and_its_district():
    city = infer_metadata("上海市教育委员会关于做好某项工作的通知\n各区教育局：\n现通知如下。\n", "x", {})
    assert (city.level, city.region) == ("provincial", "上海市")
    district = infer_metadata("某某工作方案\n为了……，制定本方案。\n重庆市渝中区人民政府办公室\n"
                              "2023年5月6日\n", "x", {})
    assert (district.level, district.region) == ("county", "重庆市渝中区")


@pytest.mark.parametrize("number,level,region", [
    ("鲁人社发〔2022〕8号", "provincial", "山东省"), ("甬政办发〔2023〕12号", "municipal", "宁波市"),
    ("国办发〔2022〕1号", "national", "全国"),
])
def test_place_from_the_document_number_when_no_issuer_names_one(number, level, region):
    text = f"关于推进技能人才工作的通知\n{number}\n各有关单位：\n现就有关事项通知如下。\n"
    inferred = explain_metadata(text, "x.txt", {})
    assert (inferred.meta.level, inferred.meta.region) == (level, region)
    assert inferred.sources["region"] == "from the 文号"


def test_co_issued_notice_keeps_every_issuer_in_order():
    text = ("湘人社发〔2023〕4号\n关于加强技工院校建设的通知\n各市州：\n现就有关事项通知如下。\n"
            "一、加强建设。\n"
            "湖南省人力资源和社会保障厅　　湖南省教育厅\n\n湖南省财政厅\n\n2023年6月1日\n\n（此件主动公开）\n")
    meta = infer_metadata(text, "x.txt", {})
    assert meta.issuers == ("湖南省人力资源和社会保障厅", "湖南省教育厅", "湖南省财政厅")
    assert meta.issuer == "湖南省人力资源和社会保障厅"
    assert (meta.level, meta.region) == ("provincial", "湖南省")
    assert meta.to_dict()["issuers"] == list(meta.issuers)


def test_issuer_lines_over_the_number():
    text = ("天津市人力资源和社会保障局　天津市教育委员会\n津人社局发〔2023〕2号\n"
            "关于某项工作的通知\n各区人社局、教育局：\n现通知如下。\n")
    assert infer_metadata(text, "x", {}).issuers == ("天津市人力资源和社会保障局", "天津市教育委员会")


def test_publicity_note_is_not_part_of_the_title():
    text = ("山西省人力资源和社会保障厅\n2023年3月1日\n（此件公开发布）\n"
            "山西省技工院校专业建设实施方案\n为了……，制定本方案。\n一、总体要求\n")
    meta = infer_metadata(text, "x", {})
    assert meta.title == "山西省技工院校专业建设实施方案"
    assert meta.date == "2023-03-01"


def test_web_header_bar_is_neither_date_nor_issuer():
    text = ("首页 > 政务公开 > 政策文件\n某某市关于推进职业培训的实施意见\n"
            "来源：市政府办公室  发布日期：2023-07-20  浏览次数：123  字号：大 中 小\n"
            "为了……，提出如下意见。\n一、总体要求\n")
    facts = read_text_facts(text)
    assert facts.date is None and facts.issuer is None
    assert facts.title == "某某市关于推进职业培训的实施意见"


def test_fields_several_to_a_line():
    text = "某某规划\n文号:武政办〔2022〕41号  成文日期:2022-05-18\n为了……，制定本规划。\n"
    facts = read_text_facts(text)
    assert (facts.number, facts.date) == ("武政办〔2022〕41号", "2022-05-18")


def test_fields_of_a_header_bar_without_colons():
    text = ("发布机构 某区人民政府办公室 文号 蔡政办〔2023〕1号 发文日期 2023-01-03\n"
            "某区人民政府办公室关于印发《某区就业促进实施方案》的通知\n各街道：\n"
            "现将方案印发给你们。\n某区人民政府办公室\n2023年1月3日\n")
    facts = read_text_facts(text)
    assert (facts.number, facts.date) == ("蔡政办〔2023〕1号", "2023-01-03")
    assert facts.title == "某区就业促进实施方案"


def test_unresolvable_place_is_left_open_with_a_warning():
    text = "关于做好假期安全工作的通知\n各单位：\n请做好假期值班和安全检查工作。\n"
    inferred = explain_metadata(text, "x.txt", {})
    assert (inferred.meta.level, inferred.meta.region) == (None, None)
    assert "region" in dict(inferred.meta.unsettled)
    warnings = inferred.warnings()
    assert any(w.startswith("level not settled") and w.endswith("pass --level") for w in warnings)
    assert any(w.startswith("region not settled") for w in warnings)
    assert "level —" in inferred.summary() and "文号 —" in inferred.summary()
    # the flags settle it, and the region gives its level
    flagged = explain_metadata(text, "x.txt", {"region": "浏阳市"})
    assert (flagged.meta.level, flagged.meta.region) == ("county", "浏阳市")


def test_ambiguous_district_settled_by_the_body():
    text = ("朝阳区教育局关于某项工作的通知\n各学校：\n为推动长春市职业教育发展，"
            "结合长春市实际，现通知如下。\n")
    meta = infer_metadata(text, "x", {})
    assert (meta.level, meta.region) == ("county", "长春市朝阳区")
    alone = explain_metadata("朝阳区教育局关于某项工作的通知\n各学校：\n现通知如下。\n", "x", {})
    assert alone.meta.region is None and "ambiguous" in alone.unsettled["region"]


def test_the_body_says_which_place_it_is():
    text = ("技能人才队伍建设方案\n为了推动全省技能人才工作，结合我省实际，制定本方案。\n"
            "一、总体要求\n到2025年，甘肃省技能人才总量稳步增长，兰州市、天水市……。\n")
    inferred = explain_metadata(text, "x", {})
    assert (inferred.meta.level, inferred.meta.region) == ("provincial", "甘肃省")
    assert inferred.sources["level"] == "from the body"


def test_issuer_flag_lists_co_issuers():
    meta = infer_metadata("某方案\n为了……。\n", "x", {"issuer": "江西省教育厅、江西省财政厅"})
    assert meta.issuers == ("江西省教育厅", "江西省财政厅") and meta.issuer == "江西省教育厅"
    assert (meta.level, meta.region) == ("provincial", "江西省")


def test_red_header_of_several_bodies_stacked():
    text = ("中共宁乡市委员会\n宁乡市人民政府文件\n宁发〔2023〕1号\n关于某项工作的意见\n各镇：\n现提出如下意见。\n")
    meta = infer_metadata(text, "x", {})
    assert meta.issuers == ("中共宁乡市委员会", "宁乡市人民政府")
    assert (meta.level, meta.region) == ("county", "宁乡市")


def test_plan_period_in_the_other_shapes_titles_print():
    assert plan_period("职业技能提升行动方案（2021年—2025年）") == "2021-2025"
    assert plan_period("发展规划（2021－2025年）") == "2021-2025"       # full-width hyphen
    assert plan_period("技工教育十四五规划") == "2021-2025"             # unquoted, before 规划
    assert plan_period("关于落实二十五项措施的通知") is None             # a number, not a plan
