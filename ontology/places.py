"""Places: which place a name stands for, at which level, under which province and city.

Read from China's divisions (corpus.gazetteer): 广东省, 东莞, 广州市天河区, 浏阳市 (a
county-level city, under 长沙市), the place a body's name starts with (place_prefix), and the
patterns that find a place in running text.  Kept apart from the departments because
everything that reads a name needs it — the resolver (ontology.departments), the shapes of
written names (ontology.written_names), the responsibility grammar and the mention finder —
and nothing here knows about bodies.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Iterable

from policykg.corpus.gazetteer import Division, gazetteer, short_name
from policykg.corpus.text import CJK, match_key

NATIONAL_PLACE = "全国"


def _province_names() -> tuple[str, ...]:
    return tuple(d.name for d in gazetteer().provinces())


def _prefectures() -> list[Division]:
    return [d for d in gazetteer() if d.kind == "prefecture"]


PROVINCES = _province_names()
# Every prefecture-level unit (市, 自治州, 地区, 盟) by its full name, with its province.
PROVINCE_OF_CITY = {d.name: gazetteer().province(d).name for d in _prefectures()}
SHORT_PROVINCE = {short_name(p): p for p in PROVINCES}


@dataclass(frozen=True)
class Place:
    name: str                  # 全国, 广东省, 东莞市, 广州市天河区, 浏阳市
    level: str                 # national | provincial | municipal | county
    province: str | None = None
    city: str | None = None    # a county's prefecture-level city, where it has one
    # the gazetteer's kind (province, municipality, prefecture, district, county,
    # county_city), None for a place it does not know: a county-level city's text says
    # 市 of itself, a 直辖市's 市 is the province
    kind: str | None = field(default=None, compare=False)

    @property
    def higher(self) -> "Place | None":
        if self.level == "national":
            return None
        if self.level == "provincial":
            return NATIONAL
        if self.level == "county" and self.city:
            return Place(self.city, "municipal", self.province, kind="prefecture")
        if self.province:
            return Place(self.province, "provincial", self.province)
        return NATIONAL


NATIONAL = Place(NATIONAL_PLACE, "national")


@functools.lru_cache(maxsize=4096)
def place_of(name: str | None, level: str | None = None) -> Place | None:
    """A place from a name as the metadata or a text gives it: 广东省, 广东, 东莞市, 东莞,
    广东省东莞市, 广州市天河区, 浏阳市 (a county-level city: county, under 长沙市), 北京市朝阳区
    (a district of a 直辖市: county, under 北京市).  A name the gazetteer does not know, or
    one it has twice (朝阳区), is read by its level word, `level` deciding a bare 市."""
    if not name:
        return None
    name = match_key(name)
    if name in (NATIONAL_PLACE, "中国", "中华人民共和国", "国家"):
        return NATIONAL
    g = gazetteer()
    m = g.match(name)
    if m is not None and m.end == len(name) and m.division is not None:
        return _place(m.division)
    if m is None or m.end < len(name):
        short = g.resolve(name)             # 广东, 东莞, 浏阳
        if short is not None and short.kind != "district":
            return _place(short)
    for prov in PROVINCES:                  # 广东省某某市: a place the gazetteer lacks
        if name.startswith(prov) and len(name) > len(prov):
            inner = place_of(name[len(prov):], level)
            if inner is not None:
                return Place(inner.name, inner.level, prov, inner.city, inner.kind)
    if name.endswith("市"):
        return Place(name, level if level in ("municipal", "county") else "municipal")
    if name.endswith(("县", "区", "旗")):
        return Place(name, "county")
    if name.endswith(("省", "自治区")):
        return Place(name, "provincial", name)
    return Place(name, level or "municipal")


def _place(d: Division) -> Place:
    g = gazetteer()
    province = g.province(d).name
    if d.level == "provincial":
        return Place(d.name, "provincial", d.name, kind=d.kind)
    if d.level == "municipal":
        return Place(d.name, "municipal", province, kind=d.kind)
    city = g.prefecture(d)
    return Place(g.region(d), "county", province, city.name if city else None, d.kind)


def place_prefix(text: str) -> tuple[Place, int] | None:
    """The place a body's name starts with and where it ends, by the gazetteer: 广州市天河区
    in 广州市天河区教育局, 浏阳市 in 浏阳市人社局, 湖南省浏阳市 in 湖南省浏阳市教育局; None when
    the name starts with no place, or with one that exists twice (朝阳区教育局)."""
    m = gazetteer().match(match_key(text))
    if m is None or m.division is None:
        return None
    return _place(m.division), m.end


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex for many names, as a character trie: Python's re tries alternatives one
    by one, so a flat alternation costs a test per name at every character of every text;
    a trie costs one per distinct next character."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        end = "" in node
        alts = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if end else body
    return emit(trie)


# Provinces and prefecture-level units: the places a name in running text is matched
# against by regex (PLACE_RE is part of the mention pattern run over every text, so it
# stays at this size; a county-level place is found by place_prefix, or by
# OTHER_PLACE_RE and then place_of).
_KNOWN_PLACES = sorted(list(PROVINCES) + list(PROVINCE_OF_CITY), key=len, reverse=True)
PLACE_RE = re.compile(_trie_pattern(_KNOWN_PLACES))
# An unlisted place: two or three characters and the level word, before a body's name.
OTHER_PLACE_RE = re.compile(f"^(?![省市县区各])[{CJK}]{{2,3}}?(?:市|县|区|省|自治州|盟)")
