"""Citations: 《titles》 and 文号 read, resolved to corpus documents, one node per cited document."""
from __future__ import annotations

import re

import pytest

from policykg.ontology.citations import (extract_citations, issuer_key, normalise_number, title_key,
                                unwrap_title)
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
    from policykg.ontology.spans import gap_pattern
    pattern = gap_pattern(fragment)
    found = list(pattern.finditer(source, max(0, lo), min(len(source), hi))) if pattern else []
    return (found[nth].start(), found[nth].end()) if nth < len(found) else None


def test_locate_without_a_pattern_finds_what_the_pattern_finds():
    """The compile-free path of spans.locate: same occurrences, gaps and bounds included."""
    import random
    from policykg.ontology.spans import locate
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


# ---- the issuer is part of a title's identity; a document never cites itself ------------------
# Fixture texts written for these tests: short notices in the shapes real ones take.

def doc(file: str, text: str, title: str, issuer: str | None = None, number: str | None = None,
        level: str = "municipal"):
    from policykg.corpus.records import DocumentMeta
    from policykg.corpus.segment import segment_document
    return segment_document(text, DocumentMeta(file=file, title=title, number=number,
                                               issuer=issuer, level=level))


PROVINCE_TITLE = "浙江省人民政府办公厅关于深化校企协同育人的实施意见"
CITY_TITLE = "杭州市人民政府办公厅关于深化校企协同育人的实施意见"


def province():
    return doc("p.txt", f"{PROVINCE_TITLE}\n各市人民政府：\n一、总体要求\n推动校企协同育人。\n",
               PROVINCE_TITLE, "浙江省人民政府办公厅", level="provincial")


def city():
    return doc("c.txt", f"{CITY_TITLE}\n各区人民政府：\n为贯彻落实《{PROVINCE_TITLE}》，结合我市实际，"
                        "提出如下实施意见。\n一、总体要求\n推动校企协同育人。\n",
               CITY_TITLE, "杭州市人民政府办公厅")


def third(cited: str = PROVINCE_TITLE):
    return doc("t.txt", f"宁波市校企协同育人工作方案\n根据《{cited}》，制定本方案。\n一、主要任务\n开展试点。\n",
               "宁波市校企协同育人工作方案", "宁波市人力资源和社会保障局")


def cites_of(facts, file):
    return [c for c in facts.citations if c.doc == file]


def test_a_city_citing_its_provinces_title_of_the_same_words_is_a_citation():
    facts = extract_citations([province(), city(), third()])
    [mine] = cites_of(facts, "c.txt")
    assert mine.resolves_to == "p.txt"                      # not dropped as its own title
    [other] = cites_of(facts, "t.txt")
    assert other.resolves_to == "p.txt"                     # never the city's document


def test_without_the_provinces_document_the_citers_share_one_external_node():
    facts = extract_citations([city(), third()])
    [mine], [other] = cites_of(facts, "c.txt"), cites_of(facts, "t.txt")
    assert mine.resolves_to is None and other.resolves_to is None
    assert mine.target == other.target
    assert facts.cited[mine.target].cited_by == ("c.txt", "t.txt")


def test_a_title_naming_no_issuer_resolves_only_when_one_issuer_has_it():
    bare = "关于深化校企协同育人的实施意见"
    assert cites_of(extract_citations([province(), third(bare)]), "t.txt")[0].resolves_to == "p.txt"
    # two issuers' documents of these words: which one is meant is not known
    [c] = cites_of(extract_citations([province(), city(), third(bare)]), "t.txt")
    assert c.resolves_to is None


NATIONAL_TEXT = "职业技能培训“十四五”规划\n一、发展环境\n技能人才队伍不断壮大。\n"


def national():
    return doc("n.txt", NATIONAL_TEXT, "职业技能培训“十四五”规划", "人力资源社会保障部",
               "人社部发〔2021〕101号", level="national")


@pytest.mark.parametrize("written", [
    "《职业技能培训“十四五”规划》",
    "《人力资源社会保障部关于印发职业技能培训“十四五”规划的通知》",
    "《人力资源和社会保障部职业技能培训“十四五”规划》",
    "《人社部关于印发〈职业技能培训“十四五”规划〉的通知》",
    "人社部发〔2021〕101 号",
])
def test_every_way_of_naming_one_document_is_that_document(written):
    citer = doc("x.txt", f"某某省职业技能培训实施方案\n根据{written}，制定本方案。\n一、主要任务\n开展培训。\n",
                "某某省职业技能培训实施方案", "某某省人力资源和社会保障厅", level="provincial")
    facts = extract_citations([national(), citer])
    [c] = cites_of(facts, "x.txt")
    assert c.resolves_to == "n.txt" and c.target == "doc:n.txt"


@pytest.mark.parametrize("a, b", [
    ("人力资源和社会保障部", "人社部"), ("国家发展和改革委员会", "国家发展改革委"),
    ("国家发展和改革委员会", "国家发改委"), ("湖南省住房和城乡建设厅", "湖南省住建厅"),
    ("浙江省人民政府办公厅", "浙江省政府办公厅"), ("中华人民共和国教育部", "教育部"),
    ("人力资 源社会保障部 国家发展改革委 财政部", "人力资源社会保障部"),
    ("中共中央办公厅、国务院办公厅", "中共中央办公厅"), ("教育部等九部门", "教育部"),
])
def test_issuer_spellings_of_one_body_have_one_key(a, b):
    assert issuer_key(a) == issuer_key(b) is not None


def test_issuers_of_different_bodies_or_places_differ():
    assert issuer_key("浙江省人民政府办公厅") != issuer_key("杭州市人民政府办公厅")
    assert issuer_key("人力资源社会保障部") != issuer_key("人力资源社会保障部办公厅")
    assert issuer_key("市人民政府办公厅") is None           # whose, it does not say


def test_an_external_document_is_one_node_however_its_issuers_are_spaced():
    co = "人力资源社会保障部 国家发展改革委 财政部关于加强技能人才培养的意见"
    a = doc("a.txt", f"甲市方案\n根据《{co}》，制定本方案。\n", "甲市方案", "甲市人民政府")
    b = doc("b.txt", f"乙市方案\n根据《人力资\n源社会保障部国家发展改革委财政部关于加强技能人才培养的意见》。\n",
            "乙市方案", "乙市人民政府")
    c = doc("c2.txt", "丙市方案\n根据《关于加强技能人才培养的意见》。\n", "丙市方案", "丙市人民政府")
    facts = extract_citations([a, b, c])
    assert len({x.target for x in facts.citations}) == 1
    assert facts.cited[facts.citations[0].target].cited_by == ("a.txt", "b.txt", "c2.txt")


OWN_TITLE = "关于做好技工院校招生宣传工作的通知"


@pytest.mark.parametrize("sentence", [
    f"现将《{OWN_TITLE}》印发给你们，请认真贯彻执行。",
    "我局研究制定了《甲市技工院校招生宣传工作方案》，现印发给你们，请结合实际抓好落实。",
    "各单位要对照《重点任务分工表》逐项落实。",
    "请按照《附件2：工作进度安排》报送。",
])
def test_a_document_naming_itself_or_its_annex_does_not_cite(sentence):
    text = (f"甲市人力资源和社会保障局{OWN_TITLE}\n各县（市、区）人社局：\n{sentence}\n"
            "附件：1.重点任务分工表\n2.工作进度安排\n甲市人力资源和社会保障局\n2023年4月20日\n"
            "附件1\n重点任务分工表\n序号\t任务\t责任单位\n1\t招生宣传\t市人社局\n")
    d = doc("own.txt", text, f"甲市人力资源和社会保障局{OWN_TITLE}", "甲市人力资源和社会保障局")
    assert cites_of(extract_citations([d]), "own.txt") == []


def test_a_document_passed_on_is_cited_and_another_issuers_title_is_not_its_own():
    text = ("甲市人力资源和社会保障局关于转发省人社厅文件的通知\n各区人社局：\n"
            f"现将《乙省人力资源和社会保障厅{OWN_TITLE}》转发给你们，请遵照执行。\n"
            f"附件：乙省人力资源和社会保障厅{OWN_TITLE}\n")     # passed on, and annexed
    d = doc("fwd.txt", text, f"甲市人力资源和社会保障局{OWN_TITLE}", "甲市人力资源和社会保障局")
    [c] = cites_of(extract_citations([d]), "fwd.txt")
    assert c.title.startswith("乙省") and c.resolves_to is None


def test_an_earlier_document_issued_before_is_still_cited():
    text = ("甲市技能人才工作方案\n一、总体要求\n自《甲市技能人才发展规划》印发实施以来，成效明显。"
            "《乙省职业技能提升行动方案》已印发给各地。\n")
    d = doc("e.txt", text, "甲市技能人才工作方案", "甲市人力资源和社会保障局")
    assert {c.title for c in cites_of(extract_citations([d]), "e.txt")} == {
        "甲市技能人才发展规划", "乙省职业技能提升行动方案"}


def test_a_forwarding_notice_is_its_own_document_not_the_one_it_forwards():
    forwarded = f"乙省人力资源和社会保障厅{OWN_TITLE}"
    title = f"甲市人力资源和社会保障局关于转发《{forwarded}》的通知"
    fwd = doc("fwd.txt", f"{title}\n各区人社局：\n现将《{forwarded}》转发给你们，请遵照执行。\n",
              title, "甲市人力资源和社会保障局")
    original = doc("orig.txt", f"{forwarded}\n各市人社局：\n一、工作要求\n做好宣传。\n",
                   forwarded, "乙省人力资源和社会保障厅", level="provincial")
    [c] = cites_of(extract_citations([fwd, original]), "fwd.txt")
    assert c.resolves_to == "orig.txt"
    assert unwrap_title(title) == f"关于转发《{forwarded}》的通知"


@pytest.mark.parametrize("written", [
    "北京市人力资源和社会保障局 北京市教育委员会关于印发北京市技能人才培养实施方案的通知",
    "北京市教育委员会、北京市人力资源和社会保障局关于印发北京市技能人才培养实施方案的通知",
    "北京市教委关于印发北京市技能人才培养实施方案的通知",
])
def test_any_co_issuer_of_a_document_names_it(written):
    from policykg.corpus.records import DocumentMeta
    from policykg.corpus.segment import segment_document
    title = "北京市技能人才培养实施方案"
    co = segment_document(f"{title}\n一、总体要求\n培养技能人才。\n", DocumentMeta(
        file="co.txt", title=title, level="provincial", region="北京市",
        issuers=("北京市人力资源和社会保障局", "北京市教育委员会")))
    citer = doc("d.txt", f"北京市朝阳区工作方案\n根据《{written}》，制定本方案。\n", "北京市朝阳区工作方案",
                "北京市朝阳区人民政府", level="county")
    [c] = cites_of(extract_citations([co, citer]), "d.txt")
    assert c.resolves_to == "co.txt"


def test_a_different_body_of_the_same_place_is_another_document():
    title = "关于做好技能人才评价工作的通知"
    a = doc("a.txt", f"乙省人力资源和社会保障厅{title}\n一、工作要求\n做好评价。\n",
            f"乙省人力资源和社会保障厅{title}", "乙省人力资源和社会保障厅", level="provincial")
    citer = doc("b.txt", f"丙市方案\n根据《乙省教育厅{title}》，制定本方案。\n", "丙市方案", "丙市人民政府")
    [c] = cites_of(extract_citations([a, citer]), "b.txt")
    assert c.resolves_to is None
