"""Reading a text as received: artefacts removed, offsets kept, the table of contents dropped."""
from policykg.corpus.clean import clean_line, is_toc_entry, read_lines, usual_gap, wrap_width


def test_bookmarks_and_emphasis_removed_offsets_point_into_source():
    raw = "[bookmark: OLE_LINK4]广东省**办学质量**提升"
    text, offs = clean_line(raw, 100)
    assert text == "广东省办学质量提升"
    assert all(raw[o - 100] == ch for ch, o in zip(text, offs))


def test_spaces_around_numbers_and_punctuation_are_layout():
    assert clean_line("到 2025 年底，保持在 98% 以上", 0)[0] == "到2025年底，保持在98%以上"
    assert clean_line("高质量发展 “十四五”规划", 0)[0] == "高质量发展“十四五”规划"


def test_space_between_two_chinese_words_is_kept_as_a_separator():
    assert clean_line("人力资源社会保障部 国家发展改革委", 0)[0] == "人力资源社会保障部 国家发展改革委"


def test_english_and_between_chinese_words_becomes_he():
    text, offs = clean_line("产业布局 and 紧缺技能", 0)
    assert text == "产业布局和紧缺技能"
    assert len(offs) == len(text)


def test_table_cells_keep_their_tabs_and_leading_empty_cells():
    assert clean_line("1.技工院校数（所）\t146\t≥150\t预期性", 0)[0].count("\t") == 3
    assert clean_line("\t\t健康委、省广电局", 0)[0].startswith("\t\t")
    assert clean_line("专栏 1：主要指标\t\t\t", 0)[0] == "专栏1：主要指标"


def test_table_of_contents_entries_are_recognised_and_dropped():
    assert is_toc_entry("一、规划背景.....\t1")
    assert is_toc_entry("(一) 发展基础.....\t12")
    assert not is_toc_entry("一、规划背景")
    src = "目 录\n一、规划背景.....\t1\n(一) 发展基础.....\t1\n\n一、规划背景\n"
    assert [line.text for line in read_lines(src)] == ["一、规划背景"]


def test_blank_line_after_every_line_is_the_usual_gap():
    src = "第一行没有句号\n\n第二行继续\n\n\n\n新的一段。\n"
    lines = read_lines(src)
    assert usual_gap(lines) == 1
    assert [line.gap for line in lines] == [0, 1, 3]


def test_wrap_width_only_for_hard_wrapped_text():
    wrapped = "\n".join(["这是一段被固定宽度折断的文字内容它没有在句末结束"] * 12)
    assert wrap_width(read_lines(wrapped)) is not None
    paragraphs = "\n".join(["短段落。"] * 12)
    assert wrap_width(read_lines(paragraphs)) is None
