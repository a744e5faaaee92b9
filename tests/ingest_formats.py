"""The test plan (tests/fixtures/ingest/plan.txt) written out in every supported format.

The plan is kept once, as UTF-8 text in which table rows are tab-separated; each writer
renders it the way that format's authors do: Markdown headings and pipe tables, an HTML
page with scripts, entities and wrapped source lines, a Word file with automatic chapter
numbering and a real table, a hard-wrapped PDF with page numbers (reportlab's built-in
CID font STSong-Light, so no font file is needed).
"""
from __future__ import annotations

import copy
import html
import io
import re
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
PLAN = (FIXTURES / "plan.txt").read_text(encoding="utf-8")

# What segment_document must find in the plan, whatever format it came in.
PLAN_OUTLINE = {"chapters": ["总体要求", "重点任务", "保障措施"], "sections": 8, "items": 5,
                "annexes": 1, "table_rows": 3}

_CHAPTER = re.compile(r"^([一二三四五六七八九十]+)、(.*)$")
_SECTION = re.compile(r"^（[一二三四五六七八九十]+）")


def blocks(text: str = PLAN) -> list[tuple[str, object]]:
    """("line", text) and ("table", [cells per row]) in order."""
    out: list[tuple[str, object]] = []
    for line in text.splitlines():
        if "\t" in line:
            if out and out[-1][0] == "table":
                out[-1][1].append(line.split("\t"))
            else:
                out.append(("table", [line.split("\t")]))
        elif line.strip():
            out.append(("line", line))
    return out


def to_markdown(text: str = PLAN) -> str:
    out = []
    for kind, value in blocks(text):
        if kind == "table":
            rows = value
            out.append("| " + " | ".join(rows[0]) + " |")
            out.append("|" + "|".join(":---" for _ in rows[0]) + "|")
            out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
            out.append("")
            continue
        line = value
        if line.endswith("行动方案"):
            out.append(f"# {line}")
        elif _CHAPTER.match(line):
            out.append(f"## {line}")
        elif _SECTION.match(line) and "。" not in line:
            out.append(f"### {line}")
        else:
            # Emphasis around the targets, as an author would mark them.
            out.append(re.sub(r"(\d+(\.\d+)?%以上)", r"**\1**", line))
        out.append("")
    return "\n".join(out)


def to_html(text: str = PLAN, charset: str = "utf-8") -> str:
    body = []
    for kind, value in blocks(text):
        if kind == "table":
            rows = "".join("<tr>" + "".join(f"<td><p>{html.escape(c)}</p></td>" for c in r)
                           + "</tr>\n" for r in value)
            body.append(f'<table border="1">\n<tbody>{rows}</tbody></table>')
            continue
        line = html.escape(value)
        if value.endswith("行动方案"):
            body.append(f"<h1 class=\"title\">{line}</h1>")
        elif _CHAPTER.match(value):
            body.append(f"<h2>{line}</h2>")
        elif len(value) > 40:
            # Source lines wrapped inside the paragraph, as an editor saves them.
            mid = len(line) // 2
            body.append(f"<p style=\"text-indent:2em\">&nbsp;&nbsp;{line[:mid]}\n    "
                        f"{line[mid:]}</p>")
        else:
            body.append(f"<div><span>{line}</span></div>")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"{charset}\">"
            f"<title>江门市人力资源和社会保障局网站</title>"
            "<style>p { color: red }</style><script>var a = '<p>不是正文</p>';</script>"
            "</head>\n<body><nav><ul><li>首页</li></ul></nav>\n" + "\n".join(body)
            + "\n<!-- 页脚 --></body></html>\n")


def to_docx(text: str = PLAN, auto_numbering: bool = True) -> bytes:
    """A .docx with the chapters numbered by Word itself ("一、" not in the text)."""
    import docx
    document = docx.Document()
    num_id = _chinese_numbering(document) if auto_numbering else None
    for kind, value in blocks(text):
        if kind == "table":
            rows = value
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
            continue
        m = _CHAPTER.match(value)
        if m and num_id is not None:
            p = document.add_paragraph(m.group(2))
            _number(p, num_id)
        else:
            document.add_paragraph(value)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _chinese_numbering(document) -> str:
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls
    numbering = document.part.numbering_part.element
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90"><w:lvl w:ilvl="0">'
        '<w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
        '<w:lvlText w:val="%1、"/><w:suff w:val="nothing"/></w:lvl></w:abstractNum>')
    num = parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>')
    first_num = numbering.find(num.tag)
    if first_num is not None:
        first_num.addprevious(abstract)    # abstract definitions come before instances
    else:
        numbering.append(abstract)
    numbering.append(num)
    return "90"


def _number(paragraph, num_id: str) -> None:
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls
    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/>'
                         f'<w:numId w:val="{num_id}"/></w:numPr>'))


TABLE_COLUMNS = (40, 80, 230, 360)
WRAP = 32             # characters per PDF line, like a printed A4 page of 公文
LINES_PER_PAGE = 28


def pdf_lines(text: str = PLAN) -> list[str]:
    """The plan hard-wrapped as it is printed: every line at most WRAP characters."""
    out = []
    for kind, value in blocks(text):
        if kind == "table":
            out += ["\t".join(r) for r in value]
            continue
        line = value
        while len(line) > WRAP and "  " not in line:
            out.append(line[:WRAP])
            line = line[WRAP:]
        out.append(line)
    return out


def to_pdf(text: str = PLAN, encrypt: str | None = None) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=encrypt)
    lines = pdf_lines(text)
    for start in range(0, len(lines), LINES_PER_PAGE):
        y = 790
        for line in lines[start:start + LINES_PER_PAGE]:
            if "\t" in line:
                # Table cells drawn in columns, in a smaller font, as a table is printed.
                c.setFont("STSong-Light", 9)
                for x, cell in zip(TABLE_COLUMNS, line.split("\t")):
                    c.drawString(x, y, cell)
            else:
                c.setFont("STSong-Light", 14)
                c.drawString(60, y, line)
            y -= 26
        c.setFont("STSong-Light", 10)
        c.drawCentredString(300, 40, f"- {start // LINES_PER_PAGE + 1} -")
        c.showPage()
    c.save()
    return buf.getvalue()


def scanned_pdf() -> bytes:
    """A PDF whose pages are images only: what a scanner produces."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    from PIL import Image
    image = Image.new("L", (200, 280), 255)
    for x in range(20, 180):
        image.putpixel((x, 40), 0)
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for _ in range(2):
        c.drawImage(ImageReader(image), 50, 300, 400, 500)
        c.showPage()
    c.save()
    return buf.getvalue()


def zip_bomb_docx(real: bytes, size: int = 300 * 1024 * 1024) -> bytes:
    """A .docx whose document.xml is padded to `size` bytes of whitespace: tiny compressed."""
    import zipfile
    src = zipfile.ZipFile(io.BytesIO(real))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                with out.open(copy.copy(info), "w", force_zip64=True) as fh:
                    fh.write(data)
                    chunk = b" " * (1024 * 1024)
                    for _ in range(size // len(chunk)):
                        fh.write(chunk)
            else:
                out.writestr(info, data)
    return buf.getvalue()
