"""Running a query over a generation's index: ranking, facets, pages, snippets.

    searcher = Searcher.open(gen.folder, gen.tokenizer, gen.documents)
    result = searcher.search("学制技师 level:provincial", page=1, page_size=10)
    result.to_dict()     # {"query", "total", "hits": [...], "facets": {...}, "ignored": [...]}

Ranking is whoosh's BM25F over the fields of `indexer.index` with the weights of
`indexer.query`, times each provision's standing (`indexer.standing`: substance before
cover, colophon, signature and annex forms), then diversified by document
(`diversify`): one document that talks of nothing else does not fill the whole first
page while another document's matching provision waits on page three — officials
compare national, provincial and municipal texts, so each document's best matches
belong on the first page.

`sort="date"` orders by document instead: the newest document first (by its date;
undated ones last), each document's provisions by relevance.  Besides the level,
document, department and kind facets, every result counts its matches by the year of
their document's date (`date`) and by its issuers (`issuer`), the facets of the
`date:` and `issuer:` filters.
"""
from __future__ import annotations

import functools
import html
from bisect import bisect_right
import json
import math
import re
import threading
import time
from array import array
from collections import Counter
from itertools import chain
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from whoosh import matching, query as wq, scoring, searching
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.util.numeric import byte_to_length

from policykg.corpus.tokenize import Tokenizer
from policykg.corpus.text import CJK
from policykg.corpus.vocabulary import KIND_LABELS, LEVEL_LABELS
from policykg.indexer.index import open_index
from policykg.indexer.analysis import INDEX_DIR, SEP, read_catalog, units
from policykg.indexer.query import (Catalog, Compiled, Ignored, Limits, compile_query,
                           document_issuers, document_year, parse)
from policykg.indexer.whoosh_query import ZeroScore, to_whoosh
from policykg.corpus.files import NotBuilt


class Ranking(scoring.BM25F):
    """BM25F, times each provision's static prior (indexer.index.prior_of: its standing).

    Length normalisation (B) is weaker on headings (all short) and on the context field
    (its length says little about the provision).  `Searcher._collect` applies the
    priors itself; `final` is for whoosh's collectors.  `lengths` (reader, field → each
    document's field length, or None) spares the scorers a column read per match.
    """

    use_final = True
    B, K1 = 0.75, 1.2
    FIELD_B = {"hwords_B": 0.3, "hgrams_B": 0.3, "context_B": 0.3}

    def __init__(self, lengths=None):
        super().__init__(B=self.B, K1=self.K1, **self.FIELD_B)
        self._lengths = lengths
        self._priors = None

    def final(self, searcher, docnum, score):
        if self._priors is None:
            self._priors = searcher.reader().column_reader("prior")
        return score * self._priors[docnum]

    def scorer(self, searcher, fieldname, text, qf=1):
        scorer = super().scorer(searcher, fieldname, text, qf)
        if self._lengths is not None and isinstance(scorer, scoring.BM25FScorer):
            table = self._lengths(searcher.reader(), fieldname)
            if table is not None:
                scorer.dfl = table.__getitem__
        return scorer


def field_lengths(reader, fieldname: str) -> list | None:
    """Each document's length of `fieldname` in one segment, as whoosh's
    doc_field_length gives it (None where the length byte is 0), or None when the
    segment has no such column."""
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None or not hasattr(perdoc, "_cached_reader"):
        return None
    column = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    if column is None:
        return None
    return [byte_to_length(b) if b else None for b in column]


# Host crowding: each document's first PER_DOC hits before any document's next ones,
# within the first DIVERSITY_WINDOW hits (see `diversify`).
PER_DOC = 3
DIVERSITY_WINDOW = 100
FACETS = ("level", "doc", "dept", "kind")          # counted over the index
DOCUMENT_FACETS = ("date", "issuer")              # summed from the documents' counts
SHOWN_FACETS = ("level", "date", "issuer", "doc", "dept", "kind")   # the result's order
SORTS = ("relevance", "date")


def check_sort(sort: str | None) -> tuple[str, Ignored | None]:
    """A known sort order (relevance when none is given), or relevance and a note."""
    if sort is None or sort == "":
        return "relevance", None
    value = str(sort).strip().lower()
    value = {"相关度": "relevance", "相关性": "relevance", "日期": "date", "时间": "date",
             "newest": "date"}.get(value, value)
    if value in SORTS:
        return value, None
    return "relevance", Ignored(f"sort={str(sort)[:20]}", "排序方式须为 relevance（相关度）或 date（日期）")


@dataclass(frozen=True)
class DocInfo:
    """What a hit and the document facets show of its document."""

    number: str
    date: str
    year: str | None
    issuers: tuple[str, ...]

    @classmethod
    def of(cls, d: Mapping) -> "DocInfo":
        return cls(str(d.get("number") or ""), str(d.get("date") or ""), document_year(d),
                   tuple(document_issuers(d)))


def date_rank(documents: Sequence[Mapping]) -> dict[str, int]:
    """Each document's place when sorted by date: newest first, undated last, equal
    dates by file name (so every page is cut from one order)."""
    files = sorted(documents, key=lambda d: d["doc"])
    files.sort(key=lambda d: str(d.get("date") or ""), reverse=True)    # stable: ties keep file order
    return {d["doc"]: i for i, d in enumerate(files)}


def document_facets(doc_counts: Mapping[str, int], info: Mapping[str, DocInfo]
                    ) -> dict[str, dict[str, int]]:
    """Matches by their document's year and by each of its issuers, from the matches per
    document (a co-issued document counts under every issuer)."""
    years: Counter = Counter()
    issuers: Counter = Counter()
    for doc, n in doc_counts.items():
        d = info.get(doc)
        if d is None or not n:
            continue
        if d.year:
            years[d.year] += n
        for name in d.issuers:
            issuers[name] += n
    return {"date": dict(years), "issuer": dict(issuers)}


@dataclass(frozen=True)
class SearchOptions:
    """Caps and knobs of one search.  The defaults are the service's (web.settings.Settings
    reads them, and builds the options it serves with: Settings.search_options)."""

    limits: Limits = Limits()
    max_page_size: int = 100
    timeout: float = 5.0           # seconds of matching before answering with what is found
    snippet_chars: int = 160
    facet_size: int = 30           # values listed per facet


# ---- snippets ------------------------------------------------------------------------

@dataclass(frozen=True)
class Snippet:
    """A passage of a provision as (text, marked) pieces; rendered escaped or plain."""

    parts: tuple[tuple[str, bool], ...]
    clipped_start: bool = False
    clipped_end: bool = False

    def html(self) -> str:
        body = "".join(f"<mark>{html.escape(t)}</mark>" if m else html.escape(t)
                       for t, m in self.parts)
        return ("…" if self.clipped_start else "") + body + ("…" if self.clipped_end else "")

    def plain(self, mark=lambda t: f"[{t}]") -> str:
        body = "".join(mark(t) if m else t for t, m in self.parts)
        return ("…" if self.clipped_start else "") + body + ("…" if self.clipped_end else "")


def match_spans(text: str, marks: Iterable[str], max_spans: int = 200) -> list[tuple[int, int]]:
    """Where `marks` occur in `text`, as character spans, merged.

    Matching is over the same units as the index (punctuation and spaces skipped, width
    and case folded), so what the index found is what gets marked.
    """
    marks = tuple(marks)
    patterns = _plain_patterns(text, marks)
    if patterns is not None:
        return merge_hits(_regex_spans(text, patterns, max_spans))
    found = units(text)
    seq = [u for u, _, _ in found]
    where: dict[str, list[int]] = {}
    for i, u in enumerate(seq):
        where.setdefault(u, []).append(i)
    spans = []
    for mark in marks:
        mu = [u for u, _, _ in units(mark)]
        if not mu:
            continue
        for i in where.get(mu[0], ()):
            if seq[i:i + len(mu)] == mu:
                spans.append((found[i][1], found[i + len(mu) - 1][2]))
                if len(spans) >= max_spans:
                    break
    return merge_hits(spans)


def merge_hits(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans.sort()
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


# What `units` skips: neither a CJK character nor a letter/digit run (indexer.index._UNIT).
_NOT_UNIT = f"[^{CJK}0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]*"
_COMPAT = re.compile("[\uf900-\ufaff]")      # the CJK characters `units` folds
_NEVER = re.compile("(?!)")


@functools.lru_cache(maxsize=1024)
def mark_pattern(mark: str) -> re.Pattern | None:
    """A regex whose matches are where `match_spans` finds `mark` by units, for a mark of
    unfolded CJK characters (each its own unit): its characters with anything but units
    between them, looked for at every position (a lookahead, so overlaps are found as
    the unit scan finds them).  None for a mark with letters, digits or folded
    characters: those are matched by units."""
    mu = [u for u, _, _ in units(mark)]
    if not mu:
        return _NEVER                     # nothing to find, as the unit scan skips it
    if not all(len(u) == 1 and u < "\uf900" and _CJK_CHAR.match(u) for u in mu):
        return None
    return re.compile("(?=(" + _NOT_UNIT.join(map(re.escape, mu)) + "))")


def _plain_patterns(text: str, marks: Iterable[str]) -> list[re.Pattern] | None:
    """Each mark's `mark_pattern`, or None when one has none or `text` holds characters
    that `units` folds (a regex over the raw text would miss those)."""
    patterns = [mark_pattern(m) for m in marks]
    if any(p is None for p in patterns) or _COMPAT.search(text):
        return None
    return patterns


def _regex_spans(text: str, patterns: list[re.Pattern], max_spans: int) -> list[tuple[int, int]]:
    """The spans `match_spans`' unit scan finds, in the same order and with the same cut
    at `max_spans` (per mark: a mark's first span is taken before the count is checked)."""
    spans: list[tuple[int, int]] = []
    for pattern in patterns:
        for m in pattern.finditer(text):
            spans.append(m.span(1))
            if len(spans) >= max_spans:
                break
    return spans


def make_snippet(text: str, marks: Sequence[str], width: int = 160, lead: int = 24) -> Snippet:
    """The passage of `text` (about `width` characters) with the most marked terms."""
    spans = match_spans(text, marks)
    start = 0
    if spans:
        start = max(0, spans[best_window(spans, lead, width)][0] - lead)
        if len(text) - start < width:          # show a full window when near the end
            start = max(0, len(text) - width)
    end = min(len(text), start + width)
    parts: list[tuple[str, bool]] = []
    pos = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        if s > pos:
            parts.append((text[pos:s], False))
        parts.append((text[s:e], True))
        pos = e
    if pos < end:
        parts.append((text[pos:end], False))
    parts = [(_SPACES.sub(" ", t), m) for t, m in parts]
    return Snippet(tuple(p for p in parts if p[0]), start > 0, end < len(text))


_SPACES = re.compile(r"\s+")


def best_window(spans: list[tuple[int, int]], lead: int, width: int) -> int:
    """The span whose window (from `lead` characters before it, `width` long) covers
    the most marked characters; the first of equals.  The windows move right span by
    span, so the spans inside one are a run whose ends only move right: one pass with
    running sums (what `window_coverage` finds for each window, without a search per window)."""
    upto = [0]                      # marked characters of the spans before each
    for s, e in spans:
        upto.append(upto[-1] + e - s)
    best, most, first, last = 0, -1, 0, 0
    for i, (s, _) in enumerate(spans):
        start = max(0, s - lead)
        stop = start + width
        while first < len(spans) and spans[first][1] <= start:
            first += 1
        last = max(last, first)
        while last < len(spans) and spans[last][0] < stop:
            last += 1
        covered = 0
        if first < last:            # the run, less what sticks out at either end
            covered = (upto[last] - upto[first] - max(0, start - spans[first][0])
                       - max(0, spans[last - 1][1] - stop))
        if covered > most:
            best, most = i, covered
    return best


def window_coverage(spans: list[tuple[int, int]], start: int, width: int,
             ends: list[int] | None = None) -> int:
    """Marked characters in [start, start + width).  `spans` are sorted and disjoint
    (`merge_hits`), so those in the window are a run found by bisection (`ends`: their
    ends), not a scan of every span for every window (a long provision has hundreds)."""
    start = max(0, start)
    stop = start + width
    i = bisect_right(ends if ends is not None else [e for _, e in spans], start)
    total = 0
    while i < len(spans) and spans[i][0] < stop:
        s, e = spans[i]
        total += min(e, stop) - max(s, start)
        i += 1
    return total


# ---- results -------------------------------------------------------------------------

@dataclass(frozen=True)
class Hit:
    id: str
    doc: str
    doc_title: str
    level: str
    region: str
    kind: str
    number: str
    heading: str
    breadcrumb: tuple[Mapping, ...]
    snippet: Snippet
    score: float
    departments: Mapping
    rank: int
    doc_number: str = ""           # the document's 文号 ("" when it has none)
    doc_date: str = ""             # the document's date, ISO ("" when unknown)

    def to_dict(self) -> dict:
        return {"id": self.id, "doc": self.doc, "doc_title": self.doc_title,
                "doc_number": self.doc_number, "doc_date": self.doc_date,
                "level": self.level, "region": self.region, "kind": self.kind,
                "number": self.number, "heading": self.heading,
                "breadcrumb": [dict(b) for b in self.breadcrumb],
                "snippet": self.snippet.html(), "score": round(self.score, 4),
                "departments": dict(self.departments), "rank": self.rank}


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int

    def to_dict(self) -> dict:
        return {"value": self.value, "label": self.label, "count": self.count}


@dataclass(frozen=True)
class SearchResult:
    query: str
    interpreted: str
    total: int
    page: int
    page_size: int
    hits: tuple[Hit, ...]
    facets: Mapping[str, tuple[FacetValue, ...]]
    ignored: tuple[Ignored, ...] = ()
    partial: bool = False          # the time limit cut the matching short
    sort: str = "relevance"        # one of SORTS

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size)) if self.page_size else 1

    def to_dict(self) -> dict:
        return {"query": self.query, "interpreted": self.interpreted, "total": self.total,
                "page": self.page, "page_size": self.page_size, "pages": self.pages,
                "hits": [h.to_dict() for h in self.hits],
                "facets": {k: [v.to_dict() for v in vs] for k, vs in self.facets.items()},
                "ignored": [i.to_dict() for i in self.ignored], "partial": self.partial,
                "sort": self.sort}


class _AndNotMatcher(matching.AndNotMatcher):
    """whoosh's AndNotMatcher lets the first document through when the excluded
    postings start before it: its `_find_first` only compares equal ids."""

    def _find_first(self):
        if self.a.is_active() and self.b.is_active():
            if self.b.id() < self.a.id():
                self.b.skip_to(self.a.id())
            if self.b.is_active() and self.a.id() == self.b.id():
                self._find_next()


class Exclude(wq.AndNot):
    """`a` without the documents of `b` (whoosh's AndNot, with the matcher fixed)."""

    def matcher(self, searcher, context=None):
        return _AndNotMatcher(self.a.matcher(searcher, context),
                              self.b.matcher(searcher, searcher.boolean_context()))


def _match_into(items: list, m, priors, offset: int, deadline: float) -> bool:
    """Append (score × prior, document number) for every match of `m`; True when the
    deadline passed first (the time limit: checked every 256 matches)."""
    append = items.append
    n = 0
    while m.is_active():
        d = m.id()
        append((m.score() * priors[d], d + offset))
        m.next()
        n += 1
        if not n & 255:
            if time.monotonic() > deadline:
                return True
            # whoosh's own collectors do this too: optional parts whose postings are
            # exhausted drop out of the matcher tree.
            m = m.replace(0)
    return False


@dataclass(frozen=True)
class FacetTable:
    """Each provision's level, document, kind and departments, by document number, read
    once per reader from the index's columns, so that counting the facets of a search
    is a few C-level passes over its matches instead of column reads per match."""

    names: Mapping[str, tuple[str, ...]]     # facet → its values, by code
    codes: Mapping[str, array]               # facet → value code per document number
    depts: tuple[tuple[str, ...], ...]       # departments per document number
    doc: tuple[str, ...]                     # document file per document number

    @classmethod
    def of(cls, reader) -> "FacetTable":
        names, codes = {}, {}
        doc: tuple[str, ...] = ()
        for name in ("level", "doc", "kind"):
            values = list(reader.column_reader(name, translate=True))
            index: dict[str, int] = {}
            codes[name] = array("i", (index.setdefault(v, len(index)) for v in values))
            names[name] = tuple(index)
            if name == "doc":
                doc = tuple(values)
        depts = tuple(tuple(raw.decode("utf-8").split(SEP)) if raw else ()
                      for raw in reader.column_reader("dept_col"))
        return cls(names, codes, depts, doc)

    def count(self, docnums: Iterable[int]) -> dict[str, dict[str, int]]:
        docnums = list(docnums)
        out = {}
        for name, codes in self.codes.items():
            values = self.names[name]
            out[name] = {values[c]: n for c, n in Counter(map(codes.__getitem__, docnums)).items()}
        out["dept"] = dict(Counter(chain.from_iterable(map(self.depts.__getitem__, docnums))))
        return out


def _stored(s, cache: dict, docnum: int) -> dict:
    """A provision's stored fields, read once per search (diversify reads the first
    hundred hits', the page's hits read theirs again)."""
    if docnum not in cache:
        cache[docnum] = s.stored_fields(docnum)
    return cache[docnum]


_CJK_CHAR = re.compile(f"[{CJK}]")


@functools.lru_cache(maxsize=1024)
def _cjk_ends(mark: str) -> bool:
    """A mark that begins and ends with CJK characters: found as a substring, it is found
    as units too (an ASCII mark "a" inside "ab" is not: units are whole runs)."""
    return bool(_CJK_CHAR.match(mark[:1])) and bool(_CJK_CHAR.match(mark[-1:]))


def has_mark(text: str, marks: Sequence[str]) -> bool:
    """Whether one of `marks` occurs in `text` (as `match_spans` matches them).

    Most provisions that have a mark have it as typed, which a substring test answers;
    only the rest pay for unit matching (punctuation, width or case in between)."""
    if any(m in text for m in marks if _cjk_ends(m)):
        return True
    return bool(match_spans(text, marks, max_spans=1))


# ---- the searcher ----------------------------------------------------------------------

class Searcher:
    """Searches one generation's index.

    Thread-safe: whoosh readers are not shared between threads, so each thread opens
    its own once and keeps it (opening one costs more than a small search; a generation
    never changes, so a reader never goes stale).
    """

    def __init__(self, ix, catalog: Catalog):
        self.ix = ix
        self.catalog = catalog
        self.titles = {d["doc"]: d.get("title") or d["doc"] for d in catalog.documents}
        self.docinfo = {d["doc"]: DocInfo.of(d) for d in catalog.documents}
        self.date_rank = date_rank(catalog.documents)
        self._local = threading.local()
        self._readers: list = []        # every thread's, so close() reaches them all
        self._readers_lock = threading.Lock()

    def _reader(self):
        reader = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._local.reader = self.ix.reader()
            with self._readers_lock:
                self._readers.append(reader)
        return reader

    def close(self) -> None:
        """Close the index files every thread opened (the generation is retired)."""
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for reader in readers:
            reader.close()

    @classmethod
    def open(cls, folder: Path, tokenizer: Tokenizer, documents: Sequence[Mapping]) -> "Searcher":
        """The searcher of a generation folder (its index/, tokenizer and documents)."""
        if not (folder / INDEX_DIR).is_dir():
            raise NotBuilt(f"{folder.name} has no search index: run `policykg build`")
        catalog = read_catalog(folder)
        return cls(open_index(folder), Catalog(tokenizer, list(documents), catalog["departments"],
                                               catalog["documents"]))

    def search(self, text: str, filters: Mapping[str, str | Sequence[str] | None] | None = None,
               page: int = 1, page_size: int = 10,
               options: SearchOptions = SearchOptions(), sort: str = "relevance") -> SearchResult:
        """Parse, compile and run a query string.  Never raises on any query string.
        `sort`: "relevance" (the default) or "date" (see the module docstring)."""
        q = parse(text, options.limits, filters)
        return self.run(compile_query(q, self.catalog, options.limits), page, page_size, options,
                        sort)

    @staticmethod
    def _paging(compiled: Compiled, page: int, page_size: int, options: SearchOptions,
                sort: str | None = "relevance") -> tuple[int, int, list, SearchResult | None, str]:
        """Page and page size within bounds, the notes so far, the empty result when
        there is nothing to run, and the sort order (every engine starts here)."""
        q = compiled.query
        page_size = max(1, min(int(page_size), options.max_page_size))
        page = max(1, min(int(page), 10_000))
        notes = list(compiled.ignored)
        sort, note = check_sort(sort)
        if note is not None:
            notes.append(note)
        if q.empty:
            notes.append(Ignored(q.raw[:40], "没有可检索的内容"))
        empty = (SearchResult(q.raw, str(q), 0, page, page_size, (), {}, tuple(notes),
                              sort=sort)
                 if q.empty or compiled.nothing else None)
        return page, page_size, notes, empty, sort

    def run(self, compiled: Compiled, page: int = 1, page_size: int = 10,
            options: SearchOptions = SearchOptions(), sort: str = "relevance") -> SearchResult:
        q = compiled.query
        page, page_size, notes, empty, sort = self._paging(compiled, page, page_size, options,
                                                           sort)
        if empty is not None:
            return empty
        ranking = Ranking(self._field_lengths)
        with searching.Searcher(self._reader(), weighting=ranking, closereader=False) as s:
            ranked, groups, partial = self._collect(s, compiled, options)
            stored: dict[int, dict] = {}       # stored fields read in this search
            if sort == "date":
                ranked = self.by_date(ranked, self._facet_table().doc.__getitem__)
            elif q.positive:
                ranked = self._diversify(s, ranked, compiled, stored)
            start = (page - 1) * page_size
            hits = tuple(self._hit(s, docnum, score, start + i + 1, compiled, options, stored)
                         for i, (score, docnum) in enumerate(ranked[start:start + page_size]))
        if partial:
            notes.append(Ignored("", f"检索超过 {options.timeout:g} 秒："
                                     "以下是此前找到的结果"))
        return SearchResult(q.raw, str(q), len(ranked), page, page_size, hits,
                            self._facet_values(groups, options), tuple(notes), partial, sort)

    def by_date(self, ranked: list[tuple[float, int]], doc_of) -> list[tuple[float, int]]:
        """Hits in relevance order → newest document first, each document's hits in the
        order they had (a stable sort)."""
        last = len(self.date_rank)
        return sorted(ranked, key=lambda hit: self.date_rank.get(doc_of(hit[1]), last))

    def _collect(self, s, compiled: Compiled, options: SearchOptions):
        """All matching provisions, scored and sorted, with facet counts.

        Filters are part of the query (scoring nothing) rather than a FilterCollector.
        The matcher is stepped here rather than through whoosh's collectors: their
        layers (time limit → facets → unlimited) cost a few calls per match, and the
        facet categorizers read columns per match; here a match costs its score, and
        facets are counted afterwards over all matches at once (`FacetTable`).
        """
        ranges = self.catalog.doc_ranges
        final: wq.Query = to_whoosh(compiled.scoring, ranges)
        if compiled.filter is not None:
            final = wq.And([final, ZeroScore(to_whoosh(compiled.filter, ranges))])
        if compiled.mask is not None:
            final = Exclude(final, to_whoosh(compiled.mask, ranges))
        deadline = time.monotonic() + options.timeout
        items: list[tuple[float, int]] = []
        partial = False
        context = s.context()
        for sub, offset in s.leaf_searchers():
            partial = _match_into(items, final.matcher(sub, context),
                                  sub.reader().column_reader("prior"), offset, deadline)
            if partial:
                break
        # whoosh's order: higher score first, then lower document number.
        items.sort(key=lambda x: (-x[0], x[1]))
        groups = self._facet_table().count(d for _, d in items)
        return items, groups, partial

    def _field_lengths(self, reader, fieldname: str) -> list | None:
        """`field_lengths`, read once per segment reader of this thread."""
        cache = self._local.__dict__.setdefault("lengths", {})
        key = (id(reader), fieldname)
        if key not in cache:
            cache[key] = field_lengths(reader, fieldname)
        return cache[key]

    def _facet_table(self) -> "FacetTable":
        table = getattr(self._local, "facets", None)
        if table is None:
            table = self._local.facets = FacetTable.of(self._reader())
        return table

    def _diversify(self, s, ranked, compiled: Compiled, stored: dict):
        docs = self._facet_table().doc

        def direct(docnum: int) -> bool:
            return has_mark(_stored(s, stored, docnum).get("body", ""), compiled.highlight)

        return diversify(ranked, docs.__getitem__, direct)

    def _document_of(self, doc: str) -> dict:
        """The hit fields that come from its document: title, 文号, date."""
        info = self.docinfo.get(doc)
        return {"doc_title": self.titles.get(doc, doc),
                "doc_number": info.number if info else "", "doc_date": info.date if info else ""}

    def _hit(self, s, docnum: int, score: float, rank: int, compiled: Compiled,
             options: SearchOptions, stored: dict) -> Hit:
        f = _stored(s, stored, docnum)
        return Hit(id=f["id"], doc=f["doc"], **self._document_of(f["doc"]),
                   level=f.get("level", ""), region=f.get("region", ""), kind=f["kind"],
                   number=f.get("number", ""), heading=f.get("heading", ""),
                   breadcrumb=tuple(json.loads(f.get("trail") or "[]")),
                   snippet=make_snippet(f.get("body", ""), compiled.highlight,
                                        options.snippet_chars),
                   score=score, departments=json.loads(f.get("departments") or "{}"),
                   rank=rank)

    def _facet_values(self, groups: Mapping[str, Mapping], options: SearchOptions
                      ) -> dict[str, tuple[FacetValue, ...]]:
        labels = {"level": LEVEL_LABELS, "kind": KIND_LABELS, "doc": self.titles}
        groups = {**groups, **document_facets(groups.get("doc") or {}, self.docinfo)}
        out = {}
        for name in SHOWN_FACETS:
            # Years read as a time line, newest first; other values most frequent first.
            order = ((lambda vc: -int(vc[0])) if name == "date"
                     else (lambda vc: (-vc[1], vc[0])))
            counts = sorted(((v, c) for v, c in groups.get(name, {}).items() if v),
                            key=order)[:options.facet_size]
            out[name] = tuple(FacetValue(v, f"{v}年" if name == "date" else
                                         labels.get(name, {}).get(v, v), c) for v, c in counts)
        return out


def diversify(ranked: list[tuple[float, int]], doc_of, direct, per_doc: int = PER_DOC,
              window: int = DIVERSITY_WINDOW) -> list[tuple[float, int]]:
    """Host crowding by document: every document's first `per_doc` hits, in score order,
    then every document's next `per_doc`, and so on.

    Only hits with the query's words in their own text (`direct`) take a place in the
    first round, so a provision found through the headings above it does not push real
    matches out.  Only the first `window` hits are re-ordered (the rest keep their order
    after them), and the order does not depend on the page size, so every page is cut
    from the same list.
    """
    head, tail = ranked[:window], ranked[window:]
    seen: dict[str, int] = {}
    keyed = []
    for i, (score, docnum) in enumerate(head):
        doc = doc_of(docnum)
        nth = seen.get(doc, 0)
        seen[doc] = nth + 1
        tier = nth // per_doc + (0 if direct(docnum) else 1)
        keyed.append((tier, -score, i, score, docnum))
    keyed.sort()
    return [(score, docnum) for _, _, _, score, docnum in keyed] + tail


# ---- the command line's table ------------------------------------------------------------

def render_text(result: SearchResult, mark=lambda t: f"[{t}]", facet_values: int = 6) -> list[str]:
    """A result as lines for people: rank, score, level, document; breadcrumb and kind;
    the snippet with its matches marked by `mark`; departments; then facets, notes."""
    first = (result.page - 1) * result.page_size + 1
    last = first + len(result.hits) - 1
    head = f"{result.interpreted or result.query!s} — {result.total} provisions"
    if result.sort == "date":
        head += ", newest document first"
    if result.hits:
        head += f", {first}–{last} (page {result.page} of {result.pages})"
    lines = [head + (" [partial: time limit]" if result.partial else "")]
    for h in result.hits:
        lines.append(f"{h.rank:>3}. {h.score:6.2f}  {LEVEL_LABELS.get(h.level, h.level)}  "
                     f"{h.doc_title}  {h.doc_number or '无文号'} · {h.doc_date or '日期不详'}"
                     f"  ({h.doc})")
        trail = " › ".join(f"{b.get('number', '')}{b.get('heading', '')}" for b in h.breadcrumb)
        lines.append(f"      {trail + ' › ' if trail else ''}{h.number}{h.heading}"
                     f"  [{KIND_LABELS.get(h.kind, h.kind)}] {h.id}")
        lines.append(f"      {h.snippet.plain(mark)}")
        lead = "、".join(h.departments.get("lead") or [])
        others = "、".join(h.departments.get("participants") or [])
        if lead or others:
            lines.append(f"      牵头 {lead or '—'}；配合 {others or '—'}")
    for name, values in result.facets.items():
        if values:
            shown = " · ".join(f"{v.label} {v.count}" for v in values[:facet_values])
            more = f" · …{len(values) - facet_values} more" if len(values) > facet_values else ""
            lines.append(f"  {name}: {shown}{more}")
    for note in result.ignored:
        lines.append(f"  ignored: {note.text!r} — {note.reason}" if note.text
                     else f"  note: {note.reason}")
    return lines
