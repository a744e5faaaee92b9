"""The one tokenizer that indexing and querying share, and its domain dictionary.

The tokenizer is jieba's algorithm, run by jieba or by rjieba (jieba-rs, the same cuts
many times faster; see `Tokenizer`).  jieba's general dictionary cuts policy vocabulary apart (学制 / 技师, 产教 / 融合), so a
query and a sentence can be cut differently.  The domain dictionary is derived from the
corpus itself, never typed in: terms set in quotes (“校企双制”), box titles, department
names, and compounds that recur with stable boundaries (技工院校, 市域产教联合体), found
with the usual new-word statistics (frequency, cohesion, neighbour entropy).

A domain word never spans a conjunction or function word that joins two words (企业与技工院校,
国家和省: phrases that recur, not words), unless the joint lies inside a body's name
(人力资源和社会保障厅): see `joins_words`.  Such a word would hide its parts from the
sentence's cut, so a query for one of them (链主企业) no longer finds it as a word.
"""
from __future__ import annotations

import bisect
import collections
import itertools
import logging
import math
import operator
import re
import threading
import unicodedata
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import jieba

from policykg.corpus.script import simplify_query
from policykg.corpus.text import CJK

log = logging.getLogger(__name__)
jieba.setLogLevel(logging.WARNING)

_QUOTED = re.compile(r"“([^”“]{2,12})”")
# Body names written with 和 — the names of the 2018 institutional reform (国务院机构改革方案
# and the provincial and municipal plans that followed; ontology/dept_naming.toml cites the
# same sources): the one place a 和 stands inside a word.
_JOINED_BODY = (r"(?:人力资源和社会保障|发展和改革|工业和信息化|经济和信息化|住房和城乡建设|"
                r"文化和旅游|文化广电和旅游|规划和自然资源)")
_ORG_CORE = (rf"(?:{_JOINED_BODY}|人力资源社会保障|发展改革|"
             r"教育|财政|科技|科学技术|自然资源|农业农村|商务|民政|住房城乡建设|交通运输|"
             r"水利|卫生健康|体育|广电)"
             # 部门 is any department ("各级人力资源社会保障部门"), not a ministry.
             r"(?:部(?!门)|厅|局|委员会|委)")
# A place name is only taken where nothing Chinese stands before it ("东莞市…局" at the
# start of a line), so a verb before 市 (…由市人力资源社会保障局) is not read as a place.
_ORG = re.compile(rf"(?:(?<![{CJK}])[{CJK}]{{2,3}}(?:省|市)|省|市|区|县)?" + _ORG_CORE)
# Every name contains a core; a text without one is skipped (this pattern can start only
# at a core's first characters, so the regex engine scans for it quickly).
_HAS_ORG = re.compile(_ORG_CORE)
_RUN = re.compile(f"[{CJK}]+")
# Characters that glue words together but never start or end a term.
EDGE_STOP = set("的了和与及或等在是对为把被将从以于其之并而也都就中上下个各这那有所向由让使")
# Conjunctions and function words that join two words ("企业与技工院校", "国家和省",
# "钳工等工种"), as jieba's general dictionary cuts them out of a phrase; inside a word they
# are not cut out (共和国, 等级, 目的, 合并, 普及), so the cut tells joint from word.
_JOINERS = frozenset({"与", "和", "及", "或", "的", "等", "并", "暨", "以及", "及其", "并且",
                      "或者", "而且"})
_JOINED_BODY_RE = re.compile(_JOINED_BODY)


class _FoldTable(dict):
    """str.translate's table for `fold`, filled in as characters are first seen."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        f = unicodedata.normalize("NFKC", ch)
        self[code] = out = f.lower() if len(f) == 1 and len(f.lower()) == 1 else ch
        return out


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Full/half-width and case folded, one character for one: offsets stay valid.

    str.translate looks each character up in C; a character is normalised once.
    """
    return text.translate(_FOLD)


def query_text(text: str) -> str:
    """A query as the index reads text: in simplified characters, one for one.

    Documents are read in simplified characters (corpus.script converts traditional
    copies when they are read), so a query typed in traditional ones (技師學院) is
    converted the same way before it is parsed and cut.
    """
    return simplify_query(text)


def quoted_terms(text: str) -> set[str]:
    """Terms the text itself sets in quotes: “校企双制”, “粤菜师傅”."""
    out = set()
    for m in _QUOTED.finditer(text):
        term = m.group(1).strip()
        if re.fullmatch(rf"[{CJK}0-9+＋]{{2,12}}", term):
            out.add(term)
    return out


def joins_words(term: str) -> bool:
    """Whether a conjunction or function word joins two words inside `term`.

    A joint inside a body's name (人力资源和社会保障厅) is not one: the name is a word.
    One at the term's edge joins nothing inside it.
    """
    names = [m.span() for m in _JOINED_BODY_RE.finditer(term)]
    start = 0
    for word in general_jieba().cut(term, HMM=False):
        end = start + len(word)
        if (word in _JOINERS and 0 < start and end < len(term)
                and not any(a <= start and end <= b for a, b in names)):
            return True
        start = end
    return False


def department_names(text: str) -> set[str]:
    if not _HAS_ORG.search(text):
        return set()
    return {m.group(0) for m in _ORG.finditer(text) if len(m.group(0)) <= 16}


def recurring_compounds(texts: Sequence[str], min_count: int = 4, max_len: int = 7,
                        min_entropy: float = 1.0, min_pmi: float = 3.0) -> set[str]:
    """Character strings that recur as units: high cohesion inside, varied neighbours outside.

    This is the standard unsupervised new-word measure: a string is a word when its parts
    co-occur far more than chance (pointwise mutual information at every split) and it is
    found next to many different characters on both sides (boundary entropy).  A string
    that joins two words with a conjunction is a recurring phrase, never a word
    (`joins_words`).
    """
    runs = _Runs([r for t in texts for r in _RUN.findall(t)])
    total = runs.chars or 1
    counts: dict[str, int] = {}
    entropy: dict[str, float] = {}
    for level in runs.levels(max_len, min_count):
        counts.update(level.grams)
        if level.k < 3:
            continue
        # Every part of a frequent string is frequent, so `counts` holds all the parts.
        cohesive = {g for g, f in level.grams.items()
                    if g[0] not in EDGE_STOP and g[-1] not in EDGE_STOP
                    and _cohesion(g, f, counts, total) >= min_pmi}
        entropy.update(level.entropies(cohesive))
    # Phrases are dropped before longer strings hide their parts (`_parts_of_longer`).
    found = {g: counts[g] for g, e in entropy.items()
             if e >= min_entropy and not joins_words(g)}
    bounds = _BoundaryCache(runs)
    found = {g: f for g, f in found.items()
             if _respects_words(g, runs.first_places(g), bounds)}
    return set(found) - _parts_of_longer(found)


def _cohesion(gram: str, f: int, counts: dict[str, int], total: int) -> float:
    """Pointwise mutual information at the gram's weakest split."""
    return min(math.log(f * total / (counts[gram[:i]] * counts[gram[i:]]))
               for i in range(1, len(gram)))


def _parts_of_longer(found: dict[str, int]) -> set[str]:
    """Found strings that only ever occur inside one longer found string (>= 80% of the time).

    Each found string's own substrings are looked up, rather than every pair compared.
    """
    out = set()
    for other, g in found.items():
        n = len(other)
        for k in range(1, n):
            for i in range(n - k + 1):
                part = other[i:i + k]
                if part in found and g >= 0.8 * found[part]:
                    out.add(part)
    return out


@dataclass(frozen=True)
class _Level:
    """The frequent strings of k characters, and every one of them with a neighbour.

    `around` counts the (k + 1)-character strings at each place where a frequent k-gram
    starts or starts one place later: a frequent gram plus its right neighbour, or its
    left neighbour plus the gram.  The separator stands for a run's edge.
    """

    k: int
    grams: dict[str, int]
    around: dict[str, int]

    def entropies(self, grams: set[str]) -> dict[str, float]:
        """The lower of left and right neighbour entropy of each of `grams`."""
        left: dict[str, list[int]] = defaultdict(list)
        right: dict[str, list[int]] = defaultdict(list)
        if grams:
            for s, c in self.around.items():
                if s[1:] in grams:
                    left[s[1:]].append(c)
                if s[:-1] in grams:
                    right[s[:-1]].append(c)
        return {g: min(_entropy(left[g]), _entropy(right[g])) for g in grams}


def _entropy(counts: Sequence[int]) -> float:
    n = sum(counts)
    return -sum(v / n * math.log(v / n) for v in counts)


@dataclass(frozen=True)
class _Group:
    """Distinct runs that occur `times` times each, joined with the separator."""

    times: int
    text: str


class _Runs:
    """The runs of Chinese characters of a sample, counted level by level.

    Three things keep this fast at millions of characters.  A run that repeats (boilerplate
    across documents) is counted once and weighted.  Grams are counted level by level
    (apriori): a string of k + 1 characters can only be frequent where its first k are, so
    each level extends only the places of the level before, and that one count also gives
    each frequent gram's neighbours.  Per-place work is done by C iterators (map, compress,
    Counter), not Python loops.
    """

    SEP = "\n"

    def __init__(self, runs: Sequence[str]):
        self.runs = list(runs)
        self.chars = sum(len(r) for r in self.runs)
        # The whole sample in order, to find a gram's first places and the run they are in.
        self.text = self.SEP + self.SEP.join(self.runs) + self.SEP
        self.starts = list(itertools.accumulate((len(r) + 1 for r in self.runs[:-1]),
                                                initial=1))
        by_times: dict[int, list[str]] = defaultdict(list)
        for run, times in Counter(self.runs).items():
            by_times[times].append(run)
        self.groups = [_Group(t, self.SEP + self.SEP.join(rs) + self.SEP)
                       for t, rs in sorted(by_times.items())]

    def levels(self, max_len: int, min_count: int) -> Iterator[_Level]:
        """Each level k = 1..max_len: the strings of k characters seen min_count times or more."""
        sep = self.SEP
        counts = self._weighted(Counter(g.text) for g in self.groups)
        grams = {c: f for c, f in counts.items() if f >= min_count and c != sep}
        # Per group: 1 where a frequent k-gram starts.
        marks = [bytes(map(grams.__contains__, g.text)) for g in self.groups]
        for k in range(1, max_len + 1):
            places, found = [], []
            for group, at in zip(self.groups, marks):
                # A frequent gram here, or one place on (this place is its left neighbour).
                near = array("q", itertools.compress(itertools.count(),
                                                     map(operator.or_, at, at[1:])))
                places.append(near)
                found.append(list(map(group.text.__getitem__,
                                      map(slice, near, map((k + 1).__add__, near)))))
            around = self._weighted(map(Counter, found))
            yield _Level(k, grams, around)
            if k == max_len:
                break
            grams = {s: f for s, f in around.items() if f >= min_count and sep not in s}
            if not grams:
                break
            marks = [self._mark(len(g.text), itertools.compress(near, map(grams.__contains__, f)))
                     for g, near, f in zip(self.groups, places, found)]

    def _weighted(self, counters: Iterable[Counter]) -> dict[str, int]:
        """The groups' counts added up, each times its runs' number of occurrences."""
        total: Counter[str] = Counter()
        for group, c in zip(self.groups, counters):
            if group.times == 1:
                total.update(c)
            else:
                for s, n in c.items():
                    total[s] += n * group.times
        return total

    @staticmethod
    def _mark(size: int, places: Iterable[int]) -> bytearray:
        out = bytearray(size)
        collections.deque(map(out.__setitem__, places, itertools.repeat(1)), maxlen=0)
        return out

    def first_places(self, gram: str, keep: int = 30) -> list[int]:
        """The first `keep` places of a gram in the sample (overlapping ones included)."""
        out, at = [], self.text.find(gram)
        while at >= 0 and len(out) < keep:
            out.append(at)
            at = self.text.find(gram, at + 1)
        return out

    def locate(self, place: int) -> tuple[int, int]:
        """(run index, offset in the run) of a place in `text`."""
        r = bisect.bisect_right(self.starts, place) - 1
        return r, place - self.starts[r]


class _BoundaryCache:
    """jieba's general-dictionary word boundaries of each run, cut once when first asked."""

    def __init__(self, runs: _Runs):
        self.runs = runs
        self._bounds: dict[int, set[int]] = {}

    def bounds(self, i: int) -> set[int]:
        if i not in self._bounds:
            out, pos = {0}, 0
            for word in general_jieba().cut(self.runs.runs[i], HMM=False):
                pos += len(word)
                out.add(pos)
            self._bounds[i] = out
        return self._bounds[i]

    def aligned(self, gram: str, place: int) -> bool:
        r, start = self.runs.locate(place)
        b = self.bounds(r)
        return start in b and start + len(gram) in b


def _respects_words(gram: str, places: Sequence[int], cache: _BoundaryCache,
                    share: float = 0.6) -> bool:
    """Most occurrences start and end where jieba's general dictionary puts a boundary.

    This keeps out strings that straddle a word: 生产实(习), 具有广(东).  Stops as soon as
    the answer is settled, so fewer runs are cut (cutting is the slow part).
    """
    if not places:
        return False
    total, aligned = len(places), 0
    for n, place in enumerate(places, 1):
        aligned += cache.aligned(gram, place)
        if aligned / total >= share or (aligned + total - n) / total < share:
            break
    return aligned / total >= share


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
    # A quoted phrase or a title joining two things (技工教育与职业教育融合发展计划) is cut
    # as the words it joins; a department name passes (its 和 is in a body's name).
    terms = {t for t in terms if not joins_words(t)}
    terms |= recurring_compounds(sample_texts(texts, compound_budget))
    return sorted(terms)


# Engines that cut text: jieba (Python) and rjieba (jieba-rs: the same algorithm and
# general dictionary in Rust, many times faster).  A generation's dict.txt records the
# engine it was built with and the domain words' frequencies (`save`); its queries are cut
# by the same engine with the same frequencies (`from_file`).
ENGINES = ("jieba", "rjieba")


def available_engines() -> tuple[str, ...]:
    try:
        import rjieba  # noqa: F401
    except ImportError:
        return ("jieba",)
    return ENGINES


def default_engine() -> str:
    """The engine a new build uses: rjieba where it is installed (it cuts the same way)."""
    return "rjieba" if "rjieba" in available_engines() else "jieba"


_general_lock = threading.Lock()
_general_jieba: jieba.Tokenizer | None = None


def general_jieba() -> jieba.Tokenizer:
    """jieba with its general dictionary alone, loaded once per process (about a second of
    CPU): jieba tokenizers start from a copy of it, and it is never changed."""
    global _general_jieba
    with _general_lock:
        if _general_jieba is None:
            tk = jieba.Tokenizer()
            tk.initialize()
            _general_jieba = tk
        return _general_jieba


def _jieba_copy() -> jieba.Tokenizer:
    base = general_jieba()
    tk = jieba.Tokenizer()
    tk.FREQ, tk.total, tk.initialized = dict(base.FREQ), base.total, True
    return tk


# Never part of a block of text the engines cut (private-use characters), so it can carry
# the frequency that makes rjieba's total equal jieba's.
_BALANCE = "\ue000\ue001"


@dataclass(frozen=True)
class Tuning:
    """The domain words' frequencies, as jieba's tuning settles them, and what they add up to.

    A cut's score is the sum of log(freq / total) over its words, so an engine cuts as
    jieba does when both its frequencies and its total agree.  `balance` is what rjieba's
    total lacks: jieba adds every add_word's frequency to its total (each term is added
    twice, plain then tuned), jieba-rs replaces a word's old frequency.
    """

    freqs: dict[str, int]           # folded word → frequency
    total: int
    balance: int

    @classmethod
    def of(cls, terms: Sequence[str]) -> "Tuning":
        tk = _tuned_jieba(terms)
        base = general_jieba()
        freqs = {w: tk.FREQ[w] for w in dict.fromkeys(fold(t) for t in terms)}
        rjieba_total = base.total + sum(f - base.FREQ.get(w, 0) for w, f in freqs.items())
        return cls(freqs, tk.total, max(0, tk.total - rjieba_total))


def _tuned_jieba(terms: Sequence[str]) -> jieba.Tokenizer:
    """jieba with the domain words added, each at the frequency that keeps it whole."""
    tk = _jieba_copy()
    words = [fold(t) for t in terms]
    for word in words:
        tk.add_word(word)
    for word in words:
        # Make sure the term comes out whole even where the general dictionary's
        # statistics favour another cut; jieba works this frequency out itself.
        tk.suggest_freq(word, tune=True)
    return tk


def _jieba_engine(tuning: Tuning):
    tk = _jieba_copy()
    for word, f in tuning.freqs.items():
        tk.add_word(word, f)
    tk.total = tuning.total
    return (lambda text: tk.cut(text, HMM=True),
            lambda text, mode: tk.tokenize(text, mode=mode, HMM=True))


def _rjieba_engine(tuning: Tuning):
    import rjieba
    rj = rjieba.Jieba()
    for word, f in tuning.freqs.items():
        rj.add_word(word, f, None)
    if tuning.balance:
        rj.add_word(_BALANCE, tuning.balance, None)

    def cut(text: str) -> list[str]:
        words = rj.cut(text, True)
        if not _GLUED.search(text):
            return words
        return [p for w in words for p, _ in _as_jieba(w, 0, rj.has_word)]

    def tokenize(text: str, mode: str) -> list[tuple[str, int, int]]:
        found = rj.tokenize(text, mode, True)
        if not _GLUED.search(text):
            return found
        return [(p, at, at + len(p)) for w, start, _ in found
                for p, at in _as_jieba(w, start, rj.has_word)]

    return cut, tokenize


# jieba-rs's HMM step splits letters and digits with `[a-zA-Z0-9]+(?:.\d+)?%?` (an
# unescaped dot) and keeps some joined ASCII runs whole, where jieba splits "1-2" into
# 1 / - / 2: rjieba's output is put right where the text has such a place (a dictionary
# word such as 1+1+9 stays whole in both).
_GLUED = re.compile(r"[a-zA-Z0-9][+#&_%\-][a-zA-Z0-9]")
_ASCII_RUN = re.compile(r"[a-zA-Z0-9+#&._%\-]+")
_JIEBA_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")     # jieba.finalseg.re_skip


def _as_jieba(word: str, start: int, is_word) -> Iterator[tuple[str, int]]:
    """(piece, start) as jieba's HMM step cuts an ASCII run; any other word as it is."""
    if (len(word) < 3 or not _ASCII_RUN.fullmatch(word) or _JIEBA_SKIP.fullmatch(word)
            or is_word(word)):
        yield word, start
        return
    for piece in _JIEBA_SKIP.split(word):
        if piece:
            yield piece, start
            start += len(piece)


class Tokenizer:
    """The domain dictionary's tokenizer, loaded once per process and shared.

    `engine` is "jieba" or "rjieba"; both get the domain words at the frequencies jieba's
    tuning settles on (`Tuning`), so they cut the same way.
    """

    _cache: dict[tuple[str, tuple[str, ...]], "Tokenizer"] = {}
    _lock = threading.Lock()

    def __init__(self, terms: Sequence[str] = (), engine: str | None = None,
                 tuning: Tuning | None = None):
        self.terms = tuple(sorted(set(terms)))
        self.engine = engine or default_engine()
        if self.engine not in available_engines():
            raise ValueError(f"tokenizer engine {self.engine!r} is not installed (have: "
                             f"{', '.join(available_engines())}); install it or rebuild")
        self.tuning = tuning or Tuning.of(self.terms)
        make = _rjieba_engine if self.engine == "rjieba" else _jieba_engine
        self._cut, self._tokenize = make(self.tuning)

    @classmethod
    def shared(cls, terms: Sequence[str] = (), engine: str | None = None,
               tuning: Tuning | None = None) -> "Tokenizer":
        """One tokenizer per engine and terms (the tuning follows from the terms)."""
        key = (engine or default_engine(), tuple(sorted(set(terms))))
        with cls._lock:
            if key not in cls._cache:
                cls._cache[key] = cls(key[1], key[0], tuning)
            return cls._cache[key]

    @classmethod
    def from_file(cls, path: Path) -> "Tokenizer":
        """The tokenizer a generation was built with: its engine, terms and frequencies.

        A file from before engines were recorded holds bare terms, cut by jieba.
        """
        lines = path.read_text(encoding="utf-8").split("\n") if path.exists() else []
        head = {k.strip(): v.strip() for k, _, v in
                (ln[1:].partition(":") for ln in lines if ln.startswith("#"))}
        rows = [ln.split("\t") for ln in lines if ln.strip() and not ln.startswith("#")]
        terms = [r[0] for r in rows]
        tuning = None
        if "total" in head and rows and all(len(r) == 2 for r in rows):
            tuning = Tuning({fold(t): int(f) for t, f in rows}, int(head["total"]),
                            int(head.get("balance", 0)))
        return cls.shared(terms, head.get("engine", "jieba"), tuning)

    def save(self, path: Path) -> None:
        t = self.tuning
        head = f"# engine: {self.engine}\n# total: {t.total}\n# balance: {t.balance}\n"
        path.write_text(head + "".join(f"{term}\t{t.freqs[fold(term)]}\n" for term in self.terms),
                        encoding="utf-8")

    def cut(self, text: str) -> list[str]:
        """Precise-mode words, whitespace dropped."""
        return [w for w in self._cut(fold(text)) if w.strip()]

    def tokens(self, text: str, search: bool = True) -> Iterator[tuple[str, int, int]]:
        """(word, start, end) over `text`; search mode also yields the parts of long words."""
        for word, start, end in self._tokenize(fold(text), "search" if search else "default"):
            if word.strip():
                yield word, start, end
