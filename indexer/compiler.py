"""Compiling a parsed `Query` (indexer.query) into engine-neutral query nodes (indexer.plan)
with a generation's tokenizer and its lists of documents and departments.

Separate from parsing: `parse()` needs nothing but the string, while compiling needs what
a generation holds (QueryContext: its tokenizer, documents, departments and the
ontology's resolver in each document's context) and decides the ranking (the field
weights, the bonuses).  Nothing here runs a query: whoosh (indexer.whoosh_query) and
tantivy (indexer.tantivy_engine) each make their own query of the nodes.
"""
from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from policykg.corpus.records import DocumentMeta
from policykg.corpus.text import match_key
from policykg.corpus.tokenize import Tokenizer, fold
from policykg.indexer import plan
from policykg.indexer.analysis import gram_pattern, is_cjk, units
from policykg.indexer.query import Filter, Ignored, Limits, Query, Term, dedupe
from policykg.ontology.departments import Context, Resolver


# Field weights: one place to tune the ranking.  A heading match outweighs a body match;
# the headings above a provision count less than its own words, what is known about its
# document (title, region, issuer) least.  Word fields score whole jieba words, gram
# fields make sure nothing that contains the characters is missed.
WEIGHTS = {"words": 1.0, "grams": 0.35, "hwords": 1.6, "hgrams": 0.5, "context": 0.25}
ABOUT_SCORE = 0.3     # a word found only in the document's title, region or issuer
PHRASE_BONUS = {"grams": 0.8, "hgrams": 1.0}   # a term's characters in order, as typed
LEAD_BONUS = 0.5      # dept: lead department before participating ones
# Single characters that only glue words together: not required on their own.
_GLUE = set("的了和与及或等在是对为把被将从以于其之并而也都就中个各这那有所向由让使")


def unit_key(text: str) -> str:
    """`text` as its units, delimited, so that containment is unit-aligned."""
    return "\x00" + "\x00".join(u for u, _, _ in units(text)) + "\x00"


class QueryContext:
    """What compiling needs from a generation: its tokenizer, documents and departments.

    `departments` maps each canonical department name the index knows to
    {"aliases": [...], "docs": {file: count}, ...}; `doc_ranges` maps a document file to
    the [start, stop) document numbers of its provisions (indexer.index writes both).
    """

    def __init__(self, tokenizer: Tokenizer, documents: Sequence[Mapping] = (),
                 departments: Mapping[str, Mapping] | None = None,
                 doc_ranges: Mapping[str, Sequence[int]] | None = None):
        self.tokenizer = tokenizer
        self.documents = list(documents)
        self.departments = dict(departments or {})
        self.doc_ranges = dict(doc_ranges) if doc_ranges else None
        # What is true of a whole document, in the form words are matched against.
        self._about = [(d["doc"], unit_key(" ".join(str(d.get(k) or "") for k in
                                                    ("title", "region", "issuer"))))
                       for d in self.documents]
        self._resolver = _ContextResolver(self.documents)

    @functools.cached_property
    def department_keys(self) -> dict[str, list[str]]:
        """Each department's name and aliases as `dept:` values are compared (match_key
        of the folded text), computed once: thousands of names at 2,000 documents made
        this most of a `dept:` query's time."""
        return {name: [match_key(fold(name))] + [match_key(fold(a))
                                                 for a in info.get("aliases") or ()]
                for name, info in self.departments.items()}

    def documents_about(self, text: str) -> list[str]:
        """The documents whose title, region or issuer contain `text`'s characters."""
        key = unit_key(text)
        if key == "\x00\x00":
            return []
        return [doc for doc, about in self._about if key in about]

    def resolve_in_context(self, written: str, docs: set[str] | None) -> set[str]:
        """Canonical names `written` stands for in the documents `docs` (None: all)."""
        return self._resolver.resolve(written, docs)


class _ContextResolver:
    """The ontology's department resolver (ontology.departments), applied in each
    document's context: 市人社局 in a 东莞 plan is 东莞市人力资源和社会保障局.
    """

    def __init__(self, documents: Sequence[Mapping]):
        self._lock = threading.Lock()
        self._contexts: dict[tuple, list[str]] = {}
        self._resolver = Resolver()
        self._ctx = {}
        for d in documents:
            key = (d.get("level"), d.get("region"), d.get("issuer"))
            if key not in self._ctx:
                meta = DocumentMeta(file=d["doc"], title=d.get("title") or "", level=key[0],
                                    region=key[1], issuer=key[2])
                self._ctx[key] = Context.of(meta)
            self._contexts.setdefault(key, []).append(d["doc"])

    @functools.lru_cache(maxsize=256)
    def _names(self, written: str) -> tuple[tuple[str, str], ...]:
        """(document, canonical name) for every document context `written` resolves in."""
        out = []
        with self._lock:
            for key, ctx in self._ctx.items():
                try:
                    dept = self._resolver.resolve(written, ctx)
                except Exception:       # a query must never fail on the resolver's account
                    dept = None
                if dept is not None:
                    out += [(doc, dept.name) for doc in self._contexts[key]]
        return tuple(out)

    def resolve(self, written: str, docs: set[str] | None) -> set[str]:
        if not written:
            return set()
        return {name for doc, name in self._names(written) if docs is None or doc in docs}


@dataclass(frozen=True)
class Compiled:
    """A `Query` ready to run: `scoring` ranks, `filter` allows, `mask` excludes."""

    query: Query
    scoring: plan.Node
    filter: plan.Node | None
    mask: plan.Node | None
    highlight: tuple[str, ...]          # strings to mark in snippets
    ignored: tuple[Ignored, ...]
    nothing: bool = False               # a filter resolved to nothing: no hits at all


def gram_query(fieldname: str, text: str, boost: float = 1.0) -> plan.Node:
    """`text` over a gram field: found wherever its characters stand in a row."""
    pattern = gram_pattern(text)
    parts: list[plan.Node] = []
    if len(pattern.phrase) == 1:
        parts.append(plan.Term(fieldname, pattern.phrase[0], boost))
    elif pattern.phrase:
        parts.append(plan.Phrase(fieldname, tuple(pattern.phrase), boost))
    if pattern.prefix:
        # A character that ends the string may begin any bigram: expanded by the engine
        # over the field's terms, at most one per character that can follow.
        parts.append(plan.Prefix(fieldname, pattern.prefix, boost))
    if not parts:
        return plan.NOTHING
    return parts[0] if len(parts) == 1 else plan.All(tuple(parts))


def query_words(tokenizer: Tokenizer, text: str) -> list[str]:
    """The words of a bare term (jieba precise mode), duplicates and punctuation out."""
    out = [w for w in tokenizer.cut(text) if units(w)]
    return list(dict.fromkeys(out))


def required_pieces(words: list[str]) -> list[str]:
    """What a provision must contain for a bare term: its words, each somewhere.

    A single character is not a word to look for on its own: a glue character (的, 和)
    is dropped, any other joins the word after it (双 导师 → 双导师), or before it at
    the end, as it stands in the query.  A term that is one character stays one.
    """
    pieces: list[str] = []
    carry = ""
    for w in words:
        if len(units(w)) == 1 and is_cjk(w) and len(words) > 1:
            if w in _GLUE:
                continue
            carry += w
            continue
        pieces.append(carry + w)
        carry = ""
    if carry:
        if pieces:
            pieces[-1] += carry
        else:
            pieces.append(carry)
    return list(dict.fromkeys(pieces)) or words[:1]


@dataclass
class _Parts:
    """What the terms of a query contribute, gathered while compiling."""

    direct: list[plan.Node] = field(default_factory=list)    # matches in the provision
    optional: list[plan.Node] = field(default_factory=list)  # ranking only
    marks: list[str] = field(default_factory=list)          # to highlight
    about: bool = False                                     # some term may match by title


def found_in_provision(piece: str, weights: Mapping[str, float] = WEIGHTS) -> plan.Node:
    """`piece`'s characters in a row in the provision's text (its heading is part of
    it) or in the headings above it.  Every whole-word match is also one of these."""
    alts = [gram_query(f, piece, weights[f]) for f in ("grams", "context")]
    return plan.Any(tuple(a for a in alts if a != plan.NOTHING))


def found_about(context: QueryContext, piece: str) -> plan.Node | None:
    """The provisions of the documents whose title, region or issuer has `piece`."""
    docs = context.documents_about(piece)
    return plan.Documents(tuple(docs), ABOUT_SCORE) if docs else None


def piece_query(context: QueryContext, piece: str, parts: _Parts,
                weights: Mapping[str, float] = WEIGHTS, alone: bool = False) -> plan.Node:
    """One piece, found in the provision or in what is true of its document (unless it
    is the query's only piece: then it must be in the provision)."""
    direct = found_in_provision(piece, weights)
    parts.direct.append(direct)
    about = None if alone else found_about(context, piece)
    if about is None:
        return direct
    parts.about = True
    return plan.Any((direct, about))


def ranking_query(context: QueryContext, words: list[str], pieces: list[str],
                  text: str) -> list[plan.Node]:
    """Optional queries that only order the hits: each word as a word (in the text and
    in the heading), each piece in the heading, and the whole term's characters in
    order (a phrase beats the same words scattered).

    Not the parts of long words (学制技师 → 学制, 技师): every hit contains the whole
    piece already, so its parts tell hits apart little, and their long posting lists
    were most of the time a broad query took."""
    out: list[plan.Node] = []
    for w in words:
        out += [plan.Term("words", w, WEIGHTS["words"]), plan.Term("hwords", w, WEIGHTS["hwords"])]
    out += [gram_query("hgrams", p, WEIGHTS["hgrams"]) for p in pieces]
    if len(words) > 1:
        out += [gram_query(f, text, b) for f, b in PHRASE_BONUS.items()]
    return [q for q in out if q != plan.NOTHING]


def term_query(context: QueryContext, term: Term, budget: int, parts: _Parts,
               alone: bool = False) -> tuple[plan.Node | None, int]:
    """(required query, words used) for one term; ranking and highlights go to `parts`.

    `budget` is how many words the query may still use; words past it are dropped;
    `alone`: the term is the query's only one.
    """
    if term.phrase:
        weights = {f: WEIGHTS[f] + PHRASE_BONUS.get(f, 0) for f in WEIGHTS}
        req = piece_query(context, term.text, parts, weights, alone)
        parts.optional.append(gram_query("hgrams", term.text, weights["hgrams"]))
        parts.marks.append(term.text)
        return req, 1
    words = query_words(context.tokenizer, term.text)[:max(0, budget)]
    if not words:
        return None, 0
    pieces = required_pieces(words)
    alone = alone and len(pieces) == 1
    req = plan.All(tuple(piece_query(context, p, parts, alone=alone) for p in pieces))
    parts.optional += ranking_query(context, words, pieces, term.text)
    parts.marks += [term.text, *pieces, *words]
    return req, len(words)


def exclusion_query(context: QueryContext, term: Term) -> plan.Node:
    """What `-term` leaves out: anything with the term's characters in a row, anywhere,
    including every provision of a document whose title or region has them."""
    direct = found_in_provision(term.text)
    about = found_about(context, term.text)
    return plan.Any((direct, about)) if about is not None else direct


def compile_query(q: Query, context: QueryContext, limits: Limits = Limits()) -> Compiled:
    """A parsed `Query` → engine-neutral query nodes (indexer.plan; nothing is run here).

    Every positive term is required, each of its pieces found in the provision or in
    what is true of its document; at least one piece of the query must be in the
    provision itself, so a document's title can complete a match ("校企双制 东莞") but
    never make one alone.
    """
    notes = list(q.ignored)
    parts = _Parts()
    required, budget = [], limits.max_words
    alone = len(q.positive) == 1 and len(q.positive[0].terms) == 1
    for clause in q.positive:
        reqs = []
        for term in clause.terms:
            req, used = term_query(context, term, budget, parts, alone)
            budget -= used
            if req is None:
                notes.append(Ignored(str(term), f"一次查询最多 {limits.max_words} 个词"))
                continue
            reqs.append(req)
        if reqs:
            required.append(reqs[0] if len(reqs) == 1 else plan.Any(tuple(reqs)))
    if parts.about and required:
        required.append(plan.Constant(plan.Any(tuple(parts.direct)), 0.0))
    scoring: plan.Node = plan.All(tuple(required)) if required else plan.Every()
    optional = parts.optional
    exclude = [plan.Any(tuple(exclusion_query(context, t) for t in c.terms)) for c in q.negative]
    allow, nothing = [], False
    scope = _document_scope(q, context)
    for f in q.filters:
        fq, extra, fnotes = _filter_query(f, context, scope)
        notes += fnotes
        if fq is None:
            nothing = nothing or not f.negated
            continue
        (exclude if f.negated else allow).append(fq)
        optional += extra
    if optional:
        scoring = plan.Maybe(scoring, plan.Any(tuple(optional)))
    return Compiled(q, scoring, plan.All(tuple(allow)) if allow else None,
                    plan.Any(tuple(exclude)) if exclude else None,
                    tuple(dict.fromkeys(m for m in parts.marks if m)), tuple(dedupe(notes)),
                    nothing)


# ---- filters ----------------------------------------------------------------------------

def _filter_query(f: Filter, context: QueryContext, scope: set[str] | None
                  ) -> tuple[plan.Node | None, list[plan.Node], list[Ignored]]:
    """(allowing query or None when nothing matches, optional ranking, notes)."""
    if f.name in ("level", "kind", "year"):
        return plan.Any(tuple(plan.Term(f.name, v) for v in f.values)), [], []
    if f.name in _DOCUMENT_FILTERS:
        files, notes = [], []
        resolve, none = _DOCUMENT_FILTERS[f.name]
        for v in f.values:
            found = resolve(v, context.documents)
            # The years of a range are one value to the person who typed it.
            if not found and f.name != "date":
                notes.append(Ignored(f"{f.name}:{v}", none))
            files += found
        files = list(dict.fromkeys(files))
        if not files and f.name == "date":
            span = f.values[0] + (f"-{f.values[-1]}" if len(f.values) > 1 else "")
            notes.append(Ignored(f"date:{span}", none))
        return (plan.Any(tuple(plan.Term("doc", d) for d in files)) if files else None), [], notes
    names, notes = [], []
    for v in f.values:
        found = resolve_departments(v, context, scope)
        if not found:
            notes.append(Ignored(f"dept:{v}", "没有承担任务的部门叫这个名称"
                                 + ("（在所选文件中）" if scope is not None else "")))
        names += found
    names = list(dict.fromkeys(fold(n) for n in names))
    if not names:
        return None, [], notes
    lead = [] if f.negated else [plan.Any(tuple(plan.Term("lead", n) for n in names), LEAD_BONUS)]
    return plan.Any(tuple(plan.Term("dept", n) for n in names)), lead, notes


def resolve_documents(value: str, documents: Sequence[Mapping]) -> list[str]:
    """`doc:` → document files: by file name, key, number prefix, 文号, or title words."""
    v = match_key(fold(value)).lower()
    if not v:
        return []
    exact = [d["doc"] for d in documents
             if v in (d["doc"].lower(), str(d.get("key", "")).lower(),
                      d["doc"].rsplit(".", 1)[0].lower())]
    if exact:
        return exact
    prefix = [d["doc"] for d in documents if d["doc"].lower().startswith(v)]
    if prefix:
        return prefix
    return [d["doc"] for d in documents
            if any(v in match_key(fold(str(d.get(k) or ""))).lower()
                   for k in ("number", "title", "region", "issuer"))]


def document_issuers(d: Mapping) -> list[str]:
    """A document's issuing bodies in order (`issuers`; `issuer` in rows written before
    co-issuers were kept)."""
    issuers = [i for i in d.get("issuers") or () if isinstance(i, str) and i.strip()]
    if not issuers and isinstance(d.get("issuer"), str) and d["issuer"].strip():
        issuers = [d["issuer"]]
    return list(dict.fromkeys(i.strip() for i in issuers))


def document_year(d: Mapping) -> str | None:
    """The year of a document's date (ISO, or at least its year), None without one."""
    m = re.match(r"((?:19|20)\d{2})", str(d.get("date") or ""))
    return m.group(1) if m else None


def resolve_issuers(value: str, documents: Sequence[Mapping]) -> list[str]:
    """`issuer:` → the documents one of whose issuers is `value`: the full name, else a
    part of it (江西省人力资源), else a short form of it (省人社厅 → …人力资源和社会
    保障厅: its characters in order, ending alike)."""
    v = match_key(fold(value))
    if not v:
        return []
    keyed = [(d["doc"], [match_key(fold(i)) for i in document_issuers(d)]) for d in documents]
    for test in (lambda k: k == v, lambda k: v in k, lambda k: _subsequence(v, k)):
        found = [doc for doc, keys in keyed if any(test(k) for k in keys)]
        if found:
            return found
    return []


def resolve_dated(value: str, documents: Sequence[Mapping]) -> list[str]:
    """`date:` (one year, already expanded from a range) → the documents of that year."""
    return [d["doc"] for d in documents if document_year(d) == value]


# Filters that select whole documents: resolver, and the note when nothing matches.
_DOCUMENT_FILTERS = {
    "doc": (resolve_documents, "没有匹配的文件"),
    "issuer": (resolve_issuers, "没有这个机关印发的文件"),
    "date": (resolve_dated, "没有这一年的文件"),
}


def resolve_departments(value: str, context: QueryContext, scope: set[str] | None = None) -> list[str]:
    """`dept:` → canonical department names, in the context of the documents in `scope`.

    A full name or an alias matches exactly; a relative name is resolved by the ontology
    in each document's context (市人社局 in Dongguan's plan → 东莞市人力资源和社会保障局,
    省教育厅 → 广东省教育厅); failing both, a short form matches the full names it
    abbreviates, its characters in order and ending alike (人社部 → 人力资源社会保障部).
    Only departments the documents in `scope` (those doc:/level: allow) assign tasks to
    are candidates.
    """
    v = match_key(fold(value))
    if not v:
        return []
    cands = {name: info for name, info in context.departments.items()
             if scope is None or set(info.get("docs") or ()) & scope}
    every = context.department_keys
    keys = {name: every[name] for name in cands}
    found = {n for n, ks in keys.items() if v in ks}
    found |= context.resolve_in_context(value.strip(), scope) & set(cands)
    if found:
        return sorted(found)
    return sorted(n for n, ks in keys.items() if any(_subsequence(v, k) for k in ks))


def _subsequence(short: str, full: str) -> bool:
    """`short` abbreviates `full`: its characters appear in `full` in order, and both
    end alike (the body word: 局/厅/部/委)."""
    if len(short) < 2 or len(short) > len(full) or short[-1] != full[-1]:
        return False
    it = iter(full)
    return all(ch in it for ch in short)


def _document_scope(q: Query, context: QueryContext) -> set[str] | None:
    """The documents the positive doc:/issuer:/date:/level: filters allow, or None for
    all."""
    scope = None
    for f in q.filters:
        if f.negated or f.name not in (*_DOCUMENT_FILTERS, "level"):
            continue
        if f.name in _DOCUMENT_FILTERS:
            resolve = _DOCUMENT_FILTERS[f.name][0]
            allowed = {d for v in f.values for d in resolve(v, context.documents)}
        else:
            allowed = {d["doc"] for d in context.documents if d.get("level") in f.values}
        scope = allowed if scope is None else scope & allowed
    return scope
