"""Who is responsible for what, read from each document: responsibilities and mentions.

- **assigned responsibility**, in every written form: a bracket ending an item —
  （A、B）, 【责任单位：A、B】, [责任单位：…], half-width (责任单位:…), （A牵头，B配合）, （A负责）,
  （A、B负责） —, a labelled line without brackets (牵头单位：A；配合单位：B), a sentence of
  running text (由A牵头，B、C按职责分工负责 / 此项工作由A负责，B配合 / 由A负责 / "A负责…" as a
  paragraph's last sentence), and task tables (a 责任单位 column with A（牵头）、B, or
  columns 牵头单位 / 配合单位 / 责任单位 / 参与单位 in any order).  Label lines after an item
  (牵头单位：A on one line, 责任单位：B、C on the next) are read together as one phrase; the
  phrase's grammar — who leads, who participates — is ontology.roles.  In a table whose rows
  mark their lead, a row that marks none lists participants only.  A note on the reading
  (各项任务中排在第一位的为牵头单位) is never a department.  A task table's row also gives its
  responsibilities to the body provision it restates (ontology.tasks: the one pairing rule,
  by heading similarity): one task, one responsibility — the body provision carries it, the
  row's own reading is its evidence (`Responsibility.evidence_of`), so a task is counted
  once.  A department the row names and the body does not still gets the task on the body
  provision; where both name one, the row's role stands (the table is the document's
  explicit division of labour); a row that restates no body provision is a task of its own.
- **no silent loss, no invented name**: where the text marks a phrase as a responsibility
  (a label, 牵头/负责/配合…, a responsibility column) every name is kept — one no source
  resolves as written with its place, flagged `resolved=False` (市城投集团 → 许昌市城投集团);
  only a bare bracket whose items are no bodies (…局/委/办/政府/中心…), or a sentence of
  running text naming anything but bodies, says no responsibility.
- **mentions**: departments named in running text ("加强与发改、国资、工信部门协调",
  "由省教研室组织"), kept apart from assigned responsibility.

Every name is resolved to its canonical body by ontology.departments' Resolver, in the
document's context; `extract_departments` gives the records below for a corpus.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Iterable, Sequence

from policykg.corpus.records import Document, Provision
from policykg.corpus.text import fold_width, match_key
from policykg.ontology.departments import Context, Department, Resolver, issuer_names
from policykg.ontology.naming import SECTORS, WHOLE_WORDS
from policykg.ontology.places import PLACE_RE
from policykg.ontology.roles import ANY_LABEL, Named, has_lead_word, read_roles, settle_roles
from policykg.ontology.spans import locate_in
from policykg.ontology.tasks import responsibility_columns, restatements
from policykg.ontology.written_names import (LABEL_WORDS, LEVEL_WORD, LEVEL_WORDS, LIST_STEM_ALT,
                                             ORG_END, OTHER_WORDS, SECTOR_GENERIC,
                                             UNIT_ABBREVIATIONS, has_prefix, is_note)


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


def _looks_like_body(name: str) -> bool:
    """Does a written name end the way a body's does (…局, …委, …政府, …中心, 各…)?"""
    s = fold_width(name).strip()
    return bool(ORG_END.search(s) or s.startswith("各") and len(s) > 2)


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
                    if not ANY_LABEL.search(para, found[0], found[1]):
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
            if parsed and not by and not has_prefix(parsed[0][1]):
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
            for stem_m in re.finditer(LIST_STEM_ALT, body):
                dept = self.resolver.generic(stem_m.group(0), self.ctx)
                yield (m.start() + stem_m.start(), m.start() + stem_m.end(),
                       stem_m.group(0), dept, True)
        for m in _MENTION.finditer(text):
            written = m.group(0)
            if _CLASS_BEFORE.search(text[max(0, m.start() - 3):m.start()]):
                continue
            if written.endswith("部门") or written.endswith("系统"):
                stem = SECTOR_GENERIC.match(LEVEL_WORD.sub("", written))
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


_LABELLED = re.compile(rf"(?:^|(?<=[。；;！]))\s*(?:[（(【\[［])?(?=(?:{LABEL_WORDS})[:：])")
# A line that starts with a label: it goes on with the label phrase of the line before
_LABEL_LINE = re.compile(rf"^\s*[（(【\[［]?\s*(?:{LABEL_WORDS}|{OTHER_WORDS})[:：]")


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


# What may stand before a responsibility sentence in running text: 此项工作由…负责
_PROSE_LEAD_IN = re.compile(r"(?:此项工作|该项工作|这项工作|本项工作|此项任务|该项任务|上述工作|以上工作)?"
                            r"(?=由)")
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
_PREFIX = rf"(?:{PLACE_RE.pattern}|省委|市委|省政府|市政府|省|市)"


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
    rf"|(?:共青团|团)(?:省|市|县|区)委|共青团(?:{PLACE_RE.pattern})委(?:员会)?|共青团中央|团中央"
    rf"|{_PREFIX}(?:人民政府|政府)(?!部门|债|采购|投资|补贴|购买|引导|性)"
    rf"|{_PREFIX}(?:{'|'.join(sorted(UNIT_ABBREVIATIONS, key=len, reverse=True))}|教研院|教科院)"
    r"|国务院办公厅|国务院|中共中央办公厅|中共中央|党中央"
    r"|省厅(?=[^\u4e00-\u9fff]|正式|官网|发文)|省委|省政府")
_SECTOR_LIST = re.compile(rf"(?:(?:{LIST_STEM_ALT})、)+(?:{LIST_STEM_ALT})(?:等)?(?:有关|相关)?部门")


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
        for name in issuer_names(doc.meta):
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
