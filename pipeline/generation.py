"""Reading one built generation: documents, provisions, dictionary (and graph, index)."""
from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from policykg.corpus.records import DocumentMeta
from policykg.corpus.tokenize import Tokenizer
from policykg.corpus.files import NotBuilt
from policykg.pipeline import layout
from policykg.pipeline.catalog_reader import Catalog, open_catalog
from policykg.pipeline.layout import read_meta
from policykg.indexer.tantivy_engine import DEFAULT_ENGINE
from policykg.indexer.engines import open_searcher
from policykg.ontology import diskstore
from policykg.ontology.graphstore import open_graph
from policykg.ontology.graphstore import load_graph
from policykg.ontology import virtuoso

_META_FIELDS = {f for f in DocumentMeta.__dataclass_fields__}


class Generation:
    """A built generation, loaded lazily and read-only: safe to share between threads."""

    def __init__(self, folder: Path, store: str = "oxigraph", engine: str | None = None,
                 search_cache: int | None = None,
                 virtuoso_endpoint: virtuoso.Endpoint | None = None):
        self.folder = folder
        # the graph store, one of ontology.graphstore.STORES or "virtuoso" (read through
        # `virtuoso_endpoint`: the graph the build loaded for this generation)
        self.store = store
        self.virtuoso_endpoint = virtuoso_endpoint
        # The search engine, "whoosh" or "tantivy" (indexer.tantivy_engine.ENGINES); the
        # service and the CLI pass Settings.search_engine.  None: the default engine
        # (tantivy_engine.DEFAULT_ENGINE, as Settings), whoosh when the generation has no
        # tantivy index (open_searcher).
        self.engine = engine
        # Query strings the searcher keeps (Settings.search_cache); None: the engine's default.
        self.search_cache = search_cache
        self.meta = read_meta(folder)      # refuses a generation of another format
        self._graph_lock = threading.Lock()
        self._graph = None

    @property
    def name(self) -> str:
        return self.meta["generation"]

    @functools.cached_property
    def documents(self) -> list[dict]:
        return json.loads((self.folder / layout.DOCUMENTS).read_text(encoding="utf-8"))

    def document_metas(self) -> list[DocumentMeta]:
        return [DocumentMeta(file=d["doc"], **{k: v for k, v in d.items()
                                               if k in _META_FIELDS and k != "file"})
                for d in self.documents]

    @functools.cached_property
    def catalog(self) -> Catalog:
        """Provisions, facts and export rows, looked up in SQLite (pipeline.catalog) rather
        than held in every worker's memory."""
        return open_catalog(self.folder)

    @property
    def provisions(self) -> list[dict]:
        """Every provision in document order, read from the catalog on each call (for
        exports and evaluation; pages look provisions up one by one)."""
        return self.catalog.provisions()

    @property
    def provision_by_id(self) -> "ProvisionLookup":
        return ProvisionLookup(self.catalog)

    def document(self, ref: str) -> dict | None:
        """A document by its file name, key or file stem."""
        for d in self.documents:
            if ref in (d["doc"], d["key"], d["doc"].rsplit(".", 1)[0]):
                return d
        return None

    @functools.cached_property
    def tokenizer(self) -> Tokenizer:
        return Tokenizer.from_file(self.folder / layout.DICTIONARY)

    # The parts a server needs before it takes traffic; later stages add theirs.
    READY_PARTS: tuple[str, ...] = ("documents", "catalog", "tokenizer", "graph", "searcher")

    def check_ready(self) -> None:
        """Load every part a request may need; raises if any is missing or unreadable."""
        for name in self.READY_PARTS:
            getattr(self, name)

    def probe(self) -> None:
        """Ask each part a question, as a request would (readyz): the catalog is read
        whole once, a provision looked up, a search answered; raises with the reason."""
        self.check_ready()
        self.catalog_intact
        if self.catalog.any_provision() is None:
            raise NotBuilt(f"{self.name}: the catalog has no provisions")
        if self.searcher.search("*", page_size=1).total == 0:
            raise NotBuilt(f"{self.name}: the search index finds nothing")

    @functools.cached_property
    def catalog_intact(self) -> bool:
        """Whether the catalog reads back whole (checked once: every page is read)."""
        self.catalog.check_intact()
        return True

    @functools.cached_property
    def searcher(self):
        """The full-text search over this generation's index (indexer.search.Searcher),
        with the engine named at construction (whoosh when the generation has no tantivy
        index or tantivy is not installed)."""
        # loads the engines only when search is used
        return open_searcher(self.folder, self.tokenizer, self.documents,
                             self.engine or DEFAULT_ENGINE, cache=self.search_cache)

    # ---- the graph and what was read into it (written by the "graph" build stage) -----------
    @property
    def graph_file(self) -> Path:
        return self.folder / "graph.nt"

    @property
    def graph_files(self) -> list[Path]:
        """The N-Triples files whose union is the graph: graph.nt after a full build; after
        an add the part files listed in graph.files (most of them hard links to the
        previous generation's: an add does not copy the whole graph)."""
        listed = self.folder / "graph.files"
        if listed.is_file() and not self.graph_file.is_file():
            names = json.loads(listed.read_text(encoding="utf-8"))
            return [self.folder / name for name in names]
        return [self.graph_file]

    def graph_paths(self) -> list[Path]:
        """The N-Triples file(s) holding the graph (several when the build splits it)."""
        files = getattr(self, "graph_files", None)
        files = files() if callable(files) else files
        return [Path(f) for f in files] if files else [self.graph_file]

    @property
    def store_folder(self) -> Path | None:
        """The generation folder when its graph is to be read from the on-disk Oxigraph
        store (ontology.diskstore); None for the memory store and for generations built
        before there was one, whose graph files are loaded instead."""
        if self.store == "oxigraph" and diskstore.present(self.folder):
            return self.folder
        return None

    @property
    def graph(self):
        """The rdflib Graph of this generation, opened on first use (once, under a lock):
        its graph in Virtuoso when that is the store (asked over HTTP, nothing loaded), the
        on-disk Oxigraph store read-only when the generation has one, else the graph files
        loaded into the store named at construction (Oxigraph unless told otherwise)."""
        if self._graph is None:
            with self._graph_lock:
                if self._graph is None and self.store == virtuoso.STORE:
                    self._graph = virtuoso.open_graph(self.virtuoso_endpoint,
                                                      self.virtuoso_target(), self.graph_paths())
                if self._graph is None and (store_folder := self.store_folder) is not None:
                    self._graph = open_graph(store_folder)
                if self._graph is None:
                    paths = self.graph_paths()
                    missing = [p for p in paths if not p.is_file()]
                    if missing or not paths:
                        raise FileNotFoundError(f"no graph in {self.folder} (rebuild)")
                    self._graph = load_graph(paths, self.store)
        return self._graph

    def virtuoso_target(self) -> virtuoso.Target:
        """The generation's graph in Virtuoso; FileNotFoundError if it was never loaded
        there (built with another graph store)."""
        target = virtuoso.loaded_target(self.folder)
        if target is None or self.virtuoso_endpoint is None:
            raise FileNotFoundError(f"{self.folder.name} has no graph in Virtuoso: rebuild "
                                    "with POLICYKG_GRAPH_STORE=virtuoso")
        return target

    @property
    def facts(self) -> dict[str, dict]:
        """Provision id → its graph facts (departments, targets, cites, aligned, mentions),
        all of them, read from the catalog on each call."""
        return self.catalog.all_facts()

    def provision_facts(self, pid: str) -> dict:
        """The graph facts of one provision, empty lists where there are none."""
        got = self.catalog.facts(pid) or {}
        return {"departments": got.get("departments") or {"lead": [], "participants": []},
                "targets": got.get("targets", []), "cites": got.get("cites", []),
                "aligned": got.get("aligned", []), "mentions": got.get("mentions", [])}

    def graph_rows(self, name: str) -> list[dict]:
        """The rows of one graph export: departments, citations, targets or alignments."""
        return self.catalog.rows(name)

    def close(self) -> None:
        """Let go of the files this generation holds open — the catalog, the search index,
        the graph store — once nothing reads it any more (web.app.State, when its last
        request on it has finished): a pruned generation's disk is freed then, not at the
        next restart."""
        for part in ("catalog", "searcher"):
            opened = self.__dict__.pop(part, None)     # cached_property's slot
            if opened is not None:
                opened.close()
        with self._graph_lock:
            graph, self._graph = self._graph, None
        if graph is not None:
            graph.close()


class ProvisionLookup(Mapping):
    """Provision id → provision, each looked up in the catalog when asked for."""

    def __init__(self, catalog: Catalog):
        self._catalog = catalog

    def __getitem__(self, pid: str) -> dict:
        got = self._catalog.provision(pid) if isinstance(pid, str) else None
        if got is None:
            raise KeyError(pid)
        return got

    def __contains__(self, pid: object) -> bool:
        return isinstance(pid, str) and self._catalog.has_provision(pid)

    def __iter__(self) -> Iterator[str]:
        return iter(self._catalog.provision_ids())

    def __len__(self) -> int:
        return self._catalog.count("provisions")
