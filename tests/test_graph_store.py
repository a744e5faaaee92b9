"""The graph stores: Oxigraph (its own SPARQL engine, in memory or on disk) and rdflib's memory
store answer the questions officials ask (tests/questions.py) alike."""
from __future__ import annotations

import json
import os

import pytest
from rdflib import Graph, Literal
from rdflib.compare import isomorphic

from policykg.ontology import diskstore, graphstore
from policykg.ontology.graph_build import build_graph
from policykg.ontology.namespaces import PREFIXES
from policykg.ontology.sparql import Limits, SparqlRunner, serialize
from policykg.web.settings import Settings
from policykg.web.sparql_routes import EXAMPLES
from questions import QUESTIONS


@pytest.fixture(scope="module")
def nt_file(bundled_docs, tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "graph.nt"
    build_graph(bundled_docs).graph.serialize(str(path), format="nt", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def stores(nt_file):
    return {name: graphstore.load_graph(nt_file, name) for name in graphstore.STORES}


def test_both_stores_hold_the_same_graph(stores):
    mem, ox = stores["memory"], stores["oxigraph"]
    assert graphstore.native(ox) is not None and graphstore.native(mem) is None
    assert len(ox) == len(mem) > 1000
    # Oxigraph keeps values in canonical form ("10.0"^^xsd:decimal reads back as "10"):
    # the same values, compared as values
    assert _values(ox) == _values(mem)


def _values(g: Graph) -> set:
    return {(s, p, (o.toPython(), o.datatype, o.language) if isinstance(o, Literal) else o)
            for s, p, o in g}


@pytest.fixture(scope="module")
def runners(nt_file):
    """The endpoint's query processes over each store, the bundled graph loaded, and over
    the on-disk store as a build writes it (the default: each query opens it)."""
    limits = Limits(timeout=60, max_rows=100_000)
    out = {store: SparqlRunner(nt_file, limits, store=store) for store in graphstore.STORES}
    diskstore.write(nt_file.parent, [nt_file])
    out["disk"] = SparqlRunner(nt_file, limits, store_folder=nt_file.parent)
    yield out
    for runner in out.values():
        runner.close()


def _answer(result) -> list:
    """A result as SPARQL JSON bindings; Oxigraph keeps values in canonical form ("10.0"
    reads back as "10"), so numbers are compared as numbers."""
    data = json.loads(serialize(result, "application/sparql-results+json"))
    if "boolean" in data:
        return [data["boolean"]]
    rows = data["results"]["bindings"]
    for row in rows:
        for term in row.values():
            if term.get("datatype", "").endswith(("#decimal", "#double", "#integer")):
                term["value"] = float(term["value"])
    return rows


@pytest.mark.parametrize("text", QUESTIONS + [e.query for e in EXAMPLES])
def test_the_questions_answer_the_same_on_every_store(runners, text):
    got = {store: runner.run(text) for store, runner in runners.items()}
    want = _answer(got["memory"])
    assert want, "each question has an answer on the bundled corpus"
    for store, result in got.items():
        assert not result.truncated
        rows = _answer(result)
        if "ORDER BY" in text and "DESC(" not in text:
            assert rows == want, store
        else:     # ties, or no order asked: the same rows in any order
            key = lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False)
            assert sorted(rows, key=key) == sorted(want, key=key), store


def test_the_cli_s_formats_serialise_alike_from_every_store(runners):
    text = "CONSTRUCT { ?d skos:prefLabel ?l } WHERE { ?d a org:Organization ; skos:prefLabel ?l }"
    graphs = {n: Graph().parse(data=serialize(r.run(text), "text/turtle"), format="turtle")
              for n, r in runners.items()}
    assert len(graphs["memory"]) > 10
    assert all(isomorphic(g, graphs["memory"]) for g in graphs.values())


def test_store_names_are_checked():
    with pytest.raises(ValueError, match="oxigraph"):
        graphstore.check_store("sqlite")
    with pytest.raises(ValueError):
        Settings.from_env(data_dir=None, graph_store="nope")


def test_an_oxigraph_store_answers_in_a_forked_child(stores):
    """The SPARQL zygote forks a child per query: the in-memory store must survive fork."""
    store = graphstore.native(stores["oxigraph"])
    assert len(os.listdir("/proc/self/task")) >= 1
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            n = next(iter(graphstore.query(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))
            os.write(w, n[0].value.encode())
        finally:
            os._exit(0)
    os.close(w)
    got = os.read(r, 64).decode()
    os.waitpid(pid, 0)
    assert int(got) == len(stores["memory"])


def test_settings_read_the_store_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("POLICYKG_GRAPH_STORE", "memory")
    assert Settings.from_env(data_dir=tmp_path).graph_store == "memory"
    monkeypatch.delenv("POLICYKG_GRAPH_STORE")
    assert Settings.from_env(data_dir=tmp_path).graph_store == "oxigraph"
    assert PREFIXES  # the prefixes Oxigraph is given are the project's
