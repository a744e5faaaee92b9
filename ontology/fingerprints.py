"""What a document is reduced to for finding restated passages (ontology.alignment): one
stream of characters, its kept shingles, and how rare each shingle is across the corpus.

Separate from the search because it is what the build keeps: an add reads the streams,
kept shingles and frozen frequencies of the last build (pipeline.shingles) and aligns a new
document with them, without preparing the corpus again.

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
   shingle.  The kept shingles that can seed a link, with their places, are what the
   search's inverted index is made of (eligible_positions).
3. A shingle's weight is its rarity across the corpus, a smoothed inverse document
   frequency normalised to 1 for a shingle only two documents share, falling towards 0 for
   one every document has.  Boilerplate every plan repeats (以习近平新时代中国特色社会主义
   思想为指导……) is discounted by the corpus itself, never by a stop list.
"""
from __future__ import annotations

import math
import re
import unicodedata
import zlib
from array import array
from dataclasses import dataclass, field
from functools import cache
from typing import Sequence

import numpy as np

from policykg.corpus.records import Document

K = 8                 # shingle length, characters
WINDOW = 4            # winnowing window: common runs of K + WINDOW - 1 = 11 chars always seed
SEED_MIN_WEIGHT = 0.05   # shingles more common than this are never seeds (pure formula)
MAX_POSTINGS = 64     # per shingle and document: a string repeated more often is formula
BREAK = "\x00"


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
    cum: array | None = None        # running sum of shingle weights (alignment._weights_sum)


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


# ---- the corpus prepared ----------------------------------------------------------------------

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


# ---- the shingles that can seed a link --------------------------------------------------------

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
    k = within(per)                                # index within the key
    xa = pa.starts[ia][key] + k // nb[key]
    xb = pb.starts[ib][key] + k % nb[key]
    return pa.places[xa], pb.places[xb]


def within(per: np.ndarray) -> np.ndarray:
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
