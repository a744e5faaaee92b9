"""What the API and the pages show, assembled from a built generation.

Routes stay thin: each JSON endpoint returns one of these dicts, each HTML page renders
the same dict, so the two can never disagree.  Everything here reads the generation's
catalog (indexer.catalog: provisions, facts, export rows, looked up in SQLite per request,
not held in each worker's memory); nothing writes.
"""
from __future__ import annotations

import difflib
import functools
from collections import defaultdict
from typing import Iterable

from corpus.text import squash
from indexer.generation import Generation

LEVEL_ORDER = {"national": 0, "provincial": 1, "municipal": 2, "county": 3}
LEVEL_LABELS = {"national": "国家", "provincial": "省级", "municipal": "市级", "county": "县级"}
KIND_LABELS = {"chapter": "章", "section": "节", "item": "条", "subitem": "款", "point": "目",
               "box": "专栏", "table": "表", "table_row": "表行", "annex": "附件",
               "paragraph": "段"}
ROLE_LABELS = {"lead": "牵头", "participant": "参与"}


class NotFound(LookupError):
    """No such document, provision, department or indicator in this generation."""


# ---- lookups cached per generation ------------------------------------------------------------

@functools.lru_cache(maxsize=2)
def _catalog(gen: Generation) -> "Catalog":
    return Catalog(gen)


class Catalog:
    """What the pages look up in one generation: its SQLite catalog (indexer.catalog:
    provisions, facts, export rows, looked up per request rather than held in memory)
    and its documents by file name."""

    def __init__(self, gen: Generation):
        self.gen = gen
        self.db = gen.catalog
        self.docs = {d["doc"]: d for d in gen.documents}

    def level_of(self, pid: str) -> str | None:
        p = self.db.ref(pid)
        return p["level"] if p else None

    def has_department(self, did: str) -> bool:
        return self.db.department_head(did) is not None

    def dept_ref(self, name: str) -> dict:
        did = self.db.department_id(name)
        d = self.db.department_head(did) if did else None
        return {"id": did, "name": d["name"] if d else name,
                "level": d["level"] if d else None}


def catalog(gen: Generation) -> Catalog:
    return _catalog(gen)


# ---- small pieces ---------------------------------------------------------------------------------

def provision_ref(cat: Catalog, pid: str, refs: dict[str, dict] | None = None) -> dict:
    """A link to a provision; `refs` are the provisions' refs fetched beforehand (one
    query for a page's many links), else it is looked up."""
    p = refs.get(pid) if refs is not None else cat.db.ref(pid)
    if p is None:
        return {"id": pid, "heading": pid, "missing": True}
    doc = cat.docs.get(p["doc"], {})
    return {"id": pid, "doc": p["doc"], "doc_title": doc.get("title"), "level": p["level"],
            "kind": p["kind"], "number": p["number"], "heading": p["heading"]}


def breadcrumb(cat: Catalog, pid: str) -> list[dict]:
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

def documents(gen: Generation) -> list[dict]:
    return sorted(gen.documents, key=lambda d: (LEVEL_ORDER.get(d.get("level"), 9), d["doc"]))


def _outline(p: dict, children: dict[str | None, list[dict]]) -> dict:
    return {"id": p["id"], "kind": p["kind"], "number": p["number"], "heading": p["heading"],
            "children": [_outline(c, children) for c in children.get(p["id"], [])]}


def document(gen: Generation, ref: str) -> dict:
    doc = gen.document(ref)
    if doc is None:
        raise NotFound(f"no document {ref!r}")
    cat = catalog(gen)
    children: dict[str | None, list[dict]] = defaultdict(list)
    for p in cat.db.outline_rows(doc["doc"]):
        children[p["parent"]].append(p)
    cited_by = cat.db.citations_to(doc["doc"])
    cites = cat.db.citations_of(doc["doc"])
    return {"document": doc, "outline": [_outline(r, children) for r in children.get(None, [])],
            "cites": cites, "cited_by": cited_by,
            "matrix": responsibility_matrix(gen, doc["doc"])}


def responsibility_matrix(gen: Generation, doc: str) -> dict:
    """Departments × tasks of one document, each cell 牵头 / 参与."""
    cat = catalog(gen)
    tasks, columns = [], {}
    refs = {p["id"]: p for p in cat.db.outline_rows(doc)}
    for pid, facts in cat.db.document_facts(doc):
        depts = (facts or {}).get("departments") or {"lead": [], "participants": []}
        if not depts["lead"] and not depts["participants"]:
            continue
        cells = {}
        for role, names in (("lead", depts["lead"]), ("participant", depts["participants"])):
            for name in names:
                ref = cat.dept_ref(name)
                key = ref["id"] or name
                columns.setdefault(key, ref)
                cells[key] = role
        tasks.append({"provision": provision_ref(cat, pid, refs), "cells": cells})
    ordered = sorted(columns.values(), key=lambda r: (-sum(
        1 for t in tasks if t["cells"].get(r["id"] or r["name"]) == "lead"), r["name"]))
    return {"departments": ordered, "tasks": tasks}


# ---- provisions -------------------------------------------------------------------------------

def provision(gen: Generation, pid: str) -> dict:
    cat = catalog(gen)
    p = cat.db.provision(pid)
    if p is None:
        raise NotFound(f"no provision {pid!r}")
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


def _link(cat: Catalog, a: dict, other: str, refs: dict[str, dict]) -> dict:
    return {**provision_ref(cat, other, refs), "score": a["score"], "kind": a["kind"],
            "evidence": a.get("evidence")}


def compare(gen: Generation, higher: str, lower: str) -> dict:
    """Two aligned provisions side by side, the text they share marked in both."""
    cat = catalog(gen)
    hi, lo = cat.db.provision(higher), cat.db.provision(lower)
    if hi is None or lo is None:
        raise NotFound("no such provision")
    link = next((a for a in cat.db.aligned_up(lower) if a["higher"] == higher), None)
    runs_hi, runs_lo = shared_runs(hi["text"], lo["text"])
    return {"higher": provision_ref(cat, higher), "lower": provision_ref(cat, lower),
            "link": link, "higher_runs": runs_hi, "lower_runs": runs_lo}


# ---- departments ------------------------------------------------------------------------------

def departments(gen: Generation) -> list[dict]:
    cat = catalog(gen)
    # The counts are columns of the catalog: the list never reads the departments' tasks.
    rows = cat.db.department_summaries()
    return sorted(rows, key=lambda r: (LEVEL_ORDER.get(r["level"], 9), -r["lead"] - r["participant"],
                                       r["name"]))


def department(gen: Generation, did: str) -> dict:
    cat = catalog(gen)
    d = cat.db.department(did) or cat.db.department(cat.db.department_id(did) or "")
    if d is None:
        raise NotFound(f"no department {did!r}")
    refs = cat.db.refs([*(t["provision"] for t in d.get("tasks", [])), *d.get("mentions", [])])
    by_doc: dict[str, list] = defaultdict(list)
    for t in d.get("tasks", []):
        by_doc[t["doc"]].append({**provision_ref(cat, t["provision"], refs), "role": t["role"],
                                 "written": t.get("written")})
    groups = [{"document": cat.docs.get(doc, {"doc": doc}), "tasks": tasks}
              for doc, tasks in by_doc.items()]
    groups.sort(key=lambda g: (LEVEL_ORDER.get(g["document"].get("level"), 9), g["document"]["doc"]))
    return {"department": {k: d.get(k) for k in ("id", "uri", "name", "aliases", "level", "region",
                                                  "kind", "sector", "parent", "parent_name")},
            "up": _line_up(cat, d), "down": _line_down(cat, d["id"]),
            "tasks": groups,
            "mentions": [provision_ref(cat, m, refs) for m in d.get("mentions", [])]}


def _line_up(cat: Catalog, d: dict) -> list[dict]:
    line, cur, seen = [], d.get("superior"), set()
    while cur and cur not in seen and (sup := cat.db.department_head(cur)) is not None:
        seen.add(cur)
        line.append({"id": cur, "name": sup["name"], "level": sup["level"]})
        cur = sup.get("superior")
    if not line and d.get("line"):      # a line named in the text but not itself a party
        line = [cat.dept_ref(n) for n in d["line"]]
    return line


def _line_down(cat: Catalog, did: str) -> list[dict]:
    heads = [cat.db.department_head(s) for s in cat.db.subordinates(did)]
    return [{"id": h["id"], "name": h["name"], "level": h["level"],
             "below": _line_down(cat, h["id"])} for h in heads]


# ---- targets ----------------------------------------------------------------------------------

def targets(gen: Generation, indicator: str | None = None) -> list[dict]:
    """Each indicator with its targets at every level, and how lower levels compare."""
    cat = catalog(gen)
    groups: dict[str, list[dict]] = defaultdict(list)
    for t in cat.db.targets(indicator or None):     # only the indicator's rows, if named
        groups[t["indicator_key"]].append(t)
    out = []
    for key, rows in groups.items():
        if indicator and indicator not in (key, *[r["indicator"] for r in rows]):
            continue
        rows = sorted(rows, key=lambda r: (LEVEL_ORDER.get(cat.docs.get(r["doc"], {}).get("level"), 9),
                                           r["doc"]))
        entries = [{**r, "level": cat.docs.get(r["doc"], {}).get("level"),
                    "doc_title": cat.docs.get(r["doc"], {}).get("title"),
                    "region": cat.docs.get(r["doc"], {}).get("region")} for r in rows]
        out.append({"key": key, "label": min((r["indicator"] for r in rows), key=len),
                    "names": sorted({r["indicator"] for r in rows}), "targets": entries,
                    "levels": sorted({e["level"] for e in entries if e["level"]},
                                     key=lambda lv: LEVEL_ORDER.get(lv, 9)),
                    "comparisons": comparisons(entries)})
    out.sort(key=lambda g: (-len(g["levels"]), -len(g["targets"]), g["label"]))
    return out


def comparisons(entries: Iterable[dict]) -> list[dict]:
    """Each lower-level target against each higher-level one of the same indicator and unit."""
    entries = [e for e in entries if e.get("level")]
    out = []
    for lo in entries:
        for hi in entries:
            if LEVEL_ORDER.get(hi["level"], 9) >= LEVEL_ORDER.get(lo["level"], 9):
                continue
            if hi.get("unit") != lo.get("unit"):
                continue
            a, b = lo["target"]["value"], hi["target"]["value"]
            verdict = "equal" if a == b else ("below" if a < b else "above")
            out.append({"lower": lo["provision"], "higher": hi["provision"],
                        "lower_doc": lo["doc"], "higher_doc": hi["doc"],
                        "lower_value": a, "higher_value": b, "unit": lo.get("unit"),
                        "comparison": verdict})
    return out


# ---- alignment --------------------------------------------------------------------------------

def alignment_tree(gen: Generation, root: str | None = None) -> list[dict]:
    """Higher provisions with what takes them up below: national → provincial → municipal."""
    cat = catalog(gen)
    down: dict[str, list[dict]] = defaultdict(list)
    if not root:      # the whole tree reads every link: once, not one query per node
        for a in cat.db.alignment_links():
            down[a["higher"]].append(a)
    refs = cat.db.refs([*down, *(a["lower"] for links in down.values() for a in links)])

    def links_of(pid: str) -> list[dict]:
        if root and pid not in down:
            down[pid] = cat.db.aligned_down(pid)
            refs.update(cat.db.refs(a["lower"] for a in down[pid] if a["lower"] not in refs))
        return down.get(pid, [])

    def level_of(pid: str) -> str | None:
        return refs[pid]["level"] if pid in refs else None

    def node(pid: str, seen: frozenset) -> dict:
        links = sorted(links_of(pid), key=lambda a: (LEVEL_ORDER.get(level_of(a["lower"]), 9),
                                                     -a["score"]))
        kids = [dict(node(a["lower"], seen | {pid}), score=a["score"],
                     evidence=a.get("evidence"))
                for a in links if a["lower"] not in seen]
        return {**provision_ref(cat, pid, refs), "lower": kids}

    if root:
        if not cat.db.has_provision(root):
            raise NotFound(f"no provision {root!r}")
        refs.update(cat.db.refs([root]))
        return [node(root, frozenset())]
    lowers = {a["lower"] for links in down.values() for a in links}
    tops = [pid for pid in down if pid not in lowers]
    tops.sort(key=lambda pid: (LEVEL_ORDER.get(level_of(pid), 9),
                               refs[pid].get("order", 0) if pid in refs else 0, pid))
    return [node(pid, frozenset()) for pid in tops]


# ---- neighbourhood graph -------------------------------------------------------------------------

def neighbourhood(gen: Generation, ref: str) -> dict:
    """Nodes and links around a provision or a department, for the graph view."""
    cat = catalog(gen)
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
        raise NotFound(f"no provision or department {ref!r}")
    return {"center": ref, "nodes": list(nodes.values()), "links": links,
            "categories": ["provision", "department", "aligned", "indicator"]}


def evidence_matches(text: str, evidence: str | None) -> bool:
    return bool(evidence) and squash(evidence)[:20] in squash(text)
