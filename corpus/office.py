"""Word .docx (python-docx) and PDF (pypdf) → plain lines.

.docx: paragraphs and tables in document order (tables as tab-separated rows), with the
numbers Word draws itself (automatic numbering "一、", "（一）", "1.") written into the text,
since the segmenter finds provisions by those markers.  The ZIP directory is checked
before anything is unpacked, so a zip bomb is refused without being expanded.

PDF: the text layer, page by page, without the page numbers printed at the page edges;
pages holding a table are rebuilt from coordinates (corpus.pdf_layout) so that its rows
come out as tab-separated cells.
A PDF without a text layer (a scan) or whose fonts have no Unicode mapping is refused with
a message that says so, rather than yielding an empty or garbled document.
"""
from __future__ import annotations

import io
import logging
import re
import zipfile
from contextlib import contextmanager
from typing import Iterator

from policykg.corpus.records import ReadResult, UnreadableDocument
from policykg.corpus import pdf_layout

# ---- .docx ---------------------------------------------------------------------------------------

MAX_RATIO = 100          # uncompressed / compressed, per member: XML compresses ~5–20×
# Parts in the package: a Word document has tens (a few hundred with many images); python-
# docx loads every part the relationships name, so 900 linked 1 MB parts took a worker
# from 218 MB to 1.1 GB before this and the total below were checked.
MAX_MEMBERS = 1000


def check_zip(data: bytes, name: str, max_unpacked: int) -> None:
    """Refuse a ZIP whose directory promises more than a document can hold.

    Only the central directory is read: sizes and ratios are checked before any member is
    decompressed.  zipfile stops at the declared size when it does unpack, so a member that
    lies about its size fails its CRC check instead of filling memory.
    """
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise UnreadableDocument(name, f"a corrupt .docx (bad ZIP: {exc})", "corrupt") from None
    if len(infos) > MAX_MEMBERS:
        raise UnreadableDocument(name, f"a suspicious .docx: {len(infos)} parts in its ZIP "
                                 f"(limit {MAX_MEMBERS}); refused before unpacking", "zip_bomb")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > MAX_RATIO:
            raise UnreadableDocument(
                name, f"a zip bomb: {info.filename} would unpack {info.compress_size} bytes "
                f"into {info.file_size} (ratio {ratio:.0f}:1, limit {MAX_RATIO}:1); refused "
                "before unpacking", "zip_bomb")
    if total > max_unpacked:
        raise UnreadableDocument(
            name, f"a zip bomb: its parts would unpack to {total} bytes (limit "
            f"{max_unpacked}); refused before unpacking", "zip_bomb")


def docx_to_text(data: bytes, name: str, max_unpacked: int) -> ReadResult:
    check_zip(data, name, max_unpacked)
    import docx
    try:
        document = docx.Document(io.BytesIO(data))
        lines = list(_docx_lines(document))
    except UnreadableDocument:
        raise
    except Exception as exc:   # python-docx/lxml raise many types on a damaged package
        raise UnreadableDocument(name, f"a corrupt .docx ({type(exc).__name__}: "
                                 f"{_one_line(exc)})", "corrupt") from None
    return ReadResult("\n".join(lines) + "\n", "docx")


def _docx_lines(document) -> Iterator[str]:
    from docx.oxml.ns import qn
    numbering = WordNumbering(document)
    for el in _body_blocks(document.element.body, qn):
        if el.tag == qn("w:p"):
            yield numbering.label(el) + _paragraph_text(el, qn)
        elif el.tag == qn("w:tbl"):
            yield from _table_lines(el, qn)


def _body_blocks(parent, qn) -> Iterator:
    """Paragraphs and tables in document order, looking inside content controls (w:sdt)."""
    for el in parent.iterchildren():
        if el.tag in (qn("w:p"), qn("w:tbl")):
            yield el
        elif el.tag == qn("w:sdt"):
            content = el.find(qn("w:sdtContent"))
            if content is not None:
                yield from _body_blocks(content, qn)


def _paragraph_text(p, qn) -> str:
    """The visible text of a paragraph: runs, hyperlinks, tabs and breaks, no deleted text."""
    parts = []
    for node in p.iter(qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr"), qn("w:noBreakHyphen")):
        if _hidden(node, p, qn):
            continue
        if node.tag == qn("w:t"):
            parts.append(node.text or "")
        elif node.tag == qn("w:tab"):
            parts.append(" ")    # a tab in running text is layout; "\t" would read as a cell
        elif node.tag == qn("w:noBreakHyphen"):
            parts.append("-")
        elif node.tag in (qn("w:br"), qn("w:cr")):
            parts.append("\n")
    return "".join(parts)


_HIDDEN = ("w:del", "w:txbxContent")
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _hidden(node, top, qn) -> bool:
    """Deleted revisions, text boxes (drawn apart from the text flow) and VML fallbacks."""
    wanted = {qn(t) for t in _HIDDEN} | {_MC_FALLBACK}
    parent = node.getparent()
    while parent is not None and parent is not top:
        if parent.tag in wanted:
            return True
        parent = parent.getparent()
    return False


def _table_lines(tbl, qn) -> Iterator[str]:
    above: dict[int, str] = {}     # grid column → text of the cell last started there
    for tr in tbl.iterchildren(qn("w:tr")):
        cells, col = [], 0
        for tc in tr.iterchildren(qn("w:tc")):
            text = _cell_text(tc, qn)
            props = tc.find(qn("w:tcPr"))
            vmerge = props.find(qn("w:vMerge")) if props is not None else None
            if vmerge is not None and vmerge.get(qn("w:val")) != "restart":
                # A vertically merged cell belongs to every row it spans: repeat its text,
                # or the row would read as the continuation of the one above.
                text = above.get(col, "")
            above[col] = text
            span = props.find(qn("w:gridSpan")) if props is not None else None
            col += int(span.get(qn("w:val"))) if span is not None else 1
            cells.append(text)
        if not any(cells):
            continue
        distinct = [c for c in cells if c]
        # A row of one cell (a caption or a heading spanning the table) reads as a line.
        yield distinct[0] if len(distinct) == 1 else "\t".join(cells)


def _cell_text(tc, qn) -> str:
    paras = [_paragraph_text(p, qn) for p in tc.iter(qn("w:p"))]
    text = " ".join(x.strip() for x in paras if x.strip())
    return re.sub(r"[\t\n]+", " ", text)


class WordNumbering:
    """The labels Word draws before numbered paragraphs ("一、", "（二）", "3."), with counters.

    Reads numbering.xml (abstract definitions, instances, start overrides) and the numbering
    a paragraph gets directly or from its style chain.  Bullets draw nothing: they are not
    provision markers.
    """

    def __init__(self, document):
        from docx.oxml.ns import qn
        self.qn = qn
        self.styles = self._styles(document)
        self.levels: dict[str, dict[int, dict]] = {}     # abstractNumId → ilvl → definition
        self.instances: dict[str, tuple[str, dict[int, int]]] = {}  # numId → (abstract, starts)
        self.counters: dict[str, dict[int, int]] = {}
        self.started: set[str] = set()
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        self._read(root)

    def _styles(self, document) -> dict[str, tuple[str | None, object]]:
        out = {}
        qn = self.qn
        for st in document.styles.element.iterchildren(qn("w:style")):
            based = st.find(qn("w:basedOn"))
            out[st.get(qn("w:styleId"))] = (
                based.get(qn("w:val")) if based is not None else None,
                st.find(f"{qn('w:pPr')}/{qn('w:numPr')}"))
        return out

    def _read(self, root) -> None:
        qn = self.qn
        for an in root.iterchildren(qn("w:abstractNum")):
            levels = {}
            for lvl in an.iterchildren(qn("w:lvl")):
                levels[int(lvl.get(qn("w:ilvl")))] = {
                    "start": int(_val(lvl, qn, "w:start") or 1),
                    "fmt": _val(lvl, qn, "w:numFmt") or "decimal",
                    "text": _val(lvl, qn, "w:lvlText") or "",
                }
            self.levels[an.get(qn("w:abstractNumId"))] = levels
        for num in root.iterchildren(qn("w:num")):
            starts = {}
            for ov in num.iterchildren(qn("w:lvlOverride")):
                so = _val(ov, qn, "w:startOverride")
                if so is not None:
                    starts[int(ov.get(qn("w:ilvl")))] = int(so)
            self.instances[num.get(qn("w:numId"))] = (_val(num, qn, "w:abstractNumId"), starts)

    def _num_pr(self, p) -> tuple[str, int] | None:
        qn = self.qn
        num_id, ilvl = None, None
        ppr = p.find(qn("w:pPr"))
        direct = ppr.find(qn("w:numPr")) if ppr is not None else None
        style = ppr.find(qn("w:pStyle")) if ppr is not None else None
        chain = [direct]
        sid, seen = (style.get(qn("w:val")) if style is not None else None), set()
        while sid and sid not in seen and sid in self.styles:
            seen.add(sid)
            based, num_pr = self.styles[sid]
            chain.append(num_pr)
            sid = based
        for num_pr in chain:
            if num_pr is None:
                continue
            num_id = num_id or _val(num_pr, qn, "w:numId")
            ilvl = ilvl if ilvl is not None else _val(num_pr, qn, "w:ilvl")
        if not num_id or num_id == "0" or num_id not in self.instances:
            return None
        return num_id, int(ilvl or 0)

    def label(self, p) -> str:
        found = self._num_pr(p)
        if found is None:
            return ""
        num_id, ilvl = found
        abstract, starts = self.instances[num_id]
        levels = self.levels.get(abstract, {})
        if ilvl not in levels:
            return ""
        counters = self.counters.setdefault(abstract, {})
        if num_id not in self.started and starts:
            # An instance with a start override restarts its list.
            counters.clear()
        self.started.add(num_id)
        start = starts.get(ilvl, levels[ilvl]["start"])
        counters[ilvl] = counters.get(ilvl, start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        return self._render(levels, counters, ilvl, starts)

    def _render(self, levels: dict, counters: dict, ilvl: int, starts: dict) -> str:
        definition = levels[ilvl]
        if definition["fmt"] in ("bullet", "none"):
            return ""

        def number(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            lvl = levels.get(k, {"fmt": "decimal", "start": 1})
            value = counters.get(k, starts.get(k, lvl["start"]))
            return format_number(value, lvl["fmt"])

        return re.sub(r"%(\d)", number, definition["text"])


def _val(el, qn, tag: str) -> str | None:
    child = el.find(qn(tag))
    return child.get(qn("w:val")) if child is not None else None


_CN = "〇一二三四五六七八九"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 15 → 十五, 23 → 二十三, 105 → 一百零五 (as Word counts)."""
    if n < 10:
        return _CN[n]
    if n < 20:
        return "十" + (_CN[n % 10] if n % 10 else "")
    if n < 100:
        return _CN[n // 10] + "十" + (_CN[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if rest == 0 else ("零" + _CN[rest] if rest < 10 else
                                 (_CN[rest // 10] + "十" + (_CN[rest % 10] if rest % 10 else "")))
    return _CN[n // 100] + "百" + tail


def format_number(n: int, fmt: str) -> str:
    if fmt.startswith(("chineseCounting", "ideographTraditional", "taiwaneseCounting",
                       "japaneseCounting", "ideographLegalTraditional")):
        return chinese_numeral(n)
    if fmt == "ideographDigital":
        return "".join(_CN[int(d)] for d in str(n))
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 0 < n <= 20:
        return _CIRCLED[n - 1]
    if fmt == "decimalFullWidth":
        return "".join(chr(0xFF10 + int(d)) for d in str(n))
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(n)
        return roman if fmt == "upperRoman" else roman.lower()
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"),
                       (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
                       (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + sym, n - value
    return out


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160]


# ---- PDF -----------------------------------------------------------------------------------------

# A page number alone on the first or last line of a page: "3", "- 3 -", "— 3 —", "第3页 共9页".
_PAGE_NO = re.compile(r"^[\s\-—–－·]*(第\s*)?\d{1,4}(\s*页)?(\s*[/／]\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?"
                      r"[\s\-—–－·]*$")
MIN_PAGE_CHARS = 5


@contextmanager
def _pypdf_warnings() -> Iterator[list[str]]:
    """pypdf logs what it repairs; collect it instead of printing it on the terminal."""
    logger = logging.getLogger("pypdf")
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    handler, propagate = Collect(logging.WARNING), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield seen
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def pdf_to_text(data: bytes, name: str) -> ReadResult:
    import pypdf
    with _pypdf_warnings() as warnings:
        try:
            reader = pypdf.PdfReader(io.BytesIO(data))
            _unlock(reader, name)
            pages = [page_text(page) for page in reader.pages]
            images = [_has_images(page) for page in reader.pages]
        except UnreadableDocument:
            raise
        except Exception as exc:   # pypdf raises many types on a damaged file
            raise UnreadableDocument(name, f"a corrupt PDF ({type(exc).__name__}: "
                                     f"{_one_line(exc)})", "corrupt") from None
    if not pages:
        raise UnreadableDocument(name, "a corrupt PDF: no pages", "corrupt")
    notes = pdf_notes(name, pages, images, reader.is_encrypted)
    if warnings:
        notes.append(f"pypdf repaired {len(warnings)} problem(s) in the file")
    return ReadResult("\n".join(pages) + "\n", "pdf", None, tuple(notes))


def _unlock(reader, name: str) -> None:
    """An owner-password PDF (printing/copying restricted) opens with the empty password."""
    if not reader.is_encrypted:
        return
    try:
        opened = reader.decrypt("")
    except Exception as exc:   # e.g. an AES PDF without the crypto library
        raise UnreadableDocument(name, f"an encrypted PDF that cannot be opened "
                                 f"({_one_line(exc)})", "encrypted") from None
    if not opened:
        raise UnreadableDocument(name, "an encrypted PDF: it needs a password to open; "
                                 "supply an unprotected copy", "encrypted")


def page_text(page) -> str:
    """A page's text without the page number printed at its top or bottom edge."""
    lines = pdf_layout.page_text(page).splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    # Page numbers sit at a page's top or bottom edge; inside a page a lone number is text.
    for edge in (0, -1):
        if lines and _PAGE_NO.match(lines[edge]) and len(lines) > 1:
            lines.pop(edge)
    return "\n".join(lines)


def _has_images(page) -> bool:
    try:
        resources = page["/Resources"].get_object() if "/Resources" in page else {}
        xobjects = resources["/XObject"].get_object() if "/XObject" in resources else {}
        return any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())
    except Exception:
        return False


def pdf_notes(name: str, pages: list[str], images: list[bool], encrypted: bool) -> list[str]:
    """What a PDF's text layer says about its reading (pages' text, whether each has an
    image): notes to pass on, or UnreadableDocument when there is no usable text."""
    empty = [i + 1 for i, t in enumerate(pages) if len(re.sub(r"\s", "", t)) < MIN_PAGE_CHARS]
    if len(empty) == len(pages):
        if any(images):
            raise UnreadableDocument(name, f"a scanned PDF: its {len(pages)} page(s) are images "
                                     "without a text layer; run OCR first or supply the text",
                                     "no_text")
        raise UnreadableDocument(name, f"a PDF without text in its {len(pages)} page(s)",
                                 "no_text")
    text = "".join(pages)
    unmapped = sum(1 for ch in text if "\ue000" <= ch <= "\uf8ff" or ch == "\ufffd")
    if unmapped > len(re.sub(r"\s", "", text)) * 0.3:
        raise UnreadableDocument(name, "a PDF whose fonts have no Unicode mapping: its text "
                                 "layer cannot be decoded; run OCR first", "no_text")
    notes = ["owner-password protected, opened without a password"] if encrypted else []
    if empty:
        notes.append(f"page(s) {_ranges(empty)} have no text layer (scanned?) and were skipped")
    return notes


def _ranges(numbers: list[int]) -> str:
    out, start = [], numbers[0]
    for prev, cur in zip(numbers, numbers[1:] + [None]):
        if cur != prev + 1:
            out.append(str(start) if start == prev else f"{start}-{prev}")
            start = cur
    return ", ".join(out)
