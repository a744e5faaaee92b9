"""Cross-level text-reuse alignment: found for restated passages, never for boilerplate."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from policykg.corpus.records import DocumentMeta
from policykg.corpus.segment import segment_document
from policykg.corpus.text import squash
from policykg.ontology.alignment import Alignment, Piece, best_passage, find_alignments
from policykg.ontology.fingerprints import idf_weight
from policykg.ontology.plan_hierarchy import may_take_up

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
    close = [Piece(0, 0, 12, 12.0), Piece(15, 14, 12, 12.0)]
    far = [Piece(0, 0, 12, 12.0), Piece(200, 150, 12, 12.0)]
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


# ---- the line of government for any province; a level the text did not settle ----------------
# Fixture texts written for these tests: each plan restates one passage of the plan above it.

PROVINCIAL = ("推行“校园招聘直通车”机制，每年组织技工院校毕业生专场双选会不少于两场，"
              "建立毕业生就业跟踪回访台账，确保毕业生初次就业率稳定在较高水平。")
MUNICIPAL = ("设立技工院校学生创业孵化专区，为在校生和毕业五年内的校友提供免费工位、"
             "创业导师结对和小额担保贷款贴息，每年遴选一批优秀创业项目给予扶持。")
PADDING = ["加强技工院校安全管理，完善校园安全风险防控体系和应急处置预案。",
           "健全技工院校经费保障机制，落实生均拨款制度，加大基础能力建设投入。",
           "推进技工院校信息化建设，建设智慧校园和数字化教学资源库。",
           "开展技工院校办学质量评估，评估结果向社会公开并作为资源配置依据。"]


def plan(file: str, level: str | None, region: str | None, date: str = "2022-06-01",
         *passages: str):
    body = "".join(f"（{n}）{p}\n" for n, p in zip("一二三", passages))
    text = f"技能人才培养工作方案\n一、主要任务\n{body}"
    return segment_document(text, DocumentMeta(file=file, title="技能人才培养工作方案",
                                               level=level, region=region, date=date))


def padded(*docs):
    """The plans, and others on other matters: a passage a few of them share is rare."""
    return [*docs, *(plan(f"pad{i}.txt", None, None, "2021-01-01", p)
                     for i, p in enumerate(PADDING))]


def sources_of(links, lower: str) -> set[str]:
    return {a.higher_doc for a in links if a.lower_doc == lower and a.kind == "text_reuse"}


def test_a_document_of_unknown_level_still_takes_up_the_national_plan():
    docs = padded(plan("n.txt", "national", "全国", "2021-06-01", PROVINCIAL),
                  plan("p.txt", "provincial", "湖南省", "2021-09-01", PROVINCIAL),
                  plan("x.txt", None, None, "2022-06-01", PROVINCIAL))
    links = find_alignments(docs)
    assert sources_of(links, "x.txt") == {"n.txt"}          # not silence, not a guess below
    assert "x.txt" not in {a.higher_doc for a in links}       # nobody's source


def test_a_county_takes_up_its_city_and_province_whatever_the_province():
    both = (PROVINCIAL, MUNICIPAL)
    docs = padded(plan("hunan.txt", "provincial", "湖南省", "2021-09-01", PROVINCIAL),
                  plan("zhejiang.txt", "provincial", "浙江省", "2021-09-01", PROVINCIAL),
                  plan("changsha.txt", "municipal", "长沙市", "2021-12-01", MUNICIPAL),
                  plan("hangzhou.txt", "municipal", "杭州市", "2021-12-01", *both),
                  plan("liuyang.txt", "county", "浏阳市", "2022-06-01", *both))  # names neither
    links = find_alignments(docs)
    assert sources_of(links, "liuyang.txt") == {"changsha.txt", "hunan.txt"}
    assert sources_of(links, "hangzhou.txt") == {"zhejiang.txt"}


def test_a_district_of_a_provincial_city_has_no_city_above_it():
    docs = padded(plan("beijing.txt", "provincial", "北京市", "2021-09-01", PROVINCIAL),
                  plan("hangzhou.txt", "municipal", "杭州市", "2021-12-01", MUNICIPAL),
                  plan("chaoyang.txt", "county", "北京市朝阳区", "2022-06-01",
                       PROVINCIAL, MUNICIPAL))
    assert sources_of(find_alignments(docs), "chaoyang.txt") == {"beijing.txt"}


def test_the_line_comes_from_the_gazetteer():
    from policykg.ontology.plan_hierarchy import NOWHERE, Hierarchy
    h = Hierarchy([])
    liuyang = plan("l.txt", "county", "浏阳市", "2022-06-01", PROVINCIAL)
    chaoyang = plan("c.txt", "county", "北京市朝阳区", "2022-06-01", PROVINCIAL)
    assert (h.parent(liuyang, 1), h.parent(liuyang, 2)) == ("湖南省", "长沙市")
    assert (h.parent(chaoyang, 1), h.parent(chaoyang, 2)) == ("北京市", NOWHERE)
    unknown = plan("u.txt", "county", "某某新区", "2022-06-01", PROVINCIAL)
    assert h.parent(unknown, 2) is None                     # unknown: unrestricted
