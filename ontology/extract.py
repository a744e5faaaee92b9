"""The graph's parts in two steps, so that the first can run anywhere: what one document
gives on its own (`extract_document`: targets, alignment stream and shingles, departments,
citations as read), and what needs the whole corpus (`parts_from_extracts`: document
frequencies, text and target alignment, citation resolution, the department registry).

`parts_from_extracts(docs, [extract_document(d) for d in docs])` equals
`graph.graph_parts(docs)`, whichever process or machine made each extract
(pipeline.cluster runs them as Dask tasks).

The one order-dependent piece is the department registry: in a build, a document is read
against the registry its predecessors filled (`Resolver._add` returns the best-known form of
a body, which may be an earlier document's).  A document's extract was read against an
empty one.  Its reading depends on the registry only through what `_add` returns, so
replaying its registrations against the registry of its predecessors tells whether it would
have read the same: if every `_add` returns the same department, the extract stands; if not
(about one document in ten of a generated corpus: a body seen with more context before),
that document is read again here, in order, as a build reads it.
"""
from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from policykg.corpus.records import Document
from policykg.ontology.alignment import find_alignments
from policykg.ontology.fingerprints import (DocumentFrequency, build_stream, keep_fingerprints,
                                            shingle_hash_array)
from policykg.ontology.citations import RawCitation, read_citations, resolve_citations
from policykg.ontology.departments import Department, Resolver
from policykg.ontology.graph_build import GraphParts, RecordingResolver
from policykg.ontology.responsibilities import (DepartmentFacts, Mention, Responsibility,
                                                extract_departments)
from policykg.ontology.target_alignment import align_targets
from policykg.ontology.targets import extract_targets

Event = tuple[Department, "str | None"]


@dataclass(frozen=True)
class DocumentExtract:
    """What one document gives the graph, read on its own (see the module docstring)."""

    doc: Document
    targets: list
    stream: object                  # alignment's stream, its fingerprints kept
    shingles: np.ndarray            # the stream's distinct shingle hashes (for the frequencies)
    responsibilities: list[Responsibility]
    mentions: list[Mention]
    issuers: tuple[str, ...] | None
    events: list[Event]             # its registrations, against an empty registry
    raws: list[RawCitation]


def extract_document(doc: Document) -> DocumentExtract:
    stream = build_stream(doc)
    hashes = shingle_hash_array(stream.text)
    keep_fingerprints(stream, hashes)
    resolver = RecordingResolver()
    resolver.events = events = []
    facts = extract_departments([doc], resolver)
    return DocumentExtract(doc, extract_targets([doc]), stream, np.unique(hashes),
                           facts.responsibilities, facts.mentions,
                           facts.issuers.get(doc.file), events, read_citations(doc))


def parts_from_extracts(docs: Sequence[Document], extracts: Sequence[DocumentExtract]
                        ) -> GraphParts:
    """graph.graph_parts(docs) from each document's extract (the same order as `docs`;
    each extract's `doc` is the document in `docs`, its stream's too)."""
    targets = [t for x in extracts for t in x.targets]
    streams = [x.stream for x in extracts]
    df = DocumentFrequency(sum(len(s.text) for s in streams))
    for x in extracts:
        df.add_document(x.shingles)
    prepared = (streams, df)
    alignments = find_alignments(docs, prepared=prepared)
    dept_facts, events = departments_in_order(docs, extracts)
    raws = [r for x in extracts for r in x.raws]
    cite_facts = resolve_citations([d.meta for d in docs], raws)
    return GraphParts(targets, list(align_targets(targets, docs)), list(alignments),
                      dept_facts, cite_facts, raws, events, prepared)


def departments_in_order(docs: Sequence[Document], extracts: Sequence[DocumentExtract]
                         ) -> tuple[DepartmentFacts, dict[str, list[Event]]]:
    """graph.departments_by_doc(docs) from the extracts: each one's reading kept when its
    registrations return what they would in build order, else the document read again."""
    resolver = RecordingResolver()
    facts = DepartmentFacts(resolver)
    events: dict[str, list[Event]] = {}
    for doc, x in zip(docs, extracts):
        if reads_the_same(resolver, x.events):
            events[doc.file] = x.events
            responsibilities, mentions, issuers = x.responsibilities, x.mentions, x.issuers
        else:
            resolver.events = events[doc.file] = []
            one = extract_departments([doc], resolver)
            resolver.events = None
            responsibilities, mentions = one.responsibilities, one.mentions
            issuers = one.issuers.get(doc.file)
        facts.responsibilities.extend(responsibilities)
        facts.mentions.extend(mentions)
        if issuers:
            facts.issuers[doc.file] = issuers
    return facts, events


def reads_the_same(registry: Resolver, events: Iterable[Event]) -> bool:
    """Whether `events`, registered against `registry`, return what they returned against an
    empty one; if so they are committed to `registry` (as a reading in order leaves it),
    else `registry` is left as it was."""
    trial, alone = _Trial(registry), Resolver()
    for dept, alias in events:
        if trial._add(dept, alias) != alone._add(dept, alias):
            return False
    trial.commit()
    return True


class _Trial(Resolver):
    """A registry over another one, written apart until committed: its departments a
    ChainMap over the base's, its alias sets copied from the base's when first touched."""

    def __init__(self, base: Resolver) -> None:
        super().__init__()
        self.base = base
        self.departments = ChainMap({}, base.departments)
        self.aliases = _CopiedSets(base.aliases)

    def commit(self) -> None:
        self.base.departments.update(self.departments.maps[0])
        self.base.aliases.update(self.aliases)


class _CopiedSets(dict):
    def __init__(self, base: dict[str, set[str]]) -> None:
        super().__init__()
        self.base = base

    def __missing__(self, key: str) -> set[str]:
        out = self[key] = set(self.base.get(key, ()))
        return out
