"""What the alignment page shows: the tree of what takes a higher provision up below
(national → provincial → municipal), bounded and paged under a root, and the tree's roots
with their counts.

Separate from the other page families: the alignment links are walked only here.
"""
from __future__ import annotations

import functools
from collections import defaultdict

from policykg.corpus.vocabulary import LEVEL_ORDER
from policykg.pipeline.generation import Generation
from policykg.web.lookups import NotFound, PageLookups, Paging, lookups, provision_ref


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
    roots = alignment_roots(gen)
    return {"roots": paging.slice(roots), **paging.totals(len(roots))}


@functools.lru_cache(maxsize=64)
def _bounded_tree(gen: Generation, root: str, paging: Paging) -> list[dict]:
    """A page of the tree under `root`, once per generation, root and page (the last 64
    asked for; read, never changed, by the requests that share it)."""
    return alignment_tree(gen, root, paging)


@functools.lru_cache(maxsize=2)
def alignment_roots(gen: Generation) -> tuple[dict, ...]:
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
