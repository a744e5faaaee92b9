"""How the pages say things to a person, in Chinese: a query as the search understood it,
the filters in force, a document's name, a target with its comparator.

The API keeps the machine forms (`level:municipal`, file names, ">="); these functions are
what the templates show instead, so an official never reads a file name or an English
filter name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from indexer.query import Clause, Filter, parse
from web.views import KIND_LABELS, LEVEL_LABELS

FILTER_LABELS = {"level": "层级", "doc": "文件", "dept": "部门", "kind": "类型", "year": "年份",
                 "issuer": "发文机关", "date": "日期"}
COMPARATORS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "", "~": "约"}

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
