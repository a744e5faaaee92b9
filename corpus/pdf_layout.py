"""Tables in a PDF's text layer, recovered from where the text is drawn.

pypdf's plain extraction writes each table cell on a line of its own, so a task table
(序号 / 任务 / 牵头单位 / 配合单位) would reach the segmenter as a column of unrelated lines.
Here the text pieces of a page are placed by their coordinates: pieces on one baseline
form a row, wide horizontal gaps separate cells, and when several rows share the same
column starts the page holds a table.  Only then is the page rebuilt from coordinates,
with table rows as tab-separated cells (empty cells kept, so a cell wrapped onto a second
line continues its row); other pages keep pypdf's own text.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

MIN_TABLE_ROWS = 3       # header + two rows: fewer is a signature block, not a table
COLUMN_TOLERANCE = 4.0   # points


@dataclass(frozen=True)
class Piece:
    x: float
    y: float
    size: float
    text: str

    @property
    def end(self) -> float:
        return self.x + text_width(self.text, self.size)


def text_width(text: str, size: float) -> float:
    """Estimated drawn width: full-width characters are 1 em, others half an em."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else size / 2 for c in text)


def _mult(m: list[float], n: list[float]) -> list[float]:
    return [m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3],
            m[2] * n[0] + m[3] * n[2], m[2] * n[1] + m[3] * n[3],
            m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5]]


def page_text(page) -> str:
    """The page's text: rebuilt from coordinates if it holds a table, else pypdf's own.

    One extraction pass gives both pypdf's text and the positioned pieces.
    """
    pieces: list[Piece] = []
    merged = False

    def visit(text, cm, tm, font, size) -> None:
        nonlocal merged
        body = text.strip("\n")
        if not body.strip():
            return
        if "\n" in body:
            merged = True          # several lines in one piece: positions are unknown
        m = _mult(list(tm), list(cm))
        scale = abs(m[3]) or abs(m[0]) or 1.0
        pieces.append(Piece(m[4], m[5], (size or 1.0) * scale, body))

    plain = page.extract_text(visitor_text=visit)
    if merged or not pieces:
        return plain
    try:
        table = table_text(pieces)
    except (ValueError, ArithmeticError, IndexError):   # a refinement: never fail a read
        table = None
    return table if table is not None else plain


def _rows(pieces: list[Piece]) -> list[list[Piece]]:
    rows: list[list[Piece]] = []
    for p in sorted(pieces, key=lambda p: (-p.y, p.x)):
        if rows and abs(rows[-1][0].y - p.y) <= 0.4 * min(p.size, rows[-1][0].size):
            rows[-1].append(p)
        else:
            rows.append([p])
    return [sorted(r, key=lambda p: p.x) for r in rows]


def _cells(row: list[Piece]) -> list[list[Piece]]:
    cells = [[row[0]]]
    for prev, cur in zip(row, row[1:]):
        gap = cur.x - prev.end
        if gap > max(1.5 * cur.size, 8.0):
            cells.append([cur])
        else:
            cells[-1].append(cur)
    return cells


def _join(pieces: list[Piece]) -> str:
    out = pieces[0].text
    for prev, cur in zip(pieces, pieces[1:]):
        gap = cur.x - prev.end
        ascii_pair = out[-1:].isascii() and cur.text[:1].isascii()
        out += (" " if ascii_pair and gap > 0.2 * cur.size else "") + cur.text
    return out.strip()


def _columns(multi: list[list[list[Piece]]]) -> list[float]:
    """Column starts shared by at least two multi-cell rows."""
    starts = sorted(cell[0].x for row in multi for cell in row)
    clusters: list[list[float]] = []
    for x in starts:
        if clusters and x - clusters[-1][-1] <= COLUMN_TOLERANCE:
            clusters[-1].append(x)
        else:
            clusters.append([x])
    return [c[0] for c in clusters if len(c) >= 2]


def _column_of(x: float, columns: list[float]) -> int | None:
    for i, c in enumerate(columns):
        if abs(x - c) <= COLUMN_TOLERANCE:
            return i
    return None


def table_text(pieces: list[Piece]) -> str | None:
    """The text rebuilt from positioned pieces if they form a table, else None."""
    rows = [_cells(r) for r in _rows(pieces)]
    multi = [r for r in rows if len(r) >= 2]
    columns = _columns(multi)
    aligned = [r for r in multi
               if sum(_column_of(c[0].x, columns) is not None for c in r) >= 2]
    if len(columns) < 2 or len(aligned) < MIN_TABLE_ROWS:
        return None
    top, bottom = aligned[0][0][0].y, aligned[-1][0][0].y
    lines = []
    for row in rows:
        y = row[0][0].y
        slots = [_column_of(c[0].x, columns) for c in row]
        in_table = bottom - 2 * row[0][0].size <= y <= top and all(s is not None for s in slots)
        if in_table and (len(row) >= 2 or slots[0] > 0):
            cells = [""] * len(columns)
            for slot, cell in zip(slots, row):
                cells[slot] = _join(cell)
            lines.append("\t".join(cells))
        else:
            lines.append(" ".join(_join(c) for c in row))
    return "\n".join(lines)
