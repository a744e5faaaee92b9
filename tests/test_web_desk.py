"""The pages as an official reads them (issue 15, "wrong today"): Chinese throughout,
documents named by title, filters that do not stick, IRIs that dereference, bounded SPARQL
examples, a readable responsibility matrix."""
from __future__ import annotations

import html as html_mod
import json
import re
from urllib.parse import urlsplit

import pytest

from policykg.web.app import create_app
from policykg.web.settings import Settings
from webtools import crawl

# A corpus file name as the build names them (NNN_<16 hex>.txt).
FILE_NAME = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")
# English a person would read on a page: error texts, reasons, labels, legends, summaries.
# (Code a person types or copies — <code>, <pre>, the SPARQL editor — is not checked.)
ENGLISH_UI = ["not found", "no such", "no document", "no provision", "no department",
              "no resource", "unknown", "ignored", "wildcards", "filter", "provision",
              "provisions", "department", "departments", "indicator", "aligned", "municipal",
              "provincial", "national", "county", "document", "documents", "search",
              "target", "targets", "error", "refused", "failed", "requested", "server",
              "the", "and", "with", "must", "query", "path", "goes by", "nothing",
              "lead", "participant", "chapter", "section", "annex", "table_row",
              "full-text", "metadata", "outline", "alive", "loaded"]
_ENGLISH = re.compile(r"(?<![A-Za-z_])(" + "|".join(re.escape(w) for w in ENGLISH_UI)
                      + r")(?![A-Za-z_])", re.I)


@pytest.fixture(scope="module")
def pages(client):
    return crawl(client)


def _strip(html: str, *tags: str) -> str:
    for tag in tags:
        html = re.sub(rf"<{tag}\b[^>]*>.*?</{tag}>", " ", html, flags=re.S | re.I)
    return html


def readable(html: str, code: bool = True) -> str:
    """What a person reads on a page: the body's text and the attributes shown to them,
    without scripts, styles and the details lines (`details.tech`: IRIs, file names,
    generation ids); without code either unless `code`."""
    body = html.split("<body", 1)[-1]
    body = re.sub(r'<details class="tech".*?</details>', " ", body, flags=re.S)
    body = _strip(body, "script", "style")
    if not code:
        body = _strip(body, "code", "pre", "textarea", "kbd")
    shown = re.findall(r'(?:placeholder|title|aria-label|alt)="([^"]*)"', body)
    text = re.sub(r"<[^>]+>", " ", body)
    return html_mod.unescape(" ".join([text, *shown]))


def english_in(html: str) -> list[str]:
    return sorted({m.group(0) for m in _ENGLISH.finditer(readable(html, code=False))})


# ---- 2, 3: no file names, no English ------------------------------------------------------------

def test_the_crawl_reaches_every_kind_of_page(pages):
    shapes = {urlsplit(u).path.split("/")[1] for u in pages}
    assert shapes >= {"", "search", "documents", "provisions", "departments", "targets",
                      "alignment", "graph", "compare", "sparql", "api", "help"}, shapes
    assert len(pages) > 100


def test_no_page_names_a_document_by_its_file_name(pages):
    bad = {url: FILE_NAME.findall(readable(html))[:3] for url, html in pages.items()
           if FILE_NAME.search(readable(html))}
    assert not bad, bad


def test_no_page_shows_english_ui_words(pages):
    bad = {url: words for url, html in pages.items() if (words := english_in(html))}
    assert not bad, dict(list(bad.items())[:10])


@pytest.mark.parametrize("url", ["/nope", "/documents/nope", "/provisions/nope",
                                 "/departments/nope", "/graph/nope", "/alignment?root=nope",
                                 "/targets?page=abc", "/compare?higher=a&lower=b"])
def test_error_pages_are_chinese(client, url):
    resp = client.get(url, headers={"Accept": "text/html"})
    assert resp.status_code in (400, 404)
    html = resp.get_data(as_text=True)
    assert not english_in(html), english_in(html)
    assert re.search(r"[\u4e00-\u9fff]", readable(html).split("政策图谱", 2)[-1])


def test_search_reasons_and_reading_are_chinese(client):
    html = client.get("/search?q=level:municipal+就业率+dept:不存在的部门+技*").get_data(as_text=True)
    assert "层级：市级" in readable(html)
    assert not english_in(html), english_in(html)


def test_sparql_errors_are_explained_in_chinese(client):
    for query in ("SELEC nothing", "SELECT * FROM <http://x> WHERE { ?s ?p ?o }"):
        resp = client.post("/sparql", data={"query": query},
                           headers={"Accept": "application/sparql-results+json"})
        body = resp.get_json()
        assert resp.status_code == 400 and re.search(r"[\u4e00-\u9fff]", body["message"]), body


def test_graph_legend_and_api_summaries_are_chinese(client, pages):
    graph_page = next(html for url, html in pages.items() if url.startswith("/graph/"))
    data = json.loads(html_mod.unescape(re.search(r"data-graph='([^']*)'", graph_page).group(1)))
    assert set(data["legend"].values()) >= {"条款", "部门"} and set(data["legend"]) == set(data["categories"])
    spec = client.get("/api/openapi.json").get_json()
    for path, ops in spec["paths"].items():
        for op in ops.values():
            assert re.search(r"[\u4e00-\u9fff]", op["summary"]), (path, op["summary"])


# ---- 1: filters do not stick --------------------------------------------------------------------

def test_the_search_form_carries_no_hidden_filters_and_the_clear_link_stays(client):
    html = client.get("/search?q=技师学院&level=municipal").get_data(as_text=True)
    form = re.search(r'<form[^>]*role="search"[^>]*>.*?</form>', html.split("<main")[1], re.S).group(0)
    assert 'type="hidden"' not in form
    assert "层级：市级" in readable(html)
    empty = client.get("/search?q=不可能出现的词组甲乙丙&level=municipal&kind=box").get_data(as_text=True)
    assert "共 0 条结果" in empty and 'id="clear-filters"' in empty
    assert 'href="/search?q=' in re.search(r'<a[^>]*id="clear-filters"[^>]*>', empty).group(0)


# ---- 2, 4: the targets page -----------------------------------------------------------------------

def test_comparisons_and_chart_name_documents_and_keep_the_comparator(client):
    html = client.get("/targets?indicator=高级工班及以上在校生比例").get_data(as_text=True)
    shown = readable(html)
    assert "东莞市深化产教融合推动技工教育高质量发展实施方案" in shown
    assert "≥40" in shown and "≥55" in shown
    rows = json.loads(html_mod.unescape(re.search(r"data-chart='([^']*)'", html).group(1)))
    assert {r["display"] for r in rows} >= {"≥40 %", "≥55 %"}, [r["display"] for r in rows]
    assert not any(FILE_NAME.search(r["name"]) for r in rows)


# ---- 6: the responsibility matrix -----------------------------------------------------------------

def test_matrix_lists_departments_by_level_with_counts_and_tasks(client, built):
    _, gen = built
    doc = max(gen.documents, key=lambda d: len(client.get(f"/api/documents/{d['key']}")
                                                 .get_json()["matrix"]["departments"]))
    view = client.get(f"/api/documents/{doc['key']}").get_json()["matrix"]
    groups = view["by_level"]
    assert [g["level"] for g in groups] == sorted({g["level"] for g in groups},
                                                  key=lambda lv: ["national", "provincial",
                                                                  "municipal", "county", None].index(lv))
    rows = [r for g in groups for r in g["departments"]]
    assert len(rows) == len(view["departments"])
    for r in rows:
        assert r["lead_count"] == len(r["lead"]) and r["participant_count"] == len(r["participant"])
        assert r["lead_count"] + r["participant_count"] > 0
    html = client.get(f"/documents/{doc['key']}").get_data(as_text=True)
    assert 'id="matrix-filter"' in html and 'class="grid matrix' in html
    assert html.count('class="matrix-row"') == len(rows)


# ---- 7: every minted IRI dereferences -----------------------------------------------------------

def test_every_minted_iri_dereferences_as_turtle(client, built):
    from rdflib import Graph, URIRef
    from policykg.ontology.namespaces import ID
    _, gen = built
    subjects = sorted({s for s in gen.graph.subjects() if isinstance(s, URIRef)
                       and str(s).startswith(str(ID))})
    assert any("/dept/%" in s for s in subjects)        # percent-encoded, as minted
    failed = []
    for s in subjects:
        path = "/id/" + str(s)[len(str(ID)):]
        resp = client.get(path, headers={"Accept": "text/turtle"})
        if resp.status_code != 200:
            failed.append((path, resp.status_code))
            continue
        g = Graph().parse(data=resp.get_data(as_text=True), format="turtle")
        if (s, None, None) not in g:
            failed.append((path, "subject missing"))
    assert not failed, (len(failed), len(subjects), failed[:5])


def test_a_department_iri_as_minted_redirects_a_browser_to_its_page(client, built):
    _, gen = built
    dept = next(s for s in map(str, gen.graph.subjects()) if "/id/dept/%" in s)
    resp = client.get("/id/" + dept.split("/id/", 1)[1], headers={"Accept": "text/html"})
    assert resp.status_code == 303 and resp.headers["Location"].startswith("/departments/")
    assert client.get(resp.headers["Location"]).status_code == 200


# ---- 8: the SPARQL examples are bounded -----------------------------------------------------------

def test_each_sparql_example_is_bounded_and_answers(client):
    from policykg.web.sparql_routes import EXAMPLES
    assert len(EXAMPLES) >= 3
    for ex in EXAMPLES:
        assert re.search(rf"\bLIMIT\s+{ex.limit}\b", ex.query), ex.label
        assert not FILE_NAME.search(ex.query), ex.label     # works on any corpus
        resp = client.get("/sparql", query_string={"query": ex.query},
                          headers={"Accept": "application/sparql-results+json"})
        assert resp.status_code == 200, (ex.label, resp.get_data(as_text=True)[:300])
        rows = resp.get_json()["results"]["bindings"]
        assert 0 < len(rows) <= ex.limit, (ex.label, len(rows))


# ---- status and period; what the text could not settle --------------------------------------------

UNPLACED_DRAFT = """技能人才培养工作方案（2024—2026年）
（征求意见稿）
为推进技能人才培养，制定本方案。
一、工作目标
（一）扩大培养规模。到2026年，新增高技能人才一万人。
二、保障措施
（一）加强组织领导。各有关单位要加强协作，落实责任。
"""


def test_a_document_whose_place_is_unsettled_says_so_in_chinese(data_copy):
    import io
    token = "h11-not-a-real-token"
    app = create_app(Settings(data_dir=data_copy.root, upload_token=token))
    try:
        client = app.test_client()
        resp = client.post("/api/documents", headers={"Authorization": f"Bearer {token}"},
                           data={"file": (io.BytesIO(UNPLACED_DRAFT.encode()), "方案.txt")},
                           content_type="multipart/form-data")
        assert resp.status_code == 201, resp.get_data(as_text=True)
        doc = client.get(f"/api/documents/{resp.get_json()['doc']}").get_json()["document"]
        assert {"level", "region"} <= set(doc["unsettled"]) and doc["state"] == "draft"
        html = client.get(f"/documents/{doc['key']}").get_data(as_text=True)
        notice = readable(re.search(r'<div class="notice" id="unsettled".*?</div>', html, re.S).group(0))
        assert "层级未能确定：发文机关、文号、标题和正文都未写明地区" in notice
        assert "地区未能确定" in notice and "--level" in notice
        assert "征求意见稿" in readable(html) and "2024—2026年" in readable(html)
        assert not english_in(html), english_in(html)
        listed = client.get("/documents").get_data(as_text=True)
        assert re.search(r"\d+ 项信息未能从文本确定", listed) and not english_in(listed)
    finally:
        app.extensions["policykg"].close()
