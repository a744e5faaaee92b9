"""What the API and the pages show, assembled from a built generation.

Routes stay thin: each JSON endpoint returns one of these dicts, each HTML page renders
the same dict, so the two can never disagree.  Everything here reads the generation's
catalog (pipeline.catalog: provisions, facts, export rows, looked up in SQLite per request,
not held in each worker's memory); nothing writes.
"""
from __future__ import annotations

import difflib
import functools
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Mapping, Sequence

from policykg.corpus.script import simplify_query
from policykg.corpus.text import squash
from policykg.pipeline.coverage import coverage_summary, document_coverage
from policykg.pipeline.generation import Generation
from policykg.ontology.indicators import matcher as indicator_matcher
from policykg.ontology.target_alignment import compare as compare_targets, comparison_basis
from policykg.corpus.vocabulary import LEVEL_LABELS, LEVEL_ORDER

ROLE_LABELS = {"lead": "牵头", "participant": "参与"}
# The graph view's kinds of node and the names its legend shows them by.
CATEGORY_LABELS = {"provision": "条款", "department": "部门", "aligned": "上下级对应条款",
                   "indicator": "指标"}


class NotFound(LookupError):
    """No such document, provision, department or indicator in this generation."""


# ---- lookups cached per generation ------------------------------------------------------------

class PageLookups:
    """What the pages look up in one generation: its SQLite catalog (pipeline.catalog:
    provisions, facts, export rows, looked up per request rather than held in memory)
    and its documents by file name."""

    def __init__(self, gen: Generation):
        self.gen = gen
        self.db = gen.catalog
        self.docs = {d["doc"]: d for d in gen.documents}
        # Generation.document's three names of a document, looked up rather than scanned
        # (the first document carrying a name keeps it, as the scan finds it first).
        self._names: dict[str, dict] = {}
        for d in gen.documents:
            for name in (d["doc"], d["key"], d["doc"].rsplit(".", 1)[0]):
                self._names.setdefault(name, d)

    def document(self, ref: str) -> dict | None:
        """A document by its file name, key or file stem (Generation.document)."""
        return self._names.get(ref)

    def has_department(self, did: str) -> bool:
        return self.db.department_head(did) is not None

    def dept_ref(self, name: str) -> dict:
        did = self.db.department_id(name)
        d = self.db.department_head(did) if did else None
        return {"id": did, "name": d["name"] if d else name,
                "level": d["level"] if d else None}

    def dept_refs(self, names: Iterable[str]) -> dict[str, dict]:
        """dept_ref of many names, looked up together (a matrix names dozens)."""
        names = set(names)
        found = self.db.department_refs(names)
        return {n: found.get(n) or {"id": None, "name": n, "level": None} for n in names}


@functools.lru_cache(maxsize=2)
def lookups(gen: Generation) -> PageLookups:
    """The generation's lookups, made once per generation (the current and the previous
    one while requests on it finish)."""
    return PageLookups(gen)


def warm(gen: Generation) -> None:
    """Make what the list pages read once per generation — the document lists, the
    departments, the indicators' counts, the alignment's roots (~2 s of CPU at 2,000
    documents) — before a worker serves: otherwise its first requests each make them at
    once (lru_cache does not wait for a computation under way)."""
    documents(gen)
    documents(gen, sort="date")
    _department_haystacks(gen)
    _indicator_summaries(gen)
    _alignment_roots(gen)


# ---- small pieces ---------------------------------------------------------------------------------

def provision_ref(cat: PageLookups, pid: str, refs: dict[str, dict] | None = None) -> dict:
    """A link to a provision; `refs` are the provisions' refs fetched beforehand (one
    query for a page's many links), else it is looked up."""
    p = refs.get(pid) if refs is not None else cat.db.ref(pid)
    if p is None:
        return {"id": pid, "heading": pid, "missing": True}
    doc = cat.docs.get(p["doc"], {})
    return {"id": pid, "doc": p["doc"], "doc_title": doc.get("title"), "level": p["level"],
            "kind": p["kind"], "number": p["number"], "heading": p["heading"]}


def breadcrumb(cat: PageLookups, pid: str) -> list[dict]:
    trail, cur = [], cat.db.ref(pid)
    while cur is not None:
        trail.append({"id": cur["id"], "number": cur["number"], "heading": cur["heading"],
                      "kind": cur["kind"]})
        cur = cat.db.ref(cur["parent"]) if cur["parent"] else None
    return list(reversed(trail))


def shared_runs(a: str, b: str, min_len: int = 6) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Both texts cut into (piece, shared) runs: what the two provisions say alike."""
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    marks_a, marks_b = [False] * len(a), [False] * len(b)
    for block in matcher.get_matching_blocks():
        if block.size >= min_len:
            for i in range(block.size):
                marks_a[block.a + i] = marks_b[block.b + i] = True
    return _runs(a, marks_a), _runs(b, marks_b)


def _runs(text: str, marks: list[bool]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for ch, m in zip(text, marks):
        if out and out[-1][1] == m:
            out[-1] = (out[-1][0] + ch, m)
        else:
            out.append((ch, m))
    return out


# ---- documents --------------------------------------------------------------------------------

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


# ---- provisions -------------------------------------------------------------------------------

def provision(gen: Generation, pid: str) -> dict:
    cat = lookups(gen)
    p = cat.db.provision(pid)
    if p is None:
        raise NotFound(f"没有条款“{pid}”")
    facts = gen.provision_facts(pid)
    depts = facts["departments"]
    doc = cat.docs.get(p["doc"], {})
    kids = cat.db.children(pid)
    up, down = cat.db.aligned_up(pid), cat.db.aligned_down(pid)
    refs = cat.db.refs([*kids, *(a["higher"] for a in up), *(a["lower"] for a in down)])
    return {
        "provision": {k: p[k] for k in ("id", "uri", "doc", "level", "kind", "number",
                                        "heading", "text", "parent", "path", "start", "end")},
        "document": {k: doc.get(k) for k in ("doc", "key", "title", "number", "level", "region")},
        "breadcrumb": breadcrumb(cat, pid),
        "children": [provision_ref(cat, c, refs) for c in kids],
        "departments": {"lead": [cat.dept_ref(n) for n in depts["lead"]],
                        "participants": [cat.dept_ref(n) for n in depts["participants"]]},
        "mentions": [cat.dept_ref(n) for n in facts.get("mentions", [])],
        "targets": facts["targets"],
        "cites": facts["cites"],
        "cited_by": cat.db.citations_to(p["doc"]) if p["parent"] is None else [],
        "higher": [_link(cat, a, a["higher"], refs) for a in
                   sorted(up, key=lambda a: -a["score"])],
        "lower": [_link(cat, a, a["lower"], refs) for a in
                  sorted(down, key=lambda a: -a["score"])],
    }


def _link(cat: PageLookups, a: dict, other: str, refs: dict[str, dict]) -> dict:
    return {**provision_ref(cat, other, refs), "score": a["score"], "kind": a["kind"],
            "evidence": a.get("evidence")}


def compare(gen: Generation, higher: str, lower: str) -> dict:
    """Two aligned provisions side by side, the text they share marked in both."""
    cat = lookups(gen)
    hi, lo = cat.db.provision(higher), cat.db.provision(lower)
    if hi is None or lo is None:
        raise NotFound("找不到要对照的条款")
    link = next((a for a in cat.db.aligned_up(lower) if a["higher"] == higher), None)
    runs_hi, runs_lo = shared_runs(hi["text"], lo["text"])
    return {"higher": provision_ref(cat, higher), "lower": provision_ref(cat, lower),
            "link": link, "higher_runs": runs_hi, "lower_runs": runs_lo}


# ---- departments ------------------------------------------------------------------------------

def departments(gen: Generation) -> list[dict]:
    """Every department with its counts, by level, the busiest first."""
    return list(_department_rows(gen))


@functools.lru_cache(maxsize=2)
def _department_rows(gen: Generation) -> tuple[dict, ...]:
    # The counts are columns of the catalog: the list never reads the departments' tasks.
    # Sorted once per generation; a page filters and slices this (8,000 rows at 2,000
    # documents: a few milliseconds, where SQL LIKE would scan the table all the same).
    rows = lookups(gen).db.department_summaries()
    return tuple(sorted(rows, key=lambda r: (LEVEL_ORDER.get(r["level"], 9),
                                             -r["lead"] - r["participant"], r["name"])))


@functools.lru_cache(maxsize=2)
def _department_haystacks(gen: Generation) -> tuple[str, ...]:
    """Each listed department's name, short names and region in one string, in
    _department_rows' order: what the filter box looks in."""
    names = lookups(gen).db.department_names()
    return tuple(" ".join([r["name"], *names.get(r["id"], ()), r["region"] or ""])
                 for r in _department_rows(gen))


DEPARTMENT_FILTERS = ("q", "level", "region")
REGIONS_SHOWN = 30        # regions the department list's facet names


def department_list(gen: Generation, paging: Paging, q: str | None = None,
                    level: str | None = None, region: str | None = None) -> dict:
    """A page of the departments (busiest first within a level) whose name, short name or
    region holds every word of `q` (traditional characters read as simplified), of
    `level` and `region` when given; with the counts by level and by region of those `q`
    keeps (the facets), so the page says how many there are without listing them."""
    terms = tuple(simplify_query((q or "").strip()).split())
    rows, levels, regions = _departments_kept(gen, terms, level or None, region or None)
    return {"departments": paging.slice(rows), "q": q or "", "level": level or "",
            "region": region or "",
            "levels": [{"level": lv, "count": levels[lv]}
                       for lv in sorted(levels, key=lambda lv: LEVEL_ORDER.get(lv or "", 9))],
            "regions": _top_regions(regions, region), "region_count": len(regions),
            **paging.totals(len(rows))}


@functools.lru_cache(maxsize=64)
def _departments_kept(gen: Generation, terms: tuple[str, ...], level: str | None,
                      region: str | None) -> tuple[tuple[dict, ...], dict, dict]:
    """The departments a filter keeps and its facet counts, once per filter (paging
    through a list asks the same filter again)."""
    rows = [r for r, hay in zip(_department_rows(gen), _department_haystacks(gen))
            if all(t in hay for t in terms)] if terms else _department_rows(gen)
    levels: dict[str | None, int] = defaultdict(int)
    regions: dict[str, int] = defaultdict(int)
    for r in rows:
        if not region or r["region"] == region:
            levels[r["level"]] += 1
        if not level or r["level"] == level:
            regions[r["region"] or ""] += 1
    kept = tuple(r for r in rows if (not level or r["level"] == level)
                 and (not region or (r["region"] or "") == region))
    return kept, dict(levels), dict(regions)


def _top_regions(regions: Mapping[str, int], chosen: str | None) -> list[dict]:
    """The regions with the most departments (there are hundreds at 2,000 documents),
    and the one chosen."""
    top = sorted(regions.items(), key=lambda kv: (-kv[1], kv[0]))[:REGIONS_SHOWN]
    if chosen and chosen in regions and all(rg != chosen for rg, _ in top):
        top.append((chosen, regions[chosen]))
    return [{"region": rg, "count": n} for rg, n in top]


MENTIONS_SHOWN = 20       # provisions that name a department without a role, on its page


def department(gen: Generation, did: str, paging: Paging | None = None,
               doc: str | None = None) -> dict:
    """A department, its line, and its tasks grouped by document (national documents
    first).  With `paging`, a page of the tasks (each group says how many tasks the
    department has in that document: a ministry has thousands at a few thousand
    documents), `doc` keeps one document's, and the mentions are the first
    MENTIONS_SHOWN (`mention_count` says how many); without, every task and mention
    (the exports, the graph view)."""
    cat = lookups(gen)
    d = cat.db.department(did) or cat.db.department(cat.db.department_id(did) or "")
    if d is None:
        raise NotFound(f"没有部门“{did}”")
    only = (gen.document(doc) or {"doc": doc})["doc"] if doc else None
    tasks = [t for t in d.get("tasks", []) if only is None or t["doc"] == only]
    # by document: national documents first, then by file name; a document's tasks in order
    tasks.sort(key=lambda t: (LEVEL_ORDER.get(cat.docs.get(t["doc"], {}).get("level"), 9),
                              t["doc"]))
    per_doc: dict[str, dict[str, int]] = defaultdict(lambda: {"lead": 0, "participant": 0})
    for t in tasks:
        per_doc[t["doc"]]["lead" if t["role"] == "lead" else "participant"] += 1
    shown = paging.slice(tasks) if paging else tasks
    mentions = d.get("mentions", [])
    mentions_shown = mentions[:MENTIONS_SHOWN] if paging else mentions
    refs = cat.db.refs([*(t["provision"] for t in shown), *mentions_shown])
    by_doc: dict[str, list] = defaultdict(list)
    for t in shown:
        by_doc[t["doc"]].append({**provision_ref(cat, t["provision"], refs), "role": t["role"],
                                 "written": t.get("written")})
    groups = [{"document": cat.docs.get(doc_, {"doc": doc_}), "tasks": rows,
               "count": sum(per_doc[doc_].values()), **per_doc[doc_]}
              for doc_, rows in by_doc.items()]
    out = {"department": {k: d.get(k) for k in ("id", "uri", "name", "aliases", "level",
                                                 "region", "kind", "sector", "parent",
                                                 "parent_name")},
           "up": _line_up(cat, d), "down": _line_down(cat, d["id"], 1 if paging else None),
           "tasks": groups, "task_count": len(tasks), "document_count": len(per_doc),
           "lead_count": sum(c["lead"] for c in per_doc.values()),
           "participant_count": sum(c["participant"] for c in per_doc.values()),
           "doc": only or "",
           "mentions": [provision_ref(cat, m, refs) for m in mentions_shown],
           "mention_count": len(mentions)}
    return {**out, **paging.totals(len(tasks))} if paging else out


def _line_up(cat: PageLookups, d: dict) -> list[dict]:
    line, cur, seen = [], d.get("superior"), set()
    while cur and cur not in seen and (sup := cat.db.department_head(cur)) is not None:
        seen.add(cur)
        line.append({"id": cur, "name": sup["name"], "level": sup["level"]})
        cur = sup.get("superior")
    if not line and d.get("line"):      # a line named in the text but not itself a party
        line = [cat.dept_ref(n) for n in d["line"]]
    return line


def _line_down(cat: PageLookups, did: str, depth: int | None = None) -> list[dict]:
    """The departments below `did` in its line, each with those below it (`below`), to
    `depth` levels (None: all); past it, `below` is empty and `below_count` says how many
    there are (a ministry has hundreds of departments below it at 2,000 documents)."""
    heads = [cat.db.department_head(s) for s in cat.db.subordinates(did)]
    if depth is not None and depth <= 1:
        return [{"id": h["id"], "name": h["name"], "level": h["level"], "below": [],
                 "below_count": len(cat.db.subordinates(h["id"]))} for h in heads]
    return [{"id": h["id"], "name": h["name"], "level": h["level"],
             "below": _line_down(cat, h["id"], None if depth is None else depth - 1)}
            for h in heads]


# ---- paging ------------------------------------------------------------------------------------

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Paging:
    """Which page of a long list to show (1-based); the routes check the numbers."""

    page: int = 1
    size: int = PAGE_SIZE

    def slice(self, items: Sequence) -> list:
        start = (self.page - 1) * self.size
        return list(items[start:start + self.size])

    def totals(self, total: int) -> dict:
        return {"total": total, "page": self.page, "size": self.size,
                "pages": max(1, -(-total // self.size))}


# ---- targets ----------------------------------------------------------------------------------

def targets(gen: Generation, indicator: str | None = None, paging: Paging = Paging(),
            q: str | None = None) -> dict:
    """No indicator: a page of the indicators, those found at two or more levels first,
    each with its counts (the full list with every target and comparison is megabytes at a
    few thousand documents); `q` keeps those whose names or key it finds
    (ontology.indicators.matcher).  An indicator (key or one of its names): it with a page
    of its targets, lowest levels last, and the comparisons of the targets on that page."""
    if not indicator:
        rows = _indicator_summaries(gen)
        if q and q.strip():
            found = indicator_matcher(q)
            rows = tuple(r for r in rows if found(r["key"], r["names"]))
        return {"indicators": paging.slice(rows), "q": q or "",
                "multi_level": sum(1 for r in rows if len(r["levels"]) > 1),
                **paging.totals(len(rows))}
    groups = _indicator_groups(gen, indicator, paging)
    return {"indicators": groups,
            **paging.totals(max((g["target_count"] for g in groups), default=0))}


def _level_key(cat: PageLookups, doc: str) -> tuple[int, str]:
    return LEVEL_ORDER.get(cat.docs.get(doc, {}).get("level"), 9), doc


def _summary(key: str, rows: list[dict], comparison_count: int) -> dict:
    """An indicator's counts from its rows (sorted by level and document)."""
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        if r["level"]:
            counts[r["level"]] += 1
    levels = sorted(counts, key=lambda lv: LEVEL_ORDER.get(lv, 9))
    return {"key": key, "label": min((r["indicator"] for r in rows), key=len),
            "names": sorted({r["indicator"] for r in rows}), "levels": levels,
            "counts": {lv: counts[lv] for lv in levels}, "target_count": len(rows),
            "comparison_count": comparison_count}


def _order(summaries: list[dict]) -> list[dict]:
    return sorted(summaries, key=lambda g: (-len(g["levels"]), -g["target_count"], g["label"]))


@functools.lru_cache(maxsize=2)
def _indicator_summaries(gen: Generation) -> tuple[dict, ...]:
    """Every indicator's counts, once per generation (its catalog never changes): a few
    columns of each target row and the recorded target links, no row parsed whole."""
    cat = lookups(gen)
    groups: dict[str, list[dict]] = defaultdict(list)
    by_uri: dict[str, dict] = {}
    for t in cat.db.target_heads():
        t["level"] = cat.docs.get(t["doc"], {}).get("level")
        groups[t["indicator_key"]].append(t)
        if t["uri"]:
            by_uri[t["uri"]] = t
    compared: dict[str, int] = defaultdict(int)
    for hi_uri, lo_uri in set(cat.db.target_links()):
        hi, lo = by_uri.get(hi_uri), by_uri.get(lo_uri)
        if hi and lo and hi["indicator_key"] == lo["indicator_key"] and _comparable(hi, lo):
            compared[lo["indicator_key"]] += 1
    return tuple(_order([_summary(key, sorted(rows, key=lambda r: _level_key(cat, r["doc"])),
                                  compared[key]) for key, rows in groups.items()]))


@functools.lru_cache(maxsize=2)
def _summaries_by_key(gen: Generation) -> dict[str, dict]:
    return {s["key"]: s for s in _indicator_summaries(gen)}


def _indicator_groups(gen: Generation, indicator: str, paging: Paging) -> list[dict]:
    """Each indicator `indicator` names, with its counts (_indicator_summaries) and one
    page of its targets: only the page's rows and the higher targets they are compared
    with are read whole (the busiest indicator has thousands of targets at a few thousand
    documents)."""
    cat = lookups(gen)
    summaries = _summaries_by_key(gen)
    out = []
    for key in cat.db.indicator_keys(indicator):
        places, rank = _target_order(gen, key)
        page = cat.db.target_rows(rowid for rowid, _ in paging.slice(places))
        shown = [_target_entry(cat, r) for r in page.values()]
        on_page = {e.get("uri") for e in shown}
        links = [(hi, lo) for hi, lo in cat.db.target_links(e["provision"] for e in shown)
                 if lo in on_page]
        higher = cat.db.targets_by_uri(key, {hi for hi, _ in links} - on_page)
        # the page's targets and those they are compared with, in the list's order
        entries = sorted([*zip(page, shown), *((rowid, _target_entry(cat, r))
                                               for rowid, r in higher.items())],
                         key=lambda pair: rank.get(pair[0], len(rank)))
        compared = comparisons([e for _, e in entries], links)
        # A comparison is shown with its lower target, so each is on exactly one page.
        out.append({**summaries[key], "targets": shown,
                    "comparisons": [c for c in compared if c["lower_target"] in on_page]})
    return _order(out)


@functools.lru_cache(maxsize=256)
def _target_order(gen: Generation, key: str) -> tuple[tuple, dict[int, int]]:
    """Every target's place (row, document) of indicator `key` in file order, then by
    level as the page shows, and each row's rank: once per generation and indicator (the
    busiest has 2,611 targets; each page of it sorted them all again)."""
    cat = lookups(gen)
    places = tuple(sorted(cat.db.target_places(key), key=lambda r: _level_key(cat, r[1])))
    return places, {rowid: i for i, (rowid, _) in enumerate(places)}


def _target_entry(cat: PageLookups, row: dict) -> dict:
    d = cat.docs.get(row["doc"], {})
    return {**row, "level": d.get("level"), "doc_title": d.get("title"),
            "region": d.get("region")}


def _comparable(hi: dict, lo: dict) -> bool:
    """A higher level's target the lower one can be read against: the same unit as written."""
    if not hi.get("level") or not lo.get("level"):
        return False
    return (LEVEL_ORDER.get(hi["level"], 9) < LEVEL_ORDER.get(lo["level"], 9)
            and hi.get("unit") == lo.get("unit"))


def comparisons(entries: Sequence[dict], links: Iterable[tuple[str, str]]) -> list[dict]:
    """Each lower-level target of one indicator against the higher-level targets the graph
    paired it with (`links`: (higher, lower) target IRIs, as
    ontology.target_alignment.align_targets chose them: the nearest document of its own
    hierarchy at each higher level) — not against every higher target of the indicator,
    which grows with the square of the corpus and sets a city against other provinces.
    Lower targets in the entries' order, each one's higher targets in that order too."""
    pos = {e["uri"]: i for i, e in enumerate(entries) if e.get("uri")}
    above: dict[str, set[int]] = defaultdict(set)
    for hi, lo in links:
        if hi in pos and lo in pos:
            above[lo].add(pos[hi])
    out = []
    for lo in entries:
        for i in sorted(above.get(lo.get("uri"), ())):
            hi = entries[i]
            if not _comparable(hi, lo):
                continue
            a, b = lo["target"]["value"], hi["target"]["value"]
            # ontology.target_alignment decides: rates compared, counts side by side ("n/a")
            verdict = compare_targets(b, a, lo.get("unit"), lo.get("indicator") or "")
            out.append({"lower": lo["provision"], "higher": hi["provision"],
                        "lower_doc": lo["doc"], "higher_doc": hi["doc"],
                        "lower_value": a, "higher_value": b, "unit": lo.get("unit"),
                        "lower_comparator": lo["target"].get("comparator"),
                        "higher_comparator": hi["target"].get("comparator"),
                        "lower_target": lo.get("uri"), "higher_target": hi.get("uri"),
                        "comparison": verdict,
                        "basis": comparison_basis(lo.get("unit"), lo.get("indicator") or "")})
    return out


# ---- alignment --------------------------------------------------------------------------------

ALIGN_FIRST = 3           # takers shown under each of a tree's root's takers
ALIGN_PAGE = 20           # the root's takers on one page of a tree, unless ?size= says


def alignment_tree(gen: Generation, root: str | None = None, paging: Paging | None = None,
                   first: int | None = None) -> list[dict]:
    """Higher provisions with what takes them up below: national → provincial → municipal.
    Each node says how many provisions take it up (`lower_total`).  Under a `root` with
    `paging`, a page of the root's takers, under each of them their first `first`, and
    below those only the counts (the largest tree has hundreds of rows at a few thousand
    documents; a taker's own tree is one click away)."""
    cat = lookups(gen)
    if root and paging is not None:
        if not cat.db.has_provision(root):
            raise NotFound(f"没有条款“{root}”")
        first = ALIGN_FIRST if first is None else first
        down, refs = _tree_links(cat, root, paging, first)
        return [_tree_node(cat, root, down, refs, frozenset(), paging, first)]
    down: dict[str, list[dict]] = defaultdict(list)
    if not root:      # the whole tree reads every link: once, not one query per node
        for a in cat.db.alignment_links():
            down[a["higher"]].append(a)
    refs = cat.db.refs([*down, *(a["lower"] for links in down.values() for a in links)])
    if root:
        if not cat.db.has_provision(root):
            raise NotFound(f"没有条款“{root}”")
        down.update(cat.db.alignment_links_from([root]))
        refs.update(cat.db.refs([root]))
        frontier = [root]
        while frontier:      # every provision below the root, one query per depth
            lowers = {a["lower"] for pid in frontier for a in down.get(pid, ())}
            refs.update(cat.db.refs(lowers - refs.keys()))
            frontier = sorted(lowers - down.keys())
            down.update({pid: [] for pid in frontier})
            down.update(cat.db.alignment_links_from(frontier))
        return [_tree_node(cat, root, down, refs, frozenset())]
    lowers = {a["lower"] for links in down.values() for a in links}
    tops = _root_order([pid for pid in down if pid not in lowers], refs)
    return [_tree_node(cat, pid, down, refs, frozenset()) for pid in tops]


def _takers(links: list[dict], refs: dict[str, dict]) -> list[dict]:
    """A provision's links down, nearest level first, then the closest restatements (the
    lower provision's level from the link when the catalog gave it, else from `refs`)."""
    def level_of(a: dict) -> str | None:
        if "level" in a:
            return a["level"]
        return refs[a["lower"]]["level"] if a["lower"] in refs else None
    return sorted(links, key=lambda a: (LEVEL_ORDER.get(level_of(a), 9), -a["score"]))


def _tree_node(cat: PageLookups, pid: str, down: dict[str, list[dict]], refs: dict[str, dict],
               seen: frozenset, paging: Paging | None = None, first: int | None = None,
               depth: int = 0) -> dict:
    below = [a for a in down.get(pid, []) if a["lower"] not in seen]
    if paging is None:
        links = _takers(below, refs)
    else:     # the root's takers paged, the first of theirs, then counts
        links = (paging.slice(_takers(below, refs)) if depth == 0
                 else _takers(below, refs)[:first] if depth == 1 else [])
    kids = [dict(_tree_node(cat, a["lower"], down, refs, seen | {pid}, paging, first, depth + 1),
                 score=a["score"], evidence=a.get("evidence"))
            for a in links]
    return {**provision_ref(cat, pid, refs), "lower": kids, "lower_total": len(below)}


def _tree_links(cat: PageLookups, root: str, paging: Paging, first: int
                ) -> tuple[dict[str, list[dict]], dict[str, dict]]:
    """The links down from every provision a bounded tree under `root` shows, and the
    refs of the provisions it shows: one query per depth.  Scores and levels only where
    the tree orders links (the root's and its shown takers'; the third depth is only
    counted), the evidence and refs only of what it shows — the largest tree reads
    hundreds of links to show a hundred."""
    down: dict[str, list[dict]] = {}
    shown_links: list[dict] = []
    frontier, depth = {root}, 0
    while frontier:
        got = cat.db.alignment_takers(sorted(frontier), scored=depth < 2)
        down.update({pid: got.get(pid, []) for pid in frontier})
        shown: set[str] = set()
        for pid in frontier if depth < 2 else ():
            links = _takers(down[pid], {})
            # + 1: a link back to the root is skipped, so one more may show
            picked = paging.slice(links) if depth == 0 else links[:first + 1]
            shown_links += picked
            shown.update(a["lower"] for a in picked)
        frontier, depth = shown - down.keys(), depth + 1
    evidence = cat.db.alignment_evidence(a["seq"] for a in shown_links)
    for a in shown_links:
        a["evidence"] = evidence.get(a["seq"])
    return down, cat.db.refs([root, *(a["lower"] for a in shown_links)])


def _root_order(tops: list[str], refs: dict[str, dict]) -> list[str]:
    """The alignment tree's roots, highest level first, then in document order."""
    def key(pid: str) -> tuple:
        ref = refs.get(pid) or {}
        return LEVEL_ORDER.get(ref.get("level"), 9), ref.get("order", 0), pid
    return sorted(tops, key=key)


def alignment(gen: Generation, root: str | None = None, paging: Paging = Paging()) -> dict:
    """Under a root, the tree of what takes it up; else a page of the tree's roots (the
    provisions taken up that take up nothing themselves), each with its counts — the
    whole tree is megabytes at a few thousand documents."""
    if root:
        tree = _bounded_tree(gen, root, paging)
        return {"tree": tree, **paging.totals(tree[0]["lower_total"])}
    roots = _alignment_roots(gen)
    return {"roots": paging.slice(roots), **paging.totals(len(roots))}


@functools.lru_cache(maxsize=64)
def _bounded_tree(gen: Generation, root: str, paging: Paging) -> list[dict]:
    """A page of the tree under `root`, once per generation, root and page (the last 64
    asked for; read, never changed, by the requests that share it)."""
    return alignment_tree(gen, root, paging)


@functools.lru_cache(maxsize=2)
def _alignment_roots(gen: Generation) -> tuple[dict, ...]:
    """The roots alignment_tree starts from, in its order, with how many provisions take
    each up directly (`direct`) and below it at all, by level (`counts`, `below`); once
    per generation, from three columns of the alignment rows."""
    cat = lookups(gen)
    down: dict[str, dict[str, str | None]] = defaultdict(dict)
    for higher, lower, level in cat.db.alignment_pairs():
        down[higher][lower] = level
    lowers = {lo for links in down.values() for lo in links}
    tops = [pid for pid in down if pid not in lowers]
    refs = cat.db.refs(tops)
    tops = _root_order(tops, refs)
    return tuple({**provision_ref(cat, pid, refs), "direct": len(down[pid]),
                  **_below(pid, down)} for pid in tops)


def _below(root: str, down: dict[str, dict[str, str | None]]) -> dict:
    """How many distinct provisions the tree under `root` holds, in all and by level."""
    seen, stack = {root}, [root]
    counts: dict[str, int] = defaultdict(int)
    while stack:
        for lower, level in down.get(stack.pop(), {}).items():
            if lower not in seen:
                seen.add(lower)
                stack.append(lower)
                counts[level or "unknown"] += 1
    ordered = sorted(counts, key=lambda lv: LEVEL_ORDER.get(lv, 9))
    return {"below": len(seen) - 1, "counts": {lv: counts[lv] for lv in ordered}}


# ---- neighbourhood graph -------------------------------------------------------------------------

def neighbourhood(gen: Generation, ref: str) -> dict:
    """Nodes and links around a provision or a department, for the graph view."""
    cat = lookups(gen)
    nodes: dict[str, dict] = {}
    links: list[dict] = []

    def add(nid: str, label: str, category: str) -> str:
        nodes.setdefault(nid, {"id": nid, "name": label, "category": category})
        return nid

    if cat.db.has_provision(ref):
        view = provision(gen, ref)
        me = add(ref, view["provision"]["heading"], "provision")
        if view["provision"]["parent"]:
            par = cat.db.ref(view["provision"]["parent"])
            links.append({"source": add(par["id"], par["heading"], "provision"), "target": me,
                          "label": "包含"})
        for c in view["children"]:
            links.append({"source": me, "target": add(c["id"], c["heading"], "provision"),
                          "label": "包含"})
        for role, key in (("牵头", "lead"), ("参与", "participants")):
            for d in view["departments"][key]:
                links.append({"source": add(d["id"] or d["name"], d["name"], "department"),
                              "target": me, "label": role})
        for side, label in (("higher", "承接"), ("lower", "被承接")):
            for a in view[side]:
                other = add(a["id"], f'{a["heading"]}（{LEVEL_LABELS.get(a["level"], "")}）',
                            "aligned")
                links.append({"source": me if side == "higher" else other,
                              "target": other if side == "higher" else me, "label": "承接"})
        for t in view["targets"]:
            links.append({"source": me, "target": add("ind:" + str(t.get("indicator_key") or t.get("indicator")),
                                                      t.get("indicator", ""), "indicator"),
                          "label": "目标"})
    elif cat.has_department(ref) or cat.db.department_id(ref) is not None:
        view = department(gen, ref)
        d = view["department"]
        me = add(d["id"], d["name"], "department")
        for up in view["up"]:
            links.append({"source": me, "target": add(up["id"] or up["name"], up["name"],
                                                      "department"), "label": "上级"})
        for down in view["down"]:
            links.append({"source": add(down["id"], down["name"], "department"), "target": me,
                          "label": "上级"})
        for group in view["tasks"]:
            for t in group["tasks"]:
                links.append({"source": me, "target": add(t["id"], t["heading"], "provision"),
                              "label": ROLE_LABELS.get(t["role"], t["role"])})
    else:
        raise NotFound(f"没有条款或部门“{ref}”")
    return {"center": ref, "nodes": list(nodes.values()), "links": links,
            "categories": list(CATEGORY_LABELS), "legend": CATEGORY_LABELS}


def evidence_matches(text: str, evidence: str | None) -> bool:
    return bool(evidence) and squash(evidence)[:20] in squash(text)
