"""Reading the graph: read-only SPARQL, and the questions officials ask of it.

- `provision_facts(graph, provision)`: who leads and who participates, targets, citations,
  alignments of one provision;
- `department_tasks(graph, department)`: every task a department leads or joins, across
  documents and levels, and `department_line`: its functional line upward;
- `indicator_across_levels(graph, indicator)`: one indicator's targets at every level, with
  how each lower target compares with the higher one;
- `taken_up_by(graph, provision)`: everything below that takes up a (national) provision,
  directly or through a provincial one.

Departments, provisions and indicators are given by IRI, or by name / id / label.
"""
from __future__ import annotations

import functools
import json
import re
import threading
import weakref
from dataclasses import dataclass
from typing import Any

from pyparsing import ParseResults
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.query import Result

from policykg.corpus.vocabulary import LEVEL_ORDER
from policykg.ontology import graphstore, virtuoso
from policykg.ontology.graph import empty_facts
from policykg.ontology.namespaces import PREFIXES

INIT_NS = dict(PREFIXES)


class QueryRefused(ValueError):
    """A SPARQL text this read-only interface will not run."""


def check_read_only(text: str) -> None:
    """Refuse updates (INSERT, DELETE, LOAD, CLEAR …), SERVICE and FROM: reads of this graph only."""
    try:
        parsed = parseQuery(text)
    except Exception as exc:
        try:
            parseUpdate(text)
        except Exception:
            raise QueryRefused(f"not a SPARQL query: {exc}") from None
        raise QueryRefused("updates are refused: the graph is read-only") from None
    if "SERVICE" in _keywords(parsed):
        raise QueryRefused("SERVICE is refused: queries read this graph only")
    if any(isinstance(part, dict) and "datasetClause" in part for part in parsed[1:]):
        raise QueryRefused("FROM / FROM NAMED are refused: queries read this graph only")


def _keywords(parsed: Any) -> set[str]:
    found: set[str] = set()

    def walk(node: Any, depth: int = 0) -> None:
        if depth > 200:
            return
        name = getattr(node, "name", None)
        if name == "ServiceGraphPattern":
            found.add("SERVICE")
        if isinstance(node, dict):
            for v in node.values():
                walk(v, depth + 1)
        elif isinstance(node, (list, tuple, ParseResults)):
            for v in node:
                walk(v, depth + 1)
    walk(parsed)
    return found


def run_sparql(graph: Graph, text: str) -> Result:
    """Evaluate a read-only SPARQL query; the project's prefixes are predeclared."""
    check_read_only(text)
    store = graphstore.native(graph)
    if store is not None:
        return graphstore.rdflib_result(store, text)
    return graph.query(text, initNs=INIT_NS)


def format_result(result: Result, fmt: str = "json") -> str:
    """SELECT / ASK as SPARQL 1.1 JSON or CSV; CONSTRUCT / DESCRIBE as Turtle or JSON-LD."""
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        g = result.graph
        for prefix, ns in PREFIXES.items():
            g.bind(prefix, ns, override=True)
        if fmt == "ttl":
            return g.serialize(format="turtle")
        if fmt == "json":
            return g.serialize(format="json-ld",
                               context={p: str(n) for p, n in PREFIXES.items()})
        raise QueryRefused(f"{result.type} results come as ttl or json, not {fmt}")
    if fmt == "ttl":
        raise QueryRefused(f"{result.type} results come as json or csv, not ttl")
    if result.type == "ASK" and fmt == "csv":
        return "boolean\n" + ("true" if result.askAnswer else "false") + "\n"
    out = result.serialize(format=fmt)
    text = out.decode("utf-8") if isinstance(out, bytes) else out
    return text if text.endswith("\n") else text + "\n"


@functools.lru_cache(maxsize=256)
def _prepared(text: str):
    return prepareQuery(text, initNs=INIT_NS)


class Unbindable(ValueError):
    """A binding that cannot be written into a query (an IRI with spaces or quotes …)."""


_WHERE = re.compile(r"WHERE\s*\{", re.I)
# What a variable must not be replaced inside of (strings, IRIs, comments), then variables.
_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"' r"|'(?:[^'\\\n]|\\.)*'"
                     r'|<[^<>"{}|^`\\\s]*>|#[^\n]*'
                     r"|(?P<var>[?$][A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Query:
    """A query text and the values its variables are bound to, kept apart until it runs.

    `inlined()` writes the bindings into the text as a VALUES block at the head of the
    WHERE group, each value rendered by rdflib's `.n3()` (which escapes literals and
    refuses malformed IRIs): Oxigraph's engine runs that string itself, where a query
    prepared by rdflib would make oxrdflib fall back to rdflib's evaluator.
    """
    text: str
    bindings: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, text: str, **bindings: Any) -> "Query":
        return cls(text, tuple(sorted(bindings.items())))

    def substituted(self) -> str:
        """The text with each bound variable replaced by its value, as initBindings does.

        Oxigraph plans a constant in a pattern as an index lookup, where a VALUES block
        is joined after the patterns are matched (seconds on a large graph, and a property
        path walked from every node).  A variable that is projected or assigned (SELECT ?x,
        AS ?x) cannot become a constant: such a query gets the VALUES block instead."""
        if not self.bindings:
            return self.text
        names = [re.escape(name) for name, _ in self.bindings]
        head = _WHERE.split(self.text, 1)[0]
        if any(re.search(rf"[?$]{n}\b", head) or re.search(rf"\bAS\s+[?$]{n}\b", self.text, re.I)
               for n in names):
            return self.inlined()
        values = {name: _n3(term) for name, term in self.bindings}

        def swap(m: re.Match) -> str:
            var = m.group("var")
            return values.get(var[1:], var) if var else m.group(0)
        return _TOKENS.sub(swap, self.text)

    def inlined(self) -> str:
        if not self.bindings:
            return self.text
        values = " ".join(f"VALUES ?{name} {{ {_n3(term)} }}" for name, term in self.bindings)
        m = _WHERE.search(self.text)
        if m is None:
            raise ValueError("a bound query needs a WHERE { … } group")
        return f"{self.text[:m.end()]} {values} {self.text[m.end():]}"


def _n3(term: Any) -> str:
    if not isinstance(term, (URIRef, Literal)):
        raise Unbindable(f"only IRIs and literals can be bound, not {type(term).__name__}")
    try:
        return term.n3()
    except Exception as exc:          # rdflib refuses IRIs that are not valid in N-Triples
        raise Unbindable(str(exc)) from None


def select(graph: Graph, text: str, **bindings: Any) -> list[dict[str, Any]]:
    """Rows of a SELECT as dicts of Python values (IRIs as strings).

    On an Oxigraph-backed graph the query runs in Oxigraph's engine (bindings as VALUES);
    on a Virtuoso graph, in Virtuoso's (the same text, asked over HTTP); on rdflib's memory
    store, as a cached prepared query with initBindings (parsing a new string each time
    would cost rdflib more than evaluating it).  The questions are written for rdflib's
    store where the stores differ (graphstore.native is None for Virtuoso's too)."""
    query = Query.of(text, **bindings)
    store = graphstore.native(graph)
    remote = virtuoso.store_of(graph)
    if remote is not None:
        try:
            names, rows = remote.select(query.substituted())
        except Unbindable:
            return []
        return [{n: _py(t) for n, t in zip(names, row)} for row in rows]
    if store is None:
        res = graph.query(_prepared(text), initBindings=bindings or None)
        return [{str(v): _py(r[v]) for v in res.vars} for r in res]
    try:
        inlined = query.substituted()
    except Unbindable:
        return []                     # such a term cannot be in the graph
    names, rows = graphstore.solution_rows(graphstore.query(store, inlined))
    return [{n: _py_ox(t) for n, t in zip(names, row)} for row in rows]


_XSD = str(XSD)
_OX_INT = {f"{_XSD}{t}" for t in ("integer", "int", "long", "short", "byte",
                                   "nonNegativeInteger", "positiveInteger")}
_OX_FLOAT = {f"{_XSD}{t}" for t in ("decimal", "double", "float")}


def _py_ox(term: Any) -> Any:
    """`_py` for a pyoxigraph term, with the common datatypes converted without rdflib."""
    if term is None:
        return None
    value = term.value
    dt = getattr(term, "datatype", None)
    if dt is None:                     # an IRI or a blank node
        return value
    dt = dt.value
    if dt == graphstore._XSD_STRING or dt == graphstore._LANG_STRING:
        return value
    try:
        if dt in _OX_INT:
            return int(value)
        if dt in _OX_FLOAT:
            return float(value)
    except ValueError:
        pass
    return _py(graphstore.to_rdflib(term))


def _py(term: Any) -> Any:
    if term is None:
        return None
    if isinstance(term, Literal):
        if term.datatype == XSD.gYear:
            return int(str(term)[:4])
        v = term.toPython()
        if isinstance(v, Literal):
            return str(v)
        return float(v) if type(v).__name__ == "Decimal" else v
    return str(term)


# ---- finding things by name -------------------------------------------------------------------

def find_department(graph: Graph, ref: str | URIRef) -> URIRef | None:
    """A department by IRI, id (东莞市/hrss), full name or any alias (市人社局 is ambiguous:
    the full name wins, then the first alias match in IRI order)."""
    if isinstance(ref, URIRef) or str(ref).startswith("http"):
        return URIRef(str(ref))
    # ?ref is compared at the top of the group, where the VALUES that binds it is in
    # scope (a FILTER inside a UNION branch would not see it: SPARQL evaluates bottom-up)
    rows = select(graph, """
        SELECT ?d ?how WHERE {
          ?d a org:Organization .
          { ?d dcterms:identifier ?key . BIND(0 AS ?how) }
          UNION { ?d skos:prefLabel ?key . BIND(1 AS ?how) }
          UNION { ?d skos:altLabel ?key . BIND(2 AS ?how) }
          FILTER(STR(?key) = ?ref)
        } ORDER BY ?how ?d LIMIT 1""", ref=Literal(str(ref)))
    return URIRef(rows[0]["d"]) if rows else None


def find_provision(graph: Graph, ref: str | URIRef) -> URIRef | None:
    """A provision by IRI or by its id (doc key + path)."""
    if isinstance(ref, URIRef) or str(ref).startswith("http"):
        return URIRef(str(ref))
    rows = select(graph, """SELECT ?p WHERE { ?p a eli:LegalResourceSubdivision ;
                                               dcterms:identifier ?ref }""",
                  ref=Literal(str(ref)))
    return URIRef(rows[0]["p"]) if rows else None


# ---- the questions ------------------------------------------------------------------------------

def provision_facts(graph: Graph, provision: str | URIRef) -> dict:
    """Lead and participating departments (canonical names), targets, citations, alignments."""
    p = find_provision(graph, provision)
    out = empty_facts()
    if p is None:
        return out
    for r in select(graph, """
        SELECT ?name ?role WHERE {
          ?p cv:hasParticipation ?part . ?part cv:role ?r . ?r skos:notation ?role .
          ?d cv:playsRole ?part ; skos:prefLabel ?name .
        } ORDER BY ?part""", p=p):
        key = "lead" if r["role"] == "lead" else "participants"
        if r["name"] not in out["departments"][key]:
            out["departments"][key].append(r["name"])
    out["targets"] = select(graph, """
        SELECT ?target ?indicator ?value ?unit ?year ?comparator WHERE {
          ?target a pol:Target ; prov:wasDerivedFrom ?p ; rdfs:label ?indicator ;
                  pol:targetValue ?q ; pol:comparator ?c .
          ?c skos:notation ?comparator . ?q schema:value ?value .
          OPTIONAL { ?q schema:unitText ?unit } OPTIONAL { ?q dcterms:date ?year }
        } ORDER BY ?target""", p=p)
    out["cites"] = select(graph, """
        SELECT ?target ?title ?number WHERE {
          ?p eli:cites ?target .
          OPTIONAL { ?target dcterms:title ?title } OPTIONAL { ?target eli:id_local ?number }
        } ORDER BY ?target""", p=p)
    out["aligned"] = select(graph, """
        SELECT ?other ?direction ?score WHERE {
          { ?a pol:lower ?p ; pol:higher ?other ; a pol:Alignment . BIND("higher" AS ?direction) }
          UNION { ?a pol:higher ?p ; pol:lower ?other ; a pol:Alignment .
                  BIND("lower" AS ?direction) }
          OPTIONAL { ?a pol:score ?score }
        } ORDER BY DESC(?score) ?direction ?other""", p=p)   # ties: the same order on every store
    out["mentions"] = [r["name"] for r in select(graph, """
        SELECT DISTINCT ?name WHERE { ?p schema:mentions ?d . ?d skos:prefLabel ?name }
        ORDER BY ?name""", p=p)]
    return out


def department_tasks(graph: Graph, department: str | URIRef) -> list[dict]:
    """Every provision a department leads or participates in, across documents and levels;
    a task once (a task-table row's participation that is pol:evidenceOf a body
    provision's is its evidence, not a task)."""
    d = find_department(graph, department)
    if d is None:
        return []
    if graphstore.native(graph) is None:
        return select(graph, _TASKS, d=d)
    # Oxigraph: each row's document (identifier, title, level) from the table read once
    # per graph, not looked up and read again per row (on disk a third of the time)
    rows = select(graph, _TASK_KEYS, d=d)
    docs = _documents(graph, {r["docn"] for r in rows})
    out = [{"provision": r["provision"], "id": r["id"], "heading": r["heading"],
            "role": r["role"], "doc": doc, "doc_title": title, "level": level}
           for r in rows for doc in docs[r["docn"]].identifiers
           for title in docs[r["docn"]].titles for level in docs[r["docn"]].levels or (None,)]
    out.sort(key=lambda r: (r["doc"], r["id"]))      # stable: ties keep the store's order
    return out


_TASKS = """
    SELECT ?provision ?id ?heading ?role ?doc ?doc_title ?level WHERE {
      ?d cv:playsRole ?part . ?part cv:role ?r . ?r skos:notation ?role .
      ?provision cv:hasParticipation ?part ; dcterms:identifier ?id ; pol:inDocument ?docn .
      FILTER NOT EXISTS { ?part pol:evidenceOf ?task }
      ?docn dcterms:identifier ?doc ; dcterms:title ?doc_title .
      OPTIONAL { ?provision dcterms:title ?heading }
      OPTIONAL { ?docn pol:adminLevel ?l . ?l skos:notation ?level }
    } ORDER BY ?doc ?id"""
_TASK_KEYS = """
    SELECT ?provision ?id ?heading ?role ?docn WHERE {
      ?d cv:playsRole ?part . ?part cv:role ?r . ?r skos:notation ?role .
      ?provision cv:hasParticipation ?part ; dcterms:identifier ?id ; pol:inDocument ?docn .
      FILTER NOT EXISTS { ?part pol:evidenceOf ?task }
      OPTIONAL { ?provision dcterms:title ?heading }
    }"""


def department_line(graph: Graph, department: str | URIRef) -> list[dict]:
    """The department and the bodies up its functional line: 东莞市人社局 → 广东省人社厅 → 人社部."""
    d = find_department(graph, department)
    out, seen = [], set()
    while d is not None and d not in seen:
        seen.add(d)
        rows = select(graph, """
            SELECT ?name ?level ?up ?gov WHERE {
              ?d skos:prefLabel ?name .
              OPTIONAL { ?d pol:adminLevel ?l . ?l skos:notation ?level }
              OPTIONAL { ?d pol:functionalSuperior ?up }
              OPTIONAL { ?d org:subOrganizationOf ?g . ?g skos:prefLabel ?gov }
            } LIMIT 1""", d=d)
        if not rows:
            break
        row = rows[0]
        out.append({"uri": str(d), "name": row["name"], "level": row["level"],
                    "government": row["gov"]})
        d = URIRef(row["up"]) if row["up"] else None
    return out


def indicator_across_levels(graph: Graph, indicator: str | URIRef, limit: int | None = None,
                            offset: int = 0) -> list[dict]:
    """One indicator's targets at every level (highest first), each with the higher-level
    targets it is aligned with and how it compares (below / equal / above): one row per
    target and higher target, ordered by level, document, provision, target, higher.

    With `limit`, only rows `offset` … `offset + limit` of that order: a busy indicator
    has thousands of targets at 2,000 documents, and only the documents a page reaches
    are read (`indicator_page`); `indicator_level_counts` gives the totals.  Without it,
    every row (from `offset` on)."""
    concepts = _indicator_concepts(graph, indicator)
    offset = max(0, int(offset))
    if graphstore.native(graph) is not None:
        if limit is not None:
            return indicator_page(graph, concepts, offset, max(0, int(limit)))
        # every row: the same walk, the fields in the order the all-rows form has had
        return [{k: r[k] for k in _ALL_ROWS_FIELDS}
                for r in indicator_page(graph, concepts, offset, _EVERY_ROW)]
    # rdflib's engine joins a sub-select with what is outside it row by row (minutes):
    # its memory store, for small corpora only, cuts the page from every row.
    rows: list[dict] = []
    for c in concepts:
        rows += _targets_with_higher(graph, c)
    rows.sort(key=lambda r: (LEVEL_ORDER.get(r["level"], 9), r["doc"], r["provision"],
                             r["target"], r["higher"] or ""))
    return rows[offset:] if limit is None else rows[offset:offset + max(0, int(limit))]


def _indicator_concepts(graph: Graph, indicator: str | URIRef) -> list[URIRef]:
    """The indicator concepts an IRI or a label names."""
    if isinstance(indicator, URIRef) or str(indicator).startswith("http"):
        return [URIRef(str(indicator))]
    return [URIRef(r["c"]) for r in select(graph, """
        SELECT DISTINCT ?c WHERE {
          ?c skos:inScheme id:scheme/indicator .
          { ?c skos:prefLabel ?l } UNION { ?c skos:altLabel ?l }
          FILTER(STR(?l) = ?name)
        }""".replace("id:scheme/indicator", f"<{PREFIXES['id']}scheme/indicator>"),
        name=Literal(str(indicator)))]


# ---- one indicator, a page at a time ---------------------------------------------------------
#
# On the on-disk store (ontology.diskstore) every pattern matched from a bound term is a
# RocksDB seek and every IRI or string returned another read (~10 µs each, where Oxigraph
# in memory takes well under one): a question that walks every target of a busy indicator
# (2,640 at 2,000 documents) costs ~60 ms however it is written, and the page used to
# walk them once per level and once more for the counts (seven times: 1.6 s).  So:
#
# - the targets are walked once, counted per document without reading their IRIs
#   (`_DOC_COUNTS`), and the counts are remembered per graph: the page and the totals
#   beside it share them, and the next page needs no walk;
# - the documents are put in page order from a table read once per graph (`_documents`:
#   every document's identifiers and levels), so the counts say which documents the page
#   reaches;
# - only those documents' targets are read (`_KEYS_FROM_DOCS`, `_KEYS_FROM_CONCEPT`), then
#   only the page's targets' values and alignments, each target IRI at the head of a VALUES
#   block (an index lookup per target).

_DOC_COUNTS = """
    SELECT ?d (COUNT(*) AS ?n) WHERE {
      ?target pol:indicator ?c ; prov:wasDerivedFrom ?pn . ?pn pol:inDocument ?d .
    } GROUP BY ?d"""
# (A provision's dcterms:identifier, which the page's rows also require, is written with
# its pol:inDocument (ontology/graph.py): matching it here too cost a third more seeks.)
#
# The targets of one concept in some documents, two ways.  From the documents: as two
# sub-selects Oxigraph hashes the concept's targets (one range of the index, no seek per
# target) and probes them with what is derived from the documents' provisions — its cost
# is the documents' size.  From the concept: each target's provision and document looked
# up, kept when the document is one of them — its cost is the concept's targets.  (As one
# pattern from the documents, Oxigraph looked every derivation's indicator up: 10x slower;
# with the documents as a VALUES block in it, 100x.)
_KEYS_FROM_DOCS = """
    SELECT ?d ?target ?provision WHERE {
      { SELECT ?target WHERE { ?target pol:indicator ?c } }
      { SELECT ?d ?target ?pn WHERE { VALUES ?d { %s }
          ?pn pol:inDocument ?d . ?target prov:wasDerivedFrom ?pn } }
      ?pn dcterms:identifier ?provision ; a eli:LegalResourceSubdivision .
    }"""
_KEYS_FROM_CONCEPT = """
    SELECT ?d ?target ?provision WHERE {
      ?target pol:indicator ?c ; prov:wasDerivedFrom ?pn . ?pn pol:inDocument ?d . %s
      ?pn dcterms:identifier ?provision ; a eli:LegalResourceSubdivision .
    }"""
_EVERY_ROW = 1 << 62        # the `limit` of a page that is every row
_ALL_ROWS_FIELDS = ("target", "indicator", "doc", "level", "provision", "value", "unit",
                    "year", "comparator", "higher", "comparison")
# Targets of the concept per document above which reading from the documents is cheaper
# (measured at 2,000 documents: the two ways cost the same at 60-90 targets a document).
_TARGETS_PER_DOC = 60
# The values of some targets; the graph writer gives every pol:Target these.
_TARGET_VALUES = """
    SELECT ?target ?indicator ?value ?unit ?year ?comparator WHERE { VALUES ?target { %s }
      ?target rdfs:label ?indicator ; pol:targetValue ?q ; pol:comparator ?cmp .
      ?cmp skos:notation ?comparator . ?q schema:value ?value .
      OPTIONAL { ?q schema:unitText ?unit } OPTIONAL { ?q dcterms:date ?year }
    }"""
_DOC_IDS = "SELECT ?d ?doc WHERE { ?d a eli:LegalResource ; dcterms:identifier ?doc }"
_DOC_TITLES = "SELECT ?d ?title WHERE { ?d a eli:LegalResource ; dcterms:title ?title }"
_DOC_LEVELS = """SELECT ?d ?level WHERE { ?d a eli:LegalResource ; pol:adminLevel ?l .
                                           ?l skos:notation ?level }"""
_ONE_DOC_IDS = "SELECT ?doc WHERE { ?d dcterms:identifier ?doc }"
_ONE_DOC_TITLES = "SELECT ?title WHERE { ?d dcterms:title ?title }"
_ONE_DOC_LEVELS = "SELECT ?level WHERE { ?d pol:adminLevel ?l . ?l skos:notation ?level }"
_COUNTS_HELD = 64          # indicators whose per-document counts a graph keeps


@dataclass(frozen=True)
class DocumentKey:
    """What the questions show of a document (a row per value, as a joined pattern gives)."""
    identifiers: tuple[str, ...]    # dcterms:identifier (the corpus file)
    levels: tuple[str, ...]         # its level notations; none: the rows' level is None
    titles: tuple[str, ...] = ()


_MEMO: dict[int, tuple[Any, dict[str, Any]]] = {}
_MEMO_LOCK = threading.Lock()


def graph_memo(graph: Graph) -> dict[str, Any]:
    """A dict kept as long as `graph` lives: a generation's graph never changes."""
    key = id(graph)
    held = _MEMO.get(key)
    if held is not None and held[0]() is graph:
        return held[1]
    memo: dict[str, Any] = {}
    _MEMO[key] = (weakref.ref(graph, lambda _: _MEMO.pop(key, None)), memo)
    return memo


def forget_indicator_counts(graph: Graph) -> None:
    """Drop the per-document target counts remembered for `graph` (the benchmark asks
    each question afresh; the document table stays, as a server keeps it)."""
    with _MEMO_LOCK:
        graph_memo(graph).pop("doc_counts", None)


def _doc_counts(graph: Graph, concept: URIRef) -> dict[str, int]:
    """Target rows (target, provision) of one indicator concept per document IRI: the
    one walk over all its targets, shared by a page and its counts."""
    key = str(concept)
    with _MEMO_LOCK:                       # a server's threads share the memo
        held = graph_memo(graph).setdefault("doc_counts", {})
        counts = held.pop(key, None)
        if counts is not None:
            held[key] = counts             # most recently used last
            return counts
    counts = {r["d"]: int(r["n"]) for r in select(graph, _DOC_COUNTS, c=concept)}
    with _MEMO_LOCK:
        held[key] = counts
        while len(held) > _COUNTS_HELD:
            del held[next(iter(held))]
    return counts


def _documents(graph: Graph, docs: Any) -> dict[str, DocumentKey]:
    """The identifiers, levels and titles of the documents `docs` (IRIs): every
    eli:LegalResource read once per graph (2,000 rows, ~0.1 s on disk), anything else on
    first use.  Read from here, a question's rows need no lookups per row for what they
    show of their document (on disk, a third of a department's tasks)."""
    table: dict[str, DocumentKey] | None = graph_memo(graph).get("documents")
    if table is None:
        found: dict[str, dict[str, tuple[str, ...]]] = {}
        for text, field in ((_DOC_IDS, "doc"), (_DOC_LEVELS, "level"), (_DOC_TITLES, "title")):
            for r in select(graph, text):
                held = found.setdefault(r["d"], {})
                held[field] = (*held.get(field, ()), r[field])
        table = {d: DocumentKey(f.get("doc", ()), f.get("level", ()), f.get("title", ()))
                 for d, f in found.items()}
        graph_memo(graph)["documents"] = table
    for d in docs:
        if d not in table:          # a subject of pol:inDocument that is no eli:LegalResource
            iri = URIRef(d)
            table[d] = DocumentKey(
                tuple(r["doc"] for r in select(graph, _ONE_DOC_IDS, d=iri)),
                tuple(r["level"] for r in select(graph, _ONE_DOC_LEVELS, d=iri)),
                tuple(r["title"] for r in select(graph, _ONE_DOC_TITLES, d=iri)))
    return table


def indicator_page(graph: Graph, concepts: list[URIRef], offset: int, limit: int) -> list[dict]:
    """Rows `offset` … `offset + limit` of `indicator_across_levels`: the documents in
    page order give their targets (by provision, target) until the page is full (a
    target is one row or more), and only those targets' values and alignments are read."""
    need, targets = offset + limit, []
    groups = _page_groups(graph, concepts)
    start = 0
    while start < len(groups) and len(targets) < need:
        # the groups the counts say the page reaches (fewer rows come back only from a
        # graph missing what the writer gives every target: then the next groups)
        stop, expect = start, len(targets)
        while stop < len(groups) and expect < need:
            expect += sum(n for _, _, _, n in groups[stop][1])
            stop += 1
        keys = _group_keys(graph, groups[start:stop])
        for doc, group in groups[start:stop]:
            got = sorted((k for d, c, level, _ in group for k in keys.get((d, c, level, doc), ())),
                         key=lambda k: (k[0], k[1]))
            targets += [(doc, level, provision, target)
                        for provision, target, level in got[:max(0, need - len(targets))]]
        start = stop
    values = _target_values(graph, {t for _, _, _, t in targets})
    higher = _higher_of(graph, {t for _, _, _, t in targets})
    rows = [{"target": t, "indicator": v["indicator"], "doc": doc, "provision": provision,
             "value": v["value"], "unit": v["unit"], "year": v["year"],
             "comparator": v["comparator"], "level": level, "higher": h, "comparison": k}
            for doc, level, provision, t in targets for v in values.get(t, ())
            for h, k in sorted(higher.get(t, [(None, None)]), key=lambda hk: hk[0] or "")]
    return rows[offset:need]


def _page_groups(graph: Graph, concepts: list[URIRef]
                 ) -> list[tuple[str, list[tuple[str, URIRef, str | None, int]]]]:
    """Every document with targets as (document, concept, level, target rows), grouped by
    what orders its rows — the level (known ones highest first, then any other or none)
    and the document's identifier — in page order, each group with that identifier.  A
    document under two identifiers or levels is in two groups, as the joined pattern gives
    it a row per identifier and level."""
    groups: dict[tuple[int, str], list[tuple[str, URIRef, str | None, int]]] = {}
    for c in concepts:
        counts = _doc_counts(graph, c)
        docs = _documents(graph, counts)
        for d, n in counts.items():
            for ident in docs[d].identifiers:
                for level in docs[d].levels or (None,):
                    rank = LEVEL_ORDER.get(level, len(LEVEL_ORDER))
                    groups.setdefault((rank, ident), []).append((d, c, level, n))
    return [(key[1], groups[key]) for key in sorted(groups)]


def _group_keys(graph: Graph, groups: list) -> dict[tuple, list[tuple[str, str, str | None]]]:
    """(provision id, target, level) of the targets in some groups' documents, by
    (document, concept, level, identifier)."""
    wanted: dict[URIRef, set[str]] = {}
    for _, group in groups:
        for d, c, _, _ in group:
            wanted.setdefault(c, set()).add(d)
    found: dict[str, dict[URIRef, list[tuple[str, str]]]] = {}
    for c, docs in wanted.items():
        iris = [_n3(URIRef(d)) for d in sorted(docs)]
        counts = _doc_counts(graph, c)
        if sum(counts.values()) > _TARGETS_PER_DOC * len(iris):
            text = _KEYS_FROM_DOCS % " ".join(iris)
        elif docs == counts.keys():         # every document: nothing to keep out
            text = _KEYS_FROM_CONCEPT % ""
        else:
            text = _KEYS_FROM_CONCEPT % f"FILTER(?d IN ({', '.join(iris)}))"
        for r in select(graph, text, c=c):
            found.setdefault(r["d"], {}).setdefault(c, []).append((r["provision"], r["target"]))
    return {(d, c, level, doc): [(p, t, level) for p, t in found.get(d, {}).get(c, ())]
            for doc, group in groups for d, c, level, _ in group}


def _target_values(graph: Graph, targets: set[str]) -> dict[str, list[dict]]:
    """The label, value, unit, year and comparator of some targets."""
    out: dict[str, list[dict]] = {}
    for r in _rows_of(graph, _TARGET_VALUES, targets):
        out.setdefault(r["target"], []).append(r)
    return out


def _higher_of(graph: Graph, targets: set[str]) -> dict[str, list[tuple[str, str | None]]]:
    """The higher targets (and comparisons) of some targets."""
    out: dict[str, list[tuple[str, str | None]]] = {}
    for r in _rows_of(graph, _TARGETS_HIGHER, targets):
        out.setdefault(r["t"], []).append((r["higher"], r["comparison"]))
    return out


_VALUES_AT_ONCE = 64


def _rows_of(graph: Graph, text: str, iris: set[str]) -> list[dict]:
    """`text` asked of some IRIs, written as a VALUES block at the head of its pattern: an
    index lookup per IRI.  A few dozen at a time: with thousands, Oxigraph plans the
    block as a join after the pattern (the higher targets of 2,640 targets: 30 s on disk,
    where 64 at a time take ~5 ms)."""
    ordered = sorted(iris)
    rows: list[dict] = []
    for i in range(0, len(ordered), _VALUES_AT_ONCE):
        block = " ".join(_n3(URIRef(t)) for t in ordered[i:i + _VALUES_AT_ONCE])
        rows += select(graph, text % block)
    return rows


def indicator_level_counts(graph: Graph, indicator: str | URIRef) -> dict[str | None, int]:
    """How many target rows an indicator has at each level (None: its document has no
    level), for the totals beside a page of `indicator_across_levels` (whose rows can be
    more: one per higher target a target is aligned with), in level order.  From the
    per-document counts the page is ordered by: no second walk over the targets."""
    out: dict[str | None, int] = {}
    if graphstore.native(graph) is None:        # rdflib: from every row (see above)
        for r in {(r["target"], r["provision"], r["level"])
                  for r in indicator_across_levels(graph, indicator)}:
            out[r[2]] = out.get(r[2], 0) + 1
        return _in_level_order(out)
    for c in _indicator_concepts(graph, indicator):
        counts = _doc_counts(graph, c)
        docs = _documents(graph, counts)
        for d, n in counts.items():
            # a (target, provision) once per level, as rdflib's store counts it, however
            # many identifiers its document has (the page gives a row per identifier)
            for level in (docs[d].levels or (None,)) if docs[d].identifiers else ():
                out[level] = out.get(level, 0) + n
    return _in_level_order(out)


def _in_level_order(counts: dict[str | None, int]) -> dict[str | None, int]:
    """Both stores answer in one order (a set's order would follow the hash seed)."""
    return dict(sorted(counts.items(), key=lambda kv: (
        LEVEL_ORDER.get(kv[0], len(LEVEL_ORDER)), kv[0] is None, kv[0] or "")))


def _targets_with_higher(graph: Graph, concept: URIRef) -> list[dict]:
    """The targets of one indicator concept, one row per higher target each is aligned with
    (or one row with none): every row of `indicator_across_levels` on rdflib's store
    (Oxigraph reads them as pages do).  Two queries joined here, not one query's nested
    OPTIONAL, which matched every alignment against every target."""
    targets = select(graph, """
        SELECT ?target ?indicator ?doc ?level ?provision ?value ?unit ?year ?comparator WHERE {
          ?target pol:indicator ?c ; rdfs:label ?indicator ; pol:targetValue ?q ;
                  pol:comparator ?cmp ; prov:wasDerivedFrom ?pn .
          ?pn a eli:LegalResourceSubdivision ; dcterms:identifier ?provision ;
              pol:inDocument ?d .
          ?d dcterms:identifier ?doc .
          ?cmp skos:notation ?comparator . ?q schema:value ?value .
          OPTIONAL { ?d pol:adminLevel ?l . ?l skos:notation ?level }
          OPTIONAL { ?q schema:unitText ?unit } OPTIONAL { ?q dcterms:date ?year }
        }""", c=concept)
    higher: dict[str, list[tuple[str, str | None]]] = {}
    for r in select(graph, _HIGHER, c=concept):
        higher.setdefault(r["target"], []).append((r["higher"], r["comparison"]))
    return [{**t, "higher": h, "comparison": k}
            for t in targets for h, k in higher.get(t["target"], [(None, None)])]


_HIGHER = """
    SELECT ?target ?higher ?comparison WHERE {
      ?target pol:indicator ?c . ?a pol:lower ?target ; a pol:Alignment ; pol:higher ?higher .
      OPTIONAL { ?a pol:comparison ?k . ?k skos:notation ?comparison }
    }"""
_TARGETS_HIGHER = """
    SELECT ?t ?higher ?comparison WHERE { VALUES ?t { %s }
      ?a pol:lower ?t ; a pol:Alignment ; pol:higher ?higher .
      OPTIONAL { ?a pol:comparison ?k . ?k skos:notation ?comparison }
    }"""


def taken_up_by(graph: Graph, provision: str | URIRef) -> list[dict]:
    """Every lower-level provision that takes up this one, directly or through an
    intermediate level (national → provincial → municipal), nearest first."""
    p = find_provision(graph, provision)
    if p is None:
        return []
    if graphstore.native(graph) is None:
        rows = select(graph, _TAKEN_UP, p=p)
    else:
        # Oxigraph: the documents' identifiers and levels from the table read once per
        # graph; an OPTIONAL level in the pattern was matched against every notation
        # in the graph (half the time on disk)
        found = select(graph, _TAKEN_UP_KEYS, p=p)
        docs = _documents(graph, {r["d"] for r in found})
        rows, seen = [], set()
        for r in found:
            for doc in docs[r["d"]].identifiers:
                for level in docs[r["d"]].levels or (None,):
                    key = (r["lower"], r["id"], r["heading"], doc, level)
                    if key not in seen:     # DISTINCT, as the joined pattern
                        seen.add(key)
                        rows.append(dict(zip(("lower", "id", "heading", "doc", "level"), key)))
    direct = {r["x"] for r in select(graph, "SELECT ?x WHERE { ?x pol:localises ?p }", p=p)}
    for r in rows:
        r["direct"] = r["lower"] in direct
    rows.sort(key=lambda r: (not r["direct"], LEVEL_ORDER.get(r["level"], 9), r["id"]))
    return rows


_TAKEN_UP = """
    SELECT DISTINCT ?lower ?id ?heading ?doc ?level WHERE {
      ?lower pol:localises+ ?p ; dcterms:identifier ?id ; pol:inDocument ?d .
      ?d dcterms:identifier ?doc .
      OPTIONAL { ?lower dcterms:title ?heading }
      OPTIONAL { ?d pol:adminLevel ?l . ?l skos:notation ?level }
    }"""
_TAKEN_UP_KEYS = """
    SELECT DISTINCT ?lower ?id ?heading ?d WHERE {
      ?lower pol:localises+ ?p ; dcterms:identifier ?id ; pol:inDocument ?d .
      OPTIONAL { ?lower dcterms:title ?heading }
    }"""


def to_json(rows: Any) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1, default=str)
