"""Re-resolving citations after an add or a remove: only those the change can reach (joined
to the document's 文号 and titles through chains of shared keys) are resolved again."""
from __future__ import annotations


from collections import defaultdict
from pathlib import Path
from typing import Callable, Sequence


from policykg.corpus.records import Document
from policykg.ontology.citations import (Citation, CitedDocument, RawCitation,
                                citation_keys, resolve_citations)
from policykg.pipeline.state import Corpus, cite_row, cited_map, write_cite_state


def reresolve_citations(corpus: Corpus, root: Path, document: Callable[[str], Document],
                       added: str | None) -> dict[str, CitedDocument]:
    """Resolve the citations the change can reach against the corpus as it is now; rewrite
    the citation parts of the documents whose citations resolve differently (both ways: to
    a new document, or back to an external node when one is removed).  Returns every
    cited node of the corpus (their cited_by not complete: nothing written reads it).

    resolve_citations joins things (documents, citations) that share a 文号 or title key,
    in an order that depends only on the things joined; so the things connected to the
    changed document's keys through chains of shared keys resolve, on their own, exactly
    as in the whole corpus, and nothing else can change.  Only those are resolved again;
    every other citation keeps what its cite state says.  The one thing that does not
    decompose — two separate nodes with one identity (a full build keeps the last one
    met) — sends the change to the full pass."""
    states = corpus.docs
    index: dict[str, list[str]] = defaultdict(list)
    for f in corpus.order:
        keys = states[f].ckeys
        for k in {*keys.meta, *(k for ks in keys.raws for k in ks)}:
            index[k].append(f)
    # The closure of the changed keys: documents and citations joined to them.
    metas_in: set[str] = set()
    raws_in: dict[str, set[int]] = defaultdict(set)
    if added is not None:
        raws_in[added] = set(range(len(states[added].raws)))      # keyless ones too
    seen: set[str] = set()
    todo = list(corpus.cite_seeds)
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        for f in index.get(key, ()):
            keys = states[f].ckeys
            if key in keys.meta and f not in metas_in:
                metas_in.add(f)
                todo += keys.meta
            for i, ks in enumerate(keys.raws):
                if key in ks and i not in raws_in[f]:
                    raws_in[f].add(i)
                    todo += ks
    # The added document always gets a cite state, even with nothing to resolve: a full
    # build writes one for every document, and the outputs read it (asked_spans).
    affected = [f for f in corpus.order if raws_in.get(f) or f == added]
    raws_of = {f: states[f].raw_citations() for f in affected}
    facts = resolve_citations(
        [corpus.metas[f] for f in corpus.order if f in metas_in],
        [raws_of[f][i] for f in affected for i in sorted(raws_in[f])],
        citers={f: corpus.metas[f] for f in affected})
    new_of: dict[str, list[Citation]] = defaultdict(list)
    for c in facts.citations:
        new_of[c.doc].append(c)
    # What the citations outside the closure say, and what they kept of the closure's.
    outside: dict[str, list] = {}
    kept_of: dict[str, list[Citation]] = {}
    before = set(corpus.cite_gone)
    for f in corpus.order:
        old = corpus.cites.get(f)
        if old is None:
            continue
        if f not in raws_in:
            outside.update(old.cited)
            continue
        kept = []
        for c in old.resolved():
            if seen.intersection(citation_keys(c.number, c.title)):
                before.add(c.target)
            else:
                kept.append(c)
                outside[c.target] = old.cited[c.target]
        kept_of[f] = kept
    if outside.keys() & (before | set(facts.cited)):
        return resolve_all_citations(corpus, root, document)
    cited = {i: CitedDocument(i, *v) for i, v in outside.items()}
    cited.update(facts.cited)
    merged = {f: _in_reading_order(raws_of[f], kept_of.get(f, []), new_of.get(f, []))
              for f in affected}
    if any(mine is None for mine in merged.values()):
        return resolve_all_citations(corpus, root, document)     # a state out of step
    for f, mine in merged.items():
        _put_citations(corpus, root, document, f, mine, cited)
    return cited


def _in_reading_order(raws: Sequence[RawCitation], *runs: Sequence[Citation]
                      ) -> list[Citation] | None:
    """Citations from several runs, each in its document's reading order, merged into it
    (None if a run does not follow the document's citations as read)."""
    at = [0] * len(runs)
    out = []
    for r in raws:
        for n, run in enumerate(runs):
            if at[n] < len(run):
                c = run[at[n]]
                if (c.provision, c.start, c.end, c.title, c.number) == \
                        (r.provision, r.start, r.end, r.title, r.number):
                    out.append(c)
                    at[n] += 1
                    break
    if any(i != len(run) for i, run in zip(at, runs)):
        return None
    return out


def _put_citations(corpus: Corpus, root: Path, document: Callable[[str], Document], f: str,
                   mine: list[Citation], cited: dict[str, CitedDocument]) -> None:
    """Rewrite one document's citation part if its citations resolve differently now."""
    old = corpus.cites.get(f)
    if (old is None or old.citations != [cite_row(c) for c in mine]
            or old.cited != cited_map(mine, cited)):
        corpus.cites[f] = write_cite_state(root, document(f), mine, cited, corpus.metas)
        corpus.touched.add(f)


def resolve_all_citations(corpus: Corpus, root: Path, document: Callable[[str], Document]
                           ) -> dict[str, CitedDocument]:
    """Every citation of the corpus resolved again (what a full build does)."""
    metas = [corpus.metas[f] for f in corpus.order]
    raws = [r for f in corpus.order for r in corpus.docs[f].raw_citations()]
    facts = resolve_citations(metas, raws)
    by_doc: dict[str, list[Citation]] = defaultdict(list)
    for c in facts.citations:
        by_doc[c.doc].append(c)
    for f in corpus.order:
        _put_citations(corpus, root, document, f, by_doc.get(f, []), facts.cited)
    return facts.cited
