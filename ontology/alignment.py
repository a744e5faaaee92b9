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
from itertools import accumulate
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

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
    posts: dict | None = None       # eligible kept shingle → place(s) (see _eligible_positions)
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
        table, top = self._weight_table(), self.n_docs
        return [table[min(c, top)] for c in self.counts(hashes)]

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
    return LEVELS.index(doc.meta.level) if doc.meta.level in LEVELS else None


def may_take_up(higher: Document, lower: Document) -> bool:
    """Direction: strictly higher level, and not issued after the lower document."""
    hl, ll = _level(higher), _level(lower)
    if hl is None or ll is None or hl >= ll:
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
    The metadata gives each document its own region ("东莞市", "沈阳市铁西区"), not the
    regions above it, so those are read: the region of the level above that the lower
    region's name begins with (沈阳市铁西区 → 沈阳市), else the one the lower document's text
    names most often (a 东莞 plan names 广东 far more than any other province).  The
    candidates are the regions of the corpus's own documents at that level — no gazetteer.
    A document naming none (or two equally) is not restricted: candidate ranking bounds it.
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
        """The region at `level` that `doc` belongs to; None: unknown (no restriction)."""
        key = (doc.file, level)
        if key not in self._parents:
            self._parents[key] = self._read_parent(doc, level)
        return self._parents[key]

    def _read_parent(self, doc: Document, level: int) -> str | None:
        if level == 0:
            return None
        regions = self.regions.get(level, ())
        own = doc.meta.region or ""
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
        parent = self.parent(lower, hl)
        return parent is None or parent == higher.meta.region

    def allows(self, higher: Document, lower: Document) -> bool:
        return may_take_up(higher, lower) and self.contains(higher, lower)


def prepare_streams(docs: Sequence[Document]) -> tuple[list[_Stream], DocumentFrequency]:
    """Each document's stream with its kept shingles, and how many documents hold each
    shingle: what find_alignments starts from (the build's incremental state keeps both,
    indexer.incremental.corpus_frequency, instead of deriving them a second time)."""
    streams = [build_stream(d) for d in docs]
    df = DocumentFrequency(sum(len(s.text) for s in streams))
    for s in streams:
        hashes = shingle_hashes(s.text)
        df.add_document(hashes)
        kept = winnow(hashes)
        s.fp_pos = array("i", kept)
        s.fp_hash = array("I", (hashes[i] for i in kept))
    return streams, df


def find_alignments(docs: Sequence[Document], *, min_weight: float = MIN_WEIGHT,
                    allowed: Callable[[Document, Document], bool] | None = None,
                    prepared: tuple[list[_Stream], DocumentFrequency] | None = None
                    ) -> list[Alignment]:
    """Every (higher provision → lower provision) text-reuse link among `docs`; `allowed`
    (default: may_take_up within the document's hierarchy) says which pairs may link;
    `prepared`: prepare_streams(docs), when the caller keeps it."""
    streams, df = prepared if prepared is not None else prepare_streams(docs)
    hierarchy = Hierarchy(d.meta for d in docs) if allowed is None else None
    return align_corpus(streams, df, allowed or hierarchy.allows, min_weight=min_weight,
                        hierarchy=hierarchy)


def align_corpus(streams: Sequence[_Stream], df: DocumentFrequency,
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
    level = _level(lower)
    if level is None:
        return []
    out = []
    for key in sorted(postings, key=lambda k: (k[0], k[1] or "")):
        lv, region = key
        if lv >= level:
            continue
        if hierarchy is None or lv == 0 or region is None:
            out.append(key)
            continue
        parent = hierarchy.parent(lower, lv)
        if parent is None or parent == region:
            out.append(key)
    return out


def _eligible_positions(s: _Stream, df: DocumentFrequency) -> dict[int, int | tuple[int, ...]]:
    """Kept shingle → its place (a tuple of places when it recurs; read with _places), for
    the shingles that can seed a link: in another document too, not pure formula, not
    repeated more than MAX_POSTINGS times here.  Held for every higher document through
    the whole alignment, so one int per shingle rather than a list (half the memory)."""
    if s.posts is None:
        top = df.seed_limit()
        posts: dict[int, list[int]] = defaultdict(list)
        for pos, h, c in zip(s.fp_pos, s.fp_hash, df.counts(s.fp_hash)):
            if 2 <= c <= top:
                posts[h].append(pos)
        s.posts = {h: p[0] if len(p) == 1 else tuple(p)
                   for h, p in posts.items() if len(p) <= MAX_POSTINGS}
    return s.posts


def _places(held) -> Sequence[int]:
    """The places (or documents) of a compact posting: one int, or a sequence of them."""
    return (held,) if type(held) is int else held


def _postings(streams: Sequence[_Stream], df: DocumentFrequency
              ) -> dict[_Bucket, dict[int, int | list[int]]]:
    """(level, region) → eligible shingle → the documents (indices, read with _places) of
    that level and region that keep it: only documents that can be higher."""
    last = len(LEVELS) - 1
    out: dict[_Bucket, dict[int, int | list[int]]] = defaultdict(dict)
    for d, s in enumerate(streams):
        lv = _level(s.doc)
        if lv is None or lv == last:
            continue
        bucket = out[(lv, s.doc.meta.region or None)]
        for h in _eligible_positions(s, df):
            # compact as in _eligible_positions: most shingles are kept by one document
            held = bucket.get(h)
            if held is None:
                bucket[h] = d
            elif type(held) is int:
                bucket[h] = [held, d]
            else:
                held.append(d)
    return out


def candidates(streams: Sequence[_Stream], ib: int, df: DocumentFrequency,
               allowed: Callable[[Document, Document], bool],
               postings: Sequence[dict[int, list[int]]]) -> dict[int, list[int]]:
    """Level → the allowed higher documents (indices) worth comparing closely with
    document `ib`, from the postings it may find them in (see rank_candidates)."""
    lower = streams[ib].doc
    if _level(lower) is None or not postings:
        return {}
    ok: dict[int, bool] = {}

    def holders(h: int) -> list[int]:
        out = []
        for bucket in postings:
            for d in _places(bucket.get(h, ())):
                if d not in ok:
                    ok[d] = d != ib and allowed(streams[d].doc, lower)
                if ok[d]:
                    out.append(d)
        return out

    mine = list(_eligible_positions(streams[ib], df))
    return rank_candidates(mine, df.weights(mine), holders,
                           lambda d: _level(streams[d].doc), lambda d: streams[d].doc.file)


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
    levels: dict[int, list] = defaultdict(list)
    for d in shared:
        levels[level_of(d)].append(d)
    return {lv: _cover(sorted(group, key=name_of), shared) for lv, group in levels.items()}


def _cover(docs: list, shared: dict) -> list:
    covered: set[int] = set()
    chosen: list = []
    left = list(docs)
    while left and len(chosen) < TOP_K:
        gains = [sum(w for h, w in shared[d].items() if h not in covered) for d in left]
        best = max(range(len(left)), key=lambda i: (gains[i], -i))
        if gains[best] <= 0:
            break
        d = left.pop(best)
        chosen.append(d)
        covered.update(shared[d])
    return chosen


def align_group(highers: Sequence[_Stream], sb: _Stream, df: DocumentFrequency,
                min_weight: float = MIN_WEIGHT, offsets: dict | None = None
                ) -> list[Alignment]:
    """The links of lower document `sb` from the candidate documents `highers` of one
    level: each lower character is claimed once for the whole level, by its best source."""
    offsets = {} if offsets is None else offsets
    found: list[tuple[_Stream, _Fragment]] = []
    for sa in sorted(highers, key=lambda s: s.doc.file):
        found.extend((sa, f) for f in _fragments(sa, sb, _pair_seeds(sa, sb, df), df))
    return _links(found, sb, min_weight, offsets)


def _pair_seeds(sa: _Stream, sb: _Stream, df: DocumentFrequency) -> list[tuple[int, int]]:
    """(higher pos, lower pos) of every eligible kept shingle the two documents share."""
    pa, pb = _eligible_positions(sa, df), _eligible_positions(sb, df)
    if len(pa) > len(pb):
        return [(x, y) for h, ys in pb.items() if h in pa
                for x in _places(pa[h]) for y in _places(ys)]
    return [(x, y) for h, xs in pa.items() if h in pb
            for x in _places(xs) for y in _places(pb[h])]


@dataclass(frozen=True)
class _Fragment:
    a: int          # start in the higher stream
    b: int          # start in the lower stream
    length: int
    weight: float   # IDF-weighted length


def _fragments(sa: _Stream, sb: _Stream, pairs: Sequence[tuple[int, int]],
               df: DocumentFrequency) -> list[_Fragment]:
    """Seeds extended to maximal common substrings, each found once."""
    ta, tb = sa.text, sb.text
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)   # diagonal → (b start, b end)
    cum = _weights_sum(sb, df)
    out = []
    for x, y in sorted(set(pairs), key=lambda p: (p[1], p[0])):
        diag = x - y
        if any(lo <= y < hi for lo, hi in found[diag]):
            continue
        back = _common_run(ta, tb, x, y, -1)
        ahead = _common_run(ta, tb, x, y, 1)
        lo_a, lo_b, hi_b = x - back, y - back, y + ahead
        found[diag].append((lo_b, hi_b))
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


def _weights_sum(s: _Stream, df: DocumentFrequency) -> array:
    """cum[i]: the summed weights of the stream's shingles before place i — a passage's
    weight in two look-ups (the same shingles _weigh would hash again)."""
    if s.cum is None:
        ws = df.weights(shingle_hashes(s.text))
        s.cum = array("d", accumulate(ws, initial=0.0))
    return s.cum


@dataclass(frozen=True)
class _Piece:
    a: int          # start in the higher stream
    b: int          # start in the lower stream
    length: int
    weight: float


def _links(found: list[tuple[_Stream, _Fragment]], sb: _Stream, min_weight: float,
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
    streams: dict[int, _Stream] = {}
    for sa, f in found:
        by_doc[id(sa)].append(f)
        streams[id(sa)] = sa
    links = []
    for key, fragments in by_doc.items():
        for (pa, pb), (total, chain) in _doc_links(fragments, streams[key], sb, min_weight):
            links.append((-total, streams[key].doc.file, pa, pb, key, chain))
    links.sort(key=lambda t: t[:4])
    claimed: set[int] = set()
    out = []
    for neg, _, pa, pb, key, chain in links:
        mine = {p.b + k for p in chain for k in range(p.length)}
        free = len(mine - claimed)
        if -neg * free / len(mine) < min_weight:
            continue                     # a copy of what a heavier link of this level explains
        claimed |= mine
        out.append(_alignment(streams[key], sb, pa, pb, chain, -neg, offsets))
    return out


def _doc_links(fragments: list[_Fragment], sa: _Stream, sb: _Stream, min_weight: float
               ) -> list[tuple[tuple[int, int], tuple[float, list]]]:
    """(higher provision, lower provision) → (weight, chain) of one higher document: each
    lower character credited to its best source there (the heaviest match first: a long
    restatement explains a lower passage better than a short phrase that recurs)."""
    claimed: set[int] = set()
    credit: dict[tuple[int, int], list[_Piece]] = defaultdict(list)
    for f in sorted(fragments, key=lambda f: (-f.weight, -f.length, f.a, f.b)):
        free = [k for k in range(f.length) if f.b + k not in claimed]
        if len(free) < MIN_FRAGMENT:
            continue
        claimed.update(f.b + k for k in free)
        lo, hi = free[0], free[-1] + 1       # the part this fragment explains
        credit[(sa.prov[f.a], sb.prov[f.b])].append(
            _Piece(f.a + lo, f.b + lo, hi - lo, f.weight * len(free) / f.length))
    out = []
    for pair, pieces in credit.items():
        total, chain = best_passage(pieces)
        if total >= min_weight:
            out.append((pair, (total, chain)))
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


def _span(doc: Document, p: Provision, pieces: list[tuple[int, int]],
          offsets: dict) -> tuple[int, int]:
    """Source span of own-text pieces; one offset map per document, one packed list per
    provision (kept for the run: a higher provision is a source for many lower ones)."""
    key = doc.file
    if key not in offsets:
        offsets[key] = OffsetMap(doc)
    m = offsets[key]
    if (key, p.id) not in offsets:
        offsets[(key, p.id)] = array("i", m.offsets(p.own_text, p.start))
    offs = offsets[(key, p.id)]
    spans = [m.span(offs, i, j) for i, j in pieces]
    return min(s for s, _ in spans), max(e for _, e in spans)
