"""The tantivy engine (indexer.tantivy_engine) against whoosh on the bundled corpus: the
same query language, the same matches, totals and facet counts; the ranking is BM25
instead of BM25F, so only its head is compared loosely.  An add keeps both in step."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("tantivy")

from policykg.pipeline import ingest  # noqa: E402
from policykg.pipeline.generation import Generation  # noqa: E402
from policykg.pipeline.datadir import DataDir  # noqa: E402
from policykg.indexer.tantivy_engine import TINDEX_DIR, TantivySearcher
from policykg.indexer.engines import open_searcher  # noqa: E402
from policykg.indexer.search import Searcher  # noqa: E402
from ingest_formats import PLAN  # noqa: E402

QUERIES = [
    # terms, several words, AND
    "学制技师", "技师学院", "校企双制", "产教融合", "就业率", "技工院校 招生", "师资 培训",
    "就业 市", "学制 技师",
    # phrases
    '"职业技能等级认定"', '"一体化课程"', '"技师学院纳入高等学校"',
    # OR and exclusion
    "学制技师 OR 预备技师", "技师学院 OR 技工学校 招生", "技师学院 -东莞", "技工 NOT 学校",
    # every filter, negated filters, "*"
    "level:municipal 就业率", "level:provincial,national 技师", "-level:national 技师",
    "kind:box 计划", "kind:item,table_row 牵头", "year:2025 在校生", "year:2021-2025 目标",
    "dept:市人社局", "dept:省教育厅 专业", '"就业率" dept:市人社局', "doc:001 技能",
    "doc:东莞 校企", "* level:county", "*",
    # a document's title completes a match; nothing matches; nothing to search
    "校企双制 东莞", "江门 学徒制", "粤菜烹饪大师", "dept:不存在的部门 技师", "！！",
]


def facets(result) -> dict:
    return {k: [(v.value, v.count) for v in vs] for k, vs in result.facets.items()}


def both(folder: Path):
    gen = Generation(folder)
    return (open_searcher(folder, gen.tokenizer, gen.documents, "whoosh"),
            open_searcher(folder, gen.tokenizer, gen.documents, "tantivy"))


def assert_equal_matches(folder: Path, queries=QUERIES) -> None:
    whoosh, tantivy = both(folder)
    assert type(whoosh) is Searcher and isinstance(tantivy, TantivySearcher)
    for q in queries:
        a, b = whoosh.search(q, page_size=100), tantivy.search(q, page_size=100)
        assert a.total == b.total, q
        assert facets(a) == facets(b), q
        assert a.interpreted == b.interpreted and a.ignored == b.ignored, q
        if a.total <= 100:                     # every hit on the page: the same set
            assert {h.id for h in a.hits} == {h.id for h in b.hits}, q


def test_tantivy_matches_whoosh_on_the_bundled_corpus(built):
    _, gen = built
    assert (gen.folder / TINDEX_DIR / "meta.json").is_file()
    assert_equal_matches(gen.folder)


def test_the_ranking_heads_agree(built):
    """Both rank with BM25 (whoosh's BM25F weights per field, tantivy's plain), the same
    field boosts and priors: the first pages overlap strongly."""
    whoosh, tantivy = both(built[1].folder)
    overlaps = []
    for q in QUERIES:
        a, b = whoosh.search(q, page_size=10), tantivy.search(q, page_size=10)
        if a.total >= 10:
            overlaps.append(len({h.id for h in a.hits} & {h.id for h in b.hits}) / 10)
    assert sum(overlaps) / len(overlaps) >= 0.7, overlaps


def test_a_tantivy_result_has_what_a_whoosh_result_has(built):
    _, tantivy = both(built[1].folder)
    result = tantivy.search("校企双制", page_size=3)
    d = result.to_dict()
    assert d["total"] > 3 and len(d["hits"]) == 3 and d["pages"] > 1
    hit = d["hits"][0]
    assert "<mark>" in hit["snippet"] and hit["doc_title"] and hit["breadcrumb"] is not None
    assert [h["rank"] for h in d["hits"]] == [1, 2, 3]
    page2 = tantivy.search("校企双制", page=2, page_size=3)
    assert not {h.id for h in page2.hits} & {h.id for h in result.hits}
    assert [h.rank for h in page2.hits] == [4, 5, 6]


def test_the_engine_is_a_setting(built, monkeypatch):
    _, gen = built
    # tantivy by default, as Settings says; whoosh when asked
    assert isinstance(Generation(gen.folder).searcher, TantivySearcher)
    assert type(Generation(gen.folder, engine="whoosh").searcher) is Searcher
    with pytest.raises(ValueError):
        Generation(gen.folder, engine="lucene").searcher
    from policykg.web.settings import Settings
    monkeypatch.setenv("POLICYKG_ENGINE", "tantivy")
    assert Settings.from_env(data_dir=gen.folder).search_engine == "tantivy"
    monkeypatch.setenv("POLICYKG_ENGINE", "lucene")
    with pytest.raises(ValueError):
        Settings.from_env(data_dir=gen.folder)


def test_the_request_cache_is_a_setting(built, monkeypatch):
    """POLICYKG_SEARCH_CACHE sizes each searcher's request cache; 0 keeps nothing and
    answers the same."""
    _, gen = built
    from policykg.web.settings import Settings
    monkeypatch.setenv("POLICYKG_SEARCH_CACHE", "0")
    settings = Settings.from_env(data_dir=gen.folder)
    assert settings.search_cache == 0
    off = Generation(gen.folder, engine="tantivy", search_cache=settings.search_cache).searcher
    on = Generation(gen.folder, engine="tantivy").searcher
    for _ in range(2):
        assert off.search("校企双制").to_dict() == on.search("校企双制").to_dict()
    assert off.cache_info().currsize == 0
    assert on.cache_info().hits == 1 and on.cache_info().maxsize == Settings(data_dir=gen.folder).search_cache
    monkeypatch.setenv("POLICYKG_SEARCH_CACHE", "-1")
    with pytest.raises(ValueError):
        Settings.from_env(data_dir=gen.folder)


def test_what_a_query_keeps_answers_as_a_fresh_search(built):
    """The request cache keeps a query's facets as shown, the order of its first hits and
    its latest pages of hits (tantivy_engine._Prepared): asked in any order — another
    page, another size, by date, back to the first — the answers are a fresh search's."""
    _, gen = built
    on = Generation(gen.folder, engine="tantivy").searcher
    off = Generation(gen.folder, engine="tantivy", search_cache=0).searcher
    asks = [("技工", None, 1, 10, "relevance"), ("技工", None, 2, 10, "relevance"),
            ("技工", None, 1, 3, "relevance"), ("技工", None, 1, 10, "date"),
            ("技工", {"level": "provincial"}, 1, 10, "relevance"),
            ("技工", None, 40, 3, "relevance"), ("学制技师 OR 校企双制", None, 2, 2, "relevance"),
            ("技工", None, 1, 10, "relevance"), ("-技工 学院", None, 1, 10, "relevance")]
    for text, filters, page, size, sort in asks + asks[::-1]:
        got = on.search(text, filters, page=page, page_size=size, sort=sort).to_dict()
        assert got == off.search(text, filters, page=page, page_size=size, sort=sort).to_dict()
    assert on.cache_info().hits >= len(asks)


def test_a_generation_without_tantivy_index_is_searched_with_whoosh(built, tmp_path):
    folder = tmp_path / "gen"
    shutil.copytree(built[1].folder, folder, ignore=shutil.ignore_patterns(TINDEX_DIR))
    assert type(Generation(folder, engine="tantivy").searcher) is Searcher


def _files(folder: Path) -> dict[str, tuple[str, int]]:
    out = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            out[str(path.relative_to(folder))] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                                                  path.stat().st_ino)
    return out


def test_an_add_and_a_remove_keep_tantivy_in_step(built, tmp_path):
    shutil.copytree(built[0].root, tmp_path / "data", symlinks=True)
    store = DataDir(tmp_path / "data")
    base = store.require_current()
    before = _files(base / TINDEX_DIR)
    added = ingest.add_document(store, ingest.read_candidate(PLAN.encode("utf-8"), 20 << 20,
                                                              name="江门方案.txt"))
    assert added.status == "added"
    new = store.require_current()
    assert new != base and (new / TINDEX_DIR / "meta.json").is_file()
    assert _files(base / TINDEX_DIR) == before          # the old generation is untouched
    assert_equal_matches(new, QUERIES + ["江门", "开平 技工"])
    _, tantivy = both(new)
    assert tantivy.search("江门 学徒制").total > both(base)[1].search("江门 学徒制").total
    ingest.remove_document(store, added.file)
    assert_equal_matches(store.require_current(), QUERIES + ["江门"])


def test_one_tantivy_searcher_serves_many_threads(built):
    from concurrent.futures import ThreadPoolExecutor
    _, tantivy = both(built[1].folder)
    alone = {q: [h.id for h in tantivy.search(q).hits] for q in QUERIES}
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda q: (q, [h.id for h in tantivy.search(q).hits]),
                                 QUERIES * 4))
    assert all(alone[q] == ids for q, ids in together)


def test_random_query_strings_match_alike(built):
    """Any string: neither engine raises, and both find the same provisions."""
    import random
    rng = random.Random(7)
    alphabet = (list("技工院校学制技师就业率市省县东莞广东 \"“”-*?:|，。、ab1２Ａ\t")
                + ["OR", "NOT", "level:", "dept:", "doc:", "year:2021-2025", "kind:box", "*"])
    queries = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
               for _ in range(300)]
    whoosh, tantivy = both(built[1].folder)
    for q in queries:
        a, b = whoosh.search(q), tantivy.search(q)
        assert (a.total, facets(a)) == (b.total, facets(b)), q


def test_the_top_facet_values_are_whooshs_when_values_are_cut(built):
    """Fewer values listed than there are: the same ones, ties broken alike."""
    from policykg.indexer.results import SearchOptions
    whoosh, tantivy = both(built[1].folder)
    for size in (1, 2, 3):
        options = SearchOptions(facet_size=size)
        for q in ["*", "技工", "技师", "kind:item,section,table_row *", "就业 市"]:
            a, b = whoosh.search(q, options=options), tantivy.search(q, options=options)
            assert facets(a) == facets(b), (q, size)


def test_a_tantivy_only_build_has_no_whoosh_index_and_an_add_keeps_it_so(built, tmp_path):
    from policykg.pipeline.build import build
    from policykg.indexer.engines import engines_of
    from policykg.pipeline.datadir import NotBuilt
    store = DataDir(tmp_path / "data")
    build(store, engines=("tantivy",))
    base = store.require_current()
    assert engines_of(base) == ("tantivy",)
    assert isinstance(Generation(base).searcher, TantivySearcher)      # what it has
    with pytest.raises(NotBuilt, match="tantivy only"):
        Generation(base, engine="whoosh").searcher
    full = Generation(built[1].folder, engine="tantivy").searcher
    assert Generation(base).searcher.search("技师学院").total == full.search("技师学院").total
    added = ingest.add_document(store, ingest.read_candidate(PLAN.encode("utf-8"), 20 << 20,
                                                              name="江门方案.txt"))
    new = store.require_current()
    assert added.status == "added" and new != base and engines_of(new) == ("tantivy",)
    assert Generation(new).searcher.search("江门 学徒制").total \
        > Generation(base).searcher.search("江门 学徒制").total


def test_documents_and_departments_are_counted_by_code_as_by_text(built):
    """A build indexes documents and departments as u64 codes too (format ≥ 2); facets
    counted over the codes and named from the catalog are the facets counted over the
    text fields, for every facet size (cuts among ties included)."""
    from policykg.indexer.results import SearchOptions
    from policykg.indexer.tantivy_engine import TINDEX_FORMAT, index_format
    assert index_format(built[1].folder / TINDEX_DIR) == TINDEX_FORMAT
    _, coded = both(built[1].folder)
    assert set(coded._codes) == {"doc", "dept"}
    plain = TantivySearcher(coded.index, coded.context)         # no code tables: text
    for size in (1, 2, 3, 30):
        options = SearchOptions(facet_size=size)
        for q in QUERIES:
            assert coded.search(q, options=options).to_dict() \
                == plain.search(q, options=options).to_dict(), (q, size)


def test_a_code_the_catalog_does_not_name_is_counted_over_text(built):
    from policykg.indexer.tantivy_engine import facet_code
    _, coded = both(built[1].folder)
    busiest = coded.search("*").facets["dept"][0].value
    codes = {name: dict(table) for name, table in coded._codes.items()}
    del codes["dept"][facet_code(busiest)]
    partial = TantivySearcher(coded.index, coded.context, codes)
    for q in ["*", "技工", "技师学院", "就业 市"]:
        assert partial.search(q).to_dict() == coded.search(q).to_dict(), q


def test_values_that_share_a_code_get_no_table(monkeypatch):
    from policykg.indexer import tantivy_engine as te
    assert te.code_table(["甲", "乙", "甲"]) == {te.facet_code("甲"): "甲", te.facet_code("乙"): "乙"}
    monkeypatch.setattr(te, "facet_code", lambda value: 7)
    assert te.code_table(["甲", "乙"]) is None


def test_an_index_of_another_format_asks_for_a_rebuild(built, tmp_path):
    """One index format is read: an older one (format 1 had no format file), a newer one
    or an unreadable one is refused with what to do, never searched on its old terms."""
    from policykg.pipeline.datadir import NotBuilt
    from policykg.indexer.tantivy_engine import FORMAT_FILE
    for content in (None, '{"format": 1}', '{"format": 99}', "not json"):
        folder = tmp_path / f"gen-{len(str(content))}"
        shutil.copytree(built[1].folder, folder)
        path = folder / TINDEX_DIR / FORMAT_FILE
        path.unlink()
        if content is not None:
            path.write_text(content, encoding="utf-8")
        with pytest.raises(NotBuilt, match="policykg build"):
            Generation(folder, engine="tantivy").searcher
