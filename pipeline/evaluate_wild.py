"""`policykg eval`, wild part: documents from elsewhere, added as a user adds them, scored
against their gold files (../shared/eval/wild/*.gold.json; its README says how).

How the documents get in.  Each gold names its input by `file`; reference copies in the
folder are never read.  Every input goes through what `policykg add` runs with no flags —
`read_candidate` (format, encoding, script detected from the bytes) and `add_document`'s
checks (a dry run: duplicate, no provisions, unreadable) and `plan_entry` (the same file
name and inferred metadata as the add) — into a scratch data folder (a temporary
directory: the user's data folder is never touched), then ONE full build of the bundled
corpus plus those sources.  The README's "add == full build" guarantee (a test in the
repo) makes that the same corpus as six adds one after another, at a quarter of the time
(~5 s against ~19 s on an idle machine); `one_by_one=True` (`policykg eval --one-by-one`)
does the real adds instead, to check (same scores).  A document that fails to add is
reported with its one-line reason and every one of its facts counts as missed; if the
batch build itself fails, the adds are done one by one.  The scratch corpus is kept under
a hash of everything it depends on (see `evaluate_wild`), so evaluating the same code
twice builds once.

What a fact is (the unit of "≥ 95 % of its facts"): every line below is one fact, right
or missed.  A false positive is a missed fact of its key.

- metadata: each of number, date, level, region, issuers (the whole list, in order),
  title_contains.
- chapters: each gold chapter found in order (longest common subsequence of the headings);
  each extra body chapter is one more, missed.
- sections: each gold chapter's count of （一） sections, exact.
- departments: each gold lead slot and each gold participant slot (a slot is right when
  every provision with the heading — body provision and table row alike — names one of
  its acceptable full names in that role); each other name output in a role for that
  heading is one more, missed (a name in the wrong role is a missed slot and an extra).
- not_departments: each listed name, right when the document outputs no responsibility or
  mention under that name.
- targets: each gold target (indicator word, value in unit, comparator, year); recall.
- not_targets: each entry, right when no extracted target of the document has its value
  and one of its words.
- citations: per gold citation, `found` (a citation whose title contains `contains`), its
  `number` when not null, its `resolves_to` (a null one: not a corpus document, and every
  citation of the same 文号 anywhere in the corpus points at one node).
- not_citations: each listed string, right when no citation's title contains it.
- aligned_with: each link higher_doc → this document found between the provisions holding
  the sentence, at the finest level or one coarser; recall.
- search: each query, right when a hit among the first 10 is from this document at
  section level or finer (a chapter or annex counts only when no provision under it holds
  the phrase) and contains the phrase; MRR of the first such hit is shown beside.

Strings are compared after removing whitespace and quote marks (corpus.text.match_key).
Text that is shown as written — titles, headings, provision text, cited titles, indicator
names — is also turned simplified (OpenCC t2s) first, since the originals of a
traditional document may be kept for display; names that identify a node (issuers,
region, departments, 文号) must come out simplified as they are.
"""
from __future__ import annotations

import contextlib
import difflib
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator, Sequence

import opencc

from policykg.corpus.sources import commit_manifest, load_sources, store_source
from policykg.corpus.text import match_key
from policykg.pipeline.build import build as run_build
from policykg.pipeline.evaluate import Score
from policykg.pipeline.generation import Generation
from policykg.pipeline.ingest import add_document, plan_entry, read_candidate
from policykg.pipeline.datadir import DataDir

GOLD_SUFFIX = ".gold.json"
SEARCH_K = 10
# Kinds too coarse to be a search hit when a provision under them holds the phrase.
_COARSE = {"chapter", "annex"}
_T2S = opencc.OpenCC("t2s")


# ---- normalisation ---------------------------------------------------------------------------

def text_key(s: str | None) -> str:
    """Display text as the gold writes it: simplified, no whitespace, no quote marks."""
    return match_key(_T2S.convert(s or ""))


def heading_key(s: str | None) -> str:
    """Headings also compared without punctuation (、，。 differ between copies)."""
    return re.sub(r"[\W_]", "", text_key(s))


def name_key(s: str | None) -> str:
    """Names of nodes: no script conversion (a traditional name is a different node)."""
    return match_key(s or "")


# ---- the wild folder and how its documents get in --------------------------------------------

@dataclass(frozen=True)
class WildDoc:
    """One gold file, and what became of its input when it was added."""

    name: str                     # the gold's stem, e.g. D1_beijing
    gold: dict
    file: str | None = None       # the corpus file it was added as (None: not added)
    error: str | None = None      # the one-line reason it was not added
    provisions: int = 0


def find_wild_dir(eval_dir: Path | None) -> Path | None:
    """eval_dir/wild when it holds gold files, else None (skipped quietly)."""
    if eval_dir is None:
        return None
    folder = eval_dir / "wild"
    return folder if folder.is_dir() and any(folder.glob("*" + GOLD_SUFFIX)) else None


def load_golds(folder: Path) -> list[WildDoc]:
    docs = []
    for path in sorted(folder.glob("*" + GOLD_SUFFIX)):
        name = path.name[:-len(GOLD_SUFFIX)]
        try:
            gold = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            gold = {"file": None, "_error": f"gold unreadable: {exc}"}
        docs.append(WildDoc(name, gold))
    return docs


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


def _input(folder: Path, doc: WildDoc) -> Path:
    if doc.gold.get("_error"):
        raise ValueError(doc.gold["_error"])
    if not doc.gold.get("file"):
        raise ValueError("the gold names no `file`")
    return folder / doc.gold["file"]


def _stage(data: DataDir, folder: Path, doc: WildDoc, max_bytes: int) -> WildDoc:
    """Check `doc` adds as `policykg add FILE` would (no flags) and store it as a source."""
    try:
        candidate = read_candidate(_input(folder, doc), max_bytes, given={})
        checked = add_document(data, candidate, dry_run=True)
        if checked.status != "dry-run":           # already in the corpus (e.g. bundled)
            return replace(doc, file=checked.file)
        manifest = load_sources(data.sources)
        entry, _ = plan_entry(candidate, manifest)
        store_source(data.sources, entry.file, candidate.data, candidate.read.text)
        commit_manifest(data.sources, manifest.with_entry(entry))
        return replace(doc, file=entry.file, provisions=checked.provisions)
    except Exception as exc:      # any failure is this document's result, never a traceback
        return replace(doc, error=_reason(exc))


def _add(data: DataDir, folder: Path, doc: WildDoc, max_bytes: int) -> WildDoc:
    """`policykg add FILE` with no flags, for real (incremental)."""
    try:
        candidate = read_candidate(_input(folder, doc), max_bytes, given={})
        result = add_document(data, candidate)
        return replace(doc, file=result.file, provisions=result.provisions)
    except Exception as exc:
        return replace(doc, error=_reason(exc))


def add_wild(data: DataDir, folder: Path, docs: Sequence[WildDoc], max_bytes: int,
             engines: Sequence[str] | None = None,
             one_by_one: bool = False) -> tuple[DataDir, list[WildDoc]]:
    """Put the wild documents, with the bundled corpus, into the empty data folder `data`
    (or a fresh one inside it); returns the folder built and what became of each."""
    if not one_by_one:
        staged = [_stage(data, folder, d, max_bytes) for d in docs]
        try:
            run_build(data, engines=engines)
            return data, staged
        except Exception:
            # One document the build cannot take must not sink the others: start again
            # with real adds, which tell which document it is.
            data = DataDir(Path(tempfile.mkdtemp(dir=data.root, prefix="one-by-one-")))
    run_build(data, engines=engines)
    return data, [_add(data, folder, d, max_bytes) for d in docs]


# ---- what the build says about one document --------------------------------------------------

@dataclass(frozen=True)
class Corpus:
    """The scratch build, read once: every scorer looks things up here."""

    gen: Generation | None                # None: nothing was built (counting facts only)
    documents: dict[str, dict]
    provisions: list[dict]
    by_id: dict[str, dict]
    rows: dict[str, list[dict]]           # graph export rows by name
    facts: Callable[[str], dict]

    @classmethod
    def read(cls, gen: Generation) -> "Corpus":
        provisions = gen.provisions
        rows = {n: gen.graph_rows(n) for n in ("departments", "citations", "targets",
                                                "alignments")}
        return cls(gen, {d["doc"]: d for d in gen.documents}, provisions,
                   {p["id"]: p for p in provisions}, rows, gen.provision_facts)

    def of(self, file: str) -> list[dict]:
        return [p for p in self.provisions if p["doc"] == file]

    def rows_of(self, name: str, file: str) -> list[dict]:
        return [r for r in self.rows[name] if r.get("doc") == file]


def _short(items, limit: int = 6) -> str:
    items = list(items)
    more = f" …+{len(items) - limit}" if len(items) > limit else ""
    return "[" + ", ".join(str(i) for i in items[:limit]) + more + "]"


# ---- metadata, chapters, sections ------------------------------------------------------------

def _issuers(row: dict) -> list[str]:
    if row.get("issuers"):
        return list(row["issuers"])
    return [s for s in re.split(r"[、，,；;\s]+", row.get("issuer") or "") if s]


def score_metadata(c: Corpus, file: str, gold: dict) -> Score:
    score = Score("metadata")
    row = c.documents.get(file, {})
    want = gold.get("metadata") or {}
    for key in ("number", "date", "level", "region"):
        if key in want:
            got = row.get(key)
            score.check(name_key(got) == name_key(want[key]),
                        f"{key}: got {got!r}, want {want[key]!r}")
    if "issuers" in want:
        got = _issuers(row)
        score.check([name_key(i) for i in got] == [name_key(i) for i in want["issuers"]],
                    f"issuers: got {got}, want {want['issuers']}")
    if "title_contains" in want:
        score.check(text_key(want["title_contains"]) in text_key(row.get("title")),
                    f"title: {row.get('title')!r} lacks {want['title_contains']!r}")
    return score


def _body_chapters(mine: list[dict]) -> list[dict]:
    return [p for p in mine if p["kind"] == "chapter" and not p.get("annex")]


def score_chapters(c: Corpus, file: str, gold: dict) -> Score:
    score = Score("chapters")
    got = [heading_key(p["heading"]) for p in _body_chapters(c.of(file))]
    want = [heading_key(h) for h in gold.get("chapters") or []]
    matcher = difflib.SequenceMatcher(a=want, b=got, autojunk=False)
    blocks = matcher.get_matching_blocks()
    found = {b.a + k for b in blocks for k in range(b.size)}
    used = {b.b + k for b in blocks for k in range(b.size)}
    shown = _short(got, 8)
    for i, h in enumerate(gold.get("chapters") or []):
        score.check(i in found, f"chapter {h!r} missing (chapters: {shown})")
    for j, h in enumerate(got):
        if j not in used:
            score.check(False, f"extra chapter {h!r}")
    return score


def _chapter_of(p: dict, by_id: dict) -> str | None:
    parent = p.get("parent")
    while parent and parent in by_id:
        if by_id[parent]["kind"] == "chapter":
            return parent
        parent = by_id[parent].get("parent")
    return None


def score_sections(c: Corpus, file: str, gold: dict) -> Score:
    score = Score("sections")
    mine = c.of(file)
    chapters = {heading_key(p["heading"]): p["id"] for p in reversed(_body_chapters(mine))}
    counts: dict[str, int] = {}
    for p in mine:
        if p["kind"] == "section" and not p.get("annex"):
            ch = _chapter_of(p, c.by_id)
            counts[ch] = counts.get(ch, 0) + 1
    for heading, want in (gold.get("sections") or {}).items():
        ch = chapters.get(heading_key(heading))
        if ch is None:
            score.check(False, f"{heading}: chapter not found (want {want} sections)")
            continue
        got = counts.get(ch, 0)
        score.check(got == want, f"{heading}: {got} sections, want {want}")
    return score


# ---- departments -----------------------------------------------------------------------------

def _with_heading(mine: list[dict], heading: str) -> list[dict]:
    """The provisions a gold heading names: equal headings, else one a prefix of the other
    (a long heading may be cut short, or run on past the first 。)."""
    want = heading_key(heading)
    same = [p for p in mine if heading_key(p["heading"]) == want]
    if same or len(want) < 6:
        return same
    return [p for p in mine if (h := heading_key(p["heading"])) and len(h) >= 6
            and (h.startswith(want) or want.startswith(h))]


def _roles(c: Corpus, pid: str) -> dict[str, list[str]]:
    got = c.facts(pid).get("departments") or {}
    return {"lead": list(got.get("lead") or []),
            "participants": list(got.get("participants") or [])}


def score_departments(c: Corpus, file: str, gold: dict) -> Score:
    score = Score("departments")
    mine = c.of(file)
    for item in gold.get("departments") or []:
        found = _with_heading(mine, item["heading"])
        roles = {p["id"]: _roles(c, p["id"]) for p in found}
        seen = "; ".join(f"{p['kind']} {p['path']} lead={roles[p['id']]['lead']} "
                         f"participants={roles[p['id']]['participants']}" for p in found) \
            or "no provision with this heading"
        for role in ("lead", "participants"):
            slots = [{name_key(n) for n in slot} for slot in item.get(role) or []]
            for slot, names in zip(slots, item.get(role) or []):
                ok = bool(found) and all(any(name_key(n) in slot for n in r[role])
                                         for r in roles.values())
                score.check(ok, f"{item['heading']}: {role} {names[0]} missed ({seen})")
            accepted = set().union(*slots) if slots else set()
            extra = {n for r in roles.values() for n in r[role] if name_key(n) not in accepted}
            for name in sorted(extra):
                score.check(False, f"{item['heading']}: extra {role} {name} ({seen})")
    return score


def _output_names(c: Corpus, file: str) -> set[str]:
    """Every department name the document puts out: responsibilities and mentions."""
    mine = c.of(file)
    ids = {p["id"] for p in mine}
    names = {name_key(n) for p in mine for r in _roles(c, p["id"]).values() for n in r}
    for row in c.rows["departments"]:
        tasks = any(t.get("doc") == file for t in row.get("tasks") or [])
        if tasks or ids.intersection(row.get("mentions") or []):
            names.add(name_key(row.get("name")))
    return names


def score_not_departments(c: Corpus, file: str, gold: dict) -> Score:
    score = Score("not_departments")
    names = _output_names(c, file)
    for bad in gold.get("not_departments") or []:
        score.check(name_key(bad) not in names, f"false positive: {bad} is output")
    return score


# ---- targets ---------------------------------------------------------------------------------

def _same_number(a, b) -> bool:
    try:
        return a is not None and b is not None and abs(float(a) - float(b)) < 1e-6
    except (TypeError, ValueError):
        return False


def _unit_key(u: str | None) -> str:
    return text_key(u).replace("名", "人")


def _names(row: dict, words: list[str]) -> bool:
    indicator = text_key(row.get("indicator"))
    return any(text_key(w) in indicator for w in words)


def _target_diff(want: dict, row: dict) -> list[str]:
    got = row.get("target") or {}
    diff = []
    if not _same_number(got.get("value"), want.get("value")):
        diff.append(f"value {got.get('value')}")
    if _unit_key(row.get("unit")) != _unit_key(want.get("unit")):
        diff.append(f"unit {row.get('unit')!r}")
    if got.get("comparator") != want.get("comparator"):
        diff.append(f"comparator {got.get('comparator')!r}")
    if got.get("year") != want.get("year"):
        diff.append(f"year {got.get('year')}")
    return diff


def _show_target(t: dict) -> str:
    return f"{t.get('comparator')}{t.get('value')}{t.get('unit') or ''} ({t.get('year')})"


def score_targets(c: Corpus, file: str, gold: dict) -> Score:
    score = Score("targets")
    rows = c.rows_of("targets", file)
    for want in gold.get("targets") or []:
        mine = [r for r in rows if _names(r, want["match"])]
        diffs = [(r, _target_diff(want, r)) for r in mine]
        ok = any(not d for _, d in diffs)
        if diffs:
            r, d = min(diffs, key=lambda x: len(x[1]))
            why = f"nearest {r.get('indicator')!r} has {', '.join(d)}"
        else:
            why = f"no indicator with {want['match']} (indicators: " \
                  f"{_short(sorted({r.get('indicator') for r in rows}), 8)})"
        score.check(ok, f"{'/'.join(want['match'])} {_show_target(want)}: {why}")
    return score


def score_not_targets(c: Corpus, file: str, gold: dict) -> Score:
    score = Score("not_targets")
    rows = c.rows_of("targets", file)
    for bad in gold.get("not_targets") or []:
        hits = [r for r in rows if _names(r, bad["match"])
                and _same_number((r.get("target") or {}).get("value"), bad.get("value"))]
        score.check(not hits, f"false positive: {'/'.join(bad['match'])} {bad.get('value')} "
                              f"read as target(s) {[r.get('indicator') for r in hits]}")
    return score


# ---- citations -------------------------------------------------------------------------------

def _cited_title(row: dict) -> str:
    return text_key(row.get("title")) + "|" + text_key(row.get("cited_title"))


def score_citations(c: Corpus, file: str, gold: dict) -> Score:
    score = Score("citations")
    rows = c.rows_of("citations", file)
    for want in gold.get("citations") or []:
        what = f"《…{want['contains']}…》"
        hits = [r for r in rows if text_key(want["contains"]) in _cited_title(r)]
        score.check(bool(hits), f"{what} not found (cited: "
                                f"{_short(sorted({r.get('title') for r in rows}), 6)})")
        number = want.get("number")
        if number is not None:
            got = sorted({str(r.get("number")) for r in hits})
            score.check(any(name_key(r.get("number")) == name_key(number) for r in hits),
                        f"{what} number {got}, want {number}")
        target = want.get("resolves_to")
        got_to = sorted({str(r.get("resolves_to")) for r in hits})
        if target is not None:
            score.check(any(r.get("resolves_to") == target for r in hits),
                        f"{what} resolves to {got_to}, want {target}")
            continue
        ok, why = bool(hits) and all(r.get("resolves_to") is None for r in hits), ""
        if ok and number:
            same = [r for r in c.rows["citations"] if name_key(r.get("number")) == name_key(number)]
            nodes = {r.get("target") for r in same}
            ok, why = len(nodes) == 1, f"; {len(nodes)} nodes for {number}"
        score.check(ok, f"{what} should be one external node: resolves to {got_to}{why}")
    return score


def score_not_citations(c: Corpus, file: str, gold: dict) -> Score:
    score = Score("not_citations")
    rows = c.rows_of("citations", file)
    for bad in gold.get("not_citations") or []:
        hits = [r.get("title") for r in rows if text_key(bad) in text_key(r.get("title"))]
        score.check(not hits, f"false positive: {hits[0] if hits else ''!r} cited "
                              f"(its own title or annex)")
    return score


# ---- alignment and search --------------------------------------------------------------------

def _finest_with(c: Corpus, file: str, phrase: str) -> set[str]:
    """Ids of the finest provisions of `file` whose text holds `phrase`."""
    want = text_key(phrase)
    having = {p["id"] for p in c.of(file) if want in text_key(p["text"])}
    return {pid for pid in having
            if not any(ch in having for ch in c.by_id[pid].get("children") or ())}


def _and_parents(c: Corpus, ids: set[str]) -> set[str]:
    return ids | {c.by_id[i]["parent"] for i in ids if c.by_id[i].get("parent")}


def score_aligned(c: Corpus, file: str, gold: dict) -> Score:
    score = Score("aligned_with")
    for want in gold.get("aligned_with") or []:
        higher, phrase = want["higher_doc"], want["lower_contains"]
        hi, lo = _finest_with(c, higher, phrase), _finest_with(c, file, phrase)
        ok_hi, ok_lo = _and_parents(c, hi), _and_parents(c, lo)
        links = [r for r in c.rows["alignments"] if r.get("kind") != "target"
                 and r.get("higher_doc") == higher and r.get("lower_doc") == file]
        ok = any(r["higher"] in ok_hi and r["lower"] in ok_lo for r in links)
        where = (f"phrase in {higher[:3]}: {_short(sorted(hi), 3)}, here: {_short(sorted(lo), 3)}; "
                 f"links {higher[:3]}→this: {_short(sorted(r['lower'] for r in links), 4)}")
        score.check(ok, f"{higher[:3]} → “{phrase[:20]}…” not linked ({where})")
    return score


def _relevant(c: Corpus, hit_id: str, file: str, phrase: str) -> bool:
    p = c.by_id.get(hit_id)
    if p is None or p["doc"] != file or phrase not in text_key(p["text"]):
        return False
    if p["kind"] not in _COARSE:
        return True
    return not any(phrase in text_key(c.by_id[ch]["text"])
                   for ch in p.get("children") or () if ch in c.by_id)


def score_search(c: Corpus, file: str, gold: dict) -> Score:
    score = Score("search")
    ranks = []
    for item in gold.get("search") or []:
        phrase = text_key(item["contains"])
        hits = c.gen.searcher.search(item["q"], page_size=SEARCH_K).hits[:SEARCH_K] \
            if c.gen is not None else []
        rank = next((i + 1 for i, h in enumerate(hits) if _relevant(c, h.id, file, phrase)), None)
        ranks.append(1.0 / rank if rank else 0.0)
        holders = _short(sorted(_finest_with(c, file, item["contains"])), 3)
        top = _short([f"{h.doc[:3]}:{h.id.split('__', 1)[-1]}" for h in hits[:5]], 5)
        score.check(rank is not None, f"{item['q']!r}: “{item['contains'][:20]}…” not in the "
                                      f"first {SEARCH_K} (held by {holders}; top: {top})")
    if ranks:
        score.extra["MRR"] = sum(ranks) / len(ranks)
    return score


SCORERS: dict[str, Callable[[Corpus, str, dict], Score]] = {
    "metadata": score_metadata, "chapters": score_chapters, "sections": score_sections,
    "departments": score_departments, "not_departments": score_not_departments,
    "targets": score_targets, "not_targets": score_not_targets,
    "citations": score_citations, "not_citations": score_not_citations,
    "aligned_with": score_aligned, "search": score_search,
}


# ---- scoring and the report ------------------------------------------------------------------

@dataclass(frozen=True)
class WildResult:
    doc: WildDoc
    scores: list[Score] = field(default_factory=list)

    @property
    def right(self) -> float:
        return sum(s.right for s in self.scores)

    @property
    def total(self) -> int:
        return sum(s.total for s in self.scores)


def _all_missed(score: Score, reason: str) -> Score:
    """A document that did not get in: every fact of each key counts as missed."""
    return Score(score.name, 0.0, score.total, [f"not added: {reason}"] if score.total else [])


# Nothing extracted: scoring against it counts a key's facts, all of them missed.
NOTHING = Corpus(None, {}, [], {}, {n: [] for n in ("departments", "citations", "targets",
                                                    "alignments")}, lambda pid: {})


def score_document(c: Corpus, doc: WildDoc) -> WildResult:
    """One document's facts, key by key; a document not added, or a key whose scorer
    fails, has every one of its facts missed, with the reason."""
    file = doc.file if doc.file and not doc.error else None
    scores = []
    for name, scorer in SCORERS.items():
        if file is None:
            scores.append(_all_missed(scorer(NOTHING, "", doc.gold), doc.error or "no file"))
            continue
        try:
            scores.append(scorer(c, file, doc.gold))
        except Exception as exc:   # a gold key in an unexpected shape, a bug: one line
            try:
                counted = scorer(NOTHING, "", doc.gold)
            except Exception:
                counted = Score(name, total=1)
            scores.append(_all_missed(counted, f"scorer failed: {_reason(exc)}"))
    return WildResult(doc, scores)


@dataclass(frozen=True)
class WildReport:
    results: list[WildResult]
    seconds: float
    mode: str

    @property
    def right(self) -> float:
        return sum(r.right for r in self.results)

    @property
    def total(self) -> int:
        return sum(r.total for r in self.results)


def evaluate_wild(folder: Path, max_bytes: int, engines: Sequence[str] | None = None,
                  search_engine: str | None = None, one_by_one: bool = False,
                  cache: bool = True) -> WildReport:
    """Add every wild document to a scratch corpus and score each against its gold.

    With `cache`, the scratch corpus is kept (in the system's temporary folder) under a
    hash of everything its build depends on — the code and data of corpus/, ontology/ and
    indexer/, the wild folder's files, the installed packages, the engines — so a second
    eval of the same code scores the same build again without rebuilding it."""
    started = time.monotonic()
    docs = load_golds(folder)
    key = build_key(folder, engines, one_by_one) if cache else None
    with _scratch(key) as (scratch, ready):
        loaded = _load_added(scratch, docs) if ready else None
        reused = loaded is not None
        if ready and not reused:                # a damaged kept corpus: build it again
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir(parents=True)
        try:
            if reused:
                data, added = loaded
            else:
                data, added = add_wild(DataDir(scratch / "data"), folder, docs, max_bytes,
                                       engines, one_by_one)
            corpus = Corpus.read(Generation(data.require_current(), engine=search_engine))
            if not reused:
                _save_added(scratch, data, added)
        except Exception as exc:   # the pipeline itself is broken: every fact is missed
            why = f"scratch build of the bundled corpus failed: {_reason(exc)}"
            added, corpus = [replace(d, file=None, error=why) for d in docs], NOTHING
        results = [score_document(corpus, d) for d in added]
    mode = "one by one" if one_by_one else "staged, one build"
    return WildReport(results, time.monotonic() - started, mode + (", cached" if reused else ""))


# ---- the kept scratch corpus -----------------------------------------------------------------

CACHE_KEEP = 3                                  # scratch corpora kept, newest first
_ADDED = "added.json"
_BUILD_INPUTS = ("corpus", "ontology", "indexer")


def cache_root() -> Path:
    return Path(tempfile.gettempdir()) / "policykg-eval-cache"


def build_key(folder: Path, engines: Sequence[str] | None, one_by_one: bool) -> str:
    """A hash of everything the scratch build's result depends on."""
    project = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(repr((sorted(engines or ()), one_by_one)).encode())
    files = [p for d in _BUILD_INPUTS for p in sorted((project / d).rglob("*"))
             if p.is_file() and "__pycache__" not in p.parts]
    for path in files + sorted(p for p in folder.iterdir() if p.is_file()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    packages = sorted(f"{d.metadata['Name']}=={d.version}"
                      for d in importlib.metadata.distributions())
    digest.update("\n".join(packages).encode())
    return digest.hexdigest()[:24]


@contextlib.contextmanager
def _scratch(key: str | None) -> Iterator[tuple[Path, bool]]:
    """(folder, already built?): a temporary folder, or the kept one for `key` — a new
    one is built beside it and renamed into place when whole, then old ones pruned."""
    if key is None:
        with tempfile.TemporaryDirectory(prefix="policykg-eval-") as tmp:
            yield Path(tmp), False
        return
    root = cache_root()
    kept = root / key
    if (kept / _ADDED).is_file():
        os.utime(kept)                          # newest used: pruned last
        yield kept, True
        return
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))
    except OSError:                             # nowhere to keep it: build it unkept
        with _scratch(None) as unkept:
            yield unkept
        return
    try:
        yield tmp, False
        if (tmp / _ADDED).is_file():
            tmp.rename(kept)                    # atomic; fails if a twin got there first
    except OSError:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        _prune(root)


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:                             # another eval renamed or pruned it
        return 0.0


def _prune(root: Path) -> None:
    """Keep the newest CACHE_KEEP corpora (several evals may share the folder)."""
    entries = sorted((p for p in root.iterdir() if not p.name.startswith(".")), key=_age)
    stale = [p for p in root.glob(".tmp-*") if _age(p) > 3600]
    for old in entries[CACHE_KEEP:] + stale:
        shutil.rmtree(old, ignore_errors=True)


def _save_added(folder: Path, data: DataDir, added: Sequence[WildDoc]) -> None:
    rows = {"data": str(data.root.relative_to(folder)),
            "docs": [{"name": d.name, "file": d.file, "error": d.error,
                      "provisions": d.provisions} for d in added]}
    (folder / _ADDED).write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")


def _load_added(folder: Path, docs: Sequence[WildDoc]) -> tuple[DataDir, list[WildDoc]] | None:
    try:
        rows = json.loads((folder / _ADDED).read_text(encoding="utf-8"))
        by_name = {r["name"]: r for r in rows["docs"]}
        added = [replace(d, file=by_name[d.name]["file"], error=by_name[d.name]["error"],
                         provisions=by_name[d.name]["provisions"]) for d in docs]
        return DataDir(folder / rows["data"]), added
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _pct(right: float, total: int) -> str:
    return f"{right / total:6.1%}" if total else "     —"


def format_document(r: WildResult, verbose: bool = False) -> str:
    d = r.doc
    state = f"→ {d.file} ({d.provisions} provisions)" if d.file and not d.error \
        else f"NOT ADDED: {d.error}"
    lines = [f"wild {d.gold.get('file') or d.name} {state}",
             f"  {'key':<16}{'right':>6}{'of':>5}{'score':>8}"]
    for s in r.scores:
        more = "  ".join(f"{k}={v:.3f}" for k, v in s.extra.items())
        row = f"  {s.name:<16}{s.right:>6.0f}{s.total:>5}{_pct(s.right, s.total):>8}  {more}"
        lines.append(row.rstrip())
    lines.append(f"  {'facts':<16}{r.right:>6.0f}{r.total:>5}{_pct(r.right, r.total):>8}")
    misses = sum(len(s.misses) for s in r.scores)
    if verbose:
        short = d.name.split("_")[0]       # D1: a miss line names its document for grep
        for s in r.scores:
            lines += [f"    miss [{short} {s.name}] {m}" for m in s.misses]
    elif misses:
        lines.append(f"  ({misses} misses: -v lists them)")
    return "\n".join(lines)


def format_total(report: WildReport) -> str:
    """The one headline line: every wild fact, and each document's share."""
    per = " ".join(f"{r.doc.name.split('_')[0]}={_pct(r.right, r.total).strip()}"
                   for r in report.results)
    failed = sum(1 for r in report.results if r.doc.error or not r.doc.file)
    note = f", {failed} NOT ADDED" if failed else ""
    return (f"wild total: {report.right:.0f}/{report.total} facts "
            f"{_pct(report.right, report.total).strip()} ({per}{note}; "
            f"{report.mode}, {report.seconds:.1f} s)")
