"""Traditional characters: detected by content, read as simplified at the same offsets,
cut into the same provisions, and found by simplified and traditional queries alike."""
from __future__ import annotations

import pytest

from policykg.corpus.reader import read_bytes
from policykg.corpus.records import DocumentMeta
from policykg.corpus.script import is_traditional, simplify, simplify_query, to_simplified
from policykg.corpus.segment import segment_document
from policykg.corpus.tokenize import Tokenizer, domain_terms, query_text
from policykg.indexer.index import build_index
from policykg.indexer.search import Searcher

# Written for these tests: a short provincial measure in traditional characters …
TRADITIONAL = """某省職業技能培訓實施辦法
一、總體要求
（一）基本原則。堅持產教融合、校企合作，推動技工教育高質量發展。
二、主要任務
（一）擴大培訓規模。面向農民工、退役軍人開展職業技能培訓，到2025年累計培訓10萬人次。
（二）加強師資隊伍建設。建設一批一體化教師培訓基地。
"""
# … and a municipal plan in simplified ones.
SIMPLIFIED = """某市技工教育发展实施方案
一、总体要求
（一）发展目标。到2025年，全市技工院校在校生达到2万人。
二、重点任务
（一）建设高水平技师学院。支持办学条件好的高级技工学校升格为技师学院。
（二）推行企业新型学徒制。面向企业职工开展学徒培训。
"""
META_T = DocumentMeta(file="trad.txt", title="某省职业技能培训实施办法", level="provincial",
                      region="某省")
META_S = DocumentMeta(file="simp.txt", title="某市技工教育发展实施方案", level="municipal",
                      region="某市")


def test_a_traditional_text_is_recognised_by_its_characters():
    assert is_traditional(TRADITIONAL)
    assert not is_traditional(SIMPLIFIED)
    # One stray traditional character in a simplified text does not make it traditional.
    assert not is_traditional(SIMPLIFIED.replace("统", "統") + "系統")
    assert not is_traditional("2025 Annual Plan")


def test_conversion_keeps_every_offset():
    conv = simplify(TRADITIONAL)
    assert conv.converted and conv.original == TRADITIONAL
    assert len(conv.text) == len(TRADITIONAL)
    assert "坚持产教融合" in conv.text and "师资队伍" in conv.text
    # Same place, same meaning: each span of the simplified text is the original's span.
    at = conv.text.index("师资队伍")
    assert conv.original[at:at + 4] == "師資隊伍"


def test_simplified_text_is_left_as_it_is():
    assert simplify(SIMPLIFIED).text == SIMPLIFIED
    assert not simplify(SIMPLIFIED).converted
    assert to_simplified(SIMPLIFIED) == SIMPLIFIED


def test_reading_a_traditional_file_gives_simplified_text_and_keeps_the_original():
    read = read_bytes(TRADITIONAL.encode("utf-8"), "trad.txt", 10 ** 6)
    assert read.text.startswith("某省职业技能培训实施办法")
    assert read.original == TRADITIONAL and len(read.original) == len(read.text)
    assert any("traditional" in note for note in read.notes)
    as_written = read_bytes(TRADITIONAL.encode("utf-8"), "trad.txt", 10 ** 6, simplify=False)
    assert as_written.text == TRADITIONAL and as_written.original is None


def test_big5_bytes_are_read_as_big5_and_gbk_bytes_as_gbk():
    # Almost every Big5 byte pair is a GBK pair too: the reading with common characters wins.
    big5 = read_bytes(TRADITIONAL.encode("big5"), "trad.txt", 10 ** 6)
    assert big5.encoding == "big5" and big5.original == TRADITIONAL
    assert big5.text == simplify(TRADITIONAL).text
    gbk = read_bytes(SIMPLIFIED.encode("gbk"), "simp.txt", 10 ** 6)
    assert gbk.encoding == "gbk" and gbk.text == SIMPLIFIED


def test_a_traditional_document_is_cut_like_a_simplified_one():
    doc = segment_document(TRADITIONAL, META_T)
    chapters = [p.heading for p in doc.provisions if p.kind == "chapter"]
    sections = [p.heading for p in doc.provisions if p.kind == "section"]
    assert chapters == ["总体要求", "主要任务"]
    assert sections == ["基本原则", "扩大培训规模", "加强师资队伍建设"]
    assert doc.source == simplify(TRADITIONAL).text


def test_queries_are_read_in_simplified_characters():
    assert query_text("技師學院") == "技师学院"
    assert simplify_query("技师学院 OR 師資 doc:某省") == "技师学院 OR 师资 doc:某省"
    assert query_text("学制技师") == "学制技师"


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    folder = tmp_path_factory.mktemp("script")
    docs = [segment_document(TRADITIONAL, META_T), segment_document(SIMPLIFIED, META_S)]
    texts = [p.own_text for d in docs for p in d.provisions]
    tokenizer = Tokenizer.shared(domain_terms(texts, [META_T.title, META_S.title]))
    build_index(folder / "index", docs, tokenizer, {}, {})
    documents = [{**m.to_dict(), "key": m.key} for m in (META_T, META_S)]
    return Searcher.open(folder, tokenizer, documents), docs


def _headings(searcher, query: str) -> list[str]:
    s, docs = searcher
    by_id = {p.id: p for d in docs for p in d.provisions}
    return [by_id[h.id].heading for h in s.search(query, page_size=20).hits]


def test_a_simplified_query_finds_the_traditional_document(searcher):
    assert "加强师资队伍建设" in _headings(searcher, "师资队伍")
    assert "基本原则" in _headings(searcher, '"坚持产教融合"')


def test_a_traditional_query_finds_the_simplified_document(searcher):
    assert "建设高水平技师学院" in _headings(searcher, "技師學院")
    assert "推行企业新型学徒制" in _headings(searcher, "企業 學徒")
