"""Pointing an extracted fact back at the text as received.

Provisions carry cleaned text (line breaks joined, spaces next to Chinese dropped, Word
bookmarks and Markdown emphasis removed, a stray English "and" read as 和) and the source
offsets of their whole extent.  A fact read from the cleaned text is located in the source
by matching its characters in order while allowing whatever cleaning removed between them.
"""
from __future__ import annotations

import bisect
import functools
import re
from array import array
from typing import Sequence

from policykg.corpus.clean import read_lines
from policykg.corpus.records import Document

# What cleaning may have removed between two characters of the cleaned text.
_GAP = r"(?:[\s\u3000\u00a0\ufeff]|\*\*|\[bookmark:[^\]]*\])*"


@functools.lru_cache(maxsize=4096)
def gap_pattern(fragment: str) -> re.Pattern | None:
    """The fragment as a regex over the source text: any run of what cleaning removes
    (spaces, markup, bookmarks) may stand between two of its characters."""
    parts = []
    for ch in fragment:
        if ch.isspace():
            continue
        parts.append(r"(?:和|\band\b)" if ch == "和" else re.escape(ch))
    if not parts:
        return None
    return re.compile(_GAP.join(parts))


# Characters that can start a gap (or are matched specially): a fragment without them is
# matched by _walk, without compiling a pattern (compiling was 30 s of a 2,000-document
# build, nearly every fragment being new).
_SPACES = "\u3000\u00a0\ufeff"           # removable besides whitespace (as in _GAP)
_SPECIAL = frozenset("*[和" + _SPACES)


def _gap_end(source: str, i: int, hi: int) -> int:
    """The end of the run of removable material (_GAP) starting at source[i], within hi."""
    while i < hi:
        ch = source[i]
        if ch.isspace() or ch in _SPACES:
            i += 1
        elif ch == "*" and source.startswith("**", i, hi):
            i += 2
        elif ch == "[" and source.startswith("[bookmark:", i, hi):
            close = source.find("]", i + 10, hi)
            if close < 0:
                return i
            i = close + 1
        else:
            return i
    return i


def _match_at(source: str, i: int, hi: int, chars: str) -> int:
    """The end of `chars` matched at source[i] with gaps between them, or -1.

    Exactly what the gap_pattern regex matches there: no character of `chars` can start a
    gap, so skipping a gap greedily is the only way to go on (nothing to backtrack)."""
    i += 1                                   # chars[0] is at source[i] (found by the caller)
    for ch in chars[1:]:
        i = _gap_end(source, i, hi)
        if i >= hi or source[i] != ch:
            return -1
        i += 1
    return i


def _walk(source: str, lo: int, hi: int, chars: str, nth: int) -> tuple[int, int] | None:
    """`locate` for a fragment without special characters: leftmost, non-overlapping
    matches as re.finditer makes them."""
    seen, at = 0, lo
    while True:
        at = source.find(chars[0], at, hi)
        if at < 0:
            return None
        end = _match_at(source, at, hi, chars)
        if end < 0:
            at += 1
            continue
        if seen == nth:
            return at, end
        seen += 1
        at = end


def locate(source: str, lo: int, hi: int, fragment: str, nth: int = 0) -> tuple[int, int] | None:
    """Source offsets of the `nth` occurrence of `fragment` within source[lo:hi], or None."""
    chars = "".join(ch for ch in fragment if not ch.isspace())
    if chars and not _SPECIAL.intersection(chars):
        return _walk(source, max(0, lo), min(len(source), hi), chars, nth)
    pattern = gap_pattern(fragment)
    if pattern is None:
        return None
    seen = 0
    for m in pattern.finditer(source, max(0, lo), min(len(source), hi)):
        if seen == nth:
            return m.start(), m.end()
        seen += 1
    return None


def locate_in(source: str, lo: int, hi: int, text: str, start: int, end: int) -> tuple[int, int]:
    """Source offsets of text[start:end], where `text` is a cleaned text read from source[lo:hi].

    The occurrence is told apart from earlier identical ones by counting them in `text`;
    when it cannot be found the whole extent (lo, hi) is returned, never nothing.
    """
    fragment = text[start:end]
    nth = text.count(fragment, 0, start) if fragment else 0
    # str.count counts non-overlapping occurrences; good enough to tell repeats apart.
    found = locate(source, lo, hi, fragment, nth) or locate(source, lo, hi, fragment, 0)
    return found if found else (lo, hi)


class OffsetMap:
    """Source offsets for the characters of a provision's text.

    Provision texts are built from cleaned lines, each character of which remembers its source
    offset; re-cleaning the source gives that map back, and every paragraph of a provision is a
    substring of the cleaned lines run together (a table row broken by a page is found cell by
    cell).
    """

    def __init__(self, doc: Document):
        lines = read_lines(doc.source)
        self.stream = "".join(line.text for line in lines)
        self.offs = array("i", (o for line in lines for o in line.offs))
        self.length = len(doc.source)

    def offsets(self, text: str, near: int = 0) -> list[int]:
        """The source offset of each character of `text` (paragraphs joined by newlines)."""
        out: list[int] = []
        pos = max(0, bisect.bisect_left(self.offs, near) - 1)
        for i, para in enumerate(text.split("\n")):
            if i:
                out.append(out[-1] + 1 if out else near)      # the joining newline
            found, pos = self._place(para, pos)
            out.extend(found)
        return out

    def _place(self, para: str, pos: int) -> tuple[list[int], int]:
        at = self.stream.find(para, pos) if para else -1
        if at < 0 and para:
            at = self.stream.find(para)
        if at >= 0:
            return self.offs[at:at + len(para)], at + len(para)
        out: list[int] = []
        for j, piece in enumerate(para.split("\t")):       # a table row merged across a page
            if j:
                out.append(out[-1] if out else (self.offs[pos] if pos < len(self.offs) else 0))
            at = self.stream.find(piece, pos) if piece else -1
            if at >= 0:
                out.extend(self.offs[at:at + len(piece)])
                pos = at + len(piece)
            else:
                last = out[-1] if out else (self.offs[pos] if pos < len(self.offs) else 0)
                out.extend([last] * len(piece))
        return out, pos

    def span(self, offs: Sequence[int], i: int, j: int) -> tuple[int, int]:
        """Source span of characters i..j (exclusive) of a text whose offsets are `offs`."""
        if not offs or j <= i:
            o = offs[min(i, len(offs) - 1)] if offs else 0
            o = min(max(o, 0), self.length)
            return o, o
        lo, hi = min(offs[i:j]), max(offs[i:j]) + 1
        return max(lo, 0), min(hi, self.length)
