"""Cross-level alignment: which lower-level provision takes up which higher-level one.

Plans restate the plans above them — word for word or lightly edited — without citing them.
The links are found from the texts alone:

1. Each document becomes one stream of normalised characters (width folded, lower case,
   punctuation and whitespace dropped; 《titles》 and 〔numbers〕 masked, since a shared
   citation is a citation, not a restatement), provision by provision and paragraph by
   paragraph, with a break between them so that no shared passage spans two.  Each character
   remembers its provision and its place in that provision's own text, so a link is made at
   the finest provision that holds the passage.
2. Every K-character shingle is hashed (crc32: the same on every run and machine).  Its
   document frequency goes into a count-min sketch — fixed memory, never under-counts — and
   winnowing (Schleimer et al., 2003) keeps, of every WINDOW consecutive shingles, the one
   with the smallest hash: every common run of WINDOW + K - 1 characters shares a kept
   shingle.  The kept shingles that two documents share go into one inverted index
   (shingle → document, position); no two provisions are compared unless they share one.
3. A shingle's weight is its rarity across the corpus, a smoothed inverse document
   frequency normalised to 1 for a shingle only two documents share, falling towards 0 for
   one every document has.  Boilerplate every plan repeats (以习近平新时代中国特色社会主义
   思想为指导……) is discounted by the corpus itself, never by a stop list.
4. Each shared kept shingle between a higher- and a lower-level document seeds a local
   alignment, extended to the maximal common substring; its weight is its length times the
   mean weight of all its shingles.  Each lower character is credited to its best source in
   each higher document (a sentence the higher plan repeats in three boxes is linked once).
5. A provision pair is linked when its best passage — pieces in the same order in both
   texts, a light edit between two pieces costing GAP_COST per character — reaches
   MIN_WEIGHT weighted characters: about one distinctive clause.  Stock phrases scattered
   through two paragraphs do not add up to a passage.

Direction comes from DocumentMeta.level (national > provincial > municipal > county);
documents at the same level are never aligned, and a document never takes up one issued
after it.  Cost grows with the text and with the pairs of documents that share passages,
never with all pairs of provisions.
"""
from __future__ import annotations

import math
import re
import unicodedata
import zlib
from array import array
from collections import Counter, defaultdict
from itertools import groupby
from dataclasses import dataclass, field
from typing import Callable, Sequence

from corpus.records import LEVELS, Document, Provision
from ontology.targets import OffsetMap

K = 8                 # shingle length, characters
WINDOW = 4            # winnowing window: common runs of K + WINDOW - 1 = 11 chars always seed
MIN_FRAGMENT = 10     # a shorter common string is a phrase, not a passage
MIN_WEIGHT = 20.0     # IDF-weighted characters of one passage for a link: a distinctive clause
GAP_COST = 0.1        # weighted characters lost per character of edit between two pieces
MAX_GAP = 60          # pieces further apart are two passages, not one edited one
SEED_MIN_WEIGHT = 0.05   # shingles more common than this are never seeds (pure formula)
MAX_POSTINGS = 64     # per shingle and document: a string repeated more often is formula
SCORE_SCALE = 25.0    # score = 1 - exp(-weight / SCORE_SCALE)
BREAK = "\x00"


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


# ---- streams ----------------------------------------------------------------------------------

@dataclass
class _Stream:
    doc: Document
    text: str
    prov: array                     # per character: index into doc.provisions (-1: a break)
    at: array                       # per character: index into that provision's own_text
    fp_pos: array = field(default_factory=lambda: array("i"))   # kept shingles, ascending
    fp_hash: array = field(default_factory=lambda: array("I"))  # … and their hashes


# Titles, document numbers, titles inside titles: a shared citation is not a restatement.
_MASK = re.compile(r"《[^《》\n]{0,80}》|〔[^〔〕\n]{0,12}〕|<[^<>\n]{1,80}>|\n")
_WORD = re.compile(r"[^\W_]+")


def _fold(text: str) -> str:
    """Width folded and lower-cased, one character for one character."""
    folded = unicodedata.normalize("NFKC", text).lower()
    if len(folded) == len(text):
        return folded
    out = []
    for c in text:
        f = unicodedata.normalize("NFKC", c).lower()
        out.append(f if len(f) == 1 else c)
    return "".join(out)


def build_stream(doc: Document) -> _Stream:
    """The document as one string of letters and digits, with breaks between paragraphs."""
    parts: list[str] = []
    prov, at = array("i"), array("i")

    def brk() -> None:
        if parts and parts[-1] != BREAK:
            parts.append(BREAK)
            prov.append(-1)
            at.append(-1)

    for index, p in enumerate(doc.provisions):
        own = p.own_text
        skip = len(p.number) if p.number and own.startswith(p.number) else 0
        folded = _fold(own)
        pos = skip
        for m in [*_MASK.finditer(folded, skip), None]:
            stop = m.start() if m else len(folded)
            for w in _WORD.finditer(folded, pos, stop):
                parts.append(w.group())
                prov.extend([index] * (w.end() - w.start()))
                at.extend(range(w.start(), w.end()))
            if m:
                brk()
                pos = m.end()
        brk()
    return _Stream(doc, "".join(parts), prov, at)


_NONE = 1 << 32          # above every crc32: a shingle across a break is never kept


def shingle_hashes(text: str) -> list[int]:
    """crc32 of every K-character shingle (of its UTF-32 bytes); _NONE across a break."""
    raw = text.encode("utf-32-le")
    crc = zlib.crc32
    out: list[int] = []
    start = 0
    for segment in text.split(BREAK):
        end = start + len(segment)
        out.extend(crc(raw[4 * i:4 * i + 4 * K]) for i in range(start, end - K + 1))
        # the shingles that start in this segment but run into the break (or the end)
        out.extend([_NONE] * (min(end + 1, len(text) - K + 1) - max(start, end - K + 1)))
        start = end + 1
    return out[:max(len(text) - K + 1, 0)]


def winnow(hashes: Sequence[int]) -> list[int]:
    """Positions holding the minimum hash of some WINDOW consecutive ones.

    A position is kept when its hash equals the largest of the window minima around it —
    every window minimum, computed with C-level map/min/max instead of a Python loop.
    """
    n = len(hashes)
    if n < WINDOW:
        low = min(hashes, default=_NONE)
        return [i for i, h in enumerate(hashes) if h == low != _NONE][-1:]
    h = list(hashes)
    minima = list(map(min, *(h[k:n - WINDOW + 1 + k] for k in range(WINDOW))))
    pad = [-1] * (WINDOW - 1)
    padded = pad + minima + pad           # padded[j + WINDOW - 1] = minimum of window j
    around = map(max, *(padded[k:k + n] for k in range(WINDOW)))
    return [i for i, (x, y) in enumerate(zip(h, around)) if x == y and x != _NONE]


# ---- document frequency -----------------------------------------------------------------------

class DocumentFrequency:
    """How many documents contain each shingle: a count-min sketch of two rows.

    Fixed memory whatever the corpus; a collision can only over-count, which makes a
    shingle look more common — a link is lost, never invented.
    """

    def __init__(self, expected: int):
        bits = max(16, min(25, (4 * max(expected, 1)).bit_length()))
        self.mask = (1 << bits) - 1
        self.rows = (array("H", bytes(2 << bits)), array("H", bytes(2 << bits)))
        self.n_docs = 0
        self._table: list[float] = []       # weight by document frequency, once counted

    def counts(self, hashes: Sequence[int]) -> list[int]:
        """Document frequency of each hash (0 for a shingle across a break)."""
        r0, r1 = self.rows
        mask = self.mask
        return [min(r0[h & mask], r1[((h * 0x9E3779B1) >> 13) & mask]) if h != _NONE else 0
                for h in hashes]

    def add_document(self, hashes: Sequence[int]) -> None:
        self.n_docs += 1
        r0, r1 = self.rows
        mask = self.mask
        distinct = set(hashes)
        distinct.discard(_NONE)
        for h in distinct:
            i, j = h & mask, ((h * 0x9E3779B1) >> 13) & mask
            if r0[i] < 0xFFFF:
                r0[i] += 1
            if r1[j] < 0xFFFF:
                r1[j] += 1

    def weights(self, hashes: Sequence[int]) -> list[float]:
        if len(self._table) != self.n_docs + 1:
            self._table = [0.0] + [idf_weight(df, self.n_docs)
                                   for df in range(1, self.n_docs + 1)]
        table, top = self._table, self.n_docs
        return [table[min(c, top)] for c in self.counts(hashes)]


def idf_weight(df: int, n_docs: int) -> float:
    """1 for a shingle two documents share, towards 0 as every document has it."""
    if df <= 2 or n_docs <= 2:
        return 1.0
    w = math.log((n_docs + 1) / df) / math.log((n_docs + 1) / 2)
    return min(1.0, max(0.0, w))


# ---- the search -------------------------------------------------------------------------------

def _level(doc: Document) -> int | None:
    return LEVELS.index(doc.meta.level) if doc.meta.level in LEVELS else None


def may_take_up(higher: Document, lower: Document) -> bool:
    """Direction: strictly higher level, and not issued after the lower document."""
    hl, ll = _level(higher), _level(lower)
    if hl is None or ll is None or hl >= ll:
        return False
    if higher.meta.date and lower.meta.date and lower.meta.date < higher.meta.date:
        return False
    return True


def find_alignments(docs: Sequence[Document], *, min_weight: float = MIN_WEIGHT,
                    allowed: Callable[[Document, Document], bool] = may_take_up
                    ) -> list[Alignment]:
    """Every (higher provision → lower provision) text-reuse link among `docs`."""
    streams = [build_stream(d) for d in docs]
    df = DocumentFrequency(sum(len(s.text) for s in streams))
    for s in streams:
        hashes = shingle_hashes(s.text)
        df.add_document(hashes)
        kept = winnow(hashes)
        s.fp_pos = array("i", kept)
        s.fp_hash = array("I", (hashes[i] for i in kept))
    seeds = _seeds(streams, df, allowed)
    offsets: dict = {}     # document index → OffsetMap; (index, provision id) → offsets
    out: list[Alignment] = []
    for (ia, ib), pairs in sorted(seeds.items()):
        fragments = _fragments(streams[ia], streams[ib], pairs, df)
        out.extend(_links(streams[ia], streams[ib], fragments, min_weight, offsets, ia, ib))
    out.sort(key=lambda a: (a.lower_doc, a.lower_span, a.higher_doc, a.higher_span))
    return out


def _seeds(streams: list[_Stream], df: DocumentFrequency,
           allowed: Callable[[Document, Document], bool]) -> dict[tuple[int, int], array]:
    """(higher doc, lower doc) → shared kept shingles, packed as higher pos << 32 | lower pos.

    Postings are packed integers (document << 32 | position), appended document by
    document, so the entries of one shingle come grouped by document.
    """
    postings: dict[int, list[int]] = defaultdict(list)
    for d, s in enumerate(streams):
        counts, weights = df.counts(s.fp_hash), df.weights(s.fp_hash)
        in_doc = Counter(s.fp_hash)
        for pos, h, c, w in zip(s.fp_pos, s.fp_hash, counts, weights):
            if c < 2 or w < SEED_MIN_WEIGHT or in_doc[h] > MAX_POSTINGS:
                continue                 # in one document only, or formula
            postings[h].append(d << 32 | pos)
    ok: dict[tuple[int, int], bool] = {}
    seeds: dict[tuple[int, int], array] = defaultdict(lambda: array("q"))
    mask = (1 << 32) - 1
    for entries in postings.values():
        if entries[0] >> 32 == entries[-1] >> 32:
            continue                     # one document only
        by_doc = [(d, [e & mask for e in group])
                  for d, group in groupby(entries, key=lambda e: e >> 32)]
        for da, pa in by_doc:
            for db, pb in by_doc:
                if da == db:
                    continue
                if (da, db) not in ok:
                    ok[(da, db)] = allowed(streams[da].doc, streams[db].doc)
                if ok[(da, db)]:
                    seeds[(da, db)].extend(x << 32 | y for x in pa for y in pb)
    return seeds


@dataclass(frozen=True)
class _Fragment:
    a: int          # start in the higher stream
    b: int          # start in the lower stream
    length: int
    weight: float   # IDF-weighted length


def _fragments(sa: _Stream, sb: _Stream, pairs: array,
               df: DocumentFrequency) -> list[_Fragment]:
    """Seeds extended to maximal common substrings, each found once."""
    ta, tb = sa.text, sb.text
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)   # diagonal → (b start, b end)
    out = []
    mask = (1 << 32) - 1
    for x, y in sorted({(p >> 32, p & mask) for p in pairs}, key=lambda p: (p[1], p[0])):
        diag = x - y
        if any(lo <= y < hi for lo, hi in found[diag]):
            continue
        lo_a, lo_b = x, y
        while lo_a > 0 and lo_b > 0 and ta[lo_a - 1] == tb[lo_b - 1] != BREAK:
            lo_a -= 1
            lo_b -= 1
        hi_a, hi_b = x, y
        while hi_a < len(ta) and hi_b < len(tb) and ta[hi_a] == tb[hi_b] != BREAK:
            hi_a += 1
            hi_b += 1
        found[diag].append((lo_b, hi_b))
        length = hi_b - lo_b
        if length >= MIN_FRAGMENT:
            out.append(_Fragment(lo_a, lo_b, length, _weigh(tb[lo_b:hi_b], df)))
    return out


def _weigh(passage: str, df: DocumentFrequency) -> float:
    """Length times the mean rarity of all the passage's shingles."""
    ws = df.weights(shingle_hashes(passage))
    return len(passage) * (sum(ws) / len(ws)) if ws else 0.0


@dataclass(frozen=True)
class _Piece:
    a: int          # start in the higher stream
    b: int          # start in the lower stream
    length: int
    weight: float


def _links(sa: _Stream, sb: _Stream, fragments: list[_Fragment], min_weight: float,
           offsets: dict, ia: int, ib: int) -> list[Alignment]:
    """Credit each lower character to its best source, then link the provision pairs whose
    best shared passage is heavy enough."""
    claimed: set[int] = set()
    credit: dict[tuple[int, int], list[_Piece]] = defaultdict(list)
    # The heaviest match claims its characters first: a long restatement explains a lower
    # passage better than a short phrase that happens to recur elsewhere.
    for f in sorted(fragments, key=lambda f: (-f.weight, -f.length, f.a, f.b)):
        free = [k for k in range(f.length) if f.b + k not in claimed]
        if len(free) < MIN_FRAGMENT:
            continue
        claimed.update(f.b + k for k in free)
        lo, hi = free[0], free[-1] + 1       # the part this fragment explains
        credit[(sa.prov[f.a], sb.prov[f.b])].append(
            _Piece(f.a + lo, f.b + lo, hi - lo, f.weight * len(free) / f.length))
    out = []
    for (pa, pb), pieces in credit.items():
        total, chain = best_passage(pieces)
        if total >= min_weight:
            out.append(_alignment(sa, sb, pa, pb, chain, total, offsets, ia, ib))
    return out


def best_passage(pieces: Sequence[_Piece]) -> tuple[float, list[_Piece]]:
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

def _own_range(s: _Stream, start: int, length: int) -> tuple[int, int]:
    """Own-text character range of stream characters start..start+length."""
    return s.at[start], s.at[start + length - 1] + 1


def _alignment(sa: _Stream, sb: _Stream, pa: int, pb: int, chain: list[_Piece], total: float,
               offsets: dict, ia: int, ib: int) -> Alignment:
    higher, lower = sa.doc.provisions[pa], sb.doc.provisions[pb]
    low = [_own_range(sb, p.b, p.length) for p in chain]
    high = [_own_range(sa, p.a, p.length) for p in chain]
    return Alignment(
        higher=higher.id, lower=lower.id, kind="text_reuse",
        score=round(1.0 - math.exp(-total / SCORE_SCALE), 3),
        evidence=_passage(lower.own_text, low),
        higher_span=_span(sa.doc, higher, high, offsets, ia),
        lower_span=_span(sb.doc, lower, low, offsets, ib),
        higher_doc=sa.doc.file, lower_doc=sb.doc.file, weight=round(total, 2),
        higher_text=_passage(higher.own_text, high))


def _passage(text: str, pieces: list[tuple[int, int]]) -> str:
    """The shared passage as it reads: pieces a short edit apart are shown whole, pieces
    further apart joined by "…"."""
    out = text[pieces[0][0]:pieces[0][1]]
    for (_, prev_end), (i, j) in zip(pieces, pieces[1:]):
        out += text[prev_end:j] if i - prev_end <= 6 else "…" + text[i:j]
    return re.sub(r"\s+", "", out)


def _span(doc: Document, p: Provision, pieces: list[tuple[int, int]],
          offsets: dict, key: int) -> tuple[int, int]:
    """Source span of own-text pieces; one offset map per document, one list per provision."""
    if key not in offsets:
        offsets[key] = OffsetMap(doc)
    m = offsets[key]
    if (key, p.id) not in offsets:
        offsets[(key, p.id)] = m.offsets(p.own_text, p.start)
    offs = offsets[(key, p.id)]
    spans = [m.span(offs, i, j) for i, j in pieces]
    return min(s for s, _ in spans), max(e for _, e in spans)
