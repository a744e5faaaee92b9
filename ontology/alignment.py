"""Cross-level alignment: which lower-level provision takes up which higher-level one.

Plans restate the plans above them — word for word or lightly edited — without citing them.
The links are found from the texts alone:

1. Each document becomes one stream of normalised characters, its K-character shingles
   hashed and winnowed, and each shingle weighed by its rarity across the corpus: a
   smoothed inverse document frequency, so that boilerplate every plan repeats is
   discounted by the corpus itself (ontology.fingerprints).  The kept shingles that two
   documents share go into one inverted index (shingle → document, position); no two
   provisions are compared unless they share one.
2. Candidates first, as near-duplicate detection does: for each lower document and each
   higher level, the allowed higher documents sharing its eligible kept shingles are ranked
   by the rarity-weighted shingles they share, as a greedy cover (a second copy of the best
   source adds nothing), and only the TOP_K best are compared closely.  A shingle more than
   MAX_LEVEL_POSTINGS documents of one level keep is that level's formula and ranks nothing.
3. Each shared kept shingle between a candidate and the lower document seeds a local
   alignment, extended to the maximal common substring; its weight is its length times the
   mean weight of all its shingles.  In each higher document each lower character is
   credited to its best source (a sentence the higher plan repeats in three boxes is
   linked once); a provision pair is a link when its best passage — pieces in the same
   order in both texts, a light edit between two pieces costing GAP_COST per character —
   reaches MIN_WEIGHT weighted characters: about one distinctive clause.  Stock phrases
   scattered through two paragraphs do not add up to a passage.
4. Once per level: the heaviest links of a level claim their lower characters first, and a
   link is kept only if what it explains beyond them still reaches MIN_WEIGHT — a lower
   provision links to its provincial and national sources, not to thirty copies of them.

Which plans may take up which — a higher level, not issued later, in the document's own
line of government — is ontology.plan_hierarchy.  Cost grows with the text and with TOP_K
per level — never with all pairs of documents sharing a passage, nor with all pairs of
provisions; the links are at most a few per lower provision and level.
"""
from __future__ import annotations

import math
import re
from array import array
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from policykg.corpus.records import Document, Provision
from policykg.corpus.vocabulary import LEVELS
from policykg.ontology.fingerprints import (BREAK, K, DocumentFrequency, Stream,
                                            eligible_positions, prepare_streams,
                                            shingle_hash_array, within)
from policykg.ontology.plan_hierarchy import Hierarchy, lower_rank, source_level
from policykg.ontology.spans import OffsetMap

MIN_FRAGMENT = 10     # a shorter common string is a phrase, not a passage
MIN_WEIGHT = 20.0     # IDF-weighted characters of one passage for a link: a distinctive clause
GAP_COST = 0.1        # weighted characters lost per character of edit between two pieces
MAX_GAP = 60          # pieces further apart are two passages, not one edited one
SCORE_SCALE = 25.0    # score = 1 - exp(-weight / SCORE_SCALE)


@dataclass(frozen=True)
class Alignment:
    """The lower provision takes up the higher one; `evidence` is the shared passage as it
    reads in the lower provision (pieces far apart joined by "…")."""

    higher: str
    lower: str
    kind: str
    score: float
    evidence: str
    higher_span: tuple[int, int]
    lower_span: tuple[int, int]
    higher_doc: str = ""
    lower_doc: str = ""
    weight: float = 0.0            # IDF-weighted characters of the shared passage
    higher_text: str = ""          # the shared passage as it reads in the higher provision

    def to_export(self) -> dict:
        return {"higher": self.higher, "lower": self.lower, "kind": self.kind,
                "score": self.score, "evidence": self.evidence}


# ---- the search -------------------------------------------------------------------------------

TOP_K = 5               # candidate higher documents per level for one lower document
MAX_LEVEL_POSTINGS = 24  # a fingerprint more allowed higher documents of one level keep is
                         # that level's formula: it says nothing about which one is the source


def find_alignments(docs: Sequence[Document], *, min_weight: float = MIN_WEIGHT,
                    allowed: Callable[[Document, Document], bool] | None = None,
                    prepared: tuple[list[Stream], DocumentFrequency] | None = None
                    ) -> list[Alignment]:
    """Every (higher provision → lower provision) text-reuse link among `docs`; `allowed`
    (default: may_take_up within the document's hierarchy) says which pairs may link;
    `prepared`: prepare_streams(docs), when the caller keeps it."""
    streams, df = prepared if prepared is not None else prepare_streams(docs)
    hierarchy = Hierarchy(d.meta for d in docs) if allowed is None else None
    return align_corpus(streams, df, allowed or hierarchy.allows, min_weight=min_weight,
                        hierarchy=hierarchy)


def align_corpus(streams: Sequence[Stream], df: DocumentFrequency,
                 allowed: Callable[[Document, Document], bool], *,
                 min_weight: float = MIN_WEIGHT, hierarchy: Hierarchy | None = None
                 ) -> list[Alignment]:
    """The links of every lower document, each document and higher level on its own: its
    few best candidate sources of that level, then one claim per level.  `hierarchy`, when
    `allowed` is its rule, lets a document look only at the postings of its own line."""
    postings = _postings(streams, df)
    offsets: dict = {}
    out: list[Alignment] = []
    for ib in range(len(streams)):
        keys = _buckets(streams[ib].doc, postings, hierarchy)
        found = candidates(streams, ib, df, allowed, [postings[k] for k in keys])
        for level, group in sorted(found.items()):
            out.extend(align_group([streams[i] for i in group], streams[ib], df,
                                   min_weight, offsets))
        streams[ib].cum = None           # needed while it is the lower document only
        if source_level(streams[ib].doc) == len(LEVELS) - 1:
            streams[ib].posts = None     # the last level is never a higher document
    out.sort(key=lambda a: (a.lower_doc, a.lower_span, a.higher_doc, a.higher_span))
    return out


_Bucket = tuple[int, str | None]     # (level, region): the higher documents of one place


def _buckets(lower: Document, postings: dict[_Bucket, dict], hierarchy: Hierarchy | None
             ) -> list[_Bucket]:
    """The postings a lower document can find its sources in: every higher level's, or with
    a hierarchy the nation's, its own province's and city's (and those of documents
    without a region, which no hierarchy excludes)."""
    level = lower_rank(lower.meta.level)
    out = []
    for key in sorted(postings, key=lambda k: (k[0], k[1] or "")):
        lv, region = key
        if lv >= level:
            continue
        if hierarchy is None or lv == 0 or region is None:
            out.append(key)
            continue
        if hierarchy.in_line(lower, lv, region):
            out.append(key)
    return out


@dataclass(frozen=True)
class _Holders:
    """The eligible shingles of one (level, region) of higher documents: `hashes` sorted,
    `docs` the document (index) keeping each, ascending within a hash."""

    hashes: np.ndarray              # uint32
    docs: np.ndarray                # int32


def _postings(streams: Sequence[Stream], df: DocumentFrequency) -> dict[_Bucket, _Holders]:
    """(level, region) → which documents of that level and region keep each eligible
    shingle: only documents that can be higher."""
    last = len(LEVELS) - 1
    members: dict[_Bucket, list[int]] = defaultdict(list)
    for d, s in enumerate(streams):
        lv = source_level(s.doc)
        if lv is not None and lv != last:
            members[(lv, s.doc.meta.region or None)].append(d)
    out: dict[_Bucket, _Holders] = {}
    for bucket, ds in members.items():
        keys = [eligible_positions(streams[d], df).keys for d in ds]
        hashes = np.concatenate(keys)                   # a bucket has a document or more
        docs = np.repeat(np.array(ds, dtype=np.int32), [len(k) for k in keys])
        order = np.argsort(hashes, kind="stable")       # documents ascending per hash
        out[bucket] = _Holders(hashes[order], docs[order])
    return out


def _held(mine: np.ndarray, postings: Sequence[_Holders]) -> tuple[np.ndarray, np.ndarray]:
    """(index into `mine`, document) of every holder of each of the sorted hashes `mine`
    in `postings`, by hash, then in the order of `postings`, then of the documents."""
    found_at, found_doc = [], []
    for bucket in postings:
        lo = np.searchsorted(bucket.hashes, mine, "left")
        hi = np.searchsorted(bucket.hashes, mine, "right")
        n = hi - lo
        hit = np.flatnonzero(n)
        if not len(hit):
            continue
        per = n[hit]
        at = np.repeat(hit, per)
        found_at.append(at)
        found_doc.append(bucket.docs[np.repeat(lo[hit], per) + within(per)])
    if not found_at:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
    at, docs = np.concatenate(found_at), np.concatenate(found_doc)
    order = np.argsort(at, kind="stable")      # by hash, buckets and documents kept in order
    return at[order], docs[order]


def candidates(streams: Sequence[Stream], ib: int, df: DocumentFrequency,
               allowed: Callable[[Document, Document], bool],
               postings: Sequence[_Holders]) -> dict[int, list[int]]:
    """Level → the allowed higher documents (indices) worth comparing closely with
    document `ib`, from the postings it may find them in: rank_candidates, with the
    shingles each document shares found over arrays (every holder of every shingle of the
    lower document, hundreds of thousands at 2,000 documents, never one at a time)."""
    lower = streams[ib].doc
    if not postings:
        return {}
    mine = eligible_positions(streams[ib], df).keys
    at, docs = _held(mine, postings)
    found = np.unique(docs)
    ok = np.zeros(len(streams), dtype=bool)
    ok[found] = [d != ib and allowed(streams[d].doc, lower) for d in found.tolist()]
    at, docs = at[ok[docs]], docs[ok[docs]]
    levels = np.zeros(len(streams), dtype=np.int64)
    levels[found] = [source_level(streams[d].doc) for d in found.tolist()]
    # A shingle kept by more than MAX_LEVEL_POSTINGS documents of one level votes there
    # for none (rank_candidates: whether or not other levels keep it too).
    group = at * len(LEVELS) + levels[docs]
    _, which, size = np.unique(group, return_inverse=True, return_counts=True)
    voting = size[which] <= MAX_LEVEL_POSTINGS
    at, docs = at[voting], docs[voting]
    order = np.argsort(docs, kind="stable")       # by document, shingles ascending in each
    at, docs = at[order], docs[order]
    weights = df.weights_array(mine)
    cuts = [0, *(np.flatnonzero(np.diff(docs)) + 1).tolist(), len(docs)]
    hashes, values, owners = mine[at].tolist(), weights[at].tolist(), docs.tolist()
    shared = {owners[i]: dict(zip(hashes[i:j], values[i:j])) for i, j in zip(cuts, cuts[1:])
              if j > i}
    return _choose(shared, lambda d: source_level(streams[d].doc), lambda d: streams[d].doc.file)


def rank_candidates(hashes: Sequence[int], weights: Sequence[float],
                    holders: Callable[[int], list], level_of: Callable, name_of: Callable
                    ) -> dict[int, list]:
    """Level → up to TOP_K higher documents, chosen as a greedy cover of the lower
    document's rare passages: first the one sharing the most rarity-weighted kept shingles,
    then the one sharing the most of those not yet covered, and so on — a second copy of
    the first source adds nothing, a plan that alone holds some passage comes next.

    `holders(h)`: the allowed higher documents keeping shingle h.  A shingle more than
    MAX_LEVEL_POSTINGS of them at one level keep is that level's formula: it votes there for
    none.  Ties go to the name, so the choice never depends on the order of the corpus."""
    shared: dict = defaultdict(dict)          # document → {shingle: weight}
    for h, w in sorted(zip(hashes, weights)):   # one order of summing, however they came
        docs = holders(h)
        if not docs:
            continue
        if len(docs) <= MAX_LEVEL_POSTINGS:   # no level over the cap: the usual case
            for d in docs:
                shared[d][h] = w
            continue
        by_level: dict[int, list] = defaultdict(list)
        for d in docs:
            by_level[level_of(d)].append(d)
        for group in by_level.values():
            if len(group) <= MAX_LEVEL_POSTINGS:
                for d in group:
                    shared[d][h] = w
    return _choose(shared, level_of, name_of)


def _choose(shared: dict, level_of: Callable, name_of: Callable) -> dict[int, list]:
    """Per level, the greedy cover of `shared` (document → {shingle: weight}, shingles
    ascending: the order the gains are summed in)."""
    levels: dict[int, list] = defaultdict(list)
    for d in shared:
        levels[level_of(d)].append(d)
    return {lv: _cover(sorted(group, key=name_of), shared) for lv, group in levels.items()}


def _cover(docs: list, shared: dict) -> list:
    covered: set[int] = set()
    chosen: list = []
    left = list(docs)
    gains = [sum(shared[d].values()) for d in left]
    while left and len(chosen) < TOP_K:
        best = max(range(len(left)), key=lambda i: (gains[i], -i))
        if gains[best] <= 0:
            break
        d = left.pop(best)
        gains.pop(best)
        chosen.append(d)
        new = shared[d].keys() - covered
        covered |= new
        # A document sharing none of the newly covered shingles keeps its gain: the same
        # weights summed in the same order.  The others are summed again.
        gains = [g if shared[o].keys().isdisjoint(new)
                 else sum(w for h, w in shared[o].items() if h not in covered)
                 for g, o in zip(gains, left)]
    return chosen


def align_group(highers: Sequence[Stream], sb: Stream, df: DocumentFrequency,
                min_weight: float = MIN_WEIGHT, offsets: dict | None = None
                ) -> list[Alignment]:
    """The links of lower document `sb` from the candidate documents `highers` of one
    level: each lower character is claimed once for the whole level, by its best source."""
    offsets = {} if offsets is None else offsets
    found: list[tuple[Stream, _Fragment]] = []
    for sa in sorted(highers, key=lambda s: s.doc.file):
        found.extend((sa, f) for f in _fragments(sa, sb, pair_seeds(sa, sb, df), df))
    return _links(found, sb, min_weight, offsets)


def pair_seeds(sa: Stream, sb: Stream, df: DocumentFrequency
               ) -> tuple[np.ndarray, np.ndarray]:
    """(higher places, lower places) of every eligible kept shingle the two documents
    share, each pair once, ordered by lower place, then higher place."""
    xs, ys = eligible_positions(sa, df).seeds(eligible_positions(sb, df))
    pairs = np.unique((ys.astype(np.int64) << 32) | xs.astype(np.int64))
    return pairs & 0xFFFFFFFF, pairs >> 32


@dataclass(frozen=True)
class _Fragment:
    a: int          # start in the higher stream
    b: int          # start in the lower stream
    length: int
    weight: float   # IDF-weighted length


def _fragments(sa: Stream, sb: Stream, pairs: tuple[np.ndarray, np.ndarray],
               df: DocumentFrequency) -> list[_Fragment]:
    """Seeds (pair_seeds: by lower place, then higher) extended to maximal common
    substrings, each found once."""
    ta, tb = sa.text, sb.text
    # diagonal → the furthest end (in b) of the runs found on it.  Seeds come by ascending
    # lower place and a run starts at or before its seed, so a seed lies in an earlier run
    # of its diagonal exactly when it lies before the furthest end.
    found: dict[int, int] = {}
    cum = _weights_sum(sb, df)
    out = []
    for x, y in zip(pairs[0].tolist(), pairs[1].tolist()):
        diag = x - y
        if y < found.get(diag, -1):
            continue
        back = _common_run(ta, tb, x, y, -1)
        ahead = _common_run(ta, tb, x, y, 1)
        lo_a, lo_b, hi_b = x - back, y - back, y + ahead
        found[diag] = max(hi_b, found.get(diag, -1))
        length = hi_b - lo_b
        if length >= MIN_FRAGMENT:
            # length times the mean rarity of the passage's shingles
            n = length - K + 1
            out.append(_Fragment(lo_a, lo_b, length, length * (cum[lo_b + n] - cum[lo_b]) / n))
    return out


def _common_run(ta: str, tb: str, x: int, y: int, step: int) -> int:
    """How many characters ta and tb have in common going from x and y forwards (step 1,
    from x and y on) or backwards (step -1, before x and y), never across a break.  Compares
    slices, not characters: restatements run for hundreds of characters."""
    if step > 0:
        ea, eb = ta.find(BREAK, x), tb.find(BREAK, y)
        room = min((ea if ea >= 0 else len(ta)) - x, (eb if eb >= 0 else len(tb)) - y)
        return _grow(room, lambda n, c: ta[x + n:x + n + c] == tb[y + n:y + n + c])
    ea, eb = ta.rfind(BREAK, 0, x), tb.rfind(BREAK, 0, y)
    room = min(x - ea - 1, y - eb - 1)
    return _grow(room, lambda n, c: ta[x - n - c:x - n] == tb[y - n - c:y - n])


def _grow(room: int, same: Callable[[int, int], bool]) -> int:
    """The longest n <= room for which same(k, c) held over every chunk: chunks of 32
    characters, halved at the first difference."""
    n, chunk = 0, 32
    while n < room:
        c = min(chunk, room - n)
        if same(n, c):
            n += c
        elif c > 1:
            chunk = c // 2
        else:
            break
    return n


def _weights_sum(s: Stream, df: DocumentFrequency) -> array:
    """cum[i]: the summed weights of the stream's shingles before place i — a passage's
    weight in two look-ups (the same shingles _weigh would hash again)."""
    if s.cum is None:
        ws = df.weights_array(shingle_hash_array(s.text))
        # np.cumsum adds in order, one after another: the sums itertools.accumulate made
        cum = np.concatenate([np.zeros(1), np.cumsum(ws)])
        s.cum = array("d", cum.tobytes())          # read back as Python floats
    return s.cum


@dataclass(frozen=True)
class Piece:
    a: int          # start in the higher stream
    b: int          # start in the lower stream
    length: int
    weight: float


def _links(found: list[tuple[Stream, _Fragment]], sb: Stream, min_weight: float,
           offsets: dict) -> list[Alignment]:
    """The links of one level's candidates to lower document `sb`.

    In each higher document each lower character is credited to its best source (a
    sentence the higher plan repeats in three boxes is linked once); a provision pair is a
    candidate link when its best passage is heavy enough.  Then once per level, not per
    higher document: the heaviest links claim their lower characters first, and a later
    link is kept only if what it explains beyond them is still heavy enough — a municipal
    clause restating a provincial one links to that provincial provision and to the
    national one it came from, not to every provincial copy of it, while a clause drawing
    on two provincial plans keeps both.  Equal weights go to the file name: deterministic."""
    by_doc: dict[int, list[_Fragment]] = defaultdict(list)
    streams: dict[int, Stream] = {}
    for sa, f in found:
        by_doc[id(sa)].append(f)
        streams[id(sa)] = sa
    links = []
    for key, fragments in by_doc.items():
        for (pa, pb), (total, chain) in _doc_links(fragments, streams[key], sb, min_weight):
            links.append((-total, streams[key].doc.file, pa, pb, key, chain))
    links.sort(key=lambda t: t[:4])
    claimed = bytearray(len(sb.text))           # 1: a lower character a kept link explains
    out = []
    for neg, _, pa, pb, key, chain in links:
        # a chain's pieces never overlap (best_passage): its characters are their ranges
        size = sum(p.length for p in chain)
        free = sum(claimed.count(0, p.b, p.b + p.length) for p in chain)
        if -neg * free / size < min_weight:
            continue                     # a copy of what a heavier link of this level explains
        for p in chain:
            claimed[p.b:p.b + p.length] = b"\x01" * p.length
        out.append(_alignment(streams[key], sb, pa, pb, chain, -neg, offsets))
    return out


def _doc_links(fragments: list[_Fragment], sa: Stream, sb: Stream, min_weight: float
               ) -> list[tuple[tuple[int, int], tuple[float, list]]]:
    """(higher provision, lower provision) → (weight, chain) of one higher document: each
    lower character credited to its best source there (the heaviest match first: a long
    restatement explains a lower passage better than a short phrase that recurs)."""
    claimed = bytearray(len(sb.text))           # 1: a lower character already credited
    credit: dict[tuple[int, int], list[Piece]] = defaultdict(list)
    for f in sorted(fragments, key=lambda f: (-f.weight, -f.length, f.a, f.b)):
        start, stop = f.b, f.b + f.length
        free = claimed.count(0, start, stop)
        if free < MIN_FRAGMENT:
            continue
        # the part this fragment explains: from its first free character to its last
        lo, hi = claimed.find(0, start, stop) - start, claimed.rfind(0, start, stop) + 1 - start
        claimed[start:stop] = b"\x01" * f.length
        credit[(sa.prov[f.a], sb.prov[f.b])].append(
            Piece(f.a + lo, f.b + lo, hi - lo, f.weight * free / f.length))
    out = []
    for pair, pieces in credit.items():
        total, chain = best_passage(pieces)
        if total >= min_weight:
            out.append((pair, (total, chain)))
    return out


def best_passage(pieces: Sequence[Piece]) -> tuple[float, list[Piece]]:
    """The heaviest run of pieces in the same order in both texts, a light edit between two
    pieces costing GAP_COST per character skipped (local alignment over exact matches)."""
    order = sorted(pieces, key=lambda p: (p.b, p.a))
    if not order:
        return 0.0, []
    best: list[float] = []
    back: list[int | None] = []
    for i, p in enumerate(order):
        score, prev = p.weight, None
        for j in range(i):
            q = order[j]
            if q.a + q.length > p.a or q.b + q.length > p.b:
                continue
            gap = ((p.a - q.a - q.length) + (p.b - q.b - q.length)) / 2
            if gap <= MAX_GAP and best[j] + p.weight - GAP_COST * gap > score:
                score, prev = best[j] + p.weight - GAP_COST * gap, j
        best.append(score)
        back.append(prev)
    i: int | None = max(range(len(order)), key=lambda k: best[k])
    total, chain = best[i], []
    while i is not None:
        chain.append(order[i])
        i = back[i]
    return total, chain[::-1]


# ---- the record -------------------------------------------------------------------------------

def _own_range(s: Stream, start: int, length: int) -> tuple[int, int]:
    """Own-text character range of stream characters start..start+length."""
    return s.at[start], s.at[start + length - 1] + 1


def _alignment(sa: Stream, sb: Stream, pa: int, pb: int, chain: list[Piece], total: float,
               offsets: dict) -> Alignment:
    higher, lower = sa.doc.provisions[pa], sb.doc.provisions[pb]
    low = [_own_range(sb, p.b, p.length) for p in chain]
    high = [_own_range(sa, p.a, p.length) for p in chain]
    return Alignment(
        higher=higher.id, lower=lower.id, kind="text_reuse",
        score=round(1.0 - math.exp(-total / SCORE_SCALE), 3),
        evidence=_passage(lower.own_text, low),
        higher_span=_span(sa.doc, higher, high, offsets),
        lower_span=_span(sb.doc, lower, low, offsets),
        higher_doc=sa.doc.file, lower_doc=sb.doc.file, weight=round(total, 2),
        higher_text=_passage(higher.own_text, high))


def _passage(text: str, pieces: list[tuple[int, int]]) -> str:
    """The shared passage as it reads: pieces a short edit apart are shown whole, pieces
    further apart joined by "…"."""
    out = text[pieces[0][0]:pieces[0][1]]
    for (_, prev_end), (i, j) in zip(pieces, pieces[1:]):
        out += text[prev_end:j] if i - prev_end <= 6 else "…" + text[i:j]
    return re.sub(r"\s+", "", out)


OFFSET_DOCUMENTS = 256    # documents whose offset maps _span keeps (least recently used go)


def _span(doc: Document, p: Provision, pieces: list[tuple[int, int]],
          offsets: dict) -> tuple[int, int]:
    """Source span of own-text pieces; one offset map per document, one packed list per
    provision (a higher provision is a source for many lower ones).  `offsets` keeps them
    for the OFFSET_DOCUMENTS documents used last (in that order: a document's entry is
    put back at the end on each use) — all of them took ~300 MB at 2,000 documents."""
    key = doc.file
    held = offsets.pop(key, None)
    if held is None:
        while len(offsets) >= OFFSET_DOCUMENTS:
            del offsets[next(iter(offsets))]
        held = (OffsetMap(doc), {})
    offsets[key] = held
    m, provisions = held
    if p.id not in provisions:
        provisions[p.id] = array("i", m.offsets(p.own_text, p.start))
    offs = provisions[p.id]
    spans = [m.span(offs, i, j) for i, j in pieces]
    return min(s for s, _ in spans), max(e for _, e in spans)
