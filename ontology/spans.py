"""Pointing an extracted fact back at the text as received.

Provisions carry cleaned text (line breaks joined, spaces next to Chinese dropped, Word
bookmarks and Markdown emphasis removed, a stray English "and" read as 和) and the source
offsets of their whole extent.  A fact read from the cleaned text is located in the source
by matching its characters in order while allowing whatever cleaning removed between them.
"""
from __future__ import annotations

import functools
import re

# What cleaning may have removed between two characters of the cleaned text.
_GAP = r"(?:[\s\u3000\u00a0\ufeff]|\*\*|\[bookmark:[^\]]*\])*"


@functools.lru_cache(maxsize=4096)
def _pattern(fragment: str) -> re.Pattern | None:
    parts = []
    for ch in fragment:
        if ch.isspace():
            continue
        parts.append(r"(?:和|\band\b)" if ch == "和" else re.escape(ch))
    if not parts:
        return None
    return re.compile(_GAP.join(parts))


def locate(source: str, lo: int, hi: int, fragment: str, nth: int = 0) -> tuple[int, int] | None:
    """Source offsets of the `nth` occurrence of `fragment` within source[lo:hi], or None."""
    pattern = _pattern(fragment)
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
