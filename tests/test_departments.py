"""Departments: responsibility in every written form, canonical names in context, lines upward."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from policykg.corpus.records import DocumentMeta
from policykg.corpus.segment import segment_document
from policykg.corpus.text import match_key
from policykg.ontology.departments import Context, Resolver
from policykg.ontology.responsibilities import extract_departments
from policykg.ontology.roles import parse_roles
from policykg.ontology.tasks import heading_similarity

FIXTURES = Path(__file__).parent / "fixtures" / "graph"

DONGGUAN = DocumentMeta(file="dg.txt", title="t", level="municipal", region="东莞市",
                        issuer="东莞市人力资源和社会保障局")
GUANGDONG = DocumentMeta(file="gd.txt", title="t", level="provincial", region="广东省",
                         issuer="广东省人力资源和社会保障厅")
NATIONAL = DocumentMeta(file="cn.txt", title="t", level="national", region="全国",
                        issuer="人力资源社会保障部")
TIANHE = DocumentMeta(file="th.txt", title="t", level="county", region="广州市天河区")


def fixture_docs():
    municipal = segment_document(
        (FIXTURES / "municipal_plan.txt").read_text(encoding="utf-8"),
        DocumentMeta(file="municipal_plan.txt", title="江门市技工教育发展实施方案",
                     number="江人社发〔2023〕15号", issuer="江门市人力资源和社会保障局",
                     level="municipal", region="江门市", date="2023-03-08"))
    provincial = segment_document(
        (FIXTURES / "provincial_plan.txt").read_text(encoding="utf-8"),
        DocumentMeta(file="provincial_plan.txt", title="湖南省技工教育提质培优行动方案",
                     issuer="湖南省人力资源和社会保障厅", level="provincial", region="湖南省"))
    return [municipal, provincial]


def names(facts, pid):
    got = facts.for_provision(pid)
    return got["lead"], got["participants"]


def by_heading(docs, doc_file, heading, kind=None):
    doc = next(d for d in docs if d.file == doc_file)
    out = [p for p in doc.provisions
           if match_key(p.heading) == match_key(heading) and (kind is None or p.kind == kind)]
    assert out, f"no provision {heading} in {doc_file}"
    return out


# ---- reading responsibility phrases ---------------------------------------------------------------

@pytest.mark.parametrize("phrase, lead, participants", [
    ("市人力资源社会保障局、市财政局", ["市人力资源社会保障局"], ["市财政局"]),
    ("市人力资源社会保障局", ["市人力资源社会保障局"], []),
    ("市人力资源社会保障局、市教育局，各园区、镇街", ["市人力资源社会保障局"],
     ["市教育局", "各园区、镇街"]),
    ("市人力资源社会保障局牵头，市教育局配合", ["市人力资源社会保障局"], ["市教育局"]),
    ("省教育厅牵头，省发展改革委、省科技厅、省工业和信息化厅、省人力资源社会保障厅和深圳、佛山市人民政府按职责分工负责",
     ["省教育厅"], ["省发展改革委", "省科技厅", "省工业和信息化厅", "省人力资源社会保障厅",
                   "深圳市人民政府", "佛山市人民政府"]),
    ("广州、深圳、佛山、珠海市人民政府按职责分工负责", [],
     ["广州市人民政府", "深圳市人民政府", "佛山市人民政府", "珠海市人民政府"]),
    ("省发展改革委、省教育厅和各地级以上市人民政府按职责分工负责", [],
     ["省发展改革委", "省教育厅", "各地级以上市人民政府"]),
    ("牵头单位：市教育局；配合单位：市财政局、市人社局", ["市教育局"], ["市财政局", "市人社局"]),
    ("由市人社局会同市教育局、市财政局", ["市人社局"], ["市教育局", "市财政局"]),
    ("市人社局负责", ["市人社局"], []),
    ("市人社局、市教育局等", ["市人社局"], ["市教育局"]),
    ("各镇街（园区）、市财政局", ["各镇街（园区）"], ["市财政局"]),
])
def test_parse_roles(phrase, lead, participants):
    parsed = parse_roles(phrase)
    assert [n for r, n, _ in parsed if r == "lead"] == lead
    assert [n for r, n, _ in parsed if r == "participant"] == participants
    for _, name, off in parsed:        # offsets point at the name (or its place) as written
        assert phrase[off:off + 2] == name[:2]


def test_and_inside_a_name_does_not_split_it():
    parsed = parse_roles("省工业和信息化厅、省住房和城乡建设厅和省文化和旅游厅")
    assert [n for _, n, _ in parsed] == ["省工业和信息化厅", "省住房和城乡建设厅", "省文化和旅游厅"]


# ---- canonical names in context ---------------------------------------------------------------------

@pytest.mark.parametrize("meta, written, name", [
    (DONGGUAN, "市财政局", "东莞市财政局"),
    (DONGGUAN, "市人力资源社会保障局", "东莞市人力资源和社会保障局"),
    (DONGGUAN, "东莞市人社局", "东莞市人力资源和社会保障局"),
    (DONGGUAN, "省人社厅", "广东省人力资源和社会保障厅"),
    (GUANGDONG, "省人社厅", "广东省人力资源和社会保障厅"),
    (GUANGDONG, "省人力资源社会保障厅", "广东省人力资源和社会保障厅"),
    (GUANGDONG, "省发展改革委", "广东省发展和改革委员会"),
    (GUANGDONG, "省科技厅", "广东省科学技术厅"),
    (GUANGDONG, "广州市人民政府", "广州市人民政府"),
    (GUANGDONG, "省委编办", "中共广东省委机构编制委员会办公室"),
    (GUANGDONG, "省“百千万工程”指挥部办公室", "广东省“百千万工程”指挥部办公室"),
    (GUANGDONG, "省厅", "广东省人力资源和社会保障厅"),            # the issuing 厅 itself
    (NATIONAL, "人社部", "人力资源社会保障部"),
    (GUANGDONG, "人社部", "人力资源社会保障部"),
    (GUANGDONG, "国家发展改革委", "国家发展和改革委员会"),
    (GUANGDONG, "各地级以上市人民政府", "各地级以上市人民政府"),
    (DONGGUAN, "市场监管局", "东莞市市场监督管理局"),          # 市 of 市场 is no level word
    (DONGGUAN, "省市场监管局", "广东省市场监督管理局"),
    (TIANHE, "区教育局", "广州市天河区教育局"),
    (TIANHE, "市人社局", "广州市人力资源和社会保障局"),
    (DONGGUAN, "市城市管理和综合执法局", "东莞市城市管理和综合执法局"),   # no sector entry
])
def test_resolve_in_context(meta, written, name):
    dept = Resolver().resolve(written, Context.of(meta))
    assert dept is not None and dept.name == name


def test_same_body_from_every_form_is_one_department():
    r = Resolver()
    forms = [(DONGGUAN, "省人社厅"), (GUANGDONG, "省人力资源社会保障厅"),
             (GUANGDONG, "广东省人力资源和社会保障厅"), (GUANGDONG, "省厅")]
    slugs = {r.resolve(w, Context.of(m)).slug for m, w in forms}
    assert len(slugs) == 1
    aliases = r.alias_list(slugs.pop())
    assert {"省人社厅", "省人力资源社会保障厅", "广东省人社厅"} <= set(aliases)


def test_county_line_goes_through_its_city():
    r = Resolver()
    meta = DocumentMeta(file="th.txt", title="t", level="county", region="广州市天河区")
    dept = r.resolve("区人力资源社会保障局", Context.of(meta))
    line, cur = [], dept
    while cur is not None:
        line.append(cur.name)
        cur = r.department(cur.superior) if cur.superior else None
    assert line == ["广州市天河区人力资源和社会保障局", "广州市人力资源和社会保障局",
                    "广东省人力资源和社会保障厅", "人力资源社会保障部"]


def test_labelled_responsibility_without_brackets():
    text = ("一、重点任务\n\n（一）建设公共实训基地。推动建设一批实训基地。"
            "牵头单位：市发展改革局；配合单位：市财政局、市人社局。\n")
    doc = segment_document(text, DocumentMeta(file="lb.txt", title="t", level="municipal",
                                              region="佛山市"))
    facts = extract_departments([doc])
    [p] = [p for p in doc.provisions if p.kind == "section"]
    assert names(facts, p.id) == (["佛山市发展和改革局"],
                                  ["佛山市财政局", "佛山市人力资源和社会保障局"])


def test_not_a_department():
    r = Resolver()
    ctx = Context.of(GUANGDONG)
    assert r.resolve("清远", ctx) is None
    assert r.resolve("市财政局", ctx) is None      # which city? a provincial text does not say


def test_functional_line_upward_and_government():
    r = Resolver()
    dept = r.resolve("市人社局", Context.of(DONGGUAN))
    line, cur = [], dept
    while cur is not None:
        line.append(cur.name)
        cur = r.department(cur.superior) if cur.superior else None
    assert line == ["东莞市人力资源和社会保障局", "广东省人力资源和社会保障厅", "人力资源社会保障部"]
    assert r.department(dept.government).name == "东莞市人民政府"
    assert (dept.level, dept.region) == ("municipal", "东莞市")
    gov = r.resolve("清远市人民政府", Context.of(GUANGDONG))
    assert r.department(gov.superior).name == "广东省人民政府"


def test_collective_party_is_one_party_not_a_city():
    r = Resolver()
    dept = r.resolve("各地级以上市人民政府", Context.of(GUANGDONG))
    assert dept.kind == "collective" and dept.region == "广东省" and dept.superior is None


def test_heading_similarity():
    assert heading_similarity("实施助力大国外交专项行动", "实施助力大国外交职业教育国际化提升专项行动") >= 0.6
    assert heading_similarity("实施科教协同创新专项行动", "实施助力大国外交职业教育国际化提升专项行动") < 0.6
    assert heading_similarity("实施助力“百县千镇万村高质量发展工程”专项行动",
                              "实施助力百县千镇万村高质量发展工程专项行动。") == 1.0


# ---- fixtures: forms the bundled corpus does not have ------------------------------------------------------

def test_fixture_municipal_brackets():
    docs = fixture_docs()
    facts = extract_departments(docs)
    [p] = by_heading(docs, "municipal_plan.txt", "加大经费投入")
    assert names(facts, p.id) == (["江门市人力资源和社会保障局"], ["江门市财政局"])
    [p] = by_heading(docs, "municipal_plan.txt", "推进校企合作")
    assert names(facts, p.id) == (["江门市人力资源和社会保障局"],
                                  ["江门市教育局", "各市（区）人民政府"])
    [p] = by_heading(docs, "municipal_plan.txt", "引进高技能人才")
    assert names(facts, p.id) == (["江门市人力资源和社会保障局"],
                                  ["中共江门市委机构编制委员会办公室"])
    # 文号 in brackets and the section heading are not departments
    [p] = by_heading(docs, "municipal_plan.txt", "规范教材管理")
    assert names(facts, p.id) == (["江门市人力资源和社会保障局"], [])


def test_fixture_mentions_are_not_responsibility():
    docs = fixture_docs()
    facts = extract_departments(docs)
    [p] = by_heading(docs, "municipal_plan.txt", "推进校企合作")
    mentioned = {m.name for m in facts.mentions if m.provision == p.id}
    assert {"江门市发展和改革局", "江门市人民政府国有资产监督管理委员会", "江门市工业和信息化局",
            "江门市教研室"} <= mentioned
    assigned = {r.name for r in facts.responsibilities if r.provision == p.id}
    assert "江门市发展和改革局" not in assigned and "江门市教研室" not in assigned
    # "各级人力资源社会保障部门" is every level's departments: no one body
    [p] = by_heading(docs, "municipal_plan.txt", "加强领导")
    assert not [m for m in facts.mentions if m.provision == p.id]


def test_fixture_task_table_with_lead_and_participant_columns():
    docs = fixture_docs()
    facts = extract_departments(docs)
    [row] = by_heading(docs, "provincial_plan.txt", "实施职业技能提升行动", "table_row")
    assert names(facts, row.id) == (["湖南省人力资源和社会保障厅"],
                                    ["长沙市人民政府", "株洲市人民政府", "湘潭市人民政府"])
    [row] = by_heading(docs, "provincial_plan.txt", "深化产教融合", "table_row")
    assert names(facts, row.id) == (["湖南省教育厅", "湖南省人力资源和社会保障厅"], ["各市州人民政府"])
    # the body provisions the rows name, matched by heading, not by number
    [body] = by_heading(docs, "provincial_plan.txt", "深化产教融合校企合作", "section")
    assert names(facts, body.id) == names(facts, row.id)
    [body] = by_heading(docs, "provincial_plan.txt", "建设一批高水平技师学院", "section")
    assert names(facts, body.id) == (["湖南省人力资源和社会保障厅"],
                                     ["湖南省发展和改革委员会", "湖南省财政厅"])
    [other] = by_heading(docs, "provincial_plan.txt", "加强组织领导")
    assert names(facts, other.id) == ([], [])
    gov = next(d for d in facts.departments.values() if d.name == "株洲市人民政府")
    assert facts.departments[gov.superior].name == "湖南省人民政府"


def test_fixture_spans_point_at_the_names():
    docs = fixture_docs()
    facts = extract_departments(docs)
    source = {d.file: d.source for d in docs}
    for r in facts.responsibilities:
        seen = re.sub(r"\s", "", source[r.doc][r.start:r.end])
        assert seen == r.written[:len(seen)] and len(seen) >= 2


# ---- the bundled corpus --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus_facts(bundled_docs):
    return extract_departments(bundled_docs)


def test_dongguan_items_led_by_the_city_bureau(bundled_docs, corpus_facts):
    doc = next(d for d in bundled_docs if d.meta.region == "东莞市")
    items = [p for p in doc.provisions if p.kind == "item"]
    assert items and all(names(corpus_facts, p.id)[0] == ["东莞市人力资源和社会保障局"]
                         for p in items)
    [p] = by_heading(bundled_docs, doc.file, "推进技工教育提质扩容")
    assert names(corpus_facts, p.id)[1] == ["东莞市教育局", "各园区、镇街"]


def test_task_table_rows_and_their_body_provisions(bundled_docs, corpus_facts):
    doc = next(d for d in bundled_docs if any(p.kind == "table_row" and p.annex
                                              and "牵头" in p.own_text for p in d.provisions))
    rows = [p for p in doc.provisions if p.kind == "table_row"]
    [row] = [p for p in rows if "大国外交" in p.heading]
    [body] = by_heading(bundled_docs, doc.file, "实施助力大国外交专项行动", "section")
    assert names(corpus_facts, body.id) == names(corpus_facts, row.id)
    lead, part = names(corpus_facts, row.id)
    assert lead == ["广东省教育厅"] and "广州市人民政府" in part and "珠海市人民政府" in part
    [row1] = [p for p in rows if p.number.startswith("1") and p.heading.startswith("聚焦先进")]
    assert names(corpus_facts, row1.id) == ([], ["广州市人民政府", "深圳市人民政府",
                                                 "佛山市人民政府", "珠海市人民政府"])
    # every row is matched to a distinct body provision
    bodies = {r.provision for r in corpus_facts.responsibilities if r.form == "table-body"}
    assert len(bodies) == len(rows)


def test_running_text_gives_mentions_only(bundled_docs, corpus_facts):
    assigned_docs = {r.doc[:3] for r in corpus_facts.responsibilities}
    assert assigned_docs == {"001", "003"}
    mentions = {(m.doc[:3], m.name) for m in corpus_facts.mentions}
    assert ("000", "广东省发展和改革委员会") in mentions      # 加强与发改、国资、工信部门协调
    assert ("002", "广东省教研室") in mentions                 # 由省教研室组织
    assert ("002", "人力资源社会保障部") in mentions           # 报人社部备案


def test_issuers_resolve(bundled_docs, corpus_facts):
    names_ = {doc: corpus_facts.departments[slugs[0]].name
              for doc, slugs in corpus_facts.issuers.items()}
    for d in bundled_docs:
        if d.meta.issuer:
            assert names_[d.file] in (d.meta.issuer,
                                      d.meta.issuer.replace("人力资源社会保障", "人力资源和社会保障"))
