"""The SPARQL guard and runner: read-only, no outbound reads, bounded time, rows and size."""
import csv
import io
import json
import threading
import time

import pytest
from rdflib import Graph, Literal, URIRef

from policykg.ontology.sparql import (Limits, SparqlError, SparqlRunner, check_query, negotiate,
                             serialize, warm_up)

# A queue long enough for the 12 concurrent first queries below (the 429 past it is
# tests/test_sparql_caps.py's).
LIMITS = Limits(timeout=1.5, max_rows=25, max_chars=2000, max_depth=20, max_queue=12)


@pytest.fixture(scope="module", params=["loaded", "on-disk"])
def runner(request, tmp_path_factory):
    """The runner over the graph loaded from its file, and over an on-disk store that
    each query's child opens (ontology.diskstore): the same guards hold for both."""
    path = tmp_path_factory.mktemp("g") / "graph.nt"
    g = Graph()
    for i in range(300):
        g.add((URIRef(f"http://example.org/s{i}"), URIRef("http://example.org/p"), Literal(i)))
    g.serialize(path, format="nt", encoding="utf-8")
    warm_up()
    folder = None
    if request.param == "on-disk":
        from policykg.ontology import diskstore
        diskstore.write(path.parent, [path])
        folder = path.parent
    r = SparqlRunner(path, LIMITS, store_folder=folder)
    assert r.wait_ready(60)
    yield r
    r.close()


@pytest.mark.parametrize("update", [
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "CLEAR DEFAULT", "DROP ALL", "CREATE GRAPH <http://g>",
])
def test_updates_are_refused(runner, update):
    with pytest.raises(SparqlError) as err:
        runner.run(update)
    assert err.value.status == 403
    assert runner.run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0].toPython() == 300


def test_service_is_refused_before_evaluation():
    with pytest.raises(SparqlError, match="SERVICE"):
        check_query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", LIMITS)
    with pytest.raises(SparqlError, match="SERVICE"):
        check_query("SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE SILENT <http://x/> "
                    "{ ?s ?q ?r } } }", LIMITS)


def test_from_and_from_named_never_read_a_file(tmp_path):
    secret = tmp_path / "secret.nt"
    secret.write_text('<http://s> <http://p> "secret" .\n')
    for q in (f"SELECT * FROM <file://{secret}> WHERE {{ ?s ?p ?o }}",
              f"SELECT * FROM NAMED <file://{secret}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"):
        with pytest.raises(SparqlError, match="FROM"):
            check_query(q, LIMITS)


def test_runaway_query_is_stopped_and_the_slot_freed(runner):
    started = time.monotonic()
    with pytest.raises(SparqlError, match="stopped after") as err:
        runner.run("SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }")
    assert err.value.status == 503
    assert time.monotonic() - started < LIMITS.timeout + 5
    assert runner.run("ASK { ?s ?p 7 }").boolean is True      # the endpoint still answers


def test_rows_are_capped_with_a_truncated_flag(runner):
    res = runner.run("SELECT ?s WHERE { ?s ?p ?o }")
    assert len(res.rows) == LIMITS.max_rows and res.truncated
    small = runner.run("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3")
    assert len(small.rows) == 3 and not small.truncated


def test_size_and_nesting_caps_are_client_errors():
    with pytest.raises(SparqlError) as err:
        check_query("SELECT * WHERE { ?s ?p ?o }" + " " * 3000, LIMITS)
    assert err.value.status == 413
    with pytest.raises(SparqlError, match="nested"):
        check_query("SELECT * WHERE " + "{" * 500 + "?s ?p ?o" + "}" * 500, LIMITS)
    with pytest.raises(SparqlError, match="does not parse"):
        check_query("SELECT WHERE", LIMITS)


def test_concurrent_first_queries_all_succeed(runner):
    results, errors = [], []

    def ask():
        try:
            results.append(len(runner.run("SELECT ?s WHERE { ?s ?p ?o } LIMIT 5").rows))
        except Exception as exc:       # noqa: BLE001 - collected and asserted below
            errors.append(exc)
    threads = [threading.Thread(target=ask) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [5] * 12


def test_results_serialise_in_each_format(runner):
    res = runner.run("SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?o LIMIT 2")
    data = json.loads(serialize(res, "application/sparql-results+json"))
    assert data["head"]["vars"] == ["s", "o"] and len(data["results"]["bindings"]) == 2
    rows = list(csv.reader(io.StringIO(serialize(res, "text/csv").decode())))
    assert rows[0] == ["s", "o"] and len(rows) == 3
    assert serialize(res, "text/tab-separated-values").decode().startswith("?s\t?o")
    assert b"<sparql" in serialize(res, "application/sparql-results+xml")
    graph = runner.run("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 2")
    assert Graph().parse(data=serialize(graph, "text/turtle"), format="turtle").__len__() == 2
    assert negotiate("SELECT", "text/csv;q=0.9") == "text/csv"
    assert negotiate("CONSTRUCT", None, "jsonld") == "application/ld+json"
