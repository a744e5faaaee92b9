"""What Chinese government bodies are called: sectors, their written stems, and the name of
each sector's body at each level and place.

The table is data (`dept_naming.toml`, with its sources): every line of work (sector) with
the stems texts write it in, grouped into *families* (工业和信息化 and 经济和信息化 are two
families of one sector — two different names for the body, never to be swapped), the body
word after the stem at each level, and the places that name their bodies otherwise (the four
直辖市, the provinces that kept 经济和信息化, 广东's cities).

Nothing here knows about documents or written contexts: `body_name` answers "what is this
sector's body called at this place", `written_name` "what is the body a text writes as
stem + suffix", and the resolver (ontology.departments) decides which applies.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Sector:
    key: str
    label: str                              # the sector's own name
    families: tuple[tuple[str, tuple[str, ...]], ...]   # full stem -> every written stem
    suffixes: tuple[str, ...]               # the body words written after a stem
    national: str | None                    # the ministry's name, e.g. 人力资源社会保障部
    provincial: str | None                  # after the province, e.g. 人力资源和社会保障厅
    municipal: str | None                   # after the city, e.g. 人力资源和社会保障局
    county: str | None = None
    owner: str = "government"               # government | party | none
    words: tuple[str, ...] = ()             # whole written names: 总工会, 残联
    abbreviations: tuple[tuple[str, str, str], ...] = ()   # (教委, 教育, 委)

    @property
    def stems(self) -> tuple[str, ...]:
        """Every written stem, the families' full stems first."""
        out: list[str] = []
        for full, written in self.families:
            for st in (full, *written):
                if st not in out:
                    out.append(st)
        return tuple(out)

    # kept for readers of the former table: every stem is current now
    all_stems = stems

    def families_of(self, stem: str) -> tuple[str, ...]:
        """The full stems a written stem may stand for (文旅: several)."""
        return tuple(full for full, written in self.families if stem == full or stem in written)

    def family_in(self, name: str) -> str | None:
        """The family a body's name is built on: the one with the longest stem in it."""
        best, size = None, 0
        for full, written in self.families:
            for st in (full, *written):
                if st in name and len(st) > size:
                    best, size = full, len(st)
        return best

    def core(self, level: str) -> str | None:
        """The level's usual name, before any place's own convention."""
        if level == "county":
            return self.county or self.municipal
        return getattr(self, level)


@dataclass(frozen=True)
class Conventions:
    municipalities: frozenset[str]
    municipality_names: dict
    places: dict             # place name -> {sector key: name}
    cities: dict             # province -> {sector key: name} for its cities (and counties)
    counties: dict           # province -> {sector key: name} for its counties


def _short_forms(full: str, written: list[str]) -> tuple[str, ...]:
    """Every written stem of a family, with the full stem's short form added: texts drop the
    和 that joins a name's two words (经济和信息化委 → 经济信息化委, 发展和改革委 → 发展改革委,
    人力资源和社会保障局 → 人力资源社会保障局), the form the 2018 reform's own short names use
    (国务院机构改革方案: 发展改革委, 人力资源社会保障部, 住房城乡建设部)."""
    out = list(written)
    short = full.replace("和", "")
    if short != full and len(short) >= 4 and short not in out:
        out.append(short)
    return tuple(out)


def _sector(row: dict) -> Sector:
    families = tuple((full, _short_forms(full, written))
                     for full, written in row.get("families", {}).items())
    return Sector(row["key"], row["label"], families, tuple(row.get("suffixes", ())),
                  row.get("national"), row.get("provincial"), row.get("municipal"),
                  row.get("county"), row.get("owner", "government"), tuple(row.get("words", ())),
                  tuple((w, st, sf) for w, (st, sf) in row.get("abbreviations", {}).items()))


@cache
def _table() -> dict:
    text = resources.files("policykg.ontology").joinpath("dept_naming.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


SECTORS: tuple[Sector, ...] = tuple(_sector(row) for row in _table()["sector"])
SECTOR_BY_KEY = {s.key: s for s in SECTORS}
CONVENTIONS = Conventions(
    frozenset(_table()["municipality"]["places"]), dict(_table()["municipality"]["names"]),
    dict(_table().get("place", {})), dict(_table().get("cities", {})),
    dict(_table().get("counties", {})))
MUNICIPALITIES = CONVENTIONS.municipalities


def sector_of_stem(stem: str) -> Sector | None:
    for s in SECTORS:
        if stem in s.stems:
            return s
    return None


def sector_of_word(word: str) -> tuple[Sector, str | None, str | None] | None:
    """(sector, stem, body word) a whole written name stands for: 教委 → (education, 教育, 委);
    a people's organisation's (总工会, 残联) has no stem."""
    for s in SECTORS:
        if word in s.words:
            return s, None, None
        for w, stem, suffix in s.abbreviations:
            if w == word:
                return s, stem, suffix
    return None


WHOLE_WORDS = tuple(sorted({w for s in SECTORS for w in s.words}
                           | {w for s in SECTORS for w, _, _ in s.abbreviations},
                           key=len, reverse=True))


def body_name(sector: Sector, level: str, place: str, province: str | None) -> str | None:
    """The full name of `sector`'s body at `place` (a `level` place in `province`) as the
    place names it, or None when that level has no such body."""
    core = convention(sector, level, place, province)
    if core is None:
        return None
    return with_place(core, place, level)


def convention(sector: Sector, level: str, place: str, province: str | None) -> str | None:
    """The body's name after its place's name (人力资源和社会保障局), by place, then by level."""
    c = CONVENTIONS
    if level == "national":
        return sector.national
    own = c.places.get(place, {}).get(sector.key)
    if own:
        return own
    if level == "provincial":
        if place in c.municipalities:
            return (c.municipality_names.get(sector.key) or sector.municipal)
        return sector.provincial
    if level == "county" and province:
        named = c.counties.get(province, {}).get(sector.key)
        if named:
            return named
    if province and province not in c.municipalities:
        named = c.cities.get(province, {}).get(sector.key)
        if named:
            return named
    return sector.core(level)


def with_place(core: str, place: str, level: str) -> str:
    """The place put into a body's name: before it, or where the name says ({place})."""
    if level == "national" or not place:
        return core.replace("{place}", "")
    if "{place}" in core:
        return core.replace("{place}", place)
    return f"{place}{core}"


def full_suffix(suffix: str) -> str:
    """The body word as a full name writes it: 委 → 委员会, 办 → 办公室."""
    return {"委": "委员会", "办": "办公室"}.get(suffix, suffix)


def written_core(sector: Sector, stem: str, suffix: str, usual: str | None) -> str:
    """The body a text writes as stem + suffix (经信 + 局), after its place's name.

    The place's usual name is taken when the written form can stand for it — same family,
    same body word (市教委 in 北京 → 教育委员会; 省政府国资委 → 人民政府国有资产监督管理委员会).
    Otherwise the written form is expanded as written: 经信局 → 经济和信息化局 even where the
    place usually says 工业和信息化局, because the text names a body of its own time and place.
    """
    families = sector.families_of(stem)
    body = full_suffix(suffix)
    if usual and sector.family_in(usual) in families and usual.endswith(body):
        return usual
    full = families[0] if families else stem
    return f"{full}{body}"
