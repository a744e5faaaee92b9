"""Issue 15, "at 2,000 documents": every page an official opens pages, filters or
summarises instead of printing everything.  Paging correctness on the bundled corpus
through the Flask test client: the pages of a list add up to the whole list in its order,
totals and page counts agree, filters keep what they say; the JSON keeps its fields and
adds page / size / total / pages.  (Timings are measured by bench/pages.py, never here.)"""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from policykg.web import alignment_views, department_views, document_views
from policykg.web.lookups import Paging


def pages_of(client, url: str, key: str, size: int, **args) -> tuple[list[dict], list[dict]]:
    """Every item of a paged list, and each page's envelope."""
    items, envelopes, page = [], [], 1
    while True:
        data = client.get(url, query_string={**args, "page": page, "size": size}).get_json()
        envelopes.append(data)
        items.extend(data[key])
        if page >= data["pages"]:
            return items, envelopes
        page += 1


def check_envelopes(envelopes: list[dict], total: int, size: int) -> None:
    assert {e["total"] for e in envelopes} == {total}
    assert {e["size"] for e in envelopes} == {size}
    assert [e["page"] for e in envelopes] == list(range(1, len(envelopes) + 1))
    assert envelopes[0]["pages"] == len(envelopes) == max(1, -(-total // size))


# ---- the document list and the home page ------------------------------------------------------------

@pytest.mark.parametrize("sort", [None, "date"])
def test_document_list_pages_add_up_to_every_document_in_order(client, built, sort):
    _, gen = built
    whole = document_views.documents(gen, sort=sort)
    args = {"sort": sort} if sort else {}
    items, envelopes = pages_of(client, "/api/documents", "documents", 2, **args)
    assert [d["doc"] for d in items] == [d["doc"] for d in whole]
    check_envelopes(envelopes, len(whole), 2)
    assert {e["sort"] for e in envelopes} == {sort or "level"}


def test_document_list_keeps_its_sort_and_level_in_page_links(client, built):
    _, gen = built
    html = client.get("/documents?sort=date&size=2").get_data(as_text=True)
    assert "/documents?sort=date&amp;size=2&amp;page=2" in html and "下一页" in html
    assert len(re.findall(r'class="card doc-row"', html)) == 2
    level = gen.documents[0]["level"]
    data = client.get("/api/documents", query_string={"level": level}).get_json()
    assert data["total"] == sum(d["level"] == level for d in gen.documents) >= 1
    assert {d["level"] for d in data["documents"]} == {level}
    assert client.get("/api/documents?page=0").status_code == 400


def test_home_summarises_the_documents(client, built):
    _, gen = built
    v = document_views.home(gen)
    assert v["total"] == len(gen.documents) == sum(r["count"] for r in v["levels"])
    assert sum(v["states"].values()) == v["total"]
    assert [d["doc"] for d in v["latest"]] == \
        [d["doc"] for d in document_views.documents(gen, sort="date")][:document_views.HOME_LATEST]
    html = client.get("/").get_data(as_text=True)
    assert f"{v['total']} 份文件" in html
    for r in v["levels"]:
        if r["level"]:
            assert f"/documents?level={r['level']}" in html


# ---- the department list -------------------------------------------------------------------------------

def test_department_list_pages_add_up_to_every_department_in_order(client, built):
    _, gen = built
    whole = department_views.departments(gen)
    items, envelopes = pages_of(client, "/api/departments", "departments", 7)
    assert items == whole
    check_envelopes(envelopes, len(whole), 7)
    first = envelopes[0]
    assert sum(r["count"] for r in first["levels"]) == len(whole)
    assert sum(r["count"] for r in first["regions"]) == len(whole)


def test_department_list_filters_by_words_level_and_region(client, built):
    _, gen = built
    whole = department_views.departments(gen)
    dongguan = client.get("/api/departments", query_string={"q": "东莞 人力资源", "size": 200}
                          ).get_json()
    names = [d["name"] for d in dongguan["departments"]]
    assert "东莞市人力资源和社会保障局" in names and dongguan["total"] == len(names)
    assert all("东莞" in (d["name"] + (d["region"] or "")) for d in dongguan["departments"])
    # traditional characters are read as simplified
    assert client.get("/api/departments", query_string={"q": "東莞 人力資源", "size": 200}
                      ).get_json()["departments"] == dongguan["departments"]
    level = next(d["level"] for d in whole if d["level"] == "provincial")
    kept = client.get("/api/departments", query_string={"level": level, "size": 200}).get_json()
    assert kept["departments"] == [d for d in whole if d["level"] == level]
    region = next(d["region"] for d in whole if d["region"])
    both = client.get("/api/departments", query_string={"region": region, "level": level,
                                                         "size": 200}).get_json()
    assert both["departments"] == [d for d in whole if d["level"] == level
                                   and d["region"] == region]
    none = client.get("/api/departments", query_string={"q": "没有这个部门"}).get_json()
    assert none["departments"] == [] and none["total"] == 0 and none["pages"] == 1


def test_department_list_page_keeps_the_filter_in_its_links(client):
    html = client.get("/departments?q=人力资源&size=2").get_data(as_text=True)
    assert 'value="人力资源"' in html and "符合条件的" in html
    assert "/departments?q=%E4%BA%BA%E5%8A%9B%E8%B5%84%E6%BA%90&amp;size=2&amp;page=2" in html
    assert len(re.findall(r'class="dept-row"', html)) == 2
    empty = client.get("/departments?q=没有这个部门").get_data(as_text=True)
    assert 'id="dept-empty">' in empty          # shown, not hidden


# ---- a department's page -------------------------------------------------------------------------------

def _busiest(gen) -> dict:
    return max(department_views.departments(gen),
               key=lambda d: (d["lead"] + d["participant"], d["id"]))


def test_department_tasks_page_through_to_every_task(client, built):
    _, gen = built
    dept = _busiest(gen)
    whole = department_views.department(gen, dept["id"])      # no paging: every task (exports)
    flat = [(g["document"]["doc"], t["id"], t["role"]) for g in whole["tasks"] for t in g["tasks"]]
    url = "/api/departments/" + quote(dept["id"], safe="")
    seen, envelopes, page = [], [], 1
    while True:
        data = client.get(url, query_string={"page": page, "size": 3}).get_json()
        envelopes.append(data)
        seen += [(g["document"]["doc"], t["id"], t["role"]) for g in data["tasks"] for t in g["tasks"]]
        for g in data["tasks"]:      # each group counts the whole document's tasks
            full = next(w for w in whole["tasks"] if w["document"]["doc"] == g["document"]["doc"])
            assert g["count"] == len(full["tasks"]) == g["lead"] + g["participant"]
        if page >= data["pages"]:
            break
        page += 1
    assert seen == flat
    check_envelopes(envelopes, len(flat), 3)
    assert whole["task_count"] == len(flat) == dept["lead"] + dept["participant"]
    assert (whole["lead_count"], whole["participant_count"]) == (dept["lead"], dept["participant"])
    assert whole["document_count"] == len(whole["tasks"])


def test_department_tasks_of_one_document(client, built):
    _, gen = built
    dept = _busiest(gen)
    whole = department_views.department(gen, dept["id"])
    group = whole["tasks"][0]
    doc = group["document"]
    data = client.get("/api/departments/" + quote(dept["id"], safe=""),
                      query_string={"doc": doc["key"], "size": 200}).get_json()
    assert data["doc"] == doc["doc"] and data["total"] == len(group["tasks"])
    assert [g["document"]["doc"] for g in data["tasks"]] == [doc["doc"]]
    html = client.get("/departments/" + quote(dept["id"]),
                      query_string={"size": 1}).get_data(as_text=True)
    if group["count"] > 1:          # a group cut by the page links to all of its tasks
        assert "doc=" + quote(doc["key"]) in html and f"只看该文件的 {group['count']} 项任务" in html


def test_department_mentions_are_counted_and_cut(built):
    _, gen = built
    dept = max(department_views.departments(gen), key=lambda d: d["mentions"])
    paged = department_views.department(gen, dept["id"], Paging())
    assert paged["mention_count"] == dept["mentions"]
    assert len(paged["mentions"]) == min(dept["mentions"], department_views.MENTIONS_SHOWN)


# ---- the alignment tree ---------------------------------------------------------------------------------

def _count(node) -> int:
    return len(node["lower"]) + sum(_count(k) for k in node["lower"])


def test_alignment_tree_pages_the_roots_takers_and_counts_every_level(client, built):
    _, gen = built
    roots = client.get("/api/alignment?size=200").get_json()["roots"]
    root = max(roots, key=lambda r: r["direct"])
    [whole] = alignment_views.alignment_tree(gen, root["id"])
    kids = []
    envelopes, page = [], 1
    while True:
        data = client.get("/api/alignment", query_string={"root": root["id"], "page": page,
                                                           "size": 2}).get_json()
        envelopes.append(data)
        [node] = data["tree"]
        assert node["id"] == root["id"] and node["lower_total"] == len(whole["lower"])
        kids += [k["id"] for k in node["lower"]]
        if page >= data["pages"]:
            break
        page += 1
    assert kids == [k["id"] for k in whole["lower"]]
    check_envelopes(envelopes, len(whole["lower"]), 2)


def test_alignment_tree_shows_the_first_takers_below_the_root(built):
    _, gen = built
    [whole] = max((alignment_views.alignment_tree(gen, r["id"])
                   for r in alignment_views.alignment(gen)["roots"]),
                  key=lambda t: _count(t[0]))
    [cut] = alignment_views.alignment_tree(gen, whole["id"], Paging(), first=1)

    def walk(full, shown, depth):
        assert shown["id"] == full["id"] and shown["lower_total"] == len(full["lower"])
        # the link's score and evidence (read apart for the links shown), the node's ref
        fields = ("score", "evidence", "level", "doc", "number", "heading")
        assert {k: shown.get(k) for k in fields} == {k: full.get(k) for k in fields}
        expect = full["lower"] if depth == 0 else full["lower"][:1] if depth == 1 else []
        assert [k["id"] for k in shown["lower"]] == [k["id"] for k in expect]
        for f, s in zip(full["lower"], shown["lower"]):
            walk(f, s, depth + 1)
    walk(whole, cut, 0)


def test_a_trees_page_holds_fewer_takers_unless_asked(client, built):
    _, gen = built
    roots = alignment_views.alignment(gen, paging=Paging(size=200))["roots"]
    root = max(roots, key=lambda r: r["direct"])
    data = client.get("/api/alignment", query_string={"root": root["id"]}).get_json()
    assert data["size"] == alignment_views.ALIGN_PAGE and data["total"] == root["direct"]
    assert len(data["tree"][0]["lower"]) == min(root["direct"], alignment_views.ALIGN_PAGE)
    assert client.get("/api/alignment", query_string={"root": root["id"], "size": 7}
                      ).get_json()["size"] == 7


def test_alignment_tree_page_links_to_a_takers_own_tree(client, built, monkeypatch):
    _, gen = built
    roots = alignment_views.alignment(gen, paging=Paging(size=200))["roots"]
    deep = next((r for r in roots if r["below"] > r["direct"]), None)
    assert deep is not None, "the bundled corpus has a tree two levels deep (国家 → 广东 → 东莞)"
    monkeypatch.setattr(alignment_views, "ALIGN_FIRST", 0)   # nothing shown below the root's takers
    [tree] = alignment_views.alignment_tree(gen, deep["id"], Paging())
    cut = next(k for k in tree["lower"] if k["lower_total"] > 0)
    assert cut["lower"] == [] and tree["lower_total"] == deep["direct"]
    html = client.get("/alignment", query_string={"root": deep["id"]}).get_data(as_text=True)
    assert f"直接承接它的条款共 {deep['direct']} 条" in html
    assert f"/alignment?root={quote(cut['id'])}" in html and \
        f"承接它的全部 {cut['lower_total']} 条" in html


# ---- the document page's coverage ----------------------------------------------------------------------

def test_document_page_lists_one_plans_coverage_and_links_the_others(client, built):
    _, gen = built
    doc = max(gen.documents, key=lambda d: len(document_views.document(gen, d["doc"])["coverage"]))
    plans = document_views.document(gen, doc["doc"])["coverage"]
    assert len(plans) >= 2, "a bundled municipal plan takes up its province's and the nation's"
    html = client.get(f"/documents/{doc['key']}").get_data(as_text=True)
    assert html.count('class="not-taken-up"') == 1
    second = plans[1]
    assert f"plan={second['higher_key']}" in html
    html = client.get(f"/documents/{doc['key']}", query_string={"plan": second["higher_key"]}
                      ).get_data(as_text=True)
    opened = re.search(r'<details class="coverage" data-higher="([^"]+)" open>', html)
    assert opened and opened.group(1) == second["higher_key"]
    # the API: every plan's counts, the lists of the nearest (or ?plan=), as the page
    api = client.get(f"/api/documents/{doc['key']}").get_json()["coverage"]
    assert [(c["taken_up_count"], c["not_taken_up_count"], c["total"]) for c in api] == [
        (c["taken_up_count"], len(c["not_taken_up"]), c["total"]) for c in plans]
    assert [c["detailed"] for c in api] == [True] + [False] * (len(api) - 1)
    assert all("taken_up" not in c and "not_taken_up" not in c for c in api[1:])
    api = client.get(f"/api/documents/{doc['key']}",
                     query_string={"plan": second["higher_key"]}).get_json()["coverage"]
    assert [c["higher_key"] for c in api if c["detailed"]] == [second["higher_key"]]


def test_the_document_api_pages_the_lists_of_the_plan_it_details(client, built):
    """?plan= names the higher plan whose lists come; ?page= and ?size= page them, each
    list cut alike, and every page joined is the whole list."""
    _, gen = built
    doc, plan = max(((d, c) for d in gen.documents
                     for c in document_views.document(gen, d["doc"])["coverage"]),
                    key=lambda dc: len(dc[1]["not_taken_up"]))
    assert len(plan["not_taken_up"]) >= 2, "a bundled plan leaves provisions not taken up"
    size = max(1, len(plan["not_taken_up"]) // 2)
    got: dict[str, list] = {"taken_up": [], "not_taken_up": []}
    page = 1
    while True:
        body = client.get(f"/api/documents/{doc['key']}", query_string={
            "plan": plan["higher_key"], "page": page, "size": size}).get_json()
        [shown] = [c for c in body["coverage"] if c["detailed"]]
        assert shown["higher_key"] == plan["higher_key"] and shown["size"] == size
        assert shown["total"] == plan["total"] and len(shown["not_taken_up"]) <= size
        for key in got:
            got[key] += shown[key]
        if page >= shown["pages"]:
            break
        page += 1
    longest = max(len(plan["taken_up"]), len(plan["not_taken_up"]))
    assert page == -(-longest // size) >= 2
    assert got == {"taken_up": plan["taken_up"], "not_taken_up": plan["not_taken_up"]}


def test_coverage_lists_are_cut_and_grouped_by_chapter(built):
    _, gen = built
    plan = next(c for d in gen.documents for c in document_views.document(gen, d["doc"])["coverage"]
                if len(c["not_taken_up"]) >= 2)
    lists = document_views.coverage_lists(plan, shown=1)
    assert sum(len(items) for _, items in lists["not_taken_up"]) == 1
    whole = document_views.coverage_lists(plan, shown=10_000)
    assert [e for _, items in whole["not_taken_up"] for e in items] == sorted(
        plan["not_taken_up"], key=lambda e: [c["id"] for c in plan["chapters"]].index(e["chapter"]))
