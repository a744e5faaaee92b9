"""Character-level helpers shared by cleaning, segmentation and matching."""
from __future__ import annotations

import re
import unicodedata

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RE = re.compile(f"[{CJK}]")
# Chinese punctuation next to which a space is never meaningful.
CJK_PUNCT = "，。、；：？！“”‘’（）《》〔〕【】—…·「」『』"
# ｡ (U+FF61) is the half-width full stop some web copies carry.
SENTENCE_END = "。｡！？；!?;"
TERMINAL = SENTENCE_END + "：:"
QUOTES = "“”‘’\"'「」『』"

# A client's file name becomes a document's title when its text states none: longer than
# this it is cut (its extension kept); a title is a line, not a page.
MAX_NAME_CHARS = 120
# Cells a spreadsheet would run as a formula (CSV / formula injection, OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean_file_name(name: str) -> str:
    """A file name fit to show and store: its last path part, NFC, without control or
    format characters (NUL; the bidi overrides, U+202E among them, that make "evil‮txt.exe"
    read as something else; zero-width marks), spaces squeezed, at most MAX_NAME_CHARS
    characters with its extension kept; "upload" if nothing is left."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
                   for ch in base if unicodedata.category(ch) not in ("Cf", "Cs"))
    kept = " ".join(kept.split()).strip(" .")
    stem, dot, ext = kept.rpartition(".")
    if not dot or not stem or len(ext) > 8:
        stem, dot, ext = kept, "", ""
    stem = stem[:MAX_NAME_CHARS - len(dot + ext)].rstrip()
    return (stem + dot + ext) if stem else "upload" + dot + ext


def spreadsheet_safe(value: str) -> str:
    """Text a spreadsheet shows as text: a leading ' where it would start a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100}
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def cn_to_int(s: str) -> int | None:
    """一 → 1, 十一 → 11, 二十三 → 23, 一百零五 → 105; None when it is not a numeral."""
    if not s or any(c not in CN_DIGITS and c not in CN_UNITS for c in s):
        return None
    total, digit = 0, None
    for c in s:
        if c in CN_DIGITS:
            digit = CN_DIGITS[c]
        else:
            total += (1 if digit is None else digit) * CN_UNITS[c]
            digit = None
    return total + (digit or 0)


def is_cjk(ch: str) -> bool:
    return bool(CJK_RE.match(ch))


def fold_width(s: str) -> str:
    """Full-width letters, digits and punctuation to their ASCII forms (NFKC)."""
    return unicodedata.normalize("NFKC", s)


def match_key(s: str) -> str:
    """The form two strings are compared in: NFKC, no whitespace, no quote marks."""
    s = fold_width(s)
    return re.sub(r"[\s" + QUOTES + "]", "", s)


def squash(s: str) -> str:
    """Whitespace removed: the form the evaluation data compares text in."""
    return re.sub(r"\s+", "", s)


def has_sentence(s: str) -> bool:
    """True when `s` reads as running text rather than a bare heading."""
    return any(c in s for c in SENTENCE_END + "，,")


def short_heading(rest: str, limit: int = 40) -> str:
    """A provision's short title: the words before the first full stop, kept short.

    "全面加强技工院校党的建设。推动……" → "全面加强技工院校党的建设".
    """
    rest = rest.strip().strip("\t ")
    m = re.search(f"[{re.escape(SENTENCE_END)}]", rest)
    head = rest[: m.start()] if m else rest
    head = head.strip()
    if len(head) > limit:
        comma = re.search(r"[，,]", head)
        if comma and 2 <= comma.start() <= limit:
            head = head[: comma.start()]
        else:
            head = head[:limit] + "…"
    return head.rstrip("：:")


# A 文号: issuer abbreviation, year in brackets of any width, serial number, 号 — spaces
# allowed anywhere (PDF extraction puts them in).  Shared by metadata and citations.
DOC_NUMBER = re.compile(
    r"(?P<org>[\u4e00-\u9fff]{1,15}?)\s*[〔\[［【(（]\s*(?P<year>(?:19|20)\d\d)\s*[〕\]］】)）]\s*"
    r"(?:第\s*)?(?P<serial>\d{1,5})\s*号")
