"""The web layer in-process: every page and endpoint, the OpenAPI contract, SPARQL, safety."""
from __future__ import annotations

import json
import re
from urllib.parse import quote

import jsonschema
import pytest

from policykg.web.app import create_app
from policykg.web.settings import Settings


@pytest.fixture(scope="module")
def spec(client):
    return client.get("/api/openapi.json").get_json()


def links(html: str) -> set[str]:
    import html as html_mod
    return {html_mod.unescape(h) for h in re.findall(r'href="(/[^"#]*)"', html)
            if not h.startswith("/static/")}


def test_every_page_is_reachable_by_links_from_home(client):
    """Breadth-first over the links, from the home page: every kind of page is reached."""
    from collections import deque
    seen, queue, kinds = {"/"}, deque(["/"]), set()
    while queue and len(kinds) < 300:
        url = queue.popleft()
        resp = client.get(url, headers={"Accept": "text/html"})
        assert resp.status_code in (200, 303), (url, resp.status_code)
        kinds.add(url)
        if resp.mimetype != "text/html" or url.startswith(("/api/", "/sparql?")):
            continue
        for link in links(resp.get_data(as_text=True)):
            # One page per route shape is enough; query-string variants of search are many.
            if link in seen or (link.startswith("/search?") and "q=" in url):
                continue
            seen.add(link)
            queue.append(link)
    for needed in ("/search", "/documents", "/departments", "/targets", "/alignment", "/sparql",
                   "/api", "/api/openapi.json", "/help/query"):
        assert any(s.split("?")[0] == needed for s in seen), needed
    assert any(s.startswith("/provisions/") for s in seen)
    assert any(s.startswith("/departments/") for s in seen)
    assert any(s.startswith("/graph/") for s in seen)
    assert any(s.startswith("/compare") for s in seen)


def _schema(spec, path: str, status: str = "200") -> dict:
    resp = spec["paths"][path]["get"]["responses"][status]
    schema = resp["content"]["application/json"]["schema"]
    return {**schema, "components": spec["components"]}


def _validate(spec, path, body, status="200"):
    schema = _schema(spec, path, status)
    resolver_schema = json.loads(json.dumps(schema).replace("#/components", "#/components"))
    jsonschema.validate(body, resolver_schema, cls=jsonschema.Draft202012Validator)


def _examples(gen):
    pid = next(p["id"] for p in gen.provisions if gen.provision_facts(p["id"])["departments"]["lead"])
    rows = gen.graph_rows("departments")
    did = next(d["id"] for d in rows if d.get("tasks"))
    align = gen.graph_rows("alignments")[0]
    return pid, did, align


def test_all_api_responses_match_the_openapi_document(client, spec, built):
    _, gen = built
    pid, did, align = _examples(gen)
    doc = gen.documents[0]["key"]
    calls = {
        "/api/search": ["/api/search?q=学制技师", "/api/search?q=校企双制&level=municipal",
                        "/api/search?q=", "/api/search?q=NOT+OR+(((("],
        "/api/documents": ["/api/documents"],
        "/api/documents/{ref}": [f"/api/documents/{doc}"],
        "/api/provisions/{id}": [f"/api/provisions/{pid}"],
        "/api/compare": [f"/api/compare?higher={align['higher']}&lower={align['lower']}"],
        "/api/departments": ["/api/departments"],
        "/api/departments/{id}": [f"/api/departments/{quote(did)}"],
        "/api/targets": ["/api/targets", "/api/targets?indicator=技工院校"],
        "/api/alignment": ["/api/alignment", f"/api/alignment?root={align['higher']}"],
        "/api/neighbourhood/{ref}": [f"/api/neighbourhood/{pid}",
                                     f"/api/neighbourhood/{quote(did)}"],
        "/healthz": ["/healthz"], "/readyz": ["/readyz"],
    }
    assert set(calls) | {"/api/openapi.json"} == set(spec["paths"])
    for path, urls in calls.items():
        for url in urls:
            resp = client.get(url)
            assert resp.status_code == 200, (url, resp.status_code, resp.get_data(as_text=True)[:200])
            _validate(spec, path, resp.get_json())
    for url, path in ((f"/api/provisions/nope", "/api/provisions/{id}"),
                      ("/api/departments/nope", "/api/departments/{id}")):
        resp = client.get(url)
        assert resp.status_code == 404
        _validate(spec, path, resp.get_json(), "404")


def test_search_api_finds_highlights_and_facets(client):
    data = client.get("/api/search?q=学制技师").get_json()
    assert data["total"] > 0 and data["hits"]
    assert "<mark>" in data["hits"][0]["snippet"]
    assert set(data["facets"]) >= {"level", "doc", "kind"}


def test_provision_page_shows_departments_and_escapes_text(client, built):
    _, gen = built
    pid, _, _ = _examples(gen)
    html = client.get(f"/provisions/{pid}").get_data(as_text=True)
    lead = gen.provision_facts(pid)["departments"]["lead"][0]
    assert lead in html and "牵头" in html


def test_a_provision_containing_script_is_shown_as_text(tmp_path):
    from policykg.corpus.records import DocumentMeta
    from policykg.corpus.segment import segment_document
    from policykg.pipeline.build import build
    from policykg.pipeline.datadir import DataDir
    text = ("某市技工教育工作方案\n一、总体要求\n（一）加强<script>alert('x')</script>建设。"
            "推进技工院校<b>发展</b>。（市人力资源社会保障局）\n")
    meta = DocumentMeta(file="x.txt", title="某市技工教育工作方案", level="municipal",
                        region="某市", issuer="某市人力资源和社会保障局")
    store = DataDir(tmp_path)
    build(store, docs=[segment_document(text, meta)])
    app = create_app(Settings(data_dir=store.root))
    c = app.test_client()
    pid = next(p["id"] for p in __import__("policykg.pipeline.generation", fromlist=["Generation"])
               .Generation(store.require_current()).provisions if p["kind"] == "section")
    for url in (f"/provisions/{pid}", "/search?q=建设", "/search?q=<script>"):
        html = c.get(url).get_data(as_text=True)
        assert "<script>alert" not in html, url
    assert "&lt;script&gt;alert" in c.get(f"/provisions/{pid}").get_data(as_text=True)
    hit = c.get("/api/search?q=建设").get_json()["hits"][0]["snippet"]
    assert "<script>" not in hit and "&lt;script&gt;" in hit
    app.extensions["policykg"].close()


def test_security_headers_and_json_errors(client):
    resp = client.get("/")
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Request-Id"]
    err = client.get("/api/provisions/does-not-exist")
    assert err.status_code == 404 and err.get_json()["status"] == 404
    page = client.get("/provisions/does-not-exist")
    assert page.status_code == 404 and "Traceback" not in page.get_data(as_text=True)


def test_readyz_names_the_generation(client, built):
    _, gen = built
    data = client.get("/readyz").get_json()
    assert data["ready"] is True and data["generation"] == gen.name


def test_linked_data_iris_negotiate(client, built):
    _, gen = built
    p = next(p for p in gen.provisions if p["kind"] == "section")
    path = p["uri"].split("/policykg/")[1]
    html = client.get("/" + path, headers={"Accept": "text/html"})
    assert html.status_code == 303 and "/provisions/" in html.headers["Location"]
    ttl = client.get("/" + path, headers={"Accept": "text/turtle"})
    assert ttl.status_code == 200 and ttl.mimetype == "text/turtle"
    from rdflib import Graph, URIRef
    g = Graph().parse(data=ttl.get_data(as_text=True), format="turtle")
    assert (URIRef(p["uri"]), None, None) in g
    jsonld = client.get("/" + path, headers={"Accept": "application/ld+json"})
    assert jsonld.status_code == 200 and jsonld.mimetype == "application/ld+json"


def test_sparql_protocol_routes(client):
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    get = client.get("/sparql", query_string={"query": q},
                     headers={"Accept": "application/sparql-results+json"})
    assert get.status_code == 200
    n = int(get.get_json()["results"]["bindings"][0]["n"]["value"])
    assert n > 1000
    form = client.post("/sparql", data={"query": q}, headers={"Accept": "text/csv"})
    assert form.status_code == 200 and form.mimetype == "text/csv"
    direct = client.post("/sparql", data=q.encode(), content_type="application/sparql-query",
                         headers={"Accept": "text/tab-separated-values"})
    assert direct.status_code == 200 and direct.get_data(as_text=True).startswith("?n")
    for kwargs in ({"data": {"update": "DROP ALL"}},
                   {"data": b"CLEAR DEFAULT", "content_type": "application/sparql-update"}):
        refused = client.post("/sparql", **kwargs)
        assert refused.status_code == 403
    assert client.get("/sparql", query_string={"update": "DROP ALL"}).status_code == 403
    after = client.get("/sparql", query_string={"query": q},
                       headers={"Accept": "application/sparql-results+json"})
    assert int(after.get_json()["results"]["bindings"][0]["n"]["value"]) == n
    xml = client.get("/sparql", query_string={"query": q},
                     headers={"Accept": "application/sparql-results+xml"})
    assert b"<sparql" in xml.data
    ttl = client.get("/sparql", query_string={"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5"},
                     headers={"Accept": "text/turtle"})
    assert ttl.status_code == 200 and ttl.mimetype == "text/turtle"


def test_sparql_example_queries_run_and_return_rows(client):
    from policykg.web.sparql_routes import EXAMPLES
    for ex in EXAMPLES:
        resp = client.get("/sparql", query_string={"query": ex.query},
                          headers={"Accept": "application/sparql-results+json"})
        assert resp.status_code == 200, (ex.label, resp.get_data(as_text=True)[:300])
        assert resp.get_json()["results"]["bindings"], ex.label


def test_sparqlwrapper_against_a_live_server(app):
    from SPARQLWrapper import CSV, JSON, TURTLE, SPARQLWrapper
    from webtools import LiveServer
    with LiveServer(app) as srv:
        sw = SPARQLWrapper(srv.url + "/sparql")
        sw.setQuery("SELECT ?s WHERE { ?s a <http://data.europa.eu/eli/ontology#LegalResource> }")
        sw.setReturnFormat(JSON)
        rows = sw.query().convert()["results"]["bindings"]
        assert len(rows) >= 5
        sw.setReturnFormat(CSV)
        csv_text = sw.query().convert().decode()
        assert csv_text.splitlines()[0] == "s" and len(csv_text.splitlines()) >= 6
        sw.setQuery("CONSTRUCT { ?s ?p ?o } WHERE { ?s a <http://data.europa.eu/eli/ontology#LegalResource> ; ?p ?o }")
        sw.setReturnFormat(TURTLE)
        from rdflib import Graph
        g = Graph().parse(data=sw.query().convert(), format="turtle")
        assert len(g) > 20


# ---- paged targets and alignment ------------------------------------------------------------

def _old_targets(gen) -> list[dict]:
    """What /api/targets returned before it was paged: every indicator with every target,
    each lower-level target compared with every higher-level one of the same unit."""
    from collections import defaultdict
    from policykg.corpus.vocabulary import LEVEL_ORDER
    docs = {d["doc"]: d for d in gen.documents}
    groups = defaultdict(list)
    for t in gen.graph_rows("targets"):
        groups[t["indicator_key"]].append(t)
    out = []
    for key, rows in groups.items():
        rows = sorted(rows, key=lambda r: (LEVEL_ORDER.get(docs[r["doc"]].get("level"), 9), r["doc"]))
        entries = [{**r, "level": docs[r["doc"]].get("level"), "doc_title": docs[r["doc"]].get("title"),
                    "region": docs[r["doc"]].get("region")} for r in rows]
        comps = [{"lower": lo["provision"], "higher": hi["provision"], "lower_doc": lo["doc"],
                  "higher_doc": hi["doc"], "lower_value": lo["target"]["value"],
                  "higher_value": hi["target"]["value"], "unit": lo.get("unit"),
                  "comparison": "n/a" if lo.get("unit") not in ("%", "个百分点") else
                  "equal" if lo["target"]["value"] == hi["target"]["value"] else
                  ("below" if lo["target"]["value"] < hi["target"]["value"] else "above")}
                 for lo in entries for hi in entries if lo["level"] and hi["level"]
                 and LEVEL_ORDER[hi["level"]] < LEVEL_ORDER[lo["level"]] and hi.get("unit") == lo.get("unit")]
        out.append({"key": key, "label": min((r["indicator"] for r in rows), key=len),
                    "names": sorted({r["indicator"] for r in rows}), "targets": entries,
                    "levels": sorted({e["level"] for e in entries if e["level"]},
                                     key=lambda lv: LEVEL_ORDER[lv]), "comparisons": comps})
    out.sort(key=lambda g: (-len(g["levels"]), -len(g["targets"]), g["label"]))
    return out


def _all_pages(client, url: str, key: str, size: int) -> tuple[list[dict], list[dict]]:
    """Every item of a paged list, and each page's envelope."""
    items, envelopes, page = [], [], 1
    while True:
        data = client.get(f"{url}?page={page}&size={size}").get_json()
        envelopes.append(data)
        items.extend(data[key])
        if page >= data["pages"]:
            return items, envelopes
        page += 1


def test_indicator_list_pages_add_up_to_every_indicator_in_the_old_order(client, built):
    _, gen = built
    old = _old_targets(gen)
    items, envelopes = _all_pages(client, "/api/targets", "indicators", 7)
    assert [i["key"] for i in items] == [g["key"] for g in old]
    assert {e["total"] for e in envelopes} == {len(old)}
    assert envelopes[0]["pages"] == len(envelopes) == -(-len(old) // 7) > 1
    assert all(len(e["indicators"]) == 7 for e in envelopes[:-1])
    for item, g in zip(items, old):
        assert "targets" not in item and "comparisons" not in item
        assert (item["label"], item["names"], item["levels"]) == (g["label"], g["names"], g["levels"])
        assert item["target_count"] == len(g["targets"]) == sum(item["counts"].values())
    past = client.get(f"/api/targets?page={len(envelopes) + 1}&size=7").get_json()
    assert past["indicators"] == [] and past["total"] == len(old)


def test_indicator_detail_equals_the_old_output_on_the_bundled_corpus(client, built):
    _, gen = built
    summaries = {i["key"]: i for i in _all_pages(client, "/api/targets", "indicators", 200)[0]}
    for g in _old_targets(gen):
        data = client.get("/api/targets", query_string={"indicator": g["key"]}).get_json()
        [ind] = data["indicators"]
        assert data["total"] == len(g["targets"]) and data["pages"] == 1
        for field in ("key", "label", "names", "levels", "targets"):
            assert ind[field] == g[field], (g["key"], field)
        shown = [{k: c[k] for k in g["comparisons"][0]} for c in ind["comparisons"]] \
            if g["comparisons"] else ind["comparisons"]
        assert shown == g["comparisons"], g["key"]
        assert ind["comparison_count"] == summaries[g["key"]]["comparison_count"] == len(shown)


def test_target_comparisons_on_the_bundled_corpus_are_unchanged(client):
    """广东 ≥55% vs 东莞 ≥40%, found by name too; with 在校生规模 / 技工院校在校生规模 and
    毕业生初次就业率 / 毕业生就业率 one indicator each (ontology.indicators), three
    comparisons in the five documents."""
    data = client.get("/api/targets", query_string={"indicator": "高级工班及以上在校生比例"}).get_json()
    [ind] = data["indicators"]
    assert [(c["lower_value"], c["higher_value"], c["comparison"]) for c in ind["comparisons"]] \
        == [(40, 55, "below")]
    every = _all_pages(client, "/api/targets", "indicators", 50)[0]
    assert sum(i["comparison_count"] for i in every) == 3


def test_indicator_detail_pages_its_targets_and_their_comparisons(client):
    key = "高级工班及以上在校生比例"        # a name as written finds its indicator
    whole = client.get("/api/targets", query_string={"indicator": key}).get_json()["indicators"][0]
    assert whole["target_count"] >= 2
    seen_targets, seen_comparisons = [], []
    for page in range(1, whole["target_count"] + 1):
        data = client.get("/api/targets", query_string={"indicator": key, "page": page,
                                                        "size": 1}).get_json()
        assert (data["total"], data["pages"]) == (whole["target_count"], whole["target_count"])
        [ind] = data["indicators"]
        seen_targets.extend(ind["targets"])
        seen_comparisons.extend(ind["comparisons"])
        assert all(c["lower"] == ind["targets"][0]["provision"] for c in ind["comparisons"])
    assert seen_targets == whole["targets"] and seen_comparisons == whole["comparisons"]


def test_alignment_list_pages_are_the_roots_of_the_tree_with_their_counts(client, built):
    _, gen = built
    from policykg.web import alignment_views
    tree = alignment_views.alignment_tree(gen)

    def below(node) -> set[str]:
        return {i for kid in node["lower"] for i in {kid["id"], *below(kid)}}
    roots, envelopes = _all_pages(client, "/api/alignment", "roots", 5)
    assert [r["id"] for r in roots] == [n["id"] for n in tree]
    assert {e["total"] for e in envelopes} == {len(tree)} and len(envelopes) == -(-len(tree) // 5)
    for r, node in zip(roots, tree):
        assert r["below"] == len(below(node)) == sum(r["counts"].values()) >= r["direct"] >= 1
    one = client.get("/api/alignment", query_string={"root": roots[0]["id"]}).get_json()
    assert one["tree"] == [tree[0]]


@pytest.mark.parametrize("url", ["/api/targets", "/api/alignment", "/targets", "/alignment",
                                 "/api/targets?indicator=技工院校"])
@pytest.mark.parametrize("query", ["page=0", "page=-3", "page=abc", "size=0", "size=1.5",
                                   "page=" + "9" * 5000])
def test_bad_page_or_size_is_a_clear_400(client, url, query):
    resp = client.get(url + ("&" if "?" in url else "?") + query)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Traceback" not in body
    assert ("page" in body) if query.startswith("page") else ("size" in body)
    if url.startswith("/api/"):
        assert resp.get_json()["status"] == 400


def test_a_size_over_the_cap_is_the_cap(client):
    from policykg.web.lookups import MAX_PAGE_SIZE
    for url in ("/api/targets", "/api/alignment"):
        assert client.get(url + "?size=100000").get_json()["size"] == MAX_PAGE_SIZE


def test_targets_and_alignment_pages_link_list_to_detail_and_page_without_js(client):
    html = client.get("/targets?size=5").get_data(as_text=True)
    hrefs = links(html)
    assert any(h.startswith("/targets?indicator=") for h in hrefs)
    assert "/targets?size=5&page=2" in hrefs and "下一页" in html
    assert "上一页" in client.get("/targets?size=5&page=2").get_data(as_text=True)
    detail = client.get("/targets?indicator=高级工班及以上在校生比例").get_data(as_text=True)
    assert 'class="below"' in detail and "data-chart" in detail
    html = client.get("/alignment?size=3").get_data(as_text=True)
    roots = [h for h in links(html) if h.startswith("/alignment?root=")]
    assert len(roots) == 3 and "/alignment?size=3&page=2" in links(html)
    tree = client.get(roots[0]).get_data(as_text=True)
    assert 'id="align-tree"' in tree and "/compare?" in tree


# ---- issue 15: status and period, the document list's order, the search's sort --------------------

def test_a_documents_state_follows_its_period_and_today():
    from datetime import date
    from policykg.web.document_views import document_state
    plan = {"status": "issued", "period": "2021-2025"}
    assert document_state(plan, date(2025, 12, 31)) == "current"
    assert document_state(plan, date(2026, 1, 1)) == "expired"       # the period ended before today
    assert document_state({**plan, "status": "draft"}, date(2020, 1, 1)) == "draft"
    assert document_state({"status": "draft", "period": "2001-2005"}, date(2026, 1, 1)) == "draft"
    assert document_state({"status": "issued", "period": None}, date(2030, 1, 1)) == "issued"


def test_period_and_unsettled_are_said_in_chinese():
    from policykg.web.reading import period_text, unsettled_notes
    assert period_text("2021-2025") == "2021—2025年（“十四五”时期）"
    assert period_text("2023-2025") == "2023—2025年"
    assert period_text("2026-2030").endswith("（“十五五”时期）")
    assert period_text(None) == ""
    notes = unsettled_notes({"level": "朝阳区 is ambiguous (北京市朝阳区、辽宁省朝阳市)",
                             "region": "no issuer, 文号, title or self-reference in the body names a place",
                             "date": "an unforeseen reason"})
    assert notes[0].startswith("层级未能确定：“朝阳区”可指多地（北京市朝阳区、辽宁省朝阳市）")
    assert "--level" in notes[0] and notes[1].startswith("地区未能确定：发文机关、文号")
    assert notes[2].startswith("日期未能确定。")                      # an unknown reason: not shown in English
    assert not any(re.search(r"[A-Za-z]{3,}", n.replace("--level", "").replace("--region", "")
                             .replace("--date", "")) for n in notes)


def test_the_document_list_sorts_by_level_or_date_with_each_state(client, built):
    _, gen = built
    order = ["national", "provincial", "municipal", "county", None]
    by_level = client.get("/api/documents").get_json()["documents"]
    assert [order.index(d["level"]) for d in by_level] == sorted(order.index(d["level"]) for d in by_level)
    by_date = client.get("/api/documents?sort=date").get_json()["documents"]
    dates = [d["date"] for d in by_date]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=True) and dates == dated + [None] * (len(dates) - len(dated))
    assert {d["doc"] for d in by_date} == {d["doc"] for d in gen.documents}
    assert {d["state"] for d in by_date} <= {"draft", "current", "expired", "issued"}
    assert next(d for d in by_date if d["status"] == "draft")["state"] == "draft"
    html = client.get("/documents?sort=date").get_data(as_text=True)
    titles = re.findall(r"<strong>([^<]+)</strong>", html)
    assert titles[:len(by_date)] == [d["title"] for d in by_date]
    assert re.search(r'<a href="/documents\?sort=date" aria-current="true">按日期', html)
    assert "征求意见稿" in html and 'class="tag state-draft"' in html
    assert client.get("/documents?sort=nonsense").status_code == 200


def test_the_document_page_shows_state_and_period(client, built):
    _, gen = built
    plan = next(d for d in gen.documents if d.get("period") == "2021-2025" and d["status"] != "draft")
    html = client.get(f"/documents/{plan['key']}").get_data(as_text=True)
    assert "2021—2025年（“十四五”时期）" in html
    assert re.search(r'id="doc-state"[^>]*>(现行|已到期)<', html)
    view = client.get(f"/api/documents/{plan['key']}").get_json()
    assert view["document"]["state"] in ("current", "expired")


def test_search_sorts_by_date_and_keeps_the_sort_in_its_links(client):
    data = client.get("/api/search?q=技师学院&sort=date&size=50").get_json()
    assert data["sort"] == "date"
    dates = [h["doc_date"] for h in data["hits"]]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=True) and dates[:len(dated)] == dated
    html = client.get("/search?q=技师学院&sort=date").get_data(as_text=True)
    assert re.search(r'aria-current="true">按日期（最新在前）', html)
    assert "<h3>发文年份</h3>" in html and "<h3>发文机关</h3>" in html
    facet_links = re.findall(r'<aside class="facets".*?</aside>', html, re.S)[0]
    assert re.findall(r'href="/search\?[^"]*"', facet_links)
    assert all("sort=date" in h for h in re.findall(r'href="(/search\?[^"]*)"', facet_links))
    pager = re.search(r'<nav class="pager".*?</nav>', html, re.S).group(0)
    assert all("sort=date" in h for h in re.findall(r'href="([^"]*)"', pager))
    first = data["hits"][0]
    assert f"{first['doc_number'] or '无文号'} · {first['doc_date'] or '日期不详'}" in html
    relevance = client.get("/search?q=技师学院").get_data(as_text=True)
    assert re.search(r'aria-current="true">相关度', relevance)


def test_the_search_export_follows_the_sort(client):
    import csv
    import io
    resp = client.get("/search?q=技师学院&sort=date&format=csv")
    rows = list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    header, body = rows[0], [r for r in rows[1:] if r and r[0].isdigit()]
    dates = [r[header.index("发文日期")] for r in body]
    dated = [d for d in dates if d]
    assert dated and dated == sorted(dated, reverse=True) and dates[:len(dated)] == dated


def test_openapi_declares_the_sort_and_the_new_filters(spec):
    params = {p["name"]: p for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert {"sort", "issuer", "date"} <= set(params)
    assert params["sort"]["schema"]["enum"] == ["relevance", "date"]
    hit = spec["components"]["schemas"]["Hit"]["properties"]
    assert {"doc_number", "doc_date"} <= set(hit)
    assert "sort" in spec["components"]["schemas"]["SearchResult"]["properties"]
    assert "state" in spec["components"]["schemas"]["Document"]["properties"]
    doc_params = {p["name"] for p in spec["paths"]["/api/documents"]["get"]["parameters"]}
    assert "sort" in doc_params


def test_an_ask_answers_as_csv_too(client):
    """SPARQL 1.1 defines CSV for SELECT only; an ASK asked for CSV gets a header and
    its answer, not a server error."""
    resp = client.get("/sparql", query_string={"query": "ASK { ?s a eli:LegalResource }"},
                      headers={"Accept": "text/csv"})
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.get_data(as_text=True) == "boolean\ntrue\n"
