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
import weakref
from dataclasses import dataclass
from typing import Any

from pyparsing import ParseResults
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.query import Result

from ontology import graphstore
from ontology.namespaces import PREFIXES

INIT_NS = dict(PREFIXES)
LEVEL_ORDER = {"national": 0, "provincial": 1, "municipal": 2, "county": 3}


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
    on rdflib's memory store, as a cached prepared query with initBindings (parsing a new
    string each time would cost rdflib more than evaluating it)."""
    query = Query.of(text, **bindings)
    store = graphstore.native(graph)
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
    out = {"departments": {"lead": [], "participants": []}, "targets": [], "cites": [],
           "aligned": [], "mentions": []}
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
        } ORDER BY DESC(?score)""", p=p)
    out["mentions"] = [r["name"] for r in select(graph, """
        SELECT DISTINCT ?name WHERE { ?p schema:mentions ?d . ?d skos:prefLabel ?name }
        ORDER BY ?name""", p=p)]
    return out


def department_tasks(graph: Graph, department: str | URIRef) -> list[dict]:
    """Every provision a department leads or participates in, across documents and levels."""
    d = find_department(graph, department)
    if d is None:
        return []
    return select(graph, """
        SELECT ?provision ?id ?heading ?role ?doc ?doc_title ?level WHERE {
          ?d cv:playsRole ?part . ?part cv:role ?r . ?r skos:notation ?role .
          ?provision cv:hasParticipation ?part ; dcterms:identifier ?id ; pol:inDocument ?docn .
          ?docn dcterms:identifier ?doc ; dcterms:title ?doc_title .
          OPTIONAL { ?provision dcterms:title ?heading }
          OPTIONAL { ?docn pol:adminLevel ?l . ?l skos:notation ?level }
        } ORDER BY ?doc ?id""", d=d)


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
    has thousands of targets at 2,000 documents, and a page of them is asked for level by
    level, ordered and cut by the store (`indicator_page`); `indicator_level_counts` gives
    the totals.  Without it, every row (from `offset` on)."""
    concepts = _indicator_concepts(graph, indicator)
    offset = max(0, int(offset))
    if limit is not None and graphstore.native(graph) is not None:
        return indicator_page(graph, concepts, offset, max(0, int(limit)))
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


# The targets of one indicator at one level (?lv bound) or at none of the known levels,
# in the order of `indicator_across_levels`, cut at %(n)d rows.  The order is found over
# the fewest patterns (target → provision → document: its level and identifiers), and
# only the page's targets are joined with their label, value and comparator, which the
# graph writer gives every pol:Target (ontology/graph.py): the cut is the same as over
# the whole pattern, at half the cost for a busy indicator.
_LEVEL_TARGETS = """
    SELECT ?target ?indicator ?doc ?provision ?value ?unit ?year ?comparator %(level)s WHERE {
      { SELECT ?target ?pn ?doc ?provision %(level)s WHERE {
          ?target pol:indicator ?c ; prov:wasDerivedFrom ?pn .
          ?pn pol:inDocument ?d ; dcterms:identifier ?provision .
          ?d dcterms:identifier ?doc .
          %(where)s
        } ORDER BY ?doc ?provision ?target LIMIT %(n)d }
      ?target rdfs:label ?indicator ; pol:targetValue ?q ; pol:comparator ?cmp .
      ?pn a eli:LegalResourceSubdivision .
      ?cmp skos:notation ?comparator . ?q schema:value ?value .
      OPTIONAL { ?q schema:unitText ?unit } OPTIONAL { ?q dcterms:date ?year }
    }"""
# Required patterns, not OPTIONAL: Oxigraph matches an OPTIONAL level against every
# notation in the graph (~40 ms whatever the indicator), a required one from ?d.
_KNOWN_LEVEL = "?d pol:adminLevel ?l . ?l skos:notation ?lv ."
_UNKNOWN_LEVEL = "?d pol:adminLevel ?l . ?l skos:notation ?level . FILTER(?level NOT IN (%s))"
_NO_LEVEL = "FILTER NOT EXISTS { ?d pol:adminLevel ?l . ?l skos:notation ?any }"


def _level_targets(graph: Graph, concept: URIRef, level: str | None, n: int) -> list[dict]:
    """The first `n` target rows of one indicator concept at `level` (None: any other or
    no level), by document, provision, target."""
    if level is None:
        known = ", ".join(json.dumps(lv) for lv in LEVEL_ORDER)
        rows = select(graph, _LEVEL_TARGETS % {"level": "?level", "where": _UNKNOWN_LEVEL % known,
                                               "n": n}, c=concept)
        rows += [{**r, "level": None} for r in select(graph, _LEVEL_TARGETS % {
            "level": "", "where": _NO_LEVEL, "n": n}, c=concept)]
        return rows
    text = _LEVEL_TARGETS % {"level": "", "where": _KNOWN_LEVEL, "n": n}
    return [{**r, "level": level} for r in select(graph, text, c=concept, lv=Literal(level))]


def indicator_page(graph: Graph, concepts: list[URIRef], offset: int, limit: int) -> list[dict]:
    """Rows `offset` … `offset + limit` of `indicator_across_levels`: each level in turn
    (highest first) gives its first targets in order, only as many as the page can still
    take (a target is one row or more), and only those targets' alignments are read."""
    need, targets = offset + limit, []
    for level in (*LEVEL_ORDER, None):
        if len(targets) >= need:        # a target is one row or more: enough rows
            break
        got = [t for c in concepts for t in _level_targets(graph, c, level, need - len(targets))]
        got.sort(key=lambda t: (t["doc"], t["provision"], t["target"]))
        targets += got[:need - len(targets)]
    higher = _higher_of(graph, {t["target"] for t in targets})
    rows = [{**t, "higher": h, "comparison": k} for t in targets
            for h, k in sorted(higher.get(t["target"], [(None, None)]), key=lambda hk: hk[0] or "")]
    return rows[offset:need]


def _higher_of(graph: Graph, targets: set[str]) -> dict[str, list[tuple[str, str | None]]]:
    """The higher targets (and comparisons) of some targets, one target at a time (its
    IRI a constant in the pattern: an index lookup; a VALUES block of them would be
    joined after matching every alignment)."""
    out: dict[str, list[tuple[str, str | None]]] = {}
    for t in sorted(targets):
        for r in select(graph, _TARGET_HIGHER, t=URIRef(t)):
            out.setdefault(t, []).append((r["higher"], r["comparison"]))
    return out


def indicator_level_counts(graph: Graph, indicator: str | URIRef) -> dict[str | None, int]:
    """How many target rows an indicator has at each level (None: its document has no
    level), for the totals beside a page of `indicator_across_levels` (whose rows can be
    more: one per higher target a target is aligned with).  Counted over the patterns
    that order a page (`_LEVEL_TARGETS`), by document, each document's levels read once."""
    out: dict[str | None, int] = {}
    if graphstore.native(graph) is None:        # rdflib: from every row (see above)
        for r in {(r["target"], r["provision"], r["level"])
                  for r in indicator_across_levels(graph, indicator)}:
            out[r[2]] = out.get(r[2], 0) + 1
        return out
    levels = _document_levels(graph)
    for c in _indicator_concepts(graph, indicator):
        for r in select(graph, _DOC_COUNTS, c=c):
            for level in levels.get(r["d"], (None,)):
                out[level] = out.get(level, 0) + int(r["n"])
    return out


# An indicator's target rows per document (the patterns that order a page, less the
# level): grouped by document from the concept, where joining each row with its level
# made Oxigraph walk every document of a level.
_DOC_COUNTS = """
    SELECT ?d (COUNT(*) AS ?n) WHERE {
      ?target pol:indicator ?c ; prov:wasDerivedFrom ?pn .
      ?pn pol:inDocument ?d ; dcterms:identifier ?provision .
      ?d dcterms:identifier ?doc .
    } GROUP BY ?d"""
_DOC_LEVELS: dict[int, tuple[Any, dict[str, tuple[str, ...]]]] = {}


def _document_levels(graph: Graph) -> dict[str, tuple[str, ...]]:
    """Each document's level notations, read once per graph (a generation's graph never
    changes) and forgotten with it."""
    key = id(graph)
    held = _DOC_LEVELS.get(key)
    if held is not None and held[0]() is graph:
        return held[1]
    levels: dict[str, tuple[str, ...]] = {}
    for r in select(graph, "SELECT ?d ?level WHERE { ?d pol:adminLevel ?l . "
                           "?l skos:notation ?level }"):
        levels[r["d"]] = (*levels.get(r["d"], ()), r["level"])
    _DOC_LEVELS[key] = (weakref.ref(graph, lambda _: _DOC_LEVELS.pop(key, None)), levels)
    return levels


def _targets_with_higher(graph: Graph, concept: URIRef) -> list[dict]:
    """The targets of one indicator concept, one row per higher target each is aligned with
    (or one row with none).  Two queries joined here: as one query's nested OPTIONAL,
    Oxigraph matched every alignment against every target (seconds for a busy indicator)."""
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
_TARGET_HIGHER = """
    SELECT ?higher ?comparison WHERE {
      ?a pol:lower ?t ; a pol:Alignment ; pol:higher ?higher .
      OPTIONAL { ?a pol:comparison ?k . ?k skos:notation ?comparison }
    }"""


def taken_up_by(graph: Graph, provision: str | URIRef) -> list[dict]:
    """Every lower-level provision that takes up this one, directly or through an
    intermediate level (national → provincial → municipal), nearest first."""
    p = find_provision(graph, provision)
    if p is None:
        return []
    rows = select(graph, """
        SELECT DISTINCT ?lower ?id ?heading ?doc ?level WHERE {
          ?lower pol:localises+ ?p ; dcterms:identifier ?id ; pol:inDocument ?d .
          ?d dcterms:identifier ?doc .
          OPTIONAL { ?lower dcterms:title ?heading }
          OPTIONAL { ?d pol:adminLevel ?l . ?l skos:notation ?level }
        }""", p=p)
    direct = {r["x"] for r in select(graph, "SELECT ?x WHERE { ?x pol:localises ?p }", p=p)}
    for r in rows:
        r["direct"] = r["lower"] in direct
    rows.sort(key=lambda r: (not r["direct"], LEVEL_ORDER.get(r["level"], 9), r["id"]))
    return rows


def to_json(rows: Any) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1, default=str)
