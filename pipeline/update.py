"""Incremental add and remove: a new generation made from the current one, not rebuilt.

`policykg add` and `remove` change one document.  Extracting and aligning the whole corpus
again costs minutes at a few hundred documents; what one document changes is small:

- its own provisions, departments, targets and citations (read from it alone);
- the citations *of other documents* that name it (they now resolve to it, or no longer);
- the alignments between it and the documents that share passages or indicators with it,
  in both directions; and, since a lower document links to its few best sources of each
  level (one claim per level, the nearest target counterpart), the links *at its level*
  of the lower documents whose best sources it changes (_Realigner) — no other pairs;
- what many documents share: the department registry (a new alias, a new body), cited
  documents, places and indicator concepts, the export rows and facts that list them.

So a full build (pipeline.graph_stage) keeps, beside its outputs, the *parts* its graph is the union of (see
ontology.graph_lines: one part per document, per document's citations, per aligned pair of
documents, per document's spans, and one global part) and what each document contributed
before any cross-document step (its department registry events, its citations as read,
its targets, its kept shingles).  An add extracts the new document only, aligns it with
the candidates the shingle index names, re-resolves the citations its 文号 and titles can
reach (those joined to them through chains of shared keys: nothing else can resolve
differently; pipeline.citations_delta), replays the department events, and rewrites only the
parts whose inputs changed.  The outputs a generation serves — graph.nt, facts.json, the
export rows, documents.json, provisions.jsonl, the whoosh index — are then written from
the parts, equal to what a full build of the same corpus would write; the catalog
(pipeline.catalog) is the previous one with the shares of the documents whose state files
were rewritten replaced (pipeline.outputs).

Choices, and why:

- **Frozen statistics.**  Two things a full build derives from the whole corpus are kept
  until the next full build: the tokenizer's domain dictionary (dict.txt; re-deriving it
  would re-cut every provision, i.e. re-index everything) and the shingle document
  frequencies that weigh alignment passages (re-weighing would change every old pair).
  A shingle the frozen counts have not seen weighs as a rare one (two documents).  The
  incremental result equals a full build *with the same dictionary and frequencies*
  (tests/test_incremental.py checks it); `policykg build` refreshes both.
- **Never touch the old generation.**  Unchanged files are hard-linked into the new one
  (every file here is written once and never modified: whoosh segment files are
  immutable, its TOC is copied, not linked); changed files are written under a new
  inode.  The switch stays the one atomic commit point (pipeline.datadir).
- **Fall back, never half-do.**  A generation without incremental state (an older format,
  a build from documents outside the data folder) gets a full build instead.
- **Department names as first read.**  An added document is read with the department
  registry of the documents before it in build order, exactly as a full build reads it;
  documents after it (an add that does not sort last, e.g. a bundled one put back) keep
  what they read.  A department's name is fixed by its place and sector, so this only
  matters for an unlisted body written two ways; `policykg build` settles it.
- **Ranking after a remove.**  whoosh keeps a deleted provision's terms in its statistics
  until segments merge: after a remove the same provisions are found, but scores (and so
  the order of near ties) can differ slightly from a full build until the next build.

Costs: work proportional to the new document and its
partners — extraction, alignment against the candidates the shingle index names — plus a
linear but light pass over the per-document states (no extraction, no alignment) and the
rewrite of the export rows.  The graph and the facts are not rewritten: a full build
writes graph.nt and facts.json, an add lists the graph's part files (graph.files) and
leaves the facts in their per-document fragments, unchanged ones hard links to the
previous generation's (pipeline.generation reads both forms).  A full build makes each
part once, as N-Triples lines, and graph.nt is those parts concatenated.  The whoosh index gains a segment per add
(never merged here), so a document's provisions are no longer one run of document
numbers; the query side then uses its term-based fallback for title matches.
"""
from __future__ import annotations


import dataclasses
import gc
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Sequence


from policykg.corpus.records import Document, DocumentMeta
from policykg.corpus.vocabulary import LEVELS
from policykg.pipeline.datadir import link_tree
from policykg.ontology import alignment as al
from policykg.ontology import plan_hierarchy
from policykg.ontology.citations import (read_citations)
from policykg.ontology.graph_build import RecordingResolver, departments_by_doc, replay
from policykg.ontology.graph_lines import stub
from policykg.ontology.targets import extract_targets
from policykg.ontology.target_alignment import TargetAlignment, align_targets
from policykg.pipeline.citations_delta import reresolve_citations
from policykg.pipeline.graph_stage import alias_map, write_state
from policykg.pipeline.outputs import global_part, update_search_index, write_catalog_delta, write_corpus_files, write_graph, write_outputs
from policykg.pipeline.shingles import FrozenFrequency, ShingleIndex, alignment_order, eligible_shingles, load_stream, shingle
from policykg.pipeline.state import Change, Corpus, NotIncremental, PairPart, Step, filter_pack, load_corpus_state, load_document, pair_part_of, row_line, state_dir, target_from_json, usable, write_document_outputs, write_document_state, write_pack
from policykg.pipeline import layout

STEPS = ("read", "extract", "align", "citations", "graph", "facts", "index", "done")


def update(old: Path, new: Path, change: Change, step: Step = lambda _: None) -> dict:
    """Write into `new` (an empty generation folder) the generation `old` becomes with
    `change`; `old` is only read.  Returns the new generation's meta."""
    started = time.time()
    if not usable(old):
        raise NotIncremental(f"{old.name} has no incremental state")
    # The corpus state is millions of small objects, read once and never a cycle: the
    # cyclic collector need not walk them while they are read (gc off) nor afterwards on
    # every full collection (frozen; unfrozen when the update ends).
    enabled = gc.isenabled()
    gc.disable()
    try:
        corpus = load_corpus_state(old)
    finally:
        if enabled:
            gc.enable()
    gc.freeze()
    try:
        root = state_dir(new)
        link_tree(state_dir(old), root, skip=lambda path: path.name == "state.json")
        df = FrozenFrequency.load(root, corpus.info.df)
        step("read")
        if change.remove:
            _drop(corpus, root, change.remove, df)
        if change.add is not None:
            _add(corpus, root, change.add, df, step)
        else:
            step("extract")
            step("align")
        return _finish(corpus, old, new, change, started, step)
    finally:
        gc.unfreeze()


def _drop(corpus: Corpus, root: Path, file: str, df: FrozenFrequency) -> None:
    if file not in corpus.metas:
        raise NotIncremental(f"{file} is not in the incremental state")
    meta = corpus.metas[file]
    _check_region(corpus, meta)
    realign = _Realigner(corpus, root, df, {})
    gone_state = corpus.docs[file]
    eligible = gone_state.eligible
    if eligible is None:
        eligible = eligible_shingles(realign.stream(file), df)
    lowers = realign.affected(meta, eligible, gone_state.indicator_groups())
    before = {f: realign.signature(f, meta) for f in lowers}
    corpus.cite_seeds.update(gone_state.ckeys.meta, *gone_state.ckeys.raws)
    corpus.cite_gone.update(corpus.cites[file].cited)
    del corpus.metas[file], corpus.docs[file], corpus.cites[file]
    for sub, ext in (("doc", ".json"), ("doc", ".nt"), ("doc", ".prov.json"), ("doc", ".rows"),
                     ("doc", ".facts"), ("cite", ".json"), ("cite", ".nt"), ("cite", ".rows"),
                     ("span", ".nt"), ("text", ".txt"), ("text", ".stream")):
        (root / sub / f"{file}{ext}").unlink(missing_ok=True)
    gone = [name for name, s in corpus.pairs.items() if file in (s.higher, s.lower)]
    _forget_pairs(corpus, root, gone)
    corpus.touched.discard(file)
    level = LEVELS.index(meta.level) if meta.level in LEVELS else None
    again = [f for f in lowers if realign.signature(f, meta, without=file) != before[f]]
    _forget_pairs(corpus, root, [name for name, s in corpus.pairs.items()
                                 if s.lower in set(again) and realign.level(s.higher) == level])
    owner = _new_owner(root, file)
    made = realign.regroup(again, level, file, owner)
    if made:
        corpus.pairs.update(write_pack(root, owner, made))
    corpus.touched.update(f for part in made for f in (part.state.higher, part.state.lower))


def _check_region(corpus: Corpus, meta: DocumentMeta) -> None:
    """Which plans are a lower plan's own is read from the gazetteer, or, for a region it
    does not know, against the regions the corpus has at each level (plan_hierarchy.Hierarchy):
    a region coming or going at a level with such plans below it can change that for any
    of them — a build reads them all again."""
    if meta.level not in LEVELS or meta.level == LEVELS[0] or not meta.region:
        return
    level = LEVELS.index(meta.level)
    same = any(m.level == meta.level and m.region == meta.region and f != meta.file
               for f, m in corpus.metas.items())
    below = any(m.level in LEVELS and LEVELS.index(m.level) > level
                and plan_hierarchy.gazetteer_line(m.region or "") is None
                for f, m in corpus.metas.items() if f != meta.file)
    if not same and below:
        raise NotIncremental(f"{meta.region} comes or goes at level {meta.level}")


def _new_owner(root: Path, file: str) -> str:
    """A pack name not in use (a pack can outlive its document's removal)."""
    owner, n = file, 1
    while (root / "pair" / f"{owner}.json").exists():
        owner, n = f"{file}~{n}", n + 1
    return owner


def _forget_pairs(corpus: Corpus, root: Path, names: Iterable[str]) -> None:
    """Take pairs out, their packs written again without them."""
    packs = set()
    for name in names:
        state = corpus.pairs.pop(name)
        corpus.touched.update((state.higher, state.lower))
        packs.add(state.owner)
    for owner in sorted(packs):
        keep = {n: s for n, s in corpus.pairs.items() if s.owner == owner}
        corpus.pairs.update(filter_pack(root, owner, keep))


def _add(corpus: Corpus, root: Path, doc: Document, df: FrozenFrequency, step: Step) -> None:
    """Read the new document alone; align it with its candidate sources; realign the lower
    documents whose sources at its level it changes (see _Realigner)."""
    if doc.file in corpus.metas:
        raise NotIncremental(f"{doc.file} is already in the incremental state")
    _check_region(corpus, doc.meta)
    before = [f for f in corpus.order if f < doc.file]
    resolver = replay((e for f in before for e in corpus.docs[f].registry_events()),
                      RecordingResolver())
    dept_facts, events = departments_by_doc([doc], resolver)
    corpus.registry = (resolver, doc.file)
    targets = extract_targets([doc])
    own = shingle(doc, df)
    state, iris = write_document_state(
        root, doc, dept_facts.issuers.get(doc.file, ()), events[doc.file],
        dept_facts.responsibilities, dept_facts.mentions, read_citations(doc), targets,
        own.eligible, own.stream)
    corpus.metas = dict(sorted({**corpus.metas, doc.file: doc.meta}.items()))
    corpus.docs[doc.file] = state
    corpus.touched.add(doc.file)
    corpus.cite_seeds.update(state.ckeys.meta, *state.ckeys.raws)
    step("extract")
    realign = _Realigner(corpus, root, df, {doc.file: doc}, {doc.file: own.stream})
    level = LEVELS.index(doc.meta.level) if doc.meta.level in LEVELS else None
    made: list[PairPart] = []
    owner = _new_owner(root, doc.file)
    # its own sources (a document of unknown level looks up to the national plans only)
    for above in range(plan_hierarchy.lower_rank(doc.meta.level)):
        made += realign.regroup([doc.file], above, None, owner)
    if level is not None:                       # whose source it is: only with a level
        lowers = realign.affected(doc.meta, own.eligible,
                                  {t.indicator_key[-2:] for t in targets})
        again = [f for f in lowers if realign.signature(f, doc.meta, without=doc.file)
                 != realign.signature(f, doc.meta)]
        old = [name for name, s in corpus.pairs.items() if s.lower in set(again)
               and realign.level(s.higher) == level]
        _forget_pairs(corpus, root, old)
        made += realign.regroup(again, level, None, owner)
    if made:
        corpus.pairs.update(write_pack(root, owner, made))
    corpus.touched.update(f for part in made for f in (part.state.higher, part.state.lower))
    step("align")


def _stream_of(root: Path, doc: Document, df: FrozenFrequency):
    path = root / "text" / f"{doc.file}.stream"
    return load_stream(path, doc) if path.is_file() else shingle(doc, df).stream


class _Realigner:
    """A lower document's links from one higher level are a function of that level's
    documents in its hierarchy (find_alignments: its candidate sources, then one claim per
    level; align_targets: the nearest counterpart).  A document coming or going changes
    only the lower documents below it that share a voting shingle or an indicator group
    with it, and of those only where their candidates or target links change: those
    (lower document, level) groups are aligned again whole, like a full build does.
    Documents, streams and the shingle index are loaded once, when first asked for."""

    def __init__(self, corpus: Corpus, root: Path, df: FrozenFrequency,
                 docs: dict[str, Document], streams: dict | None = None):
        self.corpus, self.root, self.df = corpus, root, df
        self.docs = dict(docs)
        self.streams = dict(streams or {})
        self.sources: dict[str, Document] = {}
        self.hierarchy = plan_hierarchy.Hierarchy(corpus.metas.values())
        added = {f: s.eligible for f, s in corpus.docs.items() if s.eligible is not None}
        self.index = ShingleIndex.load(root, corpus.info.base_docs, added)
        self.offsets: dict = {}
        self.allowed: dict[tuple[str, str], bool] = {}
        self.eligible: dict[str, list[int]] = {}
        self.holding: dict[tuple[str, int], dict[int, list[str]]] = {}

    def level(self, f: str) -> int | None:
        meta = self.corpus.metas.get(f)
        return LEVELS.index(meta.level) if meta is not None and meta.level in LEVELS else None

    def doc(self, f: str) -> Document:
        if f not in self.docs:
            self.docs[f] = load_document(self.root, self.corpus.metas[f])
        return self.docs[f]

    def source(self, f: str) -> Document:
        """The document with its text only: what Hierarchy reads."""
        if f in self.docs:
            return self.docs[f]
        if f not in self.sources:
            text = (self.root / "text" / f"{f}.txt").read_text(encoding="utf-8")
            self.sources[f] = Document(self.corpus.metas[f], text, ())
        return self.sources[f]

    def stream(self, f: str):
        if f not in self.streams:
            self.streams[f] = _stream_of(self.root, self.doc(f), self.df)
        return self.streams[f]

    def may(self, higher: DocumentMeta, lower: str) -> bool:
        key = (higher.file, lower)
        if key not in self.allowed:
            h = stub(higher)
            self.allowed[key] = (plan_hierarchy.may_take_up(h, stub(self.corpus.metas[lower]))
                                 and self.hierarchy.contains(h, self.source(lower)))
        return self.allowed[key]

    def affected(self, meta: DocumentMeta, eligible: Sequence[int], suffixes: set[str]
                 ) -> list[str]:
        """The lower documents `meta`'s document may be a source or counterpart of."""
        level = self.level(meta.file)
        if level is None or level == len(LEVELS) - 1:
            return []
        near = self.index.sharing(eligible)
        near |= {f for f, s in self.corpus.docs.items() if s.indicator_groups() & suffixes}
        out = []
        for f in sorted(near):
            if (f != meta.file and plan_hierarchy.lower_rank(self.corpus.metas[f].level) > level
                    and self.may(meta, f)):
                out.append(f)
        return out

    def candidates(self, lower: str, level: int, without: str | None = None) -> list[str]:
        """alignment.candidates for one level: the allowed documents of that level (few:
        its own province's or city's, or the national ones) and the shingles each shares
        with the lower one."""
        key = (lower, level)
        if key not in self.holding:
            metas = self.corpus.metas
            mine = set(self.eligible_of(lower))
            holding: dict[int, list[str]] = defaultdict(list)
            for f in metas:
                if f != lower and self.level(f) == level and self.may(metas[f], lower):
                    for h in mine.intersection(self.eligible_of(f)):
                        holding[h].append(f)
            self.holding[key] = holding
        holding = {h: [f for f in fs if f != without]
                   for h, fs in self.holding[key].items()} if without else self.holding[key]
        hashes = sorted(h for h, fs in holding.items() if fs)
        found = al.rank_candidates(hashes, self.df.weights(hashes), holding.__getitem__,
                                   lambda f: level, lambda f: f)
        return found.get(level, [])

    def eligible_of(self, f: str) -> list[int]:
        if f not in self.eligible:
            state = self.corpus.docs[f].eligible
            self.eligible[f] = state if state is not None else eligible_shingles(self.stream(f), self.df)
        return self.eligible[f]

    def target_links(self, lower: str, level: int, without: str | None = None
                     ) -> list[tuple[int, int, TargetAlignment, str, str]]:
        """align_targets for one lower document and one level: (higher index, lower
        index, link, higher IRI, lower IRI)."""
        metas = self.corpus.metas
        rows = {lower: self.corpus.docs[lower].targets}
        if not rows[lower]:
            return []
        for f in self.corpus.order:
            if (f != without and f != lower and self.level(f) == level
                    and self.corpus.docs[f].targets and self.may(metas[f], lower)):
                rows[f] = self.corpus.docs[f].targets
        made = {f: [target_from_json(r) for r in rs] for f, rs in rows.items()}
        where = {id(t): (f, i) for f, ts in made.items() for i, t in enumerate(ts)}
        docs = [self.source(lower)] + [stub(metas[f]) for f in made if f != lower]
        out = []
        for ta in align_targets([t for ts in made.values() for t in ts], docs, self.hierarchy):
            (hf, i), (lf, j) = where[id(ta.higher)], where[id(ta.lower)]
            out.append((i, j, ta, rows[hf][i]["uri"], rows[lf][j]["uri"]))
        return out

    def signature(self, lower: str, changed: DocumentMeta, without: str | None = None):
        """What the lower document's links from `changed`'s level depend on."""
        level = self.level(changed.file) if changed.file in self.corpus.metas \
            else LEVELS.index(changed.level)
        links = self.target_links(lower, level, without)
        return (self.candidates(lower, level, without),
                [(i, j, ta.higher.doc) for i, j, ta, _, _ in links])

    def regroup(self, lowers: Sequence[str], level: int, without: str | None, owner: str
                ) -> list[PairPart]:
        """The pair parts of every (higher, lower) pair of `level`, made again."""
        out = []
        for lower in lowers:
            cands = self.candidates(lower, level, without)
            text = al.align_group([self.stream(f) for f in cands], self.stream(lower),
                                  self.df, al.MIN_WEIGHT, self.offsets)
            groups: dict[str, dict] = defaultdict(lambda: {"text": [], "targets": []})
            for a in sorted(text, key=alignment_order):
                groups[a.higher_doc]["text"].append(a)
            iris: dict[int, str] = {}
            for i, j, ta, hi_iri, lo_iri in self.target_links(lower, level, without):
                groups[ta.higher.doc]["targets"].append((i, j, ta))
                iris[id(ta.higher)], iris[id(ta.lower)] = hi_iri, lo_iri
            for h, group in sorted(groups.items()):
                out.append(pair_part_of(self.doc(h), self.doc(lower), owner, group["text"],
                                        group["targets"], iris))
        return out


def _finish(corpus: Corpus, old: Path, new: Path, change: Change, started: float,
            step: Step) -> dict:
    """Re-resolve what depends on the whole corpus and write the generation's files."""
    root = state_dir(new)
    order = corpus.order
    loaded: dict[str, Document] = {}
    if change.add is not None:
        loaded[change.add.file] = change.add

    def document(f: str) -> Document:
        if f not in loaded:
            loaded[f] = load_document(root, corpus.metas[f])
        return loaded[f]

    cited = reresolve_citations(corpus, root, document,
                               change.add.file if change.add is not None else None)
    step("citations")
    write_document_outputs(root, corpus)
    resolver = _registry(corpus, change)
    lines, dept_rows = global_part(root, corpus, resolver, cited)
    write_graph(new, root, corpus, lines, one_file=False, previous=old)
    step("graph")
    dept_lines = [row_line(r) for r in dept_rows]
    alignment_rows = write_outputs(new, root, corpus, dept_rows, facts_file=False,
                                    dept_lines=dept_lines)
    write_corpus_files(old, new, corpus, change)
    # The catalog takes both row lists as they are here: no export file read back.
    write_catalog_delta(old, new, corpus, change, alignment_rows,
                   list(zip(dept_rows, (line[:-1] for line in dept_lines))))
    step("facts")
    aliases = alias_map(resolver)
    update_search_index(old, new, corpus, change, corpus.info.aliases, aliases, document)
    step("index")
    corpus.info = dataclasses.replace(corpus.info, aliases=aliases)
    write_state(root, corpus)
    meta = {"format": layout.FORMAT, "generation": new.name.replace(".tmp-", ""),
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "seconds": round(time.time() - started, 3), "documents": len(order),
            "provisions": sum(corpus.docs[f].provisions for f in order),
            "update": {"added": change.add.file if change.add is not None else None,
                       "removed": change.remove, "incremental": True}}
    (new / layout.META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    step("done")
    return meta


def _registry(corpus: Corpus, change: Change):
    """The department registry of the whole corpus: replaying every document's events in
    build order, or, after an add alone, continuing the registry the add read its document
    with (the events of the documents up to it already in) with those after it."""
    if corpus.registry is not None and change.remove is None:
        resolver, last = corpus.registry
        return replay((e for f in corpus.order if f > last
                       for e in corpus.docs[f].registry_events()), resolver)
    return replay(e for f in corpus.order for e in corpus.docs[f].registry_events())
