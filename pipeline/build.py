"""`policykg build`: corpus → provision tree → graph → index, into a new generation."""
from __future__ import annotations

from dataclasses import dataclass, field
import time
from pathlib import Path
from typing import Callable, Sequence

from policykg.corpus import Document
from policykg.corpus.tokenize import Tokenizer, domain_terms
from policykg.ontology.extract import DocumentExtract
from policykg.pipeline.catalog import catalog_stage
from policykg.pipeline.cluster import extract_all, parse_scheduler
from policykg.pipeline.snapshot import corpus_for_build, sources_for_build, write_snapshot
from policykg.pipeline.datadir import DataDir, write_json, write_jsonl
from policykg.pipeline.graph_stage import graph_stage, incremental_stage
from policykg.indexer.engines import index_stage
from policykg.pipeline.rows import document_rows, provision_rows
from policykg.ontology import diskstore
from policykg.pipeline import layout

Step = Callable[[str], None]


@dataclass
class BuildContext:
    """What the stages of one build share; each stage reads what earlier ones left here.

    `facts` maps a provision id to the graph facts the index and the exports show for it
    (departments, targets, citations, alignments); the graph stage gives them per document
    instead, `facts_of(file)` (read from its state as the index reaches the document: the
    whole corpus's were ~0.5 GB of Python objects at 2,000 documents), and the department
    aliases as `department_aliases` (canonical name → other names), not as `graph`.
    """

    folder: Path
    docs: Sequence[Document]
    tokenizer: Tokenizer
    graph: object | None = None
    facts: dict[str, dict] = field(default_factory=dict)
    facts_of: Callable[[str], dict[str, dict]] | None = None
    department_aliases: dict[str, list[str]] | None = None
    # the search engines to index for (indexer.engines.index_engines; None: every one)
    engines: Sequence[str] | None = None
    # each document's extract, made on Dask workers (pipeline.cluster); None: the graph
    # stage extracts the documents itself.  The graph stage empties the list once used.
    extracts: list[DocumentExtract] | None = None


def stage_names() -> list[str]:
    """The progress steps a build reports, in order ("store": the graph store, loaded in
    a child process since the graph stage, is whole)."""
    return ["read", "provisions", "dictionary", *[n for n, _ in EXTRA_STAGES], "store", "done"]


def write_generation(folder: Path, docs: Sequence[Document], step: Step = lambda _: None,
                     engines: Sequence[str] | None = None,
                     extracts: list[DocumentExtract] | None = None) -> dict:
    """Everything a generation holds, written into `folder`; its search index for
    `engines` (None: every engine installed; see indexer.engines.index_engines); `extracts`:
    the documents' extracts when made elsewhere (ontology.extract; emptied when used)."""
    started = time.time()
    write_json(folder / layout.DOCUMENTS, document_rows(docs))
    write_jsonl(folder / layout.PROVISIONS, (r for d in docs for r in provision_rows(d)))
    step("provisions")
    texts = [p.own_text for d in docs for p in d.provisions]
    titles = [p.heading for d in docs for p in d.provisions if p.kind in ("box", "annex")]
    tokenizer = Tokenizer.shared(domain_terms(texts, titles))
    tokenizer.save(folder / layout.DICTIONARY)
    step("dictionary")
    ctx = BuildContext(folder, docs, tokenizer, engines=engines, extracts=extracts)
    try:
        for name, stage in EXTRA_STAGES:
            stage(ctx)
            step(name)
        # The graph stage started the store's bulk load in a child process (it needs only
        # the graph's parts) so that it runs beside the index and the catalog; the
        # generation is whole only with it.
        diskstore.finish(folder)
        step("store")
    finally:
        diskstore.abandon(folder)     # a failed build stops it before the folder goes
    meta = {"format": layout.FORMAT, "generation": folder.name.replace(".tmp-", ""),
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "seconds": round(time.time() - started, 3), "documents": len(docs),
            "provisions": sum(len(d.provisions) for d in docs)}
    write_json(folder / layout.META, meta)
    step("done")
    return meta


# Stages after the provision tree and the dictionary, in order: (name, function(ctx)).
EXTRA_STAGES: list[tuple[str, Callable[[BuildContext], None]]] = [
    # the graph's parts (the incremental state), graph.nt, facts.json and the export rows
    # written from them; sets ctx.facts_of and ctx.department_aliases
    ("graph", graph_stage),
    # the index over provisions and their graph facts (reads ctx.facts_of or ctx.facts, and
    # ctx.department_aliases or ctx.graph)
    ("index", index_stage),
    # what the graph was made from, in parts, for `policykg add` (pipeline.graph_stage, pipeline.state)
    ("incremental", incremental_stage),
    # provisions, facts and export rows in one SQLite file the pages query (pipeline.catalog)
    ("catalog", catalog_stage),
]


def build(data: DataDir, docs: Sequence[Document] | None = None,
          step: Step = lambda _: None, engines: Sequence[str] | None = None,
          scheduler: str = "") -> dict:
    """Build the bundled corpus (and added documents) into a new current generation,
    indexed for the search `engines` (None: every engine installed; `policykg build`
    passes the configured one, Settings.build_engines).  `scheduler` (`local[:N]`,
    `tcp://host:port`; pipeline.cluster): the documents are read and extracted as Dask
    tasks there; empty: here."""
    cluster = parse_scheduler(scheduler)        # a bad value fails before the lock
    with data.lock():
        manifest, extracts = None, None
        if cluster is not None:
            # Bundled + added documents, read, segmented and extracted on the workers.
            manifest, sources = (None, docs) if docs is not None else sources_for_build(data)
            extracts = extract_all(cluster, sources)
            docs = [x.doc for x in extracts]
        elif docs is None:
            # Bundled + added documents; the sources list is saved in the generation.
            manifest, docs = corpus_for_build(data)
        step("read")     # reading and segmenting is a minute at a few thousand documents
        with data.new_generation() as folder:
            meta = write_generation(folder, docs, step, engines, extracts)
            if manifest is not None:
                write_snapshot(folder, manifest)
            return meta
