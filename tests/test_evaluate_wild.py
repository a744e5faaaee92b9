"""`policykg eval`'s wild part (pipeline.evaluate_wild): how facts are counted, right and
missed, on a hand-made build; and end to end, a tiny wild folder added to a scratch corpus."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from policykg.pipeline.build import build
from policykg.pipeline.datadir import DataDir
from policykg.pipeline import evaluate_wild as evaluate_wild_mod
from policykg.pipeline.evaluate_wild import build_key as real_build_key
from policykg.pipeline.evaluate_wild import (SCORERS, Corpus, WildDoc, evaluate_wild, format_document,
                                   format_total, score_document)
from policykg.web.cli import cli

DOC = "005_test.txt"


def prov(pid, kind, heading, text, parent=None, children=(), doc=DOC, annex=False):
    return {"id": pid, "doc": doc, "kind": kind, "heading": heading, "text": text,
            "parent": parent, "children": list(children), "path": pid.split("__", 1)[-1],
            "annex": annex}


def corpus(provisions, facts=None, documents=None, hits=None, **rows) -> Corpus:
    """A build as the scorers see it, written by hand."""
    facts = facts or {}
    searcher = SimpleNamespace(search=lambda q, page_size: SimpleNamespace(
        hits=[SimpleNamespace(id=i, doc=i.split("__")[0]) for i in (hits or {}).get(q, [])]))
    names = ("departments", "citations", "targets", "alignments")
    return Corpus(SimpleNamespace(searcher=searcher), documents or {}, provisions,
                  {p["id"]: p for p in provisions}, {n: rows.get(n, []) for n in names},
                  lambda pid: facts.get(pid, {}))


def score(key, c, gold):
    return SCORERS[key](c, DOC, gold)


def test_metadata_counts_each_field_and_reads_titles_in_simplified():
    c = corpus([], documents={DOC: {"number": "宜人社发〔2023〕12号", "date": "2023-05-10",
                                    "level": "municipal", "region": "宜昌市",
                                    "issuer": "宜昌市人力资源和社会保障局、宜昌市教育局",
                                    "title": "關於做好技工院校實習管理工作的通知"}})
    gold = {"metadata": {"number": "宜人社发〔2023〕12号", "date": "2023-05-11",
                         "level": "municipal", "region": "宜昌市",
                         "issuers": ["宜昌市人力资源和社会保障局", "宜昌市教育局"],
                         "title_contains": "技工院校实习管理"}}
    s = score("metadata", c, gold)
    assert (s.right, s.total) == (5, 6)
    assert s.misses == ["date: got '2023-05-10', want '2023-05-11'"]


def test_chapters_in_order_with_extras_missed_and_sections_per_chapter():
    c = corpus([prov("k__ch_1", "chapter", "加强组织", "", children=["k__ch_1__sec_1"]),
                prov("k__ch_1__sec_1", "section", "完善制度", "", parent="k__ch_1"),
                prov("k__ch_2", "chapter", "目录", ""),
                prov("k__ch_3", "chapter", "强化监督", ""),
                prov("k__annex_1", "chapter", "附件章", "", annex=True)])
    chapters = score("chapters", c, {"chapters": ["加强组织", "强化监督", "保障措施"]})
    assert (chapters.right, chapters.total) == (2, 4)      # 保障措施 missing, 目录 extra
    sections = score("sections", c, {"sections": {"加强组织": 1, "强化监督": 2, "保障措施": 0}})
    assert (sections.right, sections.total) == (1, 3)


def test_department_slots_by_precision_and_recall_on_every_provision_with_the_heading():
    body = prov("k__ch_1__sec_1", "section", "完善实习制度", "（一）完善实习制度。……")
    row = prov("k__annex_1__table_1__row_1", "table_row", "完善实习制度", "完善实习制度", annex=True)
    facts = {body["id"]: {"departments": {"lead": ["宜昌市人力资源和社会保障局"],
                                          "participants": ["宜昌市教育局", "宜昌市公安局"]}},
             row["id"]: {"departments": {"lead": ["宜昌市人力资源和社会保障局"],
                                         "participants": ["宜昌市教育局", "宜昌市财政局"]}}}
    gold = {"departments": [{"heading": "完善实习制度",
                             "lead": [["宜昌市人力资源和社会保障局", "宜昌市人力资源社会保障局"]],
                             "participants": [["宜昌市教育局"], ["宜昌市财政局"]]},
                            {"heading": "没有这一条", "lead": [["宜昌市教育局"]],
                             "participants": []}]}
    s = score("departments", corpus([body, row], facts), gold)
    # lead ✓, 教育局 ✓, 财政局 ✗ (the section lacks it), 公安局 extra ✗, missing heading ✗
    assert (s.right, s.total) == (2, 5)
    assert any("extra participants 宜昌市公安局" in m for m in s.misses)
    assert any("no provision with this heading" in m for m in s.misses)


def test_a_name_in_the_wrong_role_is_a_missed_slot_and_an_extra():
    p = prov("k__ch_1", "chapter", "做好职业指导", "二、做好职业指导。……")
    facts = {p["id"]: {"departments": {"lead": ["宜昌市教育局", "宜昌市人力资源和社会保障局"],
                                       "participants": []}}}
    gold = {"departments": [{"heading": "做好职业指导", "lead": [["宜昌市教育局"]],
                             "participants": [["宜昌市人力资源和社会保障局"]]}]}
    s = score("departments", corpus([p], facts), gold)
    assert (s.right, s.total) == (1, 3)


def test_not_departments_counts_responsibilities_and_mentions_as_false_positives():
    p = prov("k__ch_1", "chapter", "加强组织", "")
    facts = {p["id"]: {"departments": {"lead": ["宜昌市人力资源和社会保障局"], "participants": []}}}
    mentioned = {"name": "宜昌市教育委员会", "tasks": [], "mentions": ["k__ch_1"]}
    elsewhere = {"name": "湖北省教育厅", "tasks": [{"doc": "000_other.txt"}], "mentions": []}
    gold = {"not_departments": ["宜昌市人力资源和社会保障局", "宜昌市教育委员会",
                                "湖北省教育厅", "宜昌市人力资源和社会保障厅"]}
    s = score("not_departments", corpus([p], facts, departments=[mentioned, elsewhere]), gold)
    assert (s.right, s.total) == (2, 4)


def test_targets_recall_and_not_targets_false_positives():
    rows = [{"doc": DOC, "indicator": "技工院校在校生规模", "unit": "万人",
             "target": {"value": 3.5, "comparator": "~", "year": 2025}},
            {"doc": DOC, "indicator": "技师学院数量", "unit": "所",
             "target": {"value": 12, "comparator": ">=", "year": 2025}},
            {"doc": "000_other.txt", "indicator": "就业率", "unit": "%",
             "target": {"value": 97, "comparator": ">=", "year": 2025}}]
    gold = {"targets": [{"match": ["在校生"], "value": 3.5, "unit": "万人", "comparator": "~",
                         "year": 2025},
                        {"match": ["技师学院"], "value": 12, "unit": "所", "comparator": "=",
                         "year": 2025},
                        {"match": ["就业率"], "value": 97, "unit": "%", "comparator": ">=",
                         "year": 2025}],
            "not_targets": [{"match": ["技师学院"], "value": 12}, {"match": ["在校生"], "value": 3.2}]}
    c = corpus([], targets=rows)
    t = score("targets", c, gold)
    assert (t.right, t.total) == (1, 3)
    assert any("comparator '>='" in m for m in t.misses)
    n = score("not_targets", c, gold)
    assert (n.right, n.total) == (1, 2)


def test_citation_attributes_and_not_citations():
    rows = [{"doc": DOC, "title": "人力資源社會保障部關於印發技工教育“十四五”規劃的通知",
             "number": "人社部发〔2021〕86号", "resolves_to": "004_x.txt", "target": "n4"},
            {"doc": DOC, "title": "关于深化技工院校改革的意见", "number": "人社部发〔2021〕30号",
             "resolves_to": None, "target": "n30a"},
            {"doc": "000_other.txt", "title": "关于深化技工院校改革的意见",
             "number": "人社部发〔2021〕30号", "resolves_to": None, "target": "n30b"},
            {"doc": DOC, "title": "重点任务分工表", "number": None, "resolves_to": None,
             "target": "own"}]
    gold = {"citations": [{"contains": "关于印发技工教育", "number": "人社部发〔2021〕86号",
                           "resolves_to": "004_x.txt"},
                          {"contains": "关于深化技工院校改革", "number": "人社部发〔2021〕30号",
                           "resolves_to": None},
                          {"contains": "没有引用的文件", "number": None, "resolves_to": None}],
            "not_citations": ["重点任务分工表", "本方案"]}
    c = corpus([], citations=rows)
    s = score("citations", c, gold)
    # 86号: found, number, resolves ✓✓✓; 30号: found ✓ number ✓, two nodes ✗;
    # the third: found ✗, external ✗ (no number to check)
    assert (s.right, s.total) == (5, 8)
    assert any("2 nodes" in m for m in s.misses)
    n = score("not_citations", c, gold)
    assert (n.right, n.total) == (1, 2)


def test_alignment_at_the_finest_level_or_one_coarser():
    hi = [prov("h__ch_1", "chapter", "甲", "一、甲 引导企业设立学徒岗位。", doc="004_x.txt",
               children=["h__ch_1__sec_1"]),
          prov("h__ch_1__sec_1", "section", "乙", "引导企业设立学徒岗位。", doc="004_x.txt",
               parent="h__ch_1")]
    lo = [prov("k__ch_2", "chapter", "丙", "二、丙 引导企业设立学徒岗位。", children=["k__ch_2__sec_1"]),
          prov("k__ch_2__sec_1", "section", "丁", "引导企业设立学徒岗位。", parent="k__ch_2"),
          prov("k__ch_3", "chapter", "戊", "另一句话。")]
    link = {"higher": "h__ch_1", "lower": "k__ch_2__sec_1", "kind": "text_reuse",
            "higher_doc": "004_x.txt", "lower_doc": DOC}
    gold = {"aligned_with": [{"lower_contains": "引导企业设立学徒岗位", "higher_doc": "004_x.txt"}]}
    assert score("aligned_with", corpus(hi + lo, alignments=[link]), gold).right == 1
    wrong = dict(link, lower="k__ch_3")
    assert score("aligned_with", corpus(hi + lo, alignments=[wrong]), gold).right == 0


def test_search_recall_at_10_and_mrr_skip_a_chapter_whose_section_holds_the_phrase():
    ps = [prov("k__ch_1", "chapter", "甲", "一、甲 购买实习责任保险。", children=["k__ch_1__sec_1"]),
          prov("k__ch_1__sec_1", "section", "乙", "购买实习责任保险。", parent="k__ch_1"),
          prov("k__ch_2", "chapter", "丙", "二、丙 做好职业指导。")]
    hits = {"保险": ["000__ch_9", "k__ch_1", "k__ch_1__sec_1"], "指导": ["k__ch_2"],
            "没有": ["000__ch_9"]}
    gold = {"search": [{"q": "保险", "contains": "购买实习责任保险"},
                       {"q": "指导", "contains": "做好职业指导"},
                       {"q": "没有", "contains": "购买实习责任保险"}]}
    s = score("search", corpus(ps, hits=hits), gold)
    assert (s.right, s.total) == (2, 3)
    assert s.extra["MRR"] == pytest.approx((1 / 3 + 1 + 0) / 3)


def test_a_document_not_added_has_every_fact_missed_with_its_reason():
    gold = {"file": "x.txt", "metadata": {"number": "某〔2023〕1号", "level": "county"},
            "chapters": ["甲", "乙"], "not_departments": ["某局"], "not_citations": ["丙"],
            "search": [{"q": "丁", "contains": "丁"}]}
    result = score_document(corpus([]), WildDoc("T9_x", gold, error="UnreadableDocument: empty"))
    assert (result.right, result.total) == (0, 7)
    assert "NOT ADDED: UnreadableDocument: empty" in format_document(result)


# ---- end to end: a wild folder written here, added with no flags to a scratch corpus -----------

NOTICE = """宜昌市人力资源和社会保障局关于做好技工院校学生实习管理工作的通知
宜人社发〔2023〕12号
各县市区人力资源和社会保障局，各技工院校：
为规范技工院校学生实习管理，根据《技工院校学生实习管理办法》，现就有关事项通知如下：
一、加强实习组织
（一）完善实习制度。各技工院校要建立健全实习管理制度，明确实习岗位要求。（宜昌市人力资源和社会保障局牵头，宜昌市教育局配合）
（二）强化安全保障。各技工院校要为实习学生统一购买实习责任保险，落实安全责任。
二、强化监督检查
（一）开展专项检查。每年对技工院校实习工作开展一次专项检查，发现问题限期整改。
宜昌市人力资源和社会保障局
2023年5月10日
"""


@pytest.fixture(scope="module")
def wild(tmp_path_factory):
    folder = tmp_path_factory.mktemp("eval") / "wild"
    folder.mkdir()
    (folder / "T1_yichang.txt").write_text(NOTICE, encoding="gbk")
    (folder / "T2_broken.txt").write_bytes(b"")
    golds = {
        "T1_yichang": {"file": "T1_yichang.txt",
                       "metadata": {"number": "宜人社发〔2023〕12号", "date": "2023-05-10"},
                       "chapters": ["加强实习组织", "强化监督检查", "不存在的一章"],
                       "not_departments": ["宜昌市教育局", "宜昌市教育委员会"],
                       "not_citations": ["技工院校学生实习管理办法", "宜昌市技工院校实习管理细则"],
                       "search": [{"q": "实习责任保险", "contains": "统一购买实习责任保险"}]},
        "T2_broken": {"file": "T2_broken.txt", "chapters": ["甲"], "not_citations": ["乙"]},
    }
    for name, gold in golds.items():
        (folder / f"{name}.gold.json").write_text(json.dumps(gold, ensure_ascii=False),
                                                  encoding="utf-8")
    return folder


@pytest.fixture(scope="module", autouse=True)
def kept(tmp_path_factory):
    """Scratch corpora kept in a folder of this module's, not the system's, under a key
    that does not follow the code (other work may change it while the tests run)."""
    root = tmp_path_factory.mktemp("kept")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(evaluate_wild_mod, "cache_root", lambda: root)
        mp.setattr(evaluate_wild_mod, "build_key",
                   lambda folder, engines, one_by_one: f"{sorted(engines)}{one_by_one}")
        yield root


@pytest.fixture(scope="module")
def report(wild, kept):
    return evaluate_wild(wild, max_bytes=1 << 20, engines=("tantivy",))


def test_a_second_eval_of_the_same_code_and_inputs_reuses_the_kept_build(wild, report):
    again = evaluate_wild(wild, max_bytes=1 << 20, engines=("tantivy",))
    assert "cached" in again.mode and "cached" not in report.mode
    assert [(r.doc.file, r.right, r.total) for r in again.results] == \
        [(r.doc.file, r.right, r.total) for r in report.results]


def test_the_build_key_follows_the_inputs(tmp_path):
    (tmp_path / "a.txt").write_text("一", encoding="utf-8")
    build_key = real_build_key            # the module's fixture replaces the attribute
    before = build_key(tmp_path, ("tantivy",), False)
    assert build_key(tmp_path, ("tantivy",), False) == before
    assert build_key(tmp_path, ("whoosh",), False) != before
    (tmp_path / "a.txt").write_text("二", encoding="utf-8")
    assert build_key(tmp_path, ("tantivy",), False) != before


def test_end_to_end_facts_right_and_missed(report):
    t1, t2 = report.results
    assert t1.doc.file and not t1.doc.error and t1.doc.file.endswith(".txt")
    by = {s.name: s for s in t1.scores}
    assert (by["metadata"].right, by["metadata"].total) == (2, 2)          # read from GBK
    assert (by["chapters"].right, by["chapters"].total) == (2, 3)
    assert by["chapters"].misses == [
        "chapter '不存在的一章' missing (chapters: [加强实习组织, 强化监督检查])"]
    # 宜昌市教育局 is a responsibility written out in full: listed as not wanted, it is a
    # false positive; 宜昌市教育委员会 is nowhere.
    assert (by["not_departments"].right, by["not_departments"].total) == (1, 2)
    # the 《…》 it cites, listed here as not to be cited, is one false positive
    assert (by["not_citations"].right, by["not_citations"].total) == (1, 2)
    assert (by["search"].right, by["search"].total) == (1, 1)
    assert t1.total == 10


def test_end_to_end_a_file_that_cannot_be_added_is_reported_not_raised(report):
    t2 = report.results[1]
    assert t2.doc.file is None and "empty" in t2.doc.error
    assert (t2.right, t2.total) == (0, 2)
    line = format_total(report)
    assert line.startswith("wild total: 7/12 facts") and "1 NOT ADDED" in line


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The user's data folder, built for the bundled table (tantivy only: quicker)."""
    store = DataDir(tmp_path_factory.mktemp("data"))
    build(store, engines=("tantivy",))
    return store


def test_cli_prints_wild_tables_then_bundled_then_the_total(data, wild, report, monkeypatch):
    # `report` kept the scratch corpus this eval reuses (whichever test ran first)
    monkeypatch.setenv("POLICYKG_ENGINE", "tantivy")
    run = lambda *a: CliRunner().invoke(cli, ["--data", str(data.root), "eval", *a],
                                        catch_exceptions=False)
    out = run("--eval-dir", str(wild.parent), "-v").stdout.splitlines()
    assert out[0].startswith("wild T1_yichang.txt → ")
    assert any("miss [T1 not_citations] false positive" in line for line in out)
    assert out[-1].startswith("wild total: 7/12 facts") and "cached" in out[-1], out[-1]
    assert out.index("bundled corpus (this data folder's build):") > max(
        i for i, line in enumerate(out) if line.startswith("wild T2_broken.txt"))
    quiet = run("--eval-dir", str(wild.parent), "--no-wild").stdout
    assert "wild" not in quiet


def test_cli_scores_the_wild_part_when_this_data_folder_is_not_built(wild, tmp_path, report):
    result = CliRunner().invoke(cli, ["--data", str(tmp_path / "none"), "eval",
                                      "--eval-dir", str(wild.parent)])
    out = result.stdout.splitlines()
    assert result.exit_code != 0 and "nothing is built" in result.stdout
    assert out[-1].startswith("wild total: 7/12 facts")
