"""Running a query over a generation's index: ranking, facets, pages, snippets.

    searcher = Searcher.open(gen.folder, gen.tokenizer, gen.documents)
    result = searcher.search("学制技师 level:provincial", page=1, page_size=10)
    result.to_dict()     # {"query", "total", "hits": [...], "facets": {...}, "ignored": [...]}

Ranking is whoosh's BM25F over the fields of `indexer.index` with the weights of
`indexer.compiler`, times each provision's standing (`indexer.standing`: substance before
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


import json
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
from policykg.indexer.index import open_index
from policykg.indexer.analysis import INDEX_DIR, SEP, read_catalog
from policykg.indexer.compiler import Compiled, QueryContext
from policykg.indexer.query import Ignored
from policykg.indexer.whoosh_query import ZeroScore, to_whoosh
from policykg.corpus.files import NotBuilt
from policykg.indexer.results import BaseSearcher, Hit, SearchOptions, SearchResult, diversify, has_mark, make_snippet

class Ranking(scoring.BM25F):
    """BM25F, times each provision's static prior (indexer.analysis.prior_of: its standing).

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


# ---- the searcher ----------------------------------------------------------------------

class Searcher(BaseSearcher):
    """Searches one generation's whoosh index.

    Thread-safe: whoosh readers are not shared between threads, so each thread opens
    its own once and keeps it (opening one costs more than a small search; a generation
    never changes, so a reader never goes stale).
    """

    def __init__(self, ix, context: QueryContext):
        super().__init__(context)
        self.ix = ix
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
        stored = read_catalog(folder)
        return cls(open_index(folder), QueryContext(tokenizer, list(documents),
                                                    stored["departments"], stored["documents"]))

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

    def _collect(self, s, compiled: Compiled, options: SearchOptions):
        """All matching provisions, scored and sorted, with facet counts.

        Filters are part of the query (scoring nothing) rather than a FilterCollector.
        The matcher is stepped here rather than through whoosh's collectors: their
        layers (time limit → facets → unlimited) cost a few calls per match, and the
        facet categorizers read columns per match; here a match costs its score, and
        facets are counted afterwards over all matches at once (`FacetTable`).
        """
        ranges = self.context.doc_ranges
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
