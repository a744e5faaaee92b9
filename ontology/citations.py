"""Citations: every 《title》 and 文号 a provision names, resolved to what it cites.

What a cited document is: its 文号, or its title — the core title (the "X关于印发《Y》的
通知" wrapper dropped, a status mark such as （征求意见稿） dropped, whitespace and quote
marks ignored) together with its issuer when the title names one.  The issuer is part of
the identity: 《浙江省人民政府办公厅关于深化产教融合的实施意见》 and 杭州's 《杭州市人民政府
办公厅关于深化产教融合的实施意见》 are two documents.  An issuer is compared by its key
(issuer_key): the 和 of 人力资源和社会保障 / 发展和改革 dropped, 委员会 → 委, 人民政府 → 政府,
and the standard short forms expanded (人社部 = 人力资源社会保障部), so 《技工教育“十四五”规划》,
《人力资源社会保障部关于印发技工教育“十四五”规划的通知》, 《人力资源和社会保障部技工教育“十四五”
规划》 and 人社部发〔2021〕86号 are one document.

Resolving (resolve_citations): things — corpus documents, then citations — that share a 文号
are one; then those with the same issuer and core title; then a title that names no issuer
joins the one issuer's document of that core title when there is exactly one (several:
it stays a node of its own, never a guess).  A corpus document is matched first;
otherwise every cited document gets one external node, shared by everyone who cites it.

A document never cites itself or its own annex: 《…》 naming its own title (现将《…》印发给
你们), a 《…》 it says it issues (…》，现印发给你们), or the name of one of its annexes
(对照《重点任务分工表》) is not read as a citation; nor is its own 文号.
"""
from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Sequence

from policykg.corpus.records import Document, DocumentMeta, Provision
from policykg.corpus.text import DOC_NUMBER, fold_width, match_key
from policykg.ontology.spans import locate_in

_OPEN, _CLOSE = "《", "》"
# 文号: issuer abbreviation, year in brackets, serial number, 号 — spaces allowed anywhere.
_NUMBER = DOC_NUMBER
# 部令 / 政府令: "国土资源部令第9号", "中华人民共和国国土资源部令第9号".
_DECREE = re.compile(r"(?P<org>[\u4e00-\u9fff]{2,20}?令)\s*第\s*(?P<serial>\d{1,5})\s*号")
_WRAPPER = re.compile(r"^(?P<issuer>.*?)关于(?P<verb>印发|转发|发布|颁布|公布|下发)"
                      r"[《<〈＜]?(?P<inner>.+?)[》>〉＞]?的(?:通知|函|决定|公告)$")
_ISSUER_PREFIX = re.compile(r"^(?P<issuer>.+?(?:部|厅|局|委|委员会|办|办公室|办公厅|院|政府|中央|"
                            r"部门|署|会|联))(?P<rest>关于.+)$")
# The verbs whose wrapper's issuer issues the inner document (转发 passes on another's: the
# notice is then a document of its own).
_ISSUING = {"印发", "发布", "颁布", "公布", "下发"}
_STATUS = re.compile(r"[（(](?:公开)?征求意见稿[）)]$|[（(]送审稿[）)]$|[（(]草案[）)]$")
_COUNTRY = "中华人民共和国"


# Words that stand before a 文号 in running text but are not part of it ("落实江人社发〔2023〕15号").
_LEAD_IN = re.compile(r"^.*(?:落实|根据|按照|依据|贯彻|执行|参照|依照|对照|印发|转发|发布|详见|参见|"
                      r"见|按|据|将|把|或|、|，)")


def _issuer_part(org: str) -> str:
    org = _LEAD_IN.sub("", org)
    if org.startswith(_COUNTRY):
        org = org[len(_COUNTRY):]
    return org


def normalise_number(text: str) -> str | None:
    """"人社部发〔2021〕86 号" → "人社部发〔2021〕86号"; None when it is not a 文号."""
    s = re.sub(r"\s+", "", fold_width(text))
    m = _NUMBER.search(s)
    if m:
        org = _issuer_part(m.group("org"))
        if not org:
            return None
        return f"{org}〔{m.group('year')}〕{int(m.group('serial'))}号"
    m = _DECREE.search(s)
    if m:
        org = _issuer_part(m.group("org"))
        if len(org) < 3:
            return None
        return f"{org}第{int(m.group('serial'))}号"
    return None


def number_key(number: str | None) -> str | None:
    return match_key(number) if number else None


def unwrap_title(title: str) -> str:
    """The cited document itself: "X关于印发《Y》的通知" → Y, issuers before 关于 dropped."""
    return split_title(title)[1]


def title_key(title: str | None) -> str | None:
    """The core title as titles are compared: unwrapped, issuer and status mark dropped,
    no spaces or quotes.  The issuer is the other half of a title's identity (title_id)."""
    if not title:
        return None
    return _core_key(unwrap_title(title))


def _core_key(core: str) -> str | None:
    key = match_key(_STATUS.sub("", core)).replace("<", "").replace(">", "")
    return key or None


def split_title(title: str) -> tuple[str | None, str]:
    """(issuer as written or None, the cited document's own title) of a title as cited.

    "X关于印发《Y》的通知": Y, issued by X (印发 and its kin: X issues Y); "X关于Y": X; a
    ministry's name glued to a title without 关于 ("人力资源和社会保障部技工教育“十四五”规划"):
    that ministry.  "X关于转发《Y》的通知" is X's own notice passing on another's document:
    it stays whole (X, 关于转发《Y》的通知), never Y."""
    s = re.sub(r"\s+", " ", title).strip()
    issuer: str | None = None
    for _ in range(3):
        m = _WRAPPER.match(s)
        if not m or m.group("verb") not in _ISSUING:
            break
        issuer = issuer or m.group("issuer").strip() or None
        s = m.group("inner").strip("《》<>〈〉＜＞ ")
    m = _ISSUER_PREFIX.match(s)
    if m:
        return m.group("issuer").strip(), m.group("rest").replace(" ", "")
    glued = _glued_ministry(s)
    if glued is not None:
        return glued
    return issuer, s.replace(" ", "")


# The State Council's ministries and commissions (国务院组成部门, www.gov.cn 国务院组织机构,
# 2023): the bodies whose name a title may carry glued to it with no 关于 between.
_MINISTRIES = ("外交部", "国防部", "国家发展和改革委员会", "教育部", "科学技术部", "工业和信息化部",
               "国家民族事务委员会", "公安部", "国家安全部", "民政部", "司法部", "财政部",
               "人力资源和社会保障部", "自然资源部", "生态环境部", "住房和城乡建设部", "交通运输部",
               "水利部", "农业农村部", "商务部", "文化和旅游部", "国家卫生健康委员会",
               "退役军人事务部", "应急管理部", "中国人民银行", "审计署")


def _glued_ministry(s: str) -> tuple[str, str] | None:
    keys = _ministry_keys()
    flat = s.replace(" ", "")
    for n in range(2, min(len(flat) - 1, 16)):
        if _canonical(flat[:n]) in keys:
            return flat[:n], flat[n:]
    return None


@functools.cache
def _ministry_keys() -> frozenset[str]:
    return frozenset(map(_canonical, _MINISTRIES))


# Standard short forms of the bodies' line of work, as 文号 prefixes and citing texts write
# them (人社部发, 发改委, 住建厅 …; the full forms in the 2018 institutional reform's names).
_SHORT_FORMS = (("人力社保", "人力资源社会保障"), ("人社", "人力资源社会保障"),
                ("发改", "发展改革"), ("住建", "住房城乡建设"), ("工信", "工业信息化"),
                ("经信", "经济信息化"), ("卫健", "卫生健康"), ("国资", "国有资产监督管理"),
                ("市场监管", "市场监督管理"), ("医保", "医疗保障"), ("科技", "科学技术"),
                ("文旅", "文化旅游"), ("教委", "教育委"), ("科委", "科学技术委"))
_WHOLE_SHORT = {"国办": "国务院办公厅", "中办": "中共中央办公厅"}
_CO_ISSUERS = re.compile(r"[、，,/]+")
# Where one body's name ends (its body word) and the next co-issuer's begins (国家…, a
# ministry, a place's name): "人力资源社会保障部 国家发展改革委 财政部" in any spacing.
_BODY_END = re.compile(r"(?:部|厅|局|委员会|委|办公厅|办公室|人民政府|政府|署|总局)")
_NEXT_BODY = re.compile(r"(?:国家|国务院|中共|中央|全国|共青团|中华全国|中国|"
                        r"[\u4e00-\u9fff]{2,6}?(?:省|自治区|市|自治州|县|区)(?![场级])|"
                        r"[省市县区](?=[\u4e00-\u9fff]{2}))")   # 省财政厅: one that says not whose
_ETC_BODIES = re.compile(r"等(?:[一二三四五六七八九十\d]+(?:个)?)?(?:部门|单位|部委)$")
# A name that starts with a bare level word (省政府办公厅, 市人社局) does not say whose it is.
_PLACELESS = re.compile(r"^(?:省|市|县|区|州|盟|本|我)")


def issuer_key(name: str | None) -> str | None:
    """The lead issuer of `name` in the form issuers are compared in, or None when it names
    no body that can be told apart: 人力资源和社会保障部, 人力资源社会保障部 and 人社部 are one
    key; 浙江省人民政府办公厅 and 浙江省政府办公厅 one; 市人民政府办公厅 none."""
    keys = issuer_keys(name)
    return keys[0] if keys else None


def issuer_keys(name: str | None) -> tuple[str, ...]:
    """Every issuer `name` names (co-issuers, in order), as issuer_key has them; a name
    that does not say whose it is (市人民政府办公厅) ends the list."""
    out: list[str] = []
    for part in _CO_ISSUERS.split(match_key(name or "")):
        rest = _ETC_BODIES.sub("", part)
        while rest:
            body = _lead_body(rest)
            rest = rest[len(body):]
            s = body[len(_COUNTRY):] if body.startswith(_COUNTRY) else body
            s = _canonical(s)
            if len(s) < 2 or _PLACELESS.match(s):
                return tuple(out)
            if s not in out:
                out.append(s)
    return tuple(out)


def _canonical(s: str) -> str:
    """One body's name in one spelling: 和 dropped, 委员会 → 委, 人民政府 → 政府, short
    forms written out."""
    s = _WHOLE_SHORT.get(s, s)
    s = s.replace("和", "").replace("人民政府", "政府").replace("委员会", "委")
    for short, full in _SHORT_FORMS:
        if short in s and full not in s:
            s = s.replace(short, full)
    return s


def _lead_body(s: str) -> str:
    """The first of co-issuers written together with no separator."""
    for m in _BODY_END.finditer(s):
        rest = s[m.end():]
        if rest and (_NEXT_BODY.match(rest) or _starts_with_ministry(rest)):
            return s[:m.end()]
    return s


def _starts_with_ministry(s: str) -> bool:
    keys = _ministry_keys()
    return any(_canonical(s[:n]) in keys for n in range(2, min(len(s), 16) + 1))


@dataclass(frozen=True)
class TitleId:
    """What a title says a document is: its core title, and its issuers when it names any
    (a co-issued document: each of them; the first leads)."""

    core: str                      # title_key form
    issuers: tuple[str, ...] = ()  # issuer_key form

    @property
    def issuer(self) -> str | None:
        return self.issuers[0] if self.issuers else None

    @property
    def key(self) -> str:
        return f"{self.issuer}|{self.core}" if self.issuer else self.core


def title_id(title: str | None, issuers: Sequence[str | None] = ()) -> TitleId | None:
    """A title's identity; `issuers`: whose it is when the title itself does not say (a
    corpus document's issuers, added after those its title names)."""
    if not title:
        return None
    written, core = split_title(title)
    key = _core_key(core)
    if key is None:
        return None
    named = list(issuer_keys(written)) if written else []
    for name in issuers:
        for k in issuer_keys(name):
            if k not in named:
                named.append(k)
    return TitleId(key, tuple(named))


def doc_title_id(meta: DocumentMeta) -> TitleId | None:
    return title_id(meta.title, meta.issuers or (meta.issuer,))


def identity_keys(number: str | None, tid: TitleId | None) -> list[str]:
    """The keys resolve_citations joins things by: 文号, each issuer with the core title,
    and the core title alone (where a title naming no issuer meets the ones that do).  Two
    things end up in one cited node only through a chain of shared keys
    (pipeline.citations_delta relies on it)."""
    out = [f"n:{number}"] if number else []
    if tid is not None:
        out.append(f"t:{tid.core}")
        out += [f"i:{issuer}|{tid.core}" for issuer in tid.issuers]
    return out


def meta_keys(meta: DocumentMeta) -> list[str]:
    return identity_keys(number_key(normalise_number(meta.number or "") if meta.number
                                    else None), doc_title_id(meta))


def citation_keys(number: str | None, title: str | None) -> list[str]:
    return identity_keys(number_key(number), title_id(title))


@dataclass(frozen=True)
class Citation:
    provision: str
    doc: str
    title: str | None              # as written inside 《》 (whitespace dropped)
    number: str | None             # the 文号 printed with it, normalised
    start: int                     # source offsets of what was read (title and number)
    end: int
    target: str                    # identity of the cited document (CitedDocument.identity)
    resolves_to: str | None        # the corpus document's file, or None (external)
    target_number: str | None      # the cited document's 文号, from wherever it is known


@dataclass(frozen=True)
class CitedDocument:
    identity: str                  # "doc:<file>", or "no:<文号>" / "t:<title>" for external ones
    title: str | None              # its own title (wrappers stripped), as first written
    number: str | None
    resolves_to: str | None
    cited_by: tuple[str, ...] = ()  # citing documents' files


@dataclass
class CitationFacts:
    citations: list[Citation] = field(default_factory=list)
    cited: dict[str, CitedDocument] = field(default_factory=dict)


@dataclass
class _Raw:
    provision: Provision
    doc: Document
    title: str | None
    number: str | None
    at: int                        # offsets in the provision's own text
    to: int


@dataclass(frozen=True)
class RawCitation:
    """One citation as read from its document, before it is resolved against the corpus:
    what a document says does not depend on the others, so it can be read once and kept."""

    provision: str
    doc: str
    title: str | None
    number: str | None
    start: int                     # source offsets of what was read
    end: int


def _titles(text: str):
    """(start, end, inner) of every top-level 《…》, nested 《》 and <…> kept inside."""
    depth, start = 0, -1
    for i, ch in enumerate(text):
        if ch == _OPEN:
            if depth == 0:
                start = i
            depth += 1
        elif ch == _CLOSE and depth:
            depth -= 1
            if depth == 0:
                yield start, i + 1, text[start + 1:i]


_PAREN_AFTER = re.compile(r"\s*[（(](?P<inner>[^（）()]{0,60})[）)]")


# …》 followed by the words that issue it (，现印发给你们 / 予以印发): the document itself, or
# the plan it encloses — never 转发, which passes on another's document (a citation).
# (…》印发实施以来 / 已印发给各地 speak of an earlier document: a citation.)
_ISSUED_HERE = re.compile(r"[\s，,。]*(?:现|特|现予|予以|兹)?印发(?:给|你们)")
_PASSED_ON = re.compile(r"[\s，,。]*(?:现|特|予以)?转发")
# 附件：1. 名称 2. 名称 — the annexes a document lists as its own.
# (the list may go on over the next lines, each with its number)
_ANNEX_LINE = re.compile(r"附件\s*\d*\s*[:：]\s*(?P<names>[^\n]+(?:\n[ \t\u3000]*\d+\s*[.．、][^\n]+)*)")
_ANNEX_ITEM = re.compile(r"\s*(?:\d+\s*[.．、]\s*)?(?P<name>[^\s.．、]\S*?)\s*(?=\d+\s*[.．、]|\n|$)")


@dataclass(frozen=True)
class _Own:
    """What a document names of itself: its title and its annexes' names."""

    title: TitleId | None
    annexes: frozenset[str]        # match_key of each annex name

    @classmethod
    def of(cls, doc: Document) -> "_Own":
        names = {match_key(p.heading) for p in doc.provisions if p.kind == "annex" and p.heading}
        # the whole text in reading order: a list of annexes may run over several provisions
        body = "\n".join(p.own_text for p in doc.provisions)
        for line in _ANNEX_LINE.finditer(body):
            names.update(match_key(m.group("name"))
                         for m in _ANNEX_ITEM.finditer(line.group("names")))
        names.discard("")
        return cls(doc_title_id(doc.meta), frozenset(names))

    def names(self, title: str, text_after: str) -> bool:
        """Whether 《title》, followed by `text_after`, names the document itself."""
        if _ISSUED_HERE.match(text_after):
            return True
        if _PASSED_ON.match(text_after):
            return False           # another's document passed on, even when also annexed
        key = match_key(title)
        if key in self.annexes or _strip_annex_mark(key) in self.annexes:
            return True
        return is_own_title(title_id(title), self.title)


def _strip_annex_mark(key: str) -> str:
    return re.sub(r"^附件\d*[:：]?", "", key)


def is_own_title(cited: TitleId | None, own: TitleId | None) -> bool:
    """A cited title is the citing document's own when the core titles are the same and
    the citation names no issuer or the document's own: a title naming another issuer is
    another's document (杭州 citing 浙江's 《…实施意见》 of the same words)."""
    return (cited is not None and own is not None and cited.core == own.core
            and (not cited.issuers or bool(set(cited.issuers) & set(own.issuers))))


def _read(doc: Document, p: Provision, own: _Own) -> list[_Raw]:
    text = p.own_text
    out: list[_Raw] = []
    taken: list[tuple[int, int]] = []
    for a, b, inner in _titles(text):
        number, end = None, b
        m = _PAREN_AFTER.match(text, b)
        if m:
            number = normalise_number(m.group("inner"))
            if number:
                end = m.end()
        title = re.sub(r"\s+", " ", inner).strip()
        taken.append((a, end))
        if not title or own.names(title, text[end:end + 12]):
            continue
        out.append(_Raw(p, doc, title, number, a, end))
    for m in list(_NUMBER.finditer(text)) + list(_DECREE.finditer(text)):
        if any(a <= m.start() < b for a, b in taken):
            continue
        number = normalise_number(m.group(0))
        if number:
            out.append(_Raw(p, doc, None, number, m.start(), m.end()))
            taken.append((m.start(), m.end()))
    return out


class _Groups:
    """Union-find over cited things, refusing to join two different 文号, corpus documents
    or issuers (a 文号 shared joins whatever the titles say: `force`)."""

    def __init__(self):
        self.parent: dict[int, int] = {}
        self.numbers: dict[int, set[str]] = {}
        self.docs: dict[int, set[str]] = {}
        self.issuers: dict[int, set[str]] = {}

    def add(self, i: int, number: str | None, doc: str | None, issuers: Sequence[str]) -> None:
        self.parent[i] = i
        self.numbers[i] = {number} if number else set()
        self.docs[i] = {doc} if doc else set()
        self.issuers[i] = set(issuers)

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int, force: bool = False) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        nums, docs = self.numbers[ra] | self.numbers[rb], self.docs[ra] | self.docs[rb]
        ia, ib = self.issuers[ra], self.issuers[rb]
        # issuers agree when one side names none or they name one in common (co-issuers)
        if not force and (len(nums) > 1 or len(docs) > 1 or (ia and ib and not ia & ib)):
            return
        issuers = ia | ib
        if len(docs) > 1:
            return
        lo, hi = sorted((ra, rb))
        self.parent[hi] = lo
        self.numbers[lo], self.docs[lo], self.issuers[lo] = nums, docs, issuers


def read_citations(doc: Document) -> list[RawCitation]:
    """Every citation one document makes, located in its source text, unresolved."""
    out = []
    own = _Own.of(doc)
    for p in doc.provisions:
        for raw in _read(doc, p, own):
            s, e = locate_in(doc.source, p.start, p.end, p.own_text, raw.at, raw.to)
            out.append(RawCitation(p.id, doc.file, raw.title, raw.number, s, e))
    return out


def extract_citations(docs: Sequence[Document]) -> CitationFacts:
    return resolve_citations([d.meta for d in docs], [r for d in docs for r in read_citations(d)])


@dataclass
class _Things:
    """The things that can be cited — corpus documents first, then each citation — with
    what identifies each: 文号 key and title identity."""

    numbers: list[str | None] = field(default_factory=list)
    titles: list[TitleId | None] = field(default_factory=list)

    def add(self, number: str | None, tid: TitleId | None) -> None:
        self.numbers.append(number)
        self.titles.append(tid)

    def index(self, keys) -> dict[str, list[int]]:
        """key → the things (in order) that `keys(i, title id)` gives it for."""
        out: dict[str, list[int]] = defaultdict(list)
        for i, tid in enumerate(self.titles):
            for k in keys(i, tid):
                out[k].append(i)
        return out


def _join(groups: _Groups, things: _Things) -> None:
    """文号 first (whatever the titles say), then issuer and core title, then a title
    naming no issuer with the one issuer's document of its core title, if only one."""
    by_number = things.index(lambda i, _: [things.numbers[i]] if things.numbers[i] else [])
    for members in by_number.values():
        for other in members[1:]:
            groups.union(members[0], other, force=True)
    by_id = things.index(lambda _, t: [f"{x}|{t.core}" for x in t.issuers] if t else [])
    for key in sorted(by_id):
        for other in by_id[key][1:]:
            groups.union(by_id[key][0], other)
    by_core = things.index(lambda _, t: [t.core] if t is not None else [])
    for key in sorted(by_core):
        members = by_core[key]
        bare = [i for i in members if not things.titles[i].issuers]
        named = [i for i in members if things.titles[i].issuers]
        if not bare:
            continue
        # several issuers' documents of these words: which one is meant is not known
        one = len({groups.find(i) for i in named}) == 1
        anchor = named[0] if one else bare[0]
        for other in bare:
            groups.union(anchor, other)


def resolve_citations(metas: Sequence[DocumentMeta], raws: Sequence[RawCitation],
                      citers: dict[str, DocumentMeta] | None = None) -> CitationFacts:
    """Resolve the citations of a corpus (`metas` in build order, `raws` in reading order)
    against its documents and one another.  `citers`: every citing document's metadata,
    when `metas` is only part of the corpus (an incremental add resolves only the
    citations the change can reach, pipeline.citations_delta.reresolve_citations)."""
    groups, things = _Groups(), _Things()
    n_docs = len(metas)
    citers = citers if citers is not None else {m.file: m for m in metas}
    for i, meta in enumerate(metas):
        tid = doc_title_id(meta)
        nk = number_key(normalise_number(meta.number or "") if meta.number else None)
        groups.add(i, nk, meta.file, tid.issuers if tid else ())
        things.add(nk, tid)
    for j, raw in enumerate(raws):
        tid = title_id(raw.title)
        groups.add(n_docs + j, number_key(raw.number), None, tid.issuers if tid else ())
        things.add(number_key(raw.number), tid)
    _join(groups, things)

    group_members: dict[int, list[int]] = defaultdict(list)
    for i in range(n_docs + len(raws)):
        group_members[groups.find(i)].append(i)
    identity_of = {root: _cited(members, metas, raws, things)
                   for root, members in group_members.items()}

    facts = CitationFacts()
    citing: dict[str, set[str]] = defaultdict(set)
    for j, raw in enumerate(raws):
        cited = identity_of[groups.find(n_docs + j)]
        if cited.resolves_to == raw.doc:
            continue                                   # a document naming itself
        citer = citers.get(raw.doc)
        if citer is not None and is_own_title(things.titles[n_docs + j], doc_title_id(citer)):
            continue
        facts.citations.append(Citation(
            raw.provision, raw.doc, raw.title, raw.number, raw.start, raw.end, cited.identity,
            cited.resolves_to, raw.number or cited.number))
        citing[cited.identity].add(raw.doc)
        facts.cited[cited.identity] = cited
    for identity, cited in list(facts.cited.items()):
        facts.cited[identity] = CitedDocument(cited.identity, cited.title, cited.number,
                                              cited.resolves_to,
                                              tuple(sorted(citing[identity])))
    return facts


def _cited(members: list[int], metas: Sequence[DocumentMeta], raws: Sequence[RawCitation],
           things: _Things) -> CitedDocument:
    """The node a group of joined things stands for: its corpus document, or one external
    node named by its 文号, else by its issuer and core title."""
    n_docs = len(metas)
    corpus = [i for i in members if i < n_docs]
    cites = [raws[i - n_docs] for i in members if i >= n_docs]
    numbers = sorted({r.number for r in cites if r.number})
    if corpus:
        meta = metas[corpus[0]]
        number = meta.number or (numbers[0] if numbers else None)
        return CitedDocument(f"doc:{meta.file}", meta.title, number, meta.file)
    titled = [i for i in members if things.titles[i] is not None]
    title = unwrap_title(raws[titled[0] - n_docs].title) if titled else None
    number = numbers[0] if numbers else None
    if number:
        return CitedDocument(f"no:{number_key(number)}", title, number, None)
    leads = sorted({things.titles[i].issuer for i in titled if things.titles[i].issuer})
    core = things.titles[titled[0]].core if titled else None
    key = f"{leads[0]}|{core}" if leads else core
    return CitedDocument(f"t:{key}", title, number, None)
