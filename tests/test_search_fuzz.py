"""No query string makes search raise, and the work any query causes is bounded.

Issue 8's syntax bombs are here as fixed examples; hypothesis adds strings made of the
language's own pieces (operators, quotes, filters, CJK, control characters)."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from policykg.indexer.analysis import units
from policykg.indexer.compiler import compile_query
from policykg.indexer.query import Limits, parse
from test_search import build_world, containing, ids

LIMITS = Limits()
PIECES = st.sampled_from([
    " ", "OR", "NOT", "AND", "-", "*", "?", '"', "“", "”", "(", ")", ":", "：", "level:",
    "doc:", "dept:", "kind:", "year:", "level:provincial", "year:2020-2030", "dept:市人社局",
    "技师学院", "学籍", "校企双制", "学", "制", "1+1", "98%", "<script>", "&amp;", "\x00",
    "\x1b", "\u200b", "\ud7ff", "ＯＲ", "－", "，", "、", "|", "\\", "'", "\n", "\t",
])
QUERIES = st.one_of(
    st.text(max_size=300),
    st.lists(PIECES, max_size=60).map("".join),
    st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=40).map(" ".join),
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("fuzz"))


def leaves(q) -> int:
    return sum(1 for _ in q.leaves()) if not q.is_leaf() else 1


def check(world, text: str) -> None:
    searcher = world[0]
    result = searcher.search(text, page_size=5)
    assert result.total >= 0 and len(result.hits) <= 5
    for hit in result.hits:
        html = hit.snippet.html()
        assert "<" not in re.sub(r"</?mark>", "", html)
    q = parse(text, LIMITS)
    assert len(q.clauses) + len(q.filters) <= LIMITS.max_terms
    assert all(len(units(t.text)) <= LIMITS.max_term_units for c in q.clauses for t in c.terms)
    compiled = compile_query(q, searcher.context, LIMITS)
    # One term costs a bounded number of whoosh leaf queries, whatever the string.
    assert leaves(compiled.scoring) <= LIMITS.max_words * 60
    parse(str(q), LIMITS)              # what is shown as "interpreted" reads back


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=QUERIES)
@example(text="NOT OR x")
@example(text="(" * 5000)
@example(text="*")
@example(text="x" * 100_000)
@example(text="技" * 100_000)
@example(text="学制技师" * 25_000)
@example(text="\x00\x01\x02" * 1000)
@example(text='"' * 999)
@example(text="a OR " * 1000)
@example(text="-" * 1000)
@example(text="level:" * 1000)
@example(text="dept:" + "市" * 1000)
@example(text="year:1900-2099")
@example(text="的了和与及" * 40)
def test_no_query_string_makes_search_raise(world, text):
    check(world, text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_excluded_characters_never_appear_in_hits(world, data):
    _, docs, _ = world
    texts = [p.own_text for d in docs for p in d.provisions]
    text = data.draw(st.sampled_from(texts))
    seq = units(text)
    i = data.draw(st.integers(0, max(0, len(seq) - 2)))
    n = data.draw(st.integers(2, 4))
    chars = text[seq[i][1]:seq[min(i + n, len(seq)) - 1][2]]
    hits = set(ids(world[0].search(f'* -"{chars}"', page_size=100)))
    assert not hits & containing(docs, chars)
    everything = {p.id for d in docs for p in d.provisions}
    assert everything - containing(docs, chars) >= hits
