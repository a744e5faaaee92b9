"""Any text adds, searches and removes cleanly: a property test of `policykg add`.

Hypothesis writes documents of random shape — no cover, no citations, no chapters, one
line, English, a table only, traditional characters, half-width punctuation, Markdown or
HTML, GBK bytes — and each one must either be added or refused with a user error (never a
traceback), and once added:

- the generation equals a full build of the same corpus (graph isomorphic, every export
  row, facts and searches equal: tests/test_incremental.py's `assert_same`);
- a word of the document finds it;
- removing it gives back the corpus as it was.

The corpus is small (the national plan and one provincial plan that cites it) so one
example is a few seconds; the default run tries a handful, `-m slow` many more.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import opencc
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from policykg.corpus.manifest import bundled_dir, load_manifest
from policykg.corpus.reader import UnreadableDocument
from policykg.corpus.sources import SourcesManifest, commit_manifest
from policykg.pipeline import ingest
from policykg.pipeline.build import build
from policykg.pipeline.generation import Generation
from policykg.pipeline.datadir import DataDir
from test_incremental import LIMIT, assert_same, frozen, reference

NATIONAL = "004_fc4ac27914a17046.txt"
KEEP = {NATIONAL, "001_6af77d3d95a7bf94.txt"}

# ---- the documents ----------------------------------------------------------------------------

# A word found nowhere in the corpus, so that a search for it can only find the new document.
MARKERS = ["鹭岛", "星河", "青峦", "云杉", "澄湖", "松涛", "晴川", "梧桐", "柏溪", "兰渚"]
PLACES = [("浙江省", "浙", "省"), ("杭州市", "杭", "市"), ("浏阳市", "浏", "市"),
          ("上海市", "沪", "市"), ("朝阳区", "朝", "区"), ("", "", "")]
SENTENCES = [
    "加强技工院校师资队伍建设，提升教师实践教学能力。",
    "到2025年，技工院校在校生规模达到5万人以上。",
    "全面推行中国特色企业新型学徒制。",
    "各地要高度重视，切实加强组织领导。",
    "截至2022年底，全省技能人才总量达到300万人。",
    "（责任单位：市人社局、市教育局）",
    "由省人力资源社会保障厅牵头，省教育厅、省财政厅配合。",
    "比2020年提高8个百分点。",
    # restated from the national plan (004), as lower plans do: aligned even without a level
    "大力开展中国特色企业新型学徒制培训，面向企业职工开放技工院校一年以上非全日制学籍注册通道。",
]
ENGLISH = ["This notice sets out the work plan for the summer term.",
           "All units shall report progress by the end of June."]


@st.composite
def documents(draw) -> tuple[str, str]:
    """(file name, text) of one document of random shape."""
    place, abbr, _ = draw(st.sampled_from(PLACES))
    marker = draw(st.sampled_from(MARKERS)) + draw(st.sampled_from(MARKERS))
    title = f"{place}关于推进{marker}技能提升工作的通知"
    lines: list[str] = []
    if draw(st.booleans()):                                   # a cover
        lines += [title]
        if abbr and draw(st.booleans()):
            lines.append(f"{abbr}人社发〔{draw(st.integers(2019, 2024))}〕"
                         f"{draw(st.integers(1, 300))}号")
        lines.append("各有关单位：")
    if draw(st.booleans()):                                   # citations
        lines.append(draw(st.sampled_from([
            f"现将《{title}》印发给你们，请认真贯彻执行。",
            "根据《人力资源社会保障部关于印发技工教育“十四五”规划的通知》（人社部发〔2021〕86号），"
            "结合实际制定本方案。",
            "请对照《重点任务分工表》抓好落实。",
            "根据《国务院关于某项工作的意见》，制定本通知。",
            "按照人社部发〔2021〕86号要求开展工作。",
            "贯彻《人力资源和社会保障部技工教育“十四五”规划》和《技工教育“十四五”规划》。",
            f"落实《浙江省人民政府办公厅关于推进{marker}技能提升工作的通知》。",
            "附件：1.重点任务分工表\n2.工作进度安排"])))
    shape = draw(st.sampled_from(["chapters", "one line", "table", "html table", "english",
                                  "number only", "prose"]))
    body = [f"{marker}工作要求如下。"]
    if shape == "chapters":
        for n, head in zip("一二三", ["总体要求", "主要任务", "保障措施"]):
            body.append(f"{n}、{head}")
            for k, s in zip("一二", draw(st.lists(st.sampled_from(SENTENCES), max_size=2))):
                body.append(f"（{k}）{s}")
    elif shape == "one line":
        body = [f"{marker}" + "".join(draw(st.lists(st.sampled_from(SENTENCES), max_size=3)))]
    elif shape == "table":
        body = [f"| 序号 | 任务 | 责任单位 |", "| --- | --- | --- |",
                f"| 1 | {marker}培训 | 市人社局 |", "| 2 | 校企合作 | 市教育局、市财政局 |"]
    elif shape == "html table":
        body = [f"<table><tr><th>序号</th><th>任务</th></tr><tr><td>1</td><td>{marker}培训</td>"
                "</tr></table>"]
    elif shape == "number only":
        body = [f"{marker}", f"{abbr or '京'}人社发〔2022〕{draw(st.integers(1, 300))}号"]
    elif shape == "english":
        body = [f"{marker} " + draw(st.sampled_from(ENGLISH))] + ENGLISH
    else:
        body += draw(st.lists(st.sampled_from(SENTENCES), max_size=5))
    lines += body
    lines += draw(st.lists(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]),
                                   max_size=12), max_size=2))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))        # Unix, Windows, old Mac
    text = draw(st.sampled_from(["", "\ufeff"])) + newline.join(lines) + newline
    script = draw(st.sampled_from(["simplified", "traditional", "half-width"]))
    if script == "traditional":
        text = opencc.OpenCC("s2t").convert(text)
    elif script == "half-width":
        text = text.translate(_HALF_WIDTH)
    wrapper = draw(st.sampled_from(["txt", "md", "html"]))
    if wrapper == "md":
        text = "\n".join(f"## {x}" if x[:2] in {"一、", "二、", "三、", "一、"} else x
                         for x in text.splitlines())
        return f"{marker}.md", text
    if wrapper == "html":
        paras = "".join(f"<p>{x}</p>" for x in text.splitlines())
        return f"{marker}.html", f"<html><head><title>{title}</title></head><body>{paras}</body></html>"
    return f"{marker}.txt", text


_HALF_WIDTH = str.maketrans("，。：；（）！？、《》", ",.:;()!?,<>")


# ---- the check ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> DataDir:
    """A data folder whose corpus is two bundled documents (the others marked removed)."""
    store = DataDir(tmp_path_factory.mktemp("small") / "data")
    store.sources.mkdir(parents=True)
    others = tuple(m.file for m in load_manifest(bundled_dir()) if m.file not in KEEP)
    commit_manifest(store.sources, SourcesManifest(excluded=others))
    build(store, engines=("tantivy",))
    return store


def round_trip(base: DataDir, name: str, text: str, encoding: str,
               word: str | None = None) -> bool | None:
    """Add `text` (as `name`, in `encoding`) to a copy of `base`: refused with a user error
    and nothing changed, or added equal to a full build, found by `word` (default: the
    file name's stem), and removed back to what it was.  Whether the add was incremental
    (None: refused)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(base.root, root / "data", symlinks=True)
        store = DataDir(root / "data")
        before = store.require_current()
        stats = frozen(before)
        try:
            candidate = ingest.read_candidate(text.encode(encoding), LIMIT, name=name)
            result = ingest.add_document(store, candidate)
        except (UnreadableDocument, ingest.DuplicateDocument) as refused:
            assert ingest.http_status(refused) < 500 and str(refused).strip()
            assert store.require_current() == before           # nothing changed
            return None
        assert result.status == "added", result
        now = store.require_current()
        incremental = Generation(now).meta.get("update", {}).get("incremental", False)
        if not incremental:
            stats = frozen(now)           # a full build instead: its own statistics
        # the reference is indexed for whoosh, the add for tantivy: same hits, own ranking
        assert_same(now, reference(store, stats, root / "ref"), ranking=False)
        gen = Generation(now)
        mine = [p for p in gen.provisions if p["doc"] == result.file]
        assert gen.searcher.search(f"doc:{result.file} *").total == len(mine) > 0
        word = word or Path(name).stem
        if any(word in p["text"] for p in mine):   # (a word only in the title finds nothing)
            found = gen.searcher.search(word, page_size=50)
            assert any(h.doc == result.file for h in found.hits), (word, found.total)
        ingest.remove_document(store, result.file)
        back = store.require_current()
        assert_same(back, before if incremental else reference(store, stats, root / "back"),
                    ranking=False)
        return incremental


NOTICE = "关于做好暑期校园安全工作的通知\n各技工院校：\n请于7月10日前完成校舍安全检查。\n特此通知。\n"


def test_a_short_notice_without_citation_or_number_adds(small_store):
    """The crash of issue 14: no 《》 and no 文号 left the add without the document's
    citation part (KeyError in the citation pass; a 500 over HTTP)."""
    round_trip(small_store, "安全.txt", NOTICE, "utf-8", word="暑期校园安全")


def test_a_plan_of_a_new_province_is_added_incrementally(small_store):
    """The line of a plan the gazetteer knows (东莞市 → 广东省) does not depend on which
    provinces the corpus has: a first 浙江 plan needs no full build."""
    text = "浙江省技能提升工作方案\n浙人社发〔2022〕160号\n一、主要任务\n（一）" + SENTENCES[-1] + "\n"
    assert round_trip(small_store, "浙江.txt", text, "utf-8", word="学籍注册通道") is True


def test_a_document_of_unknown_level_follows_the_national_plan_in_and_out(small_store, tmp_path):
    """A plan whose level the text does not settle takes up the national plan; taking the
    national plan out and putting it back realigns it, each time equal to a full build."""
    store = DataDir(tmp_path / "data")
    shutil.copytree(small_store.root, store.root, symlinks=True)
    stats = frozen(store.require_current())
    text = "技工教育提质工作方案\n一、主要任务\n（一）推行学徒制。" + SENTENCES[-1] + "\n（二）加强师资。\n"
    added = ingest.add_document(store, ingest.read_candidate(text.encode(), LIMIT, name="x.txt"))
    assert added.inferred.meta.level is None

    def sources() -> set[str]:
        return {r["higher_doc"] for r in Generation(store.require_current()).graph_rows(
            "alignments") if r["lower_doc"] == added.file}

    assert sources() == {NATIONAL}
    assert_same(store.require_current(), reference(store, stats, tmp_path / "r1"), ranking=False)
    ingest.remove_document(store, NATIONAL)
    assert sources() == set()
    assert_same(store.require_current(), reference(store, stats, tmp_path / "r2"), ranking=False)
    national = bundled_dir() / NATIONAL
    ingest.add_document(store, ingest.read_candidate(national, LIMIT))
    assert sources() == {NATIONAL}
    assert_same(store.require_current(), reference(store, stats, tmp_path / "r3"), ranking=False)


@settings(max_examples=4, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(doc=documents(), encoding=st.sampled_from(["utf-8", "gb18030"]))
def test_any_document_adds_searches_and_removes_cleanly(small_store, doc, encoding):
    round_trip(small_store, *doc, encoding)


@pytest.mark.slow
@pytest.mark.timeout(1800)      # beyond the suite's per-test timeout: a kill loop, a load run
@settings(max_examples=80, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(doc=documents(), encoding=st.sampled_from(["utf-8", "gb18030"]))
def test_any_document_adds_searches_and_removes_cleanly_deep(small_store, doc, encoding):
    round_trip(small_store, *doc, encoding)
