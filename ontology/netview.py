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

from ontology.namespaces import CV, ELI, POL

LEVEL_ORDER = {"national": 0, "provincial": 1, "municipal": 2, "county": 3}


def _label(g: Graph, node: URIRef) -> str:
    for p in (SKOS.prefLabel, DCTERMS.title, RDFS.label, DCTERMS.identifier):
        v = g.value(node, p)
        if v is not None:
            return str(v)
    return str(node)


def _notation(g: Graph, concept: URIRef | None) -> str | None:
    if concept is None:
        return None
    v = g.value(concept, SKOS.notation)
    return str(v) if v is not None else None


def to_networkx(g: Graph) -> nx.MultiDiGraph:
    """The graph's documents, provisions, departments and targets as a MultiDiGraph."""
    G = nx.MultiDiGraph()

    def node(iri: URIRef, kind: str, **attrs) -> str:
        key = str(iri)
        if key not in G or "type" not in G.nodes[key]:
            G.add_node(key, type=kind, label=_label(g, iri), **attrs)
        return key

    levels = {}
    for d in g.subjects(RDF.type, ELI.LegalResource):
        level = _notation(g, g.value(d, POL.adminLevel))
        levels[d] = level
        node(d, "document", level=level, doc=str(g.value(d, DCTERMS.identifier) or ""))
    provisions = list(g.subjects(RDF.type, ELI.LegalResourceSubdivision))
    for p in provisions:
        doc = g.value(p, POL.inDocument)
        node(p, "provision", level=levels.get(doc), id=str(g.value(p, DCTERMS.identifier)),
             doc=str(g.value(doc, DCTERMS.identifier) or ""))
    for p in provisions:
        parent = g.value(p, ELI.is_part_of)
        if parent is not None:
            G.add_edge(str(p), str(parent), rel="part_of")
        for cited in g.objects(p, ELI.cites):
            node(cited, "document")
            G.add_edge(str(p), str(cited), rel="cites")
        for higher in g.objects(p, POL.localises):
            G.add_edge(str(p), str(higher), rel="localises")
    for d in g.subjects(RDF.type, ORG.Organization):
        node(d, "department", level=_notation(g, g.value(d, POL.adminLevel)))
        for up in g.objects(d, POL.functionalSuperior):
            node(up, "department")
            G.add_edge(str(d), str(up), rel="superior")
        for gov in g.objects(d, ORG.subOrganizationOf):
            node(gov, "department")
            G.add_edge(str(d), str(gov), rel="government")
        for part in g.objects(d, CV.playsRole):
            role = _notation(g, g.value(part, CV.role)) or "participant"
            for p in g.subjects(CV.hasParticipation, part):
                G.add_edge(str(d), str(p), rel=role)
    for t in g.subjects(RDF.type, POL.Target):
        node(t, "target")
        indicator = g.value(t, POL.indicator)
        if indicator is not None:
            node(indicator, "indicator")
            G.add_edge(str(t), str(indicator), rel="measures")
        for src in g.objects(t, PROV.wasDerivedFrom):
            if str(src) in G and G.nodes[str(src)].get("type") == "provision":
                G.add_edge(str(src), str(t), rel="has_target")
        for higher in g.objects(t, POL.alignsWithTarget):
            node(higher, "target")
            G.add_edge(str(t), str(higher), rel="aligns_with")
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
