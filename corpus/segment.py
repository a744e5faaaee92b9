"""Cutting a cleaned text into the provision tree an official would recognise.

notice/cover → 一、(chapter) → （一）(section) → 1.(item) → （1）(subitem) → ①(point);
专栏 N boxes inside the section they sit in; tables as table → table_row; annexes (附件).

The text arrives as physical lines (PDF extraction breaks lines inside sentences, Word
extraction does not), so one pass decides, line by line, whether a line opens a new
provision, continues the paragraph before it, or starts a new paragraph.  Markers are
checked against the numbering so far: "一、二、三年级" inside a sentence is not a chapter,
and a misnumbered "（3） 培养体系" between （二） and （四） is still a section.  A line is
never glued to the one before when it opens with a responsibility label (牵头单位：…,
责任单位:…, 【配合单位：…】, 完成时限：…) — it belongs to the provision it follows — nor
after a bare title or a short heading line (an HTML <h2>/<h3> over its paragraph).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from policykg.corpus.clean import Line, read_lines, usual_gap, wrap_width
from policykg.corpus.records import Document, DocumentMeta, Provision, doc_key
from policykg.corpus.script import simplify
from policykg.corpus.text import (CIRCLED, SENTENCE_END, TERMINAL, cn_to_int, match_key,
                         short_heading)

CN_NUM = "[一二三四五六七八九十百零〇两]{1,4}"
_CHAPTER = re.compile(rf"^(?P<num>(?P<v>{CN_NUM})\s*、)\s*(?P<rest>.*)$", re.S)
_SECTION = re.compile(rf"^(?P<num>[（(]\s*(?P<v>{CN_NUM})\s*[）)])\s*(?P<rest>.*)$", re.S)
_ITEM = re.compile(r"^(?P<num>(?P<v>\d{1,2})\s*[.．、](?![\d.．]))\s*(?P<rest>.*)$", re.S)
_SUBITEM = re.compile(r"^(?P<num>[（(]\s*(?P<v>\d{1,2})\s*[）)])\s*(?P<rest>.*)$", re.S)
_POINT = re.compile(rf"^(?P<num>(?P<v>[{CIRCLED}]))\s*(?P<rest>.*)$", re.S)
_BOX = re.compile(r"^(?P<num>专栏\s*(?P<v>\d{1,2}))\s*[：:．.、]?\s*(?P<rest>.*)$", re.S)
_ANNEX = re.compile(r"^(?P<num>附件\s*(?P<v>\d{0,2})|附)\s*[：:]?\s*(?P<rest>[^，。；]{0,40})$")
_ATTACH_LIST = re.compile(r"^附(件)?\s*[：:]\s*\S")
_CLOSING = re.compile(r"^本(实施|工作|行动|专项)?(规划|方案|意见|办法|细则|通知|计划|规定|措施)"
                      r"(由|自|从|所称|未尽)")
_DATE_LINE = re.compile(r"^.{0,40}?\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*(印发|发布|公布)?$")
_NUMBER_LINE = re.compile(r"^[^\s，。]{1,15}[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d+\s*号$")
_ORG_LINE = re.compile(r"^[\u4e00-\u9fff（）()“”]{2,30}(厅|局|部|委|委员会|政府|办公室|办公厅|中心|院|处|室)$")
_TITLE_LINE = re.compile(r"^[^。；;！？]{4,80}(规划|方案|意见|办法|细则|纲要|计划|条例|规定|决定|通知|措施|"
                         r"指引|清单|要点|标准|制度|规则|名单|一览表|分工表|任务表|汇总表|指标表|"
                         r"统计表|明细表)([（(][^）)]{1,12}[）)])?$")
_STATUS_LINE = re.compile(r"^[（(](公开)?征求意见稿[）)]$")
_TITLE_NOTE = re.compile(r"^[（(][^（）()。，]{1,10}[）)]$")    # （试行）, （2023年修订）
_NOTICE_TITLE = re.compile(r"关于(印发|转发|发布)《(?P<inner>.+)》的(通知|函)")
_FRONT_MISC = re.compile(r"^(公开方式|抄送|信息公开选项|签发人)[：:]")
_COLOPHON = re.compile(r"^(抄送|抄报|分送)[：:]")
# Notes about the whole document, set in brackets on a line of their own: the publication
# note, and the reading rule of the responsibility lists ("各项任务第一个单位为牵头单位").
# A bracketed list of departments on its own line is a provision's, and stays with it.
_DOC_NOTE = re.compile(r"^[（(](此件[^（）()]{0,8}公开[^（）()]{0,4}|"
                       r"[^（）()、，,]{0,30}为牵头(单位|部门)[^（）()]{0,10})[）)]$")
# A responsibility or schedule label opening a line ("牵头单位：区发改局", "责任单位:各街道",
# "【配合单位：…】", "完成时限：2023年底前"): district and city task-split documents set them
# on lines of their own under each task.  Such a line starts a line of its own and belongs
# to the provision it follows.
RESPONSIBILITY_LABELS = ("牵头单位", "牵头部门", "主责单位", "主责部门", "责任单位", "责任部门",
                         "配合单位", "配合部门", "参与单位", "参与部门", "协同单位", "协同部门",
                         "协办单位", "主办单位", "承办单位", "牵头领导", "责任领导", "责任人",
                         "完成时限", "完成时间", "时间节点", "时限要求", "进度安排")
_LABEL_LINE = re.compile(r"^[（(【\[［〔]?\s*(" + "|".join(RESPONSIBILITY_LABELS) + r")\s*[：:]")


def is_label_line(text: str) -> bool:
    """Does this line open with a responsibility or schedule label?"""
    return bool(_LABEL_LINE.match(text))


# Where each kind sits: a new marker closes every open provision of its rank or deeper.
RANK = {"root": 0.0, "annex": 0.5, "chapter": 1.0, "section": 2.0, "box": 2.5,
        "table": 2.7, "item": 3.0, "subitem": 4.0, "point": 5.0, "table_row": 6.0}
LIST_KINDS = ("item", "subitem", "point")
PREFIX = {"chapter": "ch", "section": "sec", "item": "item", "subitem": "sub", "point": "pt",
          "box": "box", "table": "table", "table_row": "row", "annex": "annex",
          "paragraph": "para"}


@dataclass
class Para:
    text: str
    offs: list[int]

    def extend(self, other: "Para") -> None:
        self.text += other.text
        self.offs.extend(other.offs)


@dataclass
class Node:
    kind: str
    number: str = ""
    value: int | None = None
    paras: list[Para] = field(default_factory=list)
    children: list["Node"] = field(default_factory=list)
    parent: "Node | None" = None
    heading: str | None = None
    inline: bool = False           # the marker line carries running text, not just a title
    cells: list[Para] = field(default_factory=list)
    columns: tuple[str, ...] = ()
    segment: str = ""
    last: dict = field(default_factory=dict)   # last marker value seen per child kind

    @property
    def rank(self) -> float:
        return RANK.get(self.kind, 9.0)

    def add(self, child: "Node") -> "Node":
        child.parent = self
        self.children.append(child)
        if child.value is not None:
            self.last[child.kind] = child.value
        return child


@dataclass
class Marker:
    kind: str
    number: str
    value: int | None
    rest: str


def heading_only(rest: str) -> bool:
    """A marker line that names a provision without running text: "（一）发展基础"."""
    return not any(c in rest for c in SENTENCE_END) and len(rest) <= 40


def _match(pattern: re.Pattern, text: str, kind: str) -> Marker | None:
    m = pattern.match(text)
    if not m:
        return None
    raw = m.group("v")
    if kind in ("chapter", "section"):
        value = cn_to_int(raw)
    elif kind == "point":
        value = CIRCLED.index(raw) + 1
    else:
        value = int(raw) if raw else None
    return Marker(kind, m.group("num").strip(), value, m.group("rest"))


def candidates(text: str) -> list[Marker]:
    """Every reading of a line's start as a marker, before the numbering is checked."""
    out = []
    for pattern, kind in ((_BOX, "box"), (_CHAPTER, "chapter"), (_SECTION, "section"),
                          (_SUBITEM, "subitem"), (_ITEM, "item"), (_POINT, "point")):
        m = _match(pattern, text, kind)
        if m:
            out.append(m)
    return out


class Segmenter:
    """One document's pass over its lines; `run()` gives the root of the provision tree."""

    def __init__(self, lines: list[Line], meta: DocumentMeta):
        self.lines = lines
        self.meta = meta
        self.gap = usual_gap(lines)
        self.width = wrap_width(lines)
        self.typical = _typical_length(lines)
        self.root = Node("root")
        self.stack: list[Node] = [self.root]
        self.front: list[Para] = []         # paragraphs before the first marker
        self.body_started = False
        self.buf: Para | None = None        # the paragraph being built
        self.buf_node: Node | None = None   # the provision whose marker line `buf` is
        self.buf_line: Line | None = None
        self.last_section: dict[int, int] = {}   # per annex context: last section value
        self.pending_annex_title: Node | None = None
        self.placed: tuple[Node, Para] | None = None   # where the last paragraph went
        self.last_node: Node | None = None  # the provision the last text went into

    # ---- the stack -------------------------------------------------------------------
    @property
    def top(self) -> Node:
        return self.stack[-1]

    def pop_to(self, rank: float) -> Node:
        """Close every open provision of `rank` or deeper; return the new innermost one."""
        while len(self.stack) > 1 and self.top.rank >= rank:
            self.stack.pop()
        return self.top

    def container(self, kinds: tuple[str, ...]) -> Node:
        for node in reversed(self.stack):
            if node.kind in kinds:
                return node
        return self.root

    def context(self) -> int:
        """Which numbering context we are in: the main body (0) or the n-th annex."""
        annex = self.container(("annex",))
        return id(annex) if annex is not self.root else 0

    # ---- marker validation -------------------------------------------------------------
    def accept(self, line: Line, index: int) -> Marker | None:
        """The marker this line opens, checked against the numbering so far, or None."""
        text = line.text
        if self.body_started:
            m = _ANNEX.match(text)
            if m and not _ATTACH_LIST.match(text):
                v = m.group("v")
                return Marker("annex", m.group("num").strip(), int(v) if v else None,
                              m.group("rest"))
        for m in candidates(text):
            ok = getattr(self, f"_ok_{m.kind}")(m, index)
            if ok:
                return ok
        return None

    def _ok_box(self, m: Marker, index: int) -> Marker | None:
        return m

    def _ok_chapter(self, m: Marker, index: int) -> Marker | None:
        parent = self.container(("annex",))
        last = parent.last.get("chapter", 0)
        if m.value == last + 1 or (m.value and m.value > last and heading_only(m.rest)):
            return m
        return None

    def _ok_section(self, m: Marker, index: int) -> Marker | None:
        chapter = self.container(("chapter", "annex"))
        last_here = chapter.last.get("section", 0)
        last_doc = self.last_section.get(self.context(), 0)
        if m.value in (last_here + 1, last_doc + 1):
            return m
        if m.value and m.value > last_here and heading_only(m.rest):
            return m
        return None

    def _list_parent(self, rank: float) -> Node:
        for node in reversed(self.stack):
            if node.rank < rank:
                return node
        return self.root

    def _ok_subitem(self, m: Marker, index: int) -> Marker | None:
        parent = self._list_parent(RANK["subitem"])
        last = parent.last.get("subitem", 0)
        if self._misnumbered_section(m, index, last):
            return Marker("section", m.number, m.value, m.rest)
        if m.value in (last + 1, 1) or heading_only(m.rest):
            return m
        return None

    def _misnumbered_section(self, m: Marker, index: int, last_sub: int) -> bool:
        """"（3） 培养体系" between （二） and （四）: a section written with the wrong brackets.

        It must be a bare title, carry the next section number, not continue a list of
        （1）（2）…, and be followed by the section after it.
        """
        if not heading_only(m.rest) or not m.rest.strip():
            return False
        chapter = self.container(("chapter", "annex"))
        expected = {chapter.last.get("section", 0) + 1,
                    self.last_section.get(self.context(), 0) + 1}
        if m.value not in expected:
            return False
        if m.value > 1 and last_sub == m.value - 1 and self._last_sub_bare():
            return False      # （1）（2）（3） titled alike: a list that simply goes on
        for line in self.lines[index + 1:]:
            if _CHAPTER.match(line.text):
                return False
            nxt = _SECTION.match(line.text)
            if nxt:
                return cn_to_int(nxt.group("v")) == m.value + 1
        return False

    def _last_sub_bare(self) -> bool:
        parent = self._list_parent(RANK["subitem"])
        subs = [c for c in parent.children if c.kind == "subitem"]
        return bool(subs) and not subs[-1].inline

    def _ok_item(self, m: Marker, index: int) -> Marker | None:
        parent = self._list_parent(RANK["item"])
        last = parent.last.get("item", 0)
        if m.value in (last + 1, 1) or heading_only(m.rest):
            return m
        return None

    def _ok_point(self, m: Marker, index: int) -> Marker | None:
        parent = self._list_parent(RANK["point"])
        last = parent.last.get("point", 0)
        if m.value in (last + 1, 1):
            return m
        return None

    # ---- joining physical lines ----------------------------------------------------------
    def standalone(self, text: str) -> bool:
        """Lines that are whole by themselves: 文号, dates, issuers, titles, colophons."""
        if _DATE_LINE.match(text) or _STATUS_LINE.match(text) or _FRONT_MISC.match(text):
            return True
        if self.body_started:
            return False
        return bool(_NUMBER_LINE.match(text) or _ORG_LINE.match(text)
                    or _TITLE_LINE.match(text) or _NOTICE_TITLE.search(text))

    def joins(self, line: Line) -> bool:
        """Does `line` continue the paragraph being built?"""
        buf, prev = self.buf, self.buf_line
        if buf is None or prev is None:
            return False
        if line.gap > self.gap or "\t" in line.text or "\t" in prev.text:
            return False
        if line.text.startswith(("——", "注：", "注:")) or _CLOSING.match(line.text):
            return False
        if is_label_line(line.text):
            return False
        full_width = bool(self.width) and len(prev.text) >= 0.9 * self.width
        if is_label_line(buf.text) and not (full_width or buf.text[-1] in "、，,"):
            # a label line goes on only where its list of names breaks off
            return False
        if _bare_title(buf.text, prev.text) and not full_width:
            # "达州市技工教育发展实施方案" over its first paragraph (an <h2> over a <p>)
            return False
        if self.body_started and buf.text == prev.text and self._short_heading(prev.text):
            # "发展目标" (an <h3>, a bold line) over "到2025年，…": a line breaks mid-sentence
            # where the width runs out, never this far short of it
            return False
        if buf.text[-1] in TERMINAL and not full_width:
            # In hard-wrapped text a full stop at the very end of a full line says nothing
            # about the paragraph: PDF extraction breaks lines wherever the width runs out.
            return False
        if self.buf_node is not None and self.buf_node.kind == "annex":
            return False
        if self.buf_node is not None and not self.buf_node.inline:
            # A bare title line ("（一）发展基础") ends where it ends, unless the text is
            # hard-wrapped and the line ran to the full width.
            if not full_width:
                return False
        if self.standalone(prev.text):
            return False
        if self.standalone(line.text):
            # A title broken over two lines at the top of the document.
            return (not self.body_started and bool(_TITLE_LINE.match(line.text))
                    and not _STATUS_LINE.match(line.text) and len(buf.text) <= 40
                    and not any(c in buf.text for c in SENTENCE_END + "，,"))
        return True

    def _short_heading(self, text: str) -> bool:
        return (len(text) <= min(30, 0.6 * self.typical)
                and not any(c in text for c in SENTENCE_END + "，,、：:"))

    # ---- the pass ----------------------------------------------------------------------
    def run(self) -> Node:
        for index, line in enumerate(self.lines):
            line = self._untab(line)
            if self._table_line(line):
                self.flush()
                self.table_row(line)
                continue
            marker = self.accept(line, index)
            if marker is not None:
                self.flush()
                self.open(marker, line)
            elif self.joins(line):
                self.buf.extend(Para(line.text, list(line.offs)))
                self.buf_line = line
                if self.buf_node is not None:
                    self.buf_node.inline = not heading_only(self._rest(self.buf_node))
            else:
                self.flush()
                self.buf, self.buf_node, self.buf_line = Para(line.text, list(line.offs)), None, line
        self.flush()
        self.finish_front()
        return self.root

    def _untab(self, line: Line) -> Line:
        """Leading tabs matter only as empty table cells; elsewhere they are indentation."""
        if line.text.startswith("\t") and self.top.kind not in ("table",):
            stripped = line.text.lstrip("\t")
            cut = len(line.text) - len(stripped)
            return Line(stripped, line.offs[cut:], line.gap, line.index)
        return line

    def _rest(self, node: Node) -> str:
        text = node.paras[0].text if node.paras else ""
        return text[len(node.number):].lstrip() if text.startswith(node.number) else text

    # ---- opening provisions --------------------------------------------------------------
    def open(self, marker: Marker, line: Line) -> None:
        if not self.body_started:
            self.finish_front()
            self.body_started = True
        node = Node(marker.kind, marker.number, marker.value)
        if marker.kind == "annex":
            parent = self.pop_to(RANK["annex"])
            node.heading = marker.rest.strip() or None
            self.pending_annex_title = node if node.heading is None else None
        else:
            parent = self.pop_to(RANK[marker.kind])
        if marker.kind == "section":
            self.last_section[self.context()] = marker.value or 0
        parent.add(node)
        self.stack.append(node)
        node.paras.append(Para(line.text, list(line.offs)))
        node.inline = not heading_only(marker.rest)
        self.last_node = node
        self.buf, self.buf_node, self.buf_line = node.paras[0], node, line

    def flush(self) -> None:
        """The paragraph being built is complete: put it where it belongs."""
        buf, node = self.buf, self.buf_node
        self.buf = self.buf_node = self.buf_line = None
        if buf is None or node is not None:
            return
        if not self.body_started:
            self.front.append(buf)
            return
        self.place(buf)

    def place(self, para: Para) -> None:
        text = para.text
        if self.pending_annex_title is not None:
            annex = self.pending_annex_title
            self.pending_annex_title = None
            if heading_only(text) and len(text) <= 40:
                annex.heading = text
                annex.paras.append(para)
                return
        if (_CLOSING.match(text) or _ATTACH_LIST.match(text) or _DATE_LINE.match(text)
                or _COLOPHON.match(text) or _DOC_NOTE.match(text)):
            self.pop_to(0.1)   # closing words, attachment list, colophon: the document's own
            if _DATE_LINE.match(text):
                self._signature_to_root()
            self.root.add(Node("paragraph", paras=[para]))
            self.placed = self.last_node = None
            return
        if is_label_line(text) and self.last_node is not None:
            # 牵头单位：… under a task is that task's, never a paragraph of its own
            self.last_node.paras.append(para)
            self.placed = (self.last_node, para)
            return
        if self.top.kind == "table" and text.startswith(("注：", "注:", "说明：", "资料来源")):
            self.top.paras.append(para)
            self.last_node = self.top
            return
        closed_list = False
        while self.top.kind in LIST_KINDS + ("table", "table_row") and (
                self.top.inline or self.top.kind.startswith("table")):
            self.stack.pop()
            closed_list = True
        if closed_list and self.top.kind == "box" and any(
                c.kind in LIST_KINDS + ("table",) for c in self.top.children):
            self.stack.pop()
        target = self.top
        if target.kind in ("root", "chapter", "annex"):
            self.last_node = target.add(Node("paragraph", paras=[para]))
        else:
            target.paras.append(para)
            self.last_node = target
        self.placed = (target, para)

    def _signature_to_root(self) -> None:
        """The issuer's name over the date is the document's signature, not the last
        paragraph of the last provision (a short notice ends inside its last chapter)."""
        if self.placed is None:
            return
        holder, para = self.placed
        if not all(_ORG_LINE.match(part) for part in para.text.split()):
            return
        if holder.children and holder.children[-1].paras == [para]:
            holder.children.pop()
        elif holder.paras and holder.paras[-1] is para and len(holder.paras) > 1:
            holder.paras.pop()
        else:
            return
        self.root.add(Node("paragraph", paras=[para]))

    # ---- tables --------------------------------------------------------------------------
    def _table_line(self, line: Line) -> bool:
        if "\t" not in line.text:
            return False
        cells = [c for c in line.text.split("\t") if c.strip()]
        return len(cells) >= 2 or (self.top.kind == "table" and line.text.startswith("\t"))

    def table_row(self, line: Line) -> None:
        cells = _split_cells(line)
        texts = tuple(c.text.strip() for c in cells)
        self.last_node = None      # a row's text is its cells: a label line under it stands alone
        if self.top.kind != "table":
            if not self.body_started:
                self.finish_front()
                self.body_started = True
            parent = self.pop_to(RANK["table"])
            table = parent.add(Node("table"))
            self.stack.append(table)
            if _is_header(texts):
                table.columns = texts
                table.paras.append(Para(line.text, list(line.offs)))
                return
        table = self.top
        if texts == table.columns:
            return                       # the header repeated after a page break
        if not texts[0] and table.children:
            _merge_cells(table.children[-1], cells)   # a row split by a page break
            return
        number, value = _row_number(texts[0], len(table.children) + 1)
        row = Node("table_row", number, value, cells=cells)
        table.add(row)

    # ---- front matter ----------------------------------------------------------------------
    def finish_front(self) -> bool:
        """Title, notice/cover and preamble: what stands before the first provision."""
        front, self.front = self.front, []
        if not front:
            return False
        title_at = _find_title(front, self.meta.title)
        if title_at is None:
            cover, preamble = [], front
        else:
            end = title_at + 1
            while end < len(front) and (
                    _TITLE_NOTE.match(front[end].text)
                    or (_TITLE_LINE.match(front[end].text)
                        and match_key(front[end].text) in match_key(self.meta.title))):
                end += 1
            cover, preamble = front[:title_at], front[end:]
        cover = [p for p in cover if not _ANNEX.match(p.text)]
        if cover:
            notice = Node("paragraph", paras=cover)
            titles = [p.text for p in cover if _NOTICE_TITLE.search(p.text)]
            notice.heading = titles[0] if titles else "发文"
            notice.segment = "notice"
            self.root.add(notice)
        last: Node | None = None
        for para in preamble:
            if last is not None and is_label_line(para.text):
                last.paras.append(para)
            else:
                last = self.root.add(Node("paragraph", paras=[para]))
        return True


def _typical_length(lines: list[Line]) -> int:
    """How long a line of running text is here: the upper quartile of line lengths."""
    lengths = sorted(len(line.text) for line in lines if "\t" not in line.text)
    return lengths[int(len(lengths) * 0.75)] if lengths else 0


def _bare_title(para: str, last_line: str) -> bool:
    """A paragraph that is only a document title: no clause in it, its last line ending in
    规划/方案/意见 …"""
    return bool(_TITLE_LINE.match(last_line)) and not any(c in para for c in SENTENCE_END + "，,")


def _find_title(front: list[Para], known: str | None) -> int | None:
    keys = [match_key(p.text) for p in front]
    if known:
        want = match_key(known)
        bare = match_key(re.sub(r"[（(][^）)]*征求意见稿[）)]", "", known))
        for i, k in enumerate(keys):
            if k in (want, bare):
                return i
    inner = [m.group("inner") for p in front if (m := _NOTICE_TITLE.search(p.text))]
    for i, k in enumerate(keys):
        if any(k == match_key(x) for x in inner):
            return i
    for i, p in enumerate(front[:8]):
        if _TITLE_LINE.match(p.text) and not _NOTICE_TITLE.search(p.text):
            return i
    return None


def _split_cells(line: Line) -> list[Para]:
    cells, start = [], 0
    for part in line.text.split("\t"):
        cells.append(Para(part, list(line.offs[start:start + len(part)])))
        start += len(part) + 1
    return cells


def _merge_cells(row: Node, cells: list[Para]) -> None:
    for i, cell in enumerate(cells):
        if i < len(row.cells):
            row.cells[i].extend(cell)
        elif cell.text:
            row.cells.append(cell)


def _is_header(cells: tuple[str, ...]) -> bool:
    first = cells[0]
    return bool(first) and not re.match(r"^\d", first) and not any(
        re.fullmatch(r"[\d.,%≥≤><=~\[\]［］]+", c) for c in cells)


def _row_number(first: str, position: int) -> tuple[str, int]:
    m = re.match(r"^(\d{1,3})\s*([.．、]?)", first)
    if m:
        return m.group(0).strip(), int(m.group(1))
    return "", position


# ---- from the mutable tree to records ------------------------------------------------------------

def _heading(node: Node) -> str:
    if node.heading:
        return node.heading
    if node.kind == "table_row":
        texts = [c.text.strip() for c in node.cells]
        if re.fullmatch(r"\d{1,3}[.．、]?", texts[0]) and len(texts) > 1:
            return short_heading(texts[1])
        return short_heading(re.sub(r"^\d{1,3}\s*[.．、]\s*", "", texts[0]))
    if node.kind == "table":
        return "、".join(node.columns) if node.columns else "表格"
    if node.kind == "paragraph":
        return short_heading(node.paras[0].text) if node.paras else ""
    rest = node.paras[0].text if node.paras else ""
    if rest.startswith(node.number):
        rest = rest[len(node.number):]
    return short_heading(rest.lstrip("：:．.、 ")) or node.number


def _own_paras(node: Node) -> list[Para]:
    if node.kind == "table_row":
        merged = Para("", [])
        for i, cell in enumerate(node.cells):
            if i:
                merged.extend(Para("\t", [merged.offs[-1] if merged.offs else
                                          (cell.offs[0] if cell.offs else 0)]))
            merged.extend(Para(cell.text, list(cell.offs)))
        return [merged] if merged.text else []
    return [p for p in node.paras if p.text]


def _all_paras(node: Node) -> list[Para]:
    paras = list(_own_paras(node))
    for child in node.children:
        paras.extend(_all_paras(child))
    return sorted(paras, key=lambda p: p.offs[0] if p.offs else 0)


def _assign_segments(node: Node) -> None:
    seen: dict[str, int] = {}
    counters: dict[str, int] = {}
    for child in node.children:
        if not child.segment:
            counters[child.kind] = counters.get(child.kind, 0) + 1
            value = child.value if child.value is not None and child.kind != "paragraph" \
                else counters[child.kind]
            child.segment = f"{PREFIX[child.kind]}_{value}"
        base = child.segment
        seen[base] = seen.get(base, 0) + 1
        if seen[base] > 1:
            child.segment = f"{base}_{seen[base]}"
        _assign_segments(child)


def to_provisions(root: Node, meta: DocumentMeta) -> tuple[Provision, ...]:
    key = doc_key(meta)
    _assign_segments(root)
    out: list[Provision] = []

    def walk(node: Node, path: str, parent_id: str | None, depth: int, annex: bool) -> str | None:
        annex = annex or node.kind == "annex"
        own, full = _own_paras(node), _all_paras(node)
        offs = [o for p in full for o in p.offs]
        if not offs:
            return None
        pid = f"{key}__{path}"
        slot = len(out)
        out.append(None)  # reserve the place: provisions are listed in document order
        child_ids = []
        for child in node.children:
            cid = walk(child, f"{path}__{child.segment}", pid, depth + 1, annex)
            if cid:
                child_ids.append(cid)
        out[slot] = Provision(
            id=pid, doc=meta.file, path=path, kind=node.kind, number=node.number,
            heading=_heading(node), text="\n".join(p.text for p in full),
            own_text="\n".join(p.text for p in own), parent=parent_id,
            children=tuple(child_ids), start=min(offs), end=max(offs) + 1, order=slot,
            depth=depth, annex=annex, cells=tuple(c.text.strip() for c in node.cells),
            columns=node.columns)
        return pid

    for child in root.children:
        walk(child, child.segment, None, 1, False)
    return tuple(p for p in out if p is not None)


def segment_document(source: str, meta: DocumentMeta) -> Document:
    """A document's text as received → its provision tree.

    A text in traditional characters is cut (and kept as the document's source) in its
    simplified form, which has the same length; corpus.reader has usually done so already.
    """
    source = simplify(source).text
    root = Segmenter(read_lines(source, furniture=False), meta).run()
    return Document(meta=meta, source=source, provisions=to_provisions(root, meta))
