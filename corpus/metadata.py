"""Document metadata read from the text itself: what the `add` flags leave out.

A Chinese official document (公文) says who issued it, when and under which number in a
few fixed places: the red header (发文机关标志 "…文件"), the 文号 line under it, the
notice that wraps the document ("X关于印发《Y》的通知"), the signature and date after the
notice or the body, and the colophon at the very end ("X办公室 2022年5月5日印发").  Web
pages add labelled fields ("发文字号：", "成文日期：").  Only those places are read: a
number or date quoted in the body is another document's, or a deadline.

Every issuer of a co-issued document is kept, in order (the issuer lines over the 文号,
the notice "A B关于印发…", the signature block).  A web page's header bar (来源：… 发布日期：…
浏览次数：… 字号：大 中 小) is neither the issuer nor the date, and the publicity note
（此件公开发布） is never part of the title.  Level and region are read by corpus.origin
against the gazetteer of China's divisions.  Flags given by the user always win.
"""
from __future__ import annotations

import datetime as dt
import re

from policykg.corpus.text import DOC_NUMBER
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from policykg.corpus.clean import read_lines
from policykg.corpus.origin import infer_origin
from policykg.corpus.records import DocumentMeta
from policykg.corpus.vocabulary import LEVELS
from policykg.corpus.webpage import field_pairs
from policykg.corpus.text import cn_to_int

HAN = "\u4e00-\u9fff"
FRONT_LINES = 40          # the notice and title never run longer than this
TAIL_LINES = 8            # the colophon: the last lines of the document

# ---- 文号 ----------------------------------------------------------------------------------------

NUMBER_RE = DOC_NUMBER
_NUMBER_LINE = re.compile(rf"^[（(]?\s*{NUMBER_RE.pattern}\s*[）)]?\s*(签发人[:：].*)?$")
_LABEL = re.compile(r"^(?P<label>发文字号|文号|发文号|索引号|发文机关|发布机构|发文单位|发布单位|"
                    r"成文日期|发文日期|印发日期|发布日期|公布日期|标题|名称|文件名称)\s*[:：]\s*(?P<value>.+)$")
# The fields of a web page's header bar and info table, several to a line: a value runs to
# the next field's label.  来源, 发布时间 … are the page's, not the document's.
_PAGE_FIELDS = ("发文字号|文号|发文号|索引号|发文机关|发布机构|发文单位|发布单位|成文日期|发文日期|印发日期|"
                "发布日期|公布日期|发布时间|更新时间|信息来源|文章来源|来源|浏览次数|访问次数|点击数|点击次数|"
                "阅读次数|浏览量|字号|字体|作者|责任编辑|编辑|主题分类|公文种类|有效性|文件名称|标题|名称")
_PAGE_FIELD = re.compile(rf"(?:^|(?<=[\s【\[［|｜]))({_PAGE_FIELDS})\s*[:：]")


def normalize_number(raw: str) -> str:
    """"人社部发[2021] 86 号" → "人社部发〔2021〕86号": one bracket style, no spaces."""
    text = _fold_digits(raw)
    m = NUMBER_RE.search(text)
    if not m:
        raise ValueError(f"not a document number (文号): {raw!r}")
    return f"{m.group('org')}〔{m.group('year')}〕{int(m.group('serial'))}号"


def _fold_digits(s: str) -> str:
    return "".join(unicodedata.normalize("NFKC", c) if c.isdigit() else c for c in s)


# ---- dates ---------------------------------------------------------------------------------------

_CN_YEAR_DIGITS = {"〇": "0", "○": "0", "零": "0", "O": "0", "Ｏ": "0", "一": "1", "二": "2",
                   "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_CN_Y = "[〇○零OＯ一二三四五六七八九]{4}"
_CN_MD = "[一二三四五六七八九十]{1,3}"
DATE_RE = re.compile(
    rf"(?P<y>(?:19|20)\d{{2}}|{_CN_Y})\s*年\s*(?P<m>\d{{1,2}}|{_CN_MD})\s*月\s*"
    rf"(?P<d>\d{{1,2}}|{_CN_MD})\s*日")
_ISO_RE = re.compile(r"(?P<y>(?:19|20)\d{2})\s*[-./]\s*(?P<m>\d{1,2})\s*[-./]\s*(?P<d>\d{1,2})")


def parse_date(raw: str) -> str | None:
    """"2023年3月8日", "二〇二三年三月八日", "2023-3-8" → "2023-03-08"; None if none or invalid."""
    text = _fold_digits(raw)
    m = DATE_RE.search(text) or _ISO_RE.search(text)
    if not m:
        return None
    y = m.group("y")
    year = int("".join(_CN_YEAR_DIGITS.get(c, c) for c in y))
    month, day = (_int(m.group(k)) for k in ("m", "d"))
    try:
        return dt.date(year, month or 0, day or 0).isoformat()
    except ValueError:
        return None


def _int(s: str) -> int | None:
    return int(s) if s.isdigit() else cn_to_int(s)


# ---- organisations and places ----------------------------------------------------------------------

ORG_SUFFIX = ("委员会", "办公厅", "办公室", "人民政府", "政府", "总局", "管委会", "管理委员会",
              "部", "厅", "局", "委", "署", "院", "办", "中心", "联合会", "协会", "小组")
_ORG = re.compile(rf"^[{HAN}（）()“”]{{2,40}}?({'|'.join(ORG_SUFFIX)})$")
_RED_HEAD = re.compile(rf"^(?P<org>[{HAN}（）() ]{{2,80}}?)\s*文件$")
_NOTICE = re.compile(r"关于(印发|转发|发布|公布|印送)\s*(?:《(?P<inner>.+?)》|(?P<bare>[^《》，。；]+?))\s*"
                     r"(的)?(通知|函|公告|决定)(?(bare)$|)")
_ABOUT = re.compile(r"^(?P<org>.+?)关于")
_COLOPHON = re.compile(rf"^(?P<org>[{HAN}（）() ]{{2,60}}?)\s*(?P<date>{DATE_RE.pattern})\s*(印发|发布|印制)$")

def split_orgs(text: str) -> list[str]:
    """"人力资源社会保障部 国家发展改革委 财政部" → its three organisations (or [] if not orgs)."""
    parts = [p for p in re.split(r"[\s、，,]+", text.strip()) if p]
    return parts if parts and all(_ORG.match(p) for p in parts) else []


def _issuer_name(orgs: list[str]) -> tuple[str, ...]:
    return tuple(orgs)


# ---- the document's regions ------------------------------------------------------------------------

_BODY_START = re.compile(r"^(一\s*[、.．]|第[一二三四五六七八九十]+[章条])")
_TITLE_END = re.compile(r"(规划|方案|意见|办法|细则|纲要|计划|条例|规定|决定|通知|措施|指引|清单|要点|"
                        r"标准|制度|规则|公告|通告|批复|报告|函|指南|目录|章程|准则)"
                        r"([（(][^）)]{1,20}[）)])*$")
_PAREN_LINE = re.compile(r"^[（(][^）)]{1,24}[）)]$")
# The publicity note under the signature (党政机关公文格式 GB/T 9704: 附注), never a title's.
_PUBLICITY = re.compile(r"[（(]\s*此件(?:公开发布|主动公开|不予?公开|依申请公开|删减后公开|"
                        r"不公开发布|公开)\s*[）)]")
_STATUS_DRAFT = re.compile(r"征求意见稿|送审稿|讨论稿|草案|（草稿）|\(草稿\)")
_ANNEX_LINE = re.compile(r"^附\s*件\s*\d{0,2}\s*[:：]?$")
_SENTENCE = re.compile(r"[。；！？]|[，,].*[，,]")


@dataclass(frozen=True)
class TextFacts:
    """What the text says about itself; `evidence` keeps the line each fact was read from."""

    title: str | None = None
    number: str | None = None
    issuer: str | None = None           # the first issuer
    issuers: tuple[str, ...] = ()       # every issuer, in order
    date: str | None = None
    status: str | None = None
    period: str | None = None
    evidence: Mapping[str, str] = field(default_factory=dict)


def read_text_facts(text: str) -> TextFacts:
    physical = [line.text for line in read_lines(text)]
    lines = [line for line in physical if "\t" not in line]
    front = _front(lines)
    tail = lines[-TAIL_LINES:]
    labelled = _labelled(front + tail + _label_cells(physical[:FRONT_LINES]))
    evidence: dict[str, str] = {}
    number = _pick(evidence, "number", labelled.get("number"), _number_from(front + tail))
    # The signing date; a page's 发布日期 is when a website posted it, not a fact of the text.
    date = _pick(evidence, "date", labelled.get("date"), _signature_date(lines, front),
                 _colophon(tail)[1])
    issuer = _issuers(evidence, [labelled.get("issuer"), _notice_issuer(front),
                                 _issuer_lines(front), _red_head(front),
                                 _signature_issuer(lines, front), _colophon(tail)[0]])
    title = _pick(evidence, "title", labelled.get("title"), _notice_title(front),
                  _title_lines(front))
    if title:
        title = (_PUBLICITY.sub("", title[0]).strip(), title[1])
    if title and issuer is None:
        issuer = _pick(evidence, "issuer", _title_issuer(title[0]))
    status_src = " ".join(front[:12]) + (title[0] if title else "")
    status = "draft" if _STATUS_DRAFT.search(status_src) else None
    period = plan_period(title[0]) if title else None
    if period:
        evidence["period"] = title[1]
    issuers = tuple(issuer[0]) if issuer else ()
    return TextFacts(title=_value(title) or None, number=_value(number),
                     issuer=issuers[0] if issuers else None, issuers=issuers,
                     date=_value(date), status=status, period=period, evidence=evidence)


def _issuers(evidence: dict, candidates: list) -> tuple[tuple[str, ...], str] | None:
    """The first place that names the issuers; a later one that names the same bodies and
    more (the signature block of a co-issued notice whose heading shows one), or names
    them in full ("武汉市人民政府办公厅" signing under "市人民政府办公厅关于…"), completes it."""
    found = [c for c in candidates if c and c[0]]
    if not found:
        return None
    best = found[0]
    for other in found[1:]:
        if other[0] != best[0] and len(other[0]) >= len(best[0]) and _in_order(best[0], other[0]):
            best = other
    evidence["issuer"] = best[1]
    return best


def _in_order(few: tuple[str, ...], many: tuple[str, ...]) -> bool:
    """Every body of `few` is in `many`, in the same order, as written or in full."""
    it = iter(many)
    return all(any(y == x or (y.endswith(x) and x[0] in "省市县区") for y in it) for x in few)


def _pick(evidence: dict, key: str, *candidates):
    """The first candidate found; each is (value, evidence line) or None."""
    for c in candidates:
        if c and c[0]:
            evidence[key] = c[1]
            return c
    return None


def _value(c) -> str | None:
    return c[0] if c else None


def _front(lines: list[str]) -> list[str]:
    """The lines before the body: red header, 文号, notice, signature, title, preamble."""
    out = []
    for line in lines[:FRONT_LINES]:
        if _BODY_START.match(line):
            break
        out.append(line)
    return out


LABELS = {"发文字号": "number", "文号": "number", "发文号": "number",
          "发文机关": "issuer", "发布机构": "issuer", "发文单位": "issuer", "发布单位": "issuer",
          "成文日期": "date", "发文日期": "date", "印发日期": "date",
          "发布日期": "published", "公布日期": "published", "发布时间": "published",
          "标题": "title", "名称": "title", "文件名称": "title"}


def _label_cells(lines: list[str]) -> list[str]:
    """A web page's metadata table ("发文字号" | "国办发〔2023〕5号" | …) as "label：value" lines.

    A bare "名称" or "标题" cell is a column header of some table; only with its colon is
    it a label.
    """
    out = []
    for line in lines:
        cells = [c.strip() for c in line.split("\t")] if "\t" in line else []
        for label, value in zip(cells, cells[1:]):
            bare = label.rstrip("：: ")
            if LABELS.get(bare) == "title" and not label.endswith(("：", ":")):
                continue
            if value and _LABEL.match(f"{bare}：{value}") and not _LABEL.match(value):
                out.append(f"{bare}：{value}")
    return out


def _labelled(lines: list[str]) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for line in lines:
        # A header bar pasted without colons ("发布机构 区政府办公室 文号 蔡政办〔2023〕1号")
        # has no "label：" to split on; the page-furniture reader knows its field names.
        for label, value in _fields(line) or field_pairs(line):
            key = LABELS.get(label)
            if key == "number" and NUMBER_RE.search(_fold_digits(value)):
                found.setdefault(key, (normalize_number(value), line))
            elif key in ("date", "published") and parse_date(value):
                found.setdefault(key, (parse_date(value), line))
            elif key == "issuer" and split_orgs(value):
                found.setdefault(key, (_issuer_name(split_orgs(value)), line))
            elif key == "title" and len(_page_fields(line)) == 1:
                found.setdefault(key, (value, line))
    return found


def _page_fields(line: str) -> list[re.Match]:
    return list(_PAGE_FIELD.finditer(line))


def _fields(line: str) -> list[tuple[str, str]]:
    """"文号:武政办〔2022〕41号  成文日期:2022-05-18" → both (label, value) pairs."""
    m = _LABEL.match(line)
    if m is None:
        return []
    marks = _page_fields(line) or [m]
    out = []
    for here, nxt in zip(marks, marks[1:] + [None]):
        value = line[here.end():nxt.start() if nxt else len(line)].strip(" 　[]【】|｜")
        if value:
            out.append((here.group(1) if here.re is _PAGE_FIELD else here.group("label"), value))
    return out


_CRUMB = re.compile(r"^(当前位置|您当前的位置|您的位置|您现在的位置|所在位置)\s*[：:]"
                    r"|^(网站)?首页\s*[>＞»›→/]")


def _is_header_bar(line: str) -> bool:
    """来源：… 发布时间：… 浏览次数：…, or the breadcrumb: a web page's bars over the article."""
    return (len(_page_fields(line)) >= 2 or bool(re.search(r"大\s*中\s*小", line))
            or bool(_CRUMB.match(line)))


def _number_from(lines: list[str]) -> tuple[str, str] | None:
    """A 文号 standing on its own line (under the red header, or in the colophon)."""
    for line in lines:
        if _NUMBER_LINE.match(_fold_digits(line)):
            return normalize_number(line), line
    return None


def _is_date_line(line: str) -> bool:
    bare = re.sub(r"^[（(]|[）)]$", "", line.strip())
    m = DATE_RE.fullmatch(_fold_digits(bare))
    return bool(m) and parse_date(bare) is not None


def _signature_date(lines: list[str], front: list[str]) -> tuple[str, str] | None:
    """成文日期: a line that is only a date, after the notice or after the body."""
    for line in front + lines[len(front):]:
        if _is_date_line(line):
            return parse_date(line), line
    return None


def _colophon(tail: list[str]) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    """The colophon "X  2022年5月5日印发": (issuer, date), each or None."""
    for line in reversed(tail):
        m = _COLOPHON.match(_fold_digits(line))
        if m:
            org = _printing_office_owner(m.group("org").strip())
            issuer = ((org,), line) if org else None
            return issuer, (parse_date(m.group("date")), line)
    return None, None


def _printing_office_owner(org: str) -> str | None:
    """"东莞市人力资源和社会保障局办公室" prints for the bureau: the bureau is the issuer.

    A government's own office (人民政府办公室, 办公厅) issues documents in its own name.
    """
    orgs = split_orgs(org)
    if len(orgs) != 1:
        return None
    m = re.match(r"^(?P<owner>.+(局|厅|委员会|委|部|署))办公室$", orgs[0])
    return m.group("owner") if m else orgs[0]


def _notice_span(front: list[str]) -> tuple[int, str] | None:
    """The notice title ("…关于印发《…》的通知"), joined when broken over lines."""
    for i, line in enumerate(front):
        if "关于" not in line:
            continue
        joined = line
        for nxt in front[i + 1:i + 3]:
            if _NOTICE.search(joined) or _SENTENCE.search(nxt):
                break
            joined += nxt
        if _NOTICE.search(joined) and not _SENTENCE.search(joined.split("关于")[0]):
            return i, joined
    return None


def _notice_title(front: list[str]) -> tuple[str, str] | None:
    span = _notice_span(front)
    if span is None:
        return None
    m = _NOTICE.search(span[1])
    inner = (m.group("inner") or m.group("bare") or "").strip()
    return (inner, span[1]) if inner else None


def _notice_issuer(front: list[str]) -> tuple[str, str] | None:
    span = _notice_span(front)
    if span is None:
        return None
    i, joined = span
    before = joined.split("关于")[0].strip()
    orgs = split_orgs(before)
    if not orgs and not before and i > 0:
        orgs = split_orgs(front[i - 1])       # issuer on the line above the 关于… line
    return (_issuer_name(orgs), joined) if orgs else None


def _red_head(front: list[str]) -> tuple[str, str] | None:
    for line in front[:6]:
        m = _RED_HEAD.match(line)
        if m and split_orgs(m.group("org")):
            return _issuer_name(split_orgs(m.group("org"))), line
    return None


def _signature_issuer(lines: list[str], front: list[str]) -> tuple[tuple[str, ...], str] | None:
    """The organisation(s) signing just above a date line, over one or several lines
    ("A　　B" / "C　　D" under a notice of four bodies)."""
    for i, line in enumerate(lines):
        if not (i and _is_date_line(line)):
            continue
        block, j = [], i - 1
        while j >= 0 and split_orgs(lines[j]) and len(block) < 8:
            block[:0] = split_orgs(lines[j])
            j -= 1
        if block:
            return _issuer_name(block), " / ".join(lines[j + 1:i])
    return None


def _issuer_lines(front: list[str]) -> tuple[tuple[str, ...], str] | None:
    """The issuing bodies printed one or more to a line over the 文号 (联合行文 heads),
    the last of them perhaps the red header's "…文件" line."""
    block: list[str] = []
    lines: list[str] = []
    for i, line in enumerate(front[:12]):
        head = _RED_HEAD.match(line)
        orgs = split_orgs(head.group("org") if head else line)
        if orgs:
            block += orgs
            lines.append(line)
            if head:
                break                   # 文件 closes the red header
        elif block:
            break
        elif i >= 3 or not _is_header_bar(line):
            return None                 # the head must open the text (past a page's crumbs)
    return (_issuer_name(block), " / ".join(lines)) if block else None


def _skip_as_title(line: str) -> bool:
    return bool(_ANNEX_LINE.match(line) or _NUMBER_LINE.match(_fold_digits(line))
                or _PUBLICITY.fullmatch(line.strip()) or _is_header_bar(line)
                or _is_date_line(line) or _RED_HEAD.match(line) or split_orgs(line)
                or line.endswith(("：", ":")) or _LABEL.match(line) or _NOTICE.search(line))


def _title_lines(front: list[str]) -> tuple[str, str] | None:
    """The title line(s): the first short line(s) ending in a document type word.

    A title broken over two or three lines is joined back ("…技工教育" + "高质量发展实施
    方案" + "（公开征求意见稿）").
    """
    for i, line in enumerate(front[:12]):
        if _skip_as_title(line) or _SENTENCE.search(line) or len(line) > 80:
            continue
        title, j = line, i + 1
        while j < len(front) and j < i + 3 and len(title) < 80:
            nxt = front[j]
            if _SENTENCE.search(nxt) or _skip_as_title(nxt) or len(nxt) > 40:
                break
            if _TITLE_END.search(title) and not _PAREN_LINE.match(nxt):
                break
            title, j = title + nxt, j + 1
        if _TITLE_END.search(title):
            return title, title
    return None


def _title_issuer(title: str) -> tuple[str, str] | None:
    """"国务院关于加快发展现代职业教育的决定": the issuer is named before 关于."""
    m = _ABOUT.match(title)
    orgs = split_orgs(m.group("org")) if m else []
    return (_issuer_name(orgs), title) if orgs else None


# ---- the plan period ---------------------------------------------------------------------------------

# "（2021—2025年）", "（2021年—2025年）", a full-width "－" from a PDF.
_PERIOD = re.compile(r"[（(]?\s*((?:19|20)\d{2})\s*年?\s*[—\-–~～至到－]+\s*((?:19|20)\d{2})\s*年")
# "“十四五”" in quotes, or unquoted before 规划 / 时期 / 期间 (a bare "二十五" is a number).
_FIVE_YEAR = re.compile(r"[“\"]([一二三四五六七八九十]{1,3})五[”\"]"
                        r"|(?<![一二三四五六七八九十])([一二三四五六七八九十]{1,3})五(?=规划|时期|期间)")


def plan_period(title: str) -> str | None:
    """"（2023—2025年）" → "2023-2025"; "“十四五”规划" → "2021-2025"."""
    m = _PERIOD.search(_fold_digits(title))
    if m:
        return f"{m.group(1)}-{m.group(2)}"
    m = _FIVE_YEAR.search(title)
    n = cn_to_int(m.group(1) or m.group(2)) if m else None
    if n and n >= 3:
        start = 1966 + 5 * (n - 3)        # the 3rd five-year plan began in 1966
        return f"{start}-{start + 4}"
    return None


# ---- putting it together -------------------------------------------------------------------------------

META_FIELDS = ("title", "number", "issuer", "level", "region", "date", "status", "period")


# What `add` reports on its first line, and the flag that sets each when the text does not.
SUMMARY_FIELDS = (("level", "--level"), ("region", "--region"), ("issuers", "--issuer"),
                  ("number", "--number"), ("date", "--date"))
_SUMMARY_LABEL = {"number": "文号"}


@dataclass(frozen=True)
class InferredMeta:
    meta: DocumentMeta
    sources: Mapping[str, str]       # field → "flag", "text: <line>", "from the issuer", …
    unsettled: Mapping[str, str] = field(default_factory=dict)   # field → why it is open

    def summary(self) -> str:
        """One line: level, region, issuers, 文号 and date as inferred ("—" where open)."""
        parts = []
        for name, _ in SUMMARY_FIELDS:
            value = getattr(self.meta, name)
            if name == "issuers":
                value = "、".join(value) if value else None
            parts.append(f"{_SUMMARY_LABEL.get(name, name)} {value or '—'}")
        return " · ".join(parts)

    def warnings(self) -> list[str]:
        """One line for each summary field the text did not settle, naming its flag."""
        out = []
        for name, flag in SUMMARY_FIELDS:
            if getattr(self.meta, name):
                continue
            label = _SUMMARY_LABEL.get(name, name)
            why = self.unsettled.get(name) or self.unsettled.get(name.rstrip("s"))
            out.append(f"{label} not settled: {why + '; ' if why else ''}pass {flag}")
        return out

    def report(self) -> list[str]:
        out = []
        for name in META_FIELDS[:3] + ("issuers",) + META_FIELDS[3:]:
            value = getattr(self.meta, name)
            if name == "issuers":
                if len(value) < 2:
                    continue
                value = "、".join(value)
            source = self.sources.get(name)
            if value is None:
                out.append(f"{name:7} —   (not found)")
            else:
                out.append(f"{name:7} {value}   ({source or 'default'})")
        return out


def check_given(given: Mapping[str, str | None]) -> dict[str, str]:
    """The flags a user gave, validated and normalised; unknown keys are refused."""
    out: dict[str, str] = {}
    for key, value in given.items():
        if value is None or str(value).strip() == "":
            continue
        if key not in META_FIELDS:
            raise ValueError(f"unknown metadata field: {key}")
        value = str(value).strip()
        if key == "level" and value not in LEVELS:
            raise ValueError(f"--level must be one of {', '.join(LEVELS)}, not {value!r}")
        if key == "date":
            iso = parse_date(value)
            if iso is None:
                raise ValueError(f"--date: not a date: {value!r} (use 2023-03-08 or 2023年3月8日)")
            value = iso
        if key == "number":
            value = normalize_number(value)
        if key == "status" and value not in ("issued", "draft"):
            raise ValueError(f"--status must be issued or draft, not {value!r}")
        out[key] = value
    return out


def infer_metadata(text: str, file: str, given: Mapping[str, str | None] | None = None,
                   fallback_title: str | None = None) -> DocumentMeta:
    """The metadata of a document: the flags given, the rest read from its text."""
    return explain_metadata(text, file, given, fallback_title).meta


def explain_metadata(text: str, file: str, given: Mapping[str, str | None] | None = None,
                     fallback_title: str | None = None) -> InferredMeta:
    flags = check_given(given or {})
    facts = read_text_facts(text)
    values: dict[str, str | None] = {}
    sources: dict[str, str] = {}

    def put(name: str, value: str | None, source: str) -> None:
        if name in values and values[name] is not None:
            return
        values[name] = value
        if value is not None:
            sources[name] = source

    for name, value in flags.items():
        if name not in ("level", "region"):
            put(name, value, "flag")
    for name in ("title", "number", "issuer", "date", "status", "period"):
        value = getattr(facts, name)
        put(name, value, f"text: {facts.evidence.get(name, '')[:60]}".rstrip(": "))
    issuers = _flag_issuers(flags["issuer"]) if "issuer" in flags else facts.issuers
    if issuers:
        values["issuer"] = issuers[0]
        sources["issuers"] = sources.get("issuer", "")
    origin = infer_origin(issuers, values.get("number"), values.get("title"), text, flags)
    for key in ("level", "region"):
        values[key] = getattr(origin, key)
        if key in origin.sources:
            sources[key] = origin.sources[key]
    unsettled = dict(origin.unsettled)
    if not values.get("title"):
        put("title", fallback_title or Path(file).stem, "file name")
        values["title"] = fallback_title or Path(file).stem
    meta = DocumentMeta(file=file, title=values["title"], number=values.get("number"),
                        issuer=values.get("issuer"), level=values.get("level"),
                        region=values.get("region"), date=values.get("date"),
                        status=values.get("status") or "issued", period=values.get("period"),
                        issuers=tuple(issuers), unsettled=tuple(unsettled.items()))
    return InferredMeta(meta, sources, unsettled)


def _flag_issuers(value: str) -> tuple[str, ...]:
    """--issuer "A、B": the bodies of a co-issued document, in the order given."""
    return tuple(p for p in re.split(r"[、，,；;\s]+", value) if p)
