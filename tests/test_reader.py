"""Reading every supported format into text the segmenter cuts into the same outline."""
from __future__ import annotations

import io
import zipfile

import pytest

from policykg.corpus.records import DocumentMeta
from policykg.corpus.reader import (UnreadableDocument, decode_text, read_bytes, read_path,
                           text_format)
from policykg.corpus.segment import segment_document
from ingest_formats import (PLAN, PLAN_OUTLINE, scanned_pdf, to_docx, to_html, to_markdown,
                            to_pdf, zip_bomb_docx)

LIMIT = 20 * 1024 * 1024


def outline(text: str) -> dict:
    doc = segment_document(text, DocumentMeta(file="plan", title=""))
    body = [p for p in doc.provisions if not p.annex]
    return {"chapters": [p.heading for p in body if p.kind == "chapter"],
            "sections": sum(p.kind == "section" for p in body),
            "items": sum(p.kind == "item" for p in body),
            "annexes": sum(p.kind == "annex" for p in doc.provisions),
            "table_rows": sum(p.kind == "table_row" for p in doc.provisions)}


FORMATS = {
    "plan.txt": (lambda: PLAN.encode("utf-8"), "txt", "utf-8"),
    "plan-bom.txt": (lambda: PLAN.encode("utf-8-sig"), "txt", "utf-8 (BOM)"),
    "plan-gbk.txt": (lambda: PLAN.encode("gbk"), "txt", "gbk"),
    "plan-gb18030.txt": (lambda: (PLAN + "㐀\n").encode("gb18030"), "txt", "gb18030"),
    "plan-utf16.txt": (lambda: PLAN.encode("utf-16"), "txt", "utf-16-le (BOM)"),
    "plan-utf16be.txt": (lambda: PLAN.encode("utf-16-be"), "txt", "utf-16-be"),
    "plan.md": (lambda: to_markdown().encode("utf-8"), "md", "utf-8"),
    "plan.html": (lambda: to_html().encode("utf-8"), "html", "utf-8"),
    "plan-gbk.htm": (lambda: to_html(charset="gb2312").encode("gbk"), "html", "gbk"),
    "plan.docx": (to_docx, "docx", None),
    "plan.pdf": (to_pdf, "pdf", None),
}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_gives_the_plans_outline(name):
    make, fmt, encoding = FORMATS[name]
    result = read_bytes(make(), name, LIMIT)
    assert (result.format, result.encoding) == (fmt, encoding)
    assert outline(result.text) == PLAN_OUTLINE


@pytest.mark.parametrize("name", ["plan.docx", "plan.pdf", "plan.html", "plan-gbk.txt"])
def test_wrong_or_missing_extension_reads_by_content(name):
    make, fmt, _ = FORMATS[name]
    for alias in ("document", "document.txt", "document.pdf" if fmt != "pdf" else "document.docx"):
        result = read_bytes(make(), alias, LIMIT)
        assert result.format == fmt
        assert outline(result.text) == PLAN_OUTLINE
    renamed = read_bytes(make(), "document.bin", LIMIT)
    assert renamed.format == fmt


def test_a_misnamed_binary_format_is_noted():
    result = read_bytes(to_docx(), "plan.pdf", LIMIT)
    assert result.notes[0] == "named .pdf but read as docx by its content"


def test_read_path_reads_from_disk(tmp_path):
    path = tmp_path / "计划.txt"
    path.write_bytes(PLAN.encode("gb18030"))
    result = read_path(path, LIMIT)
    assert result.encoding == "gbk" and "江人社发〔2023〕15号" in result.text


# ---- text details -----------------------------------------------------------------------------

def test_text_is_normalised_line_breaks_radicals_zero_width():
    raw = "⼀、总体要求\r\n（⼀）指导\u200b思想\r以人为本。\x0c二、任务"
    text = read_bytes(raw.encode("utf-8"), "a.txt", LIMIT).text
    assert text == "一、总体要求\n（一）指导思想\n以人为本。\n二、任务\n"


def test_gbk_text_with_a_damaged_byte_falls_back_and_says_so():
    data = PLAN.encode("gbk")
    data = data[:500] + b"\xff" + data[501:]
    text, encoding, notes = decode_text(data, "x.txt")
    assert encoding == "gb18030" and "undecodable" in notes[0]
    assert "江人社发〔2023〕15号" in text


def test_utf16_without_bom_is_detected():
    text, encoding, _ = decode_text(PLAN.encode("utf-16-le"), "x.txt")
    assert encoding == "utf-16-le" and text == PLAN


def test_text_format_by_content():
    assert text_format("<!DOCTYPE html><html><body><p>x</p></body></html>", None) == "html"
    assert text_format("# 标题\n\n## 一、总体要求\n\n正文", None) == "md"
    assert text_format("# 标题\n\n## 一、总体要求\n\n正文", "txt") == "txt"
    assert text_format("一、总体要求\n（一）指导思想", "md") == "md"
    assert text_format("小于 <5 的数", "html") == "txt"


# ---- Markdown and HTML --------------------------------------------------------------------------

def test_markdown_markup_becomes_plain_lines():
    from policykg.corpus.markup import markdown_to_text
    md = ("标题\n===\n\n## 一、总体要求\n\n- **到2025年**，比例达到*45%*以上；[详见](http://x)\n"
          "> 引用的话\n\n| 序号 | 任务 |\n|---|---|\n| 1 | 推动`提质`扩容 \\| 发展 |\n\n"
          "```\n（一）代码块原样\n```\n***\n1. 第一项\n")
    assert markdown_to_text(md).splitlines() == [
        "标题", "", "一、总体要求", "", "到2025年，比例达到45%以上；详见", "引用的话", "",
        "序号\t任务", "1\t推动提质扩容 | 发展", "", "（一）代码块原样", "", "1. 第一项"]


def test_html_structure_kept_and_markup_dropped():
    from policykg.corpus.markup import html_to_text
    page = ("<html><head><title>网站</title><style>p{}</style></head><body>"
            "<script>document.write('<p>脚本</p>')</script><h1>江门市方案</h1>"
            "<p>第一段&nbsp;&lt;含&gt;实体&amp;符号<br>换行后</p><div>技工\n  教育</div>"
            "<table><tr><th>序号</th><th>任务</th></tr>"
            "<tr><td>1</td><td><p>推动</p><p>扩容</p></td></tr>"
            "<tr><td colspan='2'>合计</td></tr></table><ul><li>甲</li><li>乙</li></ul>"
            "<!-- 注释 --><noscript>请开启脚本</noscript></body></html>")
    assert html_to_text(page).splitlines() == [
        "江门市方案", "第一段 <含>实体&符号", "换行后", "技工教育", "序号\t任务",
        "1\t推动 扩容", "合计", "甲", "乙"]


def test_a_title_printed_only_in_the_page_head_becomes_the_first_line():
    from policykg.corpus.markup import html_to_text
    head = "<html><head><title>某省关于推进青年技能提升工作的通知_政策文件_某省人社厅</title></head>"
    only_head = head + "<body><p>正文第一段。</p><p>某人社发〔2022〕1号</p></body></html>"
    assert html_to_text(only_head).splitlines()[0] == "某省关于推进青年技能提升工作的通知"
    # printed in the body too: nothing is added
    both = head + "<body><h1>某省关于推进青年技能提升工作的通知</h1><p>正文。</p></body></html>"
    assert html_to_text(both).splitlines() == ["某省关于推进青年技能提升工作的通知", "正文。"]
    # a site name alone is no document title
    site = "<html><head><title>首页</title></head><body><p>正文。</p></body></html>"
    assert html_to_text(site).splitlines() == ["正文。"]


# ---- Word ---------------------------------------------------------------------------------------

def test_docx_automatic_numbering_is_written_into_the_text():
    text = read_bytes(to_docx(), "plan.docx", LIMIT).text
    assert "一、总体要求" in text and "三、保障措施" in text
    plain = read_bytes(to_docx(auto_numbering=False), "plan.docx", LIMIT).text
    assert plain == text


def test_docx_list_styles_tables_and_merged_cells():
    import docx
    document = docx.Document()
    document.add_paragraph("江门市方案")
    document.add_paragraph("第一项任务。", style="List Number")
    document.add_paragraph("第二项任务。", style="List Number")
    document.add_paragraph("要点", style="List Bullet")
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([("类别", "任务", "牵头单位"), ("教育", "甲任务", "市教育局"),
                             ("", "乙任务", "市财政局")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(1, 0).merge(table.cell(2, 0))      # 类别 spans two rows
    document.add_paragraph("表后段落。")
    buf = io.BytesIO()
    document.save(buf)
    lines = read_bytes(buf.getvalue(), "x.docx", LIMIT).text.splitlines()
    assert lines == ["江门市方案", "1.第一项任务。", "2.第二项任务。", "要点", "类别\t任务\t牵头单位",
                     "教育\t甲任务\t市教育局", "教育\t乙任务\t市财政局", "表后段落。"]


# ---- PDF ----------------------------------------------------------------------------------------

def test_pdf_reads_back_chinese_and_drops_page_numbers():
    import pypdf
    data = to_pdf()
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages) >= 2
    text = read_bytes(data, "plan.pdf", LIMIT).text
    assert "江人社发〔2023〕15号" in text
    assert "- 1 -" not in text and "- 2 -" not in text


def test_pdf_table_with_a_wrapped_cell_keeps_its_rows():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("STSong-Light", 12)
    c.drawString(60, 800, "附件：任务分工表")
    rows = [("序号", "任务", "牵头单位"), ("1", "推动提质扩容", "市人力资源社会保障局"),
            ("", "", "（市教育局配合）"), ("2", "建设实训基地", "市发展改革局"),
            ("3", "完善培训制度", "市教育局")]
    c.setFont("STSong-Light", 10)
    for i, row in enumerate(rows):
        for x, cell in zip((60, 120, 300), row):
            if cell:
                c.drawString(x, 760 - 18 * i, cell)
    c.showPage()
    c.save()
    lines = read_bytes(buf.getvalue(), "t.pdf", LIMIT).text.splitlines()
    assert lines == ["附件：任务分工表", "序号\t任务\t牵头单位", "1\t推动提质扩容\t市人力资源社会保障局",
                     "\t\t（市教育局配合）", "2\t建设实训基地\t市发展改革局", "3\t完善培训制度\t市教育局"]
    doc = segment_document("\n".join(lines), DocumentMeta(file="t", title=""))
    rows = [p for p in doc.provisions if p.kind == "table_row"]
    assert [r.cells[-1] for r in rows] == ["市人力资源社会保障局（市教育局配合）", "市发展改革局", "市教育局"]


def test_owner_password_pdf_opens_with_a_note():
    from reportlab.lib.pdfencrypt import StandardEncryption
    data = to_pdf(encrypt=StandardEncryption("", ownerPassword="owner", canCopy=0))
    result = read_bytes(data, "plan.pdf", LIMIT)
    assert outline(result.text) == PLAN_OUTLINE
    assert any("owner-password" in n for n in result.notes)


# ---- bad input ------------------------------------------------------------------------------------

def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


BAD = {
    "empty": (lambda: b"", "empty.txt", "empty", "empty.txt: empty file"),
    "blank": (lambda: b" \r\n\t\n", "blank.txt", "empty", "blank.txt: empty file"),
    "junk": (lambda: bytes(range(256)) * 64, "junk.txt", "binary", "junk.txt: binary data"),
    "elf": (lambda: b"\x7fELF" + bytes(200), "tool.pdf", "unsupported",
            "tool.pdf: unsupported format: an executable"),
    "png": (lambda: b"\x89PNG\r\n\x1a\n" + bytes(100), "scan.docx", "unsupported",
            "scan.docx: unsupported format: a PNG image"),
    "xlsx": (lambda: _zip({"xl/workbook.xml": b"<w/>"}), "table.docx", "unsupported",
             "table.docx: unsupported format: an Excel workbook"),
    "ole": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old.doc", "unsupported",
            "old.doc: a legacy Word/WPS .doc (OLE2) file is not supported"),
    "encrypted_docx": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)
                       + "EncryptedPackage".encode("utf-16-le") + bytes(100), "secret.docx",
                       "encrypted", "secret.docx: a password-protected (encrypted) Word document"),
    "bad_zip": (lambda: b"PK\x03\x04" + bytes(300), "broken.docx", "corrupt",
                "broken.docx: a corrupt ZIP/.docx file"),
    "bad_docx_xml": (lambda: _zip({"[Content_Types].xml": b"<x/>",
                                   "word/document.xml": b"<not xml"}), "bad.docx", "corrupt",
                     "bad.docx: a corrupt .docx"),
    "zip_bomb": (lambda: zip_bomb_docx(to_docx()), "bomb.docx", "zip_bomb",
                 "bomb.docx: a zip bomb: word/document.xml would unpack"),
    "encrypted_pdf": (lambda: to_pdf(encrypt="secret"), "locked.pdf", "encrypted",
                      "locked.pdf: an encrypted PDF: it needs a password to open"),
    "corrupt_pdf": (lambda: to_pdf()[:1500], "cut.pdf", "corrupt", "cut.pdf: a corrupt PDF"),
    "scanned_pdf": (scanned_pdf, "scan.pdf", "no_text",
                    "scan.pdf: a scanned PDF: its 2 page(s) are images without a text layer"),
    "too_large": (lambda: PLAN.encode("utf-8") * 10, "big.txt", "too_large",
                  "big.txt: file too large"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_refused_with_one_line(case):
    make, name, reason, message = BAD[case]
    limit = 20_000 if case == "too_large" else LIMIT
    with pytest.raises(UnreadableDocument) as info:
        read_bytes(make(), name, limit)
    assert info.value.reason == reason
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_zip_bomb_is_refused_before_unpacking(monkeypatch):
    data = zip_bomb_docx(to_docx())
    opened = []
    monkeypatch.setattr(zipfile.ZipFile, "open",
                        lambda self, *a, **k: opened.append(a) or pytest.fail("unpacked"))
    with pytest.raises(UnreadableDocument, match="zip bomb"):
        read_bytes(data, "bomb.docx", LIMIT)
    assert opened == []


def test_zip_total_size_limit():
    from policykg.corpus.office import check_zip
    members = {f"word/part{i}.xml": bytes(range(256)) * 400 for i in range(3)}
    with pytest.raises(UnreadableDocument, match="would unpack to 307200 bytes"):
        check_zip(_zip(members), "many.docx", max_unpacked=300_000)


def test_missing_path_and_folder(tmp_path):
    with pytest.raises(UnreadableDocument, match="no such file") as info:
        read_path(tmp_path / "nowhere.pdf", LIMIT)
    assert info.value.reason == "missing"
    with pytest.raises(UnreadableDocument, match="not a regular file"):
        read_path(tmp_path, LIMIT)


def test_over_size_file_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 5000)
    monkeypatch.setattr(type(path), "read_bytes", lambda self: pytest.fail("read"))
    with pytest.raises(UnreadableDocument, match=r"file too large: 5000 bytes \(limit 4000 bytes\)"):
        read_path(path, 4000)


def test_pdf_without_unicode_mapping_is_refused():
    from policykg.corpus.office import pdf_notes
    with pytest.raises(UnreadableDocument, match="no Unicode mapping"):
        pdf_notes("x.pdf", ["\ue001\ue002\ue003\ue004\ue005\ue006 一二"], [False], False)


def test_html_that_declares_gb2312_but_is_utf8():
    page = to_html(charset="gb2312").encode("utf-8")
    result = read_bytes(page, "plan.html", LIMIT)
    assert result.encoding == "utf-8" and outline(result.text) == PLAN_OUTLINE
