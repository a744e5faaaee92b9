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

So a full build keeps, beside its outputs, the *parts* its graph is the union of (see
ontology.graph: one part per document, per document's citations, per aligned pair of
documents, per document's spans, and one global part) and what each document contributed
before any cross-document step (its department registry events, its citations as read,
its targets, its kept shingles).  An add extracts the new document only, aligns it with
the candidates the shingle index names, re-resolves the citations its 文号 and titles can
reach (those joined to them through chains of shared keys: nothing else can resolve
differently; _resolve_citations), replays the department events, and rewrites only the
parts whose inputs changed.  The outputs a generation serves — graph.nt, facts.json, the
export rows, documents.json, provisions.jsonl, the whoosh index — are then written from
the parts, equal to what a full build of the same corpus would write; the catalog
(pipeline.catalog) is the previous one with the shares of the documents whose state files
were rewritten replaced (_catalog_change).

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

import bisect
import dataclasses
import gc
import hashlib
import json
import marshal
import mmap
import os
import shutil
import time
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from policykg.corpus.records import Document, DocumentMeta, Provision
from policykg.pipeline.rows import document_rows, provision_rows
from policykg.corpus.vocabulary import LEVELS
from policykg.corpus.tokenize import Tokenizer
from policykg.pipeline.datadir import link_tree
from policykg.ontology import alignment as al
from policykg.ontology import diskstore
from policykg.ontology.alignment import Alignment
from policykg.ontology.citations import (Citation, CitationFacts, CitedDocument, RawCitation,
                                citation_keys, meta_keys, read_citations, resolve_citations)
from policykg.ontology.departments import Department, Mention, Responsibility
from policykg.ontology.graph import (FACTS_FILE, GRAPH_FILE, GRAPH_LIST, ROW_FILES, RecordingResolver,
                            citation_part, departments_by_doc, document_part, global_lines,
                            pair_part, replay, span_lines, stub)
from policykg.ontology.targets import Target, TargetAlignment, align_targets, extract_targets
from policykg.indexer.index import INDEX_DIR, build_index, department_aliases
from policykg.pipeline.datadir import write_json, write_jsonl
from policykg.ontology.graph import graph_from_parts, graph_parts, write_graph_build
from policykg.indexer.index import ProvisionFacts
from policykg.ontology.graph import DepartmentLines
from policykg.ontology.namespaces import doc_iri
from policykg.pipeline.catalog import has_catalog, update_catalog, write_catalog
from policykg.pipeline.catalog import CatalogChange
from policykg.indexer.engines import update_index

Step = Callable[[str], None]
STATE_DIR = "incr"
FORMAT = 2
# state.json "citations": every cite state holds its resolved citations ("citations",
# "cited"), so an add re-resolves only what the change can reach (_resolve_citations).  A
# state without it (written before) takes the full pass once, which writes them.
CITE_FORMAT = 2          # 2: issuers in a title's identity (ontology.citations.identity_keys)
STEPS = ("read", "extract", "align", "citations", "graph", "facts", "index", "done")


class NotIncremental(Exception):
    """The current generation cannot be updated in place of a build (no usable state)."""


# ---- small file helpers: every file is written once, under a fresh inode -------------------

def _write_bytes(path: Path, data: bytes) -> None:
    with _fresh(path) as fh:
        fh.write(data)


def _write_json(path: Path, data) -> None:
    _write_bytes(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _read_json(path: Path):
    # bytes straight to the parser: no text layer (newline translation, a second decode
    # buffer) — an add reads ~6,000 state files at 2,000 documents, a third faster so.
    return json.loads(path.read_bytes())


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    _write_bytes(path, "".join(lines).encode("utf-8"))


def _digest(data) -> str:
    raw = json.dumps(data, ensure_ascii=False, sort_keys=True, default=list).encode("utf-8")
    return hashlib.sha1(raw).hexdigest()


# ---- the frozen shingle statistics ---------------------------------------------------------------

class FrozenFrequency(al.DocumentFrequency):
    """The shingle document frequencies of the last full build, used to weigh passages.

    A shingle two documents share was counted at least twice by the build that saw both;
    one the build never saw (only in documents added since) counts as two, i.e. rare.
    With the frequencies of the same corpus this is exactly what find_alignments uses.
    """

    def counts(self, hashes: Sequence[int]) -> list[int]:
        return [c if c >= 2 or h == al._NONE else 2
                for h, c in zip(hashes, super().counts(hashes))]

    def counts_array(self, hashes):
        # kept shingles only (never _NONE): an unseen one counts as two, as counts() says
        return np.maximum(super().counts_array(hashes), 2)

    def save(self, folder: Path) -> dict:
        # The rows written from their own buffers: tobytes() and the join copied the
        # sketch (134 MB at 2,000 documents) twice over, at the graph stage's peak.
        with _fresh(folder / "df.bin") as fh:
            for row in self.rows:
                fh.write(memoryview(row).cast("B"))
        return {"mask": self.mask, "n_docs": self.n_docs}

    @classmethod
    def load(cls, folder: Path, info: dict) -> "FrozenFrequency":
        """The frequencies, mapped read-only (an add looks up a few thousand of the sketch's
        cells; reading its 134 MB at 2,000 documents was half a second).  df.bin is never
        written after it is made, so the mapping stays valid."""
        df = cls.__new__(cls)
        df.mask = info["mask"]
        df.n_docs = info["n_docs"]
        with open(folder / "df.bin", "rb") as fh:
            mapped = (memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))
                      if os.fstat(fh.fileno()).st_size else memoryview(b""))
        half = len(mapped) // 2
        df.rows = (mapped[:half].cast("H"), mapped[half:].cast("H"))
        df._table = []
        return df


@dataclass
class Shingled:
    """A document's alignment stream with its kept shingles."""

    stream: object
    eligible: list[int]          # kept shingle hashes that can seed a link (sorted, unique)


def shingle(doc: Document, df: al.DocumentFrequency) -> Shingled:
    """The stream and kept shingles of one document, as find_alignments prepares them."""
    stream = al.build_stream(doc)
    al.keep_fingerprints(stream, al.shingle_hash_array(stream.text))
    return Shingled(stream, _eligible(stream, df))


def _eligible(stream, df: al.DocumentFrequency) -> list[int]:
    """The kept shingles find_alignments seeds and votes with (alignment._eligible_positions)."""
    return al._eligible_positions(stream, df).keys.tolist()


def corpus_frequency(docs: Sequence[Document], prepared: tuple | None = None
                     ) -> tuple[FrozenFrequency, list[Shingled]]:
    """The frequencies find_alignments computes for `docs`, and each document's shingles;
    `prepared`: what find_alignments started from (alignment.prepare_streams(docs)), taken
    over instead of hashing the corpus again (and holding every document's hashes)."""
    if prepared is not None:
        return _frozen(*prepared)
    streams = [al.build_stream(d) for d in docs]
    df = FrozenFrequency(sum(len(s.text) for s in streams))
    hashes = [al.shingle_hash_array(s.text) for s in streams]
    for h in hashes:
        df.add_document(h)
    out = []
    for stream, h in zip(streams, hashes):
        al.keep_fingerprints(stream, h)
        out.append(Shingled(stream, _eligible(stream, df)))
    return df, out


def _frozen(streams: Sequence[object], df: al.DocumentFrequency
            ) -> tuple[FrozenFrequency, list[Shingled]]:
    """corpus_frequency from prepared streams: the same counts (the same sketch, filled
    in the same order), read as frozen; the eligible shingles found again with them."""
    frozen = FrozenFrequency.__new__(FrozenFrequency)
    frozen.mask, frozen.rows, frozen.n_docs, frozen._table = df.mask, df.rows, df.n_docs, []
    out = []
    for stream in streams:
        # Computed by the alignment with live counts; frozen ones may keep more shingles.
        stream.posts = stream.cum = None
        out.append(Shingled(stream, _eligible(stream, frozen)))
        stream.posts = None               # only the sorted list is kept: memory
    return frozen, out


def save_stream(path: Path, stream) -> None:
    """A document's prepared alignment stream, so that aligning with it later costs a read."""
    text = stream.text.encode("utf-8")
    head = json.dumps([len(text), len(stream.prov), len(stream.fp_pos)]).encode() + b"\n"
    _write_bytes(path, head + text + al.wide(stream.prov).tobytes()
                 + al.wide(stream.at).tobytes() + stream.fp_pos.tobytes()
                 + stream.fp_hash.tobytes())


def load_stream(path: Path, doc: Document):
    raw = path.read_bytes()
    cut = raw.index(b"\n")
    size, n, m = json.loads(raw[:cut])
    pos = cut + 1 + size
    parts = []
    for kind, length in (("i", n), ("i", n), ("i", m), ("I", m)):
        parts.append(array(kind, raw[pos:pos + 4 * length]))
        pos += 4 * length
    stream = al._Stream(doc, raw[cut + 1:cut + 1 + size].decode("utf-8"), parts[0], parts[1])
    stream.fp_pos, stream.fp_hash = parts[2], parts[3]
    return stream


def align_streams(streams: Sequence[object], df: al.DocumentFrequency,
                  allowed: Callable[[Document, Document], bool] | None = None
                  ) -> list[Alignment]:
    """find_alignments over prepared streams with given frequencies (the same steps)."""
    hierarchy = al.Hierarchy(s.doc.meta for s in streams) if allowed is None else None
    return al.align_corpus(streams, df, allowed or hierarchy.allows, hierarchy=hierarchy)


def frozen_alignments(docs: Sequence[Document], df: al.DocumentFrequency) -> list[Alignment]:
    """Every text-reuse link among `docs`, weighed with frozen frequencies `df`."""
    return align_streams([shingle(d, df).stream for d in docs], df)


def _alignment_order(a: Alignment) -> tuple:
    return (a.lower_doc, tuple(a.lower_span), a.higher_doc, tuple(a.higher_span))


def _flat_order(a: Alignment) -> list:
    """find_alignments' order as plain values (what a JSON round trip keeps)."""
    return [a.lower_doc, *a.lower_span, a.higher_doc, *a.higher_span]


def reference_generation(folder: Path, docs: Sequence[Document], tokenizer: Tokenizer,
                         df: al.DocumentFrequency) -> None:
    """A full build of `docs` into `folder` with a given dictionary and frozen frequencies:
    what an incremental update of the same corpus must equal (used by the tests)."""
    write_json(folder / "documents.json", document_rows(docs))
    write_jsonl(folder / "provisions.jsonl", (r for d in docs for r in provision_rows(d)))
    tokenizer.save(folder / "dict.txt")
    parts = graph_parts(docs, alignments=frozen_alignments(docs, df))
    result = graph_from_parts(docs, parts)
    write_graph_build(folder, result)
    build_index(folder / INDEX_DIR, docs, tokenizer, result.facts,
                department_aliases(result.graph))
    write_json(folder / "meta.json", {"format": 1, "generation": folder.name,
                                      "documents": len(docs),
                                      "provisions": sum(len(d.provisions) for d in docs)})


class ShingleIndex:
    """Kept shingle → documents: the base (a full build's, sorted arrays) plus the shingles
    of documents added since (kept in their own states)."""

    def __init__(self, hashes: array, owners: array, base_docs: list[str],
                 added: dict[str, list[int]]):
        self.hashes, self.owners, self.base_docs, self.added = hashes, owners, base_docs, added

    @staticmethod
    def write(folder: Path, docs: Sequence[str], eligible: Sequence[list[int]]) -> None:
        # (hash, document) sorted, as two uint32 columns.  Sorted as one uint64 key per
        # shingle, in place, not as tuples: ~5 M shingles at 2,000 documents were ~650 MB
        # of tuples, the build's peak; the key sorts exactly as the (hash, document) tuple.
        sizes = [len(hs) for hs in eligible]
        keys = np.fromiter((h for hs in eligible for h in hs), dtype=np.uint64,
                           count=sum(sizes))
        keys <<= np.uint64(32)
        keys |= np.repeat(np.arange(len(sizes), dtype=np.uint64), sizes)
        keys.sort()
        with _fresh(folder / "shingles.bin") as fh:
            fh.write((keys >> np.uint64(32)).astype(np.uint32))
            fh.write((keys & np.uint64(0xFFFFFFFF)).astype(np.uint32))

    @classmethod
    def load(cls, folder: Path, base_docs: list[str], added: dict[str, list[int]]) -> "ShingleIndex":
        raw = (folder / "shingles.bin").read_bytes()
        half = len(raw) // 2
        return cls(array("I", raw[:half]), array("I", raw[half:]), base_docs, added)

    def sharing(self, eligible: Sequence[int]) -> set[str]:
        """The documents that keep at least one of these shingles."""
        found: set[int] = set()
        hashes, owners = self.hashes, self.owners
        for h in eligible:
            i = bisect.bisect_left(hashes, h)
            while i < len(hashes) and hashes[i] == h:
                found.add(owners[i])
                i += 1
        out = {self.base_docs[i] for i in found}
        wanted = set(eligible)
        out |= {file for file, hs in self.added.items() if wanted.intersection(hs)}
        return out


# ---- records to and from JSON --------------------------------------------------------------------

def _asdict(obj) -> dict:
    return dataclasses.asdict(obj)


def _target(d: dict) -> Target:
    return Target(**{k: v for k, v in d.items() if k != "uri"})


def _meta(d: dict) -> DocumentMeta:
    fields = {k: v for k, v in d.items() if k in DocumentMeta.__dataclass_fields__ and k != "file"}
    return DocumentMeta(file=d.get("file") or d["doc"], **fields)


def _row_line(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False) + "\n"


_TUPLES = ("children", "cells", "columns")


def _provision(d: dict) -> Provision:
    return Provision(**{k: tuple(v) if k in _TUPLES else v for k, v in d.items()})


# ---- the state kept in a generation ----------------------------------------------------------------
#
#   incr/state.json                 build order, pairs and their packs, frozen statistics
#   incr/df.bin, incr/shingles.bin  frozen shingle frequencies; base shingle index
#   incr/text/<doc>.txt, .stream    the document's text, its prepared alignment stream
#   incr/doc/<doc>.json             what the document contributes (events, citations as
#                                   read, targets, tasks, facts, spans, …)
#   incr/doc/<doc>.nt, .prov.json, .rows, .facts
#                                   its graph part, provisions, target rows, facts as JSON
#   incr/cite/<doc>.json, .nt, .rows its citations as they resolve now (the json: the
#                                   resolved citations and cited nodes, CITE_FORMAT)
#   incr/span/<doc>.nt              spans of it other parts point at
#   incr/pair/<owner>.json, .nt, .rows
#                                   the pairs made when <owner> came in (a full build: the
#                                   later document of each pair), with line ranges
#   incr/global.nt                  the global part (written every time)
#   incr/global.lines               its department nodes' lines by their inputs (a cache,
#                                   marshal; ontology.graph.DepartmentLines): absent,
#                                   unreadable or made by other code, it is made again

@dataclass
class Corpus:
    """The incremental state of a generation, loaded, and what the change touches."""

    folder: Path
    info: dict
    metas: dict[str, DocumentMeta]      # in build order
    docs: dict[str, dict]               # file → document state
    cites: dict[str, dict]              # file → citation state
    pairs: dict[str, dict]              # pair name → pair state (in its owner's pack)
    touched: set[str] = dataclasses.field(default_factory=set)   # facts/spans to rewrite
    cite_seeds: set[str] = dataclasses.field(default_factory=set)  # citation keys changed
    cite_gone: set[str] = dataclasses.field(default_factory=set)   # cited by a removed doc
    packs: set[str] = dataclasses.field(default_factory=set)     # packs to rewrite
    # The department registry an add read its document with, extended by that document:
    # the registry of the documents up to it, which _finish continues instead of
    # replaying the whole corpus's events again.
    registry: tuple[object, str] | None = None

    @property
    def order(self) -> list[str]:
        return list(self.metas)


def state_dir(folder: Path) -> Path:
    return folder / STATE_DIR


def usable(folder: Path | None) -> bool:
    """Can `folder` (a generation) be updated incrementally?"""
    if folder is None:
        return False
    try:
        info = _read_json(state_dir(folder) / "state.json")
        return info.get("format") == FORMAT and (folder / "dict.txt").is_file()
    except (OSError, ValueError):
        return False


def pair_name(higher: str, lower: str) -> str:
    return f"{higher}~{lower}"


def load_corpus_state(folder: Path) -> Corpus:
    try:
        return _load_corpus_state(folder)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NotIncremental(f"{folder.name}: the incremental state is damaged ({exc})") from None


def _load_corpus_state(folder: Path) -> Corpus:
    root = state_dir(folder)
    info = _read_json(root / "state.json")
    metas = {m["file"]: _meta(m) for m in info["metas"]}
    docs = {f: _read_json(root / "doc" / f"{f}.json") for f in metas}
    cites = {f: _read_json(root / "cite" / f"{f}.json") for f in metas}
    pairs = {}
    for owner in sorted(set(info["pairs"].values())):
        pairs.update(_read_json(root / "pair" / f"{owner}.json"))
    return Corpus(folder, info, metas, docs, cites, pairs)


def load_document(root: Path, meta: DocumentMeta) -> Document:
    """A document of the state, as segmented when it came in."""
    source = (root / "text" / f"{meta.file}.txt").read_text(encoding="utf-8")
    rows = _read_json(root / "doc" / f"{meta.file}.prov.json")
    return Document(meta, source, tuple(_provision(r) for r in rows))


# ---- writing the parts -------------------------------------------------------------------------------

def write_document_state(root: Path, doc: Document, issuers: Sequence[str], events: list,
                         responsibilities: Sequence[Responsibility], mentions: Sequence[Mention],
                         raws: Sequence[RawCitation], targets: Sequence[Target],
                         eligible: list[int] | None, stream=None) -> tuple[dict, dict[int, str]]:
    """The document's own part and everything it contributes; (state, target id → IRI)."""
    part, tasks, mentioned, rows, iris = document_part(doc, issuers, responsibilities, mentions,
                                                       targets)
    state = {
        "file": doc.file, "meta": doc.meta.to_dict() | {"file": doc.file}, "key": doc.meta.key,
        "provisions": len(doc.provisions), "chars": len(doc.source), "issuers": list(issuers),
        "events": [[d.to_dict(), alias] for d, alias in events],
        "raws": [_asdict(r) for r in raws],
        "targets": [_asdict(t) | {"uri": iri} for t, iri in zip(targets, iris)],
        "tasks": tasks, "mentioned": mentioned, "facts": part.facts,
        "spans": [[s, e] for _, s, e in part.spans], "shared": part.shared,
        "eligible": eligible, "tally": _tally(doc, part.facts),
        "ckeys": cite_keys(doc.meta, raws),
    }
    folder = root / "doc"
    _write_bytes(root / "text" / f"{doc.file}.txt", doc.source.encode("utf-8"))
    if stream is not None:
        save_stream(root / "text" / f"{doc.file}.stream", stream)
    _write_json(folder / f"{doc.file}.prov.json", [_flat(p) for p in doc.provisions])
    _write_lines(folder / f"{doc.file}.nt", part.lines)
    _write_lines(folder / f"{doc.file}.rows", map(_row_line, rows))
    _write_json(folder / f"{doc.file}.json", state)
    return state, {id(t): iri for t, iri in zip(targets, iris)}


_PROVISION_FIELDS = tuple(f.name for f in dataclasses.fields(Provision))


def _flat(p: Provision) -> dict:
    """_asdict of a provision without its deep copy (its fields are strings, numbers and
    tuples of strings: the same JSON), for the hundred thousand of them a build writes."""
    return {name: getattr(p, name) for name in _PROVISION_FIELDS}


def _tally(doc: Document, facts: dict[str, dict]) -> dict[str, list[int]]:
    """What the index catalog counts for this document: department → [lead, participant]."""
    out: dict[str, list[int]] = {}
    for p in doc.provisions:
        pf = ProvisionFacts.read(facts.get(p.id))
        for i, names in enumerate((pf.lead, pf.participants)):
            for name in names:
                out.setdefault(name, [0, 0])[i] += 1
    return out


def cite_keys(meta: DocumentMeta, raws: Sequence[RawCitation]) -> dict[str, list]:
    """The keys resolve_citations joins a document and each of its citations by (文号,
    issuer and title, as it computes them): two things can only end up in one cited node
    through a chain of shared keys.  `v`: the keys' form (CITE_FORMAT)."""
    return {"v": CITE_FORMAT, "meta": meta_keys(meta),
            "raws": [citation_keys(r.number, r.title) for r in raws]}


def _ckeys(state: dict, cites: dict | None = None) -> dict[str, list]:
    """A document's citation keys: in its state; for a state written before they were kept,
    in its cite state (put there when the first add took the whole pass), else computed
    (also when kept in an older form)."""
    if state.get("ckeys", {}).get("v") != CITE_FORMAT:
        kept = (cites or {}).get("ckeys")
        state["ckeys"] = kept if (kept or {}).get("v") == CITE_FORMAT else cite_keys(
            _meta(state["meta"]), [RawCitation(**r) for r in state["raws"]])
    return state["ckeys"]


def _cite_row(c: Citation) -> list:
    return [c.provision, c.doc, c.title, c.number, c.start, c.end, c.target, c.resolves_to,
            c.target_number]


def _cited_map(citations: Sequence[Citation], cited: dict[str, CitedDocument]) -> dict[str, list]:
    """What a citation part reads of the cited nodes (not cited_by: no part shows it)."""
    return {c.target: [cited[c.target].title, cited[c.target].number, cited[c.target].resolves_to]
            for c in citations}


def write_cite_state(root: Path, doc: Document, citations: Sequence[Citation],
                     cited: dict[str, CitedDocument], metas: dict[str, DocumentMeta],
                     ckeys: dict | None = None) -> dict:
    """The part holding one document's citations as they resolve now (`ckeys`: the
    document's citation keys, kept here when its own state does not have them)."""
    own = {c.target: cited[c.target] for c in citations}
    targets = [metas[c.resolves_to] for c in own.values() if c.resolves_to in metas]
    part, rows = citation_part(doc, CitationFacts(list(citations), own), targets)
    state = {"file": doc.file, "citations": [_cite_row(c) for c in citations],
             "cited": _cited_map(citations, cited), "facts": part.facts,
             "spans": [[s, e] for _, s, e in part.spans], "shared": part.shared}
    if ckeys is not None:
        state["ckeys"] = ckeys
    _write_lines(root / "cite" / f"{doc.file}.nt", part.lines)
    _write_lines(root / "cite" / f"{doc.file}.rows", map(_row_line, rows))
    _write_json(root / "cite" / f"{doc.file}.json", state)
    return state


@dataclass
class PairPart:
    name: str
    state: dict
    lines: list[str]
    rows: list[str]


def pair_part_of(higher: Document, lower: Document, owner: str,
                 alignments: Sequence[Alignment],
                 target_links: Sequence[tuple[int, int, TargetAlignment]],
                 target_iris: dict[int, str]) -> PairPart:
    """What `lower` takes up from `higher`.  `target_links` are (index of the higher target
    in its document, index of the lower one, the link)."""
    from rdflib import URIRef
    iris = {id(t): URIRef(target_iris[id(t)])
            for _, _, ta in target_links for t in (ta.higher, ta.lower)}
    part, text_rows, target_rows = pair_part(higher, lower, alignments,
                                             [ta for _, _, ta in target_links], iris)
    spans: dict[str, list] = {higher.file: [], lower.file: []}
    for file, s, e in part.spans:
        spans[file].append([s, e])
    rows = text_rows + target_rows
    state = {"higher": higher.file, "lower": lower.file, "owner": owner,
             "keys": [_flat_order(a) for a in alignments],
             "targets": [[i, j] for i, j, _ in target_links],
             "entries": [[r["higher"], r["lower"], r.get("kind"), r.get("score")] for r in rows],
             "spans": spans, "shared": part.shared}
    return PairPart(pair_name(higher.file, lower.file), state, part.lines,
                    [_row_line(r) for r in rows])


def write_pack(root: Path, owner: str, parts: Iterable[PairPart]) -> dict[str, dict]:
    """The pairs `owner` brought, in one pack: states with their line ranges.  Each part
    is written as it comes (`parts` may be a generator): a pack joined whole in memory,
    as text and again as UTF-8, was tens of MB for the owner of many pairs."""
    states: dict[str, dict] = {}
    n_lines = n_rows = 0
    folder = root / "pair"
    with _fresh(folder / f"{owner}.nt") as nt, _fresh(folder / f"{owner}.rows") as rows:
        for part in parts:
            states[part.name] = dict(part.state, nt=[n_lines, n_lines + len(part.lines)],
                                     rows=[n_rows, n_rows + len(part.rows)])
            n_lines, n_rows = n_lines + len(part.lines), n_rows + len(part.rows)
            nt.write("".join(part.lines).encode("utf-8"))
            rows.write("".join(part.rows).encode("utf-8"))
    _write_json(folder / f"{owner}.json", states)
    return states


def _fresh(path: Path):
    """`path` opened for writing (binary) under a fresh inode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink()          # a hard link to the old generation's file: never write into it
    return open(path, "wb")


def _filter_pack(root: Path, owner: str, keep: dict[str, dict]) -> dict[str, dict]:
    """A pack written again with only the pairs in `keep` (their lines cut out, not remade)."""
    folder = root / "pair"
    lines = (folder / f"{owner}.nt").read_text(encoding="utf-8").splitlines(keepends=True)
    rows = (folder / f"{owner}.rows").read_text(encoding="utf-8").splitlines(keepends=True)
    parts = [PairPart(name, {k: v for k, v in s.items() if k not in ("nt", "rows")},
                      lines[slice(*s["nt"])], rows[slice(*s["rows"])])
             for name, s in keep.items()]
    if not parts:
        for ext in (".json", ".nt", ".rows"):
            (folder / f"{owner}{ext}").unlink(missing_ok=True)
        return {}
    return write_pack(root, owner, parts)


def asked_spans(file: str, corpus: "Corpus", pairs: Iterable[dict]) -> list[list[int]]:
    """The spans of document `file` its citations and alignments point at that its own
    part does not make (sorted, unique)."""
    spans = {tuple(s) for s in corpus.cites[file]["spans"]}
    for pair in pairs:
        spans |= {tuple(s) for s in pair["spans"].get(file, ())}
    spans -= {tuple(s) for s in corpus.docs[file]["spans"]}
    return sorted(list(s) for s in spans)


def write_span_part(root: Path, meta: DocumentMeta, asked: list[list[int]]) -> str:
    source = (root / "text" / f"{meta.file}.txt").read_text(encoding="utf-8")
    _write_lines(root / "span" / f"{meta.file}.nt",
                 span_lines(Document(meta, source, ()), [tuple(s) for s in asked]))
    return _digest(asked)


def _pairs_by_doc(pairs: dict[str, dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for state in pairs.values():
        out[state["higher"]].append(state)
        out[state["lower"]].append(state)
    return out


# ---- the full build's stage -----------------------------------------------------------------------------

def graph_stage(ctx) -> None:
    """Build stage "graph": extract, write every part of the graph once (the incremental
    state), then graph.nt, facts.json and the export rows from those parts — as an add
    writes them.  No rdflib Graph of the corpus is ever held: assembling one cost more
    than all the extraction, and its memory grew with the corpus."""
    parts = graph_parts(ctx.docs)
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


def document_facts(root: Path, file: str) -> dict[str, dict]:
    """The facts of one document's provisions (provision id → facts), from the fragment
    the state keeps for it (incr/doc/<file>.facts; facts.json is their join)."""
    path = root / "doc" / f"{file}.facts"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return json.loads("{" + text + "}")


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
_WRITTEN = {"docs": ("facts", "spans", "events", "raws", "tally"),
            "cites": ("facts", "citations", "cited", "spans"), "pairs": ("spans",)}


def _release_written(corpus: "Corpus") -> None:
    """Drop from a full build's states what only the state files needed (see _WRITTEN)."""
    for name, keys in _WRITTEN.items():
        for state in getattr(corpus, name).values():
            for key in keys:
                state.pop(key, None)


def _write_graph_outputs(new: Path, root: Path, corpus: "Corpus", resolver,
                         cited: dict[str, CitedDocument]) -> None:
    """graph.nt, facts.json and the export rows of `new` from the parts in `root`."""
    lines, dept_rows = _global_part(root, corpus, resolver, cited)
    _write_graph(new, root, corpus, lines)
    _write_outputs(new, root, corpus, dept_rows)


DEPARTMENT_LINES = "global.lines"


def _global_part(root: Path, corpus: "Corpus", resolver, cited: dict[str, CitedDocument]
                 ) -> tuple[list[str], list[dict]]:
    """global_lines of the corpus with the department nodes' lines of the previous generation
    (incr/global.lines, ontology.graph.DepartmentLines; an absent or unreadable file is an
    empty cache), written again only when a department node changed.  marshal, not JSON:
    the file is ~28 MB at 2,000 documents and a cache (a file another Python cannot read
    is only a miss), and marshal reads it in a third of the time."""
    path = root / DEPARTMENT_LINES
    try:
        cache = DepartmentLines.from_data(marshal.loads(path.read_bytes()))
    except (OSError, ValueError, EOFError, TypeError):
        cache = DepartmentLines.empty()
    order = corpus.order
    tasks, mentioned = _tasks(corpus)
    targets = [_Indicator(t["indicator_key"], t["indicator"])
               for f in order for t in corpus.docs[f]["targets"]]
    out = global_lines([corpus.metas[f] for f in order], resolver, tasks, mentioned, cited,
                       targets, cache=cache)
    if cache.changed or not path.is_file():
        _write_bytes(path, marshal.dumps(cache.to_data()))
    return out


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
    corpus = Corpus(folder, {}, metas, {}, {}, {})
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
    for owner, names in _pairs_by_owner(groups).items():
        # one owner's pack at a time, written as soon as it is made: the N-Triples lines
        # of every pair (hundreds of MB at 2,000 documents) are never held at once
        # (and within a pack, each pair's lines are written and dropped before the next's)
        items = (_pair_part_from(groups.pop((h, l)), by_file[h], by_file[l], owner, index_of,
                                 target_iris) for h, l in names)
        corpus.pairs.update(write_pack(root, owner, items))
    corpus.touched = set(metas)
    corpus.info = {"format": FORMAT, "df": df.save(root), "base_docs": [d.file for d in docs],
                   "spans": {}, "citations": CITE_FORMAT,
                   "aliases": alias_map(parts.departments.resolver)}
    _write_document_outputs(root, corpus)
    _write_state(root, corpus)
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


def _pairs_by_owner(groups: dict[tuple[str, str], dict]) -> dict[str, list[tuple[str, str]]]:
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


def _write_state(root: Path, corpus: Corpus) -> None:
    info = dict(corpus.info)
    info.update(format=FORMAT, metas=[corpus.metas[f].to_dict() | {"file": f} for f in corpus.order],
                pairs={name: s["owner"] for name, s in sorted(corpus.pairs.items())})
    _write_json(root / "state.json", info)


# ---- per-document outputs: spans part and facts -------------------------------------------------------

def _write_document_outputs(root: Path, corpus: Corpus) -> None:
    """The span part and the facts of every touched document."""
    pairs_of = _pairs_by_doc(corpus.pairs)
    positions = _target_positions(corpus)
    spans = dict(corpus.info.get("spans", {}))
    for f in corpus.order:
        if f not in corpus.touched:
            continue
        asked = asked_spans(f, corpus, pairs_of.get(f, []))
        if spans.get(f) != _digest(asked) or not (root / "span" / f"{f}.nt").is_file():
            spans[f] = write_span_part(root, corpus.metas[f], asked)
        facts = _document_facts(f, corpus, pairs_of.get(f, []), positions)
        _write_bytes(root / "doc" / f"{f}.facts",
                     json.dumps(facts, ensure_ascii=False)[1:-1].encode("utf-8"))
    corpus.info["spans"] = {f: spans[f] for f in corpus.order}


def _empty_slot() -> dict:
    return {"departments": {"lead": [], "participants": []}, "targets": [], "cites": [],
            "aligned": [], "mentions": []}


def _document_facts(file: str, corpus: Corpus, pairs: Sequence[dict], positions) -> dict:
    """The facts of one document's provisions, as a full build makes them: its own, its
    citations, and its alignments in the order of the alignment rows (_Builder._aligned)."""
    facts: dict[str, dict] = {}
    for pid, slot in corpus.docs[file]["facts"].items():
        facts[pid] = {**slot, "cites": [], "aligned": []}
    for pid, slot in corpus.cites[file]["facts"].items():
        facts.setdefault(pid, _empty_slot())["cites"] = list(slot["cites"])
    seen: set[tuple] = set()          # _Builder._aligned's "if entry not in slot", in O(1)
    for _, (higher, lower, kind, score), h_doc, l_doc in sorted(_entries(pairs, positions),
                                                                 key=lambda e: e[0]):
        kind = kind or "text"
        for me, other, other_doc, direction, here in ((lower, higher, h_doc, "higher", l_doc),
                                                      (higher, lower, l_doc, "lower", h_doc)):
            key = (me, other, direction, kind, score)
            if here != file or key in seen:
                continue
            seen.add(key)
            facts.setdefault(me, _empty_slot())["aligned"].append(
                {"provision": other, "doc": other_doc, "direction": direction, "kind": kind,
                 "score": score})
    return facts


def _entries(pairs: Iterable[dict], positions):
    """(global order key, entry, higher doc, lower doc) of every alignment row of `pairs`:
    text links in find_alignments' order first, then target links in align_targets'."""
    rank, position, docs = positions
    for pair in pairs:
        h, l = pair["higher"], pair["lower"]
        keys = [(0, *k) for k in pair["keys"]]
        for i, j in pair["targets"]:
            group = docs[h]["targets"][i]["indicator_key"][-2:]
            keys.append((1, rank[group], position[(h, i)], position[(l, j)]))
        for key, entry in zip(keys, pair["entries"]):
            yield key, entry, h, l


def _target_positions(corpus: Corpus):
    """align_targets' groups (by the key's last two characters, in order of first use) and
    each target's place in its group."""
    rank: dict[str, int] = {}
    position: dict[tuple[str, int], int] = {}
    size: Counter = Counter()
    for f in corpus.order:
        if corpus.metas[f].level not in LEVELS:
            continue
        for i, t in enumerate(corpus.docs[f]["targets"]):
            group = t["indicator_key"][-2:]
            rank.setdefault(group, len(rank))
            position[(f, i)] = size[group]
            size[group] += 1
    return rank, position, corpus.docs


# ---- an add or a remove ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """One document in (`add`, segmented) or out (`remove`, its file name)."""

    add: Document | None = None
    remove: str | None = None


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
        df = FrozenFrequency.load(root, corpus.info["df"])
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
    eligible = corpus.docs[file].get("eligible")
    if eligible is None:
        eligible = _eligible(realign.stream(file), df)
    suffixes = {t["indicator_key"][-2:] for t in corpus.docs[file]["targets"]}
    lowers = realign.affected(meta, eligible, suffixes)
    before = {f: realign.signature(f, meta) for f in lowers}
    keys = _ckeys(corpus.docs[file], corpus.cites[file])
    corpus.cite_seeds.update(keys["meta"], *keys["raws"])
    corpus.cite_gone.update(corpus.cites[file].get("cited") or {})
    del corpus.metas[file], corpus.docs[file], corpus.cites[file]
    for sub, ext in (("doc", ".json"), ("doc", ".nt"), ("doc", ".prov.json"), ("doc", ".rows"),
                     ("doc", ".facts"), ("cite", ".json"), ("cite", ".nt"), ("cite", ".rows"),
                     ("span", ".nt"), ("text", ".txt"), ("text", ".stream")):
        (root / sub / f"{file}{ext}").unlink(missing_ok=True)
    gone = [name for name, s in corpus.pairs.items() if file in (s["higher"], s["lower"])]
    _forget_pairs(corpus, root, gone)
    corpus.touched.discard(file)
    level = LEVELS.index(meta.level) if meta.level in LEVELS else None
    again = [f for f in lowers if realign.signature(f, meta, without=file) != before[f]]
    _forget_pairs(corpus, root, [name for name, s in corpus.pairs.items()
                                 if s["lower"] in set(again) and realign.level(s["higher"]) == level])
    owner = _new_owner(root, file)
    made = realign.regroup(again, level, file, owner)
    if made:
        corpus.pairs.update(write_pack(root, owner, made))
    corpus.touched.update(f for part in made for f in (part.state["higher"], part.state["lower"]))


def _check_region(corpus: Corpus, meta: DocumentMeta) -> None:
    """Which plans are a lower plan's own is read from the gazetteer, or, for a region it
    does not know, against the regions the corpus has at each level (alignment.Hierarchy):
    a region coming or going at a level with such plans below it can change that for any
    of them — a build reads them all again."""
    if meta.level not in LEVELS or meta.level == LEVELS[0] or not meta.region:
        return
    level = LEVELS.index(meta.level)
    same = any(m.level == meta.level and m.region == meta.region and f != meta.file
               for f, m in corpus.metas.items())
    below = any(m.level in LEVELS and LEVELS.index(m.level) > level
                and al.gazetteer_line(m.region or "") is None
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
        corpus.touched.update((state["higher"], state["lower"]))
        packs.add(state["owner"])
    for owner in sorted(packs):
        keep = {n: s for n, s in corpus.pairs.items() if s["owner"] == owner}
        corpus.pairs.update(_filter_pack(root, owner, keep))


def _add(corpus: Corpus, root: Path, doc: Document, df: FrozenFrequency, step: Step) -> None:
    """Read the new document alone; align it with its candidate sources; realign the lower
    documents whose sources at its level it changes (see _Realigner)."""
    if doc.file in corpus.metas:
        raise NotIncremental(f"{doc.file} is already in the incremental state")
    _check_region(corpus, doc.meta)
    before = [f for f in corpus.order if f < doc.file]
    resolver = replay((e for f in before for e in _events(corpus.docs[f])), RecordingResolver())
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
    corpus.cite_seeds.update(state["ckeys"]["meta"], *state["ckeys"]["raws"])
    step("extract")
    realign = _Realigner(corpus, root, df, {doc.file: doc}, {doc.file: own.stream})
    level = LEVELS.index(doc.meta.level) if doc.meta.level in LEVELS else None
    made: list[PairPart] = []
    owner = _new_owner(root, doc.file)
    # its own sources (a document of unknown level looks up to the national plans only)
    for above in range(al.lower_rank(doc.meta.level)):
        made += realign.regroup([doc.file], above, None, owner)
    if level is not None:                       # whose source it is: only with a level
        lowers = realign.affected(doc.meta, own.eligible,
                                  {t.indicator_key[-2:] for t in targets})
        again = [f for f in lowers if realign.signature(f, doc.meta, without=doc.file)
                 != realign.signature(f, doc.meta)]
        old = [name for name, s in corpus.pairs.items() if s["lower"] in set(again)
               and realign.level(s["higher"]) == level]
        _forget_pairs(corpus, root, old)
        made += realign.regroup(again, level, None, owner)
    if made:
        corpus.pairs.update(write_pack(root, owner, made))
    corpus.touched.update(f for part in made for f in (part.state["higher"], part.state["lower"]))
    step("align")


def _stream_of(root: Path, doc: Document, df: FrozenFrequency):
    path = root / "text" / f"{doc.file}.stream"
    return load_stream(path, doc) if path.is_file() else shingle(doc, df).stream


def _events(state: dict) -> list:
    return [(Department(**d), alias) for d, alias in state["events"]]


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
        self.hierarchy = al.Hierarchy(corpus.metas.values())
        added = {f: s["eligible"] for f, s in corpus.docs.items() if s.get("eligible") is not None}
        self.index = ShingleIndex.load(root, corpus.info["base_docs"], added)
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
            self.allowed[key] = (al.may_take_up(h, stub(self.corpus.metas[lower]))
                                 and self.hierarchy.contains(h, self.source(lower)))
        return self.allowed[key]

    def affected(self, meta: DocumentMeta, eligible: Sequence[int], suffixes: set[str]
                 ) -> list[str]:
        """The lower documents `meta`'s document may be a source or counterpart of."""
        level = self.level(meta.file)
        if level is None or level == len(LEVELS) - 1:
            return []
        near = self.index.sharing(eligible)
        near |= {f for f, s in self.corpus.docs.items()
                 if any(t["indicator_key"][-2:] in suffixes for t in s["targets"])}
        out = []
        for f in sorted(near):
            if (f != meta.file and al.lower_rank(self.corpus.metas[f].level) > level
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
            state = self.corpus.docs[f].get("eligible")
            self.eligible[f] = state if state is not None else _eligible(self.stream(f), self.df)
        return self.eligible[f]

    def target_links(self, lower: str, level: int, without: str | None = None
                     ) -> list[tuple[int, int, TargetAlignment, str, str]]:
        """align_targets for one lower document and one level: (higher index, lower
        index, link, higher IRI, lower IRI)."""
        metas = self.corpus.metas
        rows = {lower: self.corpus.docs[lower]["targets"]}
        if not rows[lower]:
            return []
        for f in self.corpus.order:
            if (f != without and f != lower and self.level(f) == level
                    and self.corpus.docs[f]["targets"] and self.may(metas[f], lower)):
                rows[f] = self.corpus.docs[f]["targets"]
        made = {f: [_target(r) for r in rs] for f, rs in rows.items()}
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
            for a in sorted(text, key=_alignment_order):
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

    cited = _resolve_citations(corpus, root, document,
                               change.add.file if change.add is not None else None)
    step("citations")
    _write_document_outputs(root, corpus)
    resolver = _registry(corpus, change)
    lines, dept_rows = _global_part(root, corpus, resolver, cited)
    _write_graph(new, root, corpus, lines, one_file=False, previous=old)
    step("graph")
    dept_lines = [_row_line(r) for r in dept_rows]
    alignment_rows = _write_outputs(new, root, corpus, dept_rows, facts_file=False,
                                    dept_lines=dept_lines)
    _write_corpus_files(old, new, corpus, change)
    # The catalog takes both row lists as they are here: no export file read back.
    _write_catalog(old, new, corpus, change, alignment_rows,
                   list(zip(dept_rows, (line[:-1] for line in dept_lines))))
    step("facts")
    aliases = alias_map(resolver)
    _update_index(old, new, corpus, change, corpus.info.get("aliases", {}), aliases, document)
    step("index")
    corpus.info["aliases"] = aliases
    _write_state(root, corpus)
    meta = {"format": 1, "generation": new.name.replace(".tmp-", ""),
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "seconds": round(time.time() - started, 3), "documents": len(order),
            "provisions": sum(corpus.docs[f]["provisions"] for f in order),
            "update": {"added": change.add.file if change.add is not None else None,
                       "removed": change.remove, "incremental": True}}
    (new / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    step("done")
    return meta


def _registry(corpus: Corpus, change: Change):
    """The department registry of the whole corpus: replaying every document's events in
    build order, or, after an add alone, continuing the registry the add read its document
    with (the events of the documents up to it already in) with those after it."""
    if corpus.registry is not None and change.remove is None:
        resolver, last = corpus.registry
        return replay((e for f in corpus.order if f > last for e in _events(corpus.docs[f])),
                      resolver)
    return replay(e for f in corpus.order for e in _events(corpus.docs[f]))


@dataclass(frozen=True)
class _Indicator:
    indicator_key: str
    indicator: str


def _resolve_citations(corpus: Corpus, root: Path, document: Callable[[str], Document],
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
    met) — sends the change to the full pass, as does a state without kept citations."""
    if corpus.info.get("citations") != CITE_FORMAT or any(
            f != added and "citations" not in corpus.cites.get(f, {}) for f in corpus.order):
        return _resolve_all_citations(corpus, root, document)
    states = corpus.docs
    index: dict[str, list[str]] = defaultdict(list)
    for f in corpus.order:
        keys = _ckeys(states[f], corpus.cites.get(f))
        for k in {*keys["meta"], *(k for ks in keys["raws"] for k in ks)}:
            index[k].append(f)
    # The closure of the changed keys: documents and citations joined to them.
    metas_in: set[str] = set()
    raws_in: dict[str, set[int]] = defaultdict(set)
    if added is not None:
        raws_in[added] = set(range(len(states[added]["raws"])))    # keyless ones too
    seen: set[str] = set()
    todo = list(corpus.cite_seeds)
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        for f in index.get(key, ()):
            keys = _ckeys(states[f])
            if key in keys["meta"] and f not in metas_in:
                metas_in.add(f)
                todo += keys["meta"]
            for i, ks in enumerate(keys["raws"]):
                if key in ks and i not in raws_in[f]:
                    raws_in[f].add(i)
                    todo += ks
    # The added document always gets a cite state, even with nothing to resolve: a full
    # build writes one for every document, and the outputs read it (asked_spans).
    affected = [f for f in corpus.order if raws_in.get(f) or f == added]
    facts = resolve_citations(
        [corpus.metas[f] for f in corpus.order if f in metas_in],
        [RawCitation(**states[f]["raws"][i]) for f in affected for i in sorted(raws_in[f])],
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
            outside.update(old["cited"])
            continue
        kept = []
        for row in old["citations"]:
            c = Citation(*row)
            if seen.intersection(citation_keys(c.number, c.title)):
                before.add(c.target)
            else:
                kept.append(c)
                outside[c.target] = old["cited"][c.target]
        kept_of[f] = kept
    if outside.keys() & (before | set(facts.cited)):
        return _resolve_all_citations(corpus, root, document)
    cited = {i: CitedDocument(i, *v) for i, v in outside.items()}
    cited.update(facts.cited)
    merged = {f: _in_reading_order(states[f]["raws"], kept_of.get(f, []), new_of.get(f, []))
              for f in affected}
    if any(mine is None for mine in merged.values()):
        return _resolve_all_citations(corpus, root, document)     # a state out of step
    for f, mine in merged.items():
        _put_citations(corpus, root, document, f, mine, cited)
    return cited


def _in_reading_order(raws: Sequence[dict], *runs: Sequence[Citation]) -> list[Citation] | None:
    """Citations from several runs, each in its document's reading order, merged into it
    (None if a run does not follow the document's citations as read)."""
    at = [0] * len(runs)
    out = []
    for r in raws:
        for n, run in enumerate(runs):
            if at[n] < len(run):
                c = run[at[n]]
                if (c.provision, c.start, c.end, c.title, c.number) == \
                        (r["provision"], r["start"], r["end"], r["title"], r["number"]):
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
    if (old is None or old.get("citations") != [_cite_row(c) for c in mine]
            or old.get("cited") != _cited_map(mine, cited)):
        corpus.cites[f] = write_cite_state(root, document(f), mine, cited, corpus.metas,
                                           None if "ckeys" in corpus.docs[f]
                                           else _ckeys(corpus.docs[f], old))
        corpus.touched.add(f)


def _resolve_all_citations(corpus: Corpus, root: Path, document: Callable[[str], Document]
                           ) -> dict[str, CitedDocument]:
    """Every citation of the corpus resolved again (what a full build does)."""
    metas = [corpus.metas[f] for f in corpus.order]
    raws = [RawCitation(**r) for f in corpus.order for r in corpus.docs[f]["raws"]]
    facts = resolve_citations(metas, raws)
    by_doc: dict[str, list[Citation]] = defaultdict(list)
    for c in facts.citations:
        by_doc[c.doc].append(c)
    for f in corpus.order:
        mine, old = by_doc.get(f, []), corpus.cites.get(f)
        if old is not None and "citations" not in old and \
                old.get("key") == _digest([[_asdict(c), _asdict(facts.cited[c.target])]
                                           for c in mine]):
            # A state of before CITE_FORMAT whose citations resolve as they did: its part
            # stays (a hard link); only its state gains the citations, for the next add.
            state = {k: v for k, v in old.items() if k != "key"}
            state.update(citations=[_cite_row(c) for c in mine],
                         cited=_cited_map(mine, facts.cited),
                         ckeys=_ckeys(corpus.docs[f]))    # its doc state is not rewritten
            _write_json(root / "cite" / f"{f}.json", state)
            corpus.cites[f] = state
            continue
        _put_citations(corpus, root, document, f, mine, facts.cited)
    corpus.info["citations"] = CITE_FORMAT
    return facts.cited


def _tasks(corpus: Corpus) -> tuple[dict[str, list[dict]], dict[str, list[str]]]:
    tasks: dict[str, list[dict]] = defaultdict(list)
    mentioned: dict[str, list[str]] = defaultdict(list)
    for f in corpus.order:
        for slug, rows in corpus.docs[f]["tasks"].items():
            tasks[slug].extend(rows)
        for slug, pids in corpus.docs[f]["mentioned"].items():
            mentioned[slug].extend(pids)
    return tasks, mentioned


def _concat(out: Path, files: Iterable[Path], head: Iterable[str] = (), tail: Iterable[str] = ()
            ) -> None:
    with open(out, "wb") as fh:
        fh.write("".join(head).encode("utf-8"))
        fh.flush()
        for path in files:
            with open(path, "rb") as part:
                _copy_into(part, fh)
        fh.write("".join(tail).encode("utf-8"))


def _copy_into(src, dst) -> None:
    """Append file `src` to `dst` inside the kernel (copy_file_range): graph.nt is hundreds
    of megabytes, and copying it through Python buffers was most of writing it."""
    size = os.fstat(src.fileno()).st_size
    try:
        done = 0
        while done < size:
            n = os.copy_file_range(src.fileno(), dst.fileno(), size - done)
            if n == 0:
                break
            done += n
        if done == size:
            return
        src.seek(done)
    except (AttributeError, OSError):
        src.seek(0)
        dst.seek(0, os.SEEK_END)
    shutil.copyfileobj(src, dst, 1 << 20)


def _write_graph(new: Path, root: Path, corpus: Corpus, global_part: list[str],
                 one_file: bool = True, previous: Path | None = None) -> None:
    """The graph: the global part and the shared vocabulary once, then every part's own
    lines (the parts never share a triple).  A full build writes them into graph.nt; an
    add lists the part files in graph.files instead (GRAPH_LIST), so that the parts it did
    not change stay hard links and an add never copies the whole graph (see
    pipeline.generation.Generation.graph_files).  Either way the on-disk Oxigraph store
    the servers open (ontology.diskstore) is written too: the `previous` generation's
    store plus the delta of the parts by an add; by a full build, bulk-loaded in a child
    process started here, which the build joins (diskstore.finish) before it is done."""
    seen = dict.fromkeys(global_part)
    for state in (*corpus.docs.values(), *corpus.cites.values(), *corpus.pairs.values()):
        for line in state["shared"]:
            seen.setdefault(line)
    _write_lines(root / "global.nt", seen)
    files = [root / "global.nt"]
    for f in corpus.order:
        files += [root / "doc" / f"{f}.nt", root / "cite" / f"{f}.nt", root / "span" / f"{f}.nt"]
    owners = sorted({s["owner"] for s in corpus.pairs.values()})
    files += [root / "pair" / f"{owner}.nt" for owner in owners]
    if previous is None:
        # Every part is written: the load runs beside the rest of the build from here.
        diskstore.start(new, files)
    if one_file:
        _concat(new / GRAPH_FILE, files)
    else:
        # Cut as strings (every part sits under `new`): Path.relative_to for thousands of
        # files cost more than their stats.
        head = str(new) + os.sep
        paths = [str(f) for f in files]
        if all(p.startswith(head) for p in paths):
            listed = [p[len(head):] for p in paths if os.stat(p).st_size]
        else:                                 # e.g. `new` given as "."
            listed = [str(f.relative_to(new)) for f in files if f.stat().st_size]
        (new / GRAPH_LIST).write_text(json.dumps(listed, indent=0), encoding="utf-8")
    if previous is not None:
        diskstore.update(previous, new, files)


def _write_outputs(new: Path, root: Path, corpus: Corpus, dept_rows: list[dict],
                   facts_file: bool = True, dept_lines: list[str] | None = None
                   ) -> list[tuple[str, str, str]]:
    """facts.json from the documents' facts (a full build only: after an add the reader
    joins the per-document fragments, pipeline.generation), the export rows (alignments in
    the order a full build writes them: text links as find_alignments sorts them, then
    target links in align_targets' order).  Returns the alignment rows as the catalog
    keeps them: (higher, lower, line), in that order.  `dept_lines`: the department rows
    already as lines (_row_line), when the caller has them."""
    if facts_file:
        fragments = [(root / "doc" / f"{f}.facts").read_text(encoding="utf-8")
                     for f in corpus.order]
        with open(new / FACTS_FILE, "w", encoding="utf-8") as fh:
            fh.write("{" + ",".join(x for x in fragments if x) + "}")
    with open(new / ROW_FILES["departments"], "w", encoding="utf-8") as fh:
        fh.writelines(dept_lines if dept_lines is not None else map(_row_line, dept_rows))
    _concat(new / ROW_FILES["citations"], [root / "cite" / f"{f}.rows" for f in corpus.order])
    _concat(new / ROW_FILES["targets"], [root / "doc" / f"{f}.rows" for f in corpus.order])
    positions = _target_positions(corpus)
    rows: list[tuple[tuple, str, str, str]] = []
    by_owner: dict[str, list[str]] = {}
    for name, pair in corpus.pairs.items():
        owner = pair["owner"]
        if owner not in by_owner:
            # One JSON row per "\n" (json escapes newlines); kept without it, as the
            # catalog stores them.
            by_owner[owner] = (root / "pair" / f"{owner}.rows").read_bytes().decode(
                "utf-8").split("\n")[:-1]
        mine = by_owner[owner][slice(*pair["rows"])]
        rows += [(key, line, entry[0], entry[1])
                 for (key, entry, _, _), line in zip(_entries([pair], positions), mine)]
    rows.sort(key=lambda r: r[0])
    with open(new / ROW_FILES["alignments"], "w", encoding="utf-8") as fh:
        fh.writelines(line + "\n" for _, line, _, _ in rows)
    # entry[0], entry[1] are the row's "higher" and "lower" (pair_part_of): the catalog
    # need not parse the file again.
    return [(higher, lower, line) for _, line, higher, lower in rows]


def _write_corpus_files(old: Path, new: Path, corpus: Corpus, change: Change) -> None:
    """documents.json, provisions.jsonl (the old lines kept, the document's put in or
    left out) and the frozen dictionary."""
    rows = []
    for f in corpus.order:
        meta, state = corpus.metas[f], corpus.docs[f]
        row = meta.to_dict()
        row.update(key=meta.key, uri=str(doc_iri(meta.key)), provisions=state["provisions"],
                   chars=state["chars"])
        rows.append(row)
    write_json(new / "documents.json", rows)
    counts = [(d["doc"], d["provisions"]) for d in
              json.loads((old / "documents.json").read_text(encoding="utf-8"))]
    added = ("".join(_row_line(r) for r in provision_rows(change.add)).encode("utf-8")
             if change.add is not None else b"")
    pieces = _provision_pieces(counts, change.add.file if change.add is not None else None,
                               change.remove)
    with open(old / "provisions.jsonl", "rb") as src, \
            open(new / "provisions.jsonl", "wb") as out:
        _splice(src, out, pieces, added)
    os.link(old / "dict.txt", new / "dict.txt")


def _provision_pieces(counts: Sequence[tuple[str, int]], added: str | None,
                      removed: str | None) -> list[tuple[int, int] | None]:
    """provisions.jsonl of the new generation as line ranges of the old one to keep, in
    order, with None where the added document's rows go (documents in file-name order)."""
    pieces: list[tuple[int, int] | None] = []
    line = 0
    for file, n in counts:
        if added is not None and added < file:
            pieces.append(None)
            added = None
        if file != removed and n:
            if pieces and pieces[-1] is not None and pieces[-1][1] == line:
                pieces[-1] = (pieces[-1][0], line + n)
            else:
                pieces.append((line, line + n))
        line += n
    if added is not None:
        pieces.append(None)
    return pieces


def _splice(src, out, pieces: Sequence[tuple[int, int] | None], added: bytes) -> None:
    """Write line ranges of `src` (binary files) and `added` into `out`: the ranges are
    found by counting newlines and copied inside the kernel — provisions.jsonl is hundreds
    of megabytes, and reading it line by line was a second of an add at 2,000 documents."""
    at = _line_offsets(src, [n for piece in pieces if piece is not None for n in piece])
    for piece in pieces:
        if piece is None:
            out.write(added)
        else:
            out.flush()
            _copy_range(src, out, at[piece[0]], at[piece[1]])


def _line_offsets(fh, lines: Sequence[int]) -> dict[int, int]:
    """The byte offset where each of `lines` (0-based line numbers) starts; a line past
    the end starts at the end."""
    wanted = sorted(set(lines))
    out: dict[int, int] = {}
    i, seen, pos = 0, 0, 0           # newlines and bytes before the current chunk
    while i < len(wanted) and wanted[i] == 0:
        out[0] = 0
        i += 1
    fh.seek(0)
    while i < len(wanted):
        chunk = fh.read(1 << 22)
        if not chunk:
            break
        n = chunk.count(b"\n")
        while i < len(wanted) and wanted[i] <= seen + n:
            cut = -1
            for _ in range(wanted[i] - seen):
                cut = chunk.index(b"\n", cut + 1)
            out[wanted[i]] = pos + cut + 1
            i += 1
        seen += n
        pos += len(chunk)
    for line in wanted[i:]:
        out[line] = pos
    return out


def _copy_range(src, dst, start: int, end: int) -> None:
    """Bytes [start, end) of file `src` appended to `dst` (copy_file_range, else read)."""
    done = start
    try:
        while done < end:
            n = os.copy_file_range(src.fileno(), dst.fileno(), end - done, done)
            if n == 0:
                break
            done += n
    except (AttributeError, OSError):
        pass
    src.seek(done)
    while done < end:
        block = src.read(min(1 << 20, end - done))
        if not block:
            break
        dst.write(block)
        done += len(block)


def _write_catalog(old: Path, new: Path, corpus: Corpus, change: Change,
                   alignment_rows: list[tuple[str, str, str]] | None = None,
                   department_rows: list[tuple[dict, str]] | None = None) -> None:
    """catalog.sqlite: the previous one with what this change rewrote put in (pipeline.catalog),
    or, when the previous generation has none, written from the new one's files."""
    if not has_catalog(old):
        write_catalog(new)
        return
    update_catalog(old, new, dataclasses.replace(
        _catalog_change(state_dir(old), state_dir(new), corpus, change),
        alignments=alignment_rows, departments=department_rows))


def _catalog_change(old_root: Path, root: Path, corpus: Corpus, change: Change):
    """Each document's facts, target rows and citation rows this change wrote anew: the
    state files it did not rewrite are hard links to the previous generation's (the
    catalog already holds what they say)."""

    # Plain strings, not Paths: three pairs of stats for each of thousands of documents,
    # where building the Path objects cost more than the system calls.
    old_dir, new_dir = str(old_root), str(root)

    def rewritten(rel: str) -> bool:
        try:
            before = os.stat(f"{old_dir}/{rel}")
        except FileNotFoundError:
            return True
        now = os.stat(f"{new_dir}/{rel}")
        return (before.st_ino, before.st_dev) != (now.st_ino, now.st_dev)

    def lines(rel: str) -> list[str]:
        return [x for x in (root / rel).read_text(encoding="utf-8").splitlines() if x.strip()]

    facts, targets, citations = {}, {}, {}
    for f in corpus.order:
        if rewritten(f"doc/{f}.facts"):
            facts[f] = document_facts(root, f)
        if rewritten(f"doc/{f}.rows"):
            targets[f] = lines(f"doc/{f}.rows")
        if rewritten(f"cite/{f}.rows"):
            citations[f] = lines(f"cite/{f}.rows")
    added = {change.add.file: provision_rows(change.add)} if change.add is not None else {}
    return CatalogChange(removed=frozenset([change.remove] if change.remove else []),
                         provisions=added, facts=facts, targets=targets, citations=citations)


def _update_index(old: Path, new: Path, corpus: Corpus, change: Change, old_aliases: dict,
                  aliases: dict, document: Callable[[str], Document]) -> None:
    """The whoosh index: the new document's provisions in, the removed one's out, and the
    provisions whose departments' aliases changed written again."""
    changed = {name for name in set(old_aliases) | set(aliases)
               if sorted(old_aliases.get(name, [])) != sorted(aliases.get(name, []))}
    again: dict[str, list[str]] = defaultdict(list)
    for f in corpus.order if changed else ():        # (every provision's facts: skip if none)
        if change.add is not None and f == change.add.file:
            continue
        for pid, slot in corpus.docs[f]["facts"].items():
            names = set(slot["departments"]["lead"]) | set(slot["departments"]["participants"])
            if names & changed:
                again[f].append(pid)
    write = [(document(f), set(pids)) for f, pids in again.items()]
    if change.add is not None:
        write.append((change.add, {p.id for p in change.add.provisions}))
    facts = {}
    for doc, pids in write:
        facts.update(_document_facts(doc.file, corpus, (), ([], {}, corpus.docs)))
    tally: dict[str, dict] = defaultdict(lambda: {"aliases": set(), "docs": Counter(),
                                                  "lead": 0, "participant": 0})
    for f in corpus.order:
        for name, (lead, participant) in corpus.docs[f]["tally"].items():
            row = tally[name]
            row["lead"] += lead
            row["participant"] += participant
            row["docs"][f] += lead + participant
            row["aliases"].update(aliases.get(name, ()))
    update_index(old / "index", new / "index", Tokenizer.from_file(new / "dict.txt"),
                 delete_docs=[change.remove] if change.remove else [],
                 delete_ids=[pid for pids in again.values() for pid in pids],
                 write=write, facts=facts, aliases=aliases, departments=tally,
                 count=sum(corpus.docs[f]["provisions"] for f in corpus.order))
