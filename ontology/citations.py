"""Citations: every 《title》 and 文号 a provision names, resolved to what it cites.

A citation resolves to a corpus document by its 文号 or by its normalised title (the
"X关于印发《Y》的通知" wrapper and the issuers before 关于 stripped, whitespace and quote
marks ignored): 《技工教育“十四五”规划》 and 《人力资源社会保障部关于印发技工教育“十四五”规划的
通知》（人社部发〔2021〕86号） are the same document.  Otherwise every cited document gets one
external node, shared by everyone who cites it: same 文号, or same normalised title where
the numbers do not disagree.  A document naming itself (its own notice title, its own 文号)
is not a citation.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Sequence

from corpus.records import Document, DocumentMeta, Provision
from corpus.text import DOC_NUMBER, fold_width, match_key
from ontology.spans import locate_in

_OPEN, _CLOSE = "《", "》"
# 文号: issuer abbreviation, year in brackets, serial number, 号 — spaces allowed anywhere.
_NUMBER = DOC_NUMBER
# 部令 / 政府令: "国土资源部令第9号", "中华人民共和国国土资源部令第9号".
_DECREE = re.compile(r"(?P<org>[\u4e00-\u9fff]{2,20}?令)\s*第\s*(?P<serial>\d{1,5})\s*号")
_WRAPPER = re.compile(r"^(?P<issuer>.*?)关于(?:印发|转发|发布|颁布|公布|下发)"
                      r"[《<〈＜]?(?P<inner>.+?)[》>〉＞]?的(?:通知|函|决定|公告)$")
_ISSUER_PREFIX = re.compile(r"^(?P<issuer>.+?(?:部|厅|局|委|委员会|办|办公室|办公厅|院|政府|中央|"
                            r"部门|署|会|联))(?P<rest>关于.+)$")
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
    s = re.sub(r"\s+", "", title)
    for _ in range(3):
        m = _WRAPPER.match(s)
        if not m:
            break
        s = m.group("inner").strip("《》<>〈〉＜＞")
    m = _ISSUER_PREFIX.match(s)
    if m:
        s = m.group("rest")
    return s


def title_key(title: str | None) -> str | None:
    """The form titles are compared in: unwrapped, status mark dropped, no spaces or quotes."""
    if not title:
        return None
    s = _STATUS.sub("", unwrap_title(title))
    key = match_key(s).replace("<", "").replace(">", "")
    return key or None


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


def _read(doc: Document, p: Provision) -> list[_Raw]:
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
        if not title:
            continue
        out.append(_Raw(p, doc, title, number, a, end))
        taken.append((a, end))
    for m in list(_NUMBER.finditer(text)) + list(_DECREE.finditer(text)):
        if any(a <= m.start() < b for a, b in taken):
            continue
        number = normalise_number(m.group(0))
        if number:
            out.append(_Raw(p, doc, None, number, m.start(), m.end()))
            taken.append((m.start(), m.end()))
    return out


class _Groups:
    """Union-find over cited things, refusing to join two different 文号 or corpus documents."""

    def __init__(self):
        self.parent: dict[int, int] = {}
        self.numbers: dict[int, set[str]] = {}
        self.docs: dict[int, set[str]] = {}

    def add(self, i: int, number: str | None, doc: str | None) -> None:
        self.parent[i] = i
        self.numbers[i] = {number} if number else set()
        self.docs[i] = {doc} if doc else set()

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
        if not force and (len(nums) > 1 or len(docs) > 1):
            return
        if len(docs) > 1:
            return
        lo, hi = sorted((ra, rb))
        self.parent[hi] = lo
        self.numbers[lo], self.docs[lo] = nums, docs


def read_citations(doc: Document) -> list[RawCitation]:
    """Every citation one document makes, located in its source text, unresolved."""
    out = []
    for p in doc.provisions:
        for raw in _read(doc, p):
            s, e = locate_in(doc.source, p.start, p.end, p.own_text, raw.at, raw.to)
            out.append(RawCitation(p.id, doc.file, raw.title, raw.number, s, e))
    return out


def extract_citations(docs: Sequence[Document]) -> CitationFacts:
    return resolve_citations([d.meta for d in docs], [r for d in docs for r in read_citations(d)])


def resolve_citations(metas: Sequence[DocumentMeta], raws: Sequence[RawCitation],
                      titles: dict[str, str | None] | None = None) -> CitationFacts:
    """Resolve the citations of a corpus (`metas` in build order, `raws` in reading order)
    against its documents and one another.  `titles`: every citing document's title, when
    `metas` is only part of the corpus (an incremental add resolves only the citations the
    change can reach, indexer.incremental._resolve_citations)."""
    # The things that can be cited: corpus documents first, then each citation.
    groups = _Groups()
    by_number: dict[str, list[int]] = defaultdict(list)
    by_title: dict[str, list[int]] = defaultdict(list)
    n_docs = len(metas)
    titles = titles if titles is not None else {m.file: m.title for m in metas}
    for i, meta in enumerate(metas):
        nk = number_key(normalise_number(meta.number or "") if meta.number else None)
        groups.add(i, nk, meta.file)
        if nk:
            by_number[nk].append(i)
        tk = title_key(meta.title)
        if tk:
            by_title[tk].append(i)
    for j, raw in enumerate(raws):
        i = n_docs + j
        nk = number_key(raw.number)
        groups.add(i, nk, None)
        if nk:
            by_number[nk].append(i)
        tk = title_key(raw.title)
        if tk:
            by_title[tk].append(i)
    for members in by_number.values():
        for other in members[1:]:
            groups.union(members[0], other, force=True)
    for key in sorted(by_title):
        members = by_title[key]
        for other in members[1:]:
            groups.union(members[0], other)

    facts = CitationFacts()
    group_members: dict[int, list[int]] = defaultdict(list)
    for i in range(n_docs + len(raws)):
        group_members[groups.find(i)].append(i)
    identity_of: dict[int, CitedDocument] = {}
    for root, members in group_members.items():
        corpus = [i for i in members if i < n_docs]
        cites = [raws[i - n_docs] for i in members if i >= n_docs]
        numbers = sorted({r.number for r in cites if r.number})
        if corpus:
            meta = metas[corpus[0]]
            number = meta.number or (numbers[0] if numbers else None)
            cited = CitedDocument(f"doc:{meta.file}", meta.title, number, meta.file)
        else:
            titled = [r for r in cites if r.title]
            title = unwrap_title(titled[0].title) if titled else None
            number = numbers[0] if numbers else None
            identity = (f"no:{number_key(number)}" if number else f"t:{title_key(title)}")
            cited = CitedDocument(identity, title, number, None)
        identity_of[root] = cited

    citing: dict[str, set[str]] = defaultdict(set)
    for j, raw in enumerate(raws):
        cited = identity_of[groups.find(n_docs + j)]
        if cited.resolves_to == raw.doc:
            continue                                   # a document naming itself
        if raw.title and title_key(raw.title) == title_key(titles.get(raw.doc)):
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
