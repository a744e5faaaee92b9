"""When a figure of a provision is due, and whether it is a fact of the past rather than a target.

`Context` is what a provision's surroundings say about its numbers (the plan period, the
year the document was issued, a goals heading, a background heading); `year_for`, `base_year`
and `is_past` read what the sentence around a number says of time.  Apart from the reading of
the figure itself (ontology.target_prose) because every figure is dated by the same rules —
a level, a change, a 翻一番 — and one place decides what counts as the past.

Years come from the text: the nearest "到2025年(底)" / "2025年：" before the number in its
paragraph (never the base year of 比/较/由…), or "十四五"末 / 期间 (that period's last year);
failing that, the plan period's end when the provision is a goals provision (a heading with
目标); else None.  期间/时期/累计/五年 make a figure a period total (cumulative).

Never a target, as the past: anything in a background provision (发展基础, 面临形势, 发展环境 …),
截至 a year not after the document's (or a month, 目前), an earlier five-year period
("十三五"期间), a year before the plan as the nearest year named ("2020年，在校生达到…"), words
of the past with no target year ("以来", "五年来", "连续多年").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from policykg.corpus.records import Document, Provision
from policykg.corpus.text import match_key

_CLAUSE_END = "，。；：,;:！？!?\n"
_SENTENCE_END = "。；！？!?;\n"
_BACKGROUND = re.compile(r"^(规划|发展|工作|现实)?(面临的?)?(背景|基础|现状|环境|形势|成效|回顾|成就|机遇)"
                         r"(和|与|及)?(面临的?)?(形势|挑战|机遇|问题)?$")
_GOAL_HEADING = re.compile(r"目标")
_PERIOD = re.compile(r"十([一二三四五六七八九])五")
_YEAR_AHEAD = re.compile(r"(?:(?:到|至|在|于|截至|截止到?)\s*)?(\d{4})\s*年(?:底|末|前|内)?")
_YEAR_LABEL = re.compile(r"^\s*(\d{4})\s*年\s*[：:]")
_PAST_FRAME = re.compile(r"(截至|截止到?|截止)\s*(\d{4})\s*年")
# 截至 a month, today or last year: a count of what is, whatever the year
_PAST_NOW = re.compile(r"(截至|截止到?)\s*(目前|当前|现在|今年|去年|上年|年底|\d{1,2}\s*月)")
# Words that date a sentence before the plan: "“十三五”以来", "五年来", "连续多年保持在95%以上".
_PAST_WORDS = re.compile(r"以来|(近|多|五|三|十)年来|连续多年|历年|多年保持|曾经|已经|已达|已有|现有|共有|"
                         r"目前|当前|十年前|去年|上年")
# The base of a relative figure ("比2020年提高3个百分点", "较2015年末", "在2020年基础上"): the
# year it names is where the change is measured from, never the target year.
# "比2020增长" (no 年) is written too, the change verb right after the year; "比“十三五”末"
# is the last year of that period.
BASE_YEAR = re.compile(r"(?:比|较|与|同|由|从)\s*(?P<y1>\d{4})\s*年(?:底|末)?(?:的|相比|比)?"
                       r"|(?:比|较)\s*(?P<y3>(?:19|20)\d{2})(?=\s*[增减提降下上扩缩翻])"
                       r"|在\s*(?P<y2>\d{4})\s*年(?:底|末)?(?:的)?基础上"
                       r"|(?:比|较)\s*[“\"]?十(?P<p>[一二三四五六七八九])五[”\"]?\s*(?:期末|末)(?:的|相比)?")


@dataclass(frozen=True)
class Context:
    """What a provision's surroundings say about its numbers."""

    period: tuple[int, int] | None = None   # plan period (start, end)
    doc_year: int | None = None              # year the document was issued
    goals: bool = False                      # a goals provision: the period end applies
    background: bool = False                 # describes the past: no targets


def period_of(text: str | None) -> tuple[int, int] | None:
    m = re.match(r"\s*(\d{4})\s*[-—–~至到]\s*(\d{4})", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def _five_year(n_char: str) -> tuple[int, int]:
    """十四五 → (2021, 2025): the n-th five-year plan period."""
    n = 10 + "一二三四五六七八九".index(n_char) + 1
    start = 2006 + 5 * (n - 11)
    return start, start + 4


def _between(text: str, i: int, j: int, ends: str) -> tuple[int, int]:
    """From the last of `ends` before i to the first at or after j."""
    lo = i
    while lo > 0 and text[lo - 1] not in ends:
        lo -= 1
    hi = j
    while hi < len(text) and text[hi] not in ends:
        hi += 1
    return lo, hi


def clause_bounds(text: str, i: int, j: int) -> tuple[int, int]:
    """The clause around text[i:j]: from the clause end (，。；： …) before i to the next."""
    return _between(text, i, j, _CLAUSE_END)


def sentence_bounds(text: str, i: int) -> tuple[int, int]:
    """The sentence around position i: from the sentence end (。；！？ or a line end) before it
    to the next."""
    return _between(text, i, i, _SENTENCE_END)


def is_past(text: str, s_lo: int, pos: int, ctx: Context) -> bool:
    """Whether the sentence frames the number at `pos` as a fact of the past: 截至 a year not
    after the document, an earlier five-year period, a year before the plan as the nearest
    year named, or past-tense words ("以来", "连续多年") with no target year in between."""
    before = text[s_lo:pos]
    start = ctx.period[0] if ctx.period else ctx.doc_year
    for m in _PAST_FRAME.finditer(before):
        # 截至 dates a count of what is; only a year after the document's own is a deadline
        if ctx.doc_year is None or int(m.group(2)) <= ctx.doc_year:
            return True
    if _PAST_NOW.search(before):
        return True
    bases = _base_spans(before)
    if start is not None:
        for m in _PERIOD.finditer(before):
            if _five_year(m.group(1))[1] < start and not _in_spans(m.start(), bases) \
                    and not re.search(r"(比|较|与|同)[“\"]?$", before[:m.start()]):
                return True
    named = [m for m in _YEAR_AHEAD.finditer(before) if not _in_spans(m.start(1), bases)]
    if named and start is not None and int(named[-1].group(1)) < start:
        return True
    floor = start if start is not None else 0
    forward = any(int(m.group(1)) >= floor for m in named) or any(
        _five_year(m.group(1))[1] >= floor for m in _PERIOD.finditer(before))
    return not forward and bool(_PAST_WORDS.search(before))


def _base_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in BASE_YEAR.finditer(text)]


def _in_spans(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def base_year(prefix: str) -> int | None:
    """The base year of a relative figure named in the clause before it."""
    found = None
    for m in BASE_YEAR.finditer(prefix):
        year = m.group("y1") or m.group("y2") or m.group("y3")
        found = int(year) if year else _five_year(m.group("p"))[1]
    return found


def year_for(text: str, pos: int, ctx: Context) -> tuple[int | None, bool]:
    """The target year of a number at `pos` and whether the text frames it as a period total."""
    para_start = text.rfind("\n", 0, pos) + 1
    before = text[para_start:pos]
    clause_lo, _ = clause_bounds(text, pos, pos)
    clause = text[clause_lo:pos]
    cumulative = bool(re.search(r"累计|期间|时期|五年", clause))
    label = _YEAR_LABEL.match(before)
    found: int | None = int(label.group(1)) if label else None
    floor = ctx.period[0] if ctx.period else (ctx.doc_year or 1990)
    bases = _base_spans(before)
    for m in _YEAR_AHEAD.finditer(before):
        y = int(m.group(1))
        if y >= floor and not m.group(0).startswith(("截至", "截止")) \
                and not _in_spans(m.start(1), bases):
            found = y
    for m in _PERIOD.finditer(before):
        end = _five_year(m.group(1))[1]
        if end >= floor and (found is None or m.start() > before.rfind(str(found))):
            found = end
    if found is None and ctx.goals and ctx.period:
        found = ctx.period[1]
    return found, cumulative


def provision_context(doc: Document, p: Provision, by_id: dict[str, Provision]) -> Context:
    """The Context of provision `p` of `doc`: the plan period and year of issue from its
    metadata, goals and background from the headings above it."""
    period = period_of(doc.meta.period)
    year = int(doc.meta.date[:4]) if doc.meta.date and doc.meta.date[:4].isdigit() else None
    goals = background = False
    node: Provision | None = p
    while node is not None:
        heading = match_key(node.heading or "")
        if node.kind != "paragraph" or node is not p:
            goals = goals or bool(_GOAL_HEADING.search(heading))
            background = background or bool(_BACKGROUND.match(heading))
        node = by_id.get(node.parent) if node.parent else None
    return Context(period, year, goals, background)
