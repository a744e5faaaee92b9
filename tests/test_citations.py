"""Citations: 《titles》 and 文号 read, resolved to corpus documents, one node per cited document."""
from __future__ import annotations

import re

import pytest

from ontology.citations import extract_citations, normalise_number, title_key, unwrap_title
from test_departments import fixture_docs


@pytest.mark.parametrize("text, number", [
    ("人社部发〔2021〕86号", "人社部发〔2021〕86号"),
    ("人社部发〔2021〕 86 号", "人社部发〔2021〕86号"),
    ("人社部\n发〔2021〕86 号", "人社部发〔2021〕86号"),
    ("国发[2019]4号", "国发〔2019〕4号"),
    ("中华人民共和国国土资源部令第 9 号", "国土资源部令第9号"),
    ("落实江人社发〔2023〕15号", "江人社发〔2023〕15号"),
    ("人力资源和社会保障部令第3号", "人力资源和社会保障部令第3号"),
    ("第三章", None),
])
def test_normalise_number(text, number):
    assert normalise_number(text) == number


def test_unwrap_and_title_key():
    assert unwrap_title("人力资源社会保障部关于印发技工教育“十四五”规划的通知") == "技工教育“十四五”规划"
    assert unwrap_title("东莞市人民政府办公室关于印发<关于持续推进“三项工程” 深化“技能人才之都”"
                        "建设的工作方案>的通知") == "关于持续推进“三项工程”深化“技能人才之都”建设的工作方案"
    assert unwrap_title("人力资源社会保障部 国家发展改革委 财政部关于深化技工院校改革 大力发展技工教育的意见") \
        == "关于深化技工院校改革大力发展技工教育的意见"
    assert title_key("技工教育“十四五”规划") == title_key("人力资源社会保障部关于印发技工教育“十四五”规划的通知")
    assert title_key("某某方案（公开征求意见稿）") == title_key("某某方案")


@pytest.fixture(scope="module")
def facts(bundled_docs):
    return extract_citations(bundled_docs)


def rows(facts, doc_prefix):
    return [c for c in facts.citations if c.doc.startswith(doc_prefix)]


def test_resolves_by_title_and_by_number(facts):
    [by_title] = [c for c in rows(facts, "000") if c.title == "技工教育“十四五”规划"]
    assert by_title.resolves_to.startswith("004") and by_title.number is None
    assert by_title.target_number == "人社部发〔2021〕86号"      # known from 001's citation
    [by_number] = [c for c in rows(facts, "001") if c.number == "人社部发〔2021〕86号"]
    assert by_number.resolves_to.startswith("004") and by_number.target == by_title.target


def test_one_external_node_per_cited_document(facts):
    rules = [c for c in facts.citations if "技工院校教材管理工作实施细则" in (c.title or "")]
    assert {c.doc[:3] for c in rules} == {"001", "004"}
    assert len({c.target for c in rules}) == 1 and rules[0].resolves_to is None
    assert all(c.target_number == "人社厅发〔2021〕12号" for c in rules)
    opinion = [c for c in facts.citations if "深化技工院校改革" in (c.title or "")]
    assert {c.doc[:3] for c in opinion} == {"000", "001"}       # spaces in one title, not the other
    assert len({c.target for c in opinion}) == 1
    assert all(c.target_number == "人社部发〔2021〕30号" for c in opinion)
    assert facts.cited[opinion[0].target].cited_by == tuple(sorted({c.doc for c in opinion}))


def test_a_document_naming_itself_is_not_a_citation(bundled_docs, facts):
    for doc in bundled_docs:
        for c in rows(facts, doc.file[:3]):
            assert c.resolves_to != doc.file
            assert title_key(c.title) != title_key(doc.meta.title)
            assert not (doc.meta.number and c.number == normalise_number(doc.meta.number))


def test_nested_titles_and_decrees(facts):
    [nested] = [c for c in rows(facts, "001") if c.number == "东府办〔2022〕25号"]
    assert "<关于持续推进" in nested.title and nested.resolves_to is None
    [decree] = [c for c in rows(facts, "001") if c.title == "划拨用地目录"]
    assert decree.number == "国土资源部令第9号"


def test_spans_cover_title_and_number(bundled_docs, facts):
    source = {d.file: d.source for d in bundled_docs}
    for c in facts.citations:
        seen = re.sub(r"\s", "", source[c.doc][c.start:c.end])
        if c.title:
            assert seen.startswith("《") and re.sub(r"\s", "", c.title) in seen
        if c.number:
            assert seen.endswith(("号", "号）", "号)"))


def test_fixtures_with_the_corpus(bundled_docs):
    docs = fixture_docs() + list(bundled_docs)
    facts = extract_citations(docs)
    mine = [c for c in facts.citations if c.doc == "municipal_plan.txt"]
    by_title = {re.sub(r"\s", "", c.title or ""): c for c in mine}
    # a number broken by spaces still resolves; a corpus document is found by its title
    assert by_title["人力资源社会保障部关于印发技工教育“十四五”规划的通知"].resolves_to.startswith("004")
    assert by_title["广东省技工教育高质量发展“十四五”规划"].resolves_to.startswith("000")
    # the number broken over two lines; the node shared with the corpus and the other fixture
    rule = by_title["技工院校教材管理工作实施细则"]
    assert rule.number == "人社厅发〔2021〕12号"
    others = [c for c in facts.citations if "技工院校教材管理工作实施细则" in (c.title or "")]
    assert len(others) == 4 and len({c.target for c in others}) == 1
    # its own 文号 in its closing words and its own title in the notice are not citations
    assert not [c for c in mine if c.number == "江人社发〔2023〕15号"]
    assert not [c for c in mine if c.title == "江门市技工教育发展实施方案"]
    assert [c for c in mine if c.number == "江府办〔2022〕7号"][0].resolves_to is None


def _regex_locate(source: str, lo: int, hi: int, fragment: str, nth: int):
    """spans.locate as it was: always through the compiled gap-tolerant pattern."""
    from ontology.spans import _pattern
    pattern = _pattern(fragment)
    found = list(pattern.finditer(source, max(0, lo), min(len(source), hi))) if pattern else []
    return (found[nth].start(), found[nth].end()) if nth < len(found) else None


def test_locate_without_a_pattern_finds_what_the_pattern_finds():
    """The compile-free path of spans.locate: same occurrences, gaps and bounds included."""
    import random
    from ontology.spans import locate
    rng = random.Random(5)
    pieces = ["技", "工", "院", "校", "号", "〔", "2021", " ", "\n", "\u3000", "**", "*",
              "[bookmark: OLE_LINK4]", "[", "]", "[bookmark:", "和", "and", "\ufeff"]
    fragments = ["技工院校", "技工", "工院", "院校号", "〔2021〕", "2021", "技 工", "校号"]
    for _ in range(3000):
        source = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        lo, hi = rng.randint(-2, len(source)), rng.randint(0, len(source) + 2)
        fragment, nth = rng.choice(fragments), rng.randint(0, 2)
        assert locate(source, lo, hi, fragment, nth) == _regex_locate(source, lo, hi,
                                                                      fragment, nth)
    assert locate("人社部\n发〔2021〕 86 号", 0, 99, "人社部发〔2021〕86号") == (0, 16)
