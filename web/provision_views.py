"""What the provision pages show: a provision with its place, departments, targets and
the provisions it is aligned with, and two aligned provisions compared side by side.

Separate from the other page families: one provision and one pair of them, with the text
they share marked (difflib), read nowhere else.
"""
from __future__ import annotations

import difflib

from policykg.pipeline.generation import Generation
from policykg.web.lookups import NotFound, PageLookups, breadcrumb, lookups, provision_ref


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

