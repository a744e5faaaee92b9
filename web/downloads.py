"""Tables officials take away: one table written as .xlsx, .docx or .csv, and the HTTP
side of it (a route decorator: the page's or API's own URL with ?format=… answers the file).

Every cell that is text and starts with = + - @ (or a tab or carriage return) is written
with a leading ' in all three formats: a spreadsheet would otherwise run it as a formula
(CSV / formula injection, OWASP), and a table copied from Word into Excel is read the same
way.  Numbers stay numbers.  Characters XML cannot hold (control characters) are dropped.
CSV is UTF-8 with a byte-order mark, so Excel opens Chinese text as Chinese.  The file
name is Chinese (the table's title), sent as RFC 6266 / 5987 filename*=UTF-8''…, with an
ASCII name beside it for old clients.
"""
from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import quote, urlencode

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from flask import Response, abort, current_app, request
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from policykg.corpus.text import spreadsheet_safe
from policykg.web.lookups import NotFound

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv; charset=utf-8",
}
FORMAT_LABELS = {"xlsx": "Excel", "docx": "Word", "csv": "CSV"}
MAX_CELL = 32_000          # Excel holds 32,767 characters in a cell
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FILE_ILLEGAL = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@dataclass(frozen=True)
class Table:
    """What one download holds: a title (also the file's name), a line saying where it
    comes from, the column names and the rows (cells: text, numbers or None)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str = ""
    slug: str = "policykg"           # the ASCII file name for clients without filename*
    widths: tuple[int, ...] = ()     # column widths in characters (xlsx and docx)


# ---- cells ---------------------------------------------------------------------------------------

def neutralise(value: Any) -> Any:
    """A cell as it is safe to write: text cleaned of control characters, capped, and
    prefixed with ' when a spreadsheet would read it as a formula; numbers as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return value
    text = _XML_ILLEGAL.sub("", str(value))[:MAX_CELL]
    return spreadsheet_safe(text)


def _cells(table: Table) -> list[list[Any]]:
    return [[neutralise(v) for v in row] for row in table.rows]


def _width(table: Table, i: int) -> int:
    if i < len(table.widths):
        return table.widths[i]
    longest = max((len(str(r[i])) for r in table.rows[:200] if r[i] is not None), default=0)
    return max(6, min(40, max(len(table.columns[i]) * 2, longest)))


# ---- writers -------------------------------------------------------------------------------------

def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in table.columns])
    writer.writerows(_cells(table))
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _FILE_ILLEGAL.sub("", re.sub(r"[\[\]]", "", table.title))[:31] or "Sheet1"
    ws.append([neutralise(table.title)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([neutralise(table.note)])
    ws.append([neutralise(c) for c in table.columns])
    header = 3
    for cell in ws[header]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    # Cells reached by number: openpyxl's max_row / max_column (behind ws[row]) scan every
    # cell written so far, so asked per row a 2,600-row 对比表 took 7 s.
    for number, row in enumerate(_cells(table), header + 1):
        row = list(row)
        ws.append(row)
        for column in range(1, len(row) + 1):
            ws.cell(row=number, column=column).alignment = wrap
    for i in range(len(table.columns)):
        ws.column_dimensions[get_column_letter(i + 1)].width = _width(table, i) + 2
    ws.freeze_panes = ws.cell(row=header + 1, column=1)
    last = get_column_letter(max(1, len(table.columns)))
    ws.auto_filter.ref = f"A{header}:{last}{header + len(table.rows)}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_docx(table: Table) -> bytes:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10)
    # Word picks the font for Chinese from eastAsia, not from the Latin name.
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    if len(table.columns) > 5:
        section = doc.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    doc.add_heading(neutralise(table.title), level=1)
    if table.note:
        doc.add_paragraph(neutralise(table.note))
    grid = doc.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    for cell, name in zip(grid.rows[0].cells, table.columns):
        cell.text = ""
        cell.paragraphs[0].add_run(neutralise(name)).bold = True
    # The header row repeats on every page.
    grid.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for row in _cells(table):
        for cell, value in zip(grid.add_row().cells, row):
            cell.text = str(value)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


WRITERS: Mapping[str, Callable[[Table], bytes]] = {"xlsx": to_xlsx, "docx": to_docx,
                                                    "csv": to_csv}


# ---- HTTP ----------------------------------------------------------------------------------------

def file_name(title: str, fmt: str) -> str:
    """The Chinese file name of a table: its title, without what file systems refuse."""
    stem = _FILE_ILLEGAL.sub("_", title).strip(" ._") or "policykg"
    return f"{stem[:80]}.{fmt}"


def content_disposition(name: str, fallback: str) -> str:
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def send(table: Table, fmt: str) -> Response:
    body = WRITERS[fmt](table)
    resp = Response(body, content_type=FORMATS[fmt])
    ascii_slug = re.sub(r"[^A-Za-z0-9._-]+", "-", table.slug).strip("-") or "policykg"
    resp.headers["Content-Disposition"] = content_disposition(
        file_name(table.title, fmt), f"{ascii_slug}.{fmt}")
    return resp


def requested_format(args: Mapping[str, str]) -> str | None:
    fmt = (args.get("format") or "").strip().lower()
    return fmt if fmt in FORMATS else None


@dataclass(frozen=True)
class Context:
    """What a table builder reads: the generation served, the request's arguments and
    the server's settings."""

    gen: Any
    args: Mapping[str, Any]
    settings: Any


def offers(build: Callable[..., Table]):
    """Route decorator: with ?format=xlsx|docx|csv the route answers `build(context,
    **its URL arguments)` as that file; otherwise it runs as it is."""
    def wrap(view):
        @functools.wraps(view)
        def route(*args, **kwargs):
            fmt = requested_format(request.args)
            if fmt is None:
                return view(*args, **kwargs)
            ctx = Context(current_app.extensions["policykg"].generation(), request.args,
                          current_app.config["SETTINGS"])
            try:
                return send(build(ctx, *args, **kwargs), fmt)
            except NotFound as exc:
                abort(404, str(exc))
        return route
    return wrap


def download_links(**extra: str) -> list[dict]:
    """The three download links of the current page: its own URL and arguments (all
    pages: no `page`) with format=…, and `extra` arguments (e.g. higher=… for a
    落实对照表)."""
    args: dict[str, Sequence[str]] = {k: v for k, v in request.args.to_dict(flat=False).items()
                                      if k not in ("format", "page")}
    args.update({k: [v] for k, v in extra.items()})
    out = []
    for fmt, label in FORMAT_LABELS.items():
        query = urlencode({**args, "format": [fmt]}, doseq=True)
        out.append({"format": fmt, "label": label, "url": f"{request.path}?{query}"})
    return out
