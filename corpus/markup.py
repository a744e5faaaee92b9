"""Markdown and HTML → the plain lines the segmenter reads.

Both keep the structure a reader sees: one line per heading, paragraph or list item, a
table row as its cells separated by tabs (the segmenter's table convention), and nothing
that is markup only (emphasis marks, tags, scripts, styles).
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from policykg.corpus.text import CJK, CJK_PUNCT

# ---- Markdown ----------------------------------------------------------------------------------

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_ATX = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)(\s+#+\s*)?$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(\[[ xX]\]\s+)?")
_QUOTE = re.compile(r"^\s{0,3}(>\s?)+")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_LINK_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S")
_AUTOLINK = re.compile(r"<(https?://[^>]+)>")
_CODE = re.compile(r"`+([^`]*)`+")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
# "*x*" is emphasis next to any character (Chinese has no spaces); "_x_" only between
# non-word characters, as CommonMark has it, so snake_case names survive.
_EM_STAR = re.compile(r"(?<!\*)\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?!\*)")
_EM_UNDER = re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"~~(.+?)~~")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def markdown_to_text(source: str) -> str:
    """Markdown → plain lines: headings, list items, quotes and table rows as text."""
    lines = source.splitlines()
    out: list[str] = []
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            out.append(line)
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        out.append(_markdown_line(line, nxt, out))
    return "\n".join(x for x in out if x is not None) + "\n"


def _markdown_line(line: str, nxt: str, done: list[str]) -> str | None:
    if _LINK_DEF.match(line):
        return None
    if _SETEXT.match(line) and done and done[-1]:
        return None          # the underline of a "Title\n=====" heading
    if _RULE.match(line):
        return ""
    if _TABLE_SEP.match(line) and "|" in line:
        return None
    if "|" in line and (line.strip().startswith("|") or _TABLE_SEP.match(nxt)):
        return "\t".join(_inline(c) for c in _table_cells(line))
    m = _ATX.match(line)
    if m:
        return _inline(m.group(1))
    line = _QUOTE.sub("", line)
    line = _BULLET.sub("", line, count=1)
    # A trailing backslash or two spaces is a hard break: the line ends here anyway.
    return _inline(line.rstrip().rstrip("\\"))


def _table_cells(line: str) -> list[str]:
    row = line.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    cells = re.split(r"(?<!\\)\|", row)
    return [c.strip().replace("\\|", "|") for c in cells]


def _inline(text: str) -> str:
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    text = _STRONG.sub(r"\2", text)
    text = _EM_STAR.sub(r"\1", text)
    text = _EM_UNDER.sub(r"\1", text)
    text = _STRIKE.sub(r"\1", text)
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.I)
    text = _TAG.sub("", text)
    text = _ESCAPE.sub(r"\1", text)
    return html.unescape(text)


# ---- HTML --------------------------------------------------------------------------------------

BLOCKS = {"address", "article", "aside", "blockquote", "body", "caption", "center", "dd",
          "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure",
          "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html",
          "legend", "li", "main", "ol", "p", "pre", "section", "summary", "table",
          "tbody", "tfoot", "thead", "title", "tr", "ul"}
# Never shown as text, or site navigation rather than the document.
DROPPED = {"script", "style", "noscript", "template", "head", "svg", "math", "iframe",
           "object", "select", "button", "textarea", "nav"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "param", "source", "track", "wbr"}
_WS = re.compile(r"[ \t\r\n\f\u00a0]+")
_CJK_BREAK = re.compile(f"(?<=[{CJK}{CJK_PUNCT}])[ \t\r\n\f]*\n[ \t\r\n\f]*(?=[{CJK}{CJK_PUNCT}])")


class _TextExtractor(HTMLParser):
    """Collects lines: block elements end lines, table cells are joined with tabs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.drop = 0            # depth inside elements whose text is never shown
        self.pre = 0
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.tables = 0
        self.title: list[str] | None = None     # the <title> text, collected inside <head>
        self.page_title = ""

    # A cell collects its own text; block breaks inside it become spaces.
    def _sink(self) -> list[str]:
        return self.cell if self.cell is not None else self.current

    def _break(self) -> None:
        if self.cell is not None:
            self.cell.append(" ")
            return
        line = "".join(self.current).strip()
        if line:
            self.lines.append(line)
        self.current = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "title" and not self.page_title:
            self.title = []
            return
        if tag in DROPPED:
            if tag not in VOID:
                self.drop += 1
            return
        if self.drop:
            return
        if tag == "pre":
            self.pre += 1
        if tag == "table":
            self._open_table()
        elif tag == "tr":
            self._end_row()
            self.row = []
        elif tag in ("td", "th"):
            self._end_cell()
            if self.row is None:
                self.row = []
            self.cell = []
        elif tag == "br":
            self._sink().append(" " if self.cell is not None else "\n")
        elif tag in BLOCKS:
            self._break()

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag == "br" and not self.drop:
            self._sink().append(" " if self.cell is not None else "\n")
        elif tag not in DROPPED:
            self.handle_starttag(tag, attrs)
            if tag not in VOID:
                self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.title is not None:
            self.page_title, self.title = _WS.sub(" ", "".join(self.title)).strip(), None
            return
        if tag in DROPPED:
            self.drop = max(0, self.drop - 1)
            return
        if self.drop:
            return
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in ("td", "th"):
            self._end_cell()
        elif tag == "tr":
            self._end_row()
        elif tag == "table":
            self._close_table()
        elif tag in BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self.title is not None:
            self.title.append(data)
            return
        if self.drop:
            return
        if self.pre:
            self._sink().append(data)
            return
        data = _CJK_BREAK.sub("", data)     # a source line break between Chinese words
        self._sink().append(_WS.sub(" ", data))

    # ---- tables ----
    def _open_table(self) -> None:
        if self.tables:                 # a table inside a cell: its text stays in the cell
            self.tables += 1
            return
        self._break()
        self.tables = 1

    def _close_table(self) -> None:
        if self.tables > 1:
            self.tables -= 1
            return
        self._end_row()
        self.tables = 0

    def _end_cell(self) -> None:
        if self.cell is None or self.tables > 1:
            return
        text = _WS.sub(" ", "".join(self.cell)).strip().replace("\t", " ")
        (self.row if self.row is not None else []).append(text)
        self.cell = None

    def _end_row(self) -> None:
        if self.tables > 1:
            return
        self._end_cell()
        if self.row is None:
            return
        cells, self.row = self.row, None
        if any(cells):
            distinct = [c for c in cells if c]
            # A row whose one cell spans the table is a caption or heading: a plain line.
            self.lines.append(distinct[0] if len(distinct) == 1 else "\t".join(cells))

    def close(self) -> None:
        super().close()
        self._end_row()
        self._break()


# A page <title> is "document title_栏目_site" or "document title - site".
_TITLE_SEP = re.compile(r"\s*(?:_|\||｜|—{1,2}|\s-\s|–)\s*")


def _document_title(page_title: str) -> str:
    """The document's part of a page <title>: its first piece, when it reads as a title."""
    first = _TITLE_SEP.split(page_title, maxsplit=1)[0].strip()
    return first if len(re.findall(f"[{CJK}]", first)) >= 6 else ""


def html_to_text(source: str) -> str:
    """HTML → plain lines: block elements as lines, table rows as tab-separated cells.
    A page that prints its title only in <title> (in <head>, never shown) gets it as its
    first line, so the title and issuer can be read from the text like any other."""
    parser = _TextExtractor()
    parser.feed(source)
    parser.close()
    title = _document_title(parser.page_title)
    squeezed = re.sub(r"\s+", "", "".join(parser.lines))
    if title and re.sub(r"\s+", "", title) not in squeezed:
        parser.lines.insert(0, title)
    out = []
    for line in parser.lines:
        for part in line.split("\n"):
            part = part.strip(" ")
            if part:
                out.append(part)
    return "\n".join(out) + "\n"
