"""What the API and the pages show, assembled from a built generation.

Routes stay thin: each JSON endpoint returns one of these dicts, each HTML page renders
the same dict, so the two can never disagree.  Everything here reads the generation's
files (provisions, facts, export rows); nothing writes.
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
    """Indexes over one generation's rows, built once and shared by every request."""

    def __init__(self, gen: Generation):
        self.gen = gen
        self.docs = {d["doc"]: d for d in gen.documents}
        self.provisions = gen.provision_by_id
        self.departments = {d["id"]: d for d in gen.graph_rows("departments")}
        self.dept_by_name: dict[str, str] = {}
        for d in self.departments.values():
            for name in [d["name"], *d.get("aliases", [])]:
                self.dept_by_name.setdefault(name, d["id"])
        self.targets = gen.graph_rows("targets")
        self.alignments = gen.graph_rows("alignments")
        self.citations = gen.graph_rows("citations")
        self.children: dict[str | None, list[str]] = defaultdict(list)
        for p in gen.provisions:
            self.children[p["parent"]].append(p["id"])
        self.up: dict[str, list[dict]] = defaultdict(list)     # lower id → links to higher
        self.down: dict[str, list[dict]] = defaultdict(list)   # higher id → links to lower
        for a in self.alignments:
            self.up[a["lower"]].append(a)
            self.down[a["higher"]].append(a)
        self.subordinates: dict[str, list[str]] = defaultdict(list)
        for d in self.departments.values():
            if d.get("superior"):
                self.subordinates[d["superior"]].append(d["id"])

    def level_of(self, pid: str) -> str | None:
        p = self.provisions.get(pid)
        return p["level"] if p else None

    def dept_ref(self, name: str) -> dict:
        did = self.dept_by_name.get(name)
        d = self.departments.get(did) if did else None
        return {"id": did, "name": d["name"] if d else name,
                "level": d["level"] if d else None}


def catalog(gen: Generation) -> Catalog:
    return _catalog(gen)


# ---- small pieces ---------------------------------------------------------------------------------

def provision_ref(cat: Catalog, pid: str) -> dict:
    p = cat.provisions.get(pid)
    if p is None:
        return {"id": pid, "heading": pid, "missing": True}
    doc = cat.docs.get(p["doc"], {})
    return {"id": pid, "doc": p["doc"], "doc_title": doc.get("title"), "level": p["level"],
            "kind": p["kind"], "number": p["number"], "heading": p["heading"]}


def breadcrumb(cat: Catalog, pid: str) -> list[dict]:
    trail, cur = [], cat.provisions.get(pid)
    while cur is not None:
        trail.append({"id": cur["id"], "number": cur["number"], "heading": cur["heading"],
                      "kind": cur["kind"]})
        cur = cat.provisions.get(cur["parent"]) if cur["parent"] else None
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


def _outline(cat: Catalog, pid: str) -> dict:
    p = cat.provisions[pid]
    return {"id": pid, "kind": p["kind"], "number": p["number"], "heading": p["heading"],
            "children": [_outline(cat, c) for c in cat.children.get(pid, [])]}


def document(gen: Generation, ref: str) -> dict:
    doc = gen.document(ref)
    if doc is None:
        raise NotFound(f"no document {ref!r}")
    cat = catalog(gen)
    roots = [pid for pid in cat.children.get(None, []) if cat.provisions[pid]["doc"] == doc["doc"]]
    cited_by = [c for c in cat.citations if c.get("resolves_to") == doc["doc"]]
    cites = [c for c in cat.citations if c["doc"] == doc["doc"]]
    return {"document": doc, "outline": [_outline(cat, r) for r in roots],
            "cites": cites, "cited_by": cited_by,
            "matrix": responsibility_matrix(gen, doc["doc"])}


def responsibility_matrix(gen: Generation, doc: str) -> dict:
    """Departments × tasks of one document, each cell 牵头 / 参与."""
    cat = catalog(gen)
    tasks, columns = [], {}
    for p in gen.provisions:
        if p["doc"] != doc:
            continue
        depts = gen.provision_facts(p["id"])["departments"]
        if not depts["lead"] and not depts["participants"]:
            continue
        cells = {}
        for role, names in (("lead", depts["lead"]), ("participant", depts["participants"])):
            for name in names:
                ref = cat.dept_ref(name)
                key = ref["id"] or name
                columns.setdefault(key, ref)
                cells[key] = role
        tasks.append({"provision": provision_ref(cat, p["id"]), "cells": cells})
    ordered = sorted(columns.values(), key=lambda r: (-sum(
        1 for t in tasks if t["cells"].get(r["id"] or r["name"]) == "lead"), r["name"]))
    return {"departments": ordered, "tasks": tasks}


# ---- provisions -------------------------------------------------------------------------------

def provision(gen: Generation, pid: str) -> dict:
    cat = catalog(gen)
    p = cat.provisions.get(pid)
    if p is None:
        raise NotFound(f"no provision {pid!r}")
    facts = gen.provision_facts(pid)
    depts = facts["departments"]
    doc = cat.docs.get(p["doc"], {})
    return {
        "provision": {k: p[k] for k in ("id", "uri", "doc", "level", "kind", "number",
                                        "heading", "text", "parent", "path", "start", "end")},
        "document": {k: doc.get(k) for k in ("doc", "key", "title", "number", "level", "region")},
        "breadcrumb": breadcrumb(cat, pid),
        "children": [provision_ref(cat, c) for c in cat.children.get(pid, [])],
        "departments": {"lead": [cat.dept_ref(n) for n in depts["lead"]],
                        "participants": [cat.dept_ref(n) for n in depts["participants"]]},
        "mentions": [cat.dept_ref(n) for n in facts.get("mentions", [])],
        "targets": facts["targets"],
        "cites": facts["cites"],
        "cited_by": [c for c in cat.citations if c.get("resolves_to") == p["doc"]]
        if p["parent"] is None else [],
        "higher": [_link(cat, a, a["higher"]) for a in
                   sorted(cat.up.get(pid, []), key=lambda a: -a["score"])],
        "lower": [_link(cat, a, a["lower"]) for a in
                  sorted(cat.down.get(pid, []), key=lambda a: -a["score"])],
    }


def _link(cat: Catalog, a: dict, other: str) -> dict:
    return {**provision_ref(cat, other), "score": a["score"], "kind": a["kind"],
            "evidence": a.get("evidence")}


def compare(gen: Generation, higher: str, lower: str) -> dict:
    """Two aligned provisions side by side, the text they share marked in both."""
    cat = catalog(gen)
    hi, lo = cat.provisions.get(higher), cat.provisions.get(lower)
    if hi is None or lo is None:
        raise NotFound("no such provision")
    link = next((a for a in cat.up.get(lower, []) if a["higher"] == higher), None)
    runs_hi, runs_lo = shared_runs(hi["text"], lo["text"])
    return {"higher": provision_ref(cat, higher), "lower": provision_ref(cat, lower),
            "link": link, "higher_runs": runs_hi, "lower_runs": runs_lo}


# ---- departments ------------------------------------------------------------------------------

def departments(gen: Generation) -> list[dict]:
    cat = catalog(gen)
    rows = []
    for d in cat.departments.values():
        tasks = d.get("tasks", [])
        rows.append({"id": d["id"], "name": d["name"], "level": d["level"],
                     "region": d.get("region"), "kind": d.get("kind"),
                     "lead": sum(t["role"] == "lead" for t in tasks),
                     "participant": sum(t["role"] != "lead" for t in tasks),
                     "mentions": len(d.get("mentions", []))})
    return sorted(rows, key=lambda r: (LEVEL_ORDER.get(r["level"], 9), -r["lead"] - r["participant"],
                                       r["name"]))


def department(gen: Generation, did: str) -> dict:
    cat = catalog(gen)
    d = cat.departments.get(did) or cat.departments.get(cat.dept_by_name.get(did, ""))
    if d is None:
        raise NotFound(f"no department {did!r}")
    by_doc: dict[str, list] = defaultdict(list)
    for t in d.get("tasks", []):
        by_doc[t["doc"]].append({**provision_ref(cat, t["provision"]), "role": t["role"],
                                 "written": t.get("written")})
    groups = [{"document": cat.docs.get(doc, {"doc": doc}), "tasks": tasks}
              for doc, tasks in by_doc.items()]
    groups.sort(key=lambda g: (LEVEL_ORDER.get(g["document"].get("level"), 9), g["document"]["doc"]))
    return {"department": {k: d.get(k) for k in ("id", "uri", "name", "aliases", "level", "region",
                                                  "kind", "sector", "parent", "parent_name")},
            "up": _line_up(cat, d), "down": _line_down(cat, d["id"]),
            "tasks": groups,
            "mentions": [provision_ref(cat, m) for m in d.get("mentions", [])]}


def _line_up(cat: Catalog, d: dict) -> list[dict]:
    line, cur, seen = [], d.get("superior"), set()
    while cur and cur not in seen and cur in cat.departments:
        seen.add(cur)
        sup = cat.departments[cur]
        line.append({"id": cur, "name": sup["name"], "level": sup["level"]})
        cur = sup.get("superior")
    if not line and d.get("line"):      # a line named in the text but not itself a party
        line = [cat.dept_ref(n) for n in d["line"]]
    return line


def _line_down(cat: Catalog, did: str) -> list[dict]:
    return [{"id": s, "name": cat.departments[s]["name"], "level": cat.departments[s]["level"],
             "below": _line_down(cat, s)} for s in cat.subordinates.get(did, [])]


# ---- targets ----------------------------------------------------------------------------------

def targets(gen: Generation, indicator: str | None = None) -> list[dict]:
    """Each indicator with its targets at every level, and how lower levels compare."""
    cat = catalog(gen)
    groups: dict[str, list[dict]] = defaultdict(list)
    for t in cat.targets:
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

    def node(pid: str, seen: frozenset) -> dict:
        links = sorted(cat.down.get(pid, []), key=lambda a: (LEVEL_ORDER.get(
            cat.level_of(a["lower"]), 9), -a["score"]))
        kids = [dict(node(a["lower"], seen | {pid}), score=a["score"],
                     evidence=a.get("evidence"))
                for a in links if a["lower"] not in seen]
        return {**provision_ref(cat, pid), "lower": kids}

    if root:
        if root not in cat.provisions:
            raise NotFound(f"no provision {root!r}")
        return [node(root, frozenset())]
    tops = [pid for pid in cat.down if not cat.up.get(pid)]
    tops.sort(key=lambda pid: (LEVEL_ORDER.get(cat.level_of(pid), 9),
                               cat.provisions.get(pid, {}).get("order", 0), pid))
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

    if ref in cat.provisions:
        view = provision(gen, ref)
        me = add(ref, view["provision"]["heading"], "provision")
        if view["provision"]["parent"]:
            par = cat.provisions[view["provision"]["parent"]]
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
    elif ref in cat.departments or ref in cat.dept_by_name:
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
