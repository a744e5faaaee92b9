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

    def __init__(self, folder: Path):
        self.folder = folder
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
        """The full-text search over this generation's index (indexer.search.Searcher)."""
        from indexer.search import Searcher   # whoosh loads only when search is used
        return Searcher.open(self.folder, self.tokenizer, self.documents)

    # ---- the graph and what was read into it (written by the "graph" build stage) -----------
    @property
    def graph_file(self) -> Path:
        return self.folder / "graph.nt"

    @property
    def graph(self):
        """The rdflib Graph of this generation, loaded on first use (once, under a lock)."""
        if self._graph is None:
            with self._graph_lock:
                if self._graph is None:
                    from ontology.graph import load_graph
                    if not self.graph_file.is_file():
                        raise FileNotFoundError(f"no graph in {self.folder} (rebuild)")
                    self._graph = load_graph(self.graph_file)
        return self._graph

    @functools.cached_property
    def facts(self) -> dict[str, dict]:
        """Provision id → its graph facts (departments, targets, cites, aligned, mentions)."""
        path = self.folder / "facts.json"
        if not path.is_file():
            return {}
        return json.loads(path.read_text(encoding="utf-8"))

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
