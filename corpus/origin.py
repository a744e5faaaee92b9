"""Where a document comes from: its administrative level and region, with the evidence.

Read in this order, the first that settles both wins (a later one may still fill the
region a bare "市人社局" left open, or settle a name such as 朝阳区 that exists twice):

1. the issuers, in order — "浏阳市人力资源和社会保障局" names a county-level city under 长沙,
   so county, 浏阳市; a ministry or 国务院 is national;
2. the 文号's organ code — 鲁 山东, 甬 宁波, 浏 the 浏阳 of the issuer's province (see
   corpus.gazetteer.Gazetteer.number_place);
3. the title — "北京市推动技工教育高质量发展实施方案";
4. the body — how the text names itself (本市, 全省, 我县 …) agreeing with the place it names
   most often.

Every place is checked against the gazetteer (corpus.gazetteer).  What none of these settles
is left None with the reason, never guessed; the caller says which flag to pass.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from policykg.corpus.gazetteer import Division, gazetteer
from policykg.corpus.text import DOC_NUMBER

NATIONAL_REGION = "全国"
HAN = "\u4e00-\u9fff"
_NATIONAL = re.compile(r"^(国务院|中共中央|党中央|中央|全国|中华人民共和国|国家|最高人民)")
_MINISTRY = re.compile(rf"^[{HAN}]{{1,14}}(部|总局|署)(办公厅|[{HAN}]{{1,8}}司)?$")
# A national 文号: 国发, 国办发, 中办发, or a ministry's code ending in 部 (人社部发, 教职成 is
# 教育部's department code and is not caught: it is left to the issuer).
_NATIONAL_NUMBER = re.compile(r"^(国|中发|中办|[^〔]*部)")
# Zones named …区 that are not counties: a bay area, a pilot or development zone.
_NOT_COUNTY = re.compile(r"(湾区|经济区|特区|试验区|示范区|开发区|高新区|园区|片区|社区|景区|城区|辖区|新区)")
# A place the gazetteer does not know, by its level word (a renamed or new unit).
_UNKNOWN = re.compile(rf"^(?:中共)?(?P<name>[{HAN}]{{2,8}}?(?P<word>省|自治区|自治州|县|旗|区|市))")
_BARE = (("省", "provincial"), ("自治区", "provincial"), ("市", "municipal"), ("州", "municipal"),
         ("区", "county"), ("县", "county"))
# How a text names itself: 本市, 全省, 我县 … and the kinds of unit each word can be.
_SELF = re.compile(r"(?:本|我|全)(省|市|区|县|州|旗)")
_SELF_KINDS = {"省": ("province",), "市": ("municipality", "prefecture", "county_city"),
               "区": ("district", "province"), "县": ("county",), "旗": ("county",),
               "州": ("prefecture",)}


@dataclass(frozen=True)
class NamedPlace:
    """What a name says about its place: the level, and the region when it is settled."""

    level: str | None
    region: str | None
    division: Division | None = None
    note: str | None = None            # why the region is open, when it is


@dataclass(frozen=True)
class Origin:
    level: str | None
    region: str | None
    sources: Mapping[str, str] = field(default_factory=dict)     # "level" → "from the issuer"
    unsettled: Mapping[str, str] = field(default_factory=dict)   # "region" → why not


def place_of(name: str, within: Division | None = None) -> NamedPlace | None:
    """The level and region a body's (or a title's) name starts with, or None.

    "浏阳市人力资源和社会保障局" → county 浏阳市; "北京市海淀区人民政府" → county 北京市海淀区;
    "北京市教育委员会" → provincial 北京市; "人力资源社会保障部" → national 全国; "市人社局" →
    municipal, region open; "朝阳区教育局" → county, region open unless `within` says whose.
    """
    name = re.sub(r"\s+", "", name or "")
    name = name[2:] if name.startswith("中共") else name
    if not name:
        return None
    g = gazetteer()
    m = g.match(name, within)
    if m is not None:
        return _from_match(name, m)
    if _NATIONAL.match(name) or _MINISTRY.match(name):
        return NamedPlace("national", NATIONAL_REGION)
    return _unknown_place(name)


def _from_match(name: str, m) -> NamedPlace | None:
    g = gazetteer()
    if m.division is None:                       # 朝阳区…: several units carry the name
        levels = {d.level for d in m.candidates}
        where = "、".join(g.region(d) for d in m.candidates[:4])
        return NamedPlace(levels.pop() if len(levels) == 1 else None, None,
                     note=f"{name[:m.end]} is ambiguous ({where})")
    d = m.division
    if d.kind == "district" and _NOT_COUNTY.search(name[:m.end]):
        d = g.parent(d) or d
    return NamedPlace(d.level, g.region(d), d)


def _unknown_place(name: str) -> NamedPlace | None:
    m = _UNKNOWN.match(name)
    if m and not _NOT_COUNTY.search(m.group("name")) and m.group("name") != name:
        word = m.group("word")
        if word == "市":                # a city not in the list: prefecture or county-level?
            return NamedPlace(None, None, note=f"{m.group('name')} is not in the gazetteer")
        level = {"省": "provincial", "自治区": "provincial", "自治州": "municipal"}.get(word, "county")
        return NamedPlace(level, None, note=f"{m.group('name')} is not in the gazetteer")
    for prefix, level in _BARE:         # 省人社厅, 市人社局: the level word without the place
        if name.startswith(prefix) and len(name) > len(prefix) + 1:
            return NamedPlace(level, None, note=f"{name} names no place")
    return None


# ---- the document --------------------------------------------------------------------------------

def infer_origin(issuers: Sequence[str], number: str | None, title: str | None,
                 body: str, given: Mapping[str, str] | None = None) -> Origin:
    """Level and region from the flags `given`, then issuers, 文号, title and body."""
    given = dict(given or {})
    found = _Found(given)
    if "region" in given and "level" not in given:
        place = place_of(given["region"])
        if place is not None and place.level:
            found.put(place, "from --region")
    province = _context_province(issuers, title, body)
    for issuer in issuers:
        found.put(place_of(issuer, province), "from the issuer")
    if number and not found.done:
        found.put(_number_place(number, found.province() or province), "from the 文号")
    if title and not found.done:
        found.put(place_of(title, province), "from the title")
    if not found.done:
        found.put(_body_place(body, found), "from the body")
    return found.origin()


class _Found:
    """Level and region as they are settled, with where each came from and what is open."""

    def __init__(self, given: Mapping[str, str]):
        self.values = {k: given[k] for k in ("level", "region") if given.get(k)}
        self.sources = {k: "flag" for k in self.values}
        self.notes: list[str] = []
        self.division: Division | None = None

    @property
    def done(self) -> bool:
        return "level" in self.values and "region" in self.values

    def put(self, place: NamedPlace | None, source: str) -> None:
        if place is None:
            return
        if place.note:
            self.notes.append(place.note)
        if place.region and "region" not in self.values:
            flagged = self.sources.get("level") == "flag"
            self.values["region"], self.sources["region"] = place.region, source
            self.division = place.division
            if not flagged and place.level:
                self.values["level"], self.sources["level"] = place.level, source
        elif place.level and "level" not in self.values:
            # a bare 市人社局: the level, until a place with its region says otherwise
            self.values["level"], self.sources["level"] = place.level, source

    def province(self) -> Division | None:
        return gazetteer().province(self.division) if self.division else None

    def origin(self) -> Origin:
        unsettled = {}
        why = "; ".join(dict.fromkeys(self.notes)) or \
            "no issuer, 文号, title or self-reference in the body names a place"
        for key in ("level", "region"):
            if key not in self.values:
                unsettled[key] = why
        return Origin(self.values.get("level"), self.values.get("region"), self.sources,
                      unsettled)


def _number_place(number: str, province: Division | None) -> NamedPlace | None:
    m = DOC_NUMBER.search(number)
    org = m.group("org") if m else ""
    if not org:
        return None
    if _NATIONAL_NUMBER.match(org):
        return NamedPlace("national", NATIONAL_REGION)
    g = gazetteer()
    d = g.number_place(org, province)
    if d is None:
        return NamedPlace(None, None, note=f"the 文号 prefix {org[0]} names no single place"
                     + (f" in {province.name}" if province else ""))
    return NamedPlace(d.level, g.region(d), d)


def _context_province(issuers: Sequence[str], title: str | None, body: str) -> Division | None:
    """The province the document is about, to tell apart two places of the same name: the
    one its issuers or title name, else the one its body names most."""
    g = gazetteer()
    for name in (*issuers, title or ""):
        p = place_of(name)
        if p is not None and p.division is not None:
            return g.province(p.division)
    counts = Counter(g.province(d).code for d, _, _ in g.mentions(body))
    top = counts.most_common(2)
    if top and (len(top) == 1 or top[0][1] > top[1][1]):
        return g.get(top[0][0])
    return None


def _body_place(body: str, found: _Found) -> NamedPlace | None:
    """本市 / 全省 / 我县 … agreeing with the place of that kind the body names most."""
    words = Counter(m.group(1) for m in _SELF.finditer(body))
    if not words:
        return None
    word, _ = words.most_common(1)[0]
    kinds = _SELF_KINDS[word]
    g = gazetteer()
    level = found.values.get("level")
    counts = Counter(d.code for d, _, _ in g.mentions(body)
                     if d.kind in kinds and (level is None or d.level == level))
    top = counts.most_common(2)
    if not top or (len(top) == 2 and top[0][1] == top[1][1]):
        return NamedPlace(None, None, note=f"the body says 本{word} but names no single such place")
    d = g.get(top[0][0])
    return NamedPlace(d.level, g.region(d), d)
