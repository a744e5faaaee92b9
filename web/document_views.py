"""What the document pages show: the document list and the home page's counts, a
document with its outline, citations and responsibility matrix, and its coverage of the
plans above it.

Separate from the other page families because a document's state (现行 / 已到期), its
coverage and its matrix are read only here (and by the tables made from them); routes stay
thin: the API returns these dicts and the pages render the same ones.
"""
from __future__ import annotations

import functools
import re
from collections import defaultdict
from datetime import date
from typing import Iterable, Mapping, Sequence

from policykg.corpus.vocabulary import LEVEL_ORDER
from policykg.pipeline.coverage import coverage_summary, document_coverage
from policykg.pipeline.generation import Generation
from policykg.web.lookups import NotFound, PageLookups, Paging, lookups, provision_ref


DOCUMENT_SORTS = ("level", "date")       # the document list's orders; the first is the default
# A document's standing on the day it is shown (document_state).
STATE_LABELS = {"draft": "征求意见稿", "current": "现行", "expired": "已到期", "issued": "已印发"}
_LAST_YEAR = re.compile(r"((?:19|20)\d{2})\D*$")


def period_end(period: str | None) -> int | None:
    """The last year of a plan period ("2021-2025" → 2025), None when there is none."""
    m = _LAST_YEAR.search(period or "")
    return int(m.group(1)) if m else None


def document_state(doc: Mapping, today: date) -> str:
    """draft (征求意见稿) whatever its period; else, for a plan with a period, current (现行)
    until the period's last year has passed and expired (已到期) after it; else the status
    as read (issued).  Worked out when shown, never stored: the same build reads 现行 on
    31 December and 已到期 the next day."""
    if doc.get("status") == "draft":
        return "draft"
    end = period_end(doc.get("period"))
    if end is None:
        return "issued"
    return "expired" if end < today.year else "current"


def documents(gen: Generation, sort: str | None = None, today: date | None = None) -> list[dict]:
    """Every document with its state, by level (national first, the newest first within a
    level) or with `sort="date"` the newest first; undated documents come last.  An unknown
    `sort` is the default.  (Keyword arguments, so a paging argument can join them.)"""
    return list(_documents(gen, "date" if sort == "date" else "level", today or date.today()))


@functools.lru_cache(maxsize=8)
def _documents(gen: Generation, sort: str, today: date) -> tuple[dict, ...]:
    # Made once per generation, order and day (the home page and the list ask every time).
    rows = sorted(({**d, "state": document_state(d, today)} for d in gen.documents),
                  key=lambda d: d["doc"])
    rows.sort(key=lambda d: d.get("date") or "", reverse=True)     # stable: ties keep file order
    if sort != "date":
        rows.sort(key=lambda d: LEVEL_ORDER.get(d.get("level"), 9))
    return tuple(rows)


def document_list(gen: Generation, paging: Paging, sort: str | None = None,
                  level: str | None = None, today: date | None = None) -> dict:
    """A page of the document list in `documents`' order, optionally of one level (at a
    few thousand documents the whole list is most of a megabyte)."""
    sort = sort if sort in DOCUMENT_SORTS else DOCUMENT_SORTS[0]
    rows = documents(gen, sort=sort, today=today)
    if level:
        rows = [d for d in rows if d.get("level") == level]
    return {"documents": paging.slice(rows), "sort": sort, "level": level or "",
            **paging.totals(len(rows))}


HOME_LATEST = 10          # the newest documents the home page names


def home(gen: Generation, today: date | None = None) -> dict:
    """What the home page says of the documents: how many at each level and in each
    state, and the newest few (the list pages the rest)."""
    rows = documents(gen, sort="date", today=today)
    levels: dict[str | None, int] = defaultdict(int)
    states: dict[str, int] = defaultdict(int)
    for d in rows:
        levels[d.get("level")] += 1
        states[d["state"]] += 1
    return {"total": len(rows), "latest": rows[:HOME_LATEST],
            "levels": [{"level": lv, "count": levels[lv]}
                       for lv in sorted(levels, key=lambda lv: LEVEL_ORDER.get(lv or "", 9))],
            "states": {st: states[st] for st in STATE_LABELS if states[st]}}


def _outline(p: dict, children: dict[str | None, list[dict]]) -> dict:
    return {"id": p["id"], "kind": p["kind"], "number": p["number"], "heading": p["heading"],
            "children": [_outline(c, children) for c in children.get(p["id"], [])]}


def document(gen: Generation, ref: str, today: date | None = None) -> dict:
    """A document with its outline, citations, responsibility matrix and its coverage of
    every higher plan, every list of every plan whole (hundreds of kilobytes for a plan
    below 26 others: the API and the page give `document_page`)."""
    v, cat = _document(gen, ref, today)
    v["coverage"] = document_coverage(cat.db, cat.docs, v["document"]["doc"])
    return v


def document_page(gen: Generation, ref: str, plan: str | None = None,
                  paging: Paging | None = None, today: date | None = None) -> dict:
    """`document` as its page and `GET /api/documents/<id>` give it: every higher plan
    with its counts (taken up, not taken up, counted, ratio), and the chapters and lists
    of one — `plan` (key or file name), else the nearest; `"detailed": True`
    (coverage_summary).  `paging` cuts that plan's `taken_up` and `not_taken_up` to one
    page each (the API; `page`, `size` and `pages` beside them); the page shows the
    first COVERAGE_SHOWN of each and the 落实对照表 download has every one."""
    v, cat = _document(gen, ref, today)
    coverage = _coverage(gen, v["document"]["doc"], plan)
    v["coverage"] = coverage if paging is None else [
        _coverage_page(c, paging) if c["detailed"] else c for c in coverage]
    return v


def _coverage_page(plan: dict, paging: Paging) -> dict:
    longest = max(len(plan["taken_up"]), len(plan["not_taken_up"]))
    return {**plan, "taken_up": paging.slice(plan["taken_up"]),
            "not_taken_up": paging.slice(plan["not_taken_up"]), "page": paging.page,
            "size": paging.size, "pages": max(1, -(-longest // paging.size))}


@functools.lru_cache(maxsize=64)
def _coverage(gen: Generation, doc: str, plan: str | None) -> tuple[dict, ...]:
    """coverage_summary once per generation, document and plan asked for (it never
    changes within a generation; a page and its API ask for the same)."""
    cat = lookups(gen)
    return tuple(coverage_summary(cat.db, cat.docs, doc, plan))


def _document(gen: Generation, ref: str, today: date | None) -> tuple[dict, PageLookups]:
    cat = lookups(gen)
    doc = cat.document(ref)
    if doc is None:
        raise NotFound(f"没有文件“{ref}”")
    doc = {**doc, "state": document_state(doc, today or date.today())}
    return {"document": doc, **_document_parts(gen, doc["doc"])}, cat


@functools.lru_cache(maxsize=64)
def _document_parts(gen: Generation, doc: str) -> dict:
    """A document's outline, citations and responsibility matrix: the same for every
    request on a generation, so made once per generation and document (the last 64 asked
    for).  Shared between requests: read, never changed."""
    cat = lookups(gen)
    rows = cat.db.outline_rows(doc)      # read once: the outline and the matrix's refs
    children: dict[str | None, list[dict]] = defaultdict(list)
    for p in rows:
        children[p["parent"]].append(p)
    return {"outline": [_outline(r, children) for r in children.get(None, [])],
            "cites": cat.db.citations_of(doc), "cited_by": cat.db.citations_to(doc),
            "matrix": responsibility_matrix(gen, doc, rows)}


# Higher provisions the document page lists as taken up, and as not, of the higher plan
# it opens (the first, in the plan's order; the 落实对照表 download and the API have every
# one, and the other plans are one click away).
COVERAGE_SHOWN = 20


def coverage_lists(plan: Mapping, shown: int = COVERAGE_SHOWN) -> dict:
    """One higher plan's taken-up and not-taken-up provisions (document_coverage), the
    first `shown` of each, grouped by the plan's chapters in their order: [(chapter,
    entries)] — grouped once here, not by scanning every entry per chapter."""
    def grouped(entries: Sequence[Mapping]) -> list[tuple[dict, list]]:
        by_chapter: dict[str | None, list] = defaultdict(list)
        for e in entries[:shown]:
            by_chapter[e["chapter"]].append(e)
        return [(ch, by_chapter[ch["id"]]) for ch in plan["chapters"] if by_chapter[ch["id"]]]
    return {"taken_up": grouped(plan["taken_up"]), "not_taken_up": grouped(plan["not_taken_up"])}


def responsibility_matrix(gen: Generation, doc: str,
                          outline: Iterable[dict] | None = None) -> dict:
    """Departments × tasks of one document, each cell 牵头 / 参与; a task once (the
    catalog's document_tasks: a task-table row restating a body provision is its evidence).
    `outline`: the document's outline_rows when the caller has read them already."""
    cat = lookups(gen)
    tasks, columns = [], {}
    refs = {p["id"]: p for p in (cat.db.outline_rows(doc) if outline is None else outline)}
    found = [(pid, (facts or {}).get("departments") or {"lead": [], "participants": []})
             for pid, facts in cat.db.document_tasks(doc)]
    # every department named in the document, looked up in one query (not two per name)
    dept = cat.dept_refs(n for _, d in found for n in (*d["lead"], *d["participants"]))
    for pid, depts in found:
        if not depts["lead"] and not depts["participants"]:
            continue
        cells = {}
        for role, names in (("lead", depts["lead"]), ("participant", depts["participants"])):
            for name in names:
                ref = dept[name]
                key = ref["id"] or name
                columns.setdefault(key, ref)
                cells[key] = role
        tasks.append({"provision": provision_ref(cat, pid, refs), "cells": cells})
    ordered = sorted(columns.values(), key=lambda r: (-sum(
        1 for t in tasks if t["cells"].get(r["id"] or r["name"]) == "lead"), r["name"]))
    return {"departments": ordered, "tasks": tasks, "by_level": _matrix_by_level(ordered, tasks)}


def _matrix_by_level(departments: list[dict], tasks: list[dict]) -> list[dict]:
    """The matrix read the other way: one row per department, grouped by level, with the
    tasks it leads and takes part in — legible at 29 departments, where a column per
    department is not."""
    rows: dict[str | None, list[dict]] = defaultdict(list)
    for d in departments:
        key = d["id"] or d["name"]
        lead = [t["provision"] for t in tasks if t["cells"].get(key) == "lead"]
        part = [t["provision"] for t in tasks if t["cells"].get(key) == "participant"]
        rows[d["level"]].append({**d, "lead": lead, "participant": part,
                                 "lead_count": len(lead), "participant_count": len(part)})
    return [{"level": lv, "departments": sorted(
                rows[lv], key=lambda r: (-r["lead_count"], -r["participant_count"], r["name"]))}
            for lv in sorted(rows, key=lambda lv: LEVEL_ORDER.get(lv or "", 9))]
