"""A networkx view of the graph, for path and neighbourhood questions.

Nodes are IRIs (strings) with a `type` (provision, document, department, target, indicator)
and a `label`; edges carry a `rel`:

- department → provision  `lead` / `participant`      (who owns a task)
- provision  → provision  `localises`  (lower → higher: the lower takes the higher up)
- target     → target     `aligns_with` (lower → higher, same indicator at two levels)
- provision  → target     `has_target`;  target → indicator `measures`
- provision  → provision / document `part_of`;  provision → document `cites`
- department → department `superior` (the functional line up); `government`

Two questions it answers directly: `department_reach` (a department → its tasks → the
provisions aligned with them, up and down) and `takes_up` (a national provision →
everything below that takes it up, at any depth).
"""
from __future__ import annotations

from collections import deque
from typing import Iterable

import networkx as nx
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, RDF, RDFS, SKOS

from policykg.ontology import graphstore
from policykg.ontology.namespaces import CV, ELI, POL


def _pairs(g: Graph, predicate: URIRef) -> list[tuple[str, str]]:
    """Every (subject, object) of one predicate, as strings (IRIs and lexical forms).

    On Oxigraph one scan of its predicate index, without rdflib terms; on rdflib's store
    its own index.  Reading each predicate once is what keeps building the view linear:
    asking the graph node by node (g.value) costs a store call per node and property."""
    store = graphstore.native(g)
    if store is not None:
        import pyoxigraph as ox
        return [(q.subject.value, q.object.value) for q in
                store.quads_for_pattern(None, ox.NamedNode(str(predicate)), None,
                                        ox.DefaultGraph())]
    return [(str(s), str(o)) for s, o in g.subject_objects(predicate)]


def _first(g: Graph, predicate: URIRef) -> dict[str, str]:
    out: dict[str, str] = {}
    for s, o in _pairs(g, predicate):
        out.setdefault(s, o)
    return out


def _many(g: Graph, predicate: URIRef) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s, o in _pairs(g, predicate):
        out.setdefault(s, []).append(o)
    return out


def _of_type(g: Graph, cls: URIRef) -> list[str]:
    store = graphstore.native(g)
    if store is not None:
        import pyoxigraph as ox
        return [q.subject.value for q in store.quads_for_pattern(
            None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(cls)), ox.DefaultGraph())]
    return [str(s) for s in g.subjects(RDF.type, cls)]


def to_networkx(g: Graph) -> nx.MultiDiGraph:
    """The graph's documents, provisions, departments and targets as a MultiDiGraph."""
    G = nx.MultiDiGraph()
    labels: dict[str, str] = {}
    for p in reversed((SKOS.prefLabel, DCTERMS.title, RDFS.label, DCTERMS.identifier)):
        labels.update(_first(g, p))       # the first property in this list wins
    ident = _first(g, DCTERMS.identifier)
    notation = _first(g, SKOS.notation)
    admin_level = _first(g, POL.adminLevel)

    def level_of(x: str) -> str | None:
        concept = admin_level.get(x)
        return notation.get(concept) if concept is not None else None

    def node(key: str, kind: str, **attrs) -> str:
        if key not in G or "type" not in G.nodes[key]:
            G.add_node(key, type=kind, label=labels.get(key, key), **attrs)
        return key

    levels = {}
    for d in _of_type(g, ELI.LegalResource):
        levels[d] = level_of(d)
        node(d, "document", level=levels[d], doc=ident.get(d, ""))
    in_doc = _first(g, POL.inDocument)
    provisions = _of_type(g, ELI.LegalResourceSubdivision)
    for p in provisions:
        doc = in_doc.get(p)
        node(p, "provision", level=levels.get(doc), id=str(ident.get(p)),
             doc=ident.get(doc, "") if doc is not None else "")
    part_of, cites, localises = (_first(g, ELI.is_part_of), _many(g, ELI.cites),
                                 _many(g, POL.localises))
    for p in provisions:
        if p in part_of:
            G.add_edge(p, part_of[p], rel="part_of")
        for cited in cites.get(p, ()):
            node(cited, "document")
            G.add_edge(p, cited, rel="cites")
        for higher in localises.get(p, ()):
            G.add_edge(p, higher, rel="localises")
    superior, government = _many(g, POL.functionalSuperior), _many(g, ORG.subOrganizationOf)
    plays, role = _many(g, CV.playsRole), _first(g, CV.role)
    holders: dict[str, list[str]] = {}
    for p, part in _pairs(g, CV.hasParticipation):
        holders.setdefault(part, []).append(p)
    for d in _of_type(g, ORG.Organization):
        node(d, "department", level=level_of(d))
        for up in superior.get(d, ()):
            node(up, "department", level=level_of(up))   # the same whichever comes first
            G.add_edge(d, up, rel="superior")
        for gov in government.get(d, ()):
            node(gov, "department", level=level_of(gov))
            G.add_edge(d, gov, rel="government")
        for part in plays.get(d, ()):
            r = notation.get(role[part]) if part in role else None
            for p in holders.get(part, ()):
                G.add_edge(d, p, rel=r or "participant")
    indicator, derived, aligns = (_first(g, POL.indicator), _many(g, PROV.wasDerivedFrom),
                                  _many(g, POL.alignsWithTarget))
    for t in _of_type(g, POL.Target):
        node(t, "target")
        if t in indicator:
            node(indicator[t], "indicator")
            G.add_edge(t, indicator[t], rel="measures")
        for src in derived.get(t, ()):
            if src in G and G.nodes[src].get("type") == "provision":
                G.add_edge(src, t, rel="has_target")
        for higher in aligns.get(t, ()):
            node(higher, "target")
            G.add_edge(t, higher, rel="aligns_with")
    return G


def _edges(G: nx.MultiDiGraph, u: str, rels: Iterable[str], reverse: bool = False):
    rels = set(rels)
    items = G.in_edges(u, data=True) if reverse else G.out_edges(u, data=True)
    for a, b, data in items:
        if data.get("rel") in rels:
            yield a if reverse else b


def department_reach(G: nx.MultiDiGraph, department: str) -> list[dict]:
    """department → its tasks → the provisions aligned with each task (higher and lower)."""
    out = []
    for _, task, data in G.out_edges(department, data=True):
        if data.get("rel") not in ("lead", "participant"):
            continue
        out.append({
            "task": task, "role": data["rel"], "id": G.nodes[task].get("id"),
            "label": G.nodes[task].get("label"),
            "takes_up": sorted(_edges(G, task, ["localises"])),
            "taken_up_by": sorted(_edges(G, task, ["localises"], reverse=True)),
        })
    out.sort(key=lambda r: (r["role"] != "lead", r["id"] or ""))
    return out


def takes_up(G: nx.MultiDiGraph, provision: str) -> list[dict]:
    """Every provision below that takes up `provision`, at any depth, nearest first
    (breadth-first along reversed `localises` edges)."""
    seen = {provision: 0}
    order = []
    queue = deque([provision])
    while queue:
        cur = queue.popleft()
        for lower in _edges(G, cur, ["localises"], reverse=True):
            if lower not in seen:
                seen[lower] = seen[cur] + 1
                order.append(lower)
                queue.append(lower)
    return [{"provision": p, "id": G.nodes[p].get("id"), "level": G.nodes[p].get("level"),
             "label": G.nodes[p].get("label"), "depth": seen[p],
             "via": [q for q in _edges(G, p, ["localises"]) if q in seen and seen[q] < seen[p]]}
            for p in order]


def functional_line(G: nx.MultiDiGraph, department: str) -> list[str]:
    """The department and the bodies up its functional line, as labels."""
    line, cur, seen = [], department, set()
    while cur is not None and cur not in seen:
        seen.add(cur)
        line.append(G.nodes[cur].get("label", cur))
        cur = next(iter(_edges(G, cur, ["superior"])), None)
    return line


def shortest_path(G: nx.MultiDiGraph, source: str, target: str) -> list[str] | None:
    """The shortest path between two nodes, edges taken in either direction."""
    try:
        return nx.shortest_path(G.to_undirected(as_view=True), source, target)
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None
