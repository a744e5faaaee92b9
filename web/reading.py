"""How the pages say things to a person, in Chinese: a query as the search understood it,
the filters in force, a document's name, a target with its comparator.

The API keeps the machine forms (`level:municipal`, file names, ">="); these functions are
what the templates show instead, so an official never reads a file name or an English
filter name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping

from policykg.corpus.vocabulary import KIND_LABELS, LEVEL_LABELS
from policykg.indexer.query import Clause, parse
from policykg.web.document_views import STATE_LABELS, period_end

FILTER_LABELS = {"level": "层级", "doc": "文件", "dept": "部门", "kind": "类型", "year": "年份",
                 "issuer": "发文机关", "date": "发文年份"}
COMPARATORS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "", "~": "约"}
# A lower level's target against the higher level's (ontology.target_alignment.compare);
# counts ("n/a") grow with the place and are only set side by side.
VERDICTS = {"below": "低于上级", "equal": "与上级持平", "above": "高于上级", "n/a": "并列，不比较高低"}
NOT_COMPARED_NOTE = ("所、人、人次等数量随辖区规模而异，上下级只并列列出，不比较高低；"
                     "比例、比率、人均等指标才比较。")

DocTitle = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Chip:
    """One filter in force on a search page, and the address without it."""

    key: str
    value: str
    label: str


def value_label(name: str, value: str, doc_title: DocTitle) -> str:
    """A filter value as a person names it: 市级 for municipal, a document's title for its
    file name; what the tables do not know stays as it was typed."""
    if name == "level":
        return LEVEL_LABELS.get(value, value)
    if name == "kind":
        return KIND_LABELS.get(value, value)
    if name == "doc":
        return doc_title(value) or value
    return value


def filter_label(name: str, values: tuple[str, ...] | list[str], doc_title: DocTitle,
                 negated: bool = False) -> str:
    shown = "、".join(value_label(name, v, doc_title) for v in values)
    return f"{'排除' if negated else ''}{FILTER_LABELS.get(name, name)}：{shown}"


def _clause(c: Clause) -> str:
    words = " 或 ".join(f"“{t.text}”" if t.phrase else t.text for t in c.terms)
    return f"不含 {words}" if c.negated else words


def interpreted(text: str, doc_title: DocTitle) -> str:
    """The search's reading of a query (`SearchResult.interpreted`, the query language
    normalised) said in Chinese: 层级：市级 · 就业率."""
    q = parse(text)
    parts = (["全部条款"] if q.match_all else []) + [_clause(c) for c in q.clauses]
    parts += [filter_label(f.name, f.values, doc_title, f.negated) for f in q.filters]
    return " · ".join(parts)


def chips(args: Mapping[str, list[str]], names: tuple[str, ...], doc_title: DocTitle) -> list[Chip]:
    """The filters a search page carries in its address (a facet clicked), each shown."""
    return [Chip(name, value, filter_label(name, [value], doc_title))
            for name in names for value in args.get(name, []) if value]


def target_text(target: Mapping, unit: str | None) -> str:
    """≥55 %: the value with its comparator and unit, as the plan states it."""
    sign = COMPARATORS.get(target.get("comparator") or "=", "")
    value = target.get("value")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{sign}{value}{' ' + unit if unit else ''}"


def doc_name(doc: Mapping | None, number: bool = True) -> str:
    """A document as an official names it: its title, and its 文号 when it has one."""
    if not doc:
        return "（未知文件）"
    title = doc.get("title") or "（无标题文件）"
    return f"{title}（{doc['number']}）" if number and doc.get("number") else title


def chart_rows(targets: list[Mapping]) -> list[dict]:
    """An indicator's targets as the chart draws them: a bar per target named by level and
    place (or the document's title), its value, and the label and tooltip as the plan
    states it (≥55 %, not 55)."""
    out = []
    for t in targets:
        place = t.get("region") or t.get("doc_title") or ""
        year = (t.get("target") or {}).get("year")
        out.append({"name": f"{LEVEL_LABELS.get(t.get('level') or '', '')} {place}".strip(),
                    "level": t.get("level"), "value": t["target"]["value"],
                    "display": target_text(t["target"], t.get("unit")),
                    "title": t.get("doc_title") or "", "year": year,
                    "unit": t.get("unit") or ""})
    return out


def citation(title: str | None, numbers: list[str], heading: str = "") -> str:
    """How an official cites a provision: 《东莞市…实施方案》三（三）2. — the document's
    title in 《》 and the provision's markers from the chapter down, as printed (the
    chapter's 、 dropped, half-width brackets made full-width, a space before a number
    that follows a 专栏 or 附件 number).  A provision without
    markers (a preamble paragraph) is named by its heading instead."""
    marks = [n.strip().rstrip("、").replace("(", "（").replace(")", "）")
             for n in numbers if n and n.strip()]
    where = ""
    for mark in marks:     # 专栏7 then row 1.: a space, or they read as 专栏71.
        gap = " " if where and where[-1] not in "）." and mark[0].isdigit() else ""
        where += gap + mark
    where = where or (f"“{heading}”" if heading else "")
    return f"《{title or '（无标题文件）'}》{where}"


# ---- a document's period, state and what its text left open -------------------------------------

_DIGITS = "零一二三四五六七八九"


def _numeral(n: int) -> str:
    """14 → 十四, 20 → 二十 (the plans' numbers, 1-99)."""
    tens, ones = divmod(n, 10)
    return ((_DIGITS[tens] if tens > 1 else "") + ("十" if tens else "")
            + (_DIGITS[ones] if ones or not tens else ""))


def period_text(period: str | None) -> str:
    """"2021-2025" → 2021—2025年（“十四五”时期）: the years as plans print them, and the
    five-year plan they are when they are one (the 3rd began in 1966, one every five
    years since)."""
    m = re.match(r"\s*((?:19|20)\d{2})\D+((?:19|20)\d{2})", period or "")
    if not m:
        return period or ""
    start, end = int(m.group(1)), int(m.group(2))
    text = f"{start}—{end}年"
    if start >= 1966 and (start - 1966) % 5 == 0 and end == start + 4:
        text += f"（“{_numeral((start - 1966) // 5 + 3)}五”时期）"
    return text


def state_label(state: str | None) -> str:
    return STATE_LABELS.get(state or "", "")


def state_title(doc: Mapping) -> str:
    """Why a document reads as it does, for the badge's tooltip."""
    state, end = doc.get("state"), period_end(doc.get("period"))
    if state == "draft":
        return "公开征求意见的稿本，尚未正式印发"
    if state in ("current", "expired") and end:
        return f"规划期至 {end} 年底" + ("，已结束" if state == "expired" else "")
    return "文中未写明规划期"


# What the metadata could not settle (DocumentMeta.unsettled: field → why, written by
# corpus.origin for the command line in English), said to an official: the field, the
# reason in Chinese, and where to give it.  The reasons' shapes are corpus.origin's notes;
# one it does not know is named only as unsettled (its words stay in the API and on the
# 技术信息 line).
UNSETTLED_FIELDS = {"level": ("层级", "层级"), "region": ("地区", "地区"),
                    "number": ("文号", "文号"), "date": ("日期", "发文日期"),
                    "issuer": ("发文机关", "发文机关"), "issuers": ("发文机关", "发文机关")}
_REASONS = (
    (re.compile(r"^(.+?) is ambiguous \((.+)\)$"), "“{0}”可指多地（{1}）"),
    (re.compile(r"^(.+?) is not in the gazetteer$"), "“{0}”不在行政区划表中"),
    (re.compile(r"^(.+?) names no place$"), "“{0}”未写明地名"),
    (re.compile(r"^the 文号 prefix (.+?) names no single place(?: in (.+))?$"),
     "文号代字“{0}”对应不止一地或无对应"),
    (re.compile(r"^the body says 本(.+?) but names no single such place$"),
     "正文称“本{0}”，但未写明是哪个{0}"),
    (re.compile(r"^no issuer, 文号, title or self-reference in the body names a place$"),
     "发文机关、文号、标题和正文都未写明地区"),
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _reason(why: str) -> str:
    parts = []
    for one in (p.strip() for p in why.split(";") if p.strip()):
        for pattern, text in _REASONS:
            m = pattern.match(one)
            if m:
                parts.append(text.format(*m.groups()))
                break
        else:
            if _CJK.search(one) and not re.search(r"[A-Za-z]{3,}", one):
                parts.append(one)      # already said in Chinese
    return "；".join(dict.fromkeys(parts))


def unsettled_notes(unsettled: Mapping[str, str] | None) -> list[str]:
    """层级未能确定：“X”不在行政区划表中。上传时可注明层级。 — one line a field."""
    out = []
    for name, why in (unsettled or {}).items():
        label, form = UNSETTLED_FIELDS.get(name, (name, name))
        reason = _reason(why or "")
        out.append(f"{label}未能确定{'：' + reason if reason else ''}。"
                   f"上传时可注明{form}（命令行 --{'issuer' if name == 'issuers' else name}）。")
    return out
