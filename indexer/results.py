"""What a search gives, whichever engine ran it: options, hits with their snippets, facet
values, pages, the order by document (`diversify`) and by date, and the searcher both engines
share (`BaseSearcher`: parsing, compiling, paging, a hit's document fields, facet values).
indexer.search runs it on whoosh, indexer.tantivy_engine on tantivy."""
from __future__ import annotations


import functools
import html
from bisect import bisect_right
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence


from policykg.corpus.text import CJK
from policykg.corpus.vocabulary import KIND_LABELS, LEVEL_LABELS
from policykg.indexer.analysis import units
from policykg.indexer.compiler import (Compiled, QueryContext, compile_query, document_issuers,
                                       document_year)
from policykg.indexer.query import Ignored, Limits, parse


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


# What `units` skips: neither a CJK character nor a letter/digit run (indexer.analysis._UNIT).
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


class BaseSearcher:
    """What every engine's searcher does the same way: parse and compile a query string
    (indexer.query, indexer.compiler), page, order by date, name a hit's document, word the facet values.
    An engine gives `run(compiled, page, page_size, options, sort)`."""

    def __init__(self, context: QueryContext):
        self.context = context
        self.titles = {d["doc"]: d.get("title") or d["doc"] for d in context.documents}
        self.docinfo = {d["doc"]: DocInfo.of(d) for d in context.documents}
        self.date_rank = date_rank(context.documents)

    def run(self, compiled: Compiled, page: int = 1, page_size: int = 10,
            options: SearchOptions = SearchOptions(), sort: str = "relevance") -> SearchResult:
        raise NotImplementedError

    def close(self) -> None:
        """Let go of the engine's files (the generation is retired)."""

    def search(self, text: str, filters: Mapping[str, str | Sequence[str] | None] | None = None,
               page: int = 1, page_size: int = 10,
               options: SearchOptions = SearchOptions(), sort: str = "relevance") -> SearchResult:
        """Parse, compile and run a query string.  Never raises on any query string.
        `sort`: "relevance" (the default) or "date" (see the module docstring)."""
        q = parse(text, options.limits, filters)
        return self.run(compile_query(q, self.context, options.limits), page, page_size, options,
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

    def by_date(self, ranked: list[tuple[float, int]], doc_of) -> list[tuple[float, int]]:
        """Hits in relevance order → newest document first, each document's hits in the
        order they had (a stable sort)."""
        last = len(self.date_rank)
        return sorted(ranked, key=lambda hit: self.date_rank.get(doc_of(hit[1]), last))

    def _document_of(self, doc: str) -> dict:
        """The hit fields that come from its document: title, 文号, date."""
        info = self.docinfo.get(doc)
        return {"doc_title": self.titles.get(doc, doc),
                "doc_number": info.number if info else "", "doc_date": info.date if info else ""}

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
