"""The graph stores: Oxigraph (its own SPARQL engine) and rdflib's memory store answer alike."""
from __future__ import annotations

import os

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from policykg.ontology import graphstore, netview, queries
from policykg.ontology.graph import build_graph
from policykg.ontology.namespaces import PREFIXES


@pytest.fixture(scope="module")
def nt_file(bundled_docs, tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "graph.nt"
    build_graph(bundled_docs).graph.serialize(str(path), format="nt", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def stores(nt_file):
    return {name: graphstore.load_graph(nt_file, name) for name in graphstore.STORES}


def _national_with_takers(g: Graph) -> list[str]:
    return [r["p"] for r in queries.select(g, """
        SELECT DISTINCT ?p WHERE { ?x pol:localises ?p . ?p pol:inDocument ?d .
                                   ?d pol:adminLevel/skos:notation "national" } ORDER BY ?p""")]


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


def test_the_questions_answer_the_same_on_both_stores(stores):
    mem, ox = stores["memory"], stores["oxigraph"]
    for dept in ("东莞市人力资源和社会保障局", "东莞市人社局", "广东省教育厅"):
        assert queries.department_tasks(ox, dept) == queries.department_tasks(mem, dept)
        assert queries.department_line(ox, dept) == queries.department_line(mem, dept)
    rows = queries.indicator_across_levels(ox, "高级工班以上在校生比例")
    assert rows and rows == queries.indicator_across_levels(mem, "高级工班以上在校生比例")
    national = _national_with_takers(mem)
    assert national and national == _national_with_takers(ox)
    for p in national[:5]:
        assert queries.taken_up_by(ox, p) == queries.taken_up_by(mem, p)
    pids = [r["id"] for r in queries.select(mem, """SELECT ?id WHERE {
        ?p cv:hasParticipation ?x ; dcterms:identifier ?id } ORDER BY ?id LIMIT 20""")]
    for pid in pids:
        assert queries.provision_facts(ox, pid) == queries.provision_facts(mem, pid)


def test_bindings_are_inlined_safely(stores):
    ox = stores["oxigraph"]
    q = queries.Query.of("SELECT ?d WHERE { ?d skos:prefLabel ?name }",
                         name=Literal('x" } ; DROP ALL ; { "'))
    assert q.inlined().count("VALUES") == 1 and '\\"' in q.inlined()
    assert queries.select(ox, q.text, name=q.bindings[0][1]) == []
    # an IRI that N-Triples cannot carry is not in the graph: no rows, no error
    assert queries.department_tasks(ox, URIRef("http://x/> } ; DROP ALL ; #")) == []
    assert queries.department_tasks(stores["memory"], URIRef("http://x/> } #")) == []


def test_cli_style_sparql_serialises_the_same(stores):
    text = "SELECT ?l WHERE { ?d a org:Organization ; skos:prefLabel ?l } ORDER BY ?l LIMIT 5"
    outs = {n: queries.format_result(queries.run_sparql(g, text), "json")
            for n, g in stores.items()}
    assert outs["oxigraph"] == outs["memory"]
    text = "CONSTRUCT { ?d skos:prefLabel ?l } WHERE { ?d a org:Organization ; skos:prefLabel ?l }"
    got = {n: Graph().parse(data=queries.format_result(queries.run_sparql(g, text), "ttl"),
                            format="turtle") for n, g in stores.items()}
    assert len(got["memory"]) > 0 and isomorphic(got["oxigraph"], got["memory"])


def test_netview_is_the_same_from_either_store(stores):
    views = {n: netview.to_networkx(g) for n, g in stores.items()}
    a, b = views["memory"], views["oxigraph"]
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    edges = {n: sorted((u, v, d["rel"]) for u, v, d in G.edges(data=True))
             for n, G in views.items()}
    assert edges["memory"] == edges["oxigraph"] and edges["memory"]


def test_store_names_are_checked():
    with pytest.raises(ValueError, match="oxigraph"):
        graphstore.check_store("sqlite")
    from policykg.web.settings import Settings
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
    from policykg.web.settings import Settings
    monkeypatch.setenv("POLICYKG_GRAPH_STORE", "memory")
    assert Settings.from_env(data_dir=tmp_path).graph_store == "memory"
    monkeypatch.delenv("POLICYKG_GRAPH_STORE")
    assert Settings.from_env(data_dir=tmp_path).graph_store == "oxigraph"
    assert PREFIXES  # the prefixes Oxigraph is given are the project's


def test_the_endpoint_runs_on_either_store_and_serialises_the_same(nt_file):
    from policykg.ontology.sparql import Limits, SparqlRunner, serialize
    text = ("SELECT ?d ?l WHERE { ?d a org:Organization ; skos:prefLabel ?l } "
            "ORDER BY ?d LIMIT 20")
    out = {}
    for store in graphstore.STORES:
        runner = SparqlRunner(nt_file, Limits(timeout=30), store=store)
        try:
            assert runner.wait_ready(120)
            res = runner.run(text)
            out[store] = {m: serialize(res, m) for m in ("application/sparql-results+json",
                                                          "text/csv",
                                                          "text/tab-separated-values")}
            assert runner.run("ASK { ?s a org:Organization }").boolean is True
        finally:
            runner.close()
    assert out["oxigraph"] == out["memory"]


def _key(r: dict) -> tuple:
    return (queries.LEVEL_ORDER.get(r["level"], 9), r["doc"], r["provision"], r["target"],
            r["higher"] or "")


@pytest.mark.parametrize("store", graphstore.STORES)
def test_a_page_of_an_indicator_is_the_slice_of_all_its_rows(stores, store):
    g = stores[store]
    busiest = [r["c"] for r in queries.select(g, """SELECT ?c (COUNT(?t) AS ?n) WHERE {
        ?t a pol:Target ; pol:indicator ?c } GROUP BY ?c ORDER BY DESC(?n) ?c LIMIT 4""")]
    assert busiest
    for c in [*busiest, "高级工班以上在校生比例"]:
        full = queries.indicator_across_levels(g, c)
        assert full == sorted(full, key=_key)
        for offset, limit in ((0, 1), (0, 3), (2, 5), (len(full) - 1, 4), (0, len(full) + 3),
                              (len(full) + 2, 5), (0, 0)):
            page = queries.indicator_across_levels(g, c, limit=limit, offset=offset)
            assert page == full[offset:offset + limit], (c, offset, limit)
        counts = queries.indicator_level_counts(g, c)
        assert sum(counts.values()) == len({(r["target"], r["provision"]) for r in full})
        assert set(counts) == {r["level"] for r in full}
    assert queries.indicator_across_levels(g, "no such indicator", limit=5) == []
