"""The Virtuoso graph store against a real virtuoso-t (Debian's virtuoso-opensource): the
same store tests the Oxigraph store passes — the same answers on the bundled corpus, rows
cut and time limits reported, updates refused, the generation switch atomic — and
policykg's own server set up locked down and stopped cleanly.

One managed server for the module (ports picked free), one data folder built with
`graph_store = virtuoso` (the Oxigraph store beside it is the reference)."""
from __future__ import annotations

import dataclasses
import json
import shutil
import socket
import stat
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic

from policykg.ontology import virtuoso, virtuoso_load, virtuoso_server
from policykg.ontology.sparql import Limits, SparqlError, SparqlRunner, serialize
from policykg.pipeline import datadir, ingest
from policykg.pipeline.build import build
from policykg.pipeline.generation import Generation
from policykg.web import stores
from policykg.web.app import create_app
from policykg.web.cli import cli
from policykg.web.settings import Settings
from policykg.web.sparql_routes import EXAMPLES
from questions import QUESTIONS as OFFICIALS
from tests.webtools import free_port

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
# Rows the test server gives in one answer (its ResultSetMaxRows): below the bundled
# graph's 12,908 triples and above the endpoint's default row limit's worth of any page.
SERVER_ROWS = 5000
# Questions beyond the SPARQL page's examples and the officials' questions
# (tests/questions.py), each answered alike by both stores.
QUESTIONS = [
    COUNT,
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p",
    "SELECT ?v (AVG(?v) AS ?a) (SUM(?v) AS ?s) WHERE { ?q schema:value ?v } GROUP BY ?v ORDER BY ?v",
    # (ORDER BY STR(?l): Virtuoso orders long language-tagged strings by a prefix of them)
    "SELECT ?l WHERE { ?d a org:Organization ; skos:prefLabel ?l } ORDER BY STR(?l)",
    "SELECT DISTINCT ?b WHERE { ?s ?p ?b FILTER(DATATYPE(?b) = xsd:boolean) }",
    "SELECT ?y WHERE { ?q dcterms:date ?y } ORDER BY ?y LIMIT 20",
    "SELECT (STRLEN(?t) AS ?n) (SUBSTR(?t, 1, 5) AS ?h) WHERE { ?p dcterms:title ?t }",
    "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 5",
    "ASK { ?s a org:Organization }",
    "ASK { ?s a <http://example.org/Nothing> }",
    "CONSTRUCT { ?d skos:prefLabel ?l } WHERE { ?d a org:Organization ; skos:prefLabel ?l }",
]


@dataclasses.dataclass
class Running:
    """The module's server: its settings, the data folder, and the session holding it."""
    settings: Settings
    config: virtuoso_server.VirtuosoConfig
    connection: virtuoso_server.Connection
    _session: object
    open: bool = True

    def close(self) -> None:
        if self.open:
            self.open = False
            self._session.__exit__(None, None, None)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if shutil.which(virtuoso_server.SERVER) is None:
        pytest.fail("virtuoso-t is not installed: run ./test.sh, which installs Debian's "
                    "virtuoso-opensource")
    root = tmp_path_factory.mktemp("vdata")
    settings = Settings(data_dir=root, graph_store=virtuoso.STORE,
                        virtuoso_http_port=free_port(), virtuoso_sql_port=free_port())
    config = dataclasses.replace(settings.virtuoso_config(), result_rows=SERVER_ROWS)
    session = virtuoso_server.session(config, root)
    running = Running(settings, config, session.__enter__(), session)
    yield running
    running.close()


@pytest.fixture(scope="module")
def built_v(server):
    """The bundled corpus built into the module's data folder, its graph in Virtuoso:
    (DataDir, the generation read through Virtuoso, the same read from Oxigraph)."""
    data = stores.data_dir(server.settings)
    build(data, engines=("tantivy",))
    folder = data.require_current()
    return data, stores.generation(server.settings, folder), Generation(folder)


@pytest.fixture(scope="module")
def runners(server, built_v):
    _, gen_v, gen_o = built_v
    ox = SparqlRunner(gen_o.graph_paths(), Limits(timeout=30), store_folder=gen_o.folder)
    assert ox.wait_ready(120)
    yield stores.sparql_runner(server.settings, gen_v), ox
    ox.close()


@pytest.fixture(scope="module")
def clients(server, built_v):
    apps = [create_app(server.settings), create_app(Settings(data_dir=server.settings.data_dir))]
    yield [a.test_client() for a in apps]
    for a in apps:
        a.extensions["policykg"].close()


def _rows(result, ordered: bool) -> list:
    """A result as comparable rows: JSON bindings (sorted unless the order is the query's),
    N-Triples lines for a graph, the boolean of an ASK."""
    if result.kind in ("CONSTRUCT", "DESCRIBE"):
        return sorted(serialize(result, "application/n-triples").decode().splitlines())
    data = json.loads(serialize(result, "application/sparql-results+json"))
    if "boolean" in data:
        return [data["boolean"]]
    rows = [json.dumps(b, sort_keys=True, ensure_ascii=False) for b in data["results"]["bindings"]]
    return rows if ordered else sorted(rows)


# ---- the managed server -------------------------------------------------------------------------

def test_the_managed_server_is_set_up_locked_down(server):
    folder = virtuoso_server.folder_of(server.settings.data_dir)
    ini = (folder / virtuoso_server.INI).read_text()
    assert f"ServerPort           = 127.0.0.1:{server.config.sql_port}" in ini
    assert f"ServerPort           = 127.0.0.1:{server.config.http_port}" in ini
    assert f"DirsAllowed          = {Path(server.settings.data_dir).resolve()}\n" in ini
    assert "CaseMode             = 2" in ini
    creds = folder / virtuoso_server.CREDENTIALS
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    password = json.loads(creds.read_text())["password"]
    assert password != "dba" and len(password) >= 32
    # the initial password no longer opens it; the random one does
    with pytest.raises(virtuoso_load.SqlFailed):
        virtuoso_load.run_sql(dataclasses.replace(server.connection.access, password="dba"),
                              "SELECT 1;\n")
    assert virtuoso_load.run_sql(server.connection.access, "SELECT 41 + 1;\n") == ["42"]
    base = server.connection.endpoint.base
    for path in ("/conductor", "/sparql-graph-crud", "/sparql-graph-crud-auth"):
        assert _status(base + path) == 404, path
    assert _status(base + "/DAV/") in (401, 404)       # never served anonymously


def _status(url: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_build_loads_one_named_graph_per_generation(built_v, server):
    _, gen_v, gen_o = built_v
    loaded = virtuoso.read_manifest(gen_v.folder)
    assert loaded.state == "loaded" and loaded.graph.endswith(gen_v.folder.name)
    assert loaded.result_rows == SERVER_ROWS
    assert loaded.triples == len(gen_o.graph) > 10_000
    assert loaded.graph in virtuoso_load.graphs(server.connection.access)
    assert len(gen_v.graph) == loaded.triples       # through the read-only endpoint


# ---- the same answers -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [e.query for e in EXAMPLES] + QUESTIONS + OFFICIALS)
def test_the_endpoint_answers_as_the_oxigraph_store_does(runners, text):
    v, ox = runners
    got, want = v.run(text), ox.run(text)
    assert got.kind == want.kind and not got.truncated
    # ties under ORDER BY come in either store's order: rows compared as a multiset, and
    # the order checked where the query fixes it completely
    assert _rows(got, ordered=False) == _rows(want, ordered=False)
    if "ORDER BY" in text and "DESC(" not in text:
        assert _rows(got, ordered=True) == _rows(want, ordered=True)


def test_the_export_is_the_same(built_v):
    _, gen_v, gen_o = built_v
    whole_v = Graph().parse(data=gen_v.graph.serialize(format="nt"), format="nt")
    assert isomorphic(whole_v, Graph().parse(data=gen_o.graph.serialize(format="nt"), format="nt"))


def test_the_id_pages_and_the_endpoint_answer_the_same_over_http(clients, built_v):
    v, o = clients
    _, gen_v, _ = built_v
    doc = gen_v.documents[0]["uri"]
    dept = "https://w3id.org/policykg/id/dept/%E4%B8%9C%E8%8E%9E%E5%B8%82/hrss"
    for iri in (doc, dept):
        path = iri.removeprefix("https://w3id.org/policykg")
        got = [c.get(path, headers={"Accept": "text/turtle"}) for c in (v, o)]
        assert [r.status_code for r in got] == [200, 200], path
        graphs = [Graph().parse(data=r.data, format="turtle") for r in got]
        assert len(graphs[0]) > 5 and isomorphic(*graphs)
    assert v.get(doc.removeprefix("https://w3id.org/policykg"),
                 headers={"Accept": "text/html"}).status_code == 303
    assert v.get("/id/doc/nothing-here", headers={"Accept": "text/turtle"}).status_code == 404
    answers = [c.post("/sparql", data={"query": EXAMPLES[1].query},
                      headers={"Accept": "application/sparql-results+json"}) for c in (v, o)]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].headers["X-Result-Truncated"] == "false"
    bindings = [sorted(map(json.dumps, a.get_json()["results"]["bindings"])) for a in answers]
    assert bindings[0] == bindings[1] and bindings[0]


def test_every_page_serves_with_the_virtuoso_store(clients):
    v, _ = clients
    for path in ("/readyz", "/", "/documents", "/departments", "/targets", "/alignment",
                 "/sparql", "/api/documents"):
        assert v.get(path, headers={"Accept": "text/html"}).status_code == 200, path


def test_the_cli_asks_the_running_server_and_leaves_it_to_its_other_user(server, built_v,
                                                                          monkeypatch):
    s = server.settings
    for var, value in (("POLICYKG_DATA", str(s.data_dir)), ("POLICYKG_GRAPH_STORE", "virtuoso"),
                       ("POLICYKG_VIRTUOSO_HTTP_PORT", str(s.virtuoso_http_port)),
                       ("POLICYKG_VIRTUOSO_SQL_PORT", str(s.virtuoso_sql_port))):
        monkeypatch.setenv(var, value)
    out = CliRunner().invoke(cli, ["sparql", COUNT, "--format", "csv"])
    assert out.exit_code == 0, out.output
    assert out.output.split() == ["n", str(virtuoso.read_manifest(built_v[1].folder).triples)]
    assert virtuoso_server.answers(server.config)      # this module still holds it


# ---- partial answers, updates, time ----------------------------------------------------------------

def test_rows_cut_by_the_guard_or_by_virtuoso_are_reported_truncated(server, built_v):
    _, gen_v, _ = built_v
    small = virtuoso.VirtuosoRunner(gen_v.virtuoso_endpoint, gen_v.virtuoso_target(),
                                    Limits(max_rows=25))
    res = small.run("SELECT ?s WHERE { ?s ?p ?o }")
    assert len(res.rows) == 25 and res.truncated
    few = small.run("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3")
    assert len(few.rows) == 3 and not few.truncated
    # The endpoint keeps 10,000 rows; the server gives 5,000 (ResultSetMaxRows), saying
    # so only in a header for SELECT and not at all for CONSTRUCT: truncated either way.
    runner = stores.sparql_runner(server.settings, gen_v)
    res = runner.run("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    assert len(res.rows) == SERVER_ROWS and res.truncated
    res = runner.run("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert SERVER_ROWS <= len(res.triples) < 12_000 and res.truncated
    # the pages' questions never show part of an answer as the whole
    with pytest.raises(virtuoso.IncompleteAnswer):
        list(gen_v.graph.query("SELECT ?s WHERE { ?s ?p ?o }"))


def test_a_runaway_query_is_reported_as_timed_out_and_the_endpoint_answers_on(built_v):
    _, gen_v, _ = built_v
    runner = virtuoso.VirtuosoRunner(gen_v.virtuoso_endpoint, gen_v.virtuoso_target(),
                                     Limits(timeout=1.5))
    started = time.monotonic()
    with pytest.raises(SparqlError, match="stopped after") as err:
        runner.run(RUNAWAY)
    assert err.value.status == 503
    assert time.monotonic() - started < 1.5 + 8
    assert runner.run("ASK { ?s a org:Organization }").boolean is True


@pytest.mark.parametrize("update", [
    "INSERT DATA { <http://a> <http://b> <http://c> }", "DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>", "CLEAR DEFAULT", "DROP ALL",
])
def test_updates_are_refused_by_the_guard_and_by_the_read_only_account(runners, built_v,
                                                                        update):
    v, _ = runners
    _, gen_v, _ = built_v
    with pytest.raises(SparqlError) as err:
        v.run(update)
    assert err.value.status == 403
    # past the guard, straight to Virtuoso as the endpoint's account: refused there too
    target = gen_v.virtuoso_target()
    reply = virtuoso.post(gen_v.virtuoso_endpoint,
                          [("query", update), ("default-graph-uri", target.graph)], 10)
    assert reply.status != 200
    assert len(gen_v.graph) == virtuoso.read_manifest(gen_v.folder).triples


def test_virtuoso_s_own_functions_and_outbound_reads_are_refused(runners):
    v, _ = runners
    for text in ("SELECT (<bif:sys_stat>('st_dbms_name') AS ?x) WHERE {}",
                 "PREFIX sql: <sql:> SELECT (sql:ld_dir('/', '*', 'g') AS ?x) WHERE {}",
                 "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
                 "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"):
        with pytest.raises(SparqlError):
            v.run(text)


# ---- loading ------------------------------------------------------------------------------------------

def test_iris_virtuoso_would_shorten_are_refused(tmp_path):
    part = tmp_path / "long.nt"
    part.write_text(f'<http://e/{"a" * 2000}> <http://e/p> "x" .\n', encoding="utf-8")
    with pytest.raises(virtuoso_load.LoadFailed, match="1,879"):
        virtuoso_load.check_iris([part])
    ok = tmp_path / "ok.nt"
    ok.write_text(f'<http://e/s> <http://e/p> "{"长" * 3000}" .\n', encoding="utf-8")
    virtuoso_load.check_iris([ok])                # a long literal is no IRI


def test_a_file_virtuoso_cannot_read_fails_the_load_with_its_name(server):
    folder = Path(server.settings.data_dir) / "scratch" / "g-bad"
    folder.mkdir(parents=True)
    bad = folder / "bad.nt"
    bad.write_text('<http://e/s> <http://e/p> "ok" .\n<http://e/s> <http://e/p> "cut .\n',
                   encoding="utf-8")
    writer = virtuoso_load.VirtuosoWriter(server.connection.access)
    with pytest.raises(virtuoso_load.LoadFailed, match="bad.nt"):
        writer.write(folder, [bad])
    writer.retire(folder)
    assert virtuoso_load.graph_for(folder) not in virtuoso_load.graphs(server.connection.access)


def test_the_generation_switch_is_atomic_and_pruned_generations_lose_their_graphs(server,
                                                                                 built_v):
    data, gen_v, _ = built_v
    first = gen_v.folder
    seen: list[tuple[str, int]] = []
    failures: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                folder = data.require_current()
                gen = stores.generation(server.settings, folder)
                seen.append((folder.name, len(gen.graph)))
            except BaseException as exc:     # noqa: BLE001 - asserted below
                failures.append(exc)
    reader = threading.Thread(target=read)
    reader.start()
    try:
        # an incremental generation (its graph loaded from its part files) switched in
        ingest.remove_document(data, gen_v.documents[-1]["doc"])
    finally:
        done.set()
        reader.join()
    second = data.require_current()
    assert second != first and not failures
    counts = {first.name: virtuoso.read_manifest(first).triples,
              second.name: virtuoso.read_manifest(second).triples}
    assert counts[second.name] < counts[first.name]
    assert {name for name, _ in seen} <= set(counts) and len(seen) > 1
    assert all(n == counts[name] for name, n in seen)       # never a half-loaded graph
    # Pruning the first generation drops its graph; the current one stays.
    graph = virtuoso.read_manifest(first).graph
    data.prune(keep=1)
    held = virtuoso_load.graphs(server.connection.access)
    assert not first.exists() and graph not in held
    assert virtuoso.read_manifest(second).graph in held


def test_a_port_another_program_holds_is_named_in_the_error(tmp_path):
    """virtuoso-t logs why it stopped, then "Server exiting": the error gives the why."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        config = Settings(data_dir=tmp_path, graph_store=virtuoso.STORE,
                          virtuoso_http_port=free_port(),
                          virtuoso_sql_port=held.getsockname()[1]).virtuoso_config()
        with pytest.raises(virtuoso_server.VirtuosoFailed, match="Failed to start listening"):
            virtuoso_server.start(config, tmp_path)


# ---- stopping ---------------------------------------------------------------------------------------

def test_the_server_stops_cleanly_and_starts_again_with_its_graphs(server):
    root = Path(server.settings.data_dir)
    pid = virtuoso_server.server_pid(root)
    assert pid is not None
    server.close()
    assert not virtuoso_server.answers(server.config)
    assert not Path(f"/proc/{pid}").exists()
    folder = virtuoso_server.folder_of(root)
    assert not (folder / "virtuoso.lck").exists()
    assert "Server shutdown complete" in (folder / "virtuoso.log").read_text().splitlines()[-1]
    current = datadir.DataDir(root).require_current()
    with virtuoso_server.session(server.config, root) as again:
        gen = Generation(current, virtuoso.STORE, virtuoso_endpoint=again.endpoint)
        assert len(gen.graph) == virtuoso.read_manifest(current).triples
    assert not virtuoso_server.answers(server.config)
