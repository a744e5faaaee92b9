"""The query language: a query string → a structured `Query` (the language's help, its
limits, lexing and parsing; indexer.compiler turns a `Query` into engine-neutral nodes).

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
the string; `compile_query()` (indexer.compiler) turns a `Query` into indexer.plan's nodes
with the generation's tokenizer and its lists of documents and departments.

The work is bounded before an engine sees anything (whoosh's own query parser is never
used — its parse time grows quadratically with one long unbroken token, and Chinese
queries are all unbroken): the string is cut to `Limits.max_chars`, at most
`max_terms` terms and `max_words` words are kept, a term or phrase is at most
`max_term_units` characters, and there are no wildcards to expand.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Sequence

from policykg.corpus.tokenize import fold, query_text
from policykg.corpus.vocabulary import KIND_ALIASES, KINDS, LEVEL_ALIASES, LEVELS
from policykg.indexer.analysis import units

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
                 _merge_filters(found_filters), match_all, tuple(dedupe(notes)))


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


def dedupe(notes: Iterable[Ignored]) -> list[Ignored]:
    return list(dict.fromkeys(notes))
