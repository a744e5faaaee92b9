"""The graph in parts, as N-Triples lines: the parts an incremental add rewrites
(pipeline.update) — per document, per document's citations, per aligned pair, the spans
others point at, and the global part — and the cache of the global part's department
lines (DepartmentLines).

Separate from the builder (ontology.graph), whose methods make every part, because this is
the add's concern: which triples go in which part, and writing them as text directly.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from rdflib import Literal, URIRef
from rdflib.plugins.serializers.nt import _quoteLiteral     # rdflib's own literal escaping

from policykg.corpus.records import Document
from policykg.ontology import namespaces as ns
from policykg.ontology.citations import CitationFacts
from policykg.ontology.departments import Department, Resolver
from policykg.ontology.graph import Builder
from policykg.ontology.rdf_terms import OA, RDF, XSD
from policykg.ontology.responsibilities import DepartmentFacts


# The graph of a corpus is the union of parts, each a function of a few inputs only:
#
#   document D   its node, provisions, responsibilities, mentions, targets, and the source
#                spans of all these (a provision's span first, without a quote, as a full
#                build makes it)
#   cites D      D's citations, as they resolve against the current corpus
#   pair H~L     the text and target alignments between two documents
#   spans D      the spans of D that cites and pair parts point at and D's own part does
#                not make (a passage of D a higher or lower document restates)
#   global       places, departments, cited documents, indicator concepts — what many
#                documents share and whose exact form depends on all of them
#
# Parts never share a triple, except the small vocabulary concepts (levels, kinds, roles…),
# which every part reports as `shared` and the global part writes once.  Each part is
# made by the same Builder methods a full build uses, so the union equals the full build.

_GLOBAL_SUBJECTS = (str(ns.ID["place/"]), str(ns.ID["indicator/"]))


class _Sink:
    """The part of rdflib.Graph the builder uses: an insertion-ordered set of triples."""

    def __init__(self) -> None:
        self.triples: dict[tuple, None] = {}

    def add(self, triple: tuple) -> None:
        self.triples[triple] = None

    def __contains__(self, triple: tuple) -> bool:
        return triple in self.triples


@dataclass
class Part:
    """One part of the graph: its own N-Triples lines and what it contributes elsewhere."""

    lines: list[str]
    shared: list[str] = field(default_factory=list)      # vocabulary concept lines
    spans: list[tuple[str, int, int]] = field(default_factory=list)   # (doc, start, end)
    facts: dict[str, dict] = field(default_factory=dict)


class PartBuilder(Builder):
    """A Builder writing into a triple set, asking for spans instead of making them."""

    new_graph = staticmethod(_Sink)

    def __init__(self, docs: Sequence[Document], make_spans: bool = False):
        super().__init__(docs)
        self.make_spans = make_spans
        self.asked: dict[tuple[str, int, int], None] = {}

    def span(self, doc: Document, start: int, end: int, quote: bool = True) -> URIRef:
        self.asked[(doc.file, start, end)] = None
        if self.make_spans:
            return super().span(doc, start, end, quote)
        return ns.span_iri(self.keys[doc.file], start, end)

    def part(self, drop: Iterable[URIRef] = ()) -> Part:
        """The triples made so far, sorted into own lines and shared vocabulary."""
        dropped = set(drop)
        own, shared = [], []
        concepts = self.concepts
        # A part's subjects and predicates recur line after line: each IRI is checked and
        # written once per part (the memo lives only as long as the part).
        iris: dict[URIRef, str] = {}
        for s, p, o in self.g.triples:
            if s in dropped or str.startswith(s, _GLOBAL_SUBJECTS):   # not rdflib's slow one
                continue
            obj = (_quoteLiteral(o) if isinstance(o, Literal)
                   else iris.get(o) or iris.setdefault(o, _nt_iri(o)))
            line = (f"{iris.get(s) or iris.setdefault(s, _nt_iri(s))} "
                    f"{iris.get(p) or iris.setdefault(p, _nt_iri(p))} {obj} .\n")
            (shared if s in concepts else own).append(line)
        return Part(own, shared, list(self.asked), self.facts)


_NOT_IN_IRI = re.compile(r'[<>" {}|\\^`]')       # what rdflib's URIRef.n3() refuses


def _nt_iri(term: URIRef) -> str:
    if _NOT_IN_IRI.search(term):
        raise ValueError(f"not an IRI N-Triples can hold: {term!r}")
    return f"<{term}>"


def nt_line(triple: tuple) -> str:
    """One triple as rdflib's N-Triples serializer writes it (same escaping), without its
    per-term method calls: the parts of a large corpus are millions of lines."""
    s, p, o = triple
    obj = _quoteLiteral(o) if isinstance(o, Literal) else _nt_iri(o)
    return f"{_nt_iri(s)} {_nt_iri(p)} {obj} .\n"


def stub(meta) -> Document:
    """A document known by its metadata alone (a citation's target, the global part)."""
    return Document(meta, "", ())


def document_part(doc: Document, issuers: Sequence[str], responsibilities: Sequence[Any],
                  mentions: Sequence[Any], targets: Sequence[Any]
                  ) -> tuple[Part, dict, dict, list[dict], list[str]]:
    """Part "document": (part, tasks, mentioned, target rows, target IRIs in order); the
    part's `spans` are every span it makes."""
    b = PartBuilder([doc], make_spans=True)
    b.documents({doc.file: tuple(issuers)})
    tasks, mentioned = b.responsibilities(DepartmentFacts(Resolver(), list(responsibilities),
                                                          list(mentions)))
    rows, iris = b.targets(targets)
    return b.part(), dict(tasks), dict(mentioned), rows, [str(iris[id(t)]) for t in targets]


def citation_part(doc: Document, facts: CitationFacts, cited_docs: Sequence[Any]
                  ) -> tuple[Part, list[dict]]:
    """Part "cites": one document's citations; the cited nodes belong to the global part.
    `cited_docs` are the metadata of the corpus documents its citations resolve to."""
    b = PartBuilder([doc, *[stub(m) for m in cited_docs if m.file != doc.file]])
    rows = b.citations(facts)
    targets = [ns.doc_iri(b.keys[c.resolves_to]) if c.resolves_to in b.by_file
               else ns.cited_document_iri(c.identity) for c in facts.cited.values()]
    return b.part(drop=targets), rows


def pair_part(higher: Document, lower: Document, alignments: Sequence[Any],
              target_alignments: Sequence[Any], target_iris: dict[int, URIRef]
              ) -> tuple[Part, list[dict], list[dict]]:
    """Part "pair": (part, text alignment rows, target alignment rows)."""
    b = PartBuilder([higher, lower])
    text_rows = b.alignments(alignments, [], {})
    target_rows = b.alignments([], target_alignments, target_iris)
    return b.part(), text_rows, target_rows


def span_lines(doc: Document, spans: Iterable[tuple[int, int]]) -> list[str]:
    """Part "spans": spans of `doc` (its text needed, not its provisions) that other parts
    point at and its own part does not make — never a provision's, so all with a quote.

    The lines Builder.span makes, written directly: a partner's spans are written again
    on every add that aligns with it, and rdflib terms cost ten times the formatting."""
    from rdflib.plugins.serializers.nt import _quote_encode
    key = doc.meta.key
    source = f"<{ns.doc_iri(key)}>"
    a, selector = f"<{RDF.type}>", f"<{OA.hasSelector}>"
    integer = f"^^<{XSD.integer}>"
    out = []
    for start, end in sorted(set(spans)):
        iri, pos = f"<{ns.span_iri(key, start, end)}>", f"<{ns.position_selector_iri(key, start, end)}>"
        q = f"<{ns.quote_selector_iri(key, start, end)}>"
        out += [f"{iri} {a} <{OA.SpecificResource}> .\n",
                f"{iri} <{OA.hasSource}> {source} .\n",
                f"{iri} {selector} {pos} .\n",
                f"{pos} {a} <{OA.TextPositionSelector}> .\n",
                f'{pos} <{OA.start}> "{start}"{integer} .\n',
                f'{pos} <{OA.end}> "{end}"{integer} .\n',
                f"{iri} {selector} {q} .\n",
                f"{q} {a} <{OA.TextQuoteSelector}> .\n",
                f"{q} <{OA.exact}> {_quote_encode(doc.source[start:end])} .\n"]
    return out


def global_lines(metas: Sequence[Any], resolver: Resolver, tasks: dict[str, list[dict]],
                 mentioned: dict[str, list[str]], cited: dict[str, Any],
                 targets: Iterable[Any], cache: "DepartmentLines | None" = None
                 ) -> tuple[list[str], list[dict]]:
    """Part "global": places (in the order a full build meets them), departments, cited
    documents, indicator concepts; with the department export rows.  `cache`: the
    department nodes' lines of an earlier run (see DepartmentLines), used and updated."""
    b = _GlobalBuilder([stub(m) for m in metas], cache)
    for meta in metas:
        if meta.region:                                   # as Builder.documents does
            b.place(meta.region, meta.level)
    rows = b.department_nodes(resolver, tasks, mentioned)
    b.citations(CitationFacts([], dict(cited)))
    labelled: set[URIRef] = set()
    # Only the key and the wording make an indicator's lines, and a repeated pair adds
    # nothing: each pair once, in order of first use (tens of thousands of targets, a few
    # thousand pairs).
    for key, indicator in dict.fromkeys((t.indicator_key, t.indicator) for t in targets):
        b.indicator(_IndicatorKey(key, indicator), labelled)
    return [t if isinstance(t, str) else nt_line(t) for t in b.g.triples], rows


# the builder (graph.py), the terms and literals it writes (rdf_terms.py), the cache's own
# replay (this file), and the IRIs, departments and places a department node is made of
# naming.py and its table: the sector labels a department node's lines carry (SECTOR_BY_KEY).
_SOURCES = ("graph.py", "graph_lines.py", "rdf_terms.py", "namespaces.py", "departments.py",
            "places.py", "naming.py", "dept_naming.toml")
_CALL = "\x00"


def _code_digest() -> str:
    """The code a department node's lines come from: a cache made by other code is void."""
    here = Path(__file__).parent
    h = hashlib.sha1()
    for name in _SOURCES:
        h.update((here / name).read_bytes())
    return h.hexdigest()


@dataclass
class DepartmentLines:
    """The lines of every department node of the global part, by what they are made of.

    A department node is a function of the department and its aliases alone; at a few
    thousand documents the global part has ~10,000 of them, and an add changes a few, yet
    making them all again was a fifth of an add's time.  Each entry is what
    PartBuilder.department did, in order: its own lines (N-Triples text), and the calls
    for the shared nodes it uses (places, concepts, levels), which are made again so that
    the part comes out exactly as without the cache — line for line, in the same order."""

    code: str
    entries: dict[str, list]                  # slug → [inputs, ops as text]
    used: dict[str, list] = field(default_factory=dict)
    made: int = 0                             # entries made (not found) this time

    @classmethod
    def empty(cls) -> "DepartmentLines":
        return cls(_code_digest(), {})

    @classmethod
    def from_data(cls, data: dict | None) -> "DepartmentLines":
        """The cache as to_data left it; empty if made by other code or not well formed."""
        code = _code_digest()
        if not isinstance(data, dict) or data.get("code") != code:
            return cls(code, {})
        entries = data.get("entries")
        if not isinstance(entries, dict) or not all(
                isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) for x in e)
                for e in entries.values()):
            return cls(code, {})
        return cls(code, entries)

    def to_data(self) -> dict:
        """What was used this time (a department no longer in the corpus is dropped)."""
        return {"code": self.code, "entries": self.used}

    @property
    def changed(self) -> bool:
        return bool(self.made) or self.used.keys() != self.entries.keys()


class _GlobalBuilder(PartBuilder):
    """PartBuilder for the global part, its department nodes replayed from a cache."""

    def __init__(self, docs: Sequence[Document], cache: DepartmentLines | None):
        super().__init__(docs)
        self.cache = cache
        self.called: set[str] = set()           # the calls replayed (few, much repeated)

    def department(self, dept: Department, aliases: Iterable[str]) -> None:
        if self.cache is None:
            super().department(dept, aliases)
            return
        aliases = list(aliases)
        inputs = f"{dept!r} {aliases!r}"      # every field (a dataclass's repr), in order
        entry = self.cache.entries.get(dept.slug)
        if entry is None or entry[0] != inputs:
            # made now (its lines are in), and kept for the next time
            self.cache.used[dept.slug] = [inputs, self._record(dept, aliases)]
            self.cache.made += 1
            return
        self.cache.used[dept.slug] = entry
        for line in entry[1].split("\n")[:-1]:
            if not line.startswith(_CALL):
                self.add(line + "\n")
                continue
            if line in self.called:
                continue            # the same call again adds nothing (its node is there)
            self.called.add(line)
            op = json.loads(line[1:])
            if op[0] == "place":
                self.place(*op[1:])
            elif op[0] == "level":
                self.level(op[1])
            else:
                self.concept(URIRef(op[1]), URIRef(op[2]), *op[3:])

    def _record(self, dept: Department, aliases: list[str]) -> str:
        """PartBuilder.department, run, with what it did: the lines it added itself and
        the shared-node calls it made (what those add inside is theirs, not recorded), as
        one text: a line per op, a call written as _CALL + its JSON (an N-Triples line
        never starts with it).  One string per department: the cache loads in a blink."""
        ops: list[str] = []
        depth = [0]
        add, place, level, concept = self.add, self.place, self.level, self.concept

        def calling(name: str, method, encode):
            def call(*args):
                if depth[0] == 0:
                    ops.append(_CALL + json.dumps([name, *encode(args)], ensure_ascii=False)
                               + "\n")
                depth[0] += 1
                try:
                    return method(*args)
                finally:
                    depth[0] -= 1
            return call

        def adding(triple: tuple) -> None:
            if depth[0] == 0:
                ops.append(nt_line(triple))
            add(triple)

        self.add = adding
        self.place = calling("place", place, list)
        self.level = calling("level", level, list)
        self.concept = calling("concept", concept,
                               lambda a: [str(a[0]), str(a[1]), *a[2:]])
        try:
            super().department(dept, aliases)
        finally:
            self.add = add
            del self.place, self.level, self.concept
        return "".join(ops)


@dataclass(frozen=True)
class _IndicatorKey:
    """What PartBuilder.indicator reads of a target."""

    indicator_key: str
    indicator: str
