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
4. Candidates first, as near-duplicate detection does: for each lower document and each
   higher level, the allowed higher documents sharing its eligible kept shingles are ranked
   by the rarity-weighted shingles they share, as a greedy cover (a second copy of the best
   source adds nothing), and only the TOP_K best are compared closely.  A shingle more than
   MAX_LEVEL_POSTINGS documents of one level keep is that level's formula and ranks nothing.
5. Each shared kept shingle between a candidate and the lower document seeds a local
   alignment, extended to the maximal common substring; its weight is its length times the
   mean weight of all its shingles.  In each higher document each lower character is
   credited to its best source (a sentence the higher plan repeats in three boxes is
   linked once); a provision pair is a link when its best passage — pieces in the same
   order in both texts, a light edit between two pieces costing GAP_COST per character —
   reaches MIN_WEIGHT weighted characters: about one distinctive clause.  Stock phrases
   scattered through two paragraphs do not add up to a passage.
6. Once per level: the heaviest links of a level claim their lower characters first, and a
   link is kept only if what it explains beyond them still reaches MIN_WEIGHT — a lower
   provision links to its provincial and national sources, not to thirty copies of them.

Direction comes from DocumentMeta.level (national > provincial > municipal > county);
documents at the same level are never aligned, a document never takes up one issued after
it, and only the plans of its own hierarchy (Hierarchy: national, its province's, its
city's).  Cost grows with the text and with TOP_K per level — never with all pairs of
documents sharing a passage, nor with all pairs of provisions; the links are at most a few
per lower provision and level.
"""
from __future__ import annotations

import math
import re
import unicodedata
import zlib
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Callable, Iterable, Sequence

import numpy as np

from policykg.corpus.gazetteer import gazetteer
from policykg.corpus.records import Document, Provision
from policykg.corpus.vocabulary import LEVELS
from policykg.ontology.spans import OffsetMap

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
class Stream:
    doc: Document
    text: str
    prov: array                     # per character: index into doc.provisions (-1: a break);
                                    # 2-byte ints where they fit (narrow)
    at: array                       # per character: index into that provision's own_text
    fp_pos: array = field(default_factory=lambda: array("i"))   # kept shingles, ascending
    fp_hash: array = field(default_factory=lambda: array("I"))  # … and their hashes
    posts: "_Posts | None" = None   # eligible kept shingles and places (eligible_positions)
    cum: array | None = None        # running sum of shingle weights (see _weights_sum)


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


def build_stream(doc: Document) -> Stream:
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
    return Stream(doc, "".join(parts), narrow(prov), narrow(at))


def narrow(places: array) -> array:
    """Per-character indices as 2-byte ints when they fit (they nearly always do: a
    provision index, a place in one provision's text), else as they are: every higher
    document's stream is held through the whole alignment."""
    values = np.frombuffer(places, dtype=np.int32)
    if len(values) and (values.min() < -1 or values.max() > 32767):
        return places
    return array("h", values.astype(np.int16).tobytes())


def wide(places: array) -> array:
    """A stream's per-character indices as 4-byte ints (the stream file's format)."""
    if places.typecode == "i":
        return places
    return array("i", np.frombuffer(places, dtype=np.int16).astype(np.int32).tobytes())


NO_SHINGLE = 1 << 32          # above every crc32: a shingle across a break is never kept


def shingle_hashes(text: str) -> list[int]:
    """crc32 of every K-character shingle (of its UTF-32 bytes); NO_SHINGLE across a break."""
    return shingle_hash_array(text).tolist()


@cache
def _crc_tables() -> tuple[int, np.ndarray]:
    """crc32 is affine over GF(2) for a fixed length: crc32(m) = crc32(zeros) xor, for each
    byte place k, table[k][m[k]].  The tables of a K-character (4K-byte) shingle."""
    size = 4 * K
    zero = zlib.crc32(bytes(size))
    table = np.zeros((size, 256), dtype=np.uint32)
    for k in range(size):
        for v in range(256):
            one = bytearray(size)
            one[k] = v
            table[k, v] = zlib.crc32(bytes(one)) ^ zero
    return zero, table


def shingle_hash_array(text: str) -> np.ndarray:
    """shingle_hashes as an int64 array, every crc32 at once: the same values as
    zlib.crc32 of each shingle's bytes (tests/test_alignment.py checks), not one call per
    character — hashing was a fifth of the alignment's time."""
    n = max(len(text) - K + 1, 0)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    zero, table = _crc_tables()
    raw = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint8)
    out = np.full(n, zero, dtype=np.uint32)
    for k in range(4 * K):
        out ^= table[k][raw[k:k + 4 * n:4]]
    hashes = out.astype(np.int64)
    # a shingle with a break in it is never a shingle of the text
    codes = raw.view("<u4")                  # one code point per character
    breaks = np.concatenate([[0], np.cumsum(codes == ord(BREAK))])
    hashes[breaks[K:K + n] - breaks[:n] > 0] = NO_SHINGLE
    return hashes


def winnow(hashes: Sequence[int]) -> list[int]:
    """Positions holding the minimum hash of some WINDOW consecutive ones.

    A position is kept when its hash equals the largest of the window minima around it —
    every window minimum, computed over numpy arrays instead of a Python loop.
    """
    n = len(hashes)
    if n < WINDOW:
        low = min(hashes, default=NO_SHINGLE)
        return [i for i, h in enumerate(hashes) if h == low != NO_SHINGLE][-1:]
    return _winnow_array(np.asarray(hashes, dtype=np.int64)).tolist()


def _winnow_array(h: np.ndarray) -> np.ndarray:
    """winnow over an int64 array of at least WINDOW hashes: the kept positions."""
    n = len(h)
    minima = np.lib.stride_tricks.sliding_window_view(h, WINDOW).min(axis=1)
    pad = np.full(WINDOW - 1, -1, dtype=np.int64)
    padded = np.concatenate([pad, minima, pad])   # padded[j + WINDOW - 1] = min of window j
    around = np.lib.stride_tricks.sliding_window_view(padded, WINDOW)[:n].max(axis=1)
    return np.flatnonzero((h == around) & (h != NO_SHINGLE))


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
        return [min(r0[h & mask], r1[((h * 0x9E3779B1) >> 13) & mask]) if h != NO_SHINGLE else 0
                for h in hashes]

    def counts_array(self, hashes: np.ndarray) -> np.ndarray:
        """counts() of an array of hashes (never NO_SHINGLE: kept shingles), as an int64 array."""
        h = np.asarray(hashes, dtype=np.uint64)
        r0, r1 = (np.frombuffer(r, dtype=np.uint16) for r in self.rows)
        i, j = self._cells(h)
        return np.minimum(r0[i], r1[j]).astype(np.int64)

    def _cells(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sketch cells of uint64 hashes (< 2**32: the product fits in 64 bits)."""
        mask = np.uint64(self.mask)
        return h & mask, ((h * np.uint64(0x9E3779B1)) >> np.uint64(13)) & mask

    def add_document(self, hashes: Sequence[int]) -> None:
        self.n_docs += 1
        h = np.asarray(hashes, dtype=np.int64)
        distinct = np.unique(h[h != NO_SHINGLE]).astype(np.uint64)
        for row, cells in zip(self.rows, self._cells(distinct)):
            # each distinct hash adds one to its cell, saturating (as one at a time would)
            view = np.frombuffer(row, dtype=np.uint16)
            at, times = np.unique(cells, return_counts=True)
            view[at] = np.minimum(view[at].astype(np.int64) + times, 0xFFFF)

    def weights(self, hashes: Sequence[int]) -> list[float]:
        table, top = self._weight_table(), self.n_docs
        return [table[min(c, top)] for c in self.counts(hashes)]

    def weights_array(self, hashes: np.ndarray) -> np.ndarray:
        """weights() of an int64 array of hashes (NO_SHINGLE weighs 0), as a float64 array."""
        h = np.asarray(hashes, dtype=np.int64)
        real = h != NO_SHINGLE
        counts = np.zeros(len(h), dtype=np.int64)
        counts[real] = self.counts_array(h[real])
        table = np.array(self._weight_table(), dtype=np.float64)
        return table[np.minimum(counts, self.n_docs)]

    def _weight_table(self) -> list[float]:
        if len(self._table) != self.n_docs + 1:
            self._table = [0.0] + [idf_weight(df, self.n_docs)
                                   for df in range(1, self.n_docs + 1)]
        return self._table

    def seed_limit(self) -> int:
        """The largest document frequency a seed may have (weight >= SEED_MIN_WEIGHT; the
        weight falls as the frequency grows)."""
        table = self._weight_table()
        return max((c for c in range(len(table)) if table[c] >= SEED_MIN_WEIGHT), default=0)


def idf_weight(df: int, n_docs: int) -> float:
    """1 for a shingle two documents share, towards 0 as every document has it."""
    if df <= 2 or n_docs <= 2:
        return 1.0
    w = math.log((n_docs + 1) / df) / math.log((n_docs + 1) / 2)
    return min(1.0, max(0.0, w))


# ---- the search -------------------------------------------------------------------------------

TOP_K = 5               # candidate higher documents per level for one lower document
MAX_LEVEL_POSTINGS = 24  # a fingerprint more allowed higher documents of one level keep is
                         # that level's formula: it says nothing about which one is the source


def _level(doc: Document) -> int | None:
    """The document's level as a source: None when unknown (it is nobody's source)."""
    return LEVELS.index(doc.meta.level) if doc.meta.level in LEVELS else None


# A document whose level is unknown is still below the national one (every plan in the
# country is): it takes up the national plans, and nothing below them, which it might be
# above or beside.  Silence would lose every link of a plan restating the national one.
UNKNOWN_BELOW = 1


def lower_rank(level: str | None) -> int:
    """The level a document looks up from, as a lower document: its own, or just below
    national when unknown (UNKNOWN_BELOW)."""
    return LEVELS.index(level) if level in LEVELS else UNKNOWN_BELOW


def may_take_up(higher: Document, lower: Document) -> bool:
    """Direction: strictly higher level, and not issued after the lower document."""
    hl, ll = _level(higher), lower_rank(lower.meta.level)
    if hl is None or hl >= ll:
        return False
    if higher.meta.date and lower.meta.date and lower.meta.date < higher.meta.date:
        return False
    return True


# A region's name without its administrative suffix, as texts name it ("广东省" → "广东").
_REGION_SUFFIX = re.compile(r"(特别行政区|(壮族|回族|维吾尔)?自治区|自治州|省|市|地区|盟)$")


_ENCLOSING = re.compile(r"(.{2,}?[市州盟])(?=..)")


def region_stem(region: str) -> str:
    stem = _REGION_SUFFIX.sub("", region)
    return stem if len(stem) >= 2 else region


class Hierarchy:
    """Which higher documents are in a lower document's own line of government.

    A plan takes up its own province's plans and the national ones, not another province's
    (the same national text restated by 30 provinces is 30 restatements, not 30 sources).
    The metadata gives each document its own region ("东莞市", "浏阳市", "北京市朝阳区"), not
    the regions above it.  Those come from the gazetteer of China's divisions
    (corpus.gazetteer): 浏阳市 is under 长沙市 under 湖南省, a district of 北京市 under 北京市
    with no city between (so no municipal plan is its own), whatever province.  A region the
    gazetteer does not know is read as before: the region of the level above that its name
    begins with (沈阳市铁西区 → 沈阳市), else the one of the corpus's regions at that level
    its text names most often (a 东莞 plan names 广东 far more than any other province).
    A document whose line stays unknown is not restricted: candidate ranking bounds it.
    National documents are in every hierarchy.
    """

    def __init__(self, metas: Iterable):
        regions: dict[int, set[str]] = defaultdict(set)
        for m in metas:
            if m.level in LEVELS and m.region:
                regions[LEVELS.index(m.level)].add(m.region)
        self.regions = {lv: tuple(sorted(rs)) for lv, rs in regions.items()}
        self._patterns: dict[int, re.Pattern | None] = {}
        self._parents: dict[tuple[str, int], str | None] = {}

    def parent(self, doc: Document, level: int) -> str | None:
        """The region at `level` that `doc` belongs to; None: unknown (no restriction);
        NOWHERE: none at that level (a 直辖市's district has no city above it)."""
        key = (doc.file, level)
        if key not in self._parents:
            self._parents[key] = self._read_parent(doc, level)
        return self._parents[key]

    def in_line(self, lower: Document, level: int, region: str) -> bool:
        """Whether the plans of `region` at `level` are in `lower`'s line."""
        parent = self.parent(lower, level)
        return parent is None or same_place(parent, region)

    def _read_parent(self, doc: Document, level: int) -> str | None:
        if level == 0:
            return None
        own = doc.meta.region or ""
        above = gazetteer_line(own)
        if above is not None:
            return above.get(level, NOWHERE)
        regions = self.regions.get(level, ())
        prefixed = [r for r in regions if r != own and own.startswith(r)]
        if prefixed:
            return max(prefixed, key=len)
        # "佛山市三水区": the name says the city even when no plan of 佛山 is in the corpus
        # (then no municipal plan is this district's: better none than a wrong one).
        unit = _ENCLOSING.match(own)
        if unit and _level(doc) == level + 1:
            return unit.group(1)
        pattern = self._pattern(level)
        if pattern is None or not doc.source:
            return None
        named = Counter(m.group() for m in pattern.finditer(doc.source))
        ranked = named.most_common(2)
        if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
            return None
        stem = ranked[0][0]
        owners = [r for r in regions if region_stem(r) == stem]
        return owners[0] if len(owners) == 1 else None

    def _pattern(self, level: int) -> re.Pattern | None:
        if level not in self._patterns:
            stems = sorted({region_stem(r) for r in self.regions.get(level, ())},
                           key=lambda s: (-len(s), s))
            self._patterns[level] = re.compile("|".join(map(re.escape, stems))) if stems else None
        return self._patterns[level]

    def contains(self, higher: Document, lower: Document) -> bool:
        hl = _level(higher)
        if hl is None or hl == 0 or not higher.meta.region:
            return True
        return self.in_line(lower, hl, higher.meta.region)

    def allows(self, higher: Document, lower: Document) -> bool:
        return may_take_up(higher, lower) and self.contains(higher, lower)


NOWHERE = ""          # Hierarchy.parent: no region at that level is the document's own


@cache
def _division(region: str):
    """The division a region string names in full ([province][city][county]), or None."""
    if not region:
        return None
    found = gazetteer().match(region)
    return found.division if found is not None and found.end == len(region) else None


@cache
def gazetteer_line(region: str) -> dict[int, str] | None:
    """Level → the region above (or at) `region` at that level, from the gazetteer: 浏阳市
    → {0: …, 1: 湖南省, 2: 长沙市, 3: 浏阳市}; None when the gazetteer does not know it."""
    d = _division(region)
    if d is None:
        return None
    gaz = gazetteer()
    out: dict[int, str] = {}
    while d is not None:
        out[LEVELS.index(d.level)] = gaz.region(d)
        d = gaz.parent(d)
    return out


def same_place(a: str, b: str) -> bool:
    """Two region strings for one place (广州市黄埔区 / 黄埔区 under 广州市 alike)."""
    if a == b:
        return True
    da, db = _division(a), _division(b)
    return da is not None and da == db


def prepare_streams(docs: Sequence[Document]) -> tuple[list[Stream], DocumentFrequency]:
    """Each document's stream with its kept shingles, and how many documents hold each
    shingle: what find_alignments starts from (the build's incremental state keeps both,
    pipeline.shingles.corpus_frequency, instead of deriving them a second time)."""
    streams = [build_stream(d) for d in docs]
    df = DocumentFrequency(sum(len(s.text) for s in streams))
    for s in streams:
        hashes = shingle_hash_array(s.text)
        df.add_document(hashes)
        keep_fingerprints(s, hashes)
    return streams, df


def keep_fingerprints(s: Stream, hashes: np.ndarray) -> None:
    """The stream's kept shingles (winnow) and their hashes, from all its shingle hashes."""
    kept = (_winnow_array(hashes) if len(hashes) >= WINDOW
            else np.array(winnow(hashes.tolist()), dtype=np.int64))
    s.fp_pos = array("i", kept.astype(np.int32).tobytes())
    s.fp_hash = array("I", hashes[kept].astype(np.uint32).tobytes())


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
        if _level(streams[ib].doc) == len(LEVELS) - 1:
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
class _Posts:
    """Eligible kept shingles of one stream and their places, as flat arrays: `keys` the
    shingle hashes (sorted, unique), `places` their places grouped by key (ascending in
    each group), `starts[k]:starts[k + 1]` key k's group.  Held for every higher document
    through the whole alignment: 12 bytes a shingle, where a dict of ints took ~100."""

    keys: np.ndarray                # uint32
    places: np.ndarray              # int32
    starts: np.ndarray              # int64, len(keys) + 1

    def seeds(self, other: "_Posts") -> tuple[np.ndarray, np.ndarray]:
        """(my places, other's places) of every pair of places of a shingle both keep."""
        _, mine, theirs = np.intersect1d(self.keys, other.keys, assume_unique=True,
                                         return_indices=True)
        return _expand(self, mine, other, theirs)


def _expand(pa: _Posts, ia: np.ndarray, pb: _Posts, ib: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Every (place in a, place in b) of the shared keys ia (of a) and ib (of b)."""
    na = pa.starts[ia + 1] - pa.starts[ia]
    nb = pb.starts[ib + 1] - pb.starts[ib]
    if len(na) == 0 or (na.max() == 1 and nb.max() == 1):   # the usual case: one place each
        return pa.places[pa.starts[ia]], pb.places[pb.starts[ib]]
    per = na * nb                                  # pairs per shared key
    key = np.repeat(np.arange(len(ia)), per)
    k = _within(per)                               # index within the key
    xa = pa.starts[ia][key] + k // nb[key]
    xb = pb.starts[ib][key] + k % nb[key]
    return pa.places[xa], pb.places[xb]


def _within(per: np.ndarray) -> np.ndarray:
    """0, 1, … per[0] - 1, 0, 1, … per[1] - 1, …: each item's index within its group."""
    return np.arange(per.sum()) - np.repeat(np.cumsum(per) - per, per)


def eligible_positions(s: Stream, df: DocumentFrequency) -> _Posts:
    """The kept shingles that can seed a link, with their places (see _Posts): in another
    document too, not pure formula, not repeated more than MAX_POSTINGS times here."""
    if s.posts is None:
        top = df.seed_limit()
        hashes = np.frombuffer(s.fp_hash, dtype=np.uint32)
        places = np.frombuffer(s.fp_pos, dtype=np.int32)
        counts = df.counts_array(hashes)
        ok = (counts >= 2) & (counts <= top)
        hashes, places = hashes[ok], places[ok]
        order = np.argsort(hashes, kind="stable")      # places stay ascending in a group
        hashes, places = hashes[order], places[order]
        keys, sizes = np.unique(hashes, return_counts=True)
        if len(keys) and sizes.max() > MAX_POSTINGS:
            wanted = sizes <= MAX_POSTINGS
            places = places[np.repeat(wanted, sizes)]
            keys, sizes = keys[wanted], sizes[wanted]
        starts = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(sizes, out=starts[1:])
        s.posts = _Posts(keys.astype(np.uint32), places.astype(np.int32), starts)
    return s.posts


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
        lv = _level(s.doc)
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
        found_doc.append(bucket.docs[np.repeat(lo[hit], per) + _within(per)])
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
    levels[found] = [_level(streams[d].doc) for d in found.tolist()]
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
    return _choose(shared, lambda d: _level(streams[d].doc), lambda d: streams[d].doc.file)


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
