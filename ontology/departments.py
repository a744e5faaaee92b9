"""Departments and who is responsible for what.

Three things are read from the texts:

- **assigned responsibility**, in every written form: a bracket ending an item —
  （A、B）, 【责任单位：A、B】, [责任单位：…], half-width (责任单位:…), （A牵头，B配合）, （A负责）,
  （A、B负责） —, a labelled line without brackets (牵头单位：A；配合单位：B), a sentence of
  running text (由A牵头，B、C按职责分工负责 / 此项工作由A负责，B配合 / 由A负责 / "A负责…" as a
  paragraph's last sentence), and task tables (a 责任单位 column with A（牵头）、B, or
  columns 牵头单位 / 配合单位 / 责任单位 / 参与单位 in any order).  Label lines after an item
  (牵头单位：A on one line, 责任单位：B、C on the next) are read together as one phrase; a
  label starts a clause wherever it stands, so a label glued to the name before it
  (区人社局责任单位：区发改局) is two clauses.  Reading rule: 牵头 marks the lead (there may be
  two); a bare list — （A、B）, 责任单位：A、B alone — the first named leads, the rest
  participate; with a lead named (牵头, 牵头单位：…) the unmarked rest participate, so
  责任单位 paired with 牵头单位 lists participants; 按职责分工负责 / 分别负责 — all participate;
  in a table whose rows mark their lead, a row that marks none lists participants only.
  A list joined by 和/及/以及 splits into its parties (市直各有关部门及各县（市、区）人民政府:
  two collective parties).  A note on the reading (各项任务中排在第一位的为牵头单位) is never a
  department.  A task table's row also gives its responsibilities to the body provision
  it restates (ontology.tasks: the one pairing rule, by heading similarity): one task, one
  responsibility — the body provision carries it, the row's own reading is its evidence
  (`Responsibility.evidence_of`), so a task is counted once.  A department the row names
  and the body does not still gets the task on the body provision; where both name one,
  the row's role stands (the table is the document's explicit division of labour); a row
  that restates no body provision is a task of its own.
- **no silent loss, no invented name**: where the text marks a phrase as a responsibility
  (a label, 牵头/负责/配合…, a responsibility column) every name is kept — one no source
  resolves as written with its place, flagged `resolved=False` (市城投集团 → 许昌市城投集团);
  only a bare bracket whose items are no bodies (…局/委/办/政府/中心…), or a sentence of
  running text naming anything but bodies, says no responsibility.  A candidate holding a
  label (责任单位), a colon, sentence punctuation or words of a sentence (均, 涉及, 具体…)
  is never a name.
- **mentions**: departments named in running text ("加强与发改、国资、工信部门协调",
  "由省教研室组织"), kept apart from assigned responsibility.
- **canonical departments**: every written form resolved, in the context of the document
  (its level and region from the metadata), to one body with its full name — 市财政局 in a
  东莞 text is 东莞市财政局, 省人社厅 is 广东省人力资源和社会保障厅, 人社部 is 人力资源社会保障部 —
  its aliases, level, region, the government it belongs to and its functional line upward
  (东莞市人社局 → 广东省人社厅 → 人社部), derived from its sector.  A name comes from a source:
  the document's own full name for the body (its issuers, its text), else the written stem
  and body word with the place's naming convention (ontology/naming.py, data in
  dept_naming.toml: 市教委 in 北京 is 北京市教育委员会, 经信局 stays 经济和信息化局, a county's
  发展和改革局, 团市委 → 共青团××市委员会), else the name as written with its place in front,
  flagged `resolved=False`.
"""
from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Iterable, Sequence

from policykg.corpus.gazetteer import Division, gazetteer, short_name
from policykg.corpus.records import Document, DocumentMeta, Provision
from policykg.corpus.text import CJK, fold_width, match_key
from policykg.corpus.vocabulary import LEVELS
from policykg.ontology.naming import (MUNICIPALITIES, SECTOR_BY_KEY, SECTORS, WHOLE_WORDS, Sector,
                             convention, full_suffix, sector_of_word, with_place, written_core)
from policykg.ontology.naming import sector_of_stem as _sector_of_stem
from policykg.ontology.spans import locate_in
from policykg.ontology.tasks import heading_similarity  # noqa: F401  (its home before ontology.tasks)
from policykg.ontology.tasks import responsibility_columns, restatements

NATIONAL_PLACE = "全国"

# ---- places (data: corpus.gazetteer, China's divisions) --------------------------------------

def _province_names() -> tuple[str, ...]:
    return tuple(d.name for d in gazetteer().provinces())


def _prefectures() -> list[Division]:
    return [d for d in gazetteer() if d.kind == "prefecture"]


PROVINCES = _province_names()
# Prefecture-level cities by province, as stems (广州 for 广州市); PROVINCE_OF_CITY has every
# prefecture-level unit (自治州, 地区, 盟 too) by its full name.
CITIES = {p: tuple(d.name[:-1] for d in _prefectures()
                   if d.name.endswith("市") and gazetteer().province(d).name == p)
          for p in PROVINCES}
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
# against by regex (_PLACE_RE is part of the mention pattern run over every text, so it
# stays at this size; a county-level place is found by place_prefix, or by
# _OTHER_PLACE_RE and then place_of).
_KNOWN_PLACES = sorted(list(PROVINCES) + list(PROVINCE_OF_CITY), key=len, reverse=True)
_PLACE_RE = re.compile(_trie_pattern(_KNOWN_PLACES))
# An unlisted place: two or three characters and the level word, before a body's name.
_OTHER_PLACE_RE = re.compile(f"^(?![省市县区各])[{CJK}]{{2,3}}?(?:市|县|区|省|自治州|盟)")


# ---- sectors: how each line of government names its bodies (data: ontology/naming.py) ----

# Bodies under the party committee rather than the government: the 委 before them is 中共…委.
PARTY_SECTORS = {s.key for s in SECTORS if s.owner == "party"}
# People's organisations (共青团, 工会, 妇联 …): named after their place, in no government.
GROUP_SECTORS = {s.key for s in SECTORS if s.owner == "none"}
# Abbreviations of bodies that are not a sector of their own.
UNIT_ABBREVIATIONS = {
    "港澳办": "港澳工作办公室", "港澳事务办": "港澳事务办公室", "台办": "台湾工作办公室",
    "侨办": "侨务办公室", "网信办": "网络安全和信息化委员会办公室", "编办": "机构编制委员会办公室",
    "外办": "外事办公室", "横琴办": "横琴粤澳深度合作区工作办公室", "政研室": "政策研究室",
    "教研室": "教研室", "研究室": "研究室",
}
# Words a body's name ends with: what makes a listed name a department at all.
ORG_END = re.compile(r"(部|厅|局|委|委员会|办|办公室|办公厅|政府|中心|处|司|室|署|院|会|组|"
                     r"指挥部|园区|镇街|街道|管委会|工会|团委|妇联|残联|科协)$")
_GOV = re.compile(r"^(人民政府|政府)$")
_NATIONAL_BODIES = {
    "国务院": ("government", "国务院"), "国务院办公厅": ("other", "国务院办公厅"),
    "中共中央": ("party", "中共中央"), "党中央": ("party", "中共中央"),
    "中共中央办公厅": ("other", "中共中央办公厅"), "中央": ("party", "中共中央"),
}

# A collective party: 各区人民政府, 各县（市、区）人民政府, 各园区、镇街 — never a sentence
# (各项任务中排在第一位的为牵头单位).
_COLLECTIVE = re.compile(r"^各(?!项)[^，,。；;：:为是的]{0,24}?(?:人民政府|政府|部门|单位|镇街|园区|"
                         r"街道|乡镇|镇|[部厅局委办会]|（[^）]*）|\([^)]*\))$"
                         r"|^各[省市县区州盟旗地级以上（）()、]{1,10}$")   # 各区县市, 各地市
# The one-character words a text uses for its own level of government: 省; 市, 州 (自治州)
# and 盟 for prefectures; 县, 区 and 旗 (Inner Mongolia's counties) — 省人社厅, 州人社局, 旗教育局.
LEVEL_WORDS = ("省", "市", "州", "盟", "县", "区", "旗")
_LEVEL_WORD = re.compile(f"^({'|'.join(LEVEL_WORDS)})")
# The bodies directly under a government, as one party: 市直各有关部门, 省直有关单位, 区直各部门,
# 市级各有关部门, 省级有关部门（单位）.
_DIRECT = re.compile(r"^(?P<level>省|市|州|盟|县|区|旗)(?:直|级)(?:属)?(?:各)?(?:有关|相关)?(?:部门|单位|机关)"
                     r"(?:[（(](?:部门|单位)[）)])?$")
# The labels a responsibility is written under (责任单位：…).
_LABEL_WORDS = (r"牵头单位|牵头部门|主责单位|主责部门|责任单位|责任部门|配合单位|配合部门|"
                r"参与单位|参与部门|协同单位|协办单位")
# What no body's name holds: a label (责任单位：), a colon, sentence punctuation, a line end.
# A candidate with one is two names glued together or a sentence, never output.
_NOT_A_NAME = re.compile(rf"[:：。，,；;！!？?\n]|{_LABEL_WORDS}")
# Words of a sentence, never of a body's name: "具体任务均涉及相关市(州)人民政府" (a bracket's
# second sentence) ends like a body but is none.
_SENTENCE_WORDS = re.compile(r"均|涉及|不再|下同|具体|其中|的|要求|确保|做好|加强|开展|按照|根据|"
                             r"通过|进一步|另行")
# A name kept as written must read as one: CJK with its brackets, no figures.
_WRITTEN_NAME = re.compile(rf"^[{CJK}（）()、·]{{2,30}}$")
# The youth league committee: 团省委, 团市委, 共青团浙江省委, 共青团杭州市委员会, 团中央.
_LEAGUE = re.compile(rf"^(?:共青团|团)(?:(?P<where>省|市|州|盟|县|区|旗|[{CJK}]{{2,10}}?(?:省|市|县|区|自治区|"
                     rf"自治州|盟))委(?:员会)?|(?P<central>中央))$")
# A document-level note on how to read its lists, never a department: 各项任务中排在第一位的
# 为牵头单位, 列第一位的为牵头单位, 第一个单位为牵头单位.
_NOTE = re.compile(r"(第一|首位|首个|居首)[^，,。；;]{0,8}(为|是)[^，,。；;]{0,4}牵头"
                   r"|牵头单位[^，,。；;]{0,4}(列|排)[^，,。；;]{0,3}(第一|首)")


def is_note(text: str) -> bool:
    """Is `text` a note on how responsibility lists read (排在第一位的为牵头单位)?"""
    return bool(_NOTE.search(fold_width(text)))


_STEM_ALT = "|".join(sorted({st for s in SECTORS for st in s.stems}, key=len, reverse=True))
# In lists of sectors ("教育、财政、编制等有关部门") a sector may be named by a shorter word.
_LIST_STEMS = {"编制": "staffing", "人力资源": "hrss", "发展和改革": "development"}
_LIST_STEM_ALT = "|".join(sorted(set(_STEM_ALT.split("|")) | set(_LIST_STEMS), key=len,
                                 reverse=True))
_SUFFIX_ALT = "|".join(sorted({sf for s in SECTORS for sf in s.suffixes}, key=len, reverse=True))
_SECTOR_BODY = re.compile(rf"^(?P<nat>国家|国务院)?(?P<stem>{_STEM_ALT})(?P<suffix>{_SUFFIX_ALT})$")
_SECTOR_GENERIC = re.compile(rf"^(?P<stem>{_STEM_ALT})(?:等)?(?:有关|相关)?(?:部门|系统)$")


# Full stems (the families' own), which a name written in full is built on.
_FULL_STEM_ALT = "|".join(sorted({full for s in SECTORS for full, _ in s.families}, key=len,
                                 reverse=True))
_FULL_BODY = re.compile(rf"(?P<gov>人民政府)?(?P<stem>{_FULL_STEM_ALT})(?P<suffix>委员会|厅|局|部)")


def sector_of_stem(stem: str) -> Sector | None:
    return _sector_of_stem(stem) or (SECTOR_BY_KEY[_LIST_STEMS[stem]] if stem in _LIST_STEMS
                                     else None)


@dataclass(frozen=True)
class SectorName:
    """A sector body's name as written: 人社局 is (hrss, 人社, 局)."""

    sector: Sector
    national: bool                 # written with 国家 / 国务院
    stem: str | None = None        # None for a whole word (总工会, 残联)
    suffix: str | None = None


def _sector_match(rest: str) -> SectorName | None:
    """The sector body `rest` names (人社局, 国家发展改革委, 总工会), or None."""
    word = sector_of_word(rest)
    if word is not None:
        return SectorName(*word[:1], False, *word[1:])
    m = _SECTOR_BODY.match(rest)
    if not m:
        return None
    sector = sector_of_stem(m.group("stem"))
    if sector is None or m.group("suffix") not in sector.suffixes:
        return None
    return SectorName(sector, bool(m.group("nat")), m.group("stem"), m.group("suffix"))


# ---- canonical departments ------------------------------------------------------------------

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
            m = _PLACE_RE.match(issuer) or _OTHER_PLACE_RE.match(issuer)
            if m:
                place = place_of(m.group(0), meta.level)
            elif meta.level in (None, "national") and re.search(r"(部|国务院|总局|署)", issuer):
                place = NATIONAL
        if place is None:
            place = NATIONAL if meta.level == "national" else Place("", meta.level or "municipal")
        if meta.level and place.level != meta.level and meta.level in LEVELS:
            place = Place(place.name, meta.level, place.province)
        ctx = cls(place, meta.issuer)
        sources = [*_issuer_names(meta), text or ""]
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


def _issuer_names(meta: DocumentMeta) -> list[str]:
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
    for m in re.finditer(rf"(?P<place>{alt}){_FULL_BODY.pattern}", match_key(text)):
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
        if len(s) < 2 or is_note(s) or _NOT_A_NAME.search(s):
            return None
        if s.startswith("各"):
            return self._collective(raw, ctx) if _COLLECTIVE.match(s) else None
        direct = _DIRECT.match(s)
        if direct:
            return self._direct(direct.group("level"), raw, ctx)
        league = _LEAGUE.match(s)
        if league:
            return self._league(league.group("where"), ctx)
        if s in _NATIONAL_BODIES:
            kind, name = _NATIONAL_BODIES[s]
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
            m = _PLACE_RE.fullmatch(where)
            place = place_of(where, ctx.place.level) if m or _OTHER_PLACE_RE.fullmatch(where) \
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
        if (not _WRITTEN_NAME.match(raw) or _NOT_A_NAME.search(s) or is_note(s)
                or _OTHER_LABEL.match(s) or _SENTENCE_WORDS.search(s)):
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
        m = _PLACE_RE.match(s)
        if m:
            place = place_of(m.group(0))
            s = s[m.end():]
        else:
            for short, full in SHORT_PROVINCE.items():
                if len(short) >= 2 and s.startswith(short) and _SECTOR_BODY.match(s[len(short):]):
                    place, s = place_of(full), s[len(short):]
                    break
        if place is None:
            m = _OTHER_PLACE_RE.match(s)
            if m and self._is_body(s[m.end():]):
                place = place_of(m.group(0), ctx.place.level)
                s = s[m.end():]
                province = ctx.province
                if place and place.level in ("municipal", "county") and not place.province \
                        and province is not None:
                    # an unlisted city named in a provincial (or city) text: of that province
                    place = Place(place.name, place.level, province.name)
        if place is None:
            lvl = _LEVEL_WORD.match(s)
            if lvl and _sector_match(s) and not _sector_match(s[1:]):
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
        elif s.startswith(("政府", "人民政府")) and len(s) > 4 and not _GOV.match(s):
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
        return bool(_GOV.match(rest) or _SECTOR_BODY.match(rest) or rest.startswith("委")
                    or ORG_END.search(rest))

    def _body(self, rest: str, place: Place, party: bool, gov_unit: bool,
              ctx: Context, explicit: bool = True) -> Department | None:
        if not rest or _GOV.match(rest):
            if party and not rest:
                return _party(place)
            return _government(place) if not party else _party(place)
        if rest in ("厅", "局", "委", "办") and not party:
            return self._issuer_body(rest, place, ctx)
        unit = _expand_unit(rest)
        found = _sector_match(rest) or _sector_match(unit)
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
        if not ORG_END.search(name) or _SENTENCE_WORDS.search(unit):
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


# ---- responsibility and mentions ------------------------------------------------------------

ROLES = ("lead", "participant")


@dataclass(frozen=True)
class Responsibility:
    """A department assigned to a provision, as lead (牵头) or participant."""

    provision: str                 # the provision the task is
    doc: str
    department: str                # Department.slug
    name: str                      # canonical name
    role: str                      # lead | participant
    written: str                   # the name as written, e.g. 市财政局
    phrase: str                    # the whole responsibility text as written
    start: int                     # source offsets of the written name
    end: int
    form: str                      # bracket | table | table-body
    source: str                    # the provision it was read from (a table row for table-body)
    # A table row's reading when the row restates a body provision (ontology.tasks): that
    # provision, which carries the task; this responsibility is its evidence, not a task.
    evidence_of: str | None = None


@dataclass(frozen=True)
class Mention:
    """A department named in running text: not an assignment."""

    provision: str
    doc: str
    department: str
    name: str
    written: str
    start: int
    end: int
    generic: bool = False          # "发改部门": the sector's body of the document's place


@dataclass
class DepartmentFacts:
    resolver: Resolver
    responsibilities: list[Responsibility] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    # doc file → the slugs of its issuers, in the order the document names them
    issuers: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def departments(self) -> dict[str, Department]:
        return self.resolver.departments

    def for_provision(self, pid: str) -> dict[str, list[str]]:
        """{"lead": [names], "participants": [names]} of one provision, in reading order."""
        index = self.__dict__.get("_index")
        if index is None or self.__dict__.get("_indexed") != len(self.responsibilities):
            index = defaultdict(list)
            for r in self.responsibilities:
                index[r.provision].append(r)
            self.__dict__["_index"], self.__dict__["_indexed"] = index, len(self.responsibilities)
        out: dict[str, list[str]] = {"lead": [], "participants": []}
        for r in index.get(pid, ()):
            key = "lead" if r.role == "lead" else "participants"
            if r.name not in out[key]:
                out[key].append(r.name)
        return out


_LABEL = re.compile(rf"^(?P<label>{_LABEL_WORDS})[:：]")
_LEAD_MARK = re.compile(r"(牵头负责|负责牵头|牵头落实|牵头组织|牵头)$")
_PART_MARK = re.compile(r"等?(按职责分工负责|按职责分工落实|按职能分工负责|按职责负责|分工负责|"
                        r"分别负责|分别落实|共同负责|配合落实|配合|参与|协同|协助|协办)$")
# "A负责", "A、B负责": no role word, so the list reads as a bare list (the first leads)
_SOLE_MARK = re.compile(r"(负责落实|负责|主责|落实)$")
# Other labelled parts of a task's line, not responsibility: 完成时限：2023年底前
_OTHER_WORDS = r"完成时限|完成时间|时间节点|时间安排|时限|进度安排|进度要求"
_OTHER_LABEL = re.compile(rf"^(?:{_OTHER_WORDS})[:：]")
# A label inside a run of text: where a label glued to the name before it starts a new
# clause (区人社局责任单位：区发改局, a line joined to the one before)
_ANY_LABEL = re.compile(rf"(?:{_LABEL_WORDS}|{_OTHER_WORDS})[:：]")
# A role written after one name of a list: 省人力资源社会保障厅（牵头）、省教育厅
_ITEM_ROLE = re.compile(r"\s*[（(]\s*(?P<mark>牵头|主责|配合|参与|协办|协同)\s*[）)]$")
# What may stand before a responsibility sentence in running text: 此项工作由…负责
_PROSE_LEAD_IN = re.compile(r"(?:此项工作|该项工作|这项工作|本项工作|此项任务|该项任务|上述工作|以上工作)?"
                            r"(?=由)")
_CLAUSE_SPLIT = re.compile(r"[，,；;。]")
# 和/及/与/以及 between two parties: after a body's name (市人社局和市财政局), and after a
# collective (市直各有关部门及各县（市、区）人民政府) when a party follows — 有关部门和单位 is one
_JOIN = re.compile(r"(?<=[部厅局委办府室会院署区街])(?:以及|和|及|与)(?=\S)"
                   r"|(?<=[门位])(?:以及|和|及|与)(?=各|省|市|县|区|中共|共青团)")


def _split_top(text: str, seps: str) -> list[tuple[int, int]]:
    """Spans of `text` cut at any of `seps` outside brackets."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "（(〔[【《":
            depth += 1
        elif ch in "）)〕]】》":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in seps:
            out.append((start, i))
            start = i + 1
    out.append((start, len(text)))
    return out


def _items(clause: str, base: int) -> list[tuple[str, int]]:
    """The names of a clause with their offsets: cut at 、 and at 和/及 after a body's name."""
    parts: list[tuple[str, int]] = []
    for a, b in _split_top(clause, "、"):
        piece, off = clause[a:b], base + a
        last = 0
        for m in _JOIN.finditer(piece):
            parts.append((piece[last:m.start()], off + last))
            last = m.end()
        parts.append((piece[last:], off + last))
    parts = [(t.strip(), o + (len(t) - len(t.lstrip()))) for t, o in parts if t.strip()]
    # "市教育局等", "市财政局等有关部门": the list's closing words are not part of the last name
    return [(_ETC.sub("", t), o) for t, o in parts if _ETC.sub("", t)]


_ETC = re.compile(r"等(?:有关|相关)?(?:部门|单位)?$")


_GOV_TAIL = re.compile(rf"^(?P<place>[{CJK}]{{2,4}}?)(?P<tail>(?:市|县|区)(?:人民政府|政府))$")


# The rest of a 各 list of levels: 各区、县（市）人民政府 is one party, not 各区 and a 县.
_LEVEL_TAIL = re.compile(r"^[省市县区镇乡](?:[（(][^）)]*[）)])?(?:人民政府|政府)?$")


def _distribute(items: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """广州、深圳、佛山、珠海市人民政府 → four governments; 各园区、镇街 stays one party."""
    out: list[tuple[str, int]] = []
    i = 0
    while i < len(items):
        text, off = items[i]
        if text.startswith("各"):
            j = i + 1
            while j < len(items) and not _has_prefix(items[j][0]) and not ORG_END.search(
                    items[j][0]) or (j < len(items) and (items[j][0] in ("镇街", "园区", "街道")
                                                          or _LEVEL_TAIL.match(items[j][0]))):
                text = f"{text}、{items[j][0]}"
                j += 1
            out.append((text, off))
            i = j
            continue
        if not ORG_END.search(text) and len(text) <= 4:
            # a bare place: takes the government word of the next full name in the run
            j = i + 1
            while j < len(items) and not ORG_END.search(items[j][0]) and len(items[j][0]) <= 4:
                j += 1
            if j < len(items):
                m = _GOV_TAIL.match(items[j][0])
                if m:
                    out.append((text + m.group("tail"), off))
                    i += 1
                    continue
        out.append((text, off))
        i += 1
    return out


def _looks_like_body(name: str) -> bool:
    """Does a written name end the way a body's does (…局, …委, …政府, …中心, 各…)?"""
    s = fold_width(name).strip()
    return bool(ORG_END.search(s) or s.startswith("各") and len(s) > 2)


def _has_prefix(name: str) -> bool:
    return bool(re.match(r"^(省|市|县|区|中共|国家|国务院)", name) or _PLACE_RE.match(name))


@dataclass(frozen=True)
class Named:
    """One name of a responsibility phrase as read, before the bare-list rule settles it."""

    role: str | None               # lead | participant, or None: a bare list's item
    name: str                      # as written
    off: int                       # offset in the phrase
    # said under a label (责任单位：…) or in a clause with a role word (…牵头, …负责): the
    # text itself says this is a responsible party, so the name is kept even unresolved
    marked: bool


def parse_roles(text: str) -> list[tuple[str, str, int]]:
    """A responsibility phrase → (role, name as written, offset in `text`) in order.

    "A牵头，B、C配合" → A lead, B and C participants; "A、B按职责分工负责" without a lead →
    both participants; an unmarked list "A、B，C" → the first named leads, the rest participate.
    """
    return [(n.role, n.name, n.off) for n in settle_roles(read_roles(text))]


def read_roles(text: str) -> list[Named]:
    """The names of a responsibility phrase with the role each is written with (None for a
    bare list's); clauses end at ，；。 and line ends, and a label starts one wherever it
    stands (区人社局责任单位：区发改局 is two clauses, never one name)."""
    out: list[Named] = []
    for a, b in _clauses(text):
        clause, off = text[a:b], a
        stripped = clause.strip()
        if not stripped:
            continue
        off += clause.index(stripped[0])
        clause = stripped
        role: str | None = None
        if _OTHER_LABEL.match(clause):
            continue                   # 完成时限：2023年底前 — when, not who
        m = _LABEL.match(clause)
        if m:
            label = m.group("label")
            role = ("lead" if label.startswith(("牵头", "主责")) else
                    None if label.startswith("责任") else "participant")
            off += m.end()
            clause = clause[m.end():]
        if clause.startswith("由"):
            off, clause = off + 1, clause[1:]
        if "会同" in clause:
            left, _, right = clause.partition("会同")
            right = _PART_MARK.sub("", _SOLE_MARK.sub("", right))
            out += _named("lead", _distribute(_items(left, off)), True)
            out += _named("participant", _distribute(_items(right, off + len(left) + 2)), True)
            continue
        marked = m is not None         # the label's own clause: 责任单位：A、B
        for mark, r in ((_LEAD_MARK, "lead"), (_PART_MARK, "participant"),
                        (_SOLE_MARK, None)):
            mm = mark.search(clause)
            if mm and mm.start() > 0:
                clause = clause[:mm.start()]
                role = role or r
                marked = True
                break
        out += _named(role, _distribute(_items(clause, off)), marked)
    return out


def _clauses(text: str) -> list[tuple[int, int]]:
    """Clause spans: cut at ，；。 and line ends outside brackets, and before every label."""
    out: list[tuple[int, int]] = []
    for a, b in _split_top(text, "，,；;。\n"):
        cuts = [m.start() for m in _ANY_LABEL.finditer(text, a, b) if m.start() > a]
        for x, y in zip([a, *cuts], [*cuts, b]):
            out.append((x, y))
    return out


def _named(role: str | None, items: list[tuple[str, int]], marked: bool) -> list[Named]:
    """Items of one clause; a role written after a name (A（牵头）、B) is that name's own."""
    out = []
    for name, off in items:
        name, off, own = _item_role(name, off)
        out.append(Named(own or role, name, off, marked or own is not None))
    return out


def settle_roles(names: Sequence[Named]) -> list[Named]:
    """The bare-list rule over one responsibility (a phrase, or label lines read together):
    with a lead named anywhere (牵头, 牵头单位：…), an item without a role participates — so
    责任单位：… after 牵头单位：… lists participants —; without one, the first named leads
    and the rest participate."""
    has_lead = any(n.role == "lead" for n in names)
    out = []
    for i, n in enumerate(names):
        role = n.role or ("lead" if i == 0 and not has_lead else "participant")
        out.append(Named(role, n.name, n.off, n.marked))
    return out


def _item_role(name: str, off: int) -> tuple[str, int, str | None]:
    """(name, offset, its own role) of a list item: 省教育厅（牵头） leads."""
    m = _ITEM_ROLE.search(name)
    if not m or m.start() == 0:
        return name, off, None
    role = "lead" if m.group("mark") in ("牵头", "主责") else "participant"
    return name[:m.start()], off, role


def has_lead_word(phrase: str) -> bool:
    """Does a responsibility phrase name its lead (牵头, 主责)?"""
    return bool(re.search(r"牵头|主责", phrase))


class _DocReader:
    def __init__(self, doc: Document, resolver: Resolver, facts: DepartmentFacts):
        self.doc = doc
        self.meta = doc.meta
        self.ctx = Context.of(doc.meta)
        self.resolver = resolver
        self.facts = facts
        self.by_id = doc.by_id()
        self.assigned_spans: dict[str, list[tuple[int, int]]] = defaultdict(list)

    def span(self, p: Provision, text: str, start: int, end: int) -> tuple[int, int]:
        return locate_in(self.doc.source, p.start, p.end, text, start, end)

    # -- bracket lists after an item ------------------------------------------------------
    def brackets(self) -> None:
        for p in self.doc.provisions:
            if p.kind in ("table", "table_row", "annex") or not p.own_text:
                continue
            text = p.own_text
            # label phrases on consecutive lines (牵头单位：A / 责任单位：B) are read as one
            run: list[tuple[int, int, int, str]] = []
            for para_start, para in _paragraphs(text):
                found = _trailing_bracket(para) or _trailing_label(para)
                if found is not None and is_note(para[found[0]:found[1]]):
                    self._read_run(p, run)
                    run = []
                    continue           # 各项任务中排在第一位的为牵头单位: how to read, not who
                if found is not None:
                    span = (para_start + found[0], para_start + found[1], para_start, para)
                    if run and _LABEL_LINE.match(para):
                        run.append(span)
                        continue
                    self._read_run(p, run)
                    run = [span]
                    if not _ANY_LABEL.search(para, found[0], found[1]):
                        self._read_run(p, run)      # a bracket: nothing goes on with it
                        run = []
                    continue
                self._read_run(p, run)
                run = []
                self._prose(p, para_start, para)
            self._read_run(p, run)

    def _read_run(self, p: Provision, run: list[tuple[int, int, int, str]]) -> None:
        """Responsibility phrases of consecutive lines, read as one: a lead named on one line
        makes the bare list of the next (责任单位：…) its participants."""
        if not run:
            return
        text = p.own_text
        at = run[0][0]
        names = [Named(n.role, n.name, n.off + a - at, n.marked)
                 for a, b, _, _ in run for n in read_roles(text[a:b])]
        parsed = self._resolve_names(names)
        if parsed:
            self._assign(p, p, at, text[at:run[-1][1]], parsed, "bracket", text)
        elif len(run) == 1:
            self._prose(p, run[0][2], run[0][3])

    def _prose(self, p: Provision, para_start: int, para: str) -> None:
        """由省人社厅牵头，省教育厅配合。 / 此项工作由…负责。 / 省发展改革委负责… in the text."""
        for a, b in _prose_phrases(para):
            phrase = para[a:b].rstrip("；;，, ")
            if not _DOES.search(phrase) or is_note(phrase):
                continue
            by = phrase.startswith("由")
            parsed = self._resolve_phrase(phrase, strict=True)
            if not parsed and not by:
                cut = _first_doer(phrase)
                parsed = self._resolve_phrase(cut, strict=True) if cut else None
                phrase = cut or phrase
            # without 由, the sentence must open on a body's own name (省…, 市…, 北京市…),
            # not on a verb whose last character reads as a place (建立市人社局牵头)
            if parsed and not by and not _has_prefix(parsed[0][1]):
                parsed = None
            if parsed:
                self._assign(p, p, para_start + a, phrase, parsed, "prose", p.own_text)

    def _resolve_phrase(self, phrase: str, strict: bool = False, labelled: bool = False):
        """(role, name, offset, department) of each name of a responsibility phrase, or None
        when it says no responsibility.  `labelled`: the phrase stands under a label of its
        own (a 责任单位 column)."""
        names = read_roles(phrase)
        if labelled:
            names = [Named(n.role, n.name, n.off, True) for n in names]
        return self._resolve_names(names, strict)

    def _resolve_names(self, names: Sequence[Named], strict: bool = False):
        """Each name to its department, then the roles settled over the names kept.  A name no source resolves is never dropped where
        the text marks the phrase as a responsibility (a label, 牵头, 负责, 配合…) or where
        it reads as a body (…局, …中心): it is kept as written with its place, unresolved.
        A bare bracket (（A、B）) with an item that is no body says no responsibility at all,
        nor does a sentence of running text (`strict`) naming anything but bodies."""
        if not names:
            return None
        bare = not any(n.marked for n in names)
        kept, depts = [], []
        for n in names:
            dept = self.resolver._resolve(n.name, self.ctx)
            if dept is None and (_looks_like_body(n.name) or n.marked and not strict):
                dept = self.resolver.as_written(n.name, self.ctx)
            if dept is None:
                if strict or bare:
                    return None
                continue               # a time or a verb in a marked phrase: not a party
            kept.append(n)
            depts.append(dept)
        # settled after: a clause that names no party (2023年底前完成) takes no lead's place
        return [(n.role, n.name, n.off, dept)
                for n, dept in zip(settle_roles(kept), depts)] or None

    def _assign(self, task: Provision, source: Provision, phrase_at: int, phrase: str, parsed,
                form: str, text: str) -> None:
        for role, name, off, dept in parsed:
            dept = self.resolver._add(dept, name)
            # the name as it stands in the text: "广州" for 广州市人民政府 read from a shared tail
            at = phrase_at + off
            n = 0
            while n < len(name) and at + n < len(text) and text[at + n] == name[n]:
                n += 1
            if n >= 2:
                s, e = self.span(source, text, at, at + n)
            else:
                s, e = self.span(source, text, phrase_at, phrase_at + len(phrase))
            self.facts.responsibilities.append(Responsibility(
                task.id, self.doc.file, dept.slug, dept.name, role, name, phrase, s, e, form,
                source.id))
        self.assigned_spans[source.id].append((phrase_at, phrase_at + len(phrase)))

    # -- task tables -------------------------------------------------------------------------
    def tables(self) -> None:
        """Task tables: each row's responsibilities on the row; a row that restates a body
        provision (ontology.tasks) also gives them to that provision, which carries the
        task, and its own reading is marked as that task's evidence."""
        first = len(self.facts.responsibilities)
        row_parsed: dict[str, list] = {}
        for table in (p for p in self.doc.provisions if p.kind == "table"):
            cols = [match_key(c) for c in table.columns]
            rows = [self.by_id[c] for c in table.children if self.by_id[c].kind == "table_row"]
            read = [(row, self._row(row, cols)) for row in rows]
            marks_lead = any(has_lead_word(phrase) for _, got in read if got
                             for _, phrase, _ in got)
            for row, assignments in read:
                if assignments is None:
                    continue
                if marks_lead and not _lead_column(cols):
                    # where rows mark their lead (（牵头）), a row that marks none has none
                    assignments = [(at, phrase, _no_lead(phrase, parsed))
                                   for at, phrase, parsed in assignments]
                row_parsed[row.id] = assignments
                for phrase_at, phrase, parsed in assignments:
                    self._assign(row, row, phrase_at, phrase, parsed, "table", row.own_text)
        restated = {row: body for row, body in restatements(self.doc.provisions).items()
                    if row in row_parsed}
        for row_id, body_id in restated.items():
            row = self.by_id[row_id]
            for phrase_at, phrase, parsed in row_parsed[row_id]:
                self._assign(self.by_id[body_id], row, phrase_at, phrase, parsed, "table-body",
                             row.own_text)
        resps = self.facts.responsibilities
        for i in range(first, len(resps)):
            if resps[i].form == "table" and resps[i].provision in restated:
                resps[i] = replace(resps[i], evidence_of=restated[resps[i].provision])

    def _row(self, row: Provision, cols: list[str]):
        """[(offset in own_text, phrase, parsed)] of a task-table row, or None."""
        cells = list(row.cells)
        if not cells:
            return None
        offsets, pos = [], 0
        raw_cells = row.own_text.split("\t")
        for c in raw_cells:
            offsets.append(pos)
            pos += len(c) + 1
        resp_idx = responsibility_columns(cols, cells)
        assignments = []
        for i in resp_idx:
            if i >= len(raw_cells):
                continue
            raw = raw_cells[i]
            phrase = raw.strip()
            if not phrase:
                continue
            at = offsets[i] + raw.index(phrase[0])
            parsed = self._resolve_phrase(phrase, labelled=bool(cols))
            if not parsed:
                continue
            label = cols[i] if i < len(cols) else ""
            if label.startswith(("牵头", "主责")):
                parsed = [("lead",) + tuple(x[1:]) for x in parsed]
            elif label.startswith(("配合", "参与", "协同")):
                parsed = [("participant",) + tuple(x[1:]) for x in parsed]
            assignments.append((at, phrase, parsed))
        return assignments or None

    # -- mentions in running text --------------------------------------------------------------
    def mentions(self) -> None:
        for p in self.doc.provisions:
            text = p.own_text
            if not text:
                continue
            masked = _mask(text, self.assigned_spans.get(p.id, ()))
            seen: set[tuple[str, int]] = set()
            for start, end, written, dept, generic in self._find_mentions(masked):
                if dept is None or (dept.slug, start) in seen:
                    continue
                seen.add((dept.slug, start))
                s, e = self.span(p, text, start, end)
                self.facts.mentions.append(Mention(p.id, self.doc.file, dept.slug, dept.name,
                                                   written, s, e, generic))

    def _find_mentions(self, text: str):
        for m in _SECTOR_LIST.finditer(text):
            if _CLASS_BEFORE.search(text[max(0, m.start() - 3):m.start()]):
                continue
            body = m.group(0)
            for stem_m in re.finditer(_LIST_STEM_ALT, body):
                dept = self.resolver.generic(stem_m.group(0), self.ctx)
                yield (m.start() + stem_m.start(), m.start() + stem_m.end(),
                       stem_m.group(0), dept, True)
        for m in _MENTION.finditer(text):
            written = m.group(0)
            if _CLASS_BEFORE.search(text[max(0, m.start() - 3):m.start()]):
                continue
            if written.endswith("部门") or written.endswith("系统"):
                stem = _SECTOR_GENERIC.match(_LEVEL_WORD.sub("", written))
                if stem and not written.startswith(LEVEL_WORDS):
                    yield m.start(), m.end(), written, self.resolver.generic(
                        stem.group("stem"), self.ctx), True
                continue
            dept = self.resolver.resolve(written, self.ctx)
            yield m.start(), m.end(), written, dept, False


def _lead_column(cols: list[str]) -> bool:
    """Does a table give leads a column of their own (牵头单位 | 配合单位)?"""
    return any(c.startswith(("牵头", "主责")) for c in cols)


def _no_lead(phrase: str, parsed: list) -> list:
    """A row's list read as participants only, unless the row itself names a lead."""
    if has_lead_word(phrase):
        return parsed
    return [("participant",) + tuple(x[1:]) for x in parsed]


def _paragraphs(text: str) -> Iterable[tuple[int, str]]:
    pos = 0
    for para in text.split("\n"):
        yield pos, para
        pos += len(para) + 1


_BRACKETS = {"）": "（(", ")": "（(", "】": "【[", "]": "[【［", "］": "［["}


def _trailing_bracket(para: str) -> tuple[int, int] | None:
    """The inside of a bracket that ends a paragraph ("…。（市人社局、市财政局）",
    "…【牵头单位：…】", "…[责任单位：…]"), or None."""
    s = para.rstrip()
    s = s.rstrip("。；;.")
    if not s or s[-1] not in _BRACKETS:
        return None
    closers, openers = "".join(c for c, o in _BRACKETS.items() if o == _BRACKETS[s[-1]]) + s[-1], \
        _BRACKETS[s[-1]]
    depth, i = 0, len(s) - 1
    while i >= 0:
        ch = s[i]
        if ch in closers:
            depth += 1
        elif ch in openers:
            depth -= 1
            if depth == 0:
                break
        i -= 1
    if i < 0 or len(s) - 1 - (i + 1) < 2:
        return None
    return i + 1, len(s) - 1


_LABELLED = re.compile(rf"(?:^|(?<=[。；;！]))\s*(?:[（(【\[［])?(?=(?:{_LABEL_WORDS})[:：])")
# A line that starts with a label: it goes on with the label phrase of the line before
_LABEL_LINE = re.compile(rf"^\s*[（(【\[［]?\s*(?:{_LABEL_WORDS}|{_OTHER_WORDS})[:：]")


def _trailing_label(para: str) -> tuple[int, int] | None:
    """"…。牵头单位：市发展改革局；配合单位：市财政局" at the end of a paragraph (no brackets):
    from the first label of the paragraph's last sentence."""
    starts = [m.end() for m in _LABELLED.finditer(para)]
    if not starts:
        return None
    sentence = max(para.rfind(c, 0, starts[-1]) for c in "。！")
    found = next(x for x in starts if x > sentence)
    end = len(para.rstrip().rstrip("。；;.）)】]"))
    return (found, end) if end - found >= 4 else None


_SENTENCE_END = re.compile(r"[。！!？?]")


def _prose_phrases(para: str) -> list[tuple[int, int]]:
    """Sentences of running text that may say who is responsible: each one starting with
    由 (此项工作由…负责), and the paragraph's last sentence ("省发展改革委负责…")."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(para):
        spans.append((start, m.start()))
        start = m.end()
    if para[start:].strip():
        spans.append((start, len(para)))
    out = []
    for i, (a, b) in enumerate(spans):
        while a < b and para[a].isspace():
            a += 1
        lead_in = _PROSE_LEAD_IN.match(para, a, b)
        if lead_in and lead_in.end() > a or para.startswith("由", a):
            out.append((lead_in.end() if lead_in else a, b))
        elif i == len(spans) - 1 and i > 0:
            out.append((a, b))
    return out


_DOES = re.compile(r"牵头|负责")


def _first_doer(phrase: str) -> str | None:
    """"省发展改革委负责统筹…" → "省发展改革委负责": the sentence cut after its first
    牵头/负责, when that falls in its first clause."""
    m = _DOES.search(phrase)
    if not m or m.start() < 2 or re.search(r"[，,；;]", phrase[:m.start()]):
        return None
    return phrase[:m.end()]


_CITED = re.compile(r"《[^》]*》|[\u4e00-\u9fff]{1,12}[〔\[［]\s*\d{4}\s*[〕\]］]\s*\d+\s*号")


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Titles in 《》, 文号 and already-assigned phrases blanked out (offsets kept)."""
    chars = list(text)
    for m in _CITED.finditer(text):
        for i in range(m.start(), m.end()):
            chars[i] = " "
    for a, b in spans:
        for i in range(max(0, a), min(len(chars), b)):
            chars[i] = " "
    return "".join(chars)


_CLASS_BEFORE = re.compile(r"(各级|各地|全省|全市|全国|地方|基层|相关|有关)$")
_PREFIX = rf"(?:{_PLACE_RE.pattern}|省委|市委|省政府|市政府|省|市)"


def _body_words() -> str:
    """Each sector's stems with the body words that sector uses; 部 never where it starts a
    word (部门, 部署, 部分); a stem followed by 部门 / 系统 is the sector in general."""
    alts = []
    for sector in SECTORS:
        if not sector.stems:
            continue                   # people's organisations: whole words (_GROUP_WORDS)
        stems = "|".join(sorted(sector.stems, key=len, reverse=True))
        suffixes = "|".join(("部(?![门署分位])" if sf == "部" else sf)
                            for sf in sorted(sector.suffixes, key=len, reverse=True))
        alts.append(rf"(?:{stems})(?:部门|系统|{suffixes})")
    return rf"(?:国家|国务院)?(?:{'|'.join(alts)})"


_BODY_WORDS = _body_words()
_GROUP_WORDS = "|".join(w for w in WHOLE_WORDS if w != "团委")
_MENTION = re.compile(
    rf"{_PREFIX}?{_BODY_WORDS}"
    rf"|{_PREFIX}(?:{_GROUP_WORDS})"
    rf"|(?:共青团|团)(?:省|市|县|区)委|共青团(?:{_PLACE_RE.pattern})委(?:员会)?|共青团中央|团中央"
    rf"|{_PREFIX}(?:人民政府|政府)(?!部门|债|采购|投资|补贴|购买|引导|性)"
    rf"|{_PREFIX}(?:{'|'.join(sorted(UNIT_ABBREVIATIONS, key=len, reverse=True))}|教研院|教科院)"
    r"|国务院办公厅|国务院|中共中央办公厅|中共中央|党中央"
    r"|省厅(?=[^\u4e00-\u9fff]|正式|官网|发文)|省委|省政府")
_SECTOR_LIST = re.compile(rf"(?:(?:{_LIST_STEM_ALT})、)+(?:{_LIST_STEM_ALT})(?:等)?(?:有关|相关)?部门")


def extract_departments(docs: Sequence[Document], resolver: Resolver | None = None) -> DepartmentFacts:
    """Responsibilities and mentions of every document, with the departments they resolve to."""
    resolver = resolver or Resolver()
    facts = DepartmentFacts(resolver)
    for doc in docs:
        reader = _DocReader(doc, resolver, facts)
        reader.brackets()
        reader.tables()
        reader.mentions()
        # Every co-issuer passed the document, not only the first one named.
        slugs = []
        for name in _issuer_names(doc.meta):
            dept = resolver.resolve(name, reader.ctx)
            if dept is not None and dept.slug not in slugs:
                slugs.append(dept.slug)
        if slugs:
            facts.issuers[doc.file] = tuple(slugs)
    facts.responsibilities = _dedupe(facts.responsibilities)
    return facts


def _dedupe(items: list[Responsibility]) -> list[Responsibility]:
    """One responsibility per provision and department: a task-table row's reading of a
    body provision over the body's own (the table is the explicit division of labour),
    else a lead role over participant."""
    best: dict[tuple[str, str], Responsibility] = {}
    order: list[tuple[str, str]] = []
    for r in items:
        key = (r.provision, r.department)
        if key not in best:
            best[key] = r
            order.append(key)
        elif _outranks(r, best[key]):
            best[key] = r
    return [best[k] for k in order]


def _outranks(new: Responsibility, old: Responsibility) -> bool:
    if (new.form == "table-body") != (old.form == "table-body"):
        return new.form == "table-body"
    return old.role != "lead" and new.role == "lead"
