"""Text shapes from the web and other provinces: tables of contents without leaders,
half-width punctuation, web page furniture, inline headings, document-level closing lines.
Every text here was written for these tests."""
from __future__ import annotations

import pytest

from policykg.corpus.clean import read_lines
from policykg.corpus.reader import read_bytes
from policykg.corpus.records import DocumentMeta
from policykg.corpus.segment import is_label_line, segment_document
from policykg.corpus.toc import toc_lines
from policykg.corpus.webpage import chrome_lines, field_pairs, is_breadcrumb, is_header_bar, is_tool_line

META = DocumentMeta(file="t.txt", title="某市技工教育发展规划", level="municipal", region="某市")

BODY = """一、发展基础
全市共有技工院校20所。
二、总体要求
（一）指导思想
坚持产教融合、校企合作。
（二）发展目标
到2025年，在校生达到3万人。
三、主要任务
（一）优化院校布局
1.推进技师学院建设。支持技工学校升格。
2.推动院校整合。实施整合托管。
（二）深化校企合作
1.推行新型学徒制。按规定给予补贴。
2.共建实训基地。支持企业参与。
"""


def outline(doc):
    return [(p.kind, p.heading) for p in doc.provisions
            if p.kind in ("chapter", "section", "item", "annex")]


def chapters(doc):
    return [p.heading for p in doc.provisions if p.kind == "chapter"]


PLAIN = outline(segment_document("某市技工教育发展规划\n" + BODY, META))

# ---- tables of contents ------------------------------------------------------------------------

TOC_BARE = """目录
一、发展基础
二、总体要求
（一）指导思想
（二）发展目标
三、主要任务
（一）优化院校布局
（二）深化校企合作
"""
TOC_DOTS = """目  录
一、发展基础……………………1
二、总体要求……………………2
（一）指导思想…………………2
（二）发展目标…………………3
三、主要任务……………………4
"""
TOC_PAGES = "目录\n一、发展基础\t1\n二、总体要求\t2\n三、主要任务\t4\n"
TOC_HEADLESS = "一、发展基础\n二、总体要求\n三、主要任务\n"


@pytest.mark.parametrize("toc", [TOC_BARE, TOC_DOTS, TOC_PAGES, TOC_HEADLESS],
                         ids=["bare", "dots", "page-numbers", "no-heading"])
def test_a_table_of_contents_is_never_the_outline(toc):
    doc = segment_document("某市技工教育发展规划\n" + toc + "前言：为推动技工教育发展，制定本规划。\n"
                           + BODY, META)
    assert outline(doc) == PLAIN
    assert not any(p.annex for p in doc.provisions)
    assert not any(p.text.startswith("目") and len(p.text) <= 4 for p in doc.provisions)


def test_a_table_of_contents_right_before_the_body_ends_where_the_body_starts():
    doc = segment_document("某市技工教育发展规划\n" + TOC_BARE + BODY, META)
    assert outline(doc) == PLAIN


def test_headings_that_do_not_come_back_are_not_a_table_of_contents():
    # A 目录 that is content (a list the document publishes), and body headings in a row.
    text = ("某市职业技能培训补贴目录\n目录\n一、电工\n二、焊工\n三、育婴员\n"
            "以上工种按规定给予补贴。\n")
    assert not toc_lines([line.text for line in read_lines(text)])
    assert chapters(segment_document(text, META)) == ["电工", "焊工", "育婴员"]
    assert not toc_lines(BODY.splitlines())


def test_item_numbers_restarting_in_every_section_are_items():
    items = [h for k, h in PLAIN if k == "item"]
    assert items == ["推进技师学院建设", "推动院校整合", "推行新型学徒制", "共建实训基地"]


# ---- half-width punctuation ------------------------------------------------------------------------

HALF = """三、主要任务
(一)优化院校布局
1.推进技师学院建设.支持技工学校升格,推动纳入高等职业教育序列。(责任单位:市人社局、市财政局)
2.推动院校整合。实施整合托管;促进均衡发展。(责任单位:市人社局)
(二)深化校企合作
1.推行新型学徒制。按规定给予补贴:
(1)企业主导。企业与院校签订合作协议。
(2)院校参与。院校提供理论教学。
"""
FULL = HALF.translate(str.maketrans("(),:;", "（），：；"))


def test_half_width_markers_cut_like_their_full_width_forms():
    half, full = segment_document(HALF, META), segment_document(FULL, META)
    assert [(p.path, p.kind) for p in half.provisions] == [(p.path, p.kind) for p in full.provisions]
    kinds = [p.kind for p in half.provisions]
    assert kinds.count("section") == 2 and kinds.count("item") == 3
    assert kinds.count("subitem") == 2
    item = next(p for p in half.provisions if p.kind == "item")
    assert item.text.endswith("(责任单位:市人社局、市财政局)")


def test_half_width_full_stop_ends_a_heading():
    doc = segment_document("一、总体要求\n(一)指导思想｡坚持产教融合｡\n", META)
    assert [p.heading for p in doc.provisions if p.kind == "section"] == ["指导思想"]


# ---- web pages -----------------------------------------------------------------------------------

PAGE = """首页 > 政务公开 > 政策文件
当前位置：首页 > 通知公告
某市技工教育发展规划
来源：某市人力资源和社会保障局  发布时间：2022-05-25 10:15  浏览次数：1024  字号：大 中 小
索引号：11420100/2022-00041  发文字号：某人社发〔2022〕3号
【打印】【关闭】
分享到：微信 微博
""" + BODY + """【打印本页】【关闭窗口】
主办单位：某市人力资源和社会保障局　地址：某市某路1号
版权所有：某市人力资源和社会保障局　ICP备案号：某ICP备12345678号
网站标识码：1234000001　公网安备 12345678901234号
"""


def test_web_furniture_is_recognised_by_its_words():
    assert is_breadcrumb("首页 > 政务公开 > 政策文件") and is_breadcrumb("您现在的位置：首页>通知")
    assert is_header_bar("来源:某市人民政府办公厅 发布时间:2022-05-25 10:15【字体:大 中 小】")
    assert is_header_bar("发布日期：2022-01-07")
    assert is_tool_line("【打印】【关闭】") and is_tool_line("分享到：微信 微博")
    assert not is_tool_line("关闭小散乱污企业，推动产业转型。")
    assert not is_header_bar("（一）发布时间。每年6月底前发布年度报告。")


def test_web_page_header_bar_and_footer_are_dropped_before_segmentation():
    doc = segment_document("某市技工教育发展规划\n" + PAGE, META)
    assert outline(doc) == PLAIN
    text = "\n".join(p.text for p in doc.provisions)
    for chrome in ("首页", "浏览次数", "打印", "分享到", "版权所有", "ICP", "网站标识码", "主办单位"):
        assert chrome not in text, chrome


def test_metadata_still_sees_the_info_lines():
    texts = [line.text for line in read_lines(PAGE)]
    assert any("发文字号" in t for t in texts)
    assert not any("发文字号" in t for t in (line.text for line in read_lines(PAGE, furniture=False)))


def test_footer_words_inside_the_body_are_text():
    text = BODY + "（三）保护版权\n版权所有人的合法权益依法受到保护。\n"
    lines = [line.text for line in read_lines(text)]
    assert not chrome_lines(lines)


HTML = """<!DOCTYPE html><html><head><title>某市技工教育发展规划_政策文件</title></head><body>
<nav><a href="/">首页</a><a href="/zwgk">政务公开</a></nav>
<div class="crumb">您的位置：<a href="/">首页</a> &gt; <a>政策文件</a></div>
<h1>某市技工教育发展规划</h1>
<div class="info"><span>发布时间：2022-01-07</span> <span>来源：职业能力建设处</span>
<span>浏览次数：<em>12</em></span></div>
<p><strong>一、发展目标</strong></p>
<p>到2025年，主要指标如下。</p>
<table><tr><td>指标</td><td>2020年</td><td>2025年</td></tr>
<tr><td>技工院校数量（所）</td><td>20</td><td>25</td></tr>
<tr><td>在校生规模（万人）</td><td>2.1</td><td>3</td></tr></table>
<p><strong>二、主要任务</strong></p>
<p>（一）优化院校布局。支持技工学校升格。</p>
<div class="tools"><a href="javascript:print()">【打印本页】</a><a>【关闭窗口】</a></div>
<div class="footer"><p>主办单位：某市人力资源和社会保障局</p><p>版权所有 © 2022 某市人力资源和社会保障局</p></div>
</body></html>"""


def test_an_html_page_keeps_its_document_and_its_indicator_table_rows():
    read = read_bytes(HTML.encode("utf-8"), "page.html", 10 ** 6)
    doc = segment_document(read.text, META)
    assert chapters(doc) == ["发展目标", "主要任务"]
    rows = [p for p in doc.provisions if p.kind == "table_row"]
    assert [r.cells for r in rows] == [("技工院校数量（所）", "20", "25"),
                                       ("在校生规模（万人）", "2.1", "3")]
    text = "\n".join(p.text for p in doc.provisions)
    for chrome in ("首页", "政务公开", "浏览次数", "打印", "版权所有", "主办单位"):
        assert chrome not in text, chrome


# ---- inline headings and the document's own closing lines ----------------------------------------

NOTICE = """某市人力资源和社会保障局关于做好招生宣传工作的通知
各技工院校：
现就做好今年招生宣传工作通知如下：
一、加强政策宣传。各技工院校要广泛宣传资助政策，不得夸大宣传。
二、做好职业指导。组织学生参观体验。（市教育局、市人社局负责）
三、规范招生秩序。招生简章须报市人社局备案。
某市人力资源和社会保障局
2023年4月20日
（此件主动公开）
"""


def test_inline_headings_are_the_words_before_the_first_full_stop():
    doc = segment_document(NOTICE, META)
    assert chapters(doc) == ["加强政策宣传", "做好职业指导", "规范招生秩序"]
    inline = segment_document("一、总体要求\n（一）指导思想。以服务发展为宗旨，推动技工教育发展。\n", META)
    assert [p.heading for p in inline.provisions if p.kind == "section"] == ["指导思想"]


def test_signature_date_and_publication_note_belong_to_the_document():
    doc = segment_document(NOTICE, META)
    last = [p for p in doc.provisions if p.kind == "chapter"][-1]
    assert last.text == "三、规范招生秩序。招生简章须报市人社局备案。"
    roots = [p.text for p in doc.provisions if p.parent is None and p.kind == "paragraph"]
    assert roots[-3:] == ["某市人力资源和社会保障局", "2023年4月20日", "（此件主动公开）"]


def test_a_note_on_the_responsibility_lists_is_not_part_of_the_last_task():
    text = BODY + "(各项任务第一个单位为牵头单位)\n"
    doc = segment_document(text, META)
    assert not any("牵头单位" in p.text for p in doc.provisions if p.parent is not None)
    # A bracketed list of departments on its own line stays in the body.
    listed = segment_document(BODY + "（市人社局、市财政局）\n", META)
    assert any("（市人社局、市财政局）" in p.own_text for p in listed.provisions
               if p.parent is not None)


def test_publication_note_glued_to_the_title_is_its_own_line():
    texts = [line.text for line in read_lines("某市技工教育发展规划（此件公开发布）\n一、总体要求\n")]
    assert texts[:2] == ["某市技工教育发展规划", "（此件公开发布）"]


# ---- responsibility labels on lines of their own (district and city task splits) ---------------

TASKS = """某县技能人才培育行动方案
一、工作目标
到2025年，全县新增技能人才2000人以上。
牵头单位：县人社局
责任单位：县发改局、县财政局
二、重点任务
（一）培训提升
1.开展职工技能培训。每年培训企业职工800人次以上。
牵头单位：县人社局
责任单位:县工信局、县商务局
2.推进产教融合。支持职业学校与企业共建实训基地。
【配合单位：县教育局】
完成时限：2024年底前
3.落实激励政策。按规定落实培训补贴。
责任单位：县财政局
（二）宣传引导
牵头单位：县委宣传部
营造崇尚技能的社会氛围，每年评选技术能手10名。
"""


def _by_heading(doc, heading):
    return next(p for p in doc.provisions if p.heading == heading)


def test_a_label_line_starts_a_line_of_its_own():
    doc = segment_document(TASKS, META)
    text = "\n".join(p.text for p in doc.provisions)
    assert "县人社局责任单位" not in text and "县人社局\n责任单位" in text
    assert "2024年底前3." not in text


def test_label_lines_belong_to_the_task_they_follow():
    doc = segment_document(TASKS, META)
    assert not any(is_label_line(p.text) for p in doc.provisions)
    item = _by_heading(doc, "开展职工技能培训")
    assert item.own_text.split("\n") == ["1.开展职工技能培训。每年培训企业职工800人次以上。",
                                         "牵头单位：县人社局", "责任单位:县工信局、县商务局"]
    assert _by_heading(doc, "推进产教融合").own_text.endswith("【配合单位：县教育局】\n完成时限：2024年底前")
    assert _by_heading(doc, "落实激励政策").own_text.endswith("\n责任单位：县财政局")
    # under a chapter's paragraph, the paragraph's; under a bare section title, the section's
    goal = next(p for p in doc.provisions if p.kind == "paragraph" and p.text.startswith("到2025年"))
    assert goal.text.endswith("。\n牵头单位：县人社局\n责任单位：县发改局、县财政局")
    assert "牵头单位：县委宣传部" in _by_heading(doc, "宣传引导").own_text


def test_a_label_line_goes_on_only_where_its_list_breaks_off():
    text = ("一、重点任务\n1.建设实训基地。建成公共实训基地3个。\n"
            "责任单位：县人社局、县发改局、\n县财政局\n各乡镇要积极支持实训基地建设。\n")
    doc = segment_document(text, META)
    item = _by_heading(doc, "建设实训基地")
    assert item.own_text.endswith("责任单位：县人社局、县发改局、县财政局")
    assert not item.own_text.endswith("建设。")


def test_a_label_line_after_the_preamble_stays_with_it():
    doc = segment_document("为做好技能培训工作，制定本方案。\n责任单位：县人社局\n", META)
    assert [p.text for p in doc.provisions] == ["为做好技能培训工作，制定本方案。\n责任单位：县人社局"]


def test_label_lines_give_the_task_its_lead():
    from policykg.ontology.responsibilities import extract_departments
    doc = segment_document(TASKS, DocumentMeta(file="t.txt", title="某县技能人才培育行动方案",
                                               level="county", region="浙江省杭州市淳安县"))
    facts = extract_departments([doc])
    got = facts.for_provision(_by_heading(doc, "开展职工技能培训").id)
    assert got["lead"][:1] and "人力资源" in got["lead"][0]
    assert not any("责任单位" in name for names in got.values() for name in names)


# ---- a web page's info table and its headings ----------------------------------------------------

SPACED_PAGE = """<html><body>
<div class="crumb"><a href="/">首页</a> &gt; 政策文件</div>
<table class="info"><tr><td>来 源:</td><td>某市人民政府办公室</td><td>文 号:</td>
<td>某市府发〔2023〕7号</td><td>浏 览 量:</td><td>88</td></tr>
<tr><td>发布日期：</td><td>2023-03-02</td></tr></table>
<h2>某市技工教育发展规划</h2>
<p>为推动技工教育发展，制定本规划。</p>
<p>一、发展目标</p>
<p>到2025年，在校生达到3万人。</p>
<h3>附件</h3>
<h2>某市技工院校名单</h2>
<p>全市技工院校共12所，名单如下。</p>
</body></html>"""


def test_a_spaced_info_table_is_furniture_that_metadata_still_reads():
    from policykg.corpus.metadata import explain_metadata
    read = read_bytes(SPACED_PAGE.encode("utf-8"), "page.html", 10 ** 6)
    doc = segment_document(read.text, META)
    assert not any(p.kind.startswith("table") for p in doc.provisions)
    assert not any("88" in p.text or "某市府发" in p.text for p in doc.provisions)
    lines = [line.text for line in read_lines(read.text)]
    assert "来源:\t某市人民政府办公室\t文号:\t某市府发〔2023〕7号\t浏览量:\t88" in lines
    assert explain_metadata(read.text, "page.html", {}).meta.number == "某市府发〔2023〕7号"


def test_spaced_labels_close_up_only_as_labels():
    texts = [line.text for line in read_lines(
        "索 引 号 11330100/2023-0041  发文日期 2023-01-03\n联 系 人：王 明\n字号：大 中 小\n"
        "人力资源社会保障部 国家发展改革委\n")]
    assert texts == ["索引号 11330100/2023-0041 发文日期 2023-01-03", "联系人：王 明",
                     "字号：大 中 小", "人力资源社会保障部 国家发展改革委"]
    assert is_header_bar(texts[0])
    assert is_header_bar("发布机构\t某区人民政府办公室\t文号\t某政办〔2023〕1号")
    assert not is_header_bar("来源 某市人社局")


def test_an_html_heading_is_never_glued_to_the_paragraph_after_it():
    read = read_bytes(SPACED_PAGE.encode("utf-8"), "page.html", 10 ** 6)
    texts = [p.text for p in segment_document(read.text, META).provisions]
    assert "为推动技工教育发展，制定本规划。" in texts
    assert not any("规划为推动" in t or "名单全市" in t for t in texts)
    annex = next(p for p in segment_document(read.text, META).provisions if p.kind == "annex")
    assert annex.heading == "某市技工院校名单"


def test_a_short_heading_without_a_marker_stands_on_its_own():
    page = ("<html><body><h1>某市技工教育发展规划</h1><p>一、总体要求</p>"
            "<h3>发展目标</h3><p>到2025年，全市技工院校在校生达到3万人，毕业生就业率保持在95%以上。</p>"
            "<p><b>工作原则</b></p><p>坚持服务发展，坚持产教融合，坚持改革创新。<br>"
            "牵头单位：市人社局<br>配合单位：市财政局</p></body></html>")
    read = read_bytes(page.encode("utf-8"), "page.html", 10 ** 6)
    texts = [p.own_text for p in segment_document(read.text, META).provisions]
    assert "发展目标" in texts and "工作原则" in texts
    assert "坚持服务发展，坚持产教融合，坚持改革创新。\n牵头单位：市人社局\n配合单位：市财政局" in texts
    # a line broken mid-sentence at the width still goes on
    wrapped = segment_document("一、总体要求\n到2025年，全市技工院校在校生达到3万人，毕业生\n就业率保持在95%以上。\n", META)
    assert wrapped.provisions[-1].own_text == "到2025年，全市技工院校在校生达到3万人，毕业生就业率保持在95%以上。"


VERTICAL_INFO = """<html><body><table>
<tr><td>索 引 号：</td><td>11330100/2023-00041</td><td>主题分类：</td><td>劳动、人事</td></tr>
<tr><td>标　　题：</td><td>某市人民政府关于印发某市技工教育发展规划的通知</td></tr>
<tr><td>文　　号：</td><td>某政发〔2023〕9号</td></tr>
<tr><td>有 效 性：</td><td>有效</td></tr></table>
<h2>某市技工教育发展规划</h2><p>为推动技工教育发展，制定本规划。</p>
<p>一、发展目标</p><p>到2025年，在校生达到3万人。</p></body></html>"""


def test_an_info_table_with_one_field_to_a_row_is_furniture_throughout():
    from policykg.corpus.metadata import explain_metadata
    read = read_bytes(VERTICAL_INFO.encode("utf-8"), "page.html", 10 ** 6)
    doc = segment_document(read.text, META)
    assert not any(p.kind.startswith("table") or "文号" in p.text or "标题" in p.text
                   for p in doc.provisions)
    assert explain_metadata(read.text, "page.html", {}).meta.number == "某政发〔2023〕9号"
    # a 标题：… line with no header bar beside it is text
    assert any("标题：" in p.text for p in segment_document("标题：技能强市\n为推动发展，制定本方案。\n", META).provisions)


def test_header_bar_fields_read_with_or_without_colons():
    assert field_pairs("索引号 11330100/2023-0041 发文日期 2023-01-03") == [
        ("索引号", "11330100/2023-0041"), ("发文日期", "2023-01-03")]
    assert field_pairs("来源:\t某市人民政府办公室\t文号:\t某市府发〔2023〕7号\t浏览量:\t88") == [
        ("来源", "某市人民政府办公室"), ("文号", "某市府发〔2023〕7号"), ("浏览量", "88")]
    assert field_pairs("发布机构 某区人民政府办公室 文号 某政办〔2023〕1号")[1] == ("文号", "某政办〔2023〕1号")
    assert field_pairs("为推动发展，制定本方案。") == []
