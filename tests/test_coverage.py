"""Coverage (未承接): which provisions of a higher plan a lower plan takes up, and which not."""
from __future__ import annotations

import json

import pytest

from policykg.pipeline.catalog import write_catalog
from policykg.pipeline.catalog_reader import Catalog
from policykg.pipeline.coverage import (chapters_of, coverage_summary, document_coverage, find_plan,
                              is_formality, substantive)


def _p(doc: str, key: str, path: str, kind: str, number: str, heading: str, own: str,
       parent: str | None = None, order: int = 0, annex: bool = False) -> dict:
    pid = f"{key}__{path}"
    return {"id": pid, "doc": doc, "path": path, "kind": kind, "number": number,
            "heading": heading, "text": own, "own_text": own,
            "parent": f"{key}__{parent}" if parent else None, "children": [], "order": order,
            "level": None, "annex": annex}


HIGHER, LOWER = "h.txt", "l.txt"
HIGHER_ROWS = [
    _p(HIGHER, "hk", "notice", "paragraph", "", "关于印发《某省技能人才发展规划》的通知",
       "某省人力资源和社会保障厅\n关于印发《某省技能人才发展规划》的通知\n各市：现印发给你们。"),
    _p(HIGHER, "hk", "para_1", "paragraph", "", "技能人才是支撑发展的重要力量",
       "技能人才是支撑发展的重要力量，为加快建设技能型社会，制定本规划。"),
    _p(HIGHER, "hk", "ch_1", "chapter", "一、", "总体要求", "一、总体要求"),
    _p(HIGHER, "hk", "ch_1__sec_1", "section", "（一）", "指导思想",
       "（一）指导思想\n坚持需求导向，完善技能人才培养体系，扩大培养规模。", "ch_1"),
    _p(HIGHER, "hk", "ch_1__sec_2", "section", "（二）", "主要目标",
       "（二）主要目标\n到2025年，技工院校在校生规模达到十万人以上。", "ch_1"),
    _p(HIGHER, "hk", "ch_2", "chapter", "二、", "重点任务", "二、重点任务"),
    _p(HIGHER, "hk", "ch_2__sec_1", "section", "（一）", "推进校企合作", "（一）推进校企合作",
       "ch_2"),
    _p(HIGHER, "hk", "ch_2__sec_1__item_1", "item", "1.", "推行学徒制",
       "1.推行学徒制。面向企业职工开展新型学徒培养。", "ch_2__sec_1"),
    _p(HIGHER, "hk", "ch_2__sec_1__item_2", "item", "2.", "共建实训基地",
       "2.共建实训基地。支持院校与企业共建共享实训基地。", "ch_2__sec_1"),
    _p(HIGHER, "hk", "para_2", "paragraph", "", "本规划由省人力资源社会保障厅负责解释",
       "本规划由省人力资源社会保障厅负责解释，自印发之日起施行。"),
    _p(HIGHER, "hk", "para_3", "paragraph", "", "某省人力资源和社会保障厅办公室2021年3月1日印发",
       "某省人力资源和社会保障厅办公室2021年3月1日印发"),
    _p(HIGHER, "hk", "annex_1", "annex", "附件", "申报材料清单", "附件\n申报材料清单", annex=True),
    _p(HIGHER, "hk", "annex_1__item_1", "item", "1.", "申报表", "1.申报表", "annex_1", annex=True),
]
LOWER_ROWS = [
    _p(LOWER, "lk", "ch_1", "chapter", "一、", "主要举措", "一、主要举措"),
    _p(LOWER, "lk", "ch_1__item_1", "item", "1.", "推行学徒制",
       "1.推行学徒制。面向企业职工开展新型学徒培养，每年培养一千人。", "ch_1"),
    _p(LOWER, "lk", "ch_1__item_2", "item", "2.", "扩大规模",
       "2.扩大规模。到2025年，全市技工院校在校生规模达到一万人。", "ch_1"),
]
SUBSTANTIVE = {"hk__para_1", "hk__ch_1__sec_1", "hk__ch_1__sec_2", "hk__ch_2__sec_1__item_1",
               "hk__ch_2__sec_1__item_2"}


def _link(higher: str, lower: str, kind: str, score: float) -> dict:
    return {"higher": higher, "lower": lower, "kind": kind, "score": score,
            "evidence": "面向企业职工开展新型学徒培养", "higher_doc": HIGHER, "lower_doc": LOWER}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gen")
    docs = [{"doc": HIGHER, "key": "hk", "title": "某省技能人才发展规划", "level": "provincial",
             "number": "某人社发〔2021〕1号", "region": "某省"},
            {"doc": LOWER, "key": "lk", "title": "某市技能人才实施方案", "level": "municipal",
             "region": "某市"}]
    (folder / "documents.json").write_text(json.dumps(docs, ensure_ascii=False), "utf-8")
    (folder / "provisions.jsonl").write_text(
        "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in HIGHER_ROWS + LOWER_ROWS),
        "utf-8")
    (folder / "facts.json").write_text("{}", "utf-8")
    links = [_link("hk__ch_2__sec_1__item_1", "lk__ch_1__item_1", "text_reuse", 0.9),
             _link("hk__ch_1__sec_2", "lk__ch_1__item_2", "target", 0.5),
             _link("hk__ch_1__sec_2", "lk__ch_1__item_1", "text_reuse", 0.7)]
    (folder / "alignments.jsonl").write_text(
        "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in links), "utf-8")
    db = Catalog(write_catalog(folder))
    yield db, {d["doc"]: d for d in docs}
    db.close()


def test_substantive_provisions_leave_out_headings_notice_colophon_closing_and_annexes(catalog):
    db, _ = catalog
    rows = db.outline_bodies(HIGHER)
    assert {r["id"] for r in substantive(rows)} == SUBSTANTIVE


def test_formalities_are_recognised_by_their_shape_not_their_place():
    assert is_formality({"heading": "关于印发《某市就业促进实施方案》的通知", "own_text": ""})
    assert is_formality({"heading": "", "own_text": "某市人民政府办公室 2023年1月5日印发"})
    assert is_formality({"heading": "", "own_text": "附：重点任务分工表"})
    assert is_formality({"heading": "", "own_text": "本方案自2023年1月1日起施行，有效期至2025年12月31日。"})
    # A sentence that cites a notice is a provision, not the notice.
    assert not is_formality({"heading": "为贯彻落实", "own_text": "为贯彻落实《国务院关于印发"
                             "职业教育改革方案的通知》精神，结合本市实际，制定本方案。"})


def test_each_provision_belongs_to_its_top_level_chapter(catalog):
    db, _ = catalog
    chapter = chapters_of(db.outline_bodies(HIGHER))
    assert chapter["hk__ch_2__sec_1__item_2"]["id"] == "hk__ch_2"
    assert chapter["hk__para_1"]["id"] is None       # a preamble stands outside any chapter


def test_coverage_lists_taken_up_with_evidence_and_not_taken_up(catalog):
    db, docs = catalog
    [plan] = document_coverage(db, docs, LOWER)
    assert plan["higher_doc"] == HIGHER and plan["higher_title"] == "某省技能人才发展规划"
    taken = {e["higher"]["id"]: e for e in plan["taken_up"]}
    assert set(taken) == {"hk__ch_1__sec_2", "hk__ch_2__sec_1__item_1"}
    # Best score first, kind and evidence kept.
    assert [(x["id"], x["kind"]) for x in taken["hk__ch_1__sec_2"]["lower"]] == [
        ("lk__ch_1__item_1", "text_reuse"), ("lk__ch_1__item_2", "target")]
    assert taken["hk__ch_2__sec_1__item_1"]["lower"][0]["evidence"]
    assert {e["higher"]["id"] for e in plan["not_taken_up"]} == SUBSTANTIVE - set(taken)
    assert plan["total"] == len(SUBSTANTIVE)
    assert plan["ratio"] == pytest.approx(2 / 5, abs=1e-4)
    chapters = {c["id"]: (c["taken_up"], c["total"]) for c in plan["chapters"]}
    assert chapters == {None: (0, 1), "hk__ch_1": (1, 2), "hk__ch_2": (1, 2)}
    assert find_plan([plan], "hk") is plan and find_plan([plan], HIGHER) is plan


def test_the_summary_counts_every_plan_as_the_whole_coverage_and_lists_one(catalog):
    db, docs = catalog
    [whole] = document_coverage(db, docs, LOWER)
    [plan] = coverage_summary(db, docs, LOWER)
    assert plan["detailed"] and {**plan, "detailed": False} == {**whole, "detailed": False}
    [other] = coverage_summary(db, docs, LOWER, plan="no such plan")   # unknown: the first
    assert other["detailed"]
    assert coverage_summary(db, docs, HIGHER) == []


def test_a_plan_that_takes_up_nothing_has_no_coverage(catalog):
    db, docs = catalog
    assert document_coverage(db, docs, HIGHER) == []


def test_dongguan_against_guangdong_on_the_bundled_corpus(built):
    """东莞's plan takes up part of 广东's 技工教育 plan: both lists are there, and the ratio
    is what they say."""
    from policykg.web.app import create_app
    from policykg.web.settings import Settings
    store, gen = built
    dongguan = next(d for d in gen.documents if d.get("region") == "东莞市")
    app = create_app(Settings(data_dir=store.root))
    try:
        client = app.test_client()
        heads = client.get(f"/api/documents/{dongguan['doc']}").get_json()["coverage"]
        key = next(c["higher_key"] for c in heads
                   if c["higher_title"] == "广东省技工教育高质量发展“十四五”规划")
        # its lists whole: the plan asked for, on one page of the largest size
        body = client.get(f"/api/documents/{dongguan['doc']}",
                          query_string={"plan": key, "size": 200}).get_json()
    finally:
        app.extensions["policykg"].close()
    plans = {c["higher_title"]: c for c in body["coverage"]}
    guangdong = plans["广东省技工教育高质量发展“十四五”规划"]
    assert guangdong["detailed"] and guangdong["pages"] == 1
    assert guangdong["taken_up"] and guangdong["not_taken_up"]
    taken, total = len(guangdong["taken_up"]), guangdong["total"]
    assert total == taken + len(guangdong["not_taken_up"])
    assert (guangdong["taken_up_count"], guangdong["not_taken_up_count"]) == (
        taken, len(guangdong["not_taken_up"]))
    assert guangdong["ratio"] == pytest.approx(taken / total, abs=1e-4)
    assert sum(c["total"] for c in guangdong["chapters"]) == total
    assert all(e["lower"] and all(x["doc"] == dongguan["doc"] for x in e["lower"])
               for e in guangdong["taken_up"])
    # The provincial plan comes before the national one (nearest level first).
    assert [c["higher_level"] for c in body["coverage"]][:1] == ["provincial"]
