"""Search over a small fixture corpus: recall, specific hits, ranking, filters, facets, pages,
snippets.  The index is built directly (indexer.index.build_index) with hand-written graph
facts, so these tests do not depend on the graph stage; test_search_build runs it whole."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from policykg.corpus.records import DocumentMeta
from policykg.corpus.segment import segment_document
from policykg.corpus.tokenize import Tokenizer, domain_terms
from policykg.indexer.index import build_index
from policykg.indexer.analysis import units
from policykg.indexer.search import Searcher
from policykg.indexer.results import SearchOptions, make_snippet, match_spans
from policykg.ontology.graph import empty_facts

FIXTURES = Path(__file__).parent / "fixtures" / "search"
METAS = [
    DocumentMeta(file="national.txt", title="技工教育发展规划", issuer="人力资源社会保障部",
                 level="national", region="全国"),
    DocumentMeta(file="provincial.txt", title="某省技工教育高质量发展规划",
                 issuer="广东省人力资源和社会保障厅", level="provincial", region="广东省"),
    DocumentMeta(file="municipal.txt", title="东莞市深化产教融合实施方案",
                 issuer="东莞市人力资源和社会保障局", level="municipal", region="东莞市"),
]
DG_HRSS = "东莞市人力资源和社会保障局"
ALIASES = {DG_HRSS: ["东莞市人社局", "市人力资源社会保障局"], "东莞市教育局": ["市教育局"],
           "广东省人力资源和社会保障厅": ["省人社厅"]}


def load_docs():
    return [segment_document((FIXTURES / m.file).read_text(encoding="utf-8"), m) for m in METAS]


def pid(docs, file: str, heading: str) -> str:
    """A provision's id by its document and heading (ids depend on document keys)."""
    for d in docs:
        for p in d.provisions:
            if d.file == file and p.heading == heading:
                return p.id
    raise KeyError(heading)


def hand_facts(docs) -> dict:
    """What the graph stage would say about the fixture provisions."""
    def depts(lead, participants=()):
        return {**empty_facts(), "departments": {"lead": list(lead), "participants": list(participants)}}
    m, p = "municipal.txt", "provincial.txt"
    return {
        pid(docs, m, "加强党的建设"): depts([DG_HRSS]),
        pid(docs, m, "完善投入机制"): depts([DG_HRSS], ["东莞市财政局"]),
        pid(docs, m, "建立校企融合制度"): depts([DG_HRSS], ["东莞市教育局"]),
        pid(docs, m, "做强技能人才培养"): depts(["东莞市教育局"]),
        pid(docs, p, "实施校企双制办学"): depts(["广东省人力资源和社会保障厅"], ["广东省教育厅"]),
        pid(docs, p, "毕业生初次就业率（%）"): {**empty_facts(), "targets": [
            {"indicator": "毕业生初次就业率", "target": {"value": 98, "comparator": ">=", "year": 2031},
             "baseline": {"value": 96, "year": 2020}}]},
    }


def build_world(folder: Path):
    """(Searcher, documents, tokenizer) over the fixture corpus indexed into `folder`."""
    docs = load_docs()
    texts = [p.own_text for d in docs for p in d.provisions]
    # Two words the bundled corpus's dictionary also has: jieba keeps them whole, so
    # the shorter terms inside them are not words of those sentences.
    tokenizer = Tokenizer.shared(domain_terms(texts, [m.title for m in METAS])
                                 + ["高水平技师学院", "学籍注册系统"])
    build_index(folder / "index", docs, tokenizer, hand_facts(docs), ALIASES)
    documents = [{**m.to_dict(), "key": m.key} for m in METAS]
    return Searcher.open(folder, tokenizer, documents), docs, tokenizer


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("gen"))


def ids(result) -> list[str]:
    return [h.id for h in result.hits]


def search(world, text, **kw):
    kw.setdefault("page_size", 100)
    return world[0].search(text, **kw)


def containing(docs, chars: str) -> set[str]:
    """Provisions whose own text, heading or breadcrumb contains `chars` (units compared)."""
    want = "".join(u for u, _, _ in units(chars))
    return {p.id for d in docs for p in d.provisions
            if want in "".join(u for u, _, _ in units(p.own_text))}


# ---- recall on short Chinese terms -------------------------------------------------------------

def test_a_term_jieba_cuts_differently_in_the_sentence_is_found(world):
    searcher, docs, tokenizer = world
    sentence = "支持一批高水平技师学院建设"
    assert "技师学院" not in [w for w, _, _ in tokenizer.tokens(sentence, search=True)]
    target = pid(docs, "national.txt", "推进高水平技师学院建设")
    assert target in ids(search(world, "技师学院"))


def test_a_term_inside_a_longer_word_is_found(world):
    searcher, docs, tokenizer = world
    assert "学籍" not in tokenizer.cut("推行全国技工院校学籍注册系统")
    target = pid(docs, "national.txt", "规范学籍管理")          # 学籍注册, 学籍电子化
    assert target in ids(search(world, "学籍"))
    assert target in ids(search(world, "籍注"))               # not a word at all


@pytest.mark.parametrize("chars", ["技师学院", "学籍", "学制技师", "双导师", "校企双制", "就业率",
                                   "产教融合", "实训基地", "初中毕业", "1+1双导师", "98%", "财政",
                                   "学", "市", "2025"])
def test_every_provision_containing_the_characters_is_found(world, chars):
    _, docs, _ = world
    want = containing(docs, chars)
    assert want, chars
    assert want <= set(ids(search(world, chars))), chars
    assert want <= set(ids(search(world, f'"{chars}"'))), chars


def test_every_substring_of_every_provision_finds_it(world):
    """Exhaustive over the fixture: each 2- to 5-character run of a provision's text."""
    searcher, docs, _ = world
    for d in docs:
        for p in d.provisions:
            found = units(p.own_text)
            for n in (2, 3, 5):
                for i in range(0, max(0, len(found) - n + 1), 7):
                    chars = p.own_text[found[i][1]:found[i + n - 1][2]]
                    assert p.id in ids(search(world, f'"{chars}"', page_size=100)), (p.id, chars)


# ---- which provisions are hits -------------------------------------------------------------------

def test_hits_are_the_provisions_that_say_it_not_their_ancestors(world):
    _, docs, _ = world
    result = search(world, "学籍注册")
    item = pid(docs, "national.txt", "规范学籍管理")
    assert ids(result) == [item]
    by_id = {p.id: p for d in docs for p in d.provisions}
    assert by_id[item].parent not in ids(result)


def test_table_rows_are_found_by_their_column_headers_and_box_title(world):
    _, docs, _ = world
    row = pid(docs, "provincial.txt", "技师学院数（所）")
    assert ids(search(world, "主要指标 技师学院"))[0] == row


def test_words_may_stand_in_the_document_title(world):
    _, docs, _ = world
    result = search(world, "校企双制 东莞")
    assert ids(result) == [pid(docs, "municipal.txt", "建立校企融合制度")]


# ---- ranking ---------------------------------------------------------------------------------------

def test_the_exact_phrase_ranks_above_the_same_words_scattered(world):
    _, docs, _ = world
    order = ids(search(world, "学制技师 level:national"))
    together = pid(docs, "national.txt", "完善评价制度")      # 推行学制技师培养
    apart = pid(docs, "national.txt", "加强职业培训")         # 学制与技师培养
    assert order.index(together) < order.index(apart)


def test_a_heading_match_ranks_above_a_body_match(world):
    _, docs, _ = world
    order = ids(search(world, "职业培训"))
    assert order.index(pid(docs, "national.txt", "加强职业培训")) < \
        order.index(pid(docs, "national.txt", "健全培训体系"))


def test_a_chapter_title_ranks_below_the_provision_that_says_it(world):
    _, docs, _ = world
    order = ids(search(world, "发展目标"))
    chapter = pid(docs, "provincial.txt", "发展目标")              # "一、发展目标", a signpost
    section = pid(docs, "national.txt", "发展目标")                # "（一）发展目标" with text
    assert order.index(section) < order.index(chapter)


# ---- OR, NOT, filters ---------------------------------------------------------------------------

def test_or_takes_either_and_not_leaves_out(world):
    _, docs, _ = world
    either = set(ids(search(world, "学籍 OR 财政")))
    assert either == containing(docs, "学籍") | containing(docs, "财政")
    without = set(ids(search(world, "技工院校 -学籍")))
    assert without == containing(docs, "技工院校") - containing(docs, "学籍")
    assert set(ids(search(world, "技工院校 NOT 学籍"))) == without


def test_not_leaves_out_whole_documents_by_title(world):
    result = search(world, "校企双制 -东莞")
    assert result.hits and {h.doc for h in result.hits} == {"provincial.txt"}


def test_level_kind_doc_filters(world):
    assert {h.level for h in search(world, "技工 level:municipal").hits} == {"municipal"}
    assert {h.kind for h in search(world, "技师 kind:table_row").hits} == {"table_row"}
    assert {h.doc for h in search(world, "技师 doc:national").hits} == {"national.txt"}
    assert {h.doc for h in search(world, "产教融合 doc:东莞").hits} == {"municipal.txt"}
    assert {h.level for h in search(world, "技师", filters={"level": "国家"}).hits} == {"national"}
    assert "national" not in {h.level for h in search(world, "技师 -level:national").hits}


def test_year_filter_reads_target_years_and_years_in_the_text(world):
    _, docs, _ = world
    in_text = set(ids(search(world, "year:2025")))
    assert pid(docs, "municipal.txt", "做强技能人才培养") in in_text       # 到2025年
    assert set(ids(search(world, "year:2031"))) == {pid(docs, "provincial.txt", "毕业生初次就业率（%）")}
    assert set(ids(search(world, "year:2030-2032"))) == set(ids(search(world, "year:2031")))


def test_dept_filter_resolves_short_names_and_lists_what_a_department_owns(world):
    _, docs, _ = world
    m = "municipal.txt"
    owned = {pid(docs, m, h) for h in ("加强党的建设", "完善投入机制", "建立校企融合制度")}
    for name in (DG_HRSS, "东莞市人社局", "市人社局", "市人力资源社会保障局"):
        assert set(ids(search(world, f"dept:{name}"))) == owned, name
    assert set(ids(search(world, "dept:市人社局 doc:东莞"))) == owned
    # lead before participant when listing what a department takes part in
    listing = search(world, "dept:市教育局")
    assert ids(listing)[0] == pid(docs, m, "做强技能人才培养")
    assert ids(listing)[1] == pid(docs, m, "建立校企融合制度")
    assert set(ids(search(world, "dept:省人社厅"))) == {pid(docs, "provincial.txt", "实施校企双制办学")}


def test_a_filter_that_matches_nothing_says_so(world):
    result = search(world, "技师 dept:火星局")
    assert result.total == 0 and "火星局" in result.ignored[0].text
    result = search(world, "技师 doc:nothing-here")
    assert result.total == 0 and result.ignored


def test_star_lists_everything_and_empty_lists_nothing(world):
    _, docs, _ = world
    assert search(world, "*").total == sum(len(d.provisions) for d in docs)
    empty = search(world, "   ")
    assert empty.total == 0 and empty.ignored and "没有可检索的内容" in empty.ignored[-1].reason


# ---- facets and pages -------------------------------------------------------------------------

def test_facets_count_the_hits_by_level_document_department_and_kind(world):
    result = search(world, "技工", page_size=100)
    assert result.total == len(result.hits)
    for name, key in (("level", lambda h: [h.level]), ("doc", lambda h: [h.doc]),
                      ("kind", lambda h: [h.kind]),
                      ("dept", lambda h: h.departments["lead"] + h.departments["participants"])):
        expected: dict[str, int] = {}
        for h in result.hits:
            for v in key(h):
                expected[v] = expected.get(v, 0) + 1
        assert {v.value: v.count for v in result.facets[name]} == expected, name
    assert {v.label for v in result.facets["level"]} <= {"国家级", "省级", "市级"}
    assert any(v.label == "东莞市深化产教融合实施方案" for v in result.facets["doc"])


def test_pages_cut_one_order(world):
    everything = ids(search(world, "技工", page_size=100))
    pages = [ids(search(world, "技工", page=n, page_size=3)) for n in range(1, 10)]
    assert [i for page in pages for i in page] == everything
    assert search(world, "技工", page=2, page_size=3).hits[0].rank == 4


def test_page_size_is_capped(world):
    options = SearchOptions(max_page_size=2)
    result = world[0].search("技工", page_size=1000, options=options)
    assert result.page_size == 2 and len(result.hits) == 2


# ---- hits and snippets ---------------------------------------------------------------------------

def test_a_hit_carries_title_breadcrumb_level_and_departments(world):
    _, docs, _ = world
    hit = search(world, "1+1双导师制").hits[0]
    assert hit.id == pid(docs, "municipal.txt", "建立校企融合制度")
    assert hit.doc_title == "东莞市深化产教融合实施方案" and hit.level == "municipal"
    assert [b["heading"] for b in hit.breadcrumb] == ["主要举措", "构建产教融合新格局"]
    assert hit.departments == {"lead": [DG_HRSS], "participants": ["东莞市教育局"]}
    d = hit.to_dict()
    assert {"id", "doc", "heading", "snippet", "score"} <= set(d)


def test_snippets_mark_matches_and_escape_the_text(world):
    hit = search(world, "标记").hits[0]
    html = hit.snippet.html()
    assert "<mark>标记</mark>" in html
    assert "&lt;script&gt;" in html and "<script" not in html
    assert re.sub(r"</?mark>", "", html).count("<") == 0
    script = search(world, "script").hits[0].snippet.html()
    assert "&lt;<mark>script</mark>&gt;" in script


def test_snippet_marks_across_punctuation_and_width():
    text = "全面推广实施“校企双制”技能人才培养模式。推行ＡＢＣ模式"
    assert match_spans(text, ["校企双制技能"]) == [(7, 14)]
    snip = make_snippet(text, ["abc"])
    assert ("ＡＢＣ", True) in snip.parts


def test_snippet_window_goes_to_the_match_in_long_text():
    text = "前言。" * 100 + "这里提到学籍注册。" + "后记。" * 100
    snip = make_snippet(text, ["学籍"], width=60)
    assert snip.clipped_start and snip.clipped_end
    assert "<mark>学籍</mark>" in snip.html()


def test_searcher_from_a_generation_is_lazy_and_shared(built_fixture):
    _, gen = built_fixture
    assert gen.searcher is gen.searcher


# ---- the build stage and the command line -------------------------------------------------------

@pytest.fixture(scope="module")
def built_fixture(tmp_path_factory):
    """The fixture corpus through the whole build (graph stage included)."""
    from policykg.pipeline.build import EXTRA_STAGES, build
    from policykg.pipeline.generation import Generation
    from policykg.pipeline.datadir import DataDir
    names = [n for n, _ in EXTRA_STAGES]
    assert "index" in names and ("graph" not in names or names.index("graph") < names.index("index"))
    store = DataDir(tmp_path_factory.mktemp("data"))
    build(store, docs=load_docs())
    return store, Generation(store.require_current())


def test_the_build_writes_the_index_into_the_generation(built_fixture):
    store, gen = built_fixture
    assert (gen.folder / "index" / "catalog.json").is_file()
    result = gen.searcher.search("校企双制")
    assert {h.doc for h in result.hits} == {"provincial.txt", "municipal.txt"}


def test_cli_search_table_and_json(built_fixture):
    import json
    from click.testing import CliRunner
    from policykg.web.cli import cli
    store, _ = built_fixture
    run = lambda *a: CliRunner().invoke(cli, ["--data", str(store.root), "search", *a],
                                        catch_exceptions=False)
    out = run("校企双制", "-粤菜", "--level", "municipal", "-n", "5")
    assert out.exit_code == 0 and "东莞市深化产教融合实施方案" in out.output
    assert "校企双制 -粤菜 level:municipal — 1 provisions" in out.output
    data = json.loads(run("技师", "学院", "--json", "--limit", "2").output)
    assert set(data) >= {"query", "total", "hits", "facets", "ignored"}
    assert data["query"] == "技师 学院" and len(data["hits"]) <= 2
    assert {"id", "doc", "heading", "snippet", "score"} <= set(data["hits"][0])
    bomb = run("(" * 5000, "--json")
    assert bomb.exit_code == 0 and json.loads(bomb.output)["total"] == 0


def test_eval_scorer_measures_recall_and_mrr(built_fixture):
    from policykg.pipeline.evaluate import score_search
    _, gen = built_fixture
    gold = {"items": [
        {"q": "学籍", "k": 5, "relevant": [{"doc": "national.txt", "contains": "学籍注册系统"}]},
        {"q": "校企双制", "k": 5, "relevant": [{"doc": "municipal.txt", "contains": "1+1双导师制"},
                                              {"doc": "national.txt", "contains": "校企双制"}]},
    ]}
    score = score_search(gen, gold)
    assert score.total == 3 and score.right == 2 and len(score.misses) == 1
    assert score.extra["recall@k"] == pytest.approx((1 + 0.5) / 2)
    assert 0.5 < score.extra["MRR"] <= 1.0


def test_diversify_puts_each_documents_best_hits_first():
    from policykg.indexer.results import diversify
    docs = {1: "A", 2: "A", 3: "A", 4: "A", 5: "B", 6: "C"}
    ranked = [(9.0, 1), (8.0, 2), (7.0, 3), (6.0, 4), (2.0, 5), (1.0, 6)]
    order = [d for _, d in diversify(ranked, docs.get, lambda d: True, per_doc=2)]
    assert order == [1, 2, 5, 6, 3, 4]
    # a hit found only through the headings above it does not move up
    order = [d for _, d in diversify(ranked, docs.get, lambda d: d != 5, per_doc=2)]
    assert order == [1, 2, 6, 3, 4, 5]
    assert diversify(ranked, docs.get, lambda d: True, per_doc=2, window=3)[3:] == ranked[3:]


def test_concurrent_searches_agree_with_sequential_ones(world):
    from concurrent.futures import ThreadPoolExecutor
    searcher = world[0]
    queries = ["技师学院", "学籍 OR 财政", "校企双制 -东莞", "dept:市人社局", "*", "产教融合 level:municipal"]
    expected = {q: ids(searcher.search(q, page_size=50)) for q in queries}
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda q: (q, ids(searcher.search(q, page_size=50))), queries * 5))
    assert all(got == expected[q] for q, got in results)


def test_only_excluded_terms_mean_everything_but_those(world):
    _, docs, _ = world
    everything = {p.id for d in docs for p in d.provisions}
    assert set(ids(search(world, "-学籍"))) == everything - containing(docs, "学籍")
    assert ids(search(world, "-学籍")) == ids(search(world, "* -学籍"))
