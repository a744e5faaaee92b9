"""Departments (issue 14): responsibility in every written form and in every file format,
and names as each place writes them.  Fixtures are texts written for these tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from corpus.reader import read_bytes
from corpus.records import DocumentMeta
from corpus.segment import segment_document
from corpus.text import match_key
from ontology.departments import Context, Resolver, extract_departments, is_note, parse_roles
from ontology.graph import build_graph
from tests.ingest_formats import to_docx, to_html, to_markdown

FIXTURES = Path(__file__).parent / "fixtures" / "departments"

XUCHANG = DocumentMeta(file="xc.txt", title="t", level="municipal", region="许昌市",
                       issuer="许昌市人力资源和社会保障局")
HENAN = DocumentMeta(file="hn.txt", title="t", level="provincial", region="河南省",
                     issuer="河南省人力资源和社会保障厅")


def _doc(name: str, meta: DocumentMeta, text: str | None = None):
    text = text if text is not None else (FIXTURES / name).read_text(encoding="utf-8")
    return segment_document(text, DocumentMeta(**{**meta.__dict__, "file": name}))


def _roles(facts, doc, heading: str, kind: str | None = None) -> list[tuple[list, list]]:
    found = [p for p in doc.provisions if match_key(p.heading).rstrip("。") == heading
             and (kind is None or p.kind == kind)]
    assert found, f"no provision {heading}"
    out = []
    for p in found:
        got = facts.for_provision(p.id)
        out.append((got["lead"], got["participants"]))
    return out


def _one(facts, doc, heading, kind=None):
    [got] = _roles(facts, doc, heading, kind)
    return got


# ---- every written form, in running text --------------------------------------------------

@pytest.fixture(scope="module")
def forms():
    doc = _doc("forms_municipal.txt", XUCHANG)
    return doc, extract_departments([doc])


@pytest.mark.parametrize("heading, lead, participants", [
    # 【责任单位：…】, [责任单位：…], (责任单位:…) half-width: the first named leads
    ("扩大培训规模", ["许昌市人力资源和社会保障局"], ["许昌市财政局"]),
    ("建设实训基地", ["许昌市发展和改革委员会"], ["许昌市人力资源和社会保障局"]),
    ("推进校企合作", ["许昌市工业和信息化局"], ["许昌市人力资源和社会保障局"]),
    # 【牵头单位：A、B；配合单位：C】: two leads
    ("完善评价体系", ["许昌市人力资源和社会保障局", "许昌市教育局"], ["许昌市财政局"]),
    # 牵头单位：…；配合单位：… without brackets
    ("强化资金保障", ["许昌市财政局"], ["许昌市人力资源和社会保障局", "许昌市税务局"]),
    # prose: 由…牵头，…配合 / 由…牵头，…按职责分工负责 / 此项工作由…负责，…配合
    ("加强宣传引导", ["中共许昌市委宣传部"], ["许昌市人力资源和社会保障局", "许昌市总工会"]),
    ("落实就业政策", ["许昌市人力资源和社会保障局"], ["各县（市、区）人民政府"]),
    ("促进青年就业", ["共青团许昌市委员会"], ["许昌市人力资源和社会保障局"]),
    # "市残联负责…": a sentence opening on a body that 负责 the task
    ("关爱残疾人就业", ["许昌市残疾人联合会"], []),
    # （A、B负责）: a bare list, the first leads
    ("开展技能竞赛", ["许昌市人力资源和社会保障局"], ["许昌市总工会"]),
    # （A牵头，B配合）, （A负责）
    ("保障经费投入", ["许昌市财政局"], ["许昌市人力资源和社会保障局"]),
    ("加强督促检查", ["许昌市人力资源和社会保障局"], []),
    # 分别负责: all participate, no lead
    ("推进数据共享", [], ["许昌市数据局", "许昌市人力资源和社会保障局"]),
    # running text in 保障措施 is a mention, not an assignment
    ("加强组织领导", [], []),
])
def test_every_written_form(forms, heading, lead, participants):
    doc, facts = forms
    assert _one(facts, doc, heading, "section") == (lead, participants)


def test_a_note_on_reading_the_lists_is_never_a_department(forms):
    doc, facts = forms
    assert is_note("各项任务中排在第一位的为牵头单位")
    assert is_note("（列第一位的为牵头单位）") and is_note("各项任务第一个单位为牵头单位")
    assert not is_note("市人社局、市财政局")
    names = {d.name for d in facts.departments.values()}
    assert not any("牵头单位" in n or "第一" in n for n in names)
    assert Resolver().resolve("各项任务中排在第一位的为牵头单位", Context.of(XUCHANG)) is None


def test_a_name_given_its_place_is_flagged_unresolved(forms):
    _, facts = forms
    data = next(d for d in facts.departments.values() if d.name == "许昌市数据局")
    assert data.resolved is False
    assert all(d.resolved for d in facts.departments.values() if d.sector)
    rows = {r["name"]: r for r in build_graph([forms[0]]).rows["departments"]}
    assert rows["许昌市数据局"]["resolved"] is False
    assert rows["许昌市人力资源和社会保障局"]["resolved"] is True


def test_items_numbered_anew_in_each_section_keep_their_own_responsibility():
    doc = _doc("items_restart.txt", XUCHANG)
    facts = extract_departments([doc])
    assert _one(facts, doc, "建设实训基地", "item") == (
        ["许昌市人力资源和社会保障局"], ["许昌市发展和改革委员会"])
    assert _one(facts, doc, "培养师资队伍", "item") == (
        ["许昌市教育局"], ["许昌市人力资源和社会保障局"])
    assert _one(facts, doc, "开展企业职工培训", "item") == (
        ["许昌市人力资源和社会保障局"], ["许昌市财政局"])
    assert _one(facts, doc, "开展农民工培训", "item") == (
        ["许昌市农业农村局"], ["许昌市人力资源和社会保障局"])
    assert not any("第一" in d.name for d in facts.departments.values())


@pytest.mark.parametrize("phrase, lead, participants", [
    ("省人力资源社会保障厅（牵头）、省教育厅", ["省人力资源社会保障厅"], ["省教育厅"]),
    ("省教育厅、省人力资源社会保障厅（牵头）", ["省人力资源社会保障厅"], ["省教育厅"]),
    ("由省人力资源社会保障厅牵头，省教育厅、省财政厅按职责分工负责", ["省人力资源社会保障厅"],
     ["省教育厅", "省财政厅"]),
    ("省工业和信息化厅负责，省人力资源社会保障厅配合", ["省工业和信息化厅"],
     ["省人力资源社会保障厅"]),
    ("市教育局、市人社局负责", ["市教育局"], ["市人社局"]),
    ("市教育局、市人社局分别负责", [], ["市教育局", "市人社局"]),
    ("牵头单位:市科委,配合单位:各区县市", ["市科委"], ["各区县市"]),
    # when, not who: a time-limit clause is no name
    ("牵头单位：市发改委；配合单位：市经信局；完成时限：2023年底前", ["市发改委"], ["市经信局"]),
    # 各区、县（市）人民政府 is one collective party
    ("牵头单位：市数据资源局；责任单位：各区、县（市）人民政府", ["市数据资源局"],
     ["各区、县（市）人民政府"]),
])
def test_parse_roles_forms(phrase, lead, participants):
    parsed = parse_roles(phrase)
    assert [n for r, n, _ in parsed if r == "lead"] == lead
    assert [n for r, n, _ in parsed if r == "participant"] == participants


# ---- tables, in text, Markdown, HTML and Word ---------------------------------------------

def _read(name: str, fmt: str, meta: DocumentMeta):
    text = (FIXTURES / name).read_text(encoding="utf-8")
    if fmt == "txt":
        return _doc(name, meta, text)
    data = {"md": lambda: to_markdown(text).encode(), "html": lambda: to_html(text).encode(),
            "docx": lambda: to_docx(text, auto_numbering=False)}[fmt]()
    got = read_bytes(data, f"{Path(name).stem}.{fmt}", 10 * 1024 * 1024)
    return _doc(f"{Path(name).stem}.{fmt}", meta, got.text)


@pytest.mark.parametrize("fmt", ["txt", "md", "html", "docx"])
def test_task_table_lead_marked_in_cells(fmt):
    doc = _read("task_table.txt", fmt, HENAN)
    facts = extract_departments([doc])
    for got in _roles(facts, doc, "扩大招生规模"):      # the row and the body provision
        assert got == (["河南省人力资源和社会保障厅"], ["河南省教育厅"])
    for got in _roles(facts, doc, "建设技师学院"):
        assert got == (["河南省人力资源和社会保障厅"], ["河南省发展和改革委员会", "河南省财政厅"])
    # a row without （牵头） where the other rows mark it: participants only
    for got in _roles(facts, doc, "推进职普融通"):
        assert got == ([], ["河南省教育厅", "河南省人力资源和社会保障厅"])
    for got in _roles(facts, doc, "加强思政工作"):
        assert got == (["河南省教育厅"], ["共青团河南省委员会"])
    assert len(_roles(facts, doc, "扩大招生规模")) == 2


@pytest.mark.parametrize("fmt", ["txt", "md", "html", "docx"])
def test_lead_and_participant_columns_in_any_order(fmt):
    doc = _read("column_order.txt", fmt, HENAN)
    facts = extract_departments([doc])
    for got in _roles(facts, doc, "开展技能培训"):
        assert got == (["河南省人力资源和社会保障厅"], ["河南省财政厅", "河南省总工会"])
    for got in _roles(facts, doc, "建设培训基地"):
        assert got == (["河南省发展和改革委员会"],
                       ["河南省财政厅", "河南省教育厅",
                        "河南省人民政府国有资产监督管理委员会"])


# ---- names as each place writes them ---------------------------------------------------

def _meta(level: str, region: str, issuer: str | None = None) -> DocumentMeta:
    return DocumentMeta(file="x.txt", title="t", level=level, region=region, issuer=issuer)


SHANGHAI = _meta("provincial", "上海市")
BEIJING = _meta("provincial", "北京市")
HANGZHOU = _meta("municipal", "杭州市")
NINGBO = _meta("municipal", "宁波市")
JIANGXI = _meta("provincial", "江西省")
ZHEJIANG = _meta("provincial", "浙江省")
WUHAN = _meta("municipal", "武汉市")
YANLING = _meta("county", "鄢陵县")


@pytest.mark.parametrize("meta, written, name", [
    # 直辖市: education and development are 委员会, the rest 局 (not 厅)
    (SHANGHAI, "市教委", "上海市教育委员会"),
    (SHANGHAI, "上海市教育委员会", "上海市教育委员会"),
    (SHANGHAI, "市发展改革委", "上海市发展和改革委员会"),
    (SHANGHAI, "市经信委", "上海市经济和信息化委员会"),
    (SHANGHAI, "市人力资源社会保障局", "上海市人力资源和社会保障局"),
    (BEIJING, "市教委", "北京市教育委员会"),
    (BEIJING, "市财政局", "北京市财政局"),
    # 经信 and 工信 are two names: the written one is kept
    (HANGZHOU, "市经信局", "杭州市经济和信息化局"),
    (NINGBO, "市经信局", "宁波市经济和信息化局"),
    (JIANGXI, "省工信厅", "江西省工业和信息化厅"),
    (ZHEJIANG, "省经信厅", "浙江省经济和信息化厅"),
    # a city's development body is a 委员会, a county's a 局
    (WUHAN, "市发改委", "武汉市发展和改革委员会"),
    (YANLING, "县发改局", "鄢陵县发展和改革局"),
    (XUCHANG, "人力社保局", "许昌市人力资源和社会保障局"),
    # people's organisations, the youth league, state assets
    (HENAN, "团省委", "共青团河南省委员会"),
    (XUCHANG, "团市委", "共青团许昌市委员会"),
    (XUCHANG, "共青团许昌市委", "共青团许昌市委员会"),
    (HENAN, "省政府国资委", "河南省人民政府国有资产监督管理委员会"),
    (HENAN, "省国资委", "河南省人民政府国有资产监督管理委员会"),
    (HENAN, "省总工会", "河南省总工会"),
    (HENAN, "省残联", "河南省残疾人联合会"),
    (WUHAN, "各区人民政府", "各区人民政府"),
])
def test_names_as_each_place_writes_them(meta, written, name):
    dept = Resolver().resolve(written, Context.of(meta))
    assert dept is not None and dept.name == name


def test_generic_mentions_take_the_places_own_name():
    r = Resolver()
    assert r.generic("教育", Context.of(SHANGHAI)).name == "上海市教育委员会"
    assert r.generic("发改", Context.of(YANLING)).name == "鄢陵县发展和改革局"
    assert r.generic("工信", Context.of(HANGZHOU)).name == "杭州市经济和信息化局"
    assert r.generic("发改", Context.of(_meta("municipal", "中山市"))).name == "中山市发展和改革局"


def test_a_full_name_written_in_the_document_wins():
    meta = _meta("municipal", "中山市")
    text = "中山市发展和改革委员会关于印发…的通知"
    ctx = Context.of(meta, text)
    r = Resolver()
    assert r.resolve("市发改委", ctx).name == "中山市发展和改革委员会"
    assert r.generic("发改", Context.of(meta, text)).name == "中山市发展和改革委员会"


def test_the_league_line_goes_up_to_its_central_committee():
    r = Resolver()
    dept = r.resolve("团市委", Context.of(XUCHANG))
    line, cur = [], dept
    while cur is not None:
        line.append(cur.name)
        cur = r.department(cur.superior) if cur.superior else None
    assert line == ["共青团许昌市委员会", "共青团河南省委员会", "共青团中央"]
    assert dept.government is None


def test_unresolved_only_where_no_source_names_it():
    r = Resolver()
    ctx = Context.of(WUHAN)
    bare = r.resolve("市数据局", ctx)
    assert (bare.name, bare.resolved) == ("武汉市数据局", False)
    full = r.resolve("武汉市数据局", ctx)
    assert full.slug == bare.slug and r.department(bare.slug).resolved is True
    assert r.resolve("市委编办", ctx).resolved is True     # a known abbreviation
    assert r.resolve("各项任务第一个单位为牵头单位", ctx) is None
