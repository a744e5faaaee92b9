"""The UI's graph questions on the on-disk Oxigraph store answer as on the other stores.

ontology/queries.py asks them differently of Oxigraph (per-document counts remembered per
graph, documents ordered from a table read once, only a page's targets read) than of
rdflib's store (every row, sorted): the answers must be the same rows in the same order.
"""
from __future__ import annotations

import shutil

import pytest
from rdflib import URIRef

from policykg.ontology import diskstore, graphstore, queries
from policykg.ontology.graph import build_graph

POL = "https://w3id.org/policykg/ontology#"
ID = "https://w3id.org/policykg/id/"


@pytest.fixture(scope="module")
def bundled_stores(bundled_docs, tmp_path_factory):
    """The bundled corpus's graph on every store, and on disk as a build writes it."""
    folder = tmp_path_factory.mktemp("disk")
    nt = folder / "graph.nt"
    build_graph(bundled_docs).graph.serialize(str(nt), format="nt", encoding="utf-8")
    diskstore.write(folder, [nt])
    out = {name: graphstore.load_graph(nt, name) for name in graphstore.STORES}
    out["disk"] = graphstore.open_graph(folder)
    return out


def _busiest_indicators(g, n: int = 4) -> list[str]:
    return [r["c"] for r in queries.select(g, """SELECT ?c (COUNT(?t) AS ?n) WHERE {
        ?t a pol:Target ; pol:indicator ?c } GROUP BY ?c ORDER BY DESC(?n) ?c LIMIT %d""" % n)]


def _assert_indicators_alike(stores: dict, indicators: list) -> None:
    ref = stores["memory"]
    for c in indicators:
        full = queries.indicator_across_levels(ref, c)
        counts = queries.indicator_level_counts(ref, c)
        assert full, c
        for name, g in stores.items():
            assert queries.indicator_across_levels(g, c) == full, (name, c)
            assert queries.indicator_level_counts(g, c) == counts, (name, c)
            for offset, limit in ((0, 1), (0, 3), (1, 4), (2, 50), (len(full) - 1, 5), (0, 0),
                                  (len(full) + 1, 3)):
                queries.forget_indicator_counts(g)
                page = queries.indicator_across_levels(g, c, limit=limit, offset=offset)
                assert page == full[offset:offset + limit], (name, c, offset, limit)


def test_the_ui_questions_answer_alike_on_disk(bundled_stores):
    ref, disk = bundled_stores["memory"], bundled_stores["disk"]
    assert graphstore.native(disk) is not None
    depts = [r["d"] for r in queries.select(ref, """SELECT ?d (COUNT(?p) AS ?n) WHERE {
        ?d cv:playsRole ?p } GROUP BY ?d ORDER BY DESC(?n) ?d LIMIT 6""")]
    assert depts
    national = [r["p"] for r in queries.select(ref, """SELECT DISTINCT ?p WHERE {
        ?x pol:localises ?p . ?p pol:inDocument ?d . ?d pol:adminLevel/skos:notation "national"
        } ORDER BY ?p LIMIT 6""")]
    assert national
    for name, g in bundled_stores.items():
        for d in depts:
            assert queries.department_tasks(g, d) == queries.department_tasks(ref, d), name
        for p in national:
            assert queries.taken_up_by(g, p) == queries.taken_up_by(ref, p), name
            # a national provision's facts list its aligned provisions: ties in score
            # must come out in the same order on every store
            assert queries.provision_facts(g, p) == queries.provision_facts(ref, p), name
    _assert_indicators_alike(bundled_stores, [*_busiest_indicators(ref), "高级工班以上在校生比例"])


def test_level_counts_come_in_level_order(bundled_stores):
    for g in bundled_stores.values():
        for c in _busiest_indicators(bundled_stores["memory"]):
            levels = list(queries.indicator_level_counts(g, c))
            ranks = [queries.LEVEL_ORDER.get(lv, 9) for lv in levels]
            assert ranks == sorted(ranks)


def _edge_graph() -> str:
    """Documents the page order has to handle: two identifiers, a level outside the known
    ones, no level, two levels; targets in several provisions, some aligned upward."""
    lines = []

    def t(s, p, o):
        lines.append(f"{s} {p} {o} .")

    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    ident = "<http://purl.org/dc/terms/identifier>"
    notation = "<http://www.w3.org/2004/02/skos/core#notation>"
    concept = f"<{ID}indicator/x>"
    docs = {"n": (["n.txt"], ["national"]), "p": (["p2.txt", "p1.txt"], ["provincial"]),
            "t": (["t.txt"], ["township"]), "z": (["a.txt"], []),
            "m": (["m.txt"], ["municipal", "county"]), "q": (["q.txt"], ["provincial"])}
    for key, (ids, levels) in docs.items():
        d = f"<{ID}doc/{key}>"
        t(d, rdf_type, "<http://data.europa.eu/eli/ontology#LegalResource>")
        t(d, "<http://purl.org/dc/terms/title>", f'"title {key}"@zh')
        for i in ids:
            t(d, ident, f'"{i}"')
        for lv in levels:
            t(d, f"<{POL}adminLevel>", f"<{ID}level/{lv}>")
            t(f"<{ID}level/{lv}>", notation, f'"{lv}"')
        for n in range(3):
            p = f"<{ID}doc/{key}/s{n}>"
            t(p, rdf_type, "<http://data.europa.eu/eli/ontology#LegalResourceSubdivision>")
            t(p, f"<{POL}inDocument>", d)
            t(p, ident, f'"{key}__s{n}"')
            for k in range(n + 1):
                tg = f"<{ID}doc/{key}/s{n}/target/{k}>"
                q = f"<{ID}doc/{key}/s{n}/target/{k}/v>"
                t(tg, rdf_type, f"<{POL}Target>")
                t(tg, f"<{POL}indicator>", concept)
                t(tg, "<http://www.w3.org/2000/01/rdf-schema#label>", '"指标"@zh')
                t(tg, f"<{POL}targetValue>", q)
                t(tg, f"<{POL}comparator>", f"<{ID}comparator/at-least>")
                t(tg, "<http://www.w3.org/ns/prov#wasDerivedFrom>", p)
                t(tg, "<http://www.w3.org/ns/prov#wasDerivedFrom>", f"<{ID}doc/{key}/span/{n}>")
                t(q, "<https://schema.org/value>",
                  f'"{n + k}"^^<http://www.w3.org/2001/XMLSchema#integer>')
                if k:
                    t(q, "<https://schema.org/unitText>", '"所"')
                if key != "n":          # aligned with the national target of its provision
                    a = f"<{ID}alignment/{key}{n}{k}>"
                    t(a, rdf_type, f"<{POL}Alignment>")
                    t(a, f"<{POL}lower>", tg)
                    t(a, f"<{POL}higher>", f"<{ID}doc/n/s{n}/target/0>")
                    if k % 2:
                        t(a, f"<{POL}comparison>", f"<{ID}comparison/below>")
    t(f"<{ID}comparator/at-least>", notation, '"at-least"')
    t(f"<{ID}comparison/below>", notation, '"below"')
    return "\n".join(lines) + "\n"


def test_the_page_order_holds_for_every_kind_of_document(tmp_path):
    nt = tmp_path / "graph.nt"
    nt.write_text(_edge_graph(), encoding="utf-8")
    diskstore.write(tmp_path, [nt])
    stores = {name: graphstore.load_graph(nt, name) for name in graphstore.STORES}
    stores["disk"] = graphstore.open_graph(tmp_path)
    _assert_indicators_alike(stores, [URIRef(f"{ID}indicator/x")])
    rows = queries.indicator_across_levels(stores["disk"], URIRef(f"{ID}indicator/x"))
    # national first, the township and the level-less document last, sorted together
    assert rows[0]["level"] == "national" and {r["level"] for r in rows[-12:]} == {"township", None}
    assert [r["doc"] for r in rows if r["level"] == "provincial"][0] == "p1.txt"
    counts = queries.indicator_level_counts(stores["disk"], URIRef(f"{ID}indicator/x"))
    assert counts == {"national": 6, "provincial": 12, "municipal": 6, "county": 6,
                      "township": 6, None: 6}
    shutil.rmtree(tmp_path / diskstore.STORE_DIR)


def test_counts_are_remembered_until_forgotten(bundled_stores):
    g = bundled_stores["disk"]
    c = _busiest_indicators(bundled_stores["memory"], 1)[0]
    queries.forget_indicator_counts(g)
    first = queries.indicator_level_counts(g, c)
    held = queries.graph_memo(g)["doc_counts"]
    assert list(held) == [c]
    assert queries.indicator_level_counts(g, c) == first       # from the memo
    queries.forget_indicator_counts(g)
    assert "doc_counts" not in queries.graph_memo(g)


def test_aligned_provisions_tied_in_score_come_in_one_order_on_every_store(tmp_path):
    """provision_facts lists a provision's aligned provisions best first; ties in score are
    ordered by direction, then provision, so every store gives the same list."""
    p = f"<{ID}doc/m/s0>"
    lines = []
    for i, (role, other) in enumerate([("higher", "n/s2"), ("higher", "n/s1"),
                                       ("lower", "c/s9"), ("lower", "c/s3"), ("higher", "n/s0")]):
        a = f"<{ID}alignment/tie{i}>"
        lines += [f"{a} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{POL}Alignment> .",
                  f"{a} <{POL}{role}> <{ID}doc/{other}> .",
                  f"{a} <{POL}{'lower' if role == 'higher' else 'higher'}> {p} .",
                  f'{a} <{POL}score> "0.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .']
    nt = tmp_path / "graph.nt"
    nt.write_text("\n".join(lines) + "\n", encoding="utf-8")
    diskstore.write(tmp_path, [nt])
    stores = {name: graphstore.load_graph(nt, name) for name in graphstore.STORES}
    stores["disk"] = graphstore.open_graph(tmp_path)
    listed = {name: [(r["direction"], str(r["other"])) for r in
                     queries.provision_facts(g, URIRef(p[1:-1]))["aligned"]]
              for name, g in stores.items()}
    expected = sorted(listed["memory"])
    assert all(rows == expected for rows in listed.values()), listed
