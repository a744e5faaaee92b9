"""Reading documents from disk and segmenting them: the corpus stage's entry points."""
from __future__ import annotations

from pathlib import Path

from corpus.manifest import bundled_dir, load_manifest
from corpus.records import Document, DocumentMeta
from corpus.segment import segment_document


def load_document(path: Path, meta: DocumentMeta) -> Document:
    source = path.read_text(encoding="utf-8")
    return segment_document(source, meta)


def load_corpus(folder: Path | None = None) -> list[Document]:
    """The documents of a corpus folder (the bundled one by default), segmented."""
    folder = folder or bundled_dir()
    return [load_document(folder / meta.file, meta) for meta in load_manifest(folder)]
