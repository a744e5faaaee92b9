"""What the targets page shows: the indicators with their counts by level, and an
indicator's targets across levels with the comparisons the graph paired them for.

Separate from the other page families: the indicators' per-generation summaries, the
targets' order and the comparisons (ontology.target_alignment decides each) are read only
here.
"""
from __future__ import annotations

import functools
from collections import defaultdict
from typing import Iterable, Sequence

from policykg.corpus.vocabulary import LEVEL_ORDER
from policykg.ontology.indicators import matcher as indicator_matcher
from policykg.ontology.target_alignment import compare as compare_targets, comparison_basis
from policykg.pipeline.generation import Generation
from policykg.web.lookups import PageLookups, Paging, lookups


def targets(gen: Generation, indicator: str | None = None, paging: Paging = Paging(),
            q: str | None = None) -> dict:
    """No indicator: a page of the indicators, those found at two or more levels first,
    each with its counts (the full list with every target and comparison is megabytes at a
    few thousand documents); `q` keeps those whose names or key it finds
    (ontology.indicators.matcher).  An indicator (key or one of its names): it with a page
    of its targets, lowest levels last, and the comparisons of the targets on that page."""
    if not indicator:
        rows = indicator_summaries(gen)
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
def indicator_summaries(gen: Generation) -> tuple[dict, ...]:
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
    return {s["key"]: s for s in indicator_summaries(gen)}


def _indicator_groups(gen: Generation, indicator: str, paging: Paging) -> list[dict]:
    """Each indicator `indicator` names, with its counts (indicator_summaries) and one
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
