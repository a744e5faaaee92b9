"""Departments (issue 14): responsibility in every written form and in every file format,
and names as each place writes them.  Fixtures are texts written for these tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from policykg.corpus.reader import read_bytes
from policykg.corpus.records import DocumentMeta
from policykg.corpus.segment import segment_document
from policykg.corpus.text import match_key
from policykg.ontology.departments import Context, Resolver
from policykg.ontology.responsibilities import extract_departments
from policykg.ontology.roles import parse_roles
from policykg.ontology.written_names import is_note
from policykg.ontology.graph_build import build_graph
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


# ---- label lines, glued labels, collectives joined by 及, names no source resolves ----------

GUSU = DocumentMeta(file="gs.txt", title="t", level="county", region="苏州市姑苏区")
TIANSHUI = DocumentMeta(file="ts.txt", title="t", level="municipal", region="天水市")
_LABEL_IN_NAME = ("单位", "部门：", "部门:", "：", ":", "，", "。", "；", "\n")


@pytest.fixture(scope="module")
def label_lines():
    doc = _doc("label_lines.txt", GUSU)
    return doc, extract_departments([doc])


@pytest.mark.parametrize("heading, kind, lead, participants", [
    # 牵头单位：A on one line, 责任单位：B、C on the next: B and C participate
    ("到2025年,全区完成职业技能培训2万人次", None, ["苏州市姑苏区人力资源和社会保障局"],
     ["苏州市姑苏区发展和改革局", "苏州市姑苏区财政局"]),
    ("开展新就业形态劳动者培训", "item", ["苏州市姑苏区人力资源和社会保障局"],
     ["苏州市姑苏区商务局", "各街道"]),
    # 责任单位：A、B alone: the bare-list rule, the first named leads
    ("建设公共实训基地", "item", ["苏州市姑苏区人力资源和社会保障局"],
     ["苏州市姑苏区发展和改革局"]),
    # a label glued to the name before it: two clauses, never one name
    ("推进产教融合", "item", ["苏州市姑苏区教育局"], ["苏州市姑苏区工业和信息化局"]),
    # both labels in one bracket
    ("落实培训补贴", "item", ["苏州市姑苏区财政局"],
     ["苏州市姑苏区人力资源和社会保障局", "苏州市姑苏区税务局"]),
    # 配合单位 before 牵头单位, then a time-limit line: read together, the time is no name
    ("强化就业服务", "item", ["苏州市姑苏区人力资源和社会保障局"], ["苏州市姑苏区民政局"]),
])
def test_label_lines_after_an_item(label_lines, heading, kind, lead, participants):
    doc, facts = label_lines
    assert _one(facts, doc, heading, kind) == (lead, participants)


def test_no_department_name_holds_a_label_or_punctuation(label_lines):
    _, facts = label_lines
    for dept in facts.departments.values():
        assert not any(w in dept.name for w in _LABEL_IN_NAME), dept.name


@pytest.mark.parametrize("written", [
    "鞍山市立山区人社局责任单位:区发改局", "区人社局责任单位：区发改局", "市人社局，市财政局",
    "牵头单位：市人社局", "市人社局配合单位市财政局", "加强统筹。市人社局",
])
def test_a_glued_candidate_is_never_a_name(written):
    r = Resolver()
    ctx = Context.of(GUSU)
    assert r.resolve(written, ctx) is None
    assert r.as_written(written, ctx) is None


@pytest.mark.parametrize("phrase, lead, participants", [
    ("牵头单位：区人社局责任单位：区发改局、区财政局", ["区人社局"], ["区发改局", "区财政局"]),
    ("牵头单位：区人社局\n责任单位：区发改局、区财政局", ["区人社局"], ["区发改局", "区财政局"]),
    ("责任单位：区发改局、区财政局", ["区发改局"], ["区财政局"]),
    ("市人社局、市工信局牵头，市直各有关部门及各县（市、区）人民政府按职责分工负责",
     ["市人社局", "市工信局"], ["市直各有关部门", "各县（市、区）人民政府"]),
    # 有关部门和单位 is one party, not 有关部门 and a 单位
    ("市人社局牵头，各有关部门和单位配合", ["市人社局"], ["各有关部门和单位"]),
])
def test_parse_roles_labels_and_joined_parties(phrase, lead, participants):
    parsed = parse_roles(phrase)
    assert [n for r, n, _ in parsed if r == "lead"] == lead
    assert [n for r, n, _ in parsed if r == "participant"] == participants


def test_collective_parties_joined_by_ji_split_in_a_traditional_text():
    doc = _doc("collective_trad.txt", TIANSHUI)
    facts = extract_departments([doc])
    assert _one(facts, doc, "开展企业职工培训", "section") == (
        ["天水市人力资源和社会保障局", "天水市工业和信息化局"],
        ["天水市直各有关部门", "各县（区）人民政府"])         # the brackets as written
    assert _one(facts, doc, "加强资金保障", "section") == (
        ["天水市财政局"], ["天水市人力资源和社会保障局", "各县（区）人民政府"])
    assert _one(facts, doc, "推进培训数字化", "section") == (
        ["天水市人力资源和社会保障局"], ["天水市发展和改革委员会"])
    direct = next(d for d in facts.departments.values() if d.name == "天水市直各有关部门")
    assert direct.kind == "collective" and direct.region == "天水市"
    assert not any("及" in d.name for d in facts.departments.values())


@pytest.fixture(scope="module")
def unresolved():
    doc = _doc("unresolved_names.txt", XUCHANG)
    return doc, extract_departments([doc])


@pytest.mark.parametrize("heading, lead, participants", [
    # marked (a label, 负责): every name kept, the unresolved one as written with its place
    ("建设技能大师工作室", ["许昌市人力资源和社会保障局"], ["许昌市城投集团"]),
    ("打造技能竞赛品牌", ["许昌市总工会"], ["许昌市城投集团"]),
    # an unmarked bracket with an item that is no body says no responsibility
    ("开展校企合作", [], []),
    # a clause naming no party (a time) takes no lead's place
    ("推进培训补贴直补", ["许昌市人力资源和社会保障局"], []),
    # running text naming no bodies (由企业牵头，院校配合) assigns nothing
    ("发挥企业主体作用", [], []),
    # an unmarked bracket of bodies: the one no source names is kept, unresolved
    ("建设培训信息平台", ["许昌市人力资源和社会保障局"], ["许昌市大数据中心"]),
    # a bracket's second sentence ends like a body (…人民政府) but is none
    ("规范培训机构管理", [], ["许昌市人力资源和社会保障局", "许昌市市场监督管理局"]),
    # 市级各有关部门 is one collective party, split from the next by 及
    ("统筹推进改革", ["许昌市人民政府办公室"], ["许昌市级各有关部门", "各县（市、区）人民政府"]),
])
def test_a_marked_responsibility_keeps_every_name(unresolved, heading, lead, participants):
    doc, facts = unresolved
    assert _one(facts, doc, heading, "section") == (lead, participants)


def test_names_kept_as_written_are_flagged_unresolved(unresolved):
    _, facts = unresolved
    flags = {d.name: d.resolved for d in facts.departments.values()}
    assert flags["许昌市城投集团"] is False and flags["许昌市大数据中心"] is False
    assert flags["许昌市人力资源和社会保障局"] is True
    assert not any(ch.isdigit() for name in flags for ch in name)
    assert not any(name.endswith(("企业", "院校")) for name in flags)
    assert not any("涉及" in name or "具体" in name for name in flags)


@pytest.mark.parametrize("written, name", [
    ("市直各有关部门", "许昌市直各有关部门"), ("市级各有关部门", "许昌市级各有关部门"),
    ("市直有关单位", "许昌市直有关单位"), ("省级有关部门（单位）", "河南省级有关部门（单位）"),
])
def test_bodies_directly_under_a_government_are_one_collective_party(written, name):
    dept = Resolver().resolve(written, Context.of(XUCHANG))
    assert (dept.name, dept.kind, dept.resolved) == (name, "collective", True)


@pytest.mark.parametrize("meta, written, name", [
    # stems written without the 和 of the full name, resolved by the place's convention
    (SHANGHAI, "市经济信息化委", "上海市经济和信息化委员会"),
    (BEIJING, "市经济信息化局", "北京市经济和信息化局"),
    (SHANGHAI, "市卫生健康委", "上海市卫生健康委员会"),
    (_meta("provincial", "重庆市"), "市住房城乡建设委", "重庆市住房和城乡建设委员会"),
    (_meta("provincial", "江苏省"), "省工业信息化厅", "江苏省工业和信息化厅"),
    (HANGZHOU, "市文化旅游局", "杭州市文化和旅游局"),
    (YANLING, "县发展改革局", "鄢陵县发展和改革局"),
])
def test_stems_written_without_he(meta, written, name):
    dept = Resolver().resolve(written, Context.of(meta))
    assert dept is not None and (dept.name, dept.resolved) == (name, True)


# ---- the level words of prefectures and counties outside the 省/市/县 pattern ------------

@pytest.mark.parametrize("meta, text, lead, participants", [
    # a 自治州 calls itself 州: 州人社局 is the prefecture's bureau, never "…自治州州人社局"
    (DocumentMeta(file="ez.txt", title="t", level="municipal", region="恩施土家族苗族自治州"),
     "一、任务\n（一）调整专业。围绕特色产业调整专业。（州人社局牵头，州教育局、州直有关部门配合）\n",
     ["恩施土家族苗族自治州人力资源和社会保障局"],
     ["恩施土家族苗族自治州教育局", "恩施土家族苗族自治州直有关部门"]),
    # a 盟 likewise; a 旗 is a county: 旗人社局 in a 旗's own text
    (DocumentMeta(file="xm.txt", title="t", level="municipal", region="锡林郭勒盟"),
     "一、任务\n（一）开展培训。开展职业技能培训。（盟人社局负责）\n",
     ["锡林郭勒盟人力资源和社会保障局"], []),
])
def test_prefecture_and_banner_level_words(meta, text, lead, participants):
    doc = segment_document(text, meta)
    facts = extract_departments([doc])
    [p] = [p for p in doc.provisions if p.kind == "section"]
    got = facts.for_provision(p.id)
    assert (got["lead"], got["participants"]) == (lead, participants)
