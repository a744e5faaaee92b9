"""Abuse over HTTP: search bombs, SPARQL first-query race, request logs, no tracebacks."""
from __future__ import annotations

import json
import logging
import threading

import pytest

from policykg.web.app import create_app
from policykg.web.settings import Settings

BOMBS = ["NOT OR x", "(" * 5000, "学" * 100_000, "*", "\x00\x01\x1b[31m技师\x7f", "OR", "-",
         '"""', "dept:", "level:nowhere 技师", "a" * 5000, "技师 " * 3000, "\ud800"[:0] + "𠀀" * 50]


@pytest.mark.parametrize("q", BOMBS, ids=range(len(BOMBS)))
def test_search_bombs_answer_without_5xx(app, q):
    c = app.test_client()
    for url in ("/api/search", "/search"):
        resp = c.get(url, query_string={"q": q})
        assert resp.status_code < 500, (url, resp.status_code)
        assert "Traceback" not in resp.get_data(as_text=True)
    data = c.get("/api/search", query_string={"q": q}).get_json()
    if len(q) > 1000:
        assert data["ignored"], "an over-long query must say what was cut"


def test_page_size_and_page_are_capped(app):
    c = app.test_client()
    data = c.get("/api/search?q=技工&size=100000&page=99999999").get_json()
    assert data["page_size"] <= 100
    assert c.get("/api/search?q=技工&size=abc").status_code == 400


def test_concurrent_first_sparql_queries_on_a_fresh_server(built):
    """rdflib's parser breaks when threads make their first parse at once; warmed up.
    (A queue for all of them: this is about the first parse, not about admission, which
    tests/test_sparql_caps.py checks.)"""
    store, _ = built
    app = create_app(Settings(data_dir=store.root, sparql_queue=16))
    from webtools import LiveServer
    import urllib.parse
    import urllib.request
    q = urllib.parse.quote("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    codes: list[int] = []
    with LiveServer(app) as srv:
        def ask():
            req = urllib.request.Request(f"{srv.url}/sparql?query={q}",
                                         headers={"Accept": "application/sparql-results+json"})
            with urllib.request.urlopen(req, timeout=60) as resp:
                codes.append(resp.status)
        threads = [threading.Thread(target=ask) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    app.extensions["policykg"].close()
    assert codes == [200] * 16


def test_structured_request_log_lines(app, caplog):
    c = app.test_client()
    with caplog.at_level(logging.INFO, logger="policykg.requests"):     # web.app.request_log
        c.get("/api/search?q=技师", headers={"X-Request-Id": "abc123"})
        c.get("/api/provisions/nope")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "policykg.requests"]
    first = next(line for line in lines if line["request_id"] == "abc123")
    assert first["route"] == "/api/search" and first["status"] == 200 and first["ms"] >= 0
    assert any(line["status"] == 404 for line in lines)


def test_unexpected_error_is_a_generic_page_without_traceback(app, monkeypatch):
    from policykg.web import department_views

    def boom(*a, **k):
        raise RuntimeError("secret internals")
    monkeypatch.setattr(department_views, "department_list", boom)     # what both routes call
    c = app.test_client()
    for url in ("/departments", "/api/departments"):
        resp = c.get(url)
        body = resp.get_data(as_text=True)
        assert resp.status_code == 500
        assert "secret internals" not in body and "Traceback" not in body
    assert c.get("/api/departments").get_json()["status"] == 500
