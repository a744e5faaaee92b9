"""Reading one built generation: documents, provisions, dictionary (and graph, index)."""
from __future__ import annotations

import functools
import json
import threading
from pathlib import Path

from corpus.records import DocumentMeta
from corpus.tokenize import Tokenizer
from indexer.store import read_jsonl

_META_FIELDS = {f for f in DocumentMeta.__dataclass_fields__}


class Generation:
    """A built generation, loaded lazily and read-only: safe to share between threads."""

    def __init__(self, folder: Path, store: str = "oxigraph", engine: str = "whoosh"):
        self.folder = folder
        self.store = store          # the graph store: "oxigraph" or "memory" (ontology.graphstore)
        # The search engine, "whoosh" or "tantivy" (indexer.tantivy_engine).  Library callers
        # choose; the service and the CLI pass Settings.search_engine (tantivy by default).
        self.engine = engine
        self.meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        self._graph_lock = threading.Lock()
        self._graph = None

    @property
    def name(self) -> str:
        return self.meta["generation"]

    @functools.cached_property
    def documents(self) -> list[dict]:
        return json.loads((self.folder / "documents.json").read_text(encoding="utf-8"))

    def document_metas(self) -> list[DocumentMeta]:
        return [DocumentMeta(file=d["doc"], **{k: v for k, v in d.items()
                                               if k in _META_FIELDS and k != "file"})
                for d in self.documents]

    @functools.cached_property
    def provisions(self) -> list[dict]:
        return read_jsonl(self.folder / "provisions.jsonl")

    @functools.cached_property
    def provision_by_id(self) -> dict[str, dict]:
        return {p["id"]: p for p in self.provisions}

    def document(self, ref: str) -> dict | None:
        """A document by its file name, key or file stem."""
        for d in self.documents:
            if ref in (d["doc"], d["key"], d["doc"].rsplit(".", 1)[0]):
                return d
        return None

    @functools.cached_property
    def tokenizer(self) -> Tokenizer:
        return Tokenizer.from_file(self.folder / "dict.txt")

    # The parts a server needs before it takes traffic; later stages add theirs.
    READY_PARTS: tuple[str, ...] = ("documents", "provisions", "tokenizer", "graph", "searcher")

    def check_ready(self) -> None:
        """Load every part a request may need; raises if any is missing or unreadable."""
        for name in self.READY_PARTS:
            getattr(self, name)

    @functools.cached_property
    def searcher(self):
        """The full-text search over this generation's index (indexer.search.Searcher),
        with the engine named at construction (whoosh when the generation has no tantivy
        index or tantivy is not installed)."""
        from indexer.tantivy_engine import open_searcher   # loads only when search is used
        return open_searcher(self.folder, self.tokenizer, self.documents, self.engine)

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
    def graph(self):
        """The rdflib Graph of this generation, loaded on first use (once, under a lock),
        backed by the store named at construction (Oxigraph unless told otherwise)."""
        if self._graph is None:
            with self._graph_lock:
                if self._graph is None:
                    from ontology.graphstore import load_graph
                    paths = self.graph_paths()
                    missing = [p for p in paths if not p.is_file()]
                    if missing or not paths:
                        raise FileNotFoundError(f"no graph in {self.folder} (rebuild)")
                    self._graph = load_graph(paths, self.store)
        return self._graph

    @functools.cached_property
    def facts(self) -> dict[str, dict]:
        """Provision id → its graph facts (departments, targets, cites, aligned, mentions)."""
        path = self.folder / "facts.json"
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
        # An add writes no corpus-wide facts.json: each document's fragment is kept in the
        # incremental state (hard-linked when unchanged), and their union is the facts.
        folder = self.folder / "incr" / "doc"
        fragments = [(folder / f"{d['doc']}.facts") for d in self.documents]
        texts = [p.read_text(encoding="utf-8") for p in fragments if p.is_file()]
        return json.loads("{" + ",".join(t for t in texts if t) + "}")

    def provision_facts(self, pid: str) -> dict:
        """The graph facts of one provision, empty lists where there are none."""
        got = self.facts.get(pid) or {}
        return {"departments": got.get("departments") or {"lead": [], "participants": []},
                "targets": got.get("targets", []), "cites": got.get("cites", []),
                "aligned": got.get("aligned", []), "mentions": got.get("mentions", [])}

    def graph_rows(self, name: str) -> list[dict]:
        """The rows of one graph export: departments, citations, targets or alignments."""
        from ontology.graph import ROW_FILES
        path = self.folder / ROW_FILES[name]
        return read_jsonl(path) if path.is_file() else []
