"""Alignment at corpus scale: a lower plan links to its own hierarchy's sources, once per
level, whatever number of copies of them the corpus holds (ontology.alignment,
ontology.plan_hierarchy, targets)."""
from __future__ import annotations

from policykg.corpus.records import DocumentMeta
from policykg.corpus.segment import segment_document
from policykg.ontology.alignment import find_alignments
from policykg.ontology.plan_hierarchy import Hierarchy, region_stem
from policykg.ontology.targets import extract_targets
from policykg.ontology.target_alignment import align_targets

PASSAGE = ("推进技工院校与龙头企业共建产业学院，开展订单式培养和现代学徒制培训，"
           "每年遴选一批校企合作示范项目并给予资金支持")
GOAL = "到2025年，技工院校毕业生就业率保持在{}%以上。"


def doc(file: str, level: str, region: str, date: str, body: str):
    source = f"{region}技工教育规划\n一、主要任务\n（一）{body}\n二、发展目标\n（一）{GOAL.format(90)}\n"
    return segment_document(source, DocumentMeta(file=file, title=f"{region}规划", level=level,
                                                 region=region, date=date))


def corpus(copies: int = 3):
    docs = [doc("n.txt", "national", "全国", "2021-01-01", PASSAGE)]
    docs += [doc(f"p{i}.txt", "provincial", "广东省", f"2021-0{i + 2}-01", PASSAGE)
             for i in range(copies)]
    docs.append(doc("q.txt", "provincial", "浙江省", "2021-03-01", PASSAGE))
    docs.append(doc("m.txt", "municipal", "东莞市", "2022-01-01",
                    "广东省要求：" + PASSAGE + "。广东各地落实。"))
    # other plans, so that the passage is rare in the corpus as it is in a real one
    words = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
    docs += [doc(f"z{i:02d}.txt", "county", "杭州市西湖区", "2022-01-01",
                 "".join(words[(i * 7 + k * k) % len(words)] for k in range(60)))
             for i in range(20)]
    return docs


def test_the_parent_region_is_read_from_the_name_or_the_text():
    docs = corpus()
    h = Hierarchy(d.meta for d in docs)
    municipal = next(d for d in docs if d.file == "m.txt")
    assert h.parent(municipal, 1) == "广东省"
    county = segment_document("沈阳市铁西区方案\n正文。\n", DocumentMeta(
        file="c.txt", title="x", level="county", region="沈阳市铁西区"))
    assert h.parent(county, 2) == "沈阳市"          # from its name, no plan of 沈阳 needed
    assert region_stem("广西壮族自治区") == "广西" and region_stem("东莞市") == "东莞"


def test_one_link_per_level_however_many_copies():
    links = [a for a in find_alignments(corpus(copies=4)) if a.lower_doc == "m.txt"]
    sources = sorted(a.higher_doc for a in links)
    assert len(sources) == 2 and sources[0] == "n.txt" and sources[1].startswith("p")


def test_another_provinces_plan_is_not_a_source():
    links = find_alignments(corpus())
    assert not [a for a in links if a.higher_doc == "q.txt" and a.lower_doc == "m.txt"]


def test_links_stay_bounded_as_copies_grow():
    few = find_alignments(corpus(copies=2))
    many = find_alignments(corpus(copies=8))
    assert len([a for a in many if a.lower_doc == "m.txt"]) == \
        len([a for a in few if a.lower_doc == "m.txt"])


def test_a_target_is_compared_with_its_nearest_counterparts():
    docs = corpus(copies=3)
    links = [t for t in align_targets(extract_targets(docs), docs) if t.lower.doc == "m.txt"]
    # one per higher level: the national plan and the latest plan of its own province
    assert sorted(t.higher.doc for t in links) == ["n.txt", "p2.txt"]
    assert all(t.relation == "same" and t.comparison == "equal" for t in links)
