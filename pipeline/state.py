"""The incremental state a generation keeps beside its outputs (the `incr/` folder): per
document what it contributed before any cross-document step, per aligned pair its part,
and the corpus-wide record (Corpus) an add starts from. Every file is written once."""
from __future__ import annotations


import dataclasses
import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence


from policykg.corpus.records import Document, DocumentMeta, Provision
from policykg.corpus.vocabulary import LEVELS
from policykg.ontology.alignment import Alignment
from policykg.ontology.citations import (Citation, CitationFacts, CitedDocument, RawCitation,
                                citation_keys, meta_keys)
from policykg.ontology.departments import Department
from policykg.ontology.graph import empty_facts
from policykg.ontology.graph_lines import citation_part, document_part, pair_part, span_lines
from policykg.ontology.responsibilities import Mention, Responsibility
from policykg.ontology.target_alignment import TargetAlignment
from policykg.ontology.targets import Target
from policykg.indexer.analysis import ProvisionFacts
from policykg.corpus.files import open_fresh, read_json, write_fresh, write_fresh_json, write_fresh_lines
from policykg.pipeline.shingles import flat_order, save_stream
from policykg.pipeline import layout

Step = Callable[[str], None]
STATE_DIR = layout.STATE
# incr/state.json records the generation's format (layout.FORMAT), which covers every file
# below.  A state of another number is not updated in place: the add makes a full build
# instead (pipeline.ingest), which writes the state anew — the rebuild is the migration.
# (The state's own number, which this replaced, said 3: such a state's next add is a build.)


class NotIncremental(Exception):
    """The current generation cannot be updated in place of a build (no usable state)."""


def digest(data) -> str:
    raw = json.dumps(data, ensure_ascii=False, sort_keys=True, default=list).encode("utf-8")
    return hashlib.sha1(raw).hexdigest()


# ---- records to and from JSON --------------------------------------------------------------------

def asdict(obj) -> dict:
    return dataclasses.asdict(obj)


def target_from_json(d: dict) -> Target:
    return Target(**{k: v for k, v in d.items() if k != "uri"})


def _meta(d: dict) -> DocumentMeta:
    fields = {k: v for k, v in d.items() if k in DocumentMeta.__dataclass_fields__ and k != "file"}
    return DocumentMeta(file=d.get("file") or d["doc"], **fields)


def row_line(row: dict) -> str:
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
#                                   resolved citations and cited nodes)
#   incr/span/<doc>.nt              spans of it other parts point at
#   incr/pair/<owner>.json, .nt, .rows
#                                   the pairs made when <owner> came in (a full build: the
#                                   later document of each pair), with line ranges
#   incr/global.nt                  the global part (written every time)
#   incr/global.lines               its department nodes' lines by their inputs (a cache,
#                                   marshal; ontology.graph_lines.DepartmentLines): absent,
#                                   unreadable or made by other code, it is made again

@dataclass(frozen=True)
class StateInfo:
    """incr/state.json beside the per-document files: what the state holds for the whole
    corpus (written with the build order and the pairs' owners, see write_state)."""

    df: Mapping[str, object]              # the frozen shingle frequencies (FrozenFrequency.save)
    base_docs: tuple[str, ...]            # the base shingle index's documents, in its order
    spans: Mapping[str, str]              # document → digest of the spans others ask of it
    aliases: Mapping[str, Sequence[str]]  # canonical department name → its other names

    @classmethod
    def from_json(cls, info: Mapping) -> "StateInfo":
        return cls(info["df"], tuple(info["base_docs"]), info["spans"], info["aliases"])

    def to_json(self) -> dict:
        return {"format": layout.FORMAT, "df": dict(self.df), "base_docs": list(self.base_docs),
                "spans": dict(self.spans), "aliases": dict(self.aliases)}


# The per-document and per-pair records below are read from and written to JSON in one
# place each (from_json, to_json: the same keys in the same order as the files hold).  Their
# payloads — facts slots, target rows, task rows, registry events — stay in their JSON form:
# most are only passed on to the outputs, and an add loads thousands of them.

@dataclass(frozen=True)
class CiteKeys:
    """The keys resolve_citations joins a document and each of its citations by (cite_keys)."""

    meta: list[str]                       # the document's own (meta_keys)
    raws: list[list[str]]                 # each citation's as read (citation_keys)

    @classmethod
    def from_json(cls, d: Mapping) -> "CiteKeys":
        return cls(d["meta"], d["raws"])

    def to_json(self) -> dict:
        return {"meta": self.meta, "raws": self.raws}


@dataclass(frozen=True)
class DocState:
    """incr/doc/<file>.json: what one document contributes, read from it alone (before any
    cross-document step); made by write_document_state."""

    file: str
    meta: DocumentMeta
    key: str                              # meta.key
    provisions: int                       # how many provisions it has
    chars: int                            # its text's length
    issuers: list[str]
    events: list[list]                    # its department registry events: [Department
                                          # .to_dict(), alias], in order
    raws: list[dict]                      # its citations as read (RawCitation fields)
    targets: list[dict]                   # its targets (Target fields) with their "uri"
    tasks: dict[str, list[dict]]          # department slug → its task rows here
    mentioned: dict[str, list[str]]       # department slug → provisions mentioning it
    facts: dict[str, dict]                # provision id → its own facts slot
    spans: list[list[int]]                # the spans its own part makes
    shared: list[str]                     # its lines other parts may make too
    eligible: list[int] | None            # its kept shingles (an added document's; a
                                          # full build's are in the base shingle index)
    tally: dict[str, list[int]]           # department → [lead, participant] (_tally)
    ckeys: CiteKeys

    @classmethod
    def from_json(cls, d: Mapping) -> "DocState":
        return cls(d["file"], _meta(d["meta"]), d["key"], d["provisions"], d["chars"],
                   d["issuers"], d["events"], d["raws"], d["targets"], d["tasks"],
                   d["mentioned"], d["facts"], d["spans"], d["shared"], d["eligible"],
                   d["tally"], CiteKeys.from_json(d["ckeys"]))

    def to_json(self) -> dict:
        return {"file": self.file, "meta": self.meta.to_dict() | {"file": self.file},
                "key": self.key, "provisions": self.provisions, "chars": self.chars,
                "issuers": self.issuers, "events": self.events, "raws": self.raws,
                "targets": self.targets, "tasks": self.tasks, "mentioned": self.mentioned,
                "facts": self.facts, "spans": self.spans, "shared": self.shared,
                "eligible": self.eligible, "tally": self.tally, "ckeys": self.ckeys.to_json()}

    def registry_events(self) -> list[tuple[Department, str]]:
        """Its department registry events, to replay (ontology.graph_build.replay)."""
        return [(Department(**d), alias) for d, alias in self.events]

    def raw_citations(self) -> list[RawCitation]:
        return [RawCitation(**r) for r in self.raws]

    def indicator_groups(self) -> set[str]:
        """The groups align_targets puts its targets in (an indicator key's last two
        characters)."""
        return {t["indicator_key"][-2:] for t in self.targets}


@dataclass(frozen=True)
class CiteState:
    """incr/cite/<file>.json: one document's citations as they resolve now; made by
    write_cite_state."""

    file: str
    citations: list[list]                 # cite_row of each, in reading order
    cited: dict[str, list]                # cited node → what its part reads (cited_map)
    facts: dict[str, dict]                # provision id → its facts slot's "cites"
    spans: list[list[int]]
    shared: list[str]

    @classmethod
    def from_json(cls, d: Mapping) -> "CiteState":
        return cls(d["file"], d["citations"], d["cited"], d["facts"], d["spans"], d["shared"])

    def to_json(self) -> dict:
        return {"file": self.file, "citations": self.citations, "cited": self.cited,
                "facts": self.facts, "spans": self.spans, "shared": self.shared}

    def resolved(self) -> list[Citation]:
        return [Citation(*row) for row in self.citations]


@dataclass(frozen=True)
class PairState:
    """One aligned pair of documents: what `lower` takes up from `higher`; made by
    pair_part_of, kept in its owner's pack (incr/pair/<owner>.json) with its line ranges."""

    higher: str
    lower: str
    owner: str                            # the pack it is kept in
    keys: list[list]                      # flat_order of each text link
    targets: list[list[int]]              # [higher, lower] target index of each target link
    entries: list[list]                   # [higher, lower, kind, score] of each row
    spans: dict[str, list[list[int]]]     # document → the spans of it the pair points at
    shared: list[str]
    nt: tuple[int, int] | None = None     # its lines in the pack's .nt (None: not packed)
    rows: tuple[int, int] | None = None   # its lines in the pack's .rows

    @classmethod
    def from_json(cls, d: Mapping) -> "PairState":
        return cls(d["higher"], d["lower"], d["owner"], d["keys"], d["targets"], d["entries"],
                   d["spans"], d["shared"], tuple(d["nt"]), tuple(d["rows"]))

    def to_json(self) -> dict:
        out = {"higher": self.higher, "lower": self.lower, "owner": self.owner,
               "keys": self.keys, "targets": self.targets, "entries": self.entries,
               "spans": self.spans, "shared": self.shared}
        if self.nt is not None:
            out.update(nt=list(self.nt), rows=list(self.rows))
        return out


@dataclass
class Corpus:
    """The incremental state of a generation, loaded, and what the change touches."""

    folder: Path
    info: StateInfo
    metas: dict[str, DocumentMeta]      # in build order
    docs: dict[str, DocState]           # file → document state
    cites: dict[str, CiteState]         # file → citation state
    pairs: dict[str, PairState]         # pair name → pair state (in its owner's pack)
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
        info = read_json(state_dir(folder) / "state.json")
        return info.get("format") == layout.FORMAT and (folder / layout.DICTIONARY).is_file()
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
    info = read_json(root / "state.json")
    metas = {m["file"]: _meta(m) for m in info["metas"]}
    docs = {f: DocState.from_json(read_json(root / "doc" / f"{f}.json")) for f in metas}
    cites = {f: CiteState.from_json(read_json(root / "cite" / f"{f}.json")) for f in metas}
    pairs = {}
    for owner in sorted(set(info["pairs"].values())):
        pack = read_json(root / "pair" / f"{owner}.json")
        pairs.update((name, PairState.from_json(s)) for name, s in pack.items())
    return Corpus(folder, StateInfo.from_json(info), metas, docs, cites, pairs)


def load_document(root: Path, meta: DocumentMeta) -> Document:
    """A document of the state, as segmented when it came in."""
    source = (root / "text" / f"{meta.file}.txt").read_text(encoding="utf-8")
    rows = read_json(root / "doc" / f"{meta.file}.prov.json")
    return Document(meta, source, tuple(_provision(r) for r in rows))


# ---- writing the parts -------------------------------------------------------------------------------

def write_document_state(root: Path, doc: Document, issuers: Sequence[str], events: list,
                         responsibilities: Sequence[Responsibility], mentions: Sequence[Mention],
                         raws: Sequence[RawCitation], targets: Sequence[Target],
                         eligible: list[int] | None, stream=None
                         ) -> tuple[DocState, dict[int, str]]:
    """The document's own part and everything it contributes; (state, target id → IRI)."""
    part, tasks, mentioned, rows, iris = document_part(doc, issuers, responsibilities, mentions,
                                                       targets)
    state = DocState(
        file=doc.file, meta=doc.meta, key=doc.meta.key, provisions=len(doc.provisions),
        chars=len(doc.source), issuers=list(issuers),
        events=[[d.to_dict(), alias] for d, alias in events], raws=[asdict(r) for r in raws],
        targets=[asdict(t) | {"uri": iri} for t, iri in zip(targets, iris)],
        tasks=tasks, mentioned=mentioned, facts=part.facts,
        spans=[[s, e] for _, s, e in part.spans], shared=part.shared, eligible=eligible,
        tally=_tally(doc, part.facts), ckeys=cite_keys(doc.meta, raws))
    folder = root / "doc"
    write_fresh(root / "text" / f"{doc.file}.txt", doc.source.encode("utf-8"))
    if stream is not None:
        save_stream(root / "text" / f"{doc.file}.stream", stream)
    write_fresh_json(folder / f"{doc.file}.prov.json", [_flat(p) for p in doc.provisions])
    write_fresh_lines(folder / f"{doc.file}.nt", part.lines)
    write_fresh_lines(folder / f"{doc.file}.rows", map(row_line, rows))
    write_fresh_json(folder / f"{doc.file}.json", state.to_json())
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


def cite_keys(meta: DocumentMeta, raws: Sequence[RawCitation]) -> CiteKeys:
    """The keys resolve_citations joins a document and each of its citations by (文号,
    issuer and title, as it computes them): two things can only end up in one cited node
    through a chain of shared keys."""
    return CiteKeys(meta_keys(meta), [citation_keys(r.number, r.title) for r in raws])


def cite_row(c: Citation) -> list:
    return [c.provision, c.doc, c.title, c.number, c.start, c.end, c.target, c.resolves_to,
            c.target_number]


def cited_map(citations: Sequence[Citation], cited: dict[str, CitedDocument]) -> dict[str, list]:
    """What a citation part reads of the cited nodes (not cited_by: no part shows it)."""
    return {c.target: [cited[c.target].title, cited[c.target].number, cited[c.target].resolves_to]
            for c in citations}


def write_cite_state(root: Path, doc: Document, citations: Sequence[Citation],
                     cited: dict[str, CitedDocument], metas: dict[str, DocumentMeta]
                     ) -> CiteState:
    """The part holding one document's citations as they resolve now."""
    own = {c.target: cited[c.target] for c in citations}
    targets = [metas[c.resolves_to] for c in own.values() if c.resolves_to in metas]
    part, rows = citation_part(doc, CitationFacts(list(citations), own), targets)
    state = CiteState(doc.file, [cite_row(c) for c in citations], cited_map(citations, cited),
                      part.facts, [[s, e] for _, s, e in part.spans], part.shared)
    write_fresh_lines(root / "cite" / f"{doc.file}.nt", part.lines)
    write_fresh_lines(root / "cite" / f"{doc.file}.rows", map(row_line, rows))
    write_fresh_json(root / "cite" / f"{doc.file}.json", state.to_json())
    return state


@dataclass
class PairPart:
    """A pair's state with its N-Triples lines and export rows, before they are packed."""

    name: str
    state: PairState
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
    state = PairState(higher.file, lower.file, owner, [flat_order(a) for a in alignments],
                      [[i, j] for i, j, _ in target_links],
                      [[r["higher"], r["lower"], r.get("kind"), r.get("score")] for r in rows],
                      spans, part.shared)
    return PairPart(pair_name(higher.file, lower.file), state, part.lines,
                    [row_line(r) for r in rows])


def write_pack(root: Path, owner: str, parts: Iterable[PairPart]) -> dict[str, PairState]:
    """The pairs `owner` brought, in one pack: states with their line ranges.  Each part
    is written as it comes (`parts` may be a generator): a pack joined whole in memory,
    as text and again as UTF-8, was tens of MB for the owner of many pairs."""
    states: dict[str, PairState] = {}
    n_lines = n_rows = 0
    folder = root / "pair"
    with open_fresh(folder / f"{owner}.nt") as nt, open_fresh(folder / f"{owner}.rows") as rows:
        for part in parts:
            states[part.name] = dataclasses.replace(
                part.state, nt=(n_lines, n_lines + len(part.lines)),
                rows=(n_rows, n_rows + len(part.rows)))
            n_lines, n_rows = n_lines + len(part.lines), n_rows + len(part.rows)
            nt.write("".join(part.lines).encode("utf-8"))
            rows.write("".join(part.rows).encode("utf-8"))
    write_fresh_json(folder / f"{owner}.json", {name: s.to_json() for name, s in states.items()})
    return states


def filter_pack(root: Path, owner: str, keep: dict[str, PairState]) -> dict[str, PairState]:
    """A pack written again with only the pairs in `keep` (their lines cut out, not remade)."""
    folder = root / "pair"
    lines = (folder / f"{owner}.nt").read_text(encoding="utf-8").splitlines(keepends=True)
    rows = (folder / f"{owner}.rows").read_text(encoding="utf-8").splitlines(keepends=True)
    parts = [PairPart(name, dataclasses.replace(s, nt=None, rows=None),
                      lines[slice(*s.nt)], rows[slice(*s.rows)])
             for name, s in keep.items()]
    if not parts:
        for ext in (".json", ".nt", ".rows"):
            (folder / f"{owner}{ext}").unlink(missing_ok=True)
        return {}
    return write_pack(root, owner, parts)


def asked_spans(file: str, corpus: "Corpus", pairs: Iterable[PairState]) -> list[list[int]]:
    """The spans of document `file` its citations and alignments point at that its own
    part does not make (sorted, unique)."""
    spans = {tuple(s) for s in corpus.cites[file].spans}
    for pair in pairs:
        spans |= {tuple(s) for s in pair.spans.get(file, ())}
    spans -= {tuple(s) for s in corpus.docs[file].spans}
    return sorted(list(s) for s in spans)


def write_span_part(root: Path, meta: DocumentMeta, asked: list[list[int]]) -> str:
    source = (root / "text" / f"{meta.file}.txt").read_text(encoding="utf-8")
    write_fresh_lines(root / "span" / f"{meta.file}.nt",
                 span_lines(Document(meta, source, ()), [tuple(s) for s in asked]))
    return digest(asked)


def _pairs_by_doc(pairs: dict[str, PairState]) -> dict[str, list[PairState]]:
    out: dict[str, list[PairState]] = defaultdict(list)
    for state in pairs.values():
        out[state.higher].append(state)
        out[state.lower].append(state)
    return out


def document_facts(root: Path, file: str) -> dict[str, dict]:
    """The facts of one document's provisions (provision id → facts), from the fragment
    the state keeps for it (incr/doc/<file>.facts; facts.json is their join)."""
    path = root / "doc" / f"{file}.facts"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return json.loads("{" + text + "}")


# ---- per-document outputs: spans part and facts -------------------------------------------------------

def write_document_outputs(root: Path, corpus: Corpus) -> None:
    """The span part and the facts of every touched document."""
    pairs_of = _pairs_by_doc(corpus.pairs)
    positions = target_positions(corpus)
    spans = dict(corpus.info.spans)
    for f in corpus.order:
        if f not in corpus.touched:
            continue
        asked = asked_spans(f, corpus, pairs_of.get(f, []))
        if spans.get(f) != digest(asked) or not (root / "span" / f"{f}.nt").is_file():
            spans[f] = write_span_part(root, corpus.metas[f], asked)
        facts = facts_of_document(f, corpus, pairs_of.get(f, []), positions)
        write_fresh(root / "doc" / f"{f}.facts",
                     json.dumps(facts, ensure_ascii=False)[1:-1].encode("utf-8"))
    corpus.info = dataclasses.replace(corpus.info, spans={f: spans[f] for f in corpus.order})


def facts_of_document(file: str, corpus: Corpus, pairs: Sequence[PairState], positions
                      ) -> dict:
    """The facts of one document's provisions, as a full build makes them: its own, its
    citations, and its alignments in the order of the alignment rows (_Builder._aligned)."""
    facts: dict[str, dict] = {}
    for pid, slot in corpus.docs[file].facts.items():
        facts[pid] = {**slot, "cites": [], "aligned": []}
    for pid, slot in corpus.cites[file].facts.items():
        facts.setdefault(pid, empty_facts())["cites"] = list(slot["cites"])
    seen: set[tuple] = set()          # _Builder._aligned's "if entry not in slot", in O(1)
    for _, (higher, lower, kind, score), h_doc, l_doc in sorted(fact_entries(pairs, positions),
                                                                 key=lambda e: e[0]):
        kind = kind or "text"
        for me, other, other_doc, direction, here in ((lower, higher, h_doc, "higher", l_doc),
                                                      (higher, lower, l_doc, "lower", h_doc)):
            key = (me, other, direction, kind, score)
            if here != file or key in seen:
                continue
            seen.add(key)
            facts.setdefault(me, empty_facts())["aligned"].append(
                {"provision": other, "doc": other_doc, "direction": direction, "kind": kind,
                 "score": score})
    return facts


def fact_entries(pairs: Iterable[PairState], positions):
    """(global order key, entry, higher doc, lower doc) of every alignment row of `pairs`:
    text links in find_alignments' order first, then target links in align_targets'."""
    rank, position, docs = positions
    for pair in pairs:
        h, l = pair.higher, pair.lower
        keys = [(0, *k) for k in pair.keys]
        for i, j in pair.targets:
            group = docs[h].targets[i]["indicator_key"][-2:]
            keys.append((1, rank[group], position[(h, i)], position[(l, j)]))
        for key, entry in zip(keys, pair.entries):
            yield key, entry, h, l


def target_positions(corpus: Corpus):
    """align_targets' groups (by the key's last two characters, in order of first use) and
    each target's place in its group."""
    rank: dict[str, int] = {}
    position: dict[tuple[str, int], int] = {}
    size: Counter = Counter()
    for f in corpus.order:
        if corpus.metas[f].level not in LEVELS:
            continue
        for i, t in enumerate(corpus.docs[f].targets):
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


@dataclass(frozen=True)
class Indicator:
    indicator_key: str
    indicator: str
