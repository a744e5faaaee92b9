"""Quantitative targets: what a plan commits to, by how much, by when — the record, and
every target of a document read from its tables and its prose.

Two sources, one record (`Target`):

* **Tables** (a 专栏 of 主要指标): read by ontology.target_tables — the header says which
  column is the base year and which the target year (2020年 | 2025年, “十四五”末, 基期 / 目标),
  which holds 预期性/约束性, which the unit; a cell in [ ] is a five-year total; a table of
  years down and indicators across is read too.  Tables under a background heading hold
  what was done and give no targets.
* **Prose**: a number with a measure word is a target when the clause commits to it, read
  by ontology.target_prose; when it is due, and whether it is the past, by
  ontology.target_context.

`extract_targets` walks each document's provisions — table rows before prose — and keeps one
target per fact (a goal restated in prose after its table row is the row).  Reading a
clause and comparing levels (ontology.target_alignment) live apart: each is a body of rules
of its own; this module is the record they share and the walk that makes it.

Indicators are concepts shared across documents: `indicator_key` (ontology.indicators) is the
normal form two wordings must share — spelling folded, statistical synonyms, qualifiers that
do not change what is counted (初次), size words on counts of people (规模, 总量), the
document's subject made explicit (在校生 in a 技工教育 plan is 技工院校在校生) and the unit
family (a share never meets a count); the wording as written stays on the target.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from policykg.corpus.records import Document, Provision
from policykg.ontology.indicators import document_subject, indicator_key
from policykg.ontology.spans import OffsetMap
from policykg.ontology.target_context import period_of, provision_context
from policykg.ontology.target_prose import parse_targets
from policykg.ontology.target_tables import row_targets, table_layout, transposed_targets

COMPARATORS = (">=", "<=", "=", "~")


# ---- records ---------------------------------------------------------------------------------

def export_number(v: float | None) -> float | int | None:
    """A figure as the exports write it: 12.0 → 12, otherwise rounded to six places."""
    if v is None:
        return None
    return int(v) if float(v).is_integer() else round(v, 6)


@dataclass(frozen=True)
class Target:
    """One quantitative commitment of one provision."""

    doc: str
    provision: str
    indicator: str                 # as written, cleaned ("高级工班及以上在校生比例")
    indicator_key: str             # the concept shared across documents
    unit: str | None               # as written: 所, 万人, %, 万人次, 个/年, 1:N …
    value: float
    comparator: str                # one of COMPARATORS
    year: int | None
    baseline_value: float | None
    baseline_year: int | None
    cumulative: bool
    attribute: str | None          # 预期性 / 约束性 (tables) or None
    text: str                      # the passage the target was read from
    start: int                     # source offsets of the passage
    end: int
    upper: float | None = None     # a range "2—3个": value is the lower bound, upper the upper
    origin: str = "prose"          # "table" or "prose"
    # a change from a base year ("比2020年提高3个百分点": baseline_year 2020, value 3), never
    # a level of 3
    relative: bool = False

    def to_export(self) -> dict:
        """`baseline` is the base-year value when the text gives one; `baseline_year` the
        base year whenever it does — also for a relative change with no base value
        ("比2020年提高3个百分点": relative, baseline_year 2020, target value 3)."""
        baseline = None
        if self.baseline_value is not None:
            baseline = {"value": export_number(self.baseline_value), "year": self.baseline_year}
        return {"doc": self.doc, "provision": self.provision, "indicator": self.indicator,
                "unit": self.unit,
                "target": {"value": export_number(self.value), "comparator": self.comparator,
                           "year": self.year},
                "baseline": baseline, "cumulative": self.cumulative,
                "attribute": self.attribute, "relative": self.relative,
                "baseline_year": self.baseline_year}


def unit_key(unit: str | None) -> str:
    """A unit as targets are matched on it: 名 counts 人, a full-width ％ is %."""
    return (unit or "").replace("名", "人").replace("％", "%")


# ---- documents --------------------------------------------------------------------------------

def _own_body(p: Provision) -> tuple[str, int]:
    """The provision's own text without its marker, and where that text starts in own_text."""
    text = p.own_text
    if p.number and text.startswith(p.number):
        cut = len(p.number)
        return text[cut:], cut
    return text, 0


def extract_targets(docs: Sequence[Document]) -> list[Target]:
    """Every target of every document, table rows before prose; one per fact per document."""
    out: list[Target] = []
    for doc in docs:
        out.extend(_dedupe(_document_targets(doc)))
    return out


def _document_targets(doc: Document) -> list[Target]:
    by_id = doc.by_id()
    offsets = OffsetMap(doc)
    period = period_of(doc.meta.period)
    subject = document_subject(doc.meta.title, doc.source)
    table_rows, prose = [], []
    rows_of: dict[str, list[Provision]] = {}
    for p in doc.provisions:
        if p.kind == "table_row":
            table = by_id.get(p.parent) if p.parent else None
            if table is not None and table.kind == "table":
                rows_of.setdefault(table.id, []).append(p)
        elif p.kind != "table":
            prose.extend(_prose_targets(doc, p, by_id, offsets, subject))
    for table_id, rows in rows_of.items():
        table = by_id[table_id]
        if provision_context(doc, table, by_id).background:
            continue                          # a table of what was done, under 发展基础
        for row, found in _table_targets(table, rows, period):
            offs = offsets.offsets(row.own_text, row.start)
            start, end = offsets.span(offs, 0, len(row.own_text))
            table_rows.append(_make(doc, row, found, row.own_text, start, end, "table",
                                    subject))
    return table_rows + prose


def _table_targets(table: Provision, rows: list[Provision],
                   period: tuple[int, int] | None) -> list[tuple[Provision, dict]]:
    """Each row with the targets it states, in row order."""
    note = table.own_text
    if table_layout(table.columns, note, period) is None:
        cells = [r.cells for r in rows]
        return [(rows[k], t) for k, t in transposed_targets(cells, table.columns, note, period)]
    return [(r, t) for r in rows for t in row_targets(r.cells, table.columns, note, period)]


def _prose_targets(doc: Document, p: Provision, by_id: dict[str, Provision],
                   offsets: OffsetMap, subject: str | None) -> list[Target]:
    body, cut = _own_body(p)
    found = parse_targets(body, provision_context(doc, p, by_id))
    if not found:
        return []
    offs = offsets.offsets(p.own_text, p.start)
    out = []
    for f in found:
        start, end = offsets.span(offs, f.start + cut, f.end + cut)
        row = {"indicator": f.indicator, "unit": f.unit, "value": f.value,
               "comparator": f.comparator, "year": f.year,
               "baseline_value": f.baseline_value, "baseline_year": f.baseline_year,
               "cumulative": f.cumulative, "attribute": None, "upper": f.upper,
               "relative": f.relative}
        out.append(_make(doc, p, row, body[f.start:f.end], start, end, "prose", subject))
    return out


def _make(doc: Document, p: Provision, row: dict, text: str, start: int, end: int,
          origin: str, subject: str | None) -> Target:
    """A target of `doc`; `subject` the institution class the document is about (its bare
    populations' subject in the indicator key)."""
    return Target(doc=doc.file, provision=p.id, indicator=row["indicator"],
                  indicator_key=indicator_key(row["indicator"], row["unit"], subject),
                  unit=row["unit"],
                  value=row["value"], comparator=row["comparator"], year=row["year"],
                  baseline_value=row["baseline_value"], baseline_year=row["baseline_year"],
                  cumulative=row["cumulative"], attribute=row["attribute"], text=text.strip(),
                  start=start, end=end, upper=row.get("upper"), origin=origin,
                  relative=row.get("relative", False))


def _dedupe(targets: Iterable[Target]) -> list[Target]:
    """A goal restated in prose after its table row is one target: the table row is kept.
    The same figure for two years (a 2023 milestone and the 2025 goal) is two targets; a
    figure the prose gives without a year is the one the table dated."""
    seen: set[tuple] = set()
    undated: set[tuple] = set()
    out = []
    for t in targets:
        key = (t.indicator_key, unit_key(t.unit), t.value, t.cumulative)
        if (*key, t.year) in seen or (t.year is None and key in undated):
            continue
        seen.add((*key, t.year))
        undated.add(key)
        out.append(t)
    return out
