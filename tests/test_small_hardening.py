"""The smaller things a hostile client or a careless one found (issue 17, point 10):
file names cleaned before they become titles, formula cells neutralised in CSV exports,
CORS on the public SPARQL endpoint only, `Vary: Accept` where one IRI answers two ways,
an empty SPARQL query said to be empty.  (Uploads waiting their turn: test_upload_limits;
the server's own 400 page: test_slow_clients; a SPARQL process that cannot start:
test_sparql_caps.)"""
from __future__ import annotations

import csv
import io
import unicodedata
import urllib.parse

import pytest

from policykg.corpus.sources import load_sources
from policykg.corpus.text import MAX_NAME_CHARS, clean_file_name
from policykg.pipeline.exports import to_csv
from test_upload import AUTH, make_app, store, upload   # noqa: F401 (fixture)

UNTITLED = ("一、总体要求\n（一）指导思想\n坚持产教融合，推动技工教育高质量发展。\n"
            "（二）工作目标\n到2025年，技工院校在校生规模达到2万人。\n")
HOSTILE = "\x00规划\u202e方案\u200b" + "长" * 5000 + ".txt"


@pytest.mark.parametrize("name, expected", [
    ("plan.txt", "plan.txt"),
    ("\x00evil\u202egnp.txt", "evilgnp.txt"),
    ("../../etc/passwd", "passwd"),
    ("a\r\nb.md", "a b.md"),
    ("\x00\x01", "upload"),
])
def test_file_names_lose_controls_and_paths(name, expected):
    assert clean_file_name(name) == expected


def test_a_hostile_file_name_becomes_a_clean_short_title(store):
    resp = upload(make_app(store).test_client(), UNTITLED.encode(), HOSTILE, headers=AUTH)
    assert resp.status_code == 201, resp.get_json()
    title = resp.get_json()["title"]
    entry = load_sources(store.sources).entries[0]
    for shown in (title, entry.original):
        assert shown.startswith("规划方案长")
        assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in shown)
        assert len(shown) <= MAX_NAME_CHARS
    assert entry.original.endswith(".txt")


def test_csv_exports_neutralise_formula_cells():
    rows = [{"title": "=HYPERLINK(\"http://x\")", "a": "+1", "b": "-2", "c": "@SUM(A1)",
             "n": -3, "ok": "技工教育", "list": ["=x"]}]
    text = "".join(to_csv(rows))
    got = next(csv.DictReader(io.StringIO(text)))
    assert got["title"] == "'=HYPERLINK(\"http://x\")"
    assert (got["a"], got["b"], got["c"]) == ("'+1", "'-2", "'@SUM(A1)")
    assert got["n"] == "-3" and got["ok"] == "技工教育" and got["list"] == '["=x"]'


def test_cors_on_the_sparql_endpoint_and_nowhere_else(store):
    client = make_app(store).test_client()
    query = urllib.parse.quote("ASK { ?s ?p ?o }")
    got = client.get(f"/sparql?query={query}", headers={"Origin": "https://elsewhere.example"})
    assert got.status_code == 200 and got.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Result-Truncated" in got.headers["Access-Control-Expose-Headers"]
    posted = client.post("/sparql", data="ASK { ?s ?p ?o }",
                         content_type="application/sparql-query")
    assert posted.status_code == 200 and posted.headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options("/sparql", headers={
        "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
    for write in (client.options("/api/documents"),
                  upload(client, b"x", "x.txt", headers={"Origin": "https://e.example"}),
                  client.get("/api/search?q=技师")):
        assert "Access-Control-Allow-Origin" not in write.headers


def test_an_iri_that_answers_by_accept_says_so(store):
    client = make_app(store).test_client()
    doc = client.get("/api/documents").get_json()
    key = (doc["documents"] if isinstance(doc, dict) else doc)[0]["key"]
    page = client.get(f"/id/doc/{key}", headers={"Accept": "text/html"})
    assert page.status_code == 303 and "Accept" in page.headers["Vary"]
    rdf = client.get(f"/id/doc/{key}", headers={"Accept": "text/turtle"})
    assert rdf.status_code == 200 and "Accept" in rdf.headers["Vary"]


@pytest.mark.parametrize("text", ["# only a comment", "PREFIX ex: <http://example.org/>",
                                  "   "])
def test_an_empty_sparql_query_is_said_to_be_empty(store, text):
    resp = make_app(store).test_client().post("/sparql", data={"query": text})
    body = resp.get_json()
    assert resp.status_code == 400 and body["detail"].startswith("empty query")
    assert body["message"] == "查询为空。"
