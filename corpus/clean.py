"""Reading a text as received into clean physical lines that remember where they came from.

Every character of a cleaned line carries its offset in the source, so the provision tree
built from the lines can always point back at the text as received.  What is cleaned:
Word bookmarks, Markdown emphasis left by conversion, the odd English "and" that a
converter put between Chinese words, spacing artefacts around numbers and punctuation,
labels padded in distributed alignment ("来 源:", "文    号", "联 系 人：" closed up),
the furniture of a web page (breadcrumbs, header bars, tool links, the site footer:
corpus.webpage) and the table of contents (目录, with or without dotted leaders and page
numbers, recognised by its headings coming back in the body: corpus.toc).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from policykg.corpus.text import CJK, CJK_PUNCT, TERMINAL
from policykg.corpus.toc import is_toc_entry, toc_lines
from policykg.corpus.webpage import PAGE_FIELDS, chrome_lines

SPACES = " \u3000\u00a0\u2002\u2003\u2009\ufeff"


@dataclass(frozen=True)
class Line:
    text: str
    offs: tuple[int, ...]   # source offset of each character of `text`
    gap: int                # blank lines before this one
    index: int              # physical line number in the source, from 0


def _sub(text: str, offs: list[int], pattern: re.Pattern, repl) -> tuple[str, list[int]]:
    """re.sub that keeps the offset map: inserted characters take the match's start offset."""
    out, out_offs, pos = [], [], 0
    for m in pattern.finditer(text):
        out.append(text[pos:m.start()])
        out_offs.extend(offs[pos:m.start()])
        r = repl(m) if callable(repl) else repl
        out.append(r)
        out_offs.extend([offs[m.start()]] * len(r) if m.start() < len(offs) else [])
        pos = m.end()
    out.append(text[pos:])
    out_offs.extend(offs[pos:])
    return "".join(out), out_offs


_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
_EMPHASIS = re.compile(r"\*\*")
# "布局 and 紧缺": a converter put the English word for 和 between two Chinese words.
_AND = re.compile(f"(?<=[{CJK}])[{SPACES}]*\\band\\b[{SPACES}]*(?=[{CJK}])")
_SPACE_RUN = re.compile(f"[{SPACES}]+")
_TAB_RUN = re.compile(f"[{SPACES}]*\t[{SPACES}]*")
_TIGHT = f"{CJK}{re.escape(CJK_PUNCT)}"
# A label set in distributed alignment (分散对齐, the way web info tables and Word forms pad a
# short label to the width of a long one): "来 源:", "文    号", "浏 览 量：", "联 系 人".
# Two to seven single characters, each standing alone between spaces.
_SPACED = re.compile(f"(?<![{CJK}])[{CJK}](?=[{SPACES}])"
                     f"(?:[{SPACES}]+[{CJK}](?![{CJK}])){{1,6}}")


def _space_repl(text: str):
    def repl(m: re.Match) -> str:
        left = text[m.start() - 1] if m.start() > 0 else ""
        right = text[m.end()] if m.end() < len(text) else ""
        if not left or not right:
            return ""
        cjk_l, cjk_r = re.match(f"[{CJK}]", left), re.match(f"[{CJK}]", right)
        if cjk_l and cjk_r:
            return " "          # 人力资源社会保障部 国家发展改革委: a real separator
        if _field_word(text, m.start(), m.end()):
            return " "          # "索引号 MB1534…  发文日期 2023-01-03": label and value
        if re.match(f"[{_TIGHT}]", left) or re.match(f"[{_TIGHT}]", right):
            return ""           # "2035 年", "98% 以上", "发展 “十四五”": layout, not text
        return " "
    return repl


_WORD_BEFORE = re.compile(f"(?:^|(?<=[{SPACES}]))[{CJK}]{{2,5}}$")
_WORD_AFTER = re.compile(f"^[{CJK}]{{2,5}}(?=[{SPACES}]|$)")


def _field_word(text: str, start: int, end: int) -> bool:
    """Does a web page's field name stand alone right before or after this space?"""
    before = _WORD_BEFORE.search(text[max(0, start - 6):start])
    after = _WORD_AFTER.match(text[end:end + 6])
    return bool(before and before.group(0) in PAGE_FIELDS
                or after and after.group(0) in PAGE_FIELDS)


def clean_line(raw: str, start: int) -> tuple[str, list[int]]:
    """One physical line as received → cleaned text and the source offset of each char."""
    text, offs = raw, list(range(start, start + len(raw)))
    for pattern, repl in ((_BOOKMARK, ""), (_EMPHASIS, ""), (_AND, "和")):
        text, offs = _sub(text, offs, pattern, repl)
    text, offs = _sub(text, offs, _TAB_RUN, "\t")
    # Trim the edges.  Trailing tabs go (a box title above a table often ends in empty
    # cells); leading tabs stay, as the empty first cells of a table row split by a page.
    lo, hi = 0, len(text)
    while lo < hi and text[lo] in SPACES:
        lo += 1
    while hi > lo and (text[hi - 1] in SPACES or text[hi - 1] == "\t"):
        hi -= 1
    text, offs = text[lo:hi], offs[lo:hi]
    text, offs = _close_up(text, offs)
    text, offs = _sub(text, offs, _SPACE_RUN, _space_repl(text))
    return text, offs


def _close_up(text: str, offs: list[int]) -> tuple[str, list[int]]:
    """Close up a spaced label: before a colon, or making up a whole table cell, or a
    web page's field name before its value ("索 引 号 MB1534…" pasted from a page).
    Only the spaces go: every character kept keeps its own source offset."""
    drop: set[int] = set()
    for m in _SPACED.finditer(text):
        closed = _SPACE_RUN.sub("", m.group(0))
        before = text[:m.start()].rstrip(SPACES)
        after = text[m.end():].lstrip(SPACES)
        cell = (not before or before.endswith("\t")) and (not after or after.startswith("\t"))
        labelled = after.startswith(("：", ":"))
        field = closed in PAGE_FIELDS and after[:1] not in ("", "\t") and (
            not before or before.endswith("\t") or text[m.start() - 1] in SPACES)
        if cell or labelled or field:
            drop.update(i for i in range(m.start(), m.end()) if text[i] in SPACES)
    if not drop:
        return text, offs
    keep = [i for i in range(len(text)) if i not in drop]
    return "".join(text[i] for i in keep), [offs[i] for i in keep]


# "（此件公开发布）", "（此件主动公开）", "（此件不予公开）": the publication note, which web
# copies glue to the end of the title or of the date line.
_PUBLICATION_NOTE = re.compile(r"[（(]此件[^（）()]{0,8}公开[^（）()]{0,4}[）)]$")


def read_lines(source: str, furniture: bool = True) -> list[Line]:
    """Cleaned non-blank physical lines, without tables of contents.

    `furniture=False` also leaves out what a web page puts around the document (the
    segmenter's view); metadata keeps it, since an info table's 成文日期 and 发文字号 are facts.
    """
    lines: list[Line] = []
    gap, pos = 0, 0
    for index, raw in enumerate(source.splitlines(keepends=True)):
        body = raw.rstrip("\r\n")
        text, offs = clean_line(body, pos)
        pos += len(raw)
        if not text:
            gap += 1
            continue
        lines.extend(_split_note(Line(text, tuple(offs), gap, index)))
        gap = 0
    return _drop_toc(lines if furniture else _drop_chrome(lines))


def _split_note(line: Line) -> list[Line]:
    """A publication note glued to a line becomes a line of its own."""
    m = _PUBLICATION_NOTE.search(line.text)
    if not m or m.start() == 0:
        return [line]
    cut = m.start()
    return [Line(line.text[:cut].rstrip(), line.offs[:len(line.text[:cut].rstrip())],
                 line.gap, line.index),
            Line(line.text[cut:], line.offs[cut:], 0, line.index)]


def _drop_chrome(lines: list[Line]) -> list[Line]:
    drop = chrome_lines([line.text for line in lines])
    return [line for i, line in enumerate(lines) if i not in drop]


def _drop_toc(lines: list[Line]) -> list[Line]:
    drop = toc_lines([line.text for line in lines])
    keep: list[Line] = []
    for i, line in enumerate(lines):
        if i in drop or is_toc_entry(line.text):
            continue
        if _TOC_HEAD.match(line.text.replace(" ", "")):
            nxt = lines[i + 1].text if i + 1 < len(lines) else ""
            if is_toc_entry(nxt) or not nxt:
                continue
        keep.append(line)
    return keep


_TOC_HEAD = re.compile(r"^目\s*录$")


def usual_gap(lines: list[Line]) -> int:
    """How many blank lines usually separate two lines of this text (0 or 1, mostly).

    PDF extraction often puts a blank line after every line; more blank lines than usual
    then mark a real break.
    """
    counts = Counter(line.gap for line in lines[1:])
    return counts.most_common(1)[0][0] if counts else 0


def wrap_width(lines: list[Line]) -> int | None:
    """The width a hard-wrapped text was wrapped at, or None when lines are paragraphs.

    A PDF extraction shows as many lines of about the same length, most of them broken
    in mid-sentence; short lines that end in a full stop are just short paragraphs.
    """
    body = [line.text for line in lines if "\t" not in line.text]
    lengths = sorted(len(t) for t in body)
    if len(lengths) < 8:
        return None
    width = lengths[int(len(lengths) * 0.75)]
    if width > 60:
        return None
    near = [t for t in body if 0.85 * width <= len(t) <= 1.1 * width]
    broken = sum(t[-1] not in TERMINAL for t in near)
    if len(near) < 0.4 * len(body) or broken < 0.5 * len(near):
        return None
    return width
