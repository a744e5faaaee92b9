"""Adding a document over HTTP: POST /api/documents and the upload form (web.ingest_routes).

Writes are closed unless a token is configured; every refusal is a 4xx with one line and
changes nothing in the data folder; a good upload is served by the running app at once,
while searches and SPARQL queries keep being answered.
"""
from __future__ import annotations

import io
import shutil
import threading
import time

import pytest

from policykg.corpus.sources import load_sources
from policykg.pipeline import ingest
from policykg.pipeline.datadir import DataDir
from ingest_formats import PLAN, to_docx, to_pdf
from test_add import state
from test_reader import BAD
from policykg.web.app import create_app
from policykg.web.settings import Settings

TOKEN = "k8s-not-a-real-token-3f9a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STATUS = {"empty": 422, "binary": 415, "unsupported": 415, "encrypted": 422, "corrupt": 422,
          "zip_bomb": 422, "no_text": 422, "too_large": 413}


@pytest.fixture
def store(built, tmp_path) -> DataDir:
    source, _ = built
    shutil.copytree(source.root, tmp_path / "data", symlinks=True)
    return DataDir(tmp_path / "data")


def make_app(store: DataDir, token: str | None = TOKEN, **settings):
    app = create_app(Settings(data_dir=store.root, upload_token=token, **settings))
    app.config["TESTING"] = True
    return app


def upload(client, data: bytes, name: str, headers=None, **fields):
    return client.post("/api/documents", headers=headers or {},
                       data={"file": (io.BytesIO(data), name), **fields},
                       content_type="multipart/form-data")


def one_line(resp) -> str:
    body = resp.get_json()
    assert set(body) == {"error", "message", "status"} and body["status"] == resp.status_code
    assert "\n" not in body["message"] and "Traceback" not in body["message"]
    return body["message"]


# ---- closed, and who may write --------------------------------------------------------------------

def test_writes_are_closed_unless_a_token_is_configured(store):
    client = make_app(store, token=None).test_client()
    before = state(store.root)
    resp = upload(client, PLAN.encode(), "plan.txt", headers={"Authorization": "Bearer x"})
    assert resp.status_code == 403
    assert one_line(resp).startswith("uploads are closed: no upload token is configured")
    page = client.get("/upload")
    assert page.status_code == 200 and "上传未开放" in page.get_data(as_text=True)
    form = client.post("/upload", data={"file": (io.BytesIO(PLAN.encode()), "plan.txt"),
                                        "token": "x"}, content_type="multipart/form-data")
    assert form.status_code == 403 and "上传未开放" in form.get_data(as_text=True)
    assert state(store.root) == before


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": f"Basic {TOKEN}"},
                                     {"Authorization": f"Bearer {TOKEN}x"}])
def test_a_missing_or_wrong_token_is_refused(store, headers):
    client = make_app(store).test_client()
    before = state(store.root)
    resp = upload(client, PLAN.encode(), "plan.txt", headers=headers)
    assert resp.status_code == 403
    assert one_line(resp) == "a valid upload token is required (Authorization: Bearer <token>)"
    assert state(store.root) == before


# ---- bad input: 4xx, one line, nothing changed --------------------------------------------------

@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_file_is_refused_and_changes_nothing(store, case):
    make, name, reason, message = BAD[case]
    extra = {"max_upload_bytes": 20_000} if case == "too_large" else {}
    client = make_app(store, **extra).test_client()
    before = state(store.root)
    resp = upload(client, make(), name, headers=AUTH)
    assert resp.status_code == STATUS[reason]
    assert one_line(resp).startswith(message)
    assert state(store.root) == before


@pytest.mark.parametrize("fields,status,message", [
    ({"level": "city"}, 400, "--level must be one of"),
    ({"date": "明天"}, 400, "--date: not a date"),
    ({"number": "15号"}, 400, "not a document number"),
])
def test_a_bad_metadata_field_is_refused(store, fields, status, message):
    client = make_app(store).test_client()
    before = state(store.root)
    resp = upload(client, PLAN.encode(), "plan.txt", headers=AUTH, **fields)
    assert resp.status_code == status and message in one_line(resp)
    assert state(store.root) == before


def test_no_file_and_an_oversize_body(store):
    client = make_app(store, max_upload_bytes=2000).test_client()
    before = state(store.root)
    resp = client.post("/api/documents", headers=AUTH, data={"title": "x"},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and "no file" in one_line(resp)
    # Past MAX_CONTENT_LENGTH (the limit + 64 KiB) the body is not even read.
    resp = upload(client, b"x" * 100_000, "big.txt", headers=AUTH)
    assert resp.status_code == 413 and resp.is_json
    form = client.post("/upload", data={"file": (io.BytesIO(b"x" * 100_000), "big.txt"),
                                        "token": TOKEN}, content_type="multipart/form-data")
    assert form.status_code == 413 and "文件过大" in form.get_data(as_text=True)
    assert state(store.root) == before


# ---- a good upload ---------------------------------------------------------------------------------

def test_a_good_upload_is_served_by_the_running_app(store):
    client = make_app(store).test_client()
    before = client.get("/readyz").get_json()
    docx = to_docx()
    resp = upload(client, docx, "江门方案.docx", headers=AUTH, level="municipal")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["status"] == "added" and body["doc"].startswith("005_")
    assert (body["number"], body["level"], body["region"]) == ("江人社发〔2023〕15号",
                                                               "municipal", "江门市")
    ready = client.get("/readyz").get_json()
    assert ready["generation"] == body["generation"] != before["generation"]
    assert ready["documents"] == before["documents"] + 1
    docs = client.get("/api/documents").get_json()["documents"]
    assert body["doc"] in {d["doc"] for d in docs}
    hits = client.get("/api/search", query_string={"q": "江门 学徒制"}).get_json()["hits"]
    assert hits and hits[0]["doc"] == body["doc"]
    assert client.get(f"/api/documents/{body['doc']}").status_code == 200

    again = upload(client, docx, "again.docx", headers=AUTH)
    assert again.status_code == 200 and again.get_json()["status"] == "unchanged"
    other = upload(client, to_pdf(), "plan.pdf", headers=AUTH)
    assert other.status_code == 409 and "is already in the corpus" in one_line(other)


def test_the_upload_form(store):
    client = make_app(store).test_client()
    listing = client.get("/documents").get_data(as_text=True)
    assert 'href="/upload"' in listing
    page = client.get("/upload").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="token"' in page
    before = state(store.root)
    wrong = client.post("/upload", data={"file": (io.BytesIO(PLAN.encode()), "plan.txt"),
                                         "token": "nope"}, content_type="multipart/form-data")
    assert wrong.status_code == 403 and "上传令牌无效" in wrong.get_data(as_text=True)
    empty = client.post("/upload", data={"file": (io.BytesIO(b""), "empty.txt"),
                                         "token": TOKEN, "title": "<b>标题</b>"},
                        content_type="multipart/form-data")
    html = empty.get_data(as_text=True)
    assert empty.status_code == 422 and "无法读取该文件：empty.txt: empty file" in html
    assert "&lt;b&gt;标题&lt;/b&gt;" in html and TOKEN not in html     # escaped, token not echoed
    assert state(store.root) == before
    ok = client.post("/upload", data={"file": (io.BytesIO(PLAN.encode("gbk")), "江门.txt"),
                                      "token": TOKEN}, content_type="multipart/form-data")
    html = ok.get_data(as_text=True)
    assert ok.status_code == 201 and "已添加" in html and "江门市推进技工教育" in html


# ---- concurrency -------------------------------------------------------------------------------------

def _pause(monkeypatch):
    """Hold the first update inside the lock until released."""
    entered, release = threading.Event(), threading.Event()
    real = ingest.update

    def paused(*args, **kwargs):
        if not entered.is_set():
            entered.set()
            release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "update", paused)
    return entered, release


def test_an_upload_waiting_past_upload_wait_is_refused_clearly(store, monkeypatch):
    # (waiting its turn, and then added: tests/test_upload_limits.py)
    app = make_app(store, upload_wait=0.5)
    entered, release = _pause(monkeypatch)
    results = {}
    first = threading.Thread(target=lambda: results.update(
        a=upload(app.test_client(), PLAN.encode(), "plan.txt", headers=AUTH)))
    first.start()
    assert entered.wait(60)
    other = PLAN.replace("江人社发〔2023〕15号", "江人社发〔2023〕16号").replace("江门", "开平")
    second = upload(app.test_client(), other.encode(), "kaiping.txt", headers=AUTH)
    assert second.status_code == 409
    assert one_line(second).startswith("another build or add is running")
    release.set()
    first.join(120)
    assert results["a"].status_code == 201
    assert len(load_sources(store.sources).entries) == 1


def test_searches_and_sparql_are_answered_during_an_add(store, monkeypatch):
    app = make_app(store)
    client = app.test_client()
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <http://data.europa.eu/eli/ontology#LegalResource> }"
    assert client.get("/sparql", query_string={"query": q}).status_code == 200   # warm
    entered, release = _pause(monkeypatch)
    stop = threading.Event()
    seen: list[tuple[str, int, str]] = []

    def hammer(kind: str) -> None:
        c = app.test_client()
        while not stop.is_set():
            if kind == "search":
                r = c.get("/api/search", query_string={"q": "技工院校"})
            else:
                r = c.get("/sparql", query_string={"query": q},
                          headers={"Accept": "application/sparql-results+json"})
            seen.append((kind, r.status_code, r.headers.get("X-Generation", "")))

    workers = [threading.Thread(target=hammer, args=(k,)) for k in ("search", "sparql", "search")]
    for w in workers:
        w.start()
    adder = threading.Thread(target=lambda: seen.append(
        ("add", upload(app.test_client(), PLAN.encode(), "plan.txt", headers=AUTH).status_code,
         "")))
    adder.start()
    assert entered.wait(60)
    time.sleep(1.0)                       # the add holds the lock: reads go on meanwhile
    during = len(seen)
    release.set()
    adder.join(120)
    time.sleep(1.0)                       # and after the switch
    stop.set()
    for w in workers:
        w.join(60)
    statuses = [s for k, s, _ in seen if k != "add"]
    assert during >= 3 and all(s == 200 for s in statuses), [x for x in seen if x[1] != 200]
    assert ("add", 201, "") in seen
    generations = [g for k, _, g in seen if k == "search"]
    assert len(set(generations)) == 2 and generations[-1] != generations[0]
    after = client.get("/sparql", query_string={"query": q},
                       headers={"Accept": "application/sparql-results+json"}).get_json()
    assert int(after["results"]["bindings"][0]["n"]["value"]) >= 6
