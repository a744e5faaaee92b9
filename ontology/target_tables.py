"""Indicator tables (主要指标表): which column is what, and the targets each row states.

A table reaches this module as its header cells and its rows' cells, whatever it was written
in: a Word table, an HTML <table>, a Markdown pipe table or a tab-separated text table all
become the same `table` / `table_row` provisions in corpus.segment.

Two layouts are read:

* **Indicators down, years across** (the usual one): 指标 | 2020年 | 2025年 | 属性.  The latest
  year (or a 目标 column) is the target, an earlier one the baseline; every column of a year
  after the baseline is a target of its own year (2023年 | 2025年 are two goals, never one
  silently dropped).  Years may be written "“十四五”末"; 基期/基数/现状 and 目标 columns
  work without years (the plan period's end is then the year).
* **Years down, indicators across** (transposed): 年份 | 在校生（万人） | 就业率（%）, one row
  per year.  The row of the latest year holds the targets, the row of an earlier year the
  baselines.

Units come from a 单位 column, from the indicator's own brackets ("技工院校数（所）"), from the
year column's header ("2025年（万人）"), or from a "%" in the cell.  A cell in [ ] is a
five-year total, as the table note says ("注：[]内为五年累计数") — unless a note gives the
brackets another meaning.  Cells hold ≥/≤/约, 以上/以下/左右 and ranges ("3—5").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from policykg.corpus.text import fold_width

_YEAR_HEADER = re.compile(r"(\d{4})\s*年?")
_FIVE_YEAR_END = re.compile(r"十([一二三四五六七八九])五[”\"]?\s*(末|期末)")
_CELL = re.compile(r"^(?P<open>[\[［【〔(（])?\s*(?P<cmp>≥|≤|>=|<=|>|<|≈|~|～|约)?\s*"
                   r"(?P<num>\d+(?:\.\d+)?)\s*(?:[-—–~～至]\s*(?P<num2>\d+(?:\.\d+)?))?\s*"
                   r"(?P<pct>%)?\s*(?P<suf>以上|以下|左右)?\s*"
                   r"(?P<close>[\]］】〕)）])?$")
_UNIT_IN_NAME = re.compile(r"[（(](?:单位\s*[:：]\s*)?(?!含|不含|包括|其中|注)(?P<unit>[^（）()]{1,6})[）)]\s*$")
_ASIDE = re.compile(r"[（(][^（）()]*[）)]")
_NAME_LEAD = re.compile(r"^\s*(?:\d{1,3}\s*[.．、]|[（(]\d{1,3}[)）]|其中\s*[:：]?|含\s*[:：])\s*")
_ATTRIBUTES = ("预期性", "约束性")
_CMP = {"≥": ">=", ">=": ">=", ">": ">=", "≤": "<=", "<=": "<=", "<": "<=", "≈": "~",
        "~": "~", "～": "~", "约": "~"}
_SUFFIX = {"以上": ">=", "以下": "<=", "左右": "~"}


@dataclass(frozen=True)
class Cell:
    value: float
    comparator: str
    bracketed: bool
    percent: bool
    upper: float | None = None       # a range "3—5": value is the lower bound


def parse_cell(text: str) -> Cell | None:
    """The figure a cell holds, or None ("—", "预期性", "逐步提高")."""
    m = _CELL.match(fold_width(text).strip())
    if not m:
        return None
    upper = float(m.group("num2")) if m.group("num2") else None
    cmp = _CMP.get(m.group("cmp") or "") or _SUFFIX.get(m.group("suf") or "")
    cmp = cmp or (">=" if upper is not None else "=")
    return Cell(float(m.group("num")), cmp, bool(m.group("open") and m.group("close")),
                bool(m.group("pct")), upper)


def header_year(text: str, period_end: int | None = None) -> int | None:
    """The year a header cell names: "2025年", "2025年目标", "“十四五”末"."""
    folded = fold_width(text)
    m = _YEAR_HEADER.search(folded)
    if m and 1990 <= int(m.group(1)) <= 2100:
        return int(m.group(1))
    m = _FIVE_YEAR_END.search(folded)
    if m:
        n = 11 + "一二三四五六七八九".index(m.group(1))
        return 2006 + 5 * (n - 11) + 4
    return None


@dataclass(frozen=True)
class TableLayout:
    name_col: int
    base_col: int | None
    base_year: int | None
    target_col: int
    target_year: int | None
    attribute_col: int | None
    unit_col: int | None
    brackets_cumulative: bool
    # every target column with its year, the latest first (target_col among them)
    target_cols: tuple[tuple[int, int | None], ...] = ()


def brackets_mean_totals(note: str) -> bool:
    """"注：[]内为五年累计数": brackets mean a period total, unless a note gives them another
    sense ("[]内为预测值")."""
    return not re.search(r"[\[［]\s*[\]］]\s*内为(?!.*累计)", note)


def table_layout(columns: Sequence[str], note: str,
                 period: tuple[int, int] | None) -> TableLayout | None:
    """Which column is what, read from the header; None when the table holds no targets."""
    years = [(i, y) for i, c in enumerate(columns) if (y := header_year(c)) is not None]
    base = next((i for i, c in enumerate(columns) if re.search(r"基期|基准|现状|基数", c)), None)
    goal = next((i for i, c in enumerate(columns) if re.search(r"目标", c)), None)
    if goal is None and years:
        goal = max(years, key=lambda t: t[1])[0]
    if goal is None:
        return None
    year_of = dict(years)
    if base is None:
        base = _base_column(years, goal, year_of, period)
    target_year = year_of.get(goal) or (period[1] if period else None)
    base_year = year_of.get(base) if base is not None else None
    attr = next((i for i, c in enumerate(columns) if "属性" in c or "性质" in c), None)
    unit = next((i for i, c in enumerate(columns)
                 if re.fullmatch(r"(计量|指标)?单位", fold_width(c).strip())), None)
    taken = {goal, base, attr, unit}
    name = next((i for i, c in enumerate(columns)
                 if i not in taken and not re.fullmatch(r"序号|编号", c.strip())), 0)
    # Columns of a year after the baseline other than the goal's: intermediate goals.
    floor = base_year if base_year is not None else (period[0] - 1 if period else None)
    more = [(i, y) for i, y in years if i not in taken and floor is not None and y > floor]
    targets = ((goal, target_year),) + tuple(sorted(more, key=lambda t: -t[1]))
    return TableLayout(name, base, base_year, goal, target_year, attr, unit,
                       brackets_mean_totals(note), targets)


def _base_column(years: list[tuple[int, int]], goal: int, year_of: dict[int, int],
                 period: tuple[int, int] | None) -> int | None:
    """The baseline among the year columns before the goal: the last year before the plan
    period (2020 of 2020 | 2023 | 2025 in a 2021–2025 plan: 2023 is a milestone); without a
    period, the earliest year."""
    earlier = [t for t in years if t[0] != goal and t[1] < year_of.get(goal, 10**4)]
    if not earlier:
        return None
    if period is not None:
        before = [t for t in earlier if t[1] < period[0]]
        if before:
            return max(before, key=lambda t: t[1])[0]
    return min(earlier, key=lambda t: t[1])[0]


def _clean_name(raw: str) -> tuple[str, str | None]:
    """The indicator's name without its number, 其中, unit and asides; and the unit."""
    name = _NAME_LEAD.sub("", raw.strip()).strip()
    unit = None
    um = _UNIT_IN_NAME.search(name)
    if um:
        unit = fold_width(um.group("unit")).strip()
        name = name[: um.start()].strip()
    name = _ASIDE.sub("", name).strip(" ：:")
    return name, unit


def _header_unit(header: str) -> str | None:
    um = _UNIT_IN_NAME.search(header.strip())
    return fold_width(um.group("unit")).strip() if um else None


def row_targets(cells: Sequence[str], columns: Sequence[str], note: str,
                period: tuple[int, int] | None) -> list[dict]:
    """The targets one row of an indicators-down table states, as target records."""
    layout = table_layout(columns, note, period)
    if layout is None:
        return []
    raw = cells[layout.name_col] if layout.name_col < len(cells) else ""
    name, unit = _clean_name(raw)
    if layout.unit_col is not None and layout.unit_col < len(cells):
        unit = cells[layout.unit_col].strip() or unit
    base = _cell(cells, layout.base_col)
    attr = (_cell_text(cells, layout.attribute_col) or "").strip()
    out = []
    for col, year in layout.target_cols:
        target = _cell(cells, col)
        if target is None or not name:
            continue
        out.append(_record(name, unit or _header_unit(columns[col]), target, year, base,
                           layout.base_year, layout.brackets_cumulative,
                           attr if attr in _ATTRIBUTES else None))
    return out


def transposed_targets(rows: Sequence[Sequence[str]], columns: Sequence[str], note: str,
                       period: tuple[int, int] | None) -> list[tuple[int, dict]]:
    """(row index, target) of a years-down table: 年份 | 在校生（万人） | 就业率（%）."""
    if table_layout(columns, note, period) is not None or not rows:
        return []
    years = [(k, header_year(r[0])) for k, r in enumerate(rows) if r]
    years = [(k, y) for k, y in years if y is not None]
    if len(years) < 2 and not (years and period and years[0][1] >= period[0]):
        return []
    goal_row, goal_year = max(years, key=lambda t: t[1])
    earlier = [t for t in years if t[1] < goal_year]
    base_row, base_year = max(earlier, key=lambda t: t[1]) if earlier else (None, None)
    cumulative = brackets_mean_totals(note)
    out = []
    for col in range(1, len(columns)):
        name, unit = _clean_name(columns[col])
        target = _cell(rows[goal_row], col)
        if target is None or not name:
            continue
        base = _cell(rows[base_row], col) if base_row is not None else None
        out.append((goal_row, _record(name, unit, target, goal_year, base, base_year,
                                      cumulative, None)))
    return out


def _cell_text(cells: Sequence[str], col: int | None) -> str | None:
    return cells[col] if col is not None and col < len(cells) else None


def _cell(cells: Sequence[str], col: int | None) -> Cell | None:
    text = _cell_text(cells, col)
    return parse_cell(text) if text is not None else None


def _record(name: str, unit: str | None, target: Cell, year: int | None, base: Cell | None,
            base_year: int | None, brackets_cumulative: bool, attribute: str | None) -> dict:
    if unit is None and target.percent:
        unit = "%"
    return {"indicator": name, "unit": unit, "value": target.value,
            "comparator": target.comparator, "year": year,
            "baseline_value": base.value if base else None,
            "baseline_year": base_year if base else None,
            "cumulative": target.bracketed and brackets_cumulative,
            "attribute": attribute, "upper": target.upper}
