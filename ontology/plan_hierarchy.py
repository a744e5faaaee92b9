"""Which plans may take up which (ontology.alignment): direction by level and date, and each
document's own line of government.

Separate from the search because it is a rule about documents, not about texts: target
alignment (ontology.target_alignment) and an add (pipeline.update) apply the same rule.

Direction comes from DocumentMeta.level (national > provincial > municipal > county);
documents at the same level are never aligned, a document never takes up one issued after
it, and only the plans of its own hierarchy (Hierarchy: national, its province's, its
city's).
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import cache
from typing import Iterable

from policykg.corpus.gazetteer import gazetteer
from policykg.corpus.records import Document
from policykg.corpus.vocabulary import LEVELS


def source_level(doc: Document) -> int | None:
    """The document's level as a source: None when unknown (it is nobody's source)."""
    return LEVELS.index(doc.meta.level) if doc.meta.level in LEVELS else None


# A document whose level is unknown is still below the national one (every plan in the
# country is): it takes up the national plans, and nothing below them, which it might be
# above or beside.  Silence would lose every link of a plan restating the national one.
UNKNOWN_BELOW = 1


def lower_rank(level: str | None) -> int:
    """The level a document looks up from, as a lower document: its own, or just below
    national when unknown (UNKNOWN_BELOW)."""
    return LEVELS.index(level) if level in LEVELS else UNKNOWN_BELOW


def may_take_up(higher: Document, lower: Document) -> bool:
    """Direction: strictly higher level, and not issued after the lower document."""
    hl, ll = source_level(higher), lower_rank(lower.meta.level)
    if hl is None or hl >= ll:
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
    The metadata gives each document its own region ("东莞市", "浏阳市", "北京市朝阳区"), not
    the regions above it.  Those come from the gazetteer of China's divisions
    (corpus.gazetteer): 浏阳市 is under 长沙市 under 湖南省, a district of 北京市 under 北京市
    with no city between (so no municipal plan is its own), whatever province.  A region the
    gazetteer does not know is read as before: the region of the level above that its name
    begins with (沈阳市铁西区 → 沈阳市), else the one of the corpus's regions at that level
    its text names most often (a 东莞 plan names 广东 far more than any other province).
    A document whose line stays unknown is not restricted: candidate ranking bounds it.
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
        """The region at `level` that `doc` belongs to; None: unknown (no restriction);
        NOWHERE: none at that level (a 直辖市's district has no city above it)."""
        key = (doc.file, level)
        if key not in self._parents:
            self._parents[key] = self._read_parent(doc, level)
        return self._parents[key]

    def in_line(self, lower: Document, level: int, region: str) -> bool:
        """Whether the plans of `region` at `level` are in `lower`'s line."""
        parent = self.parent(lower, level)
        return parent is None or same_place(parent, region)

    def _read_parent(self, doc: Document, level: int) -> str | None:
        if level == 0:
            return None
        own = doc.meta.region or ""
        above = gazetteer_line(own)
        if above is not None:
            return above.get(level, NOWHERE)
        regions = self.regions.get(level, ())
        prefixed = [r for r in regions if r != own and own.startswith(r)]
        if prefixed:
            return max(prefixed, key=len)
        # "佛山市三水区": the name says the city even when no plan of 佛山 is in the corpus
        # (then no municipal plan is this district's: better none than a wrong one).
        unit = _ENCLOSING.match(own)
        if unit and source_level(doc) == level + 1:
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
        hl = source_level(higher)
        if hl is None or hl == 0 or not higher.meta.region:
            return True
        return self.in_line(lower, hl, higher.meta.region)

    def allows(self, higher: Document, lower: Document) -> bool:
        return may_take_up(higher, lower) and self.contains(higher, lower)


NOWHERE = ""          # Hierarchy.parent: no region at that level is the document's own


@cache
def _division(region: str):
    """The division a region string names in full ([province][city][county]), or None."""
    if not region:
        return None
    found = gazetteer().match(region)
    return found.division if found is not None and found.end == len(region) else None


@cache
def gazetteer_line(region: str) -> dict[int, str] | None:
    """Level → the region above (or at) `region` at that level, from the gazetteer: 浏阳市
    → {0: …, 1: 湖南省, 2: 长沙市, 3: 浏阳市}; None when the gazetteer does not know it."""
    d = _division(region)
    if d is None:
        return None
    gaz = gazetteer()
    out: dict[int, str] = {}
    while d is not None:
        out[LEVELS.index(d.level)] = gaz.region(d)
        d = gaz.parent(d)
    return out


def same_place(a: str, b: str) -> bool:
    """Two region strings for one place (广州市黄埔区 / 黄埔区 under 广州市 alike)."""
    if a == b:
        return True
    da, db = _division(a), _division(b)
    return da is not None and da == db
