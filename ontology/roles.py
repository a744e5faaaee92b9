"""The grammar of a responsibility phrase: the names it lists and the role each is given.

A phrase as the text writes it — a bracket's inside (A、B), label lines (牵头单位：A；配合单位：B),
a sentence (由A牵头，B、C按职责分工负责), a table cell (A（牵头）、B) — becomes (role, name as
written, offset).  A label starts a clause wherever it stands, so a label glued to the name
before it (区人社局责任单位：区发改局) is two clauses.  Reading rule: 牵头 marks the lead (there
may be two); a bare list — （A、B）, 责任单位：A、B alone — the first named leads, the rest
participate; with a lead named (牵头, 牵头单位：…) the unmarked rest participate, so 责任单位
paired with 牵头单位 lists participants; 按职责分工负责 / 分别负责 — all participate.  A list
joined by 和/及/以及 splits into its parties (市直各有关部门及各县（市、区）人民政府: two collective
parties), and 广州、深圳市人民政府 gives each place the government.

Text only: nothing here resolves a name or knows a document — ontology.responsibilities finds
the phrases and resolves their names —, so the rule is read and tested on its own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from policykg.corpus.text import CJK
from policykg.ontology.written_names import (LABEL_WORDS, ORG_END, OTHER_LABEL, OTHER_WORDS,
                                             has_prefix)

_LABEL = re.compile(rf"^(?P<label>{LABEL_WORDS})[:：]")
_LEAD_MARK = re.compile(r"(牵头负责|负责牵头|牵头落实|牵头组织|牵头)$")
_PART_MARK = re.compile(r"等?(按职责分工负责|按职责分工落实|按职能分工负责|按职责负责|分工负责|"
                        r"分别负责|分别落实|共同负责|配合落实|配合|参与|协同|协助|协办)$")
# "A负责", "A、B负责": no role word, so the list reads as a bare list (the first leads)
_SOLE_MARK = re.compile(r"(负责落实|负责|主责|落实)$")
# A label inside a run of text: where a label glued to the name before it starts a new
# clause (区人社局责任单位：区发改局, a line joined to the one before)
ANY_LABEL = re.compile(rf"(?:{LABEL_WORDS}|{OTHER_WORDS})[:：]")
# A role written after one name of a list: 省人力资源社会保障厅（牵头）、省教育厅
_ITEM_ROLE = re.compile(r"\s*[（(]\s*(?P<mark>牵头|主责|配合|参与|协办|协同)\s*[）)]$")
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
            while j < len(items) and not has_prefix(items[j][0]) and not ORG_END.search(
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
        if OTHER_LABEL.match(clause):
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
        cuts = [m.start() for m in ANY_LABEL.finditer(text, a, b) if m.start() > a]
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
