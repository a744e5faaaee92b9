"""The graph of a whole corpus: every extractor run on it (graph_parts, what a build keeps
so that an add need not extract the old documents again) and assembled by the builder
(build_graph, graph_from_parts).

Separate from the builder (ontology.graph), which makes triples of whatever facts it is
given, because this is where the extractors are chosen and the department registry's
events are recorded for replay.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from policykg.corpus.records import Document
from policykg.ontology.alignment import find_alignments
from policykg.ontology.fingerprints import prepare_streams
from policykg.ontology.citations import (CitationFacts, RawCitation, extract_citations,
                                         read_citations, resolve_citations)
from policykg.ontology.departments import Department, Resolver
from policykg.ontology.graph import Builder
from policykg.ontology.graph_files import GraphBuild
from policykg.ontology.responsibilities import DepartmentFacts, extract_departments
from policykg.ontology.target_alignment import align_targets
from policykg.ontology.targets import extract_targets


# ---- the other extractors -------------------------------------------------------------------------

def other_facts(docs: Sequence[Document]) -> tuple[list, list, list]:
    """Targets, target alignments and text-reuse alignments from their own modules."""
    targets = extract_targets(docs)
    return targets, align_targets(targets, docs), find_alignments(docs)


def build_graph(docs: Sequence[Document], targets: Sequence[Any] | None = None,
                target_alignments: Sequence[Any] | None = None,
                alignments: Sequence[Any] | None = None) -> GraphBuild:
    """The graph of a corpus.  Targets and alignments are computed unless given."""
    started = time.time()
    if targets is None or target_alignments is None or alignments is None:
        t, ta, al = other_facts(docs)
        targets = t if targets is None else targets
        target_alignments = ta if target_alignments is None else target_alignments
        alignments = al if alignments is None else alignments
    return _assemble(docs, extract_departments(docs), extract_citations(docs), targets,
                     target_alignments, alignments, started)


def _assemble(docs: Sequence[Document], dept_facts: DepartmentFacts, cite_facts: CitationFacts,
              targets: Sequence[Any], target_alignments: Sequence[Any],
              alignments: Sequence[Any], started: float) -> GraphBuild:
    b = Builder(docs)
    b.documents(dept_facts.issuers)
    rows = {"departments": b.departments(dept_facts), "citations": b.citations(cite_facts)}
    rows["targets"], target_iris = b.targets(targets)
    rows["alignments"] = b.alignments(alignments, target_alignments, target_iris)
    return GraphBuild(b.g, b.facts, rows, round(time.time() - started, 3))


# ---- what a build extracted, kept for incremental updates (pipeline.state) ------------

@dataclass
class GraphParts:
    """Everything the graph of a corpus is made from, before it is made into triples.

    A full build keeps these so that an add does not extract or align the old documents
    again: `events` holds, per document, what its reading registered in the department
    resolver (see `RecordingResolver`), `raws` every citation as read, unresolved.
    """

    targets: list
    target_alignments: list
    alignments: list
    departments: DepartmentFacts
    citations: CitationFacts
    raws: list[RawCitation]
    events: dict[str, list[tuple[Department, str | None]]]
    # fingerprints.prepare_streams(docs) as the alignment used it, for the incremental state
    # to reuse (pipeline.shingles.corpus_frequency); None when alignments were given.
    prepared: tuple | None = None


def graph_from_parts(docs: Sequence[Document], parts: GraphParts) -> GraphBuild:
    """The graph of `docs` from what was extracted from them (as build_graph makes it)."""
    return _assemble(docs, parts.departments, parts.citations, parts.targets,
                     parts.target_alignments, parts.alignments, time.time())


class RecordingResolver(Resolver):
    """A department resolver that keeps every registration of the document being read.

    What a reading does to the registry is a sequence of `_add` calls; replaying the
    sequences of a corpus's documents, in build order, into a fresh Resolver gives the
    registry the build had — same departments, same best-known forms, same aliases.
    """

    def __init__(self) -> None:
        super().__init__()
        self.events: list | None = None

    def _add(self, dept: Department, alias: str | None = None) -> Department:
        if self.events is not None:
            self.events.append((dept, alias))
        return super()._add(dept, alias)


def departments_by_doc(docs: Sequence[Document], resolver: Resolver | None = None
                       ) -> tuple[DepartmentFacts, dict[str, list]]:
    """`extract_departments(docs)`, one document at a time, with each one's events."""
    resolver = resolver if resolver is not None else RecordingResolver()
    facts = DepartmentFacts(resolver)
    events: dict[str, list] = {}
    for doc in docs:
        if isinstance(resolver, RecordingResolver):
            resolver.events = events[doc.file] = []
        one = extract_departments([doc], resolver)
        facts.responsibilities.extend(one.responsibilities)
        facts.mentions.extend(one.mentions)
        facts.issuers.update(one.issuers)
    if isinstance(resolver, RecordingResolver):
        resolver.events = None
    return facts, events


def replay(events: Iterable[tuple[Department, str | None]],
           resolver: Resolver | None = None) -> Resolver:
    """A resolver holding what `events` registered (see RecordingResolver)."""
    resolver = resolver if resolver is not None else Resolver()
    for dept, alias in events:
        resolver._add(dept, alias)
    return resolver


def graph_parts(docs: Sequence[Document], alignments: Sequence[Any] | None = None) -> GraphParts:
    """Everything extracted from `docs`; text alignments computed unless given."""
    targets = extract_targets(docs)
    target_alignments = align_targets(targets, docs)
    prepared = prepare_streams(docs) if alignments is None else None
    alignments = find_alignments(docs, prepared=prepared) if alignments is None else alignments
    dept_facts, events = departments_by_doc(docs)
    raws = [r for d in docs for r in read_citations(d)]
    cite_facts = resolve_citations([d.meta for d in docs], raws)
    return GraphParts(list(targets), list(target_alignments), list(alignments), dept_facts,
                      cite_facts, raws, events, prepared)
