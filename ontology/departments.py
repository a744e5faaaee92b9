"""Canonical departments: every written form of a body's name resolved, in the context of
the document (its level and region from the metadata), to one body with its full name.

市财政局 in a 东莞 text is 东莞市财政局, 省人社厅 is 广东省人力资源和社会保障厅, 人社部 is
人力资源社会保障部 — with its aliases, level, region, the government it belongs to and its
functional line upward (东莞市人社局 → 广东省人社厅 → 人社部), derived from its sector.  A name
comes from a source: the document's own full name for the body (its issuers, its text), else
the written stem and body word with the place's naming convention (ontology/naming.py, data
in dept_naming.toml: 市教委 in 北京 is 北京市教育委员会, 经信局 stays 经济和信息化局, a county's
发展和改革局, 团市委 → 共青团××市委员会), else the name as written with its place in front,
flagged `resolved=False` (市城投集团 → 许昌市城投集团).  A candidate holding a label
(责任单位), a colon, sentence punctuation or words of a sentence (均, 涉及, 具体…) is never a
name (ontology.written_names).

Which names a document makes responsible for what is read elsewhere
(ontology.responsibilities); this module is the bodies themselves, which the graph, the query
compiler and the incremental state use whatever text a name came from.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from policykg.corpus.records import DocumentMeta
from policykg.corpus.text import fold_width, match_key
from policykg.corpus.vocabulary import LEVELS
from policykg.ontology.naming import (MUNICIPALITIES, SECTOR_BY_KEY, Sector, convention,
                                      full_suffix, with_place, written_core)
from policykg.ontology.places import (NATIONAL, NATIONAL_PLACE, OTHER_PLACE_RE, PLACE_RE,
                                      SHORT_PROVINCE, Place, place_of, place_prefix)
from policykg.ontology.written_names import (COLLECTIVE, DIRECT, FULL_BODY, GOV, GROUP_SECTORS,
                                             LEAGUE, LEVEL_WORD, LEVEL_WORDS, NATIONAL_BODIES,
                                             NOT_A_NAME, ORG_END, OTHER_LABEL, PARTY_SECTORS,
                                             SECTOR_BODY, SENTENCE_WORDS, UNIT_ABBREVIATIONS,
                                             WRITTEN_NAME, SectorName, is_note, sector_match,
                                             sector_of_stem)


@dataclass(frozen=True)
class Department:
    """A canonical body.  `slug` (place + sector) is the basis of its IRI."""

    slug: str
    name: str                      # full name, e.g. 东莞市人力资源和社会保障局
    level: str | None              # national | provincial | municipal | county
    region: str | None             # the place it belongs to: 全国, 广东省, 东莞市
    kind: str                      # department | government | party | collective | other
    sector: str | None = None      # Sector.key
    government: str | None = None  # slug of the government it belongs to (org:subOrganizationOf)
    superior: str | None = None    # slug of the next body up its functional line
    # False when no source gives the full name: the name as written, with its place put in
    # front (市数据局 → 武汉市数据局); the graph and the exports show it as unconfirmed.
    resolved: bool = True

    def to_dict(self) -> dict:
        return {"slug": self.slug, "name": self.name, "level": self.level,
                "region": self.region, "kind": self.kind, "sector": self.sector,
                "government": self.government, "superior": self.superior,
                "resolved": self.resolved}


@dataclass(frozen=True)
class Context:
    """What a name is resolved against: the document's place and its issuer."""

    place: Place
    issuer: str | None = None      # the issuer as written in the metadata
    # full names of sector bodies the document writes itself (its issuers first), by slug:
    # a name written in full is the body's name, whatever the naming table says
    written: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, meta: DocumentMeta, text: str | None = None) -> "Context":
        place = place_of(meta.region, meta.level)
        if place is None and meta.issuer:
            # no region in the metadata: the place the issuer's name starts with
            issuer = match_key(meta.issuer)
            m = PLACE_RE.match(issuer) or OTHER_PLACE_RE.match(issuer)
            if m:
                place = place_of(m.group(0), meta.level)
            elif meta.level in (None, "national") and re.search(r"(部|国务院|总局|署)", issuer):
                place = NATIONAL
        if place is None:
            place = NATIONAL if meta.level == "national" else Place("", meta.level or "municipal")
        if meta.level and place.level != meta.level and meta.level in LEVELS:
            place = Place(place.name, meta.level, place.province)
        ctx = cls(place, meta.issuer)
        sources = [*issuer_names(meta), text or ""]
        return cls(place, meta.issuer, written_full_names("\n".join(sources), ctx))

    def written_name(self, slug: str) -> str | None:
        return next((name for s, name in self.written if s == slug), None)

    @property
    def province(self) -> Place | None:
        p = self.place
        if p.level == "provincial":
            return p
        if p.province:
            return Place(p.province, "provincial", p.province)
        return None


def issuer_names(meta: DocumentMeta) -> list[str]:
    """Every issuer of a document: its `issuers` where the metadata lists them."""
    listed = getattr(meta, "issuers", None)
    if listed:
        return list(listed)
    return [x for x in re.split(r"[、，,\s]+", meta.issuer or "") if x]


def written_full_names(text: str, ctx: Context) -> tuple[tuple[str, str], ...]:
    """(slug, name) of each sector body of the document's places that `text` names in full
    with its place (北京市教育委员会), first writing first."""
    here = ctx.place
    places = [p for p in dict.fromkeys((here.name, here.province, here.city)) if p]
    if not text or not places:
        return ()
    alt = "|".join(map(re.escape, sorted(places, key=len, reverse=True)))
    out: dict[str, str] = {}
    for m in re.finditer(rf"(?P<place>{alt}){FULL_BODY.pattern}", match_key(text)):
        sector = sector_of_stem(m.group("stem"))
        place = place_of(m.group("place"))
        if sector is None or place is None or sector.key in PARTY_SECTORS:
            continue
        if m.group("gov") and not (_usual(sector, place) or "").startswith("人民政府"):
            continue
        if m.group("suffix") not in (sector.suffixes + ("委员会",)):
            continue
        out.setdefault(f"{place.name}/{sector.key}", m.group(0))
    return tuple(out.items())


def _government(place: Place) -> Department:
    if place.level == "national":
        return Department("全国/government", "国务院", "national", NATIONAL_PLACE, "government")
    higher = place.higher
    return Department(f"{place.name}/government", f"{place.name}人民政府", place.level,
                      place.name, "government",
                      superior=f"{higher.name}/government" if higher else None)


def _party(place: Place) -> Department:
    if place.level == "national":
        return Department("全国/party", "中共中央", "national", NATIONAL_PLACE, "party")
    higher = place.higher
    return Department(f"{place.name}/party", f"中共{place.name}委员会", place.level, place.name,
                      "party", superior=f"{higher.name}/party" if higher else None)


def _usual(sector: Sector, place: Place) -> str | None:
    """What `place` calls its body of `sector` (after the place's name), from the table."""
    return convention(sector, place.level, place.name, place.province)


def _sector_body(sector: Sector, place: Place, written: SectorName | None = None,
                 ctx: "Context | None" = None) -> Department | None:
    """The body of `sector` at `place`; its name from, in turn: the document's own full
    name for it, the written stem and body word (经信局 → 经济和信息化局), the place's usual
    name (naming table)."""
    slug = f"{place.name}/{sector.key}"
    usual = _usual(sector, place)
    if usual is None:
        return None
    in_full = ctx.written_name(slug) if ctx is not None and place.name else None
    if in_full and written and written.stem and not _same_body(sector, written, in_full):
        in_full = None                 # the text writes another body's name in this line
    if in_full:
        name = in_full
    else:
        core = written_core(sector, written.stem, written.suffix, usual) \
            if written and written.stem else usual
        if sector.key in PARTY_SECTORS and place.level != "national":
            name = f"中共{place.name}委{core}"
        else:
            name = with_place(core, place.name, place.level)
    superior = None
    higher = place.higher
    while higher is not None:
        if _usual(sector, higher):
            superior = f"{higher.name}/{sector.key}"
            break
        higher = higher.higher
    if sector.key in GROUP_SECTORS:
        return Department(slug, name, place.level, place.name, "other", sector.key, None,
                          superior)
    gov = _party(place) if sector.key in PARTY_SECTORS else _government(place)
    return Department(slug, name, place.level, place.name, "department",
                      sector.key, gov.slug if place.name else None, superior)


def _same_body(sector: Sector, written: SectorName, full: str) -> bool:
    """Can the written stem + body word stand for `full` (人社局 for …人力资源和社会保障局)?"""
    return (sector.family_in(full) in sector.families_of(written.stem or "")
            and full.endswith(full_suffix(written.suffix or "")))


def _better(new: Department, old: Department) -> bool:
    """Does `new` know more about the same body than `old` (a line upward that is not a
    jump to the national level)?  Decided on the values alone, whatever the reading order."""
    def rank(d: Department) -> tuple:
        up = d.superior or ""
        return (d.resolved, bool(up) and not up.startswith(f"{NATIONAL_PLACE}/"), bool(up),
                bool(d.government), d.superior or "", d.government or "")
    return rank(new) > rank(old)


def _expand_unit(unit: str) -> str:
    for abbr in sorted(UNIT_ABBREVIATIONS, key=len, reverse=True):
        if unit.endswith(abbr):
            return unit[: -len(abbr)] + UNIT_ABBREVIATIONS[abbr]
    return unit


class Resolver:
    """Written names → canonical departments, in a document's context.

    Every body it resolves, and each one up its functional line, is kept in `departments`
    with the forms it was written in (`aliases`).
    """

    def __init__(self) -> None:
        self.departments: dict[str, Department] = {}
        self.aliases: dict[str, set[str]] = defaultdict(set)

    # -- registry --
    def _add(self, dept: Department, alias: str | None = None) -> Department:
        known = self.departments.setdefault(dept.slug, dept)
        if known is not dept and known != dept and _better(dept, known):
            # the same body read with more context (an unlisted city's province): keep that
            known = self.departments[dept.slug] = dept
        if alias and alias != known.name:
            self.aliases[dept.slug].add(alias)
        self._ensure_line(known)
        return known

    def _ensure_line(self, dept: Department) -> None:
        """Mint the government and the bodies up the functional line, so the line is whole."""
        for slug in (dept.government, dept.superior):
            if not slug or slug in self.departments:
                continue
            place_name, _, what = slug.partition("/")
            place = NATIONAL if place_name == NATIONAL_PLACE else place_of(place_name)
            if place is None:
                continue
            if what == "government":
                other = _government(place)
            elif what == "party":
                other = _party(place)
            elif what in SECTOR_BY_KEY:
                other = _sector_body(SECTOR_BY_KEY[what], place)
            else:
                other = None
            if other is not None:
                self.departments[other.slug] = other
                self._ensure_line(other)

    def department(self, slug: str) -> Department | None:
        return self.departments.get(slug)

    # -- resolution --
    def resolve(self, written: str, ctx: Context) -> Department | None:
        """The canonical department a written name stands for, or None if it is not one."""
        dept = self._resolve(written, ctx)
        if dept is None:
            return None
        return self._add(dept, re.sub(r"\s+", "", written))

    def _resolve(self, written: str, ctx: Context) -> Department | None:
        raw = re.sub(r"\s+", "", written).strip("，,、；;。:：")
        s = fold_width(raw)
        s = re.sub(r"^(由|请|经|各有关|有关)", "", s) if not s.startswith("各") else s
        if len(s) < 2 or is_note(s) or NOT_A_NAME.search(s):
            return None
        if s.startswith("各"):
            return self._collective(raw, ctx) if COLLECTIVE.match(s) else None
        direct = DIRECT.match(s)
        if direct:
            return self._direct(direct.group("level"), raw, ctx)
        league = LEAGUE.match(s)
        if league:
            return self._league(league.group("where"), ctx)
        if s in NATIONAL_BODIES:
            kind, name = NATIONAL_BODIES[s]
            if kind == "government":
                return _government(NATIONAL)
            if kind == "party":
                return _party(NATIONAL)
            owner = "全国/party" if name.startswith("中共") else "全国/government"
            return Department(f"全国/{name}", name, "national", NATIONAL_PLACE, kind,
                              government=owner)
        if s.startswith("中共中央") and len(s) > 4:
            unit = _expand_unit(s[4:])
            return Department(f"全国/中共中央{unit}", f"中共中央{unit}", "national",
                              NATIONAL_PLACE, "other", government="全国/party")
        place, party, gov_unit, rest, explicit = self._split_place(s, ctx)
        if place is None:
            return None
        return self._body(rest, place, party, gov_unit, ctx, explicit)

    def _league(self, where: str, ctx: Context) -> Department | None:
        """团省委, 团市委, 共青团浙江省委: the youth league committee of that place."""
        sector = SECTOR_BY_KEY["youth-league"]
        if where in ("中央", ""):
            place = NATIONAL if where == "中央" else ctx.place
        elif where in LEVEL_WORDS:
            place = self._level_place(where, ctx)
        else:
            m = PLACE_RE.fullmatch(where)
            place = place_of(where, ctx.place.level) if m or OTHER_PLACE_RE.fullmatch(where) \
                else None
        if place is None or not place.name:
            return None
        return _sector_body(sector, place, None, ctx)

    def _collective(self, s: str, ctx: Context) -> Department:
        place = ctx.place
        below = {"national": "provincial", "provincial": "municipal"}.get(place.level, "county")
        return Department(f"{place.name}/{match_key(s)}", s, below, place.name, "collective",
                          government=_government(place).slug if place.name else None)

    def _direct(self, level: str, written: str, ctx: Context) -> Department | None:
        """市直各有关部门: the bodies directly under that place's government, one party named
        after its place (运城市直各有关部门)."""
        place = self._level_place(level, ctx)
        if place is None or not place.name:
            return None
        name = f"{place.name}{written[1:]}"
        return Department(f"{place.name}/{match_key(written[1:])}", name, place.level,
                          place.name, "collective", government=_government(place).slug)

    def as_written(self, written: str, ctx: Context) -> Department | None:
        """A party the text names in a responsibility but no source resolves (市城投集团,
        各社区): kept as written with its place — its level word (市, 区) given the place's
        name, or the place put in front —, flagged `resolved=False`; None for what cannot
        be a name (a label, a colon, a sentence, figures)."""
        raw = re.sub(r"\s+", "", written).strip("，,、；;。:：")
        s = fold_width(raw)
        if (not WRITTEN_NAME.match(raw) or NOT_A_NAME.search(s) or is_note(s)
                or OTHER_LABEL.match(s) or SENTENCE_WORDS.search(s)):
            return None
        place = ctx.place
        if s.startswith("各"):
            return Department(f"{place.name}/{match_key(raw)}", raw, place.level, place.name,
                              "collective", resolved=False,
                              government=_government(place).slug if place.name else None)
        if not place.name:
            return None                # no place to name it by: nothing to anchor it
        own, name = raw, None
        if s[0] in "省市县区" and len(s) > 2:
            level = self._level_place(s[0], ctx)
            if level is None or not level.name:
                name = raw             # 县人社局 in a city's text: each county's, as written
            else:
                place, own = level, raw[1:]
        else:
            found = place_prefix(s)
            if found is not None:
                place, end = found
                own = raw[end:] or raw
        if name is None:
            name = own if place.level == "national" else f"{place.name}{own}"
        return Department(f"{place.name}/{match_key(own)}", name, place.level, place.name,
                          "other", government=_government(place).slug, resolved=False)

    def _split_place(self, s: str, ctx: Context):
        """(place, under the party committee?, under the government?, the rest)."""
        party = gov_unit = False
        if s.startswith("中共"):
            s, party = s[2:], True
        place = None
        explicit = True
        m = PLACE_RE.match(s)
        if m:
            place = place_of(m.group(0))
            s = s[m.end():]
        else:
            for short, full in SHORT_PROVINCE.items():
                if len(short) >= 2 and s.startswith(short) and SECTOR_BODY.match(s[len(short):]):
                    place, s = place_of(full), s[len(short):]
                    break
        if place is None:
            m = OTHER_PLACE_RE.match(s)
            if m and self._is_body(s[m.end():]):
                place = place_of(m.group(0), ctx.place.level)
                s = s[m.end():]
                province = ctx.province
                if place and place.level in ("municipal", "county") and not place.province \
                        and province is not None:
                    # an unlisted city named in a provincial (or city) text: of that province
                    place = Place(place.name, place.level, province.name)
        if place is None:
            lvl = LEVEL_WORD.match(s)
            if lvl and sector_match(s) and not sector_match(s[1:]):
                lvl = None                      # 市场监管局: 市 is part of the name
            if lvl:
                word = lvl.group(1)
                s = s[1:]
                place = self._level_place(word, ctx)
                if place is None:
                    return None, party, gov_unit, s, False
            elif s.startswith(("国家", "国务院")) or re.search(r"(部|总局|署)$", s):
                place = NATIONAL
            else:
                place = ctx.place
            explicit = False
        if s.startswith("委") and not s.startswith(("委员会",)):
            party, s = True, s[1:]
        elif s.startswith(("政府", "人民政府")) and len(s) > 4 and not GOV.match(s):
            gov_unit = True
            s = s[4:] if s.startswith("人民政府") else s[2:]
        return place, party, gov_unit, s, explicit

    @staticmethod
    def _level_place(word: str, ctx: Context) -> Place | None:
        here = ctx.place
        if word == "省":
            return ctx.province
        if word == "市":
            # a city's own text, a county-level city's (浏阳市) and a 直辖市's (北京市)
            if here.level == "municipal" or here.name.endswith("市") and (
                    here.level == "county" or here.name in MUNICIPALITIES):
                return here
            if here.level == "county" and here.city:
                return Place(here.city, "municipal", here.province)
            return None
        if word in ("州", "盟"):
            # 州人社局 in a 自治州's text (恩施土家族苗族自治州), 盟 in a 盟's (锡林郭勒盟)
            if here.level == "municipal" and here.name.endswith(word):
                return here
            if here.level == "county" and here.city and here.city.endswith(word):
                return Place(here.city, "municipal", here.province)
            return None
        if word in ("县", "区", "旗"):
            return here if here.level == "county" else None
        return None

    @staticmethod
    def _is_body(rest: str) -> bool:
        return bool(GOV.match(rest) or SECTOR_BODY.match(rest) or rest.startswith("委")
                    or ORG_END.search(rest))

    def _body(self, rest: str, place: Place, party: bool, gov_unit: bool,
              ctx: Context, explicit: bool = True) -> Department | None:
        if not rest or GOV.match(rest):
            if party and not rest:
                return _party(place)
            return _government(place) if not party else _party(place)
        if rest in ("厅", "局", "委", "办") and not party:
            return self._issuer_body(rest, place, ctx)
        unit = _expand_unit(rest)
        found = sector_match(rest) or sector_match(unit)
        if found is not None and gov_unit and not (_usual(found.sector, place) or "").startswith(
                "人民政府"):
            found = None               # 市政府办公室 is the government's, not a sector's
        if found is not None:
            body = _sector_body(found.sector, NATIONAL if found.national else place, found, ctx)
            if body is not None:
                return body
        if party:
            owner = _party(place)
            name = (f"中共中央{unit}" if place.level == "national"
                    else f"中共{place.name}委{unit}")
        elif gov_unit:
            owner = _government(place)
            name = f"{owner.name}{unit}"
        else:
            owner = _government(place)
            name = unit if place.level == "national" else f"{place.name}{unit}"
        if not ORG_END.search(name) or SENTENCE_WORDS.search(unit):
            return None
        own = name[len(place.name):] if place.name and name.startswith(place.name) else name
        # a full name with its place, or a known abbreviation (编办), is a source; a bare
        # unit given the document's place (市数据局 → 武汉市数据局) is not
        resolved = explicit or unit != rest or place.level == "national"
        return Department(f"{place.name}/{match_key(own)}", name, place.level, place.name,
                          "other", government=owner.slug if place.name else None,
                          resolved=resolved)

    def _issuer_body(self, word: str, place: Place, ctx: Context) -> Department | None:
        """省厅 / 市局: the issuing body itself, when it is a 厅 / 局 of that place."""
        if not ctx.issuer:
            return None
        issuer = self._resolve(ctx.issuer, Context(ctx.place))
        if issuer and issuer.region == place.name and issuer.name.endswith(word):
            return issuer
        return None

    def generic(self, stem: str, ctx: Context) -> Department | None:
        """"发改部门" in running text: that sector's body of the document's own place."""
        sector = sector_of_stem(stem)
        if sector is None:
            return None
        body = _sector_body(sector, ctx.place, None, ctx)
        return self._add(body) if body else None

    def alias_list(self, slug: str) -> list[str]:
        dept = self.departments[slug]
        out = set(self.aliases.get(slug, ()))
        out |= _standard_aliases(dept)
        out.discard(dept.name)
        return sorted(out)


def _standard_aliases(dept: Department) -> set[str]:
    """The usual other forms of a sector body's name: 东莞市人社局, 广东省发展改革委 — the
    other stems of the family its name is built on (never another family's: 经信 ≠ 工信)."""
    out: set[str] = set()
    if dept.kind != "department" or not dept.sector:
        return out
    sector = SECTOR_BY_KEY[dept.sector]
    place = "" if dept.level == "national" else dept.region or ""
    if sector.key in PARTY_SECTORS and place:
        place = f"中共{place}委"
    core = dept.name[len(place):] if place and dept.name.startswith(place) else dept.name
    family = sector.family_in(core)
    if family is None:
        return out
    stems = next(w for f, w in sector.families if f == family)
    stem = max((st for st in (family, *stems) if st in core), key=len)
    before, after = core.split(stem, 1)
    # the body word in its short form: 委员会 → 委 (发改委, 卫健委, 国资委)
    short_after = "委" if after == "委员会" else after
    for other in (family, *stems):
        if other != stem and len(sector.families_of(other)) == 1:
            out.add(f"{place}{before}{other}{short_after}")
    return out
