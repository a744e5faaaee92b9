"""What the department pages show: the department list with its facets and filter box,
and a department with its line (superiors, those below) and its tasks by document.

Separate from the other page families: the list's per-generation rows and haystacks and a
department's line are read only here (the graph view and the tables read `department`).
"""
from __future__ import annotations

import functools
from collections import defaultdict
from typing import Mapping

from policykg.corpus.script import simplify_query
from policykg.corpus.vocabulary import LEVEL_ORDER
from policykg.pipeline.generation import Generation
from policykg.web.lookups import NotFound, PageLookups, Paging, lookups, provision_ref

ROLE_LABELS = {"lead": "牵头", "participant": "参与"}


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
def department_haystacks(gen: Generation) -> tuple[str, ...]:
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
    rows = [r for r, hay in zip(_department_rows(gen), department_haystacks(gen))
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
