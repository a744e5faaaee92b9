"""A generation's layout: every file and folder a generation holds, named in one place, and
the one number that says which form they have.

A generation is written once and never changed (pipeline.datadir).  Its files:

    meta.json          FORMAT, when and how it was built, what an add changed
    documents.json     one row per document (pipeline.rows)
    provisions.jsonl   one row per provision (pipeline.rows)
    dict.txt           the tokenizer's domain dictionary, frozen until the next build
    sources.json       the sources it was built from (pipeline.snapshot)
    graph.nt           the RDF graph; after an add, graph.files lists the parts whose union it is
    facts.json         each provision's facts (ontology.graph.empty_facts); after an add,
                       per-document fragments in incr/doc/*.facts
    departments.jsonl, citations.jsonl, targets.jsonl, alignments.jsonl   export rows
    oxigraph/          the graph as an on-disk store (ontology.diskstore)
    index/, tindex/    the whoosh and tantivy indexes (indexer.index, indexer.tantivy_engine)
    catalog.sqlite     what the pages look up (pipeline.catalog)
    incr/              the incremental state an add starts from (pipeline.state)

The graph's, the indexes' and the store's names belong to the layers that write them and
are only gathered here.

One number, FORMAT, covers everything the pipeline writes in a generation: meta.json says
it, the catalog (its info row) and the incremental state (incr/state.json) record it too.
A generation of another FORMAT is not read, and neither is a catalog of another: `policykg
build` makes a new one (the rebuild is the migration; nothing reads older forms); a state
of another is not updated in place, the add makes a full build.  Two other numbers belong
to the layers below, usable without the pipeline: the tantivy index's own
(indexer.tantivy_engine.TINDEX_FORMAT, in tindex/) and the sources manifest's
(corpus.sources.FORMAT_VERSION: the data folder's sources/manifest.json, which outlives
generations, and its copy here, sources.json).
"""
from __future__ import annotations

import json
from pathlib import Path

from policykg.corpus.files import NotBuilt
from policykg.indexer.analysis import INDEX_DIR
from policykg.indexer.tantivy_engine import TINDEX_DIR
from policykg.ontology.diskstore import STORE_DIR
from policykg.ontology.graph_files import FACTS_FILE, GRAPH_FILE, GRAPH_LIST, ROW_FILES

# Bump when any file above (the catalog and incr/ included) changes meaning; generations
# of another number are refused.
FORMAT = 1

META = "meta.json"
DOCUMENTS = "documents.json"
PROVISIONS = "provisions.jsonl"
DICTIONARY = "dict.txt"
SOURCES = "sources.json"
CATALOG = "catalog.sqlite"
STATE = "incr"

__all__ = ["FORMAT", "META", "DOCUMENTS", "PROVISIONS", "DICTIONARY", "SOURCES", "CATALOG",
           "STATE", "GRAPH_FILE", "GRAPH_LIST", "FACTS_FILE", "ROW_FILES", "INDEX_DIR",
           "TINDEX_DIR", "STORE_DIR", "OtherFormat", "read_meta"]


class OtherFormat(NotBuilt):
    """A generation written in another form than this code reads."""


def read_meta(folder: Path) -> dict:
    """A generation's meta.json, refused (OtherFormat) when its FORMAT is not this one."""
    meta = json.loads((folder / META).read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        raise OtherFormat(f"{folder.name} was written in format {meta.get('format')!r}, this "
                          f"policykg reads format {FORMAT}: run `policykg build`")
    return meta
