"""The web layer in-process: every page and endpoint, the OpenAPI contract, SPARQL, safety."""
from __future__ import annotations

import json
import re
from urllib.parse import quote

import jsonschema
import pytest

from web.app import create_app
from web.settings import Settings


@pytest.fixture(scope="module")
def app(built):
    store, _ = built
    app = create_app(Settings(data_dir=store.root, sparql_timeout=5))
    yield app
    app.extensions["policykg"].close()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


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
    from corpus.records import DocumentMeta
    from corpus.segment import segment_document
    from indexer.build import build
    from indexer.store import DataDir
    text = ("某市技工教育工作方案\n一、总体要求\n（一）加强<script>alert('x')</script>建设。"
            "推进技工院校<b>发展</b>。（市人力资源社会保障局）\n")
    meta = DocumentMeta(file="x.txt", title="某市技工教育工作方案", level="municipal",
                        region="某市", issuer="某市人力资源和社会保障局")
    store = DataDir(tmp_path)
    build(store, docs=[segment_document(text, meta)])
    app = create_app(Settings(data_dir=store.root))
    c = app.test_client()
    pid = next(p["id"] for p in __import__("indexer.generation", fromlist=["Generation"])
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
    from web.sparql_routes import EXAMPLES
    for label, q in EXAMPLES:
        resp = client.get("/sparql", query_string={"query": q},
                          headers={"Accept": "application/sparql-results+json"})
        assert resp.status_code == 200, (label, resp.get_data(as_text=True)[:300])
        assert resp.get_json()["results"]["bindings"], label


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
