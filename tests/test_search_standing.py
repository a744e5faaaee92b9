"""A provision's standing (indexer.standing) and what search does with it, sorting by date,
the document-year and issuer facets and filters — in both engines, over three small
notices written for these tests (tests/fixtures/standing/): a provincial notice co-issued
by two bodies with a signature, a colophon and an annex of application papers and a form;
a municipal notice with a salutation and a task table; an undated draft."""
from __future__ import annotations

from pathlib import Path

import pytest

from policykg.corpus.records import DocumentMeta, Provision
from policykg.corpus.segment import segment_document
from policykg.corpus.tokenize import Tokenizer, domain_terms
from policykg.indexer.index import build_index
from policykg.indexer.search import Searcher
from policykg.indexer.standing import standing
from policykg.ontology.graph import empty_facts

FIXTURES = Path(__file__).parent / "fixtures" / "standing"
QC_HRSS, QC_EDU = "青川省人力资源和社会保障厅", "青川省教育厅"
BS_HRSS = "白石市人力资源和社会保障局"
METAS = [
    DocumentMeta(file="province_2022.txt", title="青川省技工院校办学能力提升方案",
                 number="青人社发〔2022〕12号", issuers=(QC_HRSS, QC_EDU), issuer=QC_HRSS,
                 level="provincial", region="青川省", date="2022-06-01"),
    DocumentMeta(file="city_2023.txt", title="白石市人力资源和社会保障局关于做好2023年技工院校招生工作的通知",
                 number="白人社函〔2023〕5号", issuer=BS_HRSS, level="municipal",
                 region="白石市", date="2023-03-10"),
    DocumentMeta(file="draft_undated.txt", title="青川省学制技师培养改革试点工作方案（征求意见稿）",
                 issuer=QC_HRSS, level="provincial", region="青川省", status="draft"),
]
ENGINES = ["whoosh", "tantivy"]


def load_docs():
    return [segment_document((FIXTURES / m.file).read_text(encoding="utf-8"), m) for m in METAS]


def find(docs, file: str, starts: str) -> Provision:
    """The provision of `file` whose own text starts with `starts`."""
    for d in docs:
        for p in d.provisions:
            if d.file == file and p.own_text.startswith(starts):
                return p
    raise KeyError(starts)


def role(docs, file: str, starts: str) -> str:
    doc = next(d for d in docs if d.file == file)
    return standing(find(docs, file, starts), doc.by_id()).role


@pytest.fixture(scope="module")
def docs():
    return load_docs()


@pytest.fixture(scope="module")
def engines(tmp_path_factory, docs):
    """engine name → searcher, both over one index of the fixtures."""
    tantivy_engine = pytest.importorskip("policykg.indexer.tantivy_engine")
    if not tantivy_engine.available():
        pytest.skip("tantivy is not installed")
    folder = tmp_path_factory.mktemp("gen")
    texts = [p.own_text for d in docs for p in d.provisions]
    tokenizer = Tokenizer.shared(domain_terms(texts, [m.title for m in METAS]))
    mirror = tantivy_engine.TantivyMirror.create(folder / tantivy_engine.TINDEX_DIR)
    facts = {find(docs, "province_2022.txt", "（一）扩大").id:
             {**empty_facts(), "departments": {"lead": [QC_HRSS], "participants": [QC_EDU]}}}
    build_index(folder / "index", docs, tokenizer, facts, {}, mirror=mirror)
    documents = [{**m.to_dict(), "key": m.key} for m in METAS]
    return {"whoosh": Searcher.open(folder, tokenizer, documents),
            "tantivy": tantivy_engine.TantivySearcher.open(folder, tokenizer, documents)}


def rank_of(result, pid: str) -> int:
    return next(h.rank for h in result.hits if h.id == pid)


# ---- standing: roles from kind, position and shape -------------------------------------------

@pytest.mark.parametrize("file, starts, expected", [
    ("province_2022.txt", "青川省人力资源和社会保障厅\n", "cover"),      # the notice
    ("province_2022.txt", "为提升全省", "preamble"),
    ("province_2022.txt", "一、重点任务", "signpost"),
    ("province_2022.txt", "（一）扩大学制技师培养", "body"),
    ("province_2022.txt", "附件：学制技师培养试点申报材料", "furniture"),   # list of annexes
    ("province_2022.txt", "青川省人力资源和社会保障厅 青川省教育厅", "furniture"),   # signature
    ("province_2022.txt", "2022年6月1日", "furniture"),
    ("province_2022.txt", "抄送：", "furniture"),
    ("province_2022.txt", "青川省人力资源和社会保障厅办公室2022年6月2日印发", "furniture"),
    ("province_2022.txt", "1.学制技师培养试点申请表", "form"),           # under 申报材料清单
    ("province_2022.txt", "学校名称", "form"),                           # header of form fields
    ("province_2022.txt", "（盖章）", "form"),                           # its row
    ("city_2023.txt", "白人社函〔2023〕5号", "furniture"),               # 文号 on its own line
    ("city_2023.txt", "各镇人民政府", "furniture"),                       # salutation
    ("city_2023.txt", "为做好今年", "preamble"),                          # …通知如下：
    ("city_2023.txt", "推行春秋两季招生", "body"),
    ("city_2023.txt", "1\t扩大招生规模", "evidence"),    # a task row restating 一、扩大招生规模
    ("city_2023.txt", "2\t做好招生宣传", "annex"),        # a task row of its own
    ("draft_undated.txt", "1.青川技师学院", "label"),                     # a name in an annex list
])
def test_each_provision_stands_by_its_kind_position_and_shape(docs, file, starts, expected):
    assert role(docs, file, starts) == expected


def test_weights_put_substance_first():
    from policykg.indexer.standing import LOWEST, WEIGHTS
    assert WEIGHTS["body"] == 1.0 and LOWEST == WEIGHTS["furniture"] > 0
    assert WEIGHTS["body"] > WEIGHTS["preamble"] > WEIGHTS["annex"] > WEIGHTS["evidence"] \
        > WEIGHTS["signpost"] > WEIGHTS["form"] > WEIGHTS["furniture"]


def test_the_tantivy_scale_holds_the_lowest_standing():
    tantivy_engine = pytest.importorskip("policykg.indexer.tantivy_engine")
    from policykg.indexer.standing import LOWEST
    assert LOWEST * tantivy_engine.PRIOR_SCALE >= 1.0      # tantivy never weighs below 1


# ---- ranking ---------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_a_signature_and_the_colophon_rank_below_the_provision_that_names_the_body(
        docs, engines, engine):
    result = engines[engine].search(QC_HRSS, page_size=50)
    body = find(docs, "province_2022.txt", "（一）扩大学制技师培养").id
    assert result.hits[0].id == body
    for line in ("青川省人力资源和社会保障厅 青川省教育厅", "青川省人力资源和社会保障厅办公室",
                 "青川省人力资源和社会保障厅\n"):
        assert rank_of(result, find(docs, "province_2022.txt", line).id) > rank_of(result, body)


@pytest.mark.parametrize("engine", ENGINES)
def test_annex_forms_rank_below_the_provision_that_says_it(docs, engines, engine):
    result = engines[engine].search("学制技师 doc:province_2022", page_size=50)
    body = rank_of(result, find(docs, "province_2022.txt", "（一）扩大学制技师培养").id)
    forms = [h for h in result.hits if role_of(docs, h.id) == "form"]
    assert forms and body == 1
    assert all(h.rank > body for h in forms)


def role_of(docs, pid: str) -> str:
    by_id = next(d.by_id() for d in docs if any(p.id == pid for p in d.provisions))
    return standing(by_id[pid], by_id).role


@pytest.mark.parametrize("engine", ENGINES)
def test_furniture_is_still_found(docs, engines, engine):
    result = engines[engine].search('"2022年6月2日印发"')
    assert [h.id for h in result.hits] == [
        find(docs, "province_2022.txt", "青川省人力资源和社会保障厅办公室").id]


# ---- every hit names its document's 文号 and date --------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_every_hit_carries_its_documents_number_and_date(engines, engine):
    hits = engines[engine].search("学制技师", page_size=50).to_dict()["hits"]
    by_doc = {m.file: m for m in METAS}
    assert {h["doc"] for h in hits} == set(by_doc)
    for h in hits:
        meta = by_doc[h["doc"]]
        assert h["doc_number"] == (meta.number or "") and h["doc_date"] == (meta.date or "")


# ---- sort by date ------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_sort_by_date_puts_the_newest_document_first_then_relevance(engines, engine):
    searcher = engines[engine]
    by_date = searcher.search("学制技师", page_size=50, sort="date")
    assert by_date.sort == "date" and by_date.to_dict()["sort"] == "date"
    order = [h.doc for h in by_date.hits]
    # one run per document: newest first, the undated draft last
    assert list(dict.fromkeys(order)) == ["city_2023.txt", "province_2022.txt",
                                          "draft_undated.txt"]
    assert order == sorted(order, key=["city_2023.txt", "province_2022.txt",
                                       "draft_undated.txt"].index)
    for doc in set(order):            # within a document: by relevance
        run = [h for h in by_date.hits if h.doc == doc]
        assert [h.score for h in run] == sorted((h.score for h in run), reverse=True)
        own = searcher.search(f"学制技师 doc:{doc}", page_size=50)
        assert {h.id: h.score for h in run} == {h.id: h.score for h in own.hits}
    assert by_date.total == searcher.search("学制技师", page_size=50).total


@pytest.mark.parametrize("engine", ENGINES)
def test_pages_sorted_by_date_cut_one_order(engines, engine):
    searcher = engines[engine]
    everything = [h.id for h in searcher.search("学制技师", page_size=50, sort="date").hits]
    pages = [[h.id for h in searcher.search("学制技师", page=n, page_size=3, sort="date").hits]
             for n in range(1, 12)]
    assert [i for page in pages for i in page] == everything
    third = searcher.search("学制技师", page=3, page_size=3, sort="date")
    assert [h.rank for h in third.hits] == [7, 8, 9][:len(third.hits)]


def test_both_engines_sort_by_date_alike(engines):
    for q in ["学制技师", "招生", "技工院校", "* level:provincial", "青川省"]:
        a, b = (engines[e].search(q, page_size=50, sort="date") for e in ENGINES)
        assert [h.doc for h in a.hits] == [h.doc for h in b.hits], q
        assert {h.id for h in a.hits} == {h.id for h in b.hits}, q


@pytest.mark.parametrize("engine", ENGINES)
def test_an_unknown_sort_is_relevance_with_a_note(engines, engine):
    result = engines[engine].search("学制技师", sort="popularity")
    assert result.sort == "relevance" and any("排序" in n.reason for n in result.ignored)
    assert [h.id for h in result.hits] == [h.id for h in engines[engine].search("学制技师").hits]


# ---- the year and issuer facets, and their filters ------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_the_year_and_issuer_facets_count_the_hits_by_their_document(engines, engine):
    result = engines[engine].search("学制技师", page_size=50)
    assert result.total == len(result.hits)
    metas = {m.file: m for m in METAS}
    years: dict[str, int] = {}
    issuers: dict[str, int] = {}
    for h in result.hits:
        meta = metas[h.doc]
        if meta.date:
            years[meta.date[:4]] = years.get(meta.date[:4], 0) + 1
        for name in meta.issuers:                 # a co-issued document counts under each
            issuers[name] = issuers.get(name, 0) + 1
    facets = result.to_dict()["facets"]
    assert {v["value"]: v["count"] for v in facets["date"]} == years
    assert [v["value"] for v in facets["date"]] == sorted(years, reverse=True)   # newest first
    assert facets["date"][0]["label"] == "2023年"
    assert {v["value"]: v["count"] for v in facets["issuer"]} == issuers
    assert issuers[QC_EDU] < issuers[QC_HRSS]        # the draft is the 人社厅's alone
    assert list(facets)[:3] == ["level", "date", "issuer"]


def test_both_engines_count_the_document_facets_alike(engines):
    for q in ["学制技师", "招生", "*", "技工 -level:municipal", "issuer:青川省教育厅 *"]:
        a, b = (engines[e].search(q, page_size=5) for e in ENGINES)
        assert a.total == b.total, q
        assert {k: [(v.value, v.count) for v in vs] for k, vs in a.facets.items()} \
            == {k: [(v.value, v.count) for v in vs] for k, vs in b.facets.items()}, q


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("query, files", [
    ("* issuer:青川省教育厅", {"province_2022.txt"}),                 # a co-issuer
    (f"* 发文机关:{QC_HRSS}", {"province_2022.txt", "draft_undated.txt"}),
    ("* issuer:白石市人力资源", {"city_2023.txt"}),                    # part of the name
    ("* issuer:省人社厅", {"province_2022.txt", "draft_undated.txt"}),  # its short form
    ("* date:2023", {"city_2023.txt"}),
    ("* 发文年份:2021-2022", {"province_2022.txt"}),
    ("* -date:2023", {"province_2022.txt", "draft_undated.txt"}),
    ("学制技师 issuer:白石市人力资源和社会保障局 date:2023", {"city_2023.txt"}),
])
def test_issuer_and_date_filters_select_documents(engines, engine, query, files):
    result = engines[engine].search(query, page_size=100)
    assert result.total and {h.doc for h in result.hits} == files, query
    assert not result.ignored


@pytest.mark.parametrize("engine", ENGINES)
def test_a_year_or_issuer_without_documents_says_so(engines, engine):
    result = engines[engine].search("学制技师 date:1999")
    assert result.total == 0 and "没有这一年的文件" in result.ignored[0].reason
    result = engines[engine].search("学制技师 issuer:火星局")
    assert result.total == 0 and "火星局" in result.ignored[0].text


@pytest.mark.parametrize("engine", ENGINES)
def test_the_year_filter_is_still_the_target_year(engines, engine):
    """`year:` (a provision's target year or a year it names) and `date:` (its
    document's year) are different filters: of the 2023 notice only its date line
    names 2023."""
    city = next(d for d in load_docs() if d.file == "city_2023.txt")
    named = engines[engine].search("* year:2023", page_size=50)
    assert [h.id for h in named.hits] == [find([city], city.file, "2023年3月10日").id]
    dated = engines[engine].search("* date:2023", page_size=50)
    assert {h.id for h in dated.hits} == {p.id for p in city.provisions}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_filter_adds_nothing_to_a_score(engines, engine):
    """Filters allow, they do not rank: a provision scores the same with or without one
    (whoosh's ConstantScoreQuery(q, 0.0) used to add 1 × its standing)."""
    plain = {h.id: h.score for h in engines[engine].search("学制技师", page_size=50).hits}
    for filtered in ("学制技师 doc:city_2023", "学制技师 level:provincial", "学制技师 date:2022",
                     "学制技师 issuer:青川省教育厅"):
        hits = engines[engine].search(filtered, page_size=50).hits
        assert hits and all(h.score == plain[h.id] for h in hits), filtered


def test_the_command_line_lists_each_hits_document_number_and_date(engines):
    from policykg.indexer.results import render_text
    lines = render_text(engines["tantivy"].search("学制技师", page_size=50, sort="date"))
    assert "newest document first" in lines[0]
    assert any("白人社函〔2023〕5号 · 2023-03-10" in line for line in lines)
    assert any("无文号 · 日期不详" in line for line in lines)        # the undated draft
    assert any(line.startswith("  date: 2023年") for line in lines)
