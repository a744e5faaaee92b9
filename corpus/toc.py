"""Recognising a table of contents (目录) so that it is never read as the outline.

A 目录 lists the headings of the body before the body: with dotted leaders and page
numbers in a Word or PDF file, as bare headings in a web copy.  What makes it a table of
contents is not its look but that its lines come back, in the same order, as the headings
of the body below.  So a block of heading-like lines is a table of contents when

* it follows a line "目录" (目 录, 目  录), or it is at least three lines long and opens with
  a chapter marker (一、, 第一章, 第一部分), and
* most of its lines (80 %) recur, in order, further down as the start of a line.

Lines with dotted leaders and a page number are tables of contents wherever they stand
(`is_toc_entry`), as before.
"""
from __future__ import annotations

import re
from typing import Sequence

from policykg.corpus.text import match_key

_HEAD = re.compile(r"^目\s*录[：:]?$")
# A leader (dots, ellipses, middle dots, dashes, underscores) then a page number.
_LEADER = re.compile(r"(\.{3,}|…{2,}|·{3,}|-{4,}|_{4,})[\s\t]*\d{1,4}\s*$")
# What may follow a heading in a table of contents: a leader, a tab or a space, a page number.
_TAIL = re.compile(r"(\.{2,}|…+|·{2,}|-{2,}|_{2,}|[\s\t])*[\s\t.…·\-_]\d{1,4}\s*$")
_BARE_PAGE = re.compile(r"^\d{1,4}$")
_CN = "[一二三四五六七八九十百零〇两]{1,4}"
_CHAPTER = re.compile(rf"^(第\s*({_CN}|\d{{1,2}})\s*[章部篇编]|{_CN}\s*[、.．]|第{_CN}部分)")
_SENTENCE = re.compile(r"[。；;！？!?]")
MIN_SHARE = 0.8
MAX_ENTRIES = 300       # lines: no table of contents is longer
MAX_ENTRY = 60          # characters: longer lines are running text, not a heading


def is_toc_entry(text: str) -> bool:
    """A line with a dotted leader and a page number: "一、规划背景……1"."""
    return bool(_LEADER.search(text))


def entry_key(text: str) -> str | None:
    """The heading a table-of-contents line names, compared as match_key; None when the
    line cannot be one (running text, a table row, too long)."""
    text = _TAIL.sub("", text) if not _BARE_PAGE.match(text.strip()) else text
    if "\t" in text or _SENTENCE.search(text):
        return None
    key = match_key(text)
    return key if 2 <= len(key) <= MAX_ENTRY else None


def _heading_key(text: str) -> str:
    """A body line's heading part: the words before its first full stop."""
    m = _SENTENCE.search(text)
    return match_key(text[: m.start()] if m else text)


def toc_lines(texts: Sequence[str]) -> set[int]:
    """The indexes of the lines that make up tables of contents (heading and entries)."""
    heads = [_heading_key(t) for t in texts]
    found: set[int] = set()
    i = 0
    while i < len(texts):
        headed = bool(_HEAD.match(re.sub(r"\s", "", texts[i])))
        # Without a 目录 line, only a chapter marker can open one (few lines do, so the
        # check stays linear in practice).
        if headed or _CHAPTER.match(texts[i].strip()):
            start = i + 1 if headed else i
            end = _block_end(texts, start)
            if _is_toc(texts, heads, start, end, headed):
                found.update(range(i, end))
                i = end
                continue
        i += 1
    return found


def _block_end(texts: Sequence[str], start: int) -> int:
    """Where a run of heading-like lines starting at `start` ends: at running text, or
    where a heading comes round again (the body starting right after the list)."""
    seen: set[str] = set()
    j = start
    while j < len(texts) and j - start < MAX_ENTRIES:
        if _BARE_PAGE.match(texts[j].strip()):
            j += 1                      # a page number on a line of its own
            continue
        key = entry_key(texts[j])
        if key is None or key in seen:
            break
        seen.add(key)
        j += 1
    return j


def _is_toc(texts: Sequence[str], heads: Sequence[str], start: int, end: int,
            headed: bool) -> bool:
    keys = [k for t in texts[start:end] if (k := entry_key(t)) is not None]
    if len(keys) < (2 if headed else 3):
        return False
    if not headed and not _CHAPTER.match(keys[0]):
        return False
    if _find(keys[0], heads, end) is None:
        return False                    # a table of contents starts with the first heading
    return _recurring(keys, heads, end) >= MIN_SHARE * len(keys)


def _recurring(keys: Sequence[str], heads: Sequence[str], after: int) -> int:
    """How many of `keys` come back in order as headings of lines from `after` on."""
    pos, found, missed = after, 0, 0
    for key in keys:
        k = _find(key, heads, pos)
        if k is None:
            missed += 1
            if missed > (1 - MIN_SHARE) * len(keys):
                break                   # settled: stop scanning a long text
            continue
        found, pos = found + 1, k + 1
    return found


def _find(key: str, heads: Sequence[str], pos: int) -> int | None:
    bare = re.sub(r"\d{1,4}$", "", key)          # a page number glued to the heading
    for k in range(pos, len(heads)):
        head = heads[k]
        if head and (head.startswith(key) or (len(head) >= 3 and key.startswith(head))
                     or (bare != key and len(bare) >= 2 and head.startswith(bare))):
            return k
    return None
