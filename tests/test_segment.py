"""The provision tree: structure, markers, headings, ids and spans."""
import string

import pytest
from hypothesis import given, settings, strategies as st

from policykg.corpus.records import DocumentMeta
from policykg.corpus.segment import segment_document
from conftest import segment_fixture


def tree(doc):
    return [(p.path, p.kind, p.number, p.heading) for p in doc.provisions]


def by_path(doc):
    return {p.path: p for p in doc.provisions}


# ---- a PDF extraction (hard-wrapped, blank line after every line) --------------------------

def test_pdf_lines_broken_inside_sentences_are_joined():
    doc = segment_fixture("pdf_municipal.txt")
    p = by_path(doc)
    item = p["ch_2__sec_1__item_1"]
    assert "争取纳入高等学校序列" in item.text
    assert "（市人力资源社会保障局、市财政局）" in item.text
    assert p["ch_1__para_1"].text == ("到2025年底，全市技工院校在校生规模保持在2万人以上，"
                                      "毕业生就业率保持在97%以上。")


def test_sentence_like_numbering_inside_a_line_is_not_a_chapter():
    doc = segment_fixture("pdf_municipal.txt")
    chapters = [p.heading for p in doc.provisions if p.kind == "chapter"]
    assert chapters == ["总体目标", "主要任务"]
    assert "一、二、三年级学生按规定享受资助" in by_path(doc)["ch_2__sec_1__item_1"].text


def test_title_over_two_lines_is_not_a_provision_and_closing_words_stand_alone():
    doc = segment_fixture("pdf_municipal.txt")
    assert not any("江门市推进技工教育发展工作方案" in p.text and p.kind == "paragraph"
                   and "印发" not in p.text for p in doc.provisions)
    roots = [p for p in doc.provisions if p.parent is None and p.kind == "paragraph"]
    assert roots[0].text.startswith("为推动我市技工教育")
    assert roots[-2].text == "本方案由市人力资源社会保障局负责解释。"
    assert roots[-1].text.endswith("2023年3月8日印发")


# ---- a Word extraction: notice, TOC, boxes, tables, annex ------------------------------------

def test_notice_cover_is_one_provision_and_toc_gives_none():
    doc = segment_fixture("word_provincial.txt")
    notice = by_path(doc)["notice"]
    assert notice.heading == "关于印发《某省技工教育发展规划》的通知"
    assert "某人社函〔2023〕12号" in notice.text
    assert [p.heading for p in doc.provisions if p.kind == "chapter"] == ["发展基础", "主要任务"]
    assert not any("....." in p.text for p in doc.provisions)


def test_artefacts_removed_and_and_normalised():
    doc = segment_fixture("word_provincial.txt")
    section = by_path(doc)["ch_1__sec_1"]
    assert "bookmark" not in "".join(p.text for p in doc.provisions)
    assert "**" not in section.text
    assert "布局和结构更加合理" in section.text          # also joined over the page break


def test_sections_numbered_across_chapters_and_half_width_markers():
    doc = segment_fixture("word_provincial.txt")
    sec = by_path(doc)["ch_2__sec_2"]
    assert (sec.kind, sec.number, sec.heading) == ("section", "(二)", "扩大学制技师培养")


def test_box_with_table_and_note_inside_its_section():
    p = by_path(segment_fixture("word_provincial.txt"))
    box = p["ch_2__sec_2__box_1"]
    assert (box.kind, box.heading, box.parent) == ("box", "主要指标", p["ch_2__sec_2"].id)
    table = p["ch_2__sec_2__box_1__table_1"]
    assert table.columns == ("指标", "2020年", "2025年", "指标属性")
    assert "注：[]内为五年累计数。" in table.own_text
    row = p["ch_2__sec_2__box_1__table_1__row_2"]
    assert row.cells == ("2.开展职业培训（万人次）", "[50]", "[≥80]", "预期性")
    assert row.heading == "开展职业培训（万人次）"


def test_box_items_and_the_paragraph_after_the_box():
    p = by_path(segment_fixture("word_provincial.txt"))
    assert [c for c in p["ch_2__sec_3__box_2"].children] == [
        p["ch_2__sec_3__box_2__item_1"].id, p["ch_2__sec_3__box_2__item_2"].id]
    assert "建设示范性技工学校" not in p["ch_2__sec_3__box_2__item_2"].text
    assert "建设示范性技工学校" in p["ch_2__sec_3"].own_text


def test_annex_task_table_with_repeated_header_and_split_cell():
    p = by_path(segment_fixture("word_provincial.txt"))
    annex = p["annex_1"]
    assert (annex.kind, annex.heading, annex.annex) == ("annex", "工作任务清单", True)
    rows = [x for x in p.values() if x.kind == "table_row" and x.annex]
    assert [r.number for r in rows] == ["1", "2"]
    assert rows[1].cells[2] == "省人力资源社会保障厅牵头，省财政厅、省卫生健康委按职责分工负责"
    assert p["para_2"].text == "附：工作任务清单"


# ---- a draft: misnumbered marker, subitems, points, annex outline ----------------------------

def test_misnumbered_marker_between_sections_is_a_section():
    doc = segment_fixture("draft_misnumbered.txt")
    sections = [(p.number, p.heading) for p in doc.provisions
                if p.kind == "section" and not p.annex]
    assert sections == [("（一）", "遴选标准"), ("（二）", "学制安排"), ("（3）", "培养体系"),
                        ("（四）", "评估标准")]
    p = by_path(doc)
    assert p["ch_2__sec_3__item_1"].heading == "双导师联合指导"


def test_subitems_points_and_paragraph_after_a_list():
    p = by_path(segment_fixture("draft_misnumbered.txt"))
    assert p["ch_2__sec_1__item_2__sub_1"].heading == "重点选择缺口较大的专业"
    assert p["ch_2__sec_1__item_1"].text == "1.院校\n先行在高水平技师学院中开展。"
    assert "鼓励院校探索灵活学制" in p["ch_2__sec_2"].own_text
    assert "鼓励院校探索灵活学制" not in p["ch_2__sec_2__sub_2"].text
    assert [c.split("__")[-1] for c in p["ch_2__sec_4__item_1"].children] == ["pt_1", "pt_2"]


def test_annex_has_its_own_outline_and_misnumbered_section():
    doc = segment_fixture("draft_misnumbered.txt")
    annexed = [(p.kind, p.heading) for p in doc.provisions if p.annex]
    assert annexed[0] == ("annex", "试点申报流程")
    assert ("chapter", "申报材料") in annexed
    p = by_path(doc)
    assert p["annex_1__ch_2__sec_1"].heading == "人才培养方案"
    assert p["annex_1__ch_2__sec_2"].heading == "合作企业资料"


def test_title_status_line_belongs_to_the_title():
    doc = segment_fixture("draft_misnumbered.txt", title="某省深化技师学院培养改革试点方案（征求意见稿）")
    assert doc.provisions[0].text == "为探索技师培养新模式，制定本方案。"


# ---- headings, ids, spans ----------------------------------------------------------------------

def test_heading_is_the_words_before_the_first_full_stop():
    p = by_path(segment_fixture("pdf_municipal.txt"))
    assert p["ch_2__sec_1__item_2"].heading == "完善投入机制"
    assert p["ch_2__sec_1"].heading == "加强院校建设"


def test_ids_derive_from_document_identity_and_marker_path():
    meta = DocumentMeta(file="a.txt", title="T", number="某人社函〔2023〕12号")
    src = "一、总则\n（一）目标\n到2025年。\n"
    a = segment_document(src, meta)
    b = segment_document(src, DocumentMeta(file="renamed.txt", title="T",
                                           number="某人社函〔2023〕 12 号"))
    assert [p.id for p in a.provisions] == [p.id for p in b.provisions]
    assert a.provisions[1].id.endswith("__ch_1__sec_1")


@pytest.mark.parametrize("name", ["pdf_municipal.txt", "word_provincial.txt",
                                  "draft_misnumbered.txt"])
def test_spans_lie_in_the_source_and_children_in_their_parent(name):
    check_spans(segment_fixture(name))


def check_spans(doc):
    by_id = doc.by_id()
    for p in doc.provisions:
        assert 0 <= p.start < p.end <= len(doc.source)
        if p.parent:
            parent = by_id[p.parent]
            assert parent.start <= p.start and p.end <= parent.end
        span = doc.source[p.start:p.end]
        for ch in p.own_text:
            assert ch.isspace() or ch in span or ch == "和"   # 和 replaces a stray "and"
    assert len({p.id for p in doc.provisions}) == len(doc.provisions)


ALPHABET = (string.ascii_letters + string.digits + " \t\n\r　.。，、；：（）()【】《》“”[]*#-—…"
            "一二三四五六七八九十百专栏附件注①②③市省局厅技工院校规划方案年月日号〔〕")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=400))
def test_any_text_segments_without_error_and_spans_hold(text):
    doc = segment_document(text, DocumentMeta(file="x.txt", title=""))
    check_spans(doc)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([
    "一、总体要求", "（一）指导思想", "(二) 目标", "1.加强建设。推进工作。", "（1）完善制度；",
    "①获得证书；", "专栏 1：主要指标", "指标\t2020年\t2025年", "1.院校数（所）\t1\t≥2",
    "\t\t续表内容", "附件1", "附：任务清单", "目 录", "一、总体要求.....\t1", "",
    "正文没有句号", "正文有句号。", "本方案由市人社局负责解释。", "2023年3月8日印发",
]), max_size=40))
def test_any_arrangement_of_markers_segments_and_spans_hold(lines):
    doc = segment_document("\n".join(lines), DocumentMeta(file="x.txt", title=""))
    check_spans(doc)


# ---- the bundled corpus: general properties, not the eval answers ----------------------------

def test_bundled_corpus_structure_holds(bundled_docs):
    for doc in bundled_docs:
        check_spans(doc)
        kinds = {p.kind for p in doc.provisions}
        assert "chapter" in kinds
        # Body chapters are numbered 一、二、三… without gaps.
        nums = [p.path for p in doc.provisions if p.kind == "chapter" and not p.annex]
        assert nums == [f"ch_{i}" for i in range(1, len(nums) + 1)]
