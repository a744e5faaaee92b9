"""The query language: a query string → a structured `Query` → engine-neutral query nodes.

    学制技师                    words; several words must all be found (AND)
    技师学院 高等学校序列        two terms, both required
    "技师学院纳入高等学校"       a phrase: these characters in this order
    技师学院 OR 技工学校         either term (OR binds tighter than the implicit AND)
    -粤菜  NOT 粤菜              leave out provisions that contain it
    level:provincial  doc:000  dept:市人社局  kind:item  year:2025   filters
    issuer:省人社厅  date:2022                 the documents' issuer and year
    *                           everything (with the filters)

Parsing never fails: what cannot be read (a dangling OR, an unknown level, an unclosed
quote, a control character) is dropped or read as plain words, and the `Query` lists
what was ignored and why.  Parsing is separate from running: `parse()` needs nothing but
the string; `compile_query()` turns a `Query` into indexer.plan's nodes with the generation's
tokenizer and its lists of documents and departments.

The work is bounded before an engine sees anything (whoosh's own query parser is never
used — its parse time grows quadratically with one long unbroken token, and Chinese
queries are all unbroken): the string is cut to `Limits.max_chars`, at most
`max_terms` terms and `max_words` words are kept, a term or phrase is at most
`max_term_units` characters, and there are no wildcards to expand.
"""
from __future__ import annotations

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping, Sequence


from policykg.corpus.text import match_key
from policykg.corpus.tokenize import Tokenizer, fold, query_text
from policykg.corpus.vocabulary import KIND_ALIASES, KINDS, LEVEL_ALIASES, LEVELS
from policykg.indexer import plan
from policykg.indexer.analysis import gram_pattern, is_cjk, units
from policykg.corpus.records import DocumentMeta
from policykg.ontology.departments import Context, Resolver

# The query language as users read it: the README's section and the UI's help.
HELP = r"""### Search: the query language

| you type | finds |
|---|---|
| `学制技师` | provisions that contain these characters. Several words (`技师学院 高等学校序列`) must all be found, in any order; the provisions with the words together, and with them in the heading, come first. |
| `"技师学院纳入高等学校"` (or `“…”`) | exactly these characters in this order (spaces and punctuation ignored) |
| `技师学院 OR 技工学校` (or `\|`) | either; OR binds tighter than the implicit AND: `招生 技师学院 OR 技工学校` needs 招生 and one of the two |
| `-粤菜` or `NOT 粤菜` | leaves out provisions that contain it, and every provision of a document whose title contains it |
| `level:provincial` | national, provincial, municipal, county (also 国家 / 省 / 市 / 县) |
| `doc:001`, `doc:东莞` | one document: file name, its number prefix, its 文号, or words of its title |
| `dept:市人社局`, `dept:省教育厅` | provisions a department leads (first) or takes part in. Short names are read in the context of the documents searched: `dept:市人社局 doc:东莞` is 东莞市人力资源和社会保障局. `dept:X` alone lists what X owns. |
| `kind:item` | chapter, section, item, subitem, point, box (专栏), table, table_row, annex, paragraph (also 章 / 节 / 条 / 款 / 专栏 / 表行 / 附件 …) |
| `year:2025`, `year:2021-2025` | provisions with a target for that year, or that name it ("到2025年") |
| `issuer:省人社厅`, `发文机关:东莞市人力资源和社会保障局` | provisions of the documents a body issued (or co-issued): full name, part of it, or its short form |
| `date:2022`, `发文年份:2021-2022` | provisions of the documents dated in that year (the date the document was signed or issued; `year:` is the year a provision's target is for) |
| `*` | everything the filters allow |

Filters combine with AND; several values of one filter (`level:provincial,municipal`, or
the filter twice) mean either; `-level:national` excludes. Filter names also work in
Chinese (层级 / 文件 / 部门 / 类型 / 年份 / 发文机关 / 发文年份) and with a full-width colon.

Results come by relevance: the provisions that say something before the cover, the
colophon (抄送 / 印发 lines), the signature, the salutation and the forms of an annex, at
equal relevance. Sorted by date (`sort=date`, `policykg search --sort date`), the newest
document comes first and each document's provisions by relevance.

A query never fails. What cannot be used — a dangling `OR`, an unknown `level:`, an
unclosed quote, control characters, wildcards (`*` and `?` inside words are ignored,
nothing is expanded) — is dropped, the rest is searched, and the response lists what was
ignored and why. Every query is bounded: at most 200 characters (longer ones are cut),
12 terms and filters, 24 words, 40 characters in one term or phrase; a search that takes
longer than 5 s answers with the hits found so far, marked partial.

A word is found wherever its characters stand, however the sentence was cut into
words: 技师学院 finds "高水平技师学院建设". At least one word must be in the provision
itself (its text, heading or the headings above it); the others may be in its
document's title or region: `校企双制 东莞`.
"""


# ---- limits --------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Caps on the work one query may cause.  See the module docstring."""

    max_chars: int = 200          # longer queries are cut (Settings.max_query_chars)
    max_terms: int = 12           # terms and filters, after the first this many: ignored
    max_words: int = 24           # words over all terms, after jieba
    max_term_units: int = 40      # characters in one term or phrase
    max_alternatives: int = 8     # terms joined by OR in one group
    max_filter_values: int = 20   # values of one filter (level:a,b,c)
    max_year_span: int = 50       # year:2021-2025 expands to at most this many years


# ---- the structured query ------------------------------------------------------------

FILTERS = ("level", "doc", "dept", "kind", "year", "issuer", "date")
# Chinese names for the filters, so a query can be typed without switching keyboards.
FILTER_ALIASES = {"层级": "level", "级别": "level", "文件": "doc", "文档": "doc",
                  "部门": "dept", "单位": "dept", "类型": "kind", "年份": "year", "年度": "year",
                  "发文机关": "issuer", "发文单位": "issuer", "发文部门": "issuer",
                  "印发机关": "issuer", "发文年份": "date", "发文日期": "date",
                  "成文日期": "date", "印发日期": "date", "日期": "date"}


@dataclass(frozen=True)
class Term:
    """Free text: a bare word run (cut into words) or a quoted phrase."""

    text: str
    phrase: bool = False

    def __str__(self) -> str:
        return f'"{self.text}"' if self.phrase else self.text


@dataclass(frozen=True)
class Clause:
    """One required (or, negated, excluded) group: its terms are alternatives (OR)."""

    terms: tuple[Term, ...]
    negated: bool = False

    def __str__(self) -> str:
        return " OR ".join(("-" if self.negated else "") + str(t) for t in self.terms)


@dataclass(frozen=True)
class Filter:
    name: str                      # one of FILTERS
    values: tuple[str, ...]        # any of them (OR)
    negated: bool = False

    def __str__(self) -> str:
        vals = ",".join(f'"{v}"' if re.search(r'[\s,"]', v) else v for v in self.values)
        return ("-" if self.negated else "") + f"{self.name}:{vals}"


@dataclass(frozen=True)
class Ignored:
    """Something in the query that was not used, and why."""

    text: str
    reason: str

    def to_dict(self) -> dict:
        return {"text": self.text, "reason": self.reason}


@dataclass(frozen=True)
class Query:
    raw: str
    clauses: tuple[Clause, ...] = ()
    filters: tuple[Filter, ...] = ()
    match_all: bool = False        # a bare "*": every provision the filters allow
    ignored: tuple[Ignored, ...] = ()

    @property
    def positive(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if not c.negated)

    @property
    def negative(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if c.negated)

    @property
    def empty(self) -> bool:
        """Nothing to search for: no terms, no filters, no "*".  (Only excluded terms
        mean everything but those, as `* -term` does.)"""
        return not self.clauses and not self.filters and not self.match_all

    def __str__(self) -> str:
        parts = [str(c) for c in self.clauses] + [str(f) for f in self.filters]
        return " ".join((["*"] if self.match_all else []) + parts)


# ---- lexing ----------------------------------------------------------------------------

_QUOTE_PAIRS = {'"': '"', "“": "”", "”": "“", "「": "」", "『": "』"}
_NAME = "|".join(map(re.escape, sorted([*FILTERS, *FILTER_ALIASES], key=len, reverse=True)))
_FILTER = re.compile(rf"(?i)({_NAME}):")


def clean(text: str, limits: Limits) -> tuple[str, list[Ignored]]:
    """Control and format characters out, width folded, cut to `limits.max_chars`."""
    notes = []
    if len(text) > limits.max_chars:
        notes.append(Ignored(text[limits.max_chars:limits.max_chars + 20] + "…",
                             f"查询超过 {limits.max_chars} 个字符，其后部分未使用"))
        text = text[:limits.max_chars]
    out, dropped = [], 0
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            dropped += ch not in "\t\n\r"
            out.append(" ")
        else:
            out.append(ch)
    if dropped:
        notes.append(Ignored(f"{dropped} 个控制字符", "控制字符不参与检索"))
    return query_text(_width("".join(out))), notes


def _width(text: str) -> str:
    """Full-width forms to ASCII, one character for one, case kept (OR, NOT are upper)."""
    out = []
    for ch in text:
        f = unicodedata.normalize("NFKC", ch)
        out.append(f if len(f) == 1 else ch)
    return "".join(out)


@dataclass
class _Lexeme:
    kind: str          # word, phrase, filter, or, not, all
    text: str
    negated: bool = False
    name: str = ""     # filter name
    values: tuple[str, ...] = ()


def lex(text: str) -> tuple[list[_Lexeme], list[Ignored]]:
    """The folded query string → lexemes.  Linear in the length of the string."""
    out: list[_Lexeme] = []
    notes: list[Ignored] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        neg = False
        if text[i] == "-" and i + 1 < n and not text[i + 1].isspace():
            neg, i = True, i + 1
        m = _FILTER.match(text, i)
        if m:
            i, values, note = _filter_values(text, m.end())
            if note:
                notes.append(note)
            name = m.group(1).lower()
            out.append(_Lexeme("filter", m.group(0), neg, FILTER_ALIASES.get(name, name), values))
            continue
        if text[i] in _QUOTE_PAIRS:
            close = text.find(_QUOTE_PAIRS[text[i]], i + 1)
            if close < 0:
                notes.append(Ignored(text[i], "引号未闭合：其后内容按普通词检索"))
                i += 1
                continue
            out.append(_Lexeme("phrase", text[i + 1:close], neg))
            i = close + 1
            continue
        j = i
        while j < n and not text[j].isspace():
            j += 1
        word = text[i:j]
        i = j
        if not neg and word in ("OR", "||", "|"):
            out.append(_Lexeme("or", word))
        elif not neg and word == "NOT":
            out.append(_Lexeme("not", word))
        elif not neg and word in ("AND", "&&", "&", "+"):
            continue                      # AND is the default
        elif word == "*" and not neg:
            out.append(_Lexeme("all", word))
        else:
            if "*" in word or "?" in word:
                notes.append(Ignored(word, "不支持通配符：* 和 ? 不参与检索"))
            out.append(_Lexeme("word", word, neg))
    return out, notes


def _filter_values(text: str, i: int) -> tuple[int, tuple[str, ...], Ignored | None]:
    """The value(s) after `name:`: one run or a quoted string, split on commas."""
    n = len(text)
    if i < n and text[i] in _QUOTE_PAIRS:
        close = text.find(_QUOTE_PAIRS[text[i]], i + 1)
        if close >= 0:
            return close + 1, _split_values(text[i + 1:close]), None
        i += 1
    j = i
    while j < n and not text[j].isspace():
        j += 1
    values = _split_values(text[i:j])
    note = None if values else Ignored(text[max(0, i - 6):i], "筛选条件缺少取值")
    return j, values, note


def _split_values(raw: str) -> tuple[str, ...]:
    return tuple(v.strip(" \"“”") for v in re.split(r"[,，、|]", raw) if v.strip(" \"“”"))


# ---- parsing ---------------------------------------------------------------------------

def parse(text: str, limits: Limits = Limits(),
          filters: Mapping[str, str | Sequence[str] | None] | None = None) -> Query:
    """A query string (plus filters given as options) → `Query`.  Never raises."""
    cleaned, notes = clean(text if isinstance(text, str) else "", limits)
    lexemes, lex_notes = lex(cleaned)
    notes += lex_notes
    clauses: list[Clause] = []
    found_filters: list[Filter] = []
    match_all = False
    pending_not = pending_or = None
    last_positive = False          # the clause before can take an OR
    for lx in lexemes:
        if lx.kind == "not":
            if pending_not:
                notes.append(Ignored("NOT", "连续两个 NOT"))
            pending_not = lx
            continue
        if lx.kind == "or":
            if pending_or or not last_positive or pending_not:
                notes.append(Ignored(lx.text, "OR 两侧都需要检索词"))
            else:
                pending_or = lx
            continue
        negated = lx.negated or pending_not is not None
        if lx.kind == "all":
            match_all = True
            if pending_or or pending_not:
                notes.append(Ignored((pending_or or pending_not).text, "* 前不能有运算符"))
        elif lx.kind == "filter":
            if pending_or:
                notes.append(Ignored("OR", "筛选条件之间不能用 OR：请写成 层级:省级,市级"))
            f = _check_filter(lx.name, lx.values, negated, limits, notes)
            if f:
                found_filters.append(f)
        else:
            term = _term(lx, limits, notes)
            if term is None:
                pass
            elif pending_or and not negated and clauses:
                if len(clauses[-1].terms) < limits.max_alternatives:
                    clauses[-1] = replace(clauses[-1], terms=clauses[-1].terms + (term,))
                else:
                    notes.append(Ignored(term.text, f"用 OR 连接的词超过 {limits.max_alternatives} 个"))
            else:
                if pending_or:
                    notes.append(Ignored("OR", "OR 后不能接排除词"))
                clauses.append(Clause((term,), negated))
            last_positive = term is not None and not negated
        if lx.kind != "word" and lx.kind != "phrase":
            last_positive = False
        pending_not = pending_or = None
    for dangling in (pending_or, pending_not):
        if dangling:
            notes.append(Ignored(dangling.text, f"查询末尾的 {dangling.text} 没有作用对象"))
    for name, value in (filters or {}).items():
        values = (value,) if isinstance(value, str) else tuple(value or ())
        values = tuple(v for raw in values for v in _split_values(fold(str(raw))))
        if values:
            f = _check_filter(name, values, False, limits, notes)
            if f:
                found_filters.append(f)
    clauses, found_filters = _cap(clauses, found_filters, limits, notes)
    return Query(text if isinstance(text, str) else "", tuple(clauses),
                 _merge_filters(found_filters), match_all, tuple(_dedupe(notes)))


def _term(lx: _Lexeme, limits: Limits, notes: list[Ignored]) -> Term | None:
    seq = units(lx.text)
    if not seq:
        if lx.text.strip() and lx.text not in ("-",):
            notes.append(Ignored(lx.text, "没有可检索的文字、数字或汉字"))
        return None
    if len(seq) > limits.max_term_units:
        cut = seq[limits.max_term_units - 1][2]
        notes.append(Ignored(lx.text[cut:cut + 20] + "…",
                             f"单个检索词最多 {limits.max_term_units} 个字符，其后部分未使用"))
        return Term(lx.text[:cut], lx.kind == "phrase")
    return Term(lx.text, lx.kind == "phrase")


def _check_filter(name: str, values: tuple[str, ...], negated: bool, limits: Limits,
                  notes: list[Ignored]) -> Filter | None:
    """Filter values normalised; values that cannot be right are dropped with a note."""
    name = FILTER_ALIASES.get(name, name).lower()
    if name not in FILTERS:
        notes.append(Ignored(f"{name}:", "未知的筛选条件"))
        return None
    if len(values) > limits.max_filter_values:
        notes.append(Ignored(f"{name}:…", f"只使用前 {limits.max_filter_values} 个取值"))
        values = values[:limits.max_filter_values]
    good = []
    for v in values:
        norm = _normalise_value(name, v, limits)
        if norm is None:
            notes.append(Ignored(f"{name}:{v}", _BAD_VALUE[name]))
        else:
            good.extend(norm)
    return Filter(name, tuple(dict.fromkeys(good)), negated) if good else None


_BAD_VALUE = {
    "level": "层级须为 国家、省、市、县 之一（或 " + ", ".join(LEVELS) + "）",
    "kind": "类型须为 章、节、条、款、目、专栏、表、表行、附件、段 之一（或 " + ", ".join(KINDS) + "）",
    "year": "年份须为四位年份或区间，如 2021-2025",
    "doc": "文件名称为空", "dept": "部门名称为空", "issuer": "发文机关为空",
    "date": "发文年份须为四位年份或区间，如 2021-2022",
}


def _normalise_value(name: str, v: str, limits: Limits) -> list[str] | None:
    v = v.strip()
    if not v:
        return None
    if name == "level":
        v = LEVEL_ALIASES.get(v, v.lower())
        return [v] if v in LEVELS else None
    if name == "kind":
        v = KIND_ALIASES.get(v, v.lower().replace("-", "_"))
        return [v] if v in KINDS else None
    if name in ("year", "date"):
        m = re.fullmatch(r"((?:19|20)\d{2})(?:年)?(?:\s*(?:-|~|至|到|\.\.)\s*((?:19|20)\d{2})(?:年)?)?", v)
        if not m:
            return None
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo or hi - lo >= limits.max_year_span:
            return None
        return [str(y) for y in range(lo, hi + 1)]
    return [v[:60]]          # doc, dept and issuer: resolved at compile time


def _cap(clauses: list[Clause], filters: list[Filter], limits: Limits,
         notes: list[Ignored]) -> tuple[list[Clause], list[Filter]]:
    """At most `max_terms` terms and filters in one query; the first ones are kept."""
    kept_c = clauses[:limits.max_terms]
    kept_f = filters[:max(0, limits.max_terms - len(kept_c))]
    for dropped in [*clauses[len(kept_c):], *filters[len(kept_f):]]:
        notes.append(Ignored(str(dropped), f"一次查询最多 {limits.max_terms} 个词项和筛选条件"))
    return kept_c, kept_f


def _merge_filters(filters: list[Filter]) -> tuple[Filter, ...]:
    """level:a level:b → level:a,b (either); a negated filter stays on its own."""
    merged: dict[tuple[str, bool], list[str]] = {}
    for f in filters:
        merged.setdefault((f.name, f.negated), []).extend(f.values)
    return tuple(Filter(name, tuple(dict.fromkeys(vals)), neg)
                 for (name, neg), vals in merged.items())


def _dedupe(notes: Iterable[Ignored]) -> list[Ignored]:
    return list(dict.fromkeys(notes))


# ---- compiling -------------------------------------------------------------------------

# Field weights: one place to tune the ranking.  A heading match outweighs a body match;
# the headings above a provision count less than its own words, what is known about its
# document (title, region, issuer) least.  Word fields score whole jieba words, gram
# fields make sure nothing that contains the characters is missed.
WEIGHTS = {"words": 1.0, "grams": 0.35, "hwords": 1.6, "hgrams": 0.5, "context": 0.25}
ABOUT_SCORE = 0.3     # a word found only in the document's title, region or issuer
PHRASE_BONUS = {"grams": 0.8, "hgrams": 1.0}   # a term's characters in order, as typed
LEAD_BONUS = 0.5      # dept: lead department before participating ones
# Single characters that only glue words together: not required on their own.
_GLUE = set("的了和与及或等在是对为把被将从以于其之并而也都就中个各这那有所向由让使")


def unit_key(text: str) -> str:
    """`text` as its units, delimited, so that containment is unit-aligned."""
    return "\x00" + "\x00".join(u for u, _, _ in units(text)) + "\x00"


class QueryContext:
    """What compiling needs from a generation: its tokenizer, documents and departments.

    `departments` maps each canonical department name the index knows to
    {"aliases": [...], "docs": {file: count}, ...}; `doc_ranges` maps a document file to
    the [start, stop) document numbers of its provisions (indexer.index writes both).
    """

    def __init__(self, tokenizer: Tokenizer, documents: Sequence[Mapping] = (),
                 departments: Mapping[str, Mapping] | None = None,
                 doc_ranges: Mapping[str, Sequence[int]] | None = None):
        self.tokenizer = tokenizer
        self.documents = list(documents)
        self.departments = dict(departments or {})
        self.doc_ranges = dict(doc_ranges) if doc_ranges else None
        # What is true of a whole document, in the form words are matched against.
        self._about = [(d["doc"], unit_key(" ".join(str(d.get(k) or "") for k in
                                                    ("title", "region", "issuer"))))
                       for d in self.documents]
        self._resolver = _ContextResolver(self.documents)

    @functools.cached_property
    def department_keys(self) -> dict[str, list[str]]:
        """Each department's name and aliases as `dept:` values are compared (match_key
        of the folded text), computed once: thousands of names at 2,000 documents made
        this most of a `dept:` query's time."""
        return {name: [match_key(fold(name))] + [match_key(fold(a))
                                                 for a in info.get("aliases") or ()]
                for name, info in self.departments.items()}

    def documents_about(self, text: str) -> list[str]:
        """The documents whose title, region or issuer contain `text`'s characters."""
        key = unit_key(text)
        if key == "\x00\x00":
            return []
        return [doc for doc, about in self._about if key in about]

    def resolve_in_context(self, written: str, docs: set[str] | None) -> set[str]:
        """Canonical names `written` stands for in the documents `docs` (None: all)."""
        return self._resolver.resolve(written, docs)


class _ContextResolver:
    """The ontology's department resolver (ontology.departments), applied in each
    document's context: 市人社局 in a 东莞 plan is 东莞市人力资源和社会保障局.
    """

    def __init__(self, documents: Sequence[Mapping]):
        self._lock = threading.Lock()
        self._contexts: dict[tuple, list[str]] = {}
        self._resolver = Resolver()
        self._ctx = {}
        for d in documents:
            key = (d.get("level"), d.get("region"), d.get("issuer"))
            if key not in self._ctx:
                meta = DocumentMeta(file=d["doc"], title=d.get("title") or "", level=key[0],
                                    region=key[1], issuer=key[2])
                self._ctx[key] = Context.of(meta)
            self._contexts.setdefault(key, []).append(d["doc"])

    @functools.lru_cache(maxsize=256)
    def _names(self, written: str) -> tuple[tuple[str, str], ...]:
        """(document, canonical name) for every document context `written` resolves in."""
        out = []
        with self._lock:
            for key, ctx in self._ctx.items():
                try:
                    dept = self._resolver.resolve(written, ctx)
                except Exception:       # a query must never fail on the resolver's account
                    dept = None
                if dept is not None:
                    out += [(doc, dept.name) for doc in self._contexts[key]]
        return tuple(out)

    def resolve(self, written: str, docs: set[str] | None) -> set[str]:
        if not written:
            return set()
        return {name for doc, name in self._names(written) if docs is None or doc in docs}


@dataclass(frozen=True)
class Compiled:
    """A `Query` ready to run: `scoring` ranks, `filter` allows, `mask` excludes."""

    query: Query
    scoring: plan.Node
    filter: plan.Node | None
    mask: plan.Node | None
    highlight: tuple[str, ...]          # strings to mark in snippets
    ignored: tuple[Ignored, ...]
    nothing: bool = False               # a filter resolved to nothing: no hits at all


def gram_query(fieldname: str, text: str, boost: float = 1.0) -> plan.Node:
    """`text` over a gram field: found wherever its characters stand in a row."""
    pattern = gram_pattern(text)
    parts: list[plan.Node] = []
    if len(pattern.phrase) == 1:
        parts.append(plan.Term(fieldname, pattern.phrase[0], boost))
    elif pattern.phrase:
        parts.append(plan.Phrase(fieldname, tuple(pattern.phrase), boost))
    if pattern.prefix:
        # A character that ends the string may begin any bigram: expanded by the engine
        # over the field's terms, at most one per character that can follow.
        parts.append(plan.Prefix(fieldname, pattern.prefix, boost))
    if not parts:
        return plan.NOTHING
    return parts[0] if len(parts) == 1 else plan.All(tuple(parts))


def query_words(tokenizer: Tokenizer, text: str) -> list[str]:
    """The words of a bare term (jieba precise mode), duplicates and punctuation out."""
    out = [w for w in tokenizer.cut(text) if units(w)]
    return list(dict.fromkeys(out))


def required_pieces(words: list[str]) -> list[str]:
    """What a provision must contain for a bare term: its words, each somewhere.

    A single character is not a word to look for on its own: a glue character (的, 和)
    is dropped, any other joins the word after it (双 导师 → 双导师), or before it at
    the end, as it stands in the query.  A term that is one character stays one.
    """
    pieces: list[str] = []
    carry = ""
    for w in words:
        if len(units(w)) == 1 and is_cjk(w) and len(words) > 1:
            if w in _GLUE:
                continue
            carry += w
            continue
        pieces.append(carry + w)
        carry = ""
    if carry:
        if pieces:
            pieces[-1] += carry
        else:
            pieces.append(carry)
    return list(dict.fromkeys(pieces)) or words[:1]


@dataclass
class _Parts:
    """What the terms of a query contribute, gathered while compiling."""

    direct: list[plan.Node] = field(default_factory=list)    # matches in the provision
    optional: list[plan.Node] = field(default_factory=list)  # ranking only
    marks: list[str] = field(default_factory=list)          # to highlight
    about: bool = False                                     # some term may match by title


def found_in_provision(piece: str, weights: Mapping[str, float] = WEIGHTS) -> plan.Node:
    """`piece`'s characters in a row in the provision's text (its heading is part of
    it) or in the headings above it.  Every whole-word match is also one of these."""
    alts = [gram_query(f, piece, weights[f]) for f in ("grams", "context")]
    return plan.Any(tuple(a for a in alts if a != plan.NOTHING))


def found_about(context: QueryContext, piece: str) -> plan.Node | None:
    """The provisions of the documents whose title, region or issuer has `piece`."""
    docs = context.documents_about(piece)
    return plan.Documents(tuple(docs), ABOUT_SCORE) if docs else None


def piece_query(context: QueryContext, piece: str, parts: _Parts,
                weights: Mapping[str, float] = WEIGHTS, alone: bool = False) -> plan.Node:
    """One piece, found in the provision or in what is true of its document (unless it
    is the query's only piece: then it must be in the provision)."""
    direct = found_in_provision(piece, weights)
    parts.direct.append(direct)
    about = None if alone else found_about(context, piece)
    if about is None:
        return direct
    parts.about = True
    return plan.Any((direct, about))


def ranking_query(context: QueryContext, words: list[str], pieces: list[str],
                  text: str) -> list[plan.Node]:
    """Optional queries that only order the hits: each word as a word (in the text and
    in the heading), each piece in the heading, and the whole term's characters in
    order (a phrase beats the same words scattered).

    Not the parts of long words (学制技师 → 学制, 技师): every hit contains the whole
    piece already, so its parts tell hits apart little, and their long posting lists
    were most of the time a broad query took."""
    out: list[plan.Node] = []
    for w in words:
        out += [plan.Term("words", w, WEIGHTS["words"]), plan.Term("hwords", w, WEIGHTS["hwords"])]
    out += [gram_query("hgrams", p, WEIGHTS["hgrams"]) for p in pieces]
    if len(words) > 1:
        out += [gram_query(f, text, b) for f, b in PHRASE_BONUS.items()]
    return [q for q in out if q != plan.NOTHING]


def term_query(context: QueryContext, term: Term, budget: int, parts: _Parts,
               alone: bool = False) -> tuple[plan.Node | None, int]:
    """(required query, words used) for one term; ranking and highlights go to `parts`.

    `budget` is how many words the query may still use; words past it are dropped;
    `alone`: the term is the query's only one.
    """
    if term.phrase:
        weights = {f: WEIGHTS[f] + PHRASE_BONUS.get(f, 0) for f in WEIGHTS}
        req = piece_query(context, term.text, parts, weights, alone)
        parts.optional.append(gram_query("hgrams", term.text, weights["hgrams"]))
        parts.marks.append(term.text)
        return req, 1
    words = query_words(context.tokenizer, term.text)[:max(0, budget)]
    if not words:
        return None, 0
    pieces = required_pieces(words)
    alone = alone and len(pieces) == 1
    req = plan.All(tuple(piece_query(context, p, parts, alone=alone) for p in pieces))
    parts.optional += ranking_query(context, words, pieces, term.text)
    parts.marks += [term.text, *pieces, *words]
    return req, len(words)


def exclusion_query(context: QueryContext, term: Term) -> plan.Node:
    """What `-term` leaves out: anything with the term's characters in a row, anywhere,
    including every provision of a document whose title or region has them."""
    direct = found_in_provision(term.text)
    about = found_about(context, term.text)
    return plan.Any((direct, about)) if about is not None else direct


def compile_query(q: Query, context: QueryContext, limits: Limits = Limits()) -> Compiled:
    """A parsed `Query` → engine-neutral query nodes (indexer.plan; nothing is run here).

    Every positive term is required, each of its pieces found in the provision or in
    what is true of its document; at least one piece of the query must be in the
    provision itself, so a document's title can complete a match ("校企双制 东莞") but
    never make one alone.
    """
    notes = list(q.ignored)
    parts = _Parts()
    required, budget = [], limits.max_words
    alone = len(q.positive) == 1 and len(q.positive[0].terms) == 1
    for clause in q.positive:
        reqs = []
        for term in clause.terms:
            req, used = term_query(context, term, budget, parts, alone)
            budget -= used
            if req is None:
                notes.append(Ignored(str(term), f"一次查询最多 {limits.max_words} 个词"))
                continue
            reqs.append(req)
        if reqs:
            required.append(reqs[0] if len(reqs) == 1 else plan.Any(tuple(reqs)))
    if parts.about and required:
        required.append(plan.Constant(plan.Any(tuple(parts.direct)), 0.0))
    scoring: plan.Node = plan.All(tuple(required)) if required else plan.Every()
    optional = parts.optional
    exclude = [plan.Any(tuple(exclusion_query(context, t) for t in c.terms)) for c in q.negative]
    allow, nothing = [], False
    scope = _document_scope(q, context)
    for f in q.filters:
        fq, extra, fnotes = _filter_query(f, context, scope)
        notes += fnotes
        if fq is None:
            nothing = nothing or not f.negated
            continue
        (exclude if f.negated else allow).append(fq)
        optional += extra
    if optional:
        scoring = plan.Maybe(scoring, plan.Any(tuple(optional)))
    return Compiled(q, scoring, plan.All(tuple(allow)) if allow else None,
                    plan.Any(tuple(exclude)) if exclude else None,
                    tuple(dict.fromkeys(m for m in parts.marks if m)), tuple(_dedupe(notes)),
                    nothing)


# ---- filters ----------------------------------------------------------------------------

def _filter_query(f: Filter, context: QueryContext, scope: set[str] | None
                  ) -> tuple[plan.Node | None, list[plan.Node], list[Ignored]]:
    """(allowing query or None when nothing matches, optional ranking, notes)."""
    if f.name in ("level", "kind", "year"):
        return plan.Any(tuple(plan.Term(f.name, v) for v in f.values)), [], []
    if f.name in _DOCUMENT_FILTERS:
        files, notes = [], []
        resolve, none = _DOCUMENT_FILTERS[f.name]
        for v in f.values:
            found = resolve(v, context.documents)
            # The years of a range are one value to the person who typed it.
            if not found and f.name != "date":
                notes.append(Ignored(f"{f.name}:{v}", none))
            files += found
        files = list(dict.fromkeys(files))
        if not files and f.name == "date":
            span = f.values[0] + (f"-{f.values[-1]}" if len(f.values) > 1 else "")
            notes.append(Ignored(f"date:{span}", none))
        return (plan.Any(tuple(plan.Term("doc", d) for d in files)) if files else None), [], notes
    names, notes = [], []
    for v in f.values:
        found = resolve_departments(v, context, scope)
        if not found:
            notes.append(Ignored(f"dept:{v}", "没有承担任务的部门叫这个名称"
                                 + ("（在所选文件中）" if scope is not None else "")))
        names += found
    names = list(dict.fromkeys(fold(n) for n in names))
    if not names:
        return None, [], notes
    lead = [] if f.negated else [plan.Any(tuple(plan.Term("lead", n) for n in names), LEAD_BONUS)]
    return plan.Any(tuple(plan.Term("dept", n) for n in names)), lead, notes


def resolve_documents(value: str, documents: Sequence[Mapping]) -> list[str]:
    """`doc:` → document files: by file name, key, number prefix, 文号, or title words."""
    v = match_key(fold(value)).lower()
    if not v:
        return []
    exact = [d["doc"] for d in documents
             if v in (d["doc"].lower(), str(d.get("key", "")).lower(),
                      d["doc"].rsplit(".", 1)[0].lower())]
    if exact:
        return exact
    prefix = [d["doc"] for d in documents if d["doc"].lower().startswith(v)]
    if prefix:
        return prefix
    return [d["doc"] for d in documents
            if any(v in match_key(fold(str(d.get(k) or ""))).lower()
                   for k in ("number", "title", "region", "issuer"))]


def document_issuers(d: Mapping) -> list[str]:
    """A document's issuing bodies in order (`issuers`; `issuer` in rows written before
    co-issuers were kept)."""
    issuers = [i for i in d.get("issuers") or () if isinstance(i, str) and i.strip()]
    if not issuers and isinstance(d.get("issuer"), str) and d["issuer"].strip():
        issuers = [d["issuer"]]
    return list(dict.fromkeys(i.strip() for i in issuers))


def document_year(d: Mapping) -> str | None:
    """The year of a document's date (ISO, or at least its year), None without one."""
    m = re.match(r"((?:19|20)\d{2})", str(d.get("date") or ""))
    return m.group(1) if m else None


def resolve_issuers(value: str, documents: Sequence[Mapping]) -> list[str]:
    """`issuer:` → the documents one of whose issuers is `value`: the full name, else a
    part of it (江西省人力资源), else a short form of it (省人社厅 → …人力资源和社会
    保障厅: its characters in order, ending alike)."""
    v = match_key(fold(value))
    if not v:
        return []
    keyed = [(d["doc"], [match_key(fold(i)) for i in document_issuers(d)]) for d in documents]
    for test in (lambda k: k == v, lambda k: v in k, lambda k: _subsequence(v, k)):
        found = [doc for doc, keys in keyed if any(test(k) for k in keys)]
        if found:
            return found
    return []


def resolve_dated(value: str, documents: Sequence[Mapping]) -> list[str]:
    """`date:` (one year, already expanded from a range) → the documents of that year."""
    return [d["doc"] for d in documents if document_year(d) == value]


# Filters that select whole documents: resolver, and the note when nothing matches.
_DOCUMENT_FILTERS = {
    "doc": (resolve_documents, "没有匹配的文件"),
    "issuer": (resolve_issuers, "没有这个机关印发的文件"),
    "date": (resolve_dated, "没有这一年的文件"),
}


def resolve_departments(value: str, context: QueryContext, scope: set[str] | None = None) -> list[str]:
    """`dept:` → canonical department names, in the context of the documents in `scope`.

    A full name or an alias matches exactly; a relative name is resolved by the ontology
    in each document's context (市人社局 in Dongguan's plan → 东莞市人力资源和社会保障局,
    省教育厅 → 广东省教育厅); failing both, a short form matches the full names it
    abbreviates, its characters in order and ending alike (人社部 → 人力资源社会保障部).
    Only departments the documents in `scope` (those doc:/level: allow) assign tasks to
    are candidates.
    """
    v = match_key(fold(value))
    if not v:
        return []
    cands = {name: info for name, info in context.departments.items()
             if scope is None or set(info.get("docs") or ()) & scope}
    every = context.department_keys
    keys = {name: every[name] for name in cands}
    found = {n for n, ks in keys.items() if v in ks}
    found |= context.resolve_in_context(value.strip(), scope) & set(cands)
    if found:
        return sorted(found)
    return sorted(n for n, ks in keys.items() if any(_subsequence(v, k) for k in ks))


def _subsequence(short: str, full: str) -> bool:
    """`short` abbreviates `full`: its characters appear in `full` in order, and both
    end alike (the body word: 局/厅/部/委)."""
    if len(short) < 2 or len(short) > len(full) or short[-1] != full[-1]:
        return False
    it = iter(full)
    return all(ch in it for ch in short)


def _document_scope(q: Query, context: QueryContext) -> set[str] | None:
    """The documents the positive doc:/issuer:/date:/level: filters allow, or None for
    all."""
    scope = None
    for f in q.filters:
        if f.negated or f.name not in (*_DOCUMENT_FILTERS, "level"):
            continue
        if f.name in _DOCUMENT_FILTERS:
            resolve = _DOCUMENT_FILTERS[f.name][0]
            allowed = {d for v in f.values for d in resolve(v, context.documents)}
        else:
            allowed = {d["doc"] for d in context.documents if d.get("level") in f.values}
        scope = allowed if scope is None else scope & allowed
    return scope
