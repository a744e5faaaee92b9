"""The fast paths of indexing and search give what whoosh's own paths give.

- GramField / WordsField compute postings without whoosh's analyzers: same terms,
  frequencies, weights and positions as a schema of plain TEXT fields.
- GramPhrase reads whole posting lists (`phrase_postings`): same documents and scores as
  the position-checking `PhraseMatcher`.
- FacetTable counts facets over all matches: same counts as whoosh's FacetCollector.
- WordCache cuts by sentence: same words as cutting the whole text.
"""
from __future__ import annotations

from collections import Counter

import pytest
from whoosh import collectors, fields, query as wq, searching, sorting
from whoosh.analysis import SpaceSeparatedTokenizer

from policykg.indexer import analysis, index as ix_mod
from policykg.indexer.whoosh_query import GramPhrase, PhraseMatcher, phrase_postings
from policykg.indexer.search import FacetTable, Ranking
from policykg.indexer.results import merge_hits
from tests.test_search import build_world, load_docs


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("gen"))


def postings(reader, fieldname):
    out = {}
    for fn, text in reader.all_terms():
        if fn != fieldname:
            continue
        m = reader.postings(fn, text)
        rows = []
        while m.is_active():
            rows.append((m.id(), m.weight(), m.value()))
            m.next()
        out[text] = rows
    return out


def test_fast_fields_index_like_the_analyzer_path():
    gram = ix_mod.GramField()
    plain_gram = fields.TEXT(analyzer=ix_mod.GramTokenizer(), phrase=True)
    words = ix_mod.WordsField()
    plain_words = fields.TEXT(analyzer=SpaceSeparatedTokenizer(), phrase=False)
    for doc in load_docs():
        for p in doc.provisions:
            for text in (p.own_text, p.heading, "技师50所 ＡＩ＋教育，“校企双制”"):
                assert sorted(gram.index(text)) == sorted(plain_gram.index(text))
            cut = ["技工", "教育", "技工", "50"]
            assert sorted(words.index(cut)) == sorted(plain_words.index(cut))


def test_word_cache_cuts_like_the_whole_text(world):
    _, docs, tokenizer = world
    cache = analysis.WordCache(tokenizer, limit=5)
    for doc in docs:
        for p in doc.provisions:
            assert Counter(cache(p.own_text)) == Counter(analysis.words(tokenizer, p.own_text))


PHRASES = [("grams", ["技工", "工教", "教育"]), ("grams", ["技师", "师学", "学院"]),
           ("context", ["主要", "要任", "任务"]), ("grams", ["校企", "企双", "双制"]),
           ("hgrams", ["技能", "能人"])]


@pytest.mark.parametrize("fieldname,words", PHRASES)
def test_phrase_postings_match_the_position_checking_matcher(world, fieldname, words):
    searcher = world[0]
    with searching.Searcher(searcher._reader(), weighting=Ranking(),
                            closereader=False) as s:
        ctx = s.context()
        fast = phrase_postings([wq.Term(fieldname, w).matcher(s, ctx) for w in words],
                                s.schema[fieldname].format)
        slow = PhraseMatcher([wq.Term(fieldname, w).matcher(s, ctx) for w in words])
        expected = []
        while slow.is_active():
            expected.append((slow.id(), slow.score()))
            slow.next()
        assert fast is not None
        assert list(zip(*fast)) == expected
        # The query object goes the fast way and finds the same.
        m = GramPhrase(fieldname, words, boost=0.5).matcher(s, ctx)
        got = []
        while m.is_active():
            got.append((m.id(), m.score()))
            m.next()
        assert got == [(d, sc * 0.5) for d, sc in expected]


class _NamesFacet(sorting.FacetType):
    """The departments facet as whoosh categorizers count it (what search used before)."""

    maptype = sorting.Count

    def categorizer(self, global_searcher):
        return _NamesCategorizer()


class _NamesCategorizer(sorting.Categorizer):
    allow_overlap = True

    def set_searcher(self, segment_searcher, docoffset):
        self._col = segment_searcher.reader().column_reader("dept_col")

    def keys_for(self, matcher, segment_docnum):
        raw = self._col[segment_docnum]
        return raw.decode("utf-8").split(analysis.SEP) if raw else ()


def test_facet_table_counts_like_whoosh_facets(world):
    searcher = world[0]
    reader = searcher._reader()
    table = FacetTable.of(reader)
    facets = {"level": sorting.FieldFacet("level", maptype=sorting.Count),
              "doc": sorting.FieldFacet("doc", maptype=sorting.Count),
              "kind": sorting.FieldFacet("kind", maptype=sorting.Count),
              "dept": _NamesFacet()}
    with searching.Searcher(reader, closereader=False) as s:
        for q in (wq.Every(), wq.Term("grams", "技工"), wq.Term("dept", "东莞市教育局")):
            c = collectors.FacetCollector(collectors.UnlimitedCollector(), facets)
            s.search_with_collector(q, c)
            results = c.results()
            got = table.count(d for _, d in results.top_n)
            for name in facets:
                assert got[name] == dict(results.groups(name)), (q, name)


def _unit_spans(text, marks, max_spans=200):
    """match_spans' matching done the plain way: every unit of the text, every mark's
    units compared at every position where its first unit is."""
    found = analysis.units(text)
    seq = [u for u, _, _ in found]
    spans = []
    for mark in marks:
        mu = [u for u, _, _ in analysis.units(mark)]
        if not mu:
            continue
        for i in range(len(seq)):
            if seq[i:i + len(mu)] == mu:
                spans.append((found[i][1], found[i + len(mu) - 1][2]))
                if len(spans) >= max_spans:
                    break
    return merge_hits(spans)         # (the overlap merge is shared: only the scan is compared)


def test_match_spans_finds_what_the_unit_scan_finds():
    import random
    from policykg.indexer.results import mark_pattern, match_spans
    rng = random.Random(7)
    # CJK characters, punctuation, spaces, letters and digits (half and full width), a
    # compatibility ideograph (folded by units), and characters outside every class.
    alphabet = list("技工院校教育技师学院哈") + list("，。、“” \n\t-·") + list("aB7９ＡｂX") \
        + ["\uf900", "\u4dc0", "の"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
             for _ in range(400)] + ["哈哈哈哈", "技 工，院“校”", "技工a院校", "ab技工"]
    for text in texts:
        marks = [text[i:j] for i, j in (sorted(rng.sample(range(len(text) + 1), 2))
                                        for _ in range(3))] if len(text) > 1 else []
        marks += rng.sample(["技工", "哈哈", "院校", "技工院校", "，", "a", "Ａ技", "\uf900"], 3)
        for limit in (1, 2, 200):
            assert match_spans(text, marks, limit) == _unit_spans(text, marks, limit), \
                (text, marks, limit)
    assert mark_pattern("技工院校") is not None      # the regex path is the one tested
    assert mark_pattern("技工a") is None


def test_the_snippet_window_is_the_one_a_scan_of_every_span_picks():
    """`best_window` bisects to the spans in each window: the same window (the first of
    equals) as summing every span's overlap for every window."""
    import random
    from policykg.indexer.results import best_window, window_coverage

    def scan(spans, start, width):
        start = max(0, start)
        return sum(min(e, start + width) - max(s, start) for s, e in spans
                   if e > start and s < start + width)

    rng = random.Random(3)
    for _ in range(2000):
        n = rng.randint(1, 25)
        ends = sorted(rng.sample(range(500), 2 * n))
        spans = merge_hits([(ends[2 * i], ends[2 * i + 1]) for i in range(n)])
        lead, width = rng.randint(0, 40), rng.randint(1, 200)
        want = max(range(len(spans)), key=lambda i: (scan(spans, spans[i][0] - lead, width), -i))
        assert best_window(spans, lead, width) == want
        start = rng.randint(-50, 520)
        assert window_coverage(spans, start, width) == scan(spans, start, width)
