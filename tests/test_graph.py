"""The graph: SHACL-valid, round-trips through Turtle and JSON-LD, stable IRIs, provenance on
every fact, the queries and the networkx view, and the build stage / CLI that serve it."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import PROV, RDF

from policykg.corpus import load_corpus
from policykg.ontology import netview, queries
from policykg.ontology.graph import build_graph
from policykg.ontology.namespaces import CV, ELI, OA, POL, department_iri
from policykg.web.cli import cli

ONTOLOGY = Path(__file__).resolve().parent.parent / "ontology"


@pytest.fixture(scope="module")
def built_graph(bundled_docs):
    return build_graph(bundled_docs)


@pytest.fixture(scope="module")
def g(built_graph) -> Graph:
    return built_graph.graph


# ---- the model -------------------------------------------------------------------------------------

def test_graph_validates_against_the_shapes(g):
    from policykg.ontology.graph import validate_graph
    conforms, text = validate_graph(g)
    assert conforms, text[:3000]


def test_shapes_catch_a_broken_fact(g):
    from pyshacl import validate
    broken = Graph()
    for t in g:
        broken.add(t)
    part = next(broken.subjects(RDF.type, CV.Participation))
    broken.remove((part, CV.role, None))
    broken.remove((part, PROV.wasDerivedFrom, None))
    shapes = Graph().parse(ONTOLOGY / "shapes.ttl")
    conforms, _, _ = validate(broken, shacl_graph=shapes, inference="none", advanced=True)
    assert not conforms


def test_every_pol_term_used_is_declared(g):
    vocab = Graph().parse(ONTOLOGY / "vocab.ttl")
    declared = {s for s in vocab.subjects() if str(s).startswith(str(POL))}
    used = {t for triple in g for t in triple
            if isinstance(t, URIRef) and str(t).startswith(str(POL))}
    assert used <= declared, used - declared
    from rdflib.namespace import RDFS
    for term in declared:
        assert vocab.value(term, RDFS.label) is not None
        assert vocab.value(term, RDFS.comment) is not None


def test_pol_namespace_is_exactly_the_declared_vocabulary():
    vocab = Graph().parse(ONTOLOGY / "vocab.ttl")
    declared = {s for s in vocab.subjects() if str(s).startswith(str(POL))}
    closed = {POL[name] for name in POL.__annotations__}
    assert closed == declared, (closed - declared, declared - closed)
    with pytest.raises(AttributeError):
        POL.adminLevle          # a typo is an error, not a new term


@pytest.mark.parametrize("fmt", ["turtle", "json-ld", "nt"])
def test_round_trip_is_isomorphic(g, fmt):
    from policykg.ontology.namespaces import PREFIXES
    kwargs = {"context": {p: str(n) for p, n in PREFIXES.items()}} if fmt == "json-ld" else {}
    data = g.serialize(format=fmt, **kwargs)
    back = Graph().parse(data=data, format=fmt)
    assert len(back) == len(g)
    assert isomorphic(back, g)


def test_iris_are_stable_across_rebuilds(g, bundled_docs):
    again = build_graph(load_corpus()).graph
    assert set(again) == set(g)
    # and do not depend on the order the documents come in
    a = build_graph(bundled_docs, targets=[], target_alignments=[], alignments=[]).graph
    b = build_graph(list(reversed(bundled_docs)), targets=[], target_alignments=[],
                    alignments=[]).graph
    assert set(a) == set(b)


def test_no_blank_nodes(g):
    from rdflib import BNode
    assert not any(isinstance(t, BNode) for triple in g for t in triple)


# ---- provenance ----------------------------------------------------------------------------------------

def test_every_fact_points_to_its_provision_and_span(g, bundled_docs):
    sources = {d.meta.key: d.source for d in bundled_docs}
    facts = [s for cls in (CV.Participation, OA.Annotation, POL.Target, POL.Alignment)
             for s in g.subjects(RDF.type, cls)]
    assert len(facts) > 100
    for fact in facts:
        derived = list(g.objects(fact, PROV.wasDerivedFrom))
        provisions = [x for x in derived if (x, RDF.type, ELI.LegalResourceSubdivision) in g]
        spans = [x for x in derived if (x, RDF.type, OA.SpecificResource) in g]
        assert provisions and spans, fact
        for span in spans:
            doc = g.value(span, OA.hasSource)
            key = str(doc).rsplit("/", 1)[1]
            sel = next(s for s in g.objects(span, OA.hasSelector)
                       if (s, RDF.type, OA.TextPositionSelector) in g)
            start, end = int(g.value(sel, OA.start)), int(g.value(sel, OA.end))
            assert 0 <= start < end <= len(sources[key])


def test_participation_span_reads_the_department_as_written(g, bundled_docs):
    sources = {d.meta.key: d.source for d in bundled_docs}
    checked = 0
    for part in g.subjects(RDF.type, CV.Participation):
        for span in g.objects(part, PROV.wasDerivedFrom):
            exact = next((g.value(s, OA.exact) for s in g.objects(span, OA.hasSelector)
                          if g.value(s, OA.exact) is not None), None)
            if exact is not None:
                key = str(g.value(span, OA.hasSource)).rsplit("/", 1)[1]
                sel = next(s for s in g.objects(span, OA.hasSelector)
                           if g.value(s, OA.start) is not None)
                assert sources[key][int(g.value(sel, OA.start)):int(g.value(sel, OA.end))] \
                    == str(exact)
                checked += 1
    assert checked > 50


# ---- queries ------------------------------------------------------------------------------------------------

def test_provision_facts_query_matches_the_build(g, built_graph):
    for pid, facts in list(built_graph.facts.items())[:40]:
        got = queries.provision_facts(g, pid)
        assert sorted(got["departments"]["lead"]) == sorted(facts["departments"]["lead"])
        assert sorted(got["departments"]["participants"]) == \
            sorted(facts["departments"]["participants"])
        assert len({c["target"] for c in got["cites"]}) == len({c["target"] for c in facts["cites"]})


def test_department_tasks_and_line(g):
    tasks = queries.department_tasks(g, "东莞市人力资源和社会保障局")
    assert len(tasks) >= 15 and all(t["role"] == "lead" for t in tasks)
    assert queries.department_tasks(g, "东莞市人社局") == tasks          # by alias
    edu = queries.department_tasks(g, "广东省教育厅")
    assert {t["role"] for t in edu} == {"lead", "participant"}
    assert {t["level"] for t in edu} == {"provincial"}
    line = [d["name"] for d in queries.department_line(g, "东莞市人社局")]
    assert line == ["东莞市人力资源和社会保障局", "广东省人力资源和社会保障厅", "人力资源社会保障部"]


def test_indicator_across_levels(g):
    # the bundled corpus: 广东's target and 东莞's, below it
    rows = queries.indicator_across_levels(g, "高级工班以上在校生比例")
    levels = [r["level"] for r in rows]
    assert levels == ["provincial", "municipal"]
    assert rows[1]["comparison"] == "below"


def test_taken_up_by(g):
    rows = queries.select(g, """SELECT ?h (COUNT(?l) AS ?n) WHERE {
        ?l pol:localises ?h . ?h pol:inDocument ?d . ?d pol:adminLevel ?lv .
        ?lv skos:notation "national" } GROUP BY ?h ORDER BY DESC(?n) ?h LIMIT 1""")
    assert rows, "the bundled corpus's national provisions are taken up below"
    national = rows[0]["h"]
    below = queries.taken_up_by(g, national)
    assert below and all(r["level"] in ("provincial", "municipal") for r in below)
    assert below[0]["direct"]


def test_sparql_is_read_only(g):
    for update in ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "CLEAR ALL",
                   "DELETE WHERE { ?s ?p ?o }"):
        with pytest.raises(queries.QueryRefused):
            queries.run_sparql(g, update)
    with pytest.raises(queries.QueryRefused):
        queries.run_sparql(g, "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }")
    with pytest.raises(queries.QueryRefused):
        queries.run_sparql(g, "SELECT * FROM <http://example.org/x> WHERE { ?s ?p ?o }")
    n = len(g)
    res = queries.run_sparql(g, "SELECT (COUNT(*) AS ?n) WHERE { ?s a eli:LegalResource }")
    assert int(next(iter(res))[0]) >= 5 and len(g) == n


# ---- networkx ---------------------------------------------------------------------------------------------------

def test_netview_department_reach_and_take_up(g):
    G = netview.to_networkx(g)
    dept = str(department_iri("广东省/education"))
    reach = netview.department_reach(G, dept)
    assert reach and reach[0]["role"] == "lead"
    assert netview.functional_line(G, str(department_iri("东莞市/hrss"))) == [
        "东莞市人力资源和社会保障局", "广东省人力资源和社会保障厅", "人力资源社会保障部"]
    national = [n for n, d in G.nodes(data=True)
                if d.get("type") == "provision" and d.get("level") == "national"]
    taken = [(n, netview.takes_up(G, n)) for n in national]
    taken = [(n, t) for n, t in taken if t]
    assert taken, "the bundled corpus's national provisions are taken up below"
    n, below = taken[0]
    assert all(G.nodes[r["provision"]]["level"] in ("provincial", "municipal") for r in below)
    assert {r["provision"] for r in below} == {r["lower"] for r in queries.taken_up_by(g, n)}


# ---- speed -----------------------------------------------------------------------------------------------------------

def test_graph_building_grows_linearly(bundled_docs):
    """Copies of the corpus under other names: 8× the documents, well under 8× squared the time."""
    import dataclasses
    from policykg.corpus.records import Document

    def copies(n):
        out = []
        for i in range(n):
            for d in bundled_docs:
                meta = dataclasses.replace(d.meta, file=f"{i}_{d.file}",
                                           number=f"{d.meta.number}{i}" if d.meta.number else None,
                                           title=f"{d.meta.title}{i}")
                provs = tuple(dataclasses.replace(p, id=f"{i}{p.id}", doc=meta.file,
                                                  parent=f"{i}{p.parent}" if p.parent else None,
                                                  children=tuple(f"{i}{c}" for c in p.children))
                              for p in d.provisions)
                out.append(Document(meta, d.source, provs))
        return out

    def timed(docs):
        t = time.perf_counter()
        build_graph(docs, targets=[], target_alignments=[], alignments=[])
        return time.perf_counter() - t

    one, eight = timed(copies(1)), timed(copies(8))
    assert eight < one * 8 * 2.5 + 1.0


# ---- the build stage, the generation, the CLI -----------------------------------------------------------------

def run(data: Path, *args: str):
    return CliRunner().invoke(cli, ["--data", str(data), *args], catch_exceptions=False)


def test_build_writes_the_graph_and_facts(built):
    store, gen = built
    for name in ("graph.nt", "facts.json", "departments.jsonl", "citations.jsonl",
                 "targets.jsonl", "alignments.jsonl"):
        assert (gen.folder / name).is_file(), name
    assert len(gen.graph) > 1000
    pid = next(p["id"] for p in gen.provisions if p["heading"] == "完善技工教育多元投入机制")
    assert gen.provision_facts(pid)["departments"] == {
        "lead": ["东莞市人力资源和社会保障局"], "participants": ["东莞市财政局"]}


def test_export_rows(built):
    store, _ = built
    out = {}
    for what in ("departments", "citations", "targets", "alignments"):
        res = run(store.root, "export", what)
        assert res.exit_code == 0, res.output
        out[what] = [json.loads(line) for line in res.output.splitlines()]
    dept = next(r for r in out["departments"] if r["name"] == "东莞市财政局")
    assert set(dept) >= {"id", "uri", "name", "aliases", "level", "region", "parent", "tasks"}
    assert "市财政局" in dept["aliases"] and dept["level"] == "municipal"
    assert dept["tasks"][0]["role"] == "participant"
    cite = next(r for r in out["citations"] if r["number"] == "人社部发〔2021〕86号")
    assert set(cite) >= {"doc", "provision", "title", "number", "target", "resolves_to"}
    assert cite["resolves_to"].startswith("004")
    for r in out["targets"]:
        assert set(r) >= {"doc", "provision", "indicator", "unit", "target", "baseline",
                          "cumulative", "attribute"}
    for r in out["alignments"]:
        assert set(r) >= {"higher", "lower", "kind", "score", "evidence"}
    csv = run(store.root, "export", "alignments", "--format", "csv")
    assert csv.exit_code == 0 and csv.output.startswith("higher,lower,kind,score,evidence")


def test_export_graph_turtle_and_jsonld(built):
    store, gen = built
    for fmt, parser in (("ttl", "turtle"), ("jsonld", "json-ld")):
        res = run(store.root, "export", "graph", "--format", fmt)
        assert res.exit_code == 0
        assert isomorphic(Graph().parse(data=res.output, format=parser), gen.graph)
    assert run(store.root, "export", "graph", "--format", "csv").exit_code != 0


def test_sparql_command(built, tmp_path):
    store, _ = built
    q = "SELECT ?name WHERE { ?d skos:prefLabel ?name ; pol:functionalSuperior ?u } ORDER BY ?name"
    res = run(store.root, "sparql", q)
    assert res.exit_code == 0
    names = [b["name"]["value"] for b in json.loads(res.output)["results"]["bindings"]]
    assert "东莞市人力资源和社会保障局" in names
    res = run(store.root, "sparql", "--format", "csv", q)
    assert res.output.splitlines()[0] == "name"
    file = tmp_path / "q.rq"
    file.write_text("CONSTRUCT { ?d pol:functionalSuperior ?u } WHERE { ?d pol:functionalSuperior ?u }",
                    encoding="utf-8")
    res = run(store.root, "sparql", "--format", "ttl", f"@{file}")
    assert res.exit_code == 0 and len(Graph().parse(data=res.output, format="turtle")) > 10
    with pytest.raises(queries.QueryRefused):
        run(store.root, "sparql", "INSERT DATA { <urn:a> <urn:b> <urn:c> }")


def test_eval_departments_and_citations(built):
    from policykg.pipeline.evaluate import SCORERS, find_eval_dir, load_gold
    folder = find_eval_dir()
    if folder is None:
        pytest.skip("no evaluation data")
    _, gen = built
    for name, floor in (("departments", 0.95), ("citations", 1.0)):
        gold = load_gold(folder, name)
        if gold is None:
            continue
        score = SCORERS[name](gen, gold)
        assert score.ratio >= floor, score.misses


def test_unseen_documents_build_a_valid_graph(bundled_docs):
    """Fixture plans (another province, a county, a document without a region) with the corpus."""
    from pyshacl import validate
    from policykg.corpus.records import DocumentMeta
    from policykg.corpus.segment import segment_document
    from test_departments import fixture_docs
    county = segment_document(
        "一、重点任务\n\n（一）建设实训基地。推动建设一批实训基地。（区人力资源社会保障局、区财政局）\n",
        DocumentMeta(file="county.txt", title="天河区方案", level="county", region="广州市天河区"))
    nowhere = segment_document(
        "一、任务\n\n（一）加强培训。开展培训。（市人社局牵头，市教育局配合）\n",
        DocumentMeta(file="nowhere.txt", title="某方案"))
    result = build_graph([*fixture_docs(), county, nowhere, *bundled_docs])
    shapes = Graph().parse(ONTOLOGY / "shapes.ttl")
    conforms, _, text = validate(result.graph, shacl_graph=shapes, inference="none",
                                 advanced=True)
    assert conforms, text[:3000]
    lines = {r["name"]: r["line"] for r in result.rows["departments"]}
    assert lines["广州市天河区人力资源和社会保障局"] == [
        "广州市人力资源和社会保障局", "广东省人力资源和社会保障厅", "人力资源社会保障部"]
    assert lines["湖南省人力资源和社会保障厅"] == ["人力资源社会保障部"]


def test_a_number_known_only_from_those_who_cite_it(bundled_docs):
    import dataclasses
    from policykg.corpus.records import Document
    from policykg.ontology.namespaces import doc_iri
    docs = [Document(dataclasses.replace(d.meta, number=None), d.source, d.provisions)
            if d.meta.number == "人社部发〔2021〕86号" else d for d in bundled_docs]
    national = next(d for d in docs if d.meta.level == "national")
    result = build_graph(docs, targets=[], target_alignments=[], alignments=[])
    assert str(result.graph.value(doc_iri(national.meta.key), ELI.id_local)) == "人社部发〔2021〕86号"
    cites = [r for r in result.rows["citations"] if r["resolves_to"] == national.file]
    assert {r["doc"][:3] for r in cites} == {"000", "001"}
    assert all(r["number"] == "人社部发〔2021〕86号" for r in cites)


def test_every_co_issuer_passed_the_document():
    """A notice of two bodies: eli:passed_by names both, in the graph and in a one-document part."""
    from policykg.corpus.records import DocumentMeta
    from policykg.corpus.segment import segment_document
    from policykg.ontology.namespaces import doc_iri
    doc = segment_document(
        "一、任务\n\n（一）加强培训。开展培训。（市人社局牵头，市教育局配合）\n",
        DocumentMeta(file="joint.txt", title="某市技工教育方案", level="municipal", region="南昌市",
                     issuer="南昌市人力资源和社会保障局",
                     issuers=("南昌市人力资源和社会保障局", "南昌市教育局")))
    g = build_graph([doc], targets=[], target_alignments=[], alignments=[]).graph
    passed = {str(g.value(o, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")))
              for o in g.objects(doc_iri(doc.meta.key), ELI.passed_by)}
    assert passed == {"南昌市人力资源和社会保障局", "南昌市教育局"}
