"""`policykg eval`: the build scored against hand-checked facts (../shared/eval/*.json).

Each file has its own scorer; a file that is absent is skipped.  Scores are facts right
out of facts checked, with the misses listed so that a regression can be read, not
guessed at.  The facts are a sample: these scorers measure, they never feed the build.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from corpus.text import match_key
from indexer.generation import Generation


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
    """--eval-dir, $POLICYKG_EVAL, or shared/eval beside the working folder or the project."""
    candidates = [explicit] if explicit else []
    if os.environ.get("POLICYKG_EVAL"):
        candidates.append(Path(os.environ["POLICYKG_EVAL"]))
    project = Path(__file__).resolve().parent.parent
    candidates += [Path.cwd().parent / "shared" / "eval", project.parent / "shared" / "eval",
                   Path.cwd() / "shared" / "eval"]
    for c in candidates:
        if c and c.is_dir():
            return c
    return None


def _load(folder: Path, name: str) -> dict | None:
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
    for doc in gold["documents"]:
        name = doc["doc"][:3]
        mine = [p for p in gen.provisions if p["doc"] == doc["doc"]]
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
        gold = _load(folder, name)
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
