"""What a plan has taken up of the plans above it, and what it has not (未承接).

The alignment (ontology.alignment) links a lower provision to each higher provision it
restates (`pol:localises`: the lower takes the higher up), with a score and the shared
passage as evidence; target alignments pair a lower target with the same indicator's
target one level up.  Read from the other side, per higher plan, those links answer the
question officials are asked most: of everything the plan above asks, what does our plan
take up, and what not?

The higher plans of a document are the plans its provisions take up (the documents at the
other end of its alignment links) — the alignment already kept them to the document's own
line of government (national, its province's, its city's) and its best candidates.

Which higher provisions count (the denominator): the substantive ones —
  * provisions of the body, not of an annex (annexes are forms, application lists and
    task tables that restate body provisions, which carry the task);
  * not a table (its own text is its header row), and not a container whose own text is
    only its number and heading (a chapter or section heading: its items count instead);
    a container with a clause of its own (MIN_BODY Han characters beyond its heading)
    counts as well as its children;
  * not the notice that wraps the plan (关于印发《…》的通知), the colophon or signature
    (…办公室2022年5月5日印发), the closing clause (本方案由…负责解释，自印发之日起施行，
    有效期至…), nor a pointer to an annex (附：…清单);
  * and always every provision the lower document actually takes up (a link is never
    dropped because its provision fell outside the rule).
Coverage is given per chapter of the higher plan (its top-level provision; provisions
standing outside any chapter — a preamble — are grouped as one) and overall:
ratio = taken up / counted.
"""
from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Mapping

from policykg.corpus.vocabulary import LEVEL_ORDER
from policykg.pipeline.catalog_reader import Catalog

MIN_BODY = 15       # Han characters of a container's own text beyond its heading: a clause
CONTAINERS = frozenset({"table", "annex"})

_HAN = re.compile(r"[\u3400-\u9fff]")
# The notice's title line itself, not a citation of another notice inside a sentence.
_NOTICE = re.compile(r"^[^《》，。；]{0,40}关于(印发|转发|发布|公布|印送)\s*《.{1,80}》\s*的?"
                     r"(通知|函|公告|决定)\s*$")
_COLOPHON = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*(印发|发布|印制)\s*$")
_CLOSING = re.compile(r"负责解释|之日起(施行|实施|执行)|有效期(至|为)")
_ANNEX_POINTER = re.compile(r"^\s*附\s*(件\s*\d*)?\s*[:：]")
_OUTSIDE = {"id": None, "number": "", "heading": "章外条文"}


def han_count(text: str) -> int:
    return len(_HAN.findall(text or ""))


def own_body(row: Mapping) -> str:
    """A provision's own text without its number and heading (what it says itself)."""
    text = (row.get("own_text") or "").strip()
    for lead in (row.get("number") or "", row.get("heading") or ""):
        if lead and text.startswith(lead):
            text = text[len(lead):].lstrip(" \t:：。.、")
    return text


def is_formality(row: Mapping) -> bool:
    """The notice, colophon, closing clause or annex pointer: text no plan takes up."""
    text = (row.get("own_text") or row.get("heading") or "").strip()
    # The notice's title stands under the issuer's name and 文号, not always first.
    front = [row.get("heading") or "", *text.splitlines()[:4]]
    return bool(any(_NOTICE.search(line) for line in front) or _COLOPHON.search(text)
                or _ANNEX_POINTER.match(text)
                or (_CLOSING.search(text) and han_count(text) < 120))


def substantive(rows: list[dict]) -> list[dict]:
    """The provisions of one document (outline_bodies rows, in order) that count."""
    parents = {r["parent"] for r in rows if r["parent"]}
    out = []
    for r in rows:
        if r.get("annex") or r["kind"] in CONTAINERS or is_formality(r):
            continue
        if r["id"] not in parents or han_count(own_body(r)) >= MIN_BODY:
            out.append(r)
    return out


def chapters_of(rows: list[dict]) -> dict[str, dict]:
    """Each provision's chapter: its top-level ancestor, or _OUTSIDE for a provision that
    is itself top-level without children (a preamble paragraph)."""
    by_id = {r["id"]: r for r in rows}
    parents = {r["parent"] for r in rows if r["parent"]}
    out: dict[str, dict] = {}
    for r in rows:
        top = r
        while top["parent"] and top["parent"] in by_id:
            top = by_id[top["parent"]]
        out[r["id"]] = _OUTSIDE if top is r and r["id"] not in parents else top
    return out


@dataclass(frozen=True)
class Link:
    """One lower provision taking up one higher provision."""

    higher: str
    lower: str
    score: float
    kind: str
    evidence: str | None


def _links(rows: Iterable[dict]) -> list[Link]:
    return [Link(a["higher"], a["lower"], float(a.get("score") or 0), a.get("kind", ""),
                 a.get("evidence")) for a in rows]


def _ref(row: Mapping) -> dict:
    return {k: row.get(k) for k in ("id", "doc", "level", "kind", "number", "heading")}


def _doc_head(doc: str, meta: Mapping) -> dict:
    return {"higher_doc": doc, "higher_key": meta.get("key"), "higher_title": meta.get("title"),
            "higher_number": meta.get("number"), "higher_level": meta.get("level"),
            "higher_region": meta.get("region")}


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


@functools.lru_cache(maxsize=128)
def _plan(db: Catalog, higher_doc: str) -> tuple[list[dict], frozenset[str], dict[str, dict]]:
    """A higher plan's rows, its substantive provisions and each one's chapter: the same
    for every document below it (a national plan is read by hundreds), so worked out once
    per catalog (a generation's, never modified).  Read only by plan_coverage."""
    rows = db.outline_bodies(higher_doc)
    return rows, frozenset(r["id"] for r in substantive(rows)), chapters_of(rows)


def plan_coverage(db: Catalog, higher_doc: str, links: list[Link],
                  lower_refs: Mapping[str, dict]) -> dict:
    """Coverage of one higher plan by the `links` into it (all from one lower document)."""
    rows, substantive_ids, chapter = _plan(db, higher_doc)
    linked: dict[str, list[Link]] = defaultdict(list)
    for link in links:
        linked[link.higher].append(link)
    counted = substantive_ids | set(linked)
    taken, missing = [], []
    per_chapter: dict[str | None, dict] = {}
    for r in rows:
        if r["id"] not in counted:
            continue
        ch = chapter.get(r["id"], _OUTSIDE)
        tally = per_chapter.setdefault(ch["id"], {"id": ch["id"], "number": ch["number"],
                                                  "heading": ch["heading"], "total": 0,
                                                  "taken_up": 0})
        tally["total"] += 1
        entry = {"higher": _ref(r), "chapter": ch["id"]}
        if r["id"] in linked:
            tally["taken_up"] += 1
            entry["lower"] = [{**lower_refs.get(k.lower, {"id": k.lower}), "score": k.score,
                               "kind": k.kind, "evidence": k.evidence}
                              for k in sorted(linked[r["id"]], key=lambda k: -k.score)]
            taken.append(entry)
        else:
            missing.append(entry)
    chapters = [{**c, "ratio": _ratio(c["taken_up"], c["total"])} for c in per_chapter.values()]
    total = len(taken) + len(missing)
    return {"taken_up": taken, "not_taken_up": missing, "total": total,
            "taken_up_count": len(taken), "not_taken_up_count": len(missing),
            "ratio": _ratio(len(taken), total), "chapters": chapters}


def document_coverage(db: Catalog, docs: Mapping[str, Mapping], doc: str) -> list[dict]:
    """For `doc` and each plan it takes up: that plan's provisions taken up (with the
    lower provisions, score and evidence) and not taken up, per chapter and overall.
    Nearest level first (a city's plan: the province's plans, then the nation's), then
    the plans most taken up."""
    by_higher: dict[str, list[Link]] = defaultdict(list)
    links = _links(db.alignments_below(doc))
    higher_refs = db.refs(k.higher for k in links)
    for link in links:
        ref = higher_refs.get(link.higher)
        if ref is not None and ref["doc"] != doc:
            by_higher[ref["doc"]].append(link)
    lower_refs = {pid: _ref(r) for pid, r in db.refs(k.lower for k in links).items()}
    out = []
    for higher_doc, its_links in by_higher.items():
        meta = docs.get(higher_doc, {})
        out.append({**_doc_head(higher_doc, meta),
                    **plan_coverage(db, higher_doc, its_links, lower_refs)})
    out.sort(key=_plan_order)
    return out


def _plan_order(c: Mapping) -> tuple:
    return (-LEVEL_ORDER.get(c["higher_level"] or "", -1), -c["taken_up_count"],
            c["higher_doc"])


def coverage_summary(db: Catalog, docs: Mapping[str, Mapping], doc: str,
                     plan: str | None = None) -> list[dict]:
    """document_coverage as a page shows it: every higher plan with its counts (taken up,
    counted, ratio; `"detailed": False`), and the lists and chapters only for the plan
    `plan` names (key or file name; else the first, the nearest) — `"detailed": True`.
    The counts come from the alignment rows' columns and each plan's substantive
    provisions (worked out once per catalog); no row's JSON is read but the shown plan's:
    a document taking up 26 plans no longer builds 26 plans' lists to show one."""
    linked: dict[str, set[str]] = defaultdict(set)
    for higher, higher_doc in db.alignment_highers_below(doc):
        if higher_doc != doc:
            linked[higher_doc].add(higher)
    out = []
    for higher_doc, highers in linked.items():
        _rows, substantive_ids, _chapters = _plan(db, higher_doc)
        total = len(substantive_ids | highers)
        out.append({**_doc_head(higher_doc, docs.get(higher_doc, {})), "total": total,
                    "taken_up_count": len(highers), "not_taken_up_count": total - len(highers),
                    "ratio": _ratio(len(highers), total), "detailed": False})
    out.sort(key=_plan_order)
    shown = next((i for i, c in enumerate(out) if plan and plan in (c["higher_key"],
                                                                    c["higher_doc"])), 0)
    if out:
        c = out[shown]
        links = _links(db.alignments_between(doc, c["higher_doc"]))
        lower_refs = {pid: _ref(r) for pid, r in db.refs(k.lower for k in links).items()}
        out[shown] = {**c, **plan_coverage(db, c["higher_doc"], links, lower_refs),
                      "detailed": True}
    return out


def find_plan(coverage: list[dict], ref: str) -> dict | None:
    """The entry of `coverage` for the higher plan `ref` names (file name, key, or the
    file name's number prefix)."""
    for c in coverage:
        if ref in (c["higher_doc"], c["higher_key"]) or c["higher_doc"].split("_")[0] == ref:
            return c
    return None
