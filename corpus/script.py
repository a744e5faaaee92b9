"""Traditional characters → simplified, for reading, indexing and querying.

Policy texts circulate on the web in traditional characters too (Hong Kong/Taiwan mirrors,
繁體 versions of provincial sites, copies run through a converter).  Every extractor, the
dictionary and the index read simplified text, so a traditional copy is converted once,
when it is read, with OpenCC's t2s (a maintained converter: phrase tables first, then
characters, so 乾隆 stays and 乾淨 becomes 干净).

Two properties the rest of the pipeline relies on:

* **Detected by content.**  A text is traditional when a share of its Chinese characters
  are ones t2s changes (們 與 國 發 會 …).  Simplified text contains almost none (a stray
  統 in a PDF extraction), traditional text around a quarter to a third of its characters.
* **One character for one.**  The simplified text is exactly as long as the original, so
  every offset, span and provision boundary found in it is also the place of the original
  wording: the original is shown by slicing it with the same offsets.  OpenCC's phrase
  tables almost always map a phrase to one of equal length; where a line would change
  length, that line is converted character by character instead.
"""
from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

import opencc

from policykg.corpus.text import CJK

# The share of Chinese characters that must be traditional-only for a text to be read as
# traditional.  Simplified policy texts measure ~0.00004 (one 統 in 24,000 characters of
# the bundled corpus), traditional copies 0.25–0.35; 5 % leaves room for a simplified
# text quoting a traditional name and for short traditional texts with common characters.
TRADITIONAL_SHARE = 0.05
_HAN = re.compile(f"[{CJK}]")
_lock = threading.Lock()


@dataclass(frozen=True)
class Conversion:
    """A text as the pipeline reads it, and the original when the two differ."""

    text: str                      # simplified: what every extractor and the index read
    original: str | None = None    # the text as written, same length, when it was converted
    share: float = 0.0             # share of Chinese characters that were traditional-only

    @property
    def converted(self) -> bool:
        return self.original is not None


@functools.cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s.json")


def _convert(text: str) -> str:
    # One OpenCC object is shared; its C++ converter is not documented as thread-safe.
    with _lock:
        return _converter().convert(text)


@functools.cache
def _char_table() -> dict[int, str]:
    """Every BMP Han character that t2s changes on its own → its simplified form.

    Built once by converting the whole range (a few milliseconds); only one-character
    results are kept, so translating with the table never changes a text's length.
    """
    chars = [chr(c) for r in ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))
             for c in range(*r)]
    out = _convert("\n".join(chars)).split("\n")
    if len(out) != len(chars):          # a converter that merged lines: no table at all
        return {}
    return {ord(a): b for a, b in zip(chars, out) if a != b and len(b) == 1}


@functools.cache
def _count_table() -> dict[int, None]:
    return dict.fromkeys(_char_table(), None)


def traditional_share(text: str) -> float:
    """The share of the Chinese characters of `text` that only traditional texts use."""
    han = len(_HAN.findall(text))
    if not han:
        return 0.0
    # str.translate deletes the traditional-only characters in C; the length lost counts them.
    trad = len(text) - len(text.translate(_count_table()))
    return trad / han


def is_traditional(text: str) -> bool:
    return traditional_share(text) >= TRADITIONAL_SHARE


def to_simplified(text: str) -> str:
    """`text` in simplified characters, exactly as long as `text` (see the module notes)."""
    out = _convert(text)
    if len(out) == len(text):
        return out
    lines = text.split("\n")
    return "\n".join(_line_to_simplified(line) for line in lines)


def _line_to_simplified(line: str) -> str:
    out = _convert(line)
    return out if len(out) == len(line) else line.translate(_char_table())


def to_simplified_chars(text: str) -> str:
    """Character by character, without phrase context: for comparing characters, not for
    reading (乾隆 would become 干隆)."""
    return text.translate(_char_table())


def simplify(text: str) -> Conversion:
    """The text the pipeline reads: converted when it is written in traditional characters."""
    share = traditional_share(text)
    if share < TRADITIONAL_SHARE:
        return Conversion(text, None, share)
    return Conversion(to_simplified(text), text, share)


def simplify_query(text: str) -> str:
    """A query in simplified characters, whatever share of it is traditional.

    A query is short, so any traditional-only character says how it was typed: 技師學院
    must find 技师学院.  t2s leaves simplified text as it is, and keeps the length, so
    the query parser's positions and notes still fit.
    """
    if not text or len(text) == len(text.translate(_count_table())):
        return text
    return to_simplified(text)
