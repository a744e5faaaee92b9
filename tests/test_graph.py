"""The graph: SHACL-valid, round-trips through Turtle and JSON-LD, stable IRIs, provenance on
every fact, what it answers to the questions officials ask of it, and the build stage / CLI
that serve it."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import PROV, RDF

from policykg.corpus import load_corpus
from policykg.ontology.sparql import SparqlError
from policykg.ontology.graph_build import build_graph
from policykg.ontology.namespaces import CV, ELI, OA, POL, PREFIXES, department_iri
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
    from policykg.ontology.graph_files import validate_graph
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


# ---- what the graph answers (the questions officials ask on the SPARQL page) ----------------

def ask(g: Graph, text: str, **bindings) -> list[dict]:
    """Rows of a SELECT over `g`, the project's prefixes declared, values as strings."""
    res = g.query(text, initNs=PREFIXES, initBindings=bindings or None)
    return [{str(v): (None if r[v] is None else str(r[v])) for v in res.vars} for r in res]


def test_each_provision_s_departments_in_the_graph_are_the_build_s(g, built_graph):
    roles: dict[str, dict[str, set]] = {}
    for r in ask(g, """SELECT ?id ?name ?role WHERE {
            ?p dcterms:identifier ?id ; cv:hasParticipation ?part .
            ?part cv:role/skos:notation ?role . ?d cv:playsRole ?part ; skos:prefLabel ?name }"""):
        slot = roles.setdefault(r["id"], {"lead": set(), "participants": set()})
        slot["lead" if r["role"] == "lead" else "participants"].add(r["name"])
    with_departments = 0
    for pid, facts in built_graph.facts.items():
        want = {k: set(v) for k, v in facts["departments"].items()}
        got = roles.get(pid, {"lead": set(), "participants": set()})
        assert got == {k: want[k] for k in ("lead", "participants")}, pid
        with_departments += bool(want["lead"] or want["participants"])
    assert with_departments >= 50


def test_a_department_by_name_or_alias_its_tasks_and_its_line(g):
    by = {form: {r["d"] for r in ask(g, f"SELECT ?d WHERE {{ ?d a org:Organization ; {pred} ?n . "
                                     "FILTER(STR(?n) = ?form) }", form=Literal(form))}
          for form, pred in (("东莞市人力资源和社会保障局", "skos:prefLabel"),
                             ("东莞市人社局", "skos:altLabel"))}
    assert by["东莞市人力资源和社会保障局"] == by["东莞市人社局"] == {str(department_iri("东莞市/hrss"))}
    tasks = """SELECT DISTINCT ?p ?role ?level WHERE {
        ?d cv:playsRole ?part . ?part cv:role/skos:notation ?role .
        FILTER NOT EXISTS { ?part pol:evidenceOf ?task }
        ?p cv:hasParticipation ?part ; pol:inDocument/pol:adminLevel/skos:notation ?level }"""
    dongguan = ask(g, tasks, d=department_iri("东莞市/hrss"))
    assert len(dongguan) >= 15 and {r["role"] for r in dongguan} == {"lead"}
    edu = ask(g, tasks, d=department_iri("广东省/education"))
    assert {r["role"] for r in edu} == {"lead", "participant"}
    assert {r["level"] for r in edu} == {"provincial"}
    line, d = [], str(department_iri("东莞市/hrss"))
    while d and len(line) < 10:
        row = ask(g, """SELECT ?name ?up WHERE { ?d skos:prefLabel ?name .
                                                 OPTIONAL { ?d pol:functionalSuperior ?up } }""",
                  d=URIRef(d))[0]
        line.append(row["name"])
        d = row["up"]
    assert line == ["东莞市人力资源和社会保障局", "广东省人力资源和社会保障厅", "人力资源社会保障部"]


def test_one_indicator_s_targets_at_each_level_and_how_they_compare(g):
    # the bundled corpus: 广东's target and 东莞's below it
    rows = ask(g, """SELECT ?t ?level ?comparison WHERE {
        ?c skos:prefLabel ?label . FILTER(STR(?label) = "高级工班以上在校生比例")
        ?t pol:indicator ?c ;
           prov:wasDerivedFrom/pol:inDocument/pol:adminLevel/skos:notation ?level .
        OPTIONAL { ?a a pol:Alignment ; pol:lower ?t ; pol:comparison/skos:notation ?comparison }
    } ORDER BY ?level""")
    assert sorted(r["level"] for r in rows) == ["municipal", "provincial"]
    assert {r["level"]: r["comparison"] for r in rows}["municipal"] == "below"


def test_a_national_provision_is_taken_up_below_directly_and_through_the_province(g):
    rows = ask(g, """SELECT ?h (COUNT(?l) AS ?n) WHERE {
        ?l pol:localises ?h . ?h pol:inDocument/pol:adminLevel/skos:notation "national" }
        GROUP BY ?h ORDER BY DESC(?n) ?h LIMIT 1""")
    assert rows, "the bundled corpus's national provisions are taken up below"
    below = ask(g, """SELECT DISTINCT ?l ?level WHERE {
        ?l pol:localises+ ?h ; pol:inDocument/pol:adminLevel/skos:notation ?level }""",
                h=URIRef(rows[0]["h"]))
    assert below and {r["level"] for r in below} <= {"provincial", "municipal"}
    through = ask(g, """SELECT (COUNT(*) AS ?n) WHERE { ?m pol:localises ?pp . ?pp pol:localises ?np .
        ?np pol:inDocument/pol:adminLevel/skos:notation "national" }""")
    assert int(through[0]["n"]) > 0, "a municipal provision takes up a provincial one that " \
                                     "takes up a national one"


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
    with pytest.raises(SparqlError, match="read-only"):
        run(store.root, "sparql", "INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    res = run(store.root, "sparql", "--format", "csv", "ASK { ?s a eli:LegalResource }")
    assert res.output == "boolean\ntrue\n"
    with pytest.raises(SparqlError, match="SELECT results come as .*not ttl"):
        run(store.root, "sparql", "--format", "ttl", q)
    res = run(store.root, "sparql", "--sparql-max-rows", "2", "--format", "tsv", q)
    assert len(res.stdout.splitlines()) == 3 and "cut at 2 rows" in res.stderr


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


def test_sparql_command_gives_a_graph_as_json_ld_by_default(built):
    store, gen = built
    text = "CONSTRUCT { ?d skos:prefLabel ?l } WHERE { ?d a org:Organization ; skos:prefLabel ?l }"
    res = run(store.root, "sparql", text)
    data = json.loads(res.output)
    assert "@context" in data and data["@context"]["skos"] == str(PREFIXES["skos"])
    got = Graph().parse(data=res.output, format="json-ld")
    want = Graph().parse(data=run(store.root, "sparql", "--format", "nt", text).output, format="nt")
    assert len(want) > 10 and isomorphic(got, want)
