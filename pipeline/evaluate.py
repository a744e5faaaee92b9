"""`policykg eval`: the build scored against hand-checked facts (../shared/eval/*.json).

Each file has its own scorer; a file that is absent is skipped.  Scores are facts right
out of facts checked, with the misses listed so that a regression can be read, not
guessed at.  The facts are a sample: these scorers measure, they never feed the build.

These score the bundled corpus as built in the data folder; pipeline.evaluate_wild scores
the documents of eval/wild/, added with no flags to a scratch corpus (`policykg eval`
prints both, the wild total last).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from policykg.corpus.text import match_key
from policykg.pipeline.generation import Generation
from policykg.corpus import load_corpus
from policykg.corpus.loader import load_added
from policykg.pipeline.datadir import read_jsonl
from policykg.ontology.targets import extract_targets
from policykg.ontology.alignment import find_alignments
from policykg.corpus.text import squash
from policykg.pipeline.datadir import NotBuilt


@dataclass
class Score:
    name: str
    right: float = 0.0
    total: int = 0
    misses: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)     # further measures (recall@k, MRR…)

    def check(self, ok: bool, what: str, weight: float = 1.0) -> None:
        self.total += 1
        if ok:
            self.right += weight
        else:
            self.misses.append(what)

    @property
    def ratio(self) -> float:
        return self.right / self.total if self.total else 0.0


def find_eval_dir(explicit: Path | None = None) -> Path | None:
    """`explicit` (--eval-dir, else Settings.eval_dir: $POLICYKG_EVAL), or shared/eval
    beside the working folder or the project."""
    candidates = [explicit] if explicit else []
    project = Path(__file__).resolve().parent.parent
    candidates += [Path.cwd().parent / "shared" / "eval", project.parent / "shared" / "eval",
                   Path.cwd() / "shared" / "eval"]
    for c in candidates:
        if c and c.is_dir():
            return c
    return None


def load_gold(folder: Path, name: str) -> dict | None:
    """The gold facts `name`.json of an evaluation folder, None when it has none."""
    path = folder / f"{name}.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


# ---- outline -----------------------------------------------------------------------------

def _under_box(p: dict, by_id: dict) -> bool:
    parent = p.get("parent")
    while parent:
        node = by_id[parent]
        if node["kind"] == "box":
            return True
        parent = node.get("parent")
    return False


def score_outline(gen: Generation, gold: dict) -> Score:
    score = Score("outline")
    by_id = gen.provision_by_id
    provisions = gen.provisions      # read once: each access reads the whole catalog
    for doc in gold["documents"]:
        name = doc["doc"][:3]
        mine = [p for p in provisions if p["doc"] == doc["doc"]]
        body = [p for p in mine if not p["annex"]]
        chapters = [match_key(p["heading"]) for p in body if p["kind"] == "chapter"]
        want = [match_key(h) for h in doc["chapters"]]
        score.check(chapters == want, f"{name} chapters: {chapters} != {want}")
        counts = {
            "sections": sum(p["kind"] == "section" for p in body),
            "items": sum(p["kind"] == "item" and not _under_box(p, by_id) for p in body),
            "boxes": sum(p["kind"] == "box" for p in mine),
            "table_rows": sum(p["kind"] == "table_row" for p in mine if p["annex"]),
        }
        for key, got in counts.items():
            if key in doc:
                score.check(got == doc[key], f"{name} {key}: {got} != {doc[key]}")
        if "annexes" in doc:
            annexes = [match_key(p["heading"]) for p in mine if p["kind"] == "annex"]
            want_a = [match_key(a) for a in doc["annexes"]]
            score.check(annexes == want_a, f"{name} annexes: {annexes} != {want_a}")
    return score


Scorer = Callable[[Generation, dict], Score]
# Which eval file each scorer reads; later stages add theirs.
SCORERS: dict[str, Scorer] = {"outline": score_outline}


def evaluate(gen: Generation, folder: Path) -> list[Score]:
    scores = []
    for name, scorer in SCORERS.items():
        gold = load_gold(folder, name)
        if gold is not None:
            scores.append(scorer(gen, gold))
    return scores


def format_table(scores: list[Score], verbose: bool = False) -> str:
    lines = [f"{'measure':<14}{'right':>8}{'of':>6}{'score':>9}  more"]
    for s in scores:
        more = "  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                         for k, v in s.extra.items())
        lines.append(f"{s.name:<14}{s.right:>8.1f}{s.total:>6}{s.ratio:>9.1%}  {more}")
    for s in scores:
        shown = s.misses if verbose else s.misses[:5]
        for miss in shown:
            lines.append(f"  miss [{s.name}] {miss}")
        if len(s.misses) > len(shown):
            lines.append(f"  … {len(s.misses) - len(shown)} more {s.name} misses (--verbose)")
    return "\n".join(lines)



# ---- targets and alignment ---------------------------------------------------------------------
# They read the generation's targets.jsonl / alignments.jsonl when the graph stage has written
# them; until then they run the extractors on the generation's documents, re-segmented.

def _generation_documents(gen: Generation) -> list:
    """The generation's documents as segmented records: bundled ones, plus added ones."""
    docs = list(load_corpus())
    sources = gen.folder.parent.parent / "sources"
    if sources.is_dir():
        try:
            docs += load_added(sources)
        except (ImportError, OSError, ValueError):
            pass
    wanted = {d["doc"] for d in gen.documents}
    return [d for d in docs if d.file in wanted]


def _fact_rows(gen: Generation, name: str, compute: Callable[[list], list[dict]]) -> list[dict]:
    """The graph stage's export rows when it wrote them, else the extractors' own rows."""
    if (gen.folder / f"{name}.jsonl").is_file():
        if hasattr(gen, "graph_rows"):
            return gen.graph_rows(name)
        return read_jsonl(gen.folder / f"{name}.jsonl")
    return compute(_generation_documents(gen))


def _target_rows(docs: list) -> list[dict]:
    return [t.to_export() for t in extract_targets(docs)]


def _alignment_rows(docs: list) -> list[dict]:
    return [a.to_export() for a in find_alignments(docs)]


def _same_unit(a: str | None, b: str | None) -> bool:
    def norm(u: str | None) -> str:
        return match_key(u or "").replace("名", "人")
    return norm(a) == norm(b)


def _same_number(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-6


def _target_diff(gold: dict, row: dict) -> list[str]:
    """What differs between a gold target and an extracted one (empty: right)."""
    diff = []
    if not _same_unit(gold.get("unit"), row.get("unit")):
        diff.append(f"unit {row.get('unit')!r}≠{gold.get('unit')!r}")
    want, got = gold["target"], row.get("target") or {}
    for key in ("value", "comparator", "year"):
        same = _same_number(want.get(key), got.get(key)) if key == "value" \
            else want.get(key) == got.get(key)
        if not same:
            diff.append(f"{key} {got.get(key)!r}≠{want.get(key)!r}")
    gb, rb = gold.get("baseline"), row.get("baseline")
    if (gb is None) != (rb is None) or (gb and (not _same_number(gb.get("value"), rb.get("value"))
                                               or gb.get("year") != rb.get("year"))):
        diff.append(f"baseline {rb!r}≠{gb!r}")
    for key in ("attribute", "cumulative"):
        if key in gold and gold[key] != row.get(key):
            diff.append(f"{key} {row.get(key)!r}≠{gold[key]!r}")
    return diff


def score_targets(gen: Generation, gold: dict) -> Score:
    """A gold target is right when one extracted target of its document names the indicator
    (one of its `match` words) and has its unit, value, comparator, year and baseline."""
    score = Score("targets")
    rows = _fact_rows(gen, "targets", _target_rows)
    for item in gold["items"]:
        words = [match_key(w) for w in item.get("match") or [item["indicator"]]]
        mine = [r for r in rows if r.get("doc") == item["doc"]
                and any(w in match_key(r.get("indicator") or "") for w in words)]
        diffs = [_target_diff(item, r) for r in mine]
        ok = any(not d for d in diffs)
        why = min(diffs, key=len) if diffs else ["no target with that indicator"]
        score.check(ok, f"{item['doc'][:3]} {item['indicator']}: {'; '.join(why)}")
    score.extra["extracted"] = len(rows)
    return score


def _finest_containing(provisions: list[dict], doc: str, phrase: str) -> set[str]:
    """Ids of the finest provisions of `doc` whose text (whitespace removed) has `phrase`."""
    want = squash(phrase)
    having = {p["id"] for p in provisions if p["doc"] == doc and want in squash(p["text"])}
    by_id = {p["id"]: p for p in provisions if p["id"] in having}
    return {pid for pid, p in by_id.items()
            if not any(c in having for c in p.get("children") or ())}


def _with_parents(ids: set[str], by_id: dict) -> set[str]:
    return ids | {by_id[i]["parent"] for i in ids if by_id.get(i, {}).get("parent")}


def score_alignment(gen: Generation, gold: dict) -> Score:
    """Recall of the gold links: a link is found when an exported text-reuse link joins the
    two provisions, each at the finest level or at most one level coarser, higher → lower.
    Precision is not measured here (the gold is a sample); `links` counts what is exported."""
    score = Score("alignment")
    rows = [r for r in _fact_rows(gen, "alignments", _alignment_rows)
            if r.get("kind") != "target"]
    pairs = {(r["higher"], r["lower"]) for r in rows}
    provisions, by_id = gen.provisions, gen.provision_by_id
    for item in gold["items"]:
        hi, lo = item["higher"], item["lower"]
        ok_hi = _with_parents(_finest_containing(provisions, hi["doc"], hi["contains"]), by_id)
        ok_lo = _with_parents(_finest_containing(provisions, lo["doc"], lo["contains"]), by_id)
        found = any((h, l) in pairs for h in ok_hi for l in ok_lo)
        score.check(found, f"{hi['doc'][:3]}→{lo['doc'][:3]} {lo['contains'][:24]}")
    score.extra["links"] = len(rows)
    return score


SCORERS["targets"] = score_targets
SCORERS["alignment"] = score_alignment


# ---- departments and citations ---------------------------------------------------------------------

def _heading_norm(text: str | None) -> str:
    """Headings compared without quotes, punctuation or whitespace."""
    import re
    return re.sub(r"[\W_]", "", match_key(text or ""))


def _matches(names: list[str], groups: list[list[str]]) -> bool:
    """Each gold department (a list of acceptable names) is named exactly once, nothing else."""
    left = [match_key(n) for n in names]
    if len(left) != len(groups):
        return False
    for group in groups:
        accept = {match_key(a) for a in group}
        hit = next((n for n in left if n in accept), None)
        if hit is None:
            return False
        left.remove(hit)
    return not left


def score_departments(gen: Generation, gold: dict) -> Score:
    """A task is right when every provision with its heading (the body provision and the
    annexed table row alike) has exactly the gold lead set and the gold participant set."""
    score = Score("departments")
    facts = getattr(gen, "provision_facts", None)
    by_doc: dict[str, list[dict]] = {}
    for p in gen.provisions:
        by_doc.setdefault(p["doc"], []).append(p)
    for item in gold["items"]:
        want = _heading_norm(item["heading"])
        found = [p for p in by_doc.get(item["doc"], []) if _heading_norm(p["heading"]) == want]
        what = f"{item['doc'][:3]} {item['heading']}"
        if not found:
            score.check(False, f"{what}: no provision with this heading")
            continue
        wrong = []
        for p in found:
            got = (facts(p["id"]) if facts else {}).get("departments") or {}
            lead, part = got.get("lead", []), got.get("participants", [])
            if not (_matches(lead, item["lead"]) and _matches(part, item["participants"])):
                wrong.append(f"{p['kind']} lead={lead} participants={part}")
        score.check(not wrong, f"{what}: " + "; ".join(wrong))
    return score


def score_citations(gen: Generation, gold: dict) -> Score:
    """A citation is right when the citing document has it (by title, else by 文号) with the
    gold 文号 and the gold corpus document (or none), and when every citation of the same
    document — same 文号 or same title, whoever cites it — points at one and the same node."""
    score = Score("citations")
    rows = list(_fact_rows(gen, "citations", lambda docs: []))

    def num(v: str | None) -> str | None:
        return match_key(v) if v else None

    for item in gold["items"]:
        title, number = match_key(item["title"]), num(item.get("number"))
        mine = [r for r in rows if r["doc"] == item["doc"]]
        hit = [r for r in mine if match_key(r.get("title") or "") == title]
        if not hit and number:
            hit = [r for r in mine if num(r.get("number")) == number]
        what = f"{item['doc'][:3]} 《{item['title']}》"
        if not hit:
            score.check(False, f"{what}: not found")
            continue
        r = hit[0]
        problems = []
        if num(r.get("number")) != number:
            problems.append(f"number {r.get('number')!r}≠{item.get('number')!r}")
        if r.get("resolves_to") != item.get("resolves_to"):
            problems.append(f"resolves_to {r.get('resolves_to')!r}≠{item.get('resolves_to')!r}")
        same = [x for x in rows if (number and num(x.get("number")) == number)
                or match_key(x.get("title") or "") == title]
        targets = {x.get("target") for x in same}
        if len(targets) != 1:
            problems.append(f"{len(targets)} nodes for one cited document")
        score.check(not problems, f"{what}: " + ", ".join(problems))
    score.extra["citations"] = len(rows)
    score.extra["cited_documents"] = len({r.get("target") for r in rows})
    return score


SCORERS["departments"] = score_departments
SCORERS["citations"] = score_citations


# ---- search ------------------------------------------------------------------------------

# Kinds too coarse to count as a search hit: the judgments want the provision that says
# it, "at section level or finer", not the whole chapter or annex around it.
_COARSE = {"chapter", "annex"}


def score_search(gen: Generation, gold: dict) -> Score:
    """Recall@k and MRR of the search over the judged queries.

    A judged entry is met by a hit among the first k from its document, not a chapter
    or annex, whose whitespace-free text contains the phrase.  `right`/`total` count the
    entries met; recall@k averages per query; MRR is 1/rank of a query's first hit that
    meets any of its entries (0 when none does within k).
    """
    score = Score("search")
    try:
        gen.searcher
    except NotBuilt as exc:
        score.check(False, str(exc))
        return score
    by_id = gen.provision_by_id
    recalls, ranks = [], []
    for item in gold.get("items", []):
        k = int(item.get("k", 10))
        result = gen.searcher.search(item["q"], filters=item.get("filters"), page_size=k)
        hits = [(h.doc, h.kind, squash(by_id[h.id]["text"]) if h.id in by_id else "")
                for h in result.hits[:k]]
        met, first = 0, None
        for rel in item.get("relevant", []):
            want = squash(rel["contains"])
            at = next((i for i, (doc, kind, text) in enumerate(hits)
                       if doc == rel["doc"] and kind not in _COARSE and want in text), None)
            score.check(at is not None, f"{item['q']!r}: {rel['doc'][:3]} “{rel['contains']}” "
                                        f"not in the first {k}")
            if at is not None:
                met += 1
                first = at if first is None else min(first, at)
        recalls.append(met / len(item["relevant"]) if item.get("relevant") else 1.0)
        ranks.append(0.0 if first is None else 1.0 / (first + 1))
    n = len(recalls) or 1
    score.extra["recall@k"] = sum(recalls) / n
    score.extra["MRR"] = sum(ranks) / n
    return score


SCORERS["search"] = score_search
