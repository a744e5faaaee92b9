"""Reading any supported file into the text the pipeline cuts into provisions.

Formats: plain text (UTF-8, GBK/GB18030, Big5, UTF-16/32, detected), Markdown, HTML, Word .docx
and PDF (its text layer).  The format is decided by the content (magic bytes, then what
the decoded text looks like); the extension only breaks ties between text formats, so a
wrong or missing extension still works, or fails with a message that says what the file
really is.

Every refusal is an `UnreadableDocument` whose message is one line naming the file and
the problem, and whose `reason` is a short code the web layer maps to an HTTP status.
Nothing here writes anywhere: reading is safe to run before taking the data folder's lock.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import replace
from pathlib import Path

from policykg.corpus import script
from policykg.corpus.office import docx_to_text, pdf_to_text
from policykg.corpus.records import ReadResult, UnreadableDocument
from policykg.corpus.markup import html_to_text
from policykg.corpus.markup import markdown_to_text

TEXT_FORMATS = ("txt", "md", "html")
FORMATS = TEXT_FORMATS + ("docx", "pdf")
EXTENSIONS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
              ".html": "html", ".htm": "html", ".xhtml": "html", ".docx": "docx",
              ".pdf": "pdf"}


# ---- entry points ---------------------------------------------------------------------------

def read_path(path: Path, max_bytes: int, simplify: bool = True) -> ReadResult:
    """Read a file from disk; its size is checked before a byte is read."""
    path = Path(path)
    return read_bytes(load_file(path, max_bytes), path.name or str(path), max_bytes, simplify)


def load_file(path: Path, max_bytes: int) -> bytes:
    """A file's bytes, refused by size before reading (and again after: it may grow)."""
    path = Path(path)
    if not path.exists():
        raise UnreadableDocument(str(path), "no such file", "missing")
    if not path.is_file():
        raise UnreadableDocument(str(path), "not a regular file", "unsupported")
    name = path.name or str(path)
    _check_size(name, path.stat().st_size, max_bytes)
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise UnreadableDocument(str(path), f"cannot be read ({exc.strerror})", "missing") from None
    _check_size(name, len(data), max_bytes)
    return data


def read_bytes(data: bytes, name: str, max_bytes: int, simplify: bool = True) -> ReadResult:
    """Read a document received as bytes (an upload), `name` being its original file name.

    Traditional characters are read as simplified (corpus.script) unless `simplify` is
    False, which gives the wording as written, for display, at the same offsets.
    """
    _check_size(name, len(data), max_bytes)
    if not data.strip():
        raise UnreadableDocument(name, "empty file", "empty")
    kind = sniff_binary(data, name)
    if kind == "pdf":
        result = pdf_to_text(data, name)
    elif kind == "docx":
        result = docx_to_text(data, name, unpacked_limit(max_bytes))
    else:
        result = _read_text_format(data, name)
    result = replace(result, text=normalize_text(result.text))
    if not result.text.strip():
        raise UnreadableDocument(name, f"no text in this {result.format} file", "no_text")
    if simplify:
        result = _simplified(result)
    declared = EXTENSIONS.get(Path(name).suffix.lower())
    if declared and declared != result.format and not (
            declared in TEXT_FORMATS and result.format in TEXT_FORMATS):
        note = f"named {Path(name).suffix} but read as {result.format} by its content"
        result = replace(result, notes=(note,) + result.notes)
    return result


def _simplified(result: ReadResult) -> ReadResult:
    conv = script.simplify(result.text)
    if not conv.converted:
        return result
    note = (f"traditional characters ({conv.share:.0%} of the Chinese text) read as "
            "simplified (OpenCC t2s); the original wording keeps the same offsets")
    return replace(result, text=conv.text, original=conv.original,
                   notes=result.notes + (note,))


def unpacked_limit(max_bytes: int) -> int:
    """How much a .docx may unpack to, all parts together, checked before any is: four
    times the upload limit (images stay as compressed as they came; a long plan's XML is
    a few MB), at least 64 MiB — what a worker may hold while python-docx reads it."""
    return max(4 * max_bytes, 64 * 1024 * 1024)


def _check_size(name: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise UnreadableDocument(
            name, f"file too large: {_mb(size)} (limit {_mb(max_bytes)})", "too_large")
    if size == 0:
        raise UnreadableDocument(name, "empty file", "empty")


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 100 * 1024 else f"{n} bytes"


# ---- what the bytes are ----------------------------------------------------------------------

# Formats recognised only to be refused by name: (magic, description).
_REFUSED_MAGIC = (
    (b"{\\rtf", "an RTF document (save it as .docx)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image (run OCR first, or supply the text)"),
    (b"\xff\xd8\xff", "a JPEG image (run OCR first, or supply the text)"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image (run OCR first, or supply the text)"),
    (b"MM\x00*", "a TIFF image (run OCR first, or supply the text)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "an executable (ELF)"),
)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")


def sniff_binary(data: bytes, name: str) -> str:
    """'pdf', 'docx' or 'text' (to be decoded); anything else is refused here."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _sniff_zip(data, name)
    if data.startswith(_OLE):
        if _ENCRYPTED_OOXML in data:
            raise UnreadableDocument(name, "a password-protected (encrypted) Word document; "
                                     "save it without a password", "encrypted")
        raise UnreadableDocument(name, "a legacy Word/WPS .doc (OLE2) file is not supported; "
                                 "save it as .docx or PDF", "unsupported")
    for magic, what in _REFUSED_MAGIC:
        if data.startswith(magic):
            raise UnreadableDocument(name, f"unsupported format: {what}", "unsupported")
    return "text"


def _sniff_zip(data: bytes, name: str) -> str:
    import io
    import zipfile
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise UnreadableDocument(name, f"a corrupt ZIP/.docx file ({exc})", "corrupt") from None
    if "word/document.xml" in names:
        return "docx"
    for marker, what in (("xl/workbook.xml", "an Excel workbook"),
                         ("ppt/presentation.xml", "a PowerPoint presentation"),
                         ("OFD.xml", "an OFD document (export it as PDF)"),
                         ("content.xml", "an OpenDocument file (save it as .docx)")):
        if marker in names:
            raise UnreadableDocument(name, f"unsupported format: {what}", "unsupported")
    raise UnreadableDocument(name, "unsupported format: a ZIP archive that is not a Word "
                             ".docx", "unsupported")


# ---- text formats ------------------------------------------------------------------------------

def _read_text_format(data: bytes, name: str) -> ReadResult:
    ext = EXTENSIONS.get(Path(name).suffix.lower())
    declared = _declared_charset(data) if ext == "html" or _looks_like_html_bytes(data) else None
    text, encoding, notes = decode_text(data, name, declared)
    fmt = text_format(text, ext)
    if fmt == "html":
        return ReadResult(html_to_text(text), "html", encoding, notes)
    if fmt == "md":
        return ReadResult(markdown_to_text(text), "md", encoding, notes)
    return ReadResult(text, "txt", encoding, notes)


_HTML_START = re.compile(r"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!doctype\s+html|<html[\s>])",
                         re.I | re.S)
_HTML_TAGS = re.compile(r"<(p|div|br|table|tr|td|h[1-6]|span|body|li)\b[^>]*>", re.I)
_MD_SIGNS = re.compile(r"^(#{1,6}\s+\S|\|?\s*:?-{3,}:?\s*\|)", re.M)


def text_format(text: str, ext: str | None) -> str:
    """'html', 'md' or 'txt' for decoded text; content first, the extension breaks ties."""
    if _HTML_START.match(text[:4096]):
        return "html"
    tags = len(_HTML_TAGS.findall(text[:20000]))
    if tags >= 3 or (ext == "html" and tags >= 1):
        return "html"
    if ext == "md":
        return "md"
    if ext is None and len(_MD_SIGNS.findall(text[:20000])) >= 2:
        return "md"     # no extension (or an unknown one): Markdown by its headings/tables
    return "txt"


def _looks_like_html_bytes(data: bytes) -> bool:
    return bool(re.match(rb"^\s*(<\?xml|<!doctype html|<html)", data[:512], re.I))


_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-]+)", re.I)


def _declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    if not m:
        return None
    label = m.group(1).decode("ascii").lower()
    # Chinese sites declare gb2312 and mean GBK or GB18030 (its supersets) in practice.
    return "gb18030" if label in ("gb2312", "gbk", "gb18030", "x-gbk") else label


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig", "utf-8 (BOM)"),
         (b"\xff\xfe\x00\x00", "utf-32-le", "utf-32-le (BOM)"),
         (b"\x00\x00\xfe\xff", "utf-32-be", "utf-32-be (BOM)"),
         (b"\xff\xfe", "utf-16-le", "utf-16-le (BOM)"),
         (b"\xfe\xff", "utf-16-be", "utf-16-be (BOM)"))


def decode_text(data: bytes, name: str, declared: str | None = None
                ) -> tuple[str, str, tuple[str, ...]]:
    """Bytes → (text, encoding used, notes).

    BOMs first, then strict decodings in the order that is right most often for Chinese
    policy texts, each checked for plausibility (a strict decoding of the wrong encoding
    usually yields control characters; Big5 after GB18030, see `_big5_instead`), then a
    lenient fallback that says what it lost.
    """
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return _plausible(data[len(bom):].decode(codec)), label, ()
            except (UnicodeDecodeError, _Implausible):
                raise UnreadableDocument(name, f"starts with a {label.split()[0]} byte-order "
                                         "mark but does not decode as such", "binary") from None
    for codec in _candidate_codecs(data, declared):
        try:
            text = _plausible(data.decode(codec))
        except (UnicodeDecodeError, LookupError, _Implausible):
            continue
        if codec == "gb18030" and declared != "gb18030":
            big5 = _big5_instead(data, text)
            if big5 is not None:
                return big5, "big5", ()
        return text, _codec_label(data, codec), ()
    return _lenient(data, name)


def _big5_instead(data: bytes, gbk_text: str) -> str | None:
    """The Big5 reading of bytes that also decode as GB18030, when it is the real one.

    Traditional texts from Hong Kong, Macao and Taiwan come in Big5, and almost any Big5
    byte pair is a valid GBK pair too, so a strict decoding cannot tell them apart: the
    wrong one yields Chinese characters at random.  The right one yields common ones, so
    the decoding whose characters (compared in simplified form) are mostly among the
    3,755 most common (GB2312 level 1) wins.
    """
    try:
        text = _plausible(data.decode("big5"))
    except (UnicodeDecodeError, _Implausible):
        return None
    return text if _common_share(text) > _common_share(gbk_text) + 0.1 else None


def _common_share(text: str) -> float:
    han = [c for c in script.to_simplified_chars(text) if "\u4e00" <= c <= "\u9fff"]
    if not han:
        return 0.0
    common = _common_han()
    return sum(c in common for c in han) / len(han)


@functools.cache
def _common_han() -> frozenset[str]:
    """GB2312's level-1 characters (the 3,755 most used), from the codec itself."""
    pairs = bytes(b for lead in range(0xB0, 0xD8) for trail in range(0xA1, 0xFF)
                  for b in (lead, trail))
    return frozenset(pairs.decode("gb2312", errors="ignore")) - {"\ufffd"}


def _candidate_codecs(data: bytes, declared: str | None) -> list[str]:
    """UTF-16 first when NUL bytes say so, then UTF-8 (which GBK bytes practically never
    pass), then what an HTML page declares (pages that say gb2312 but are UTF-8 exist, the
    reverse decodes to garbage that looks like text), then GB18030, then Big5."""
    zeros_even, zeros_odd = data[0::2].count(0), data[1::2].count(0)
    utf16 = ["utf-16-le", "utf-16-be"] if zeros_odd >= zeros_even else ["utf-16-be", "utf-16-le"]
    codecs = list(utf16) if zeros_even + zeros_odd > len(data) // 20 else []
    codecs += ["utf-8"] + ([declared] if declared else []) + ["gb18030", "big5"] + utf16
    return list(dict.fromkeys(codecs))


def _codec_label(data: bytes, codec: str) -> str:
    if codec == "gb18030":
        try:
            data.decode("gbk")
            return "gbk"          # GBK is a subset of GB18030: name the narrower one
        except UnicodeDecodeError:
            return "gb18030"
    return codec


class _Implausible(ValueError):
    pass


def _plausible(text: str) -> str:
    """The text, unless it is full of characters no document contains."""
    if not text:
        return text
    bad = sum(1 for ch in text if _junk_char(ch))
    if "\x00" in text or bad > max(2, len(text) // 200):
        raise _Implausible()
    return text


def _junk_char(ch: str) -> bool:
    if ch in "\t\n\r\f\v":
        return False
    cat = unicodedata.category(ch)
    return cat in ("Cc", "Co", "Cn", "Cs") or ch == "\ufffd"


def _lenient(data: bytes, name: str) -> tuple[str, str, tuple[str, ...]]:
    """The encoding with the fewest undecodable bytes, if they are few enough to be damage."""
    best = None
    for codec in ("utf-8", "gb18030"):
        text = data.decode(codec, errors="replace")
        lost = text.count("\ufffd")
        if best is None or lost < best[2]:
            best = (text, codec, lost)
    text, codec, lost = best
    junk = sum(1 for ch in text if _junk_char(ch) and ch != "\ufffd")
    if lost <= max(2, len(text) // 100) and junk <= max(2, len(text) // 200):
        return text, codec, (f"{lost} undecodable byte sequence(s) replaced with U+FFFD",)
    raise UnreadableDocument(name, "binary data: not text in UTF-8, GBK/GB18030, Big5 or UTF-16, and "
                             "not a supported document format (.docx, .pdf)", "binary")


# ---- normalisation ---------------------------------------------------------------------------

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\u00ad"), None)
_LINE_BREAKS = re.compile(r"\r\n?|[\v\f\x1c-\x1e\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
# Kangxi radicals and CJK compatibility ideographs: PDF fonts often map 一 to ⼀ (U+2F00).
_RADICALS = re.compile("[\u2e80-\u2fdf\uf900-\ufaff]")


def normalize_text(text: str) -> str:
    """One line-break convention, no invisible characters, radicals as the ideographs."""
    text = text.lstrip("\ufeff").translate(_ZERO_WIDTH)
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROL.sub("", text)
    text = _RADICALS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return text if text.endswith("\n") or not text else text + "\n"
