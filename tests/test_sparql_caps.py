"""What one SPARQL query, or many, may spend (ontology.sparql): memory, a place in line,
and the time to start; searches keep their own threads whatever the endpoint's load."""
from __future__ import annotations

import concurrent.futures
import http.client
import json
import shutil
import subprocess
import sys
import time
import urllib.parse

import pytest

from policykg.web.app import create_app
from policykg.web.settings import Settings
from tests.test_serve import ROOT
from tests.test_slow_clients import search, serve

# ~900 characters doubling a string 26 times: 2 GB in 5 s without a memory cap (issue 17).
BOMB = ('SELECT (STRLEN(?s26) AS ?n) WHERE {\n  BIND("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" AS ?s0)\n'
        + "\n".join(f"  BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(26)) + "\n}")
# Every triple with every triple with every triple: runs until the time limit stops it.
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def endpoint(built, tmp_path_factory):
    store, _ = built
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    server = serve(store.root, log, POLICYKG_SPARQL_TIMEOUT="4", POLICYKG_SPARQL_MEMORY="256")
    yield server
    server.stop()


def post_query(port: int, text: str, timeout: float = 60) -> tuple[int, dict, dict, float]:
    """(status, headers, body, seconds) of one query POSTed as the protocol allows."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("POST", "/sparql", body=text.encode("utf-8"),
                 headers={"Content-Type": "application/sparql-query",
                          "Accept": "application/sparql-results+json"})
    resp = conn.getresponse()
    body = json.loads(resp.read() or b"{}")
    conn.close()
    return resp.status, dict(resp.getheaders()), body, time.perf_counter() - started


def test_the_concat_bomb_is_stopped_by_the_memory_cap(endpoint):
    for _ in range(2):          # both workers' query processes started
        assert post_query(endpoint.port, "ASK { ?s ?p ?o }")[0] == 200
    status, _, body, seconds = post_query(endpoint.port, BOMB)
    assert status == 503 and "memory" in body["detail"], body
    assert body["message"] == "查询所需内存超过上限：请缩小范围。"
    assert seconds < 4          # the memory cap stopped it, not the 4 s time limit
    assert search(endpoint.port)[0]
    status, _, body, _ = post_query(endpoint.port, "ASK { ?s ?p ?o }")
    assert status == 200 and body["boolean"] is True


def test_30_heavy_queries_meet_429s_and_searches_keep_their_pace(endpoint):
    with concurrent.futures.ThreadPoolExecutor(30) as pool:
        answers = [pool.submit(post_query, endpoint.port, HEAVY) for _ in range(30)]
        time.sleep(0.5)         # the queries are in: every slot and queue place is taken
        searches = []
        while not all(a.done() for a in answers):
            searches.append(search(endpoint.port))
            time.sleep(0.1)
    results = [a.result() for a in answers]
    busy = [r for r in results if r[0] == 429]
    # 2 workers each run 2 and queue 2: the other 22 are told to come back, at once.
    assert len(busy) >= 20, [r[0] for r in results]
    assert all(int(headers["Retry-After"]) >= 1 for _, headers, _, _ in busy)
    assert all(seconds < 2 for *_, seconds in busy)
    assert {r[0] for r in results} <= {429, 503}     # the rest stopped at the time limit
    assert searches and all(ok for ok, _ in searches)
    assert max(seconds for _, seconds in searches) < 1.5, sorted(s for _, s in searches)[-5:]


def test_a_query_process_that_cannot_start_says_so_at_once(data_copy):
    gen = data_copy.require_current()
    shutil.rmtree(gen / "oxigraph", ignore_errors=True)
    for part in gen.glob("*.nt"):           # no store, no graph files: nothing to load
        part.unlink()
    for listed in gen.glob("graph.files"):
        listed.unlink()
    app = create_app(Settings(data_dir=data_copy.root, sparql_store="oxigraph-memory"))
    try:
        client = app.test_client()
        for _ in range(2):      # and again: a new process, the same clear answer
            started = time.monotonic()
            resp = client.get("/sparql?query=" + urllib.parse.quote("ASK { ?s ?p ?o }"))
            assert resp.status_code == 503
            assert "could not load the graph" in resp.get_json()["detail"]
            assert time.monotonic() - started < 20
    finally:
        app.extensions["policykg"].close()


def test_the_cli_reads_no_more_of_a_query_file_than_a_query_may_be(built):
    store, _ = built
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "policykg.web.cli", "--data", str(store.root),
                           "sparql", "@/dev/zero"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1
    assert "longer than 20000 characters" in done.stderr and "Traceback" not in done.stderr
    assert time.monotonic() - started < 30


def test_serving_settings_leave_searches_a_thread(tmp_path):
    Settings(data_dir=tmp_path).check_capacity()
    with pytest.raises(ValueError, match="fewer than the 8 threads"):
        Settings(data_dir=tmp_path, sparql_parallel=4, sparql_queue=4).check_capacity()
