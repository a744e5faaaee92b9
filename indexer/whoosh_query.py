"""Running indexer.plan's nodes on whoosh: the whoosh query objects they become
(`to_whoosh`), and the matchers that make them fast — a phrase over character bigrams read
from whole posting lists, a constant-0 condition, every provision of some documents as one
run of document numbers.  The only module that reaches into whoosh's matchers."""
from __future__ import annotations

import bisect
import pickle
from array import array
from itertools import accumulate
from typing import Iterable, Mapping, Sequence

from whoosh import formats, matching, query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.scoring import BM25FScorer
from whoosh.system import _INT_SIZE
from whoosh.util import make_binary_tree

from policykg.indexer import plan


def to_whoosh(node: plan.Node, ranges: Mapping[str, Sequence[int]] | None = None) -> wq.Query:
    """The whoosh query of a compiled node; `ranges`: each document's run of document
    numbers in the index (the catalog's doc_ranges), for Documents."""
    if isinstance(node, plan.Nothing):
        return wq.NullQuery
    if isinstance(node, plan.Every):
        return wq.Every()
    if isinstance(node, plan.Term):
        return wq.Term(node.field, node.text, boost=node.boost)
    if isinstance(node, plan.Phrase):
        return GramPhrase(node.field, list(node.words), boost=node.boost)
    if isinstance(node, plan.Prefix):
        return wq.Prefix(node.field, node.text, boost=node.boost)
    if isinstance(node, plan.All):
        return wq.And([to_whoosh(s, ranges) for s in node.subs], boost=node.boost)
    if isinstance(node, plan.Any):
        return wq.Or([to_whoosh(s, ranges) for s in node.subs], boost=node.boost)
    if isinstance(node, plan.Maybe):
        return wq.AndMaybe(to_whoosh(node.required, ranges), to_whoosh(node.optional, ranges))
    if isinstance(node, plan.Constant):
        child = to_whoosh(node.child, ranges)
        return ZeroScore(child) if node.score == 0.0 else wq.ConstantScoreQuery(child, node.score)
    if isinstance(node, plan.Documents):
        return DocumentsQuery(node.files, ranges, node.score)
    raise TypeError(f"no whoosh form for {type(node).__name__}")


class GramPhrase(wq.Phrase):
    """whoosh's Phrase with a leaner matcher: the terms' whole posting lists read a block
    at a time, intersected as sets, positions compared only there (`phrase_postings`);
    `PhraseMatcher` when the terms are not plain posting lists."""

    def matcher(self, searcher, context=None):
        field = searcher.schema[self.fieldname] if self.fieldname in searcher.schema else None
        if field is None or not field.format.supports("positions"):
            return matching.NullMatcher()
        reader = searcher.reader()
        for word in self.words:
            if (self.fieldname, field.to_bytes(word)) not in reader:
                return matching.NullMatcher()
        # A query often holds the same phrase twice (a term's match, and the check that
        # some term is in the provision itself): found once per searcher.
        memo = searcher.__dict__.setdefault("_gram_phrases", {})
        scored = context is None or context.weighting is not None
        key = (self.fieldname, tuple(self.words), scored)
        found = memo.get(key)
        ms = None
        if key not in memo:
            ms = [wq.Term(self.fieldname, w).matcher(searcher, context) for w in self.words]
            found = memo[key] = phrase_postings(ms, field.format)
        if found is not None:
            ids, scores = found
            return _ScoredListMatcher(ids, [x * self.boost for x in scores]) if ids \
                else matching.NullMatcher()
        ms = ms or [wq.Term(self.fieldname, w).matcher(searcher, context) for w in self.words]
        return PhraseMatcher(ms, self.boost)


def _block_postings(m) -> dict[int, tuple[float, bytes]] | None:
    """docnum → (weight, value) of a whole posting list, read a block at a time (whoosh's
    W3 leaf matcher; None for any other kind)."""
    if not isinstance(m, W3LeafMatcher):
        return None
    out: dict[int, tuple[float, bytes]] = {}
    while m.is_active():
        if m._ids is None:
            m._read_ids()
        if m._weights is None:
            m._read_weights()
        if m._values is None:
            m._read_values()
        out.update(zip(m._ids, zip(m._weights, m._values)))
        m._next_block()
    return out


def _list_postings(m) -> dict[int, tuple[float, bytes]]:
    out = {}
    while m.is_active():
        out[m.id()] = (m.weight(), m.value())
        m.next()
    return out


def phrase_postings(ms: list, fmt) -> tuple[list[int], list[float]] | None:
    """The documents where the terms of `ms` stand at consecutive positions, with the
    score whoosh's matchers give them (the terms' BM25F scores summed as
    `make_binary_tree` sums them), computed over whole posting lists at once: whoosh
    steps a matcher posting by posting in Python, skip_to included.  None when a term's
    matcher is not a plain posting list scored by BM25F (then `PhraseMatcher` does it).
    """
    scorers = [getattr(m, "scorer", None) or getattr(m, "_scorer", None) for m in ms]
    scored = all(isinstance(sc, BM25FScorer) for sc in scorers)
    # In a boolean context (filters, exclusions) there are no scorers, and no scores.
    if len(ms) < 2 or not (scored or all(sc is None for sc in scorers)):
        return None
    lists = []
    for m in ms:
        found = _block_postings(m)
        if found is None:
            if not isinstance(m, matching.ListMatcher):
                return None
            found = _list_postings(m)
        lists.append(found)
    common = set(min(lists, key=len))
    for found in lists:
        common.intersection_update(found.keys())
    ids, scores = [], []
    decode = _decode_positions if type(fmt) is formats.Positions else fmt.decode_positions
    for doc in sorted(common):
        starts = set(decode(lists[0][doc][1]))
        for i, found in enumerate(lists[1:], 1):
            starts &= {p - i for p in decode(found[doc][1])}
            if not starts:
                break
        else:
            ids.append(doc)
            if scored:
                scores.append(_tree_sum([sc._score(found[doc][0], sc.dfl(doc))
                                         for sc, found in zip(scorers, lists)]))
    return ids, (scores if scored else [1.0] * len(ids))


def _decode_positions(value: bytes) -> Iterable[int]:
    """whoosh's Positions.decode_positions (a count, then pickled deltas), summed in C."""
    body = value[_INT_SIZE:]
    return accumulate(pickle.loads(body if body.endswith(b".") else body + b"."))


def _tree_sum(xs: list[float]) -> float:
    """Summed in the order of `make_binary_tree(IntersectionMatcher, …)`'s scores."""
    if len(xs) == 2:
        return xs[0] + xs[1]
    if len(xs) == 3:
        return xs[0] + (xs[1] + xs[2])
    if len(xs) == 1:
        return xs[0]
    half = len(xs) // 2
    return _tree_sum(xs[:half]) + _tree_sum(xs[half:])


class _BisectListMatcher(matching.ListMatcher):
    """A sorted in-memory list of document numbers: skipping is a bisection."""

    def skip_to(self, id):
        self._i = bisect.bisect_left(self._ids, id, self._i)

    def supports_block_quality(self):
        return False


class _ScoredListMatcher(_BisectListMatcher):
    """A sorted list of document numbers with their scores."""

    def __init__(self, ids: list[int], scores: list[float]):
        super().__init__(ids)
        self._scores = scores

    def copy(self):
        m = _ScoredListMatcher(self._ids, self._scores)
        m._i = self._i
        return m

    def score(self):
        return self._scores[self._i]


class PhraseMatcher(matching.WrappingMatcher):
    """The documents where the terms of `ms` stand at consecutive positions."""

    def __init__(self, ms: list, boost: float = 1.0):
        self.ms = ms
        super().__init__(make_binary_tree(matching.IntersectionMatcher, ms), boost=boost)
        self._find()

    def _in_a_row(self) -> bool:
        starts = set(self.ms[0].value_as("positions"))
        for i, m in enumerate(self.ms[1:], 1):
            starts &= {p - i for p in m.value_as("positions")}
            if not starts:
                return False
        return True

    def _find(self) -> None:
        while self.child.is_active() and not self._in_a_row():
            self.child.next()

    def next(self):
        self.child.next()
        self._find()

    def skip_to(self, id):
        self.child.skip_to(id)
        self._find()

    def all_ids(self):
        while self.is_active():
            yield self.id()
            self.next()

    def copy(self):
        return PhraseMatcher([m.copy() for m in self.ms], self.boost)

    def replace(self, minquality=0):
        # The term matchers are held in `ms`: never swap the tree out from under them.
        return self if self.is_active() else matching.NullMatcher()

    def supports_block_quality(self):
        return False


class _ZeroMatcher(matching.ListMatcher):
    """A list of document numbers that all score 0."""

    def weight(self):
        return 0.0

    def score(self):
        return 0.0

    def copy(self):
        m = _ZeroMatcher(self._ids)
        m._i = self._i
        return m


class ZeroScore(wq.ConstantScoreQuery):
    """What `child` matches, scoring nothing: a condition, not a ranking.  whoosh's own
    ConstantScoreQuery(q, 0.0) scores 1.0 (its ListMatcher reads a weight of 0 as "no
    weight given"), which added the provision's prior to every hit of a filtered query —
    a bonus tantivy's constant score of 0 never gave."""

    def __init__(self, child: wq.Query):
        super().__init__(child, 0.0)

    def matcher(self, searcher, context=None):
        m = self.child.matcher(searcher, searcher.boolean_context())
        if isinstance(m, matching.NullMatcherClass):
            return m
        return _ZeroMatcher(array("I", m.all_ids()))


class DocumentsQuery(wq.Query):
    """Every provision of some documents, at a constant score.

    The build adds provisions document by document into one segment, so a document's
    provisions are one run of document numbers (`ranges`: file → [start, stop)); the
    matcher walks a sorted list instead of a union of one posting list per document,
    which would cost a matcher per document for a title word shared by hundreds.
    Without ranges (or on an index that is not that one segment), a union of terms.
    """

    def __init__(self, files: Sequence[str], ranges: Mapping[str, Sequence[int]] | None,
                 score: float = 1.0):
        self.files = tuple(files)
        self.ranges = ranges
        self.score = score

    def __eq__(self, other):
        return (type(other) is type(self) and self.files == other.files
                and self.score == other.score)

    def __hash__(self):
        return hash((self.files, self.score))

    def __repr__(self):
        return f"DocumentsQuery({len(self.files)} documents, score={self.score})"

    def _fallback(self) -> wq.Query:
        return wq.ConstantScoreQuery(wq.Or([wq.Term("doc", f) for f in self.files]), self.score)

    def estimate_size(self, ixreader):
        if not self.ranges:
            return self._fallback().estimate_size(ixreader)
        return sum(r[1] - r[0] for f in self.files for r in [self.ranges.get(f, (0, 0))])

    def docs(self, searcher):
        return iter(self.matcher(searcher).all_ids())

    def matcher(self, searcher, context=None):
        total = sum(r[1] - r[0] for r in (self.ranges or {}).values())
        if not self.ranges or not searcher.is_atomic() or searcher.doc_count_all() != total:
            return self._fallback().matcher(searcher, context)
        ids = sorted(n for f in self.files if f in self.ranges
                     for n in range(*self.ranges[f]))
        return _ConstantListMatcher(ids, self.score)


class _ConstantListMatcher(_BisectListMatcher):
    """A sorted list of document numbers, each scoring the same."""

    def __init__(self, ids: list[int], score: float):
        super().__init__(ids, all_weights=score)
        self._score = score

    def copy(self):
        m = _ConstantListMatcher(self._ids, self._score)
        m._i = self._i
        return m

    def score(self):
        return self._score
