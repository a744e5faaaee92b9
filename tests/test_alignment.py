"""Cross-level text-reuse alignment: found for restated passages, never for boilerplate."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from corpus.records import DocumentMeta
from corpus.segment import segment_document
from corpus.text import squash
from ontology.alignment import (Alignment, _Piece, best_passage, find_alignments,
                                idf_weight, may_take_up)

FIXTURES = Path(__file__).parent / "fixtures" / "alignment"
LEVELS = {"national": ("national", "2021-06-01"), "provincial_a": ("provincial", "2021-12-01"),
          "provincial_b": ("provincial", "2022-01-10"), "municipal": ("municipal", "2022-05-01"),
          "municipal_b": ("municipal", "2022-07-01")}
BOILERPLATE = "以习近平新时代中国特色社会主义思想为指导"


def load(levels=LEVELS):
    docs = []
    for name, (level, date) in levels.items():
        source = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
        docs.append(segment_document(source, DocumentMeta(
            file=f"{name}.txt", title=source.splitlines()[0], level=level, date=date)))
    return docs


@pytest.fixture(scope="module")
def docs():
    return load()


@pytest.fixture(scope="module")
def links(docs):
    return find_alignments(docs)


def provision(docs, doc: str, contains: str):
    """The finest provision of `doc` whose text has `contains`."""
    d = next(d for d in docs if d.file == doc)
    having = [p for p in d.provisions if squash(contains) in squash(p.text)]
    return max(having, key=lambda p: p.depth)


def linked(links, docs, higher: tuple[str, str], lower: tuple[str, str]) -> list[Alignment]:
    h, lo = provision(docs, *higher), provision(docs, *lower)
    return [a for a in links if (a.higher, a.lower) == (h.id, lo.id)]


def test_a_passage_restated_word_for_word_is_linked_at_the_finest_provision(docs, links):
    [link] = linked(links, docs, ("national.txt", "“一院一企一方案”的思路"),
                    ("provincial_a.txt", "“一院一企一方案”的思路"))
    assert link.kind == "text_reuse" and 0 < link.score <= 1
    assert "实行学分互认和师资互聘" in link.evidence


def test_a_lightly_edited_restatement_is_linked_national_to_municipal_directly(docs, links):
    [link] = linked(links, docs, ("national.txt", "“一院一企一方案”的思路"),
                    ("municipal.txt", "“一院一企一方案”思路"))
    assert "共建产业学院" in link.evidence


def test_provincial_to_municipal(docs, links):
    [link] = linked(links, docs, ("provincial_a.txt", "支持山区技工院校改善实训条件"),
                    ("municipal.txt", "支持山区技工院校改善实训条件"))
    assert link.evidence.startswith("省级财政每年安排专项资金")


def test_evidence_and_spans_read_from_the_source(docs, links):
    sources = {d.file: d.source for d in docs}
    for link in links:
        for doc, (start, end) in ((link.lower_doc, link.lower_span),
                                  (link.higher_doc, link.higher_span)):
            assert 0 <= start < end <= len(sources[doc])
        lower = squash(sources[link.lower_doc][slice(*link.lower_span)])
        for piece in link.evidence.split("…"):
            assert squash(piece) in lower


def test_boilerplate_alone_links_nothing(docs, links):
    # Every document opens with the same formula; the second city shares nothing else.
    assert not [a for a in links if a.lower_doc == "municipal_b.txt"
                or a.higher_doc == "municipal_b.txt"]
    guiding = {provision(docs, d.file, BOILERPLATE).id for d in docs}
    assert not [a for a in links if a.lower in guiding or a.higher in guiding]
    assert not [a for a in links if BOILERPLATE in a.evidence]


def test_direction_is_higher_to_lower_and_same_level_is_never_linked(docs, links):
    level = {d.file: d.meta.level for d in docs}
    order = ["national", "provincial", "municipal", "county"]
    assert links
    for a in links:
        assert order.index(level[a.higher_doc]) < order.index(level[a.lower_doc])
    # provincial_a and provincial_b share a passage, but neither takes the other up.
    assert not [a for a in links if {a.higher_doc, a.lower_doc} ==
                {"provincial_a.txt", "provincial_b.txt"}]
    assert linked(links, docs, ("national.txt", "建立技工院校学籍电子档案"),
                  ("provincial_b.txt", "建立技工院校学籍电子档案"))


def test_swapping_levels_swaps_direction():
    swapped = dict(LEVELS, national=("municipal", None), municipal=("national", None))
    links = find_alignments(load(swapped))
    assert [(a.higher_doc, a.lower_doc) for a in links
            if {a.higher_doc, a.lower_doc} == {"national.txt", "municipal.txt"}] == [
        ("municipal.txt", "national.txt")]


def test_a_document_does_not_take_up_one_issued_after_it():
    early = dict(LEVELS, municipal=("municipal", "2020-01-01"))
    assert not [a for a in find_alignments(load(early)) if a.lower_doc == "municipal.txt"]


def test_documents_without_a_level_are_not_aligned():
    assert find_alignments(load({k: (None, None) for k in LEVELS})) == []


def test_export_row(links):
    row = links[0].to_export()
    assert set(row) == {"higher", "lower", "kind", "score", "evidence"}


def test_rarer_shingles_weigh_more():
    weights = [idf_weight(df, 2000) for df in (2, 3, 30, 300, 2000)]
    assert weights == sorted(weights, reverse=True)
    assert weights[0] == 1.0 and weights[-1] < 0.05


def test_pieces_far_apart_are_not_one_passage():
    close = [_Piece(0, 0, 12, 12.0), _Piece(15, 14, 12, 12.0)]
    far = [_Piece(0, 0, 12, 12.0), _Piece(200, 150, 12, 12.0)]
    assert best_passage(close)[0] > 20 and len(best_passage(close)[1]) == 2
    assert best_passage(far)[0] == 12.0


def test_direction_rule():
    def doc(level, date=None):
        return segment_document("规划\n", DocumentMeta(file=f"{level}.txt", title="规划",
                                                       level=level, date=date))
    assert may_take_up(doc("national"), doc("county"))
    assert not may_take_up(doc("municipal"), doc("provincial"))
    assert not may_take_up(doc("provincial"), doc("provincial"))
    assert not may_take_up(doc("national", "2022-01-01"), doc("municipal", "2021-01-01"))


PIECES = st.sampled_from(["以习近平新时代中国特色社会主义思想为指导，", "推动技工院校与行业龙头企业共建产业学院，",
                          "实行学分互认和师资互聘。", "《职业教育法》", "〔2021〕", "（一）", "一、", "\n",
                          "建设20个实训基地。", "abc", "１２３", " ", "\t"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(PIECES, max_size=12).map("".join), min_size=2, max_size=4))
def test_never_raises_and_spans_stay_inside(texts):
    levels = ["national", "provincial", "municipal", "county"]
    docs = [segment_document("规划\n" + t, DocumentMeta(file=f"{i}.txt", title="规划",
                                                        level=levels[i % 4]))
            for i, t in enumerate(texts)]
    sources = {d.file: d.source for d in docs}
    for a in find_alignments(docs, min_weight=5):
        assert 0 <= a.lower_span[0] <= a.lower_span[1] <= len(sources[a.lower_doc])
        assert 0 <= a.higher_span[0] <= a.higher_span[1] <= len(sources[a.higher_doc])
        assert 0.0 <= a.score <= 1.0
