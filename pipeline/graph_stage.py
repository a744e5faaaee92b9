"""The full build's graph stage: every document extracted and aligned once, the graph
written as parts (pipeline.state) and graph.nt, facts and export rows from them."""
from __future__ import annotations


import dataclasses
import gc
from collections import defaultdict
from functools import partial
from pathlib import Path
from typing import Sequence


from policykg.corpus.records import Document
from policykg.pipeline.rows import document_rows, provision_rows
from policykg.corpus.tokenize import Tokenizer
from policykg.ontology.fingerprints import DocumentFrequency
from policykg.ontology.citations import (CitedDocument)
from policykg.indexer.index import build_index
from policykg.indexer.analysis import INDEX_DIR, department_aliases
from policykg.pipeline.datadir import write_json, write_jsonl
from policykg.ontology.graph_build import graph_from_parts, graph_parts
from policykg.ontology.graph_files import write_graph_build
from policykg.ontology.extract import parts_from_extracts
from policykg.corpus.files import write_fresh_json
from policykg.pipeline.outputs import global_part, write_graph, write_outputs
from policykg.pipeline.shingles import ShingleIndex, corpus_frequency, frozen_alignments
from policykg.pipeline.state import Corpus, StateInfo, PairPart, document_facts, pair_part_of, state_dir, write_cite_state, write_document_outputs, write_document_state, write_pack
from policykg.pipeline import layout
from policykg.pipeline.catalog import write_catalog

def reference_generation(folder: Path, docs: Sequence[Document], tokenizer: Tokenizer,
                         df: DocumentFrequency) -> None:
    """A full build of `docs` into `folder` with a given dictionary and frozen frequencies:
    what an incremental update of the same corpus must equal (used by the tests)."""
    write_json(folder / layout.DOCUMENTS, document_rows(docs))
    write_jsonl(folder / layout.PROVISIONS, (r for d in docs for r in provision_rows(d)))
    tokenizer.save(folder / layout.DICTIONARY)
    parts = graph_parts(docs, alignments=frozen_alignments(docs, df))
    result = graph_from_parts(docs, parts)
    write_graph_build(folder, result)
    build_index(folder / INDEX_DIR, docs, tokenizer, result.facts,
                department_aliases(result.graph))
    write_catalog(folder)         # a generation of this format always has its catalog
    write_json(folder / layout.META, {"format": layout.FORMAT, "generation": folder.name,
                                      "documents": len(docs),
                                      "provisions": sum(len(d.provisions) for d in docs)})


# ---- the full build's stage -----------------------------------------------------------------------------

def graph_stage(ctx) -> None:
    """Build stage "graph": extract, write every part of the graph once (the incremental
    state), then graph.nt, facts.json and the export rows from those parts — as an add
    writes them.  No rdflib Graph of the corpus is ever held: assembling one cost more
    than all the extraction, and its memory grew with the corpus.  With `ctx.extracts`
    (a Dask build, pipeline.cluster) only the corpus-wide steps run here."""
    extracts = getattr(ctx, "extracts", None)
    parts = graph_parts(ctx.docs) if extracts is None else parts_from_extracts(ctx.docs, extracts)
    if extracts is not None:
        extracts.clear()        # the caller's list too: what parts did not take goes now
    corpus = write_full_state(ctx.folder, ctx.docs, parts)
    root = state_dir(ctx.folder)
    resolver, cited = parts.departments.resolver, parts.citations.cited
    # The extracted parts are all in the state now; let them go before the outputs are
    # written: the graph store's bulk loader, which comes next, is the build's peak (+500 MB
    # at 200 documents, +1.8 GB at 2,000), and the parts need not sit under it.
    del parts
    _release_written(corpus)
    release_memory()
    _write_graph_outputs(ctx.folder, root, corpus, resolver, cited)
    # The index reads each document's facts as it reaches the document, and the department
    # aliases from the state: facts.json whole (~60 MB at 2,000 documents) and the global
    # part parsed into an rdflib Graph (~20 MB of N-Triples) were ~0.7 GB of Python objects
    # held under the index and beside the graph store's load.
    ctx.facts_of = partial(document_facts, root)
    ctx.department_aliases = alias_map(resolver)
    ctx.graph_parts = None                      # the incremental stage has nothing left to do
    del corpus
    release_memory()


def release_memory() -> None:
    """Collect, and hand the freed heap back to the system (glibc malloc_trim): CPython
    keeps freed arenas of small objects mapped, so without it the RSS of what a stage
    dropped would stay under the next stage's peak and under the graph store's child."""
    gc.collect()
    try:
        import ctypes
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):         # not glibc: the collection alone
        pass


# What the outputs after write_full_state never read of the states it returns: written
# already (facts, spans, …), and the largest share of them (the facts alone are ~60 MB of
# JSON at 2,000 documents, several times that as Python objects).
_WRITTEN = {"docs": {"facts": {}, "spans": [], "events": [], "raws": [], "tally": {}},
            "cites": {"facts": {}, "citations": [], "cited": {}, "spans": []},
            "pairs": {"spans": {}}}


def _release_written(corpus: "Corpus") -> None:
    """Empty in a full build's states what only the state files needed (see _WRITTEN):
    each state is replaced by a copy without it."""
    for name, empty in _WRITTEN.items():
        states = getattr(corpus, name)
        for key, state in states.items():
            states[key] = dataclasses.replace(state, **empty)


def _write_graph_outputs(new: Path, root: Path, corpus: "Corpus", resolver,
                         cited: dict[str, CitedDocument]) -> None:
    """graph.nt, facts.json and the export rows of `new` from the parts in `root`."""
    lines, dept_rows = global_part(root, corpus, resolver, cited)
    write_graph(new, root, corpus, lines)
    write_outputs(new, root, corpus, dept_rows)


def incremental_stage(ctx) -> None:
    """Build stage "incremental": the parts of this build's graph and what each document
    contributed, so that the next add can start from them (see the module docstring).
    The graph stage above writes them already; this stays for builds that set
    `ctx.graph_parts` themselves."""
    parts = getattr(ctx, "graph_parts", None)
    if parts is None:
        return                                  # no graph stage, or it kept the state itself
    write_full_state(ctx.folder, ctx.docs, parts)


def write_full_state(folder: Path, docs: Sequence[Document], parts) -> "Corpus":
    root = state_dir(folder)
    root.mkdir(exist_ok=True)
    df, shingled = corpus_frequency(docs, getattr(parts, "prepared", None))
    parts.prepared = None                 # the streams are the state's now
    # The shingle index first, then the documents' shingle lists go (a full build's
    # document states do not keep them): ~5 M Python ints at 2,000 documents, ~180 MB
    # that sat under the rest of this function.
    ShingleIndex.write(root, [d.file for d in docs], [s.eligible for s in shingled])
    for sh in shingled:
        sh.eligible = []
    metas = {d.file: d.meta for d in docs}
    by_doc = _group_by_doc(docs, parts)
    target_iris: dict[int, str] = {}
    corpus = Corpus(folder, StateInfo({}, (), {}, {}), metas, {}, {}, {})
    for doc, sh in zip(docs, shingled):
        g = by_doc[doc.file]
        corpus.docs[doc.file], iris = write_document_state(
            root, doc, parts.departments.issuers.get(doc.file, ()), parts.events.get(doc.file, []),
            g["responsibilities"], g["mentions"], g["raws"], g["targets"], None, sh.stream)
        sh.stream = None                      # saved: its text and arrays are freed as we go
        target_iris.update(iris)
        corpus.cites[doc.file] = write_cite_state(root, doc, g["citations"],
                                                  parts.citations.cited, metas)
    by_file = {d.file: d for d in docs}
    index_of = {id(t): i for d in docs for i, t in enumerate(by_doc[d.file]["targets"])}
    groups = _group_pairs(parts)
    # The links are the pairs' now: each is freed once its pair is written (parts is the
    # build's own, and nothing reads its links after this).
    parts.alignments, parts.target_alignments = [], []
    for owner, names in pairs_by_owner(groups).items():
        # one owner's pack at a time, written as soon as it is made: the N-Triples lines
        # of every pair (hundreds of MB at 2,000 documents) are never held at once
        # (and within a pack, each pair's lines are written and dropped before the next's)
        items = (_pair_part_from(groups.pop((h, l)), by_file[h], by_file[l], owner, index_of,
                                 target_iris) for h, l in names)
        corpus.pairs.update(write_pack(root, owner, items))
    corpus.touched = set(metas)
    corpus.info = StateInfo(df.save(root), tuple(d.file for d in docs), {},
                            alias_map(parts.departments.resolver))
    write_document_outputs(root, corpus)
    write_state(root, corpus)
    return corpus


def _pair_part_from(group: dict, higher: Document, lower: Document, owner: str,
                    index_of: dict[int, int], target_iris: dict[int, str]) -> PairPart:
    links = [(index_of[id(ta.higher)], index_of[id(ta.lower)], ta) for ta in group["targets"]]
    return pair_part_of(higher, lower, owner, group["text"], links, target_iris)


def _group_by_doc(docs: Sequence[Document], parts) -> dict[str, dict]:
    out = {d.file: {"responsibilities": [], "mentions": [], "raws": [], "targets": [],
                    "citations": []} for d in docs}
    for r in parts.departments.responsibilities:
        out[r.doc]["responsibilities"].append(r)
    for m in parts.departments.mentions:
        out[m.doc]["mentions"].append(m)
    for r in parts.raws:
        out[r.doc]["raws"].append(r)
    for t in parts.targets:
        out[t.doc]["targets"].append(t)
    for c in parts.citations.citations:
        out[c.doc]["citations"].append(c)
    return out


def pairs_by_owner(groups: dict[tuple[str, str], dict]) -> dict[str, list[tuple[str, str]]]:
    """Owner (the later document of a pair in build order) → its pairs, sorted; owners in
    the order they first come among the sorted pairs — the order the state and global.nt
    keep (corpus.pairs)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for h, l in sorted(groups):
        out.setdefault(max(h, l), []).append((h, l))
    return out


def _group_pairs(parts) -> dict[tuple[str, str], dict]:
    out: dict[tuple[str, str], dict] = defaultdict(lambda: {"text": [], "targets": []})
    for a in parts.alignments:
        out[(a.higher_doc, a.lower_doc)]["text"].append(a)
    for ta in parts.target_alignments:
        out[(ta.higher.doc, ta.lower.doc)]["targets"].append(ta)
    return out


def alias_map(resolver) -> dict[str, list[str]]:
    """Canonical department name → its other names, as index.department_aliases reads
    them from the graph (prefLabel → altLabels, departments of the same name together)."""
    out: dict[str, list[str]] = {}
    for slug in sorted(resolver.departments):
        dept = resolver.departments[slug]
        out.setdefault(dept.name, []).extend(resolver.alias_list(slug))
    return out


def write_state(root: Path, corpus: Corpus) -> None:
    info = corpus.info.to_json()
    info.update(metas=[corpus.metas[f].to_dict() | {"file": f} for f in corpus.order],
                pairs={name: s.owner for name, s in sorted(corpus.pairs.items())})
    write_fresh_json(root / "state.json", info)
