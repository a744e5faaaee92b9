"""One task, one responsibility (issue 15): a plan that states a task in its body and again
as a row of an annexed 重点任务分工表 has one task — the body provision carries it, the row is
its evidence — and every count (department pages, the department list, the responsibility
matrix, the exports) counts it once.

The fixture (fixtures/tasks/shaoguan_2024.txt, written for these tests) has three body tasks
and a three-row task table: row 1 restates （一） (no bracket in the body), row 2 restates
（二） and disagrees with its bracket on who leads and names one more department, row 3 has
no body provision.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest
from rdflib.namespace import DCTERMS, PROV, RDF

from policykg.corpus.records import DocumentMeta
from policykg.corpus.segment import segment_document
from policykg.indexer.standing import standing
from policykg.ontology.responsibilities import extract_departments
from policykg.ontology.graph_build import build_graph
from policykg.ontology.graph_files import validate_graph
from policykg.ontology.namespaces import CV, POL, PREFIXES
from policykg.ontology.tasks import heading_similarity, restatements
from questions import TASKS

FIXTURE = Path(__file__).parent / "fixtures" / "tasks" / "shaoguan_2024.txt"
META = DocumentMeta(file="shaoguan_2024.txt", title="韶关市推进技工教育高质量发展工作方案",
                    level="municipal", region="韶关市", issuer="韶关市人力资源和社会保障局",
                    date="2024-03-01")
HRSS, DRC = "韶关市人力资源和社会保障局", "韶关市发展和改革局"
FINANCE, EDU, UNION = "韶关市财政局", "韶关市教育局", "韶关市总工会"


@pytest.fixture(scope="module")
def doc():
    return segment_document(FIXTURE.read_text(encoding="utf-8"), META)


def pid(doc, heading: str, kind: str) -> str:
    return next(p.id for p in doc.provisions if p.heading == heading and p.kind == kind)


@pytest.fixture(scope="module")
def ids(doc):
    return {"sec1": pid(doc, "扩大技工院校招生规模", "section"),
            "sec2": pid(doc, "建设高水平实训基地", "section"),
            "sec3": pid(doc, "加强师资队伍建设", "section"),
            "row1": pid(doc, "扩大技工院校招生规模", "table_row"),
            "row2": pid(doc, "建设高水平实训基地", "table_row"),
            "row3": pid(doc, "开展职业技能竞赛活动", "table_row")}


# ---- the pairing rule (ontology.tasks) -----------------------------------------------------------

def test_rows_are_paired_with_the_body_provisions_they_restate(doc, ids):
    assert restatements(doc.provisions) == {ids["row1"]: ids["sec1"], ids["row2"]: ids["sec2"]}


def test_a_longer_restatement_pairs_and_another_task_of_the_same_frame_does_not():
    assert heading_similarity("实施助力大国外交职业教育国际化提升专项行动", "实施助力大国外交专项行动") >= 0.6
    assert heading_similarity("实施科教协同创新专项行动", "实施助力大国外交专项行动") < 0.6


def test_search_ranks_by_the_same_rule(doc, ids):
    by_id = doc.by_id()
    roles = {k: standing(by_id[v], by_id).role for k, v in ids.items()}
    assert roles["row1"] == roles["row2"] == "evidence"
    assert roles["row3"] == "annex"                  # a task of its own


# ---- the reading -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def facts(doc):
    return extract_departments([doc])


def roles_of(facts, provision: str) -> dict[str, str]:
    return {r.name: r.role for r in facts.responsibilities if r.provision == provision}


def test_the_body_provision_carries_the_task_and_the_row_is_its_evidence(facts, ids):
    assert roles_of(facts, ids["sec1"]) == {HRSS: "lead", EDU: "participant"}
    assert roles_of(facts, ids["row1"]) == {HRSS: "lead", EDU: "participant"}
    assert {r.evidence_of for r in facts.responsibilities if r.provision == ids["row1"]} \
        == {ids["sec1"]}
    assert all(r.evidence_of is None for r in facts.responsibilities
               if r.provision in (ids["sec1"], ids["sec2"], ids["sec3"], ids["row3"]))


def test_the_row_settles_roles_and_keeps_a_department_the_body_does_not_name(facts, ids):
    # body: （市人社局牵头，市发展改革局配合）; row: 市发展改革局（牵头）、市人社局、市财政局
    assert roles_of(facts, ids["sec2"]) == {DRC: "lead", HRSS: "participant",
                                            FINANCE: "participant"}


def test_a_row_with_no_body_provision_is_a_task_of_its_own(facts, ids):
    assert roles_of(facts, ids["row3"]) == {HRSS: "lead", UNION: "participant"}
    assert all(r.evidence_of is None for r in facts.responsibilities
               if r.provision == ids["row3"])


# ---- the graph ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built_graph(doc):
    return build_graph([doc])


def test_each_department_has_each_task_once(built_graph, ids):
    tasks = {row["name"]: Counter(t["provision"] for t in row["tasks"])
             for row in built_graph.rows["departments"]}
    assert tasks[HRSS] == Counter([ids["sec1"], ids["sec2"], ids["sec3"], ids["row3"]])
    assert tasks[DRC] == Counter([ids["sec2"]])
    assert tasks[FINANCE] == Counter([ids["sec2"]])
    hrss = next(r for r in built_graph.rows["departments"] if r["name"] == HRSS)
    evidence = {t["provision"]: t["evidence"] for t in hrss["tasks"]}
    assert evidence == {ids["sec1"]: ids["row1"], ids["sec2"]: ids["row2"],
                        ids["sec3"]: None, ids["row3"]: None}


def test_the_rows_facts_keep_their_departments_and_name_the_task(built_graph, ids):
    row = built_graph.facts[ids["row2"]]
    assert row["evidence_of"] == ids["sec2"]
    assert row["departments"] == {"lead": [DRC], "participants": [HRSS, FINANCE]}
    assert "evidence_of" not in built_graph.facts[ids["row3"]]


def test_the_rows_participation_is_evidence_of_the_body_provisions(built_graph, ids):
    g = built_graph.graph
    conforms, text = validate_graph(g)
    assert conforms, text[:2000]
    links = list(g.subject_objects(POL.evidenceOf))
    assert len(links) == 2 + 3                       # row 1: two departments, row 2: three
    for row_part, task_part in links:
        assert (row_part, RDF.type, CV.Participation) in g
        assert (task_part, PROV.wasDerivedFrom, row_part) in g
        row = str(g.value(g.value(None, CV.hasParticipation, row_part), DCTERMS.identifier))
        task = str(g.value(g.value(None, CV.hasParticipation, task_part), DCTERMS.identifier))
        assert (row, task) in ((ids["row1"], ids["sec1"]), (ids["row2"], ids["sec2"]))
        assert g.value(row_part, CV.role) == g.value(task_part, CV.role)


def test_the_sparql_task_list_counts_once(built_graph, ids):
    """The department's tasks as an official asks them on the SPARQL page (TASKS)."""
    g = built_graph.graph
    dept = g.query('SELECT ?d WHERE { ?d skos:prefLabel ?n FILTER(STR(?n) = "%s") }' % HRSS,
                   initNs=PREFIXES)
    (d,) = [row[0] for row in dept]
    got = [str(row.id) for row in g.query(TASKS % d, initNs=PREFIXES)]
    assert sorted(got) == sorted([ids["sec1"], ids["sec2"], ids["sec3"], ids["row3"]])


# ---- the pages and the exports -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(doc, tmp_path_factory):
    from policykg.pipeline.build import build
    from policykg.pipeline.datadir import DataDir
    from policykg.web.app import create_app
    from policykg.web.settings import Settings
    store = DataDir(tmp_path_factory.mktemp("tasks-data"))
    build(store, [doc], engines=("whoosh",))
    app = create_app(Settings(data_dir=store.root))
    yield app.test_client()
    app.extensions["policykg"].close()


def test_the_list_and_the_page_count_the_same_distinct_tasks(client):
    listed = {d["name"]: d for d in client.get("/api/departments").get_json()["departments"]}
    for name, want in ((HRSS, (3, 1)), (DRC, (1, 0)), (FINANCE, (0, 1)), (UNION, (0, 1))):
        row = listed[name]
        page = client.get(f"/api/departments/{row['id']}").get_json()
        shown = [t for g in page["tasks"] for t in g["tasks"]]
        assert (row["lead"], row["participant"]) == want, name
        assert len(shown) == len({t["id"] for t in shown}) == sum(want), name
        assert len({t["heading"] for t in shown}) == len(shown), name


def test_the_matrix_lists_each_task_once(client, ids):
    matrix = client.get("/api/documents/shaoguan_2024.txt").get_json()["matrix"]
    shown = [t["provision"]["id"] for t in matrix["tasks"]]
    assert sorted(shown) == sorted([ids["sec1"], ids["sec2"], ids["sec3"], ids["row3"]])
    hrss = next(d for lv in matrix["by_level"] for d in lv["departments"] if d["name"] == HRSS)
    assert (hrss["lead_count"], hrss["participant_count"]) == (3, 1)


def rows_of(csv_text: str) -> list[list[str]]:
    return [r for r in csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))) if r and r[0].isdigit()]


def test_the_exports_count_each_task_once(client):
    listed = {d["name"]: d for d in client.get("/api/departments").get_json()["departments"]}
    ledger = client.get(f"/api/departments/{listed[HRSS]['id']}?format=csv")
    assert ledger.status_code == 200
    assert len(rows_of(ledger.get_data(as_text=True))) == 4
    table = client.get("/api/documents/shaoguan_2024.txt?format=csv")
    assert len(rows_of(table.get_data(as_text=True))) == 4
