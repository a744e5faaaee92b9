"""Targets across levels: which higher target a lower one is set against, and the verdict.

Apart from reading targets (ontology.targets, ontology.target_prose): this works on a
corpus's targets once read, across documents and with their hierarchy (ontology.alignment),
never on one document's text.

`align_targets` compares equal keys (ontology.indicators.indicator_key) across levels as
relation "same", and rates whose keys differ by one short qualifier as "related" (对口就业率 vs
就业率) — never counts that differ by a qualifier (高水平技工院校 is a subset of 技工院校;
comparing the counts says nothing).  `compare` gives the verdict of a link, in one place for
the graph, the exports and the web: rates, shares, changes in points or percent, multiples,
durations and figures per head or per unit are judged (below / equal / above); a count grows
with the place — every city is below its province on 在校生 — so counts are set side by side
with the verdict "n/a".
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

from policykg.corpus.records import Document
from policykg.corpus.vocabulary import LEVELS
from policykg.ontology.indicators import RATE_UNITS
from policykg.ontology.plan_hierarchy import Hierarchy, may_take_up
from policykg.ontology.targets import Target, export_number, unit_key


@dataclass(frozen=True)
class TargetAlignment:
    """The same indicator targeted at two levels; `comparison` is the lower one's target
    relative to the higher one's ("below" / "equal" / "above"), or "n/a" for counts, which
    grow with the place and are set side by side unjudged (see `compare`)."""

    higher: Target
    lower: Target
    comparison: str
    higher_key: str
    lower_key: str
    relation: str = "same"         # "same" concept, or "related" (one key qualifies the other)

    def to_export(self) -> dict:
        """A row of the alignments export (kind "target")."""
        return {"higher": self.higher.provision, "lower": self.lower.provision,
                "kind": "target", "score": 1.0 if self.relation == "same" else 0.5,
                "evidence": f"{_describe(self.higher)} ↔ {_describe(self.lower)}",
                "comparison": self.comparison, "relation": self.relation,
                "indicator": self.higher.indicator}


def _describe(t: Target) -> str:
    sign = {">=": "≥", "<=": "≤", "=": "", "~": "≈"}[t.comparator]
    year = f"（{t.year}年）" if t.year else ""
    return f"{t.indicator} {sign}{export_number(t.value)}{t.unit or ''}{year}"


# ---- across levels ----------------------------------------------------------------------------

MAX_QUALIFIER = 4


def related_keys(a: str, b: str) -> bool:
    """One key is the other with one short qualifier inserted, the measure word unchanged:
    毕业生就业率 / 毕业生初次就业率 — but not 毕业生就业率 / 学制技师班毕业生对口就业率 (two
    qualifiers: another population and another measure)."""
    short, long_ = sorted((a, b), key=len)
    extra = len(long_) - len(short)
    if not 1 <= extra <= MAX_QUALIFIER or len(short) < 4 or short[-2:] != long_[-2:]:
        return False
    return any(long_[:k] + long_[k + extra:] == short for k in range(len(short) - 1))


# ---- fair comparisons -----------------------------------------------------------------------------

NOT_COMPARED = "n/a"
VERDICTS = ("below", "equal", "above", NOT_COMPARED)
# Figures that do not grow with the size of a place, so a city's may be read against its
# province's: shares and rates (55 % of students, 生师比 20:1), changes in points or in percent
# of a base, multiples of a base (翻一番), durations (a teacher's 2 months in a firm: time per
# person), and figures per head or per unit (人均, 生均, 每万人, 每个县).  A count (学校 所,
# 在校生 万人, 培训 人次, also a change of a count: 比2022年增加1万人) grows with the place: every
# city is "below" its province, which says nothing — counts are set side by side, unjudged.
_SCALE_FREE = {"rate": RATE_UNITS + ("个百分点", "百分点", "倍"),
               "duration": ("个月", "天", "周", "学时", "课时", "小时")}
_PER_UNIT = re.compile(r"人均|生均|校均|师均|户均|平均|每\s*[十百千万]+\s*(?:个|名|位|所|家)?|"
                       r"每\s*(?:个|所|家|位|名)?\s*(?:人|生|学生|校|学校|院校|教师|企业|专业|班|"
                       r"县|市|区|镇|乡|户)")


def comparison_basis(unit: str | None, indicator: str = "") -> str:
    """What a target measures, for comparing levels: "rate", "duration", "per-unit" (per head,
    per school …) — comparable across levels — or "count", which is not (see NOT_COMPARED)."""
    u = unit_key(unit).strip()
    for basis, units in _SCALE_FREE.items():
        if u in units:
            return basis
    if _PER_UNIT.search(indicator or ""):
        return "per-unit"
    return "count"


def comparable(unit: str | None, indicator: str = "") -> bool:
    """Whether a lower level's target of this unit and name may be judged against a higher
    level's: yes for rates, durations and per-unit figures, never for counts."""
    return comparison_basis(unit, indicator) != "count"


def compare(higher: float, lower: float, unit: str | None, indicator: str = "") -> str:
    """The lower level's target against the higher level's: "below", "equal", "above" — or
    NOT_COMPARED ("n/a") for counts, listed side by side with no verdict.  The one place
    the verdict is made (align_targets, the graph and the web's 对比 read it from here)."""
    if not comparable(unit, indicator):
        return NOT_COMPARED
    if math.isclose(higher, lower, rel_tol=1e-9, abs_tol=1e-9):
        return "equal"
    return "below" if lower < higher else "above"


def align_targets(targets: Sequence[Target], docs: Sequence[Document],
                  hierarchy=None) -> list[TargetAlignment]:
    """The same indicator targeted by a lower-level document and its nearest counterparts.

    Pairs must share the unit and the cumulative flag (a five-year total is not a yearly
    level).  Equal keys are the same concept; rates whose keys differ by one short qualifier
    are "related".  A lower target is compared, at each higher level, with one document
    only: the nearest in its own hierarchy (its province's plan, the national one — see
    plan_hierarchy.Hierarchy) that it may take up, preferring the same concept to a related
    one, then the latest issued, then the file name; and of that document's targets for
    the indicator the one whose year is nearest (a plan's 2023 and 2025 goals).  So a municipal goal is set against its province's and the
    nation's, not against every province's: the links grow with the targets, not with
    their square.  Keys are grouped by their last two characters so the work stays local;
    the links come in the order of the groups' first use, then of the higher and the
    lower target in their group.  `hierarchy`: a plan_hierarchy.Hierarchy of the whole corpus,
    when `docs` are only some of its documents (the lower ones with their text).
    """
    by_file = {d.file: d for d in docs if d.meta.level in LEVELS}
    hierarchy = hierarchy or Hierarchy(d.meta for d in by_file.values())
    allowed: dict[tuple[str, str], bool] = {}

    def ok(hi: str, lo: str) -> bool:
        if (hi, lo) not in allowed:
            a, b = by_file[hi], by_file[lo]
            allowed[(hi, lo)] = may_take_up(a, b) and hierarchy.contains(a, b)
        return allowed[(hi, lo)]

    groups: dict[str, list[Target]] = {}
    for t in targets:
        if t.doc in by_file:
            groups.setdefault(t.indicator_key[-2:], []).append(t)
    out = []
    for members in groups.values():
        found: list[tuple[int, int, TargetAlignment]] = []
        nearest = _Nearest(members, by_file, ok)
        for j, lo in enumerate(members):
            for i, hi, relation in nearest(lo):
                verdict = compare(hi.value, lo.value, lo.unit, lo.indicator)
                found.append((i, j, TargetAlignment(hi, lo, verdict, hi.indicator_key,
                                                    lo.indicator_key, relation)))
        out.extend(ta for _, _, ta in sorted(found, key=lambda f: (f[0], f[1])))
    return out


def _relation(hi: Target, lo: Target) -> str | None:
    if unit_key(hi.unit) != unit_key(lo.unit) or hi.cumulative != lo.cumulative:
        return None
    if hi.indicator_key == lo.indicator_key:
        return "same"
    if hi.unit in RATE_UNITS and related_keys(hi.indicator_key, lo.indicator_key):
        # Only rates: a qualifier on a rate (初次, 对口) changes how one ratio is measured;
        # on a count (高水平技工院校 of 技工院校) it picks out a subset, and comparing the two
        # counts says nothing.
        return "related"
    return None


class _Nearest:
    """`lo`'s counterparts in one group of targets: (position, higher target, relation),
    one per higher level, of the nearest document (see align_targets).

    The group's targets are bucketed by level and document once, and the higher documents
    a lower one may take up are found once per lower document of the group: a target then
    looks only at the targets of its own hierarchy, not at the whole group (which at 2,000
    documents holds thousands of targets of every province)."""

    def __init__(self, members: Sequence[Target], by_file: dict[str, Document], ok):
        self.by_file, self.ok = by_file, ok
        self.buckets: dict[str, tuple[int, list[tuple[int, Target]]]] = {}
        for i, hi in enumerate(members):
            level = LEVELS.index(by_file[hi.doc].meta.level)
            self.buckets.setdefault(hi.doc, (level, []))[1].append((i, hi))
        self.above: dict[str, list[tuple[int, tuple, list[tuple[int, Target]]]]] = {}

    def _above(self, doc: str) -> list[tuple[int, tuple, list[tuple[int, Target]]]]:
        """(level, date key, targets) of each document `doc` may take up, in the group."""
        if doc not in self.above:
            level = LEVELS.index(self.by_file[doc].meta.level)
            self.above[doc] = [(hl, _descending(self.by_file[hd].meta.date or ""), items)
                               for hd, (hl, items) in self.buckets.items()
                               if hl < level and self.ok(hd, doc)]
        return self.above[doc]

    def __call__(self, lo: Target) -> list[tuple[int, Target, str]]:
        best: dict[int, tuple[tuple, int, Target, str]] = {}
        for hl, date, items in self._above(lo.doc):
            for i, hi in items:
                relation = _relation(hi, lo)
                if relation is None:
                    continue
                years = abs(hi.year - lo.year) if hi.year and lo.year else 10_000
                rank = (relation != "same", date, hi.doc, years, i)
                if hl not in best or rank < best[hl][0]:
                    best[hl] = (rank, i, hi, relation)
        # align_targets sorts the links by position, so the order of levels is immaterial.
        return [(i, hi, relation) for _, i, hi, relation in best.values()]


def _descending(text: str) -> tuple[int, ...]:
    """A sort key putting later strings first."""
    return tuple(-ord(c) for c in text) + (0,)
