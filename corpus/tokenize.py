"""The one jieba tokenizer that indexing and querying share, and its domain dictionary.

jieba's general dictionary cuts policy vocabulary apart (学制 / 技师, 产教 / 融合), so a
query and a sentence can be cut differently.  The domain dictionary is derived from the
corpus itself, never typed in: terms set in quotes (“校企双制”), box titles, department
names, and compounds that recur with stable boundaries (技工院校, 市域产教联合体), found
with the usual new-word statistics (frequency, cohesion, neighbour entropy).
"""
from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import jieba

from corpus.text import CJK

log = logging.getLogger(__name__)
jieba.setLogLevel(logging.WARNING)

_QUOTED = re.compile(r"“([^”“]{2,12})”")
# A place name is only taken where nothing Chinese stands before it ("东莞市…局" at the
# start of a line), so a verb before 市 (…由市人力资源社会保障局) is not read as a place.
_ORG = re.compile(rf"(?:(?<![{CJK}])[{CJK}]{{2,3}}(?:省|市)|省|市|区|县)?"
                  r"(?:人力资源和社会保障|人力资源社会保障|发展和改革|发展改革|工业和信息化|"
                  r"教育|财政|科技|科学技术|自然资源|农业农村|商务|民政|住房城乡建设|交通运输|"
                  r"水利|文化和旅游|卫生健康|体育|广电)"
                  r"(?:部|厅|局|委员会|委)")
_RUN = re.compile(f"[{CJK}]+")
# Characters that glue words together but never start or end a term.
_EDGE_STOP = set("的了和与及或等在是对为把被将从以于其之并而也都就中上下个各这那有所向由让使")


def fold(text: str) -> str:
    """Full/half-width and case folded, one character for one: offsets stay valid."""
    out = []
    for ch in text:
        f = unicodedata.normalize("NFKC", ch)
        out.append(f.lower() if len(f) == 1 else ch)
    return "".join(out)


def quoted_terms(text: str) -> set[str]:
    """Terms the text itself sets in quotes: “校企双制”, “粤菜师傅”."""
    out = set()
    for m in _QUOTED.finditer(text):
        term = m.group(1).strip()
        if re.fullmatch(rf"[{CJK}0-9+＋]{{2,12}}", term):
            out.add(term)
    return out


def department_names(text: str) -> set[str]:
    return {m.group(0) for m in _ORG.finditer(text) if len(m.group(0)) <= 16}


def recurring_compounds(texts: Sequence[str], min_count: int = 4, max_len: int = 7,
                        min_entropy: float = 1.0, min_pmi: float = 3.0) -> set[str]:
    """Character strings that recur as units: high cohesion inside, varied neighbours outside.

    This is the standard unsupervised new-word measure: a string is a word when its parts
    co-occur far more than chance (pointwise mutual information at every split) and it is
    found next to many different characters on both sides (boundary entropy).  Counting
    is done in C (Counter.update over slices); neighbours are only gathered, in a second
    pass, for the strings that pass frequency and cohesion.
    """
    runs = [r for t in texts for r in _RUN.findall(t)]
    counts: Counter[str] = Counter()
    for run in runs:
        n = len(run)
        for k in range(1, min(max_len, n) + 1):
            counts.update(run[i:i + k] for i in range(n - k + 1))
    total = sum(len(r) for r in runs) or 1
    cohesive = set()
    for gram, f in counts.items():
        if len(gram) < 3 or f < min_count or gram[0] in _EDGE_STOP or gram[-1] in _EDGE_STOP:
            continue
        pmi = min(math.log(f * total / (counts[gram[:i]] * counts[gram[i:]]))
                  for i in range(1, len(gram)))
        if pmi >= min_pmi:
            cohesive.add(gram)
    left, right, seen_at = _neighbours(runs, cohesive)

    def entropy(c: Counter) -> float:
        s = sum(c.values())
        return -sum(v / s * math.log(v / s) for v in c.values())

    found = {g: counts[g] for g in cohesive
             if min(entropy(left[g]), entropy(right[g])) >= min_entropy}
    bounds = _BoundaryCache(runs)
    found = {g: f for g, f in found.items() if _respects_words(g, seen_at[g], bounds)}
    # A string that only ever occurs inside one longer term is part of that term.
    keep = set(found)
    for gram, f in found.items():
        for other, g in found.items():
            if other != gram and gram in other and g >= 0.8 * f:
                keep.discard(gram)
                break
    return keep


def _neighbours(runs: Sequence[str], grams: set[str], keep: int = 30):
    """Left and right neighbour counts of each gram, and its first `keep` places."""
    left: dict[str, Counter] = defaultdict(Counter)
    right: dict[str, Counter] = defaultdict(Counter)
    seen_at: dict[str, list[tuple[int, int]]] = defaultdict(list)
    lengths = sorted({len(g) for g in grams})
    for r, run in enumerate(runs):
        n = len(run)
        for k in lengths:
            for i in range(n - k + 1):
                gram = run[i:i + k]
                if gram in grams:
                    left[gram][run[i - 1] if i else "^"] += 1
                    right[gram][run[i + k] if i + k < n else "$"] += 1
                    if len(seen_at[gram]) < keep:
                        seen_at[gram].append((r, i))
    return left, right, seen_at


class _BoundaryCache:
    """jieba's general-dictionary word boundaries of each run, cut once when first asked."""

    def __init__(self, runs: Sequence[str]):
        self.runs = runs
        self._bounds: dict[int, set[int]] = {}

    def bounds(self, i: int) -> set[int]:
        if i not in self._bounds:
            out, pos = {0}, 0
            for word in jieba.cut(self.runs[i], HMM=False):
                pos += len(word)
                out.add(pos)
            self._bounds[i] = out
        return self._bounds[i]


def _respects_words(gram: str, places: Sequence[tuple[int, int]],
                    cache: _BoundaryCache) -> bool:
    """Most occurrences start and end where jieba's general dictionary puts a boundary.

    This keeps out strings that straddle a word: 生产实(习), 具有广(东).
    """
    aligned = sum(start in cache.bounds(r) and start + len(gram) in cache.bounds(r)
                  for r, start in places)
    return bool(places) and aligned / len(places) >= 0.6


def sample_texts(texts: Sequence[str], budget: int) -> list[str]:
    """An evenly spread, deterministic sample of texts of at most `budget` characters.

    Recurring compounds show in any large enough slice of a corpus; past a few million
    characters more text only adds counting time (the measure is linear in its input).
    """
    total = sum(len(t) for t in texts)
    if total <= budget:
        return list(texts)
    stride = total / budget
    out, acc, next_at = [], 0.0, 0.0
    for t in texts:
        if acc >= next_at:
            out.append(t)
            next_at += stride * len(t)
        acc += len(t)
    return out


def domain_terms(texts: Sequence[str], titles: Iterable[str] = (),
                 compound_budget: int = 2_000_000) -> list[str]:
    """The domain dictionary of a corpus, sorted for a stable file.

    Quoted terms, department names and titles come from every text (regular expressions,
    fast); recurring compounds from an evenly spread sample of `compound_budget` characters.
    """
    terms: set[str] = set()
    for text in texts:
        terms |= quoted_terms(text)
        terms |= department_names(text)
    terms |= {t for t in titles if 2 <= len(t) <= 16 and _RUN.fullmatch(t)}
    terms |= recurring_compounds(sample_texts(texts, compound_budget))
    return sorted(terms)


class Tokenizer:
    """jieba with the domain dictionary, loaded once per process and shared."""

    _cache: dict[tuple[str, ...], "Tokenizer"] = {}
    _lock = threading.Lock()

    def __init__(self, terms: Sequence[str] = ()):
        self.terms = tuple(sorted(set(terms)))
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        for term in self.terms:
            self._jieba.add_word(fold(term))
        for term in self.terms:
            # Make sure the term comes out whole even where the general dictionary's
            # statistics favour another cut; jieba works this frequency out itself.
            self._jieba.suggest_freq(fold(term), tune=True)

    @classmethod
    def shared(cls, terms: Sequence[str] = ()) -> "Tokenizer":
        key = tuple(sorted(set(terms)))
        with cls._lock:
            if key not in cls._cache:
                cls._cache[key] = cls(key)
            return cls._cache[key]

    @classmethod
    def from_file(cls, path: Path) -> "Tokenizer":
        terms = path.read_text(encoding="utf-8").split("\n") if path.exists() else []
        return cls.shared([t for t in terms if t.strip()])

    def save(self, path: Path) -> None:
        path.write_text("\n".join(self.terms) + "\n", encoding="utf-8")

    def cut(self, text: str) -> list[str]:
        """Precise-mode words, whitespace dropped."""
        return [w for w in self._jieba.cut(fold(text), HMM=True) if w.strip()]

    def tokens(self, text: str, search: bool = True) -> Iterator[tuple[str, int, int]]:
        """(word, start, end) over `text`; search mode also yields the parts of long words."""
        mode = "search" if search else "default"
        for word, start, end in self._jieba.tokenize(fold(text), mode=mode, HMM=True):
            if word.strip():
                yield word, start, end
