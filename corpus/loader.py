"""Reading documents from disk and segmenting them: the corpus stage's entry points."""
from __future__ import annotations

from pathlib import Path

from policykg.corpus.manifest import bundled_dir, load_manifest
from policykg.corpus.records import Document, DocumentMeta
from policykg.corpus.reader import read_path
from policykg.corpus.segment import segment_document
from policykg.corpus.sources import SourcesManifest, load_sources, text_path


def load_document(path: Path, meta: DocumentMeta) -> Document:
    source = path.read_text(encoding="utf-8")
    return segment_document(source, meta)


def load_corpus(folder: Path | None = None) -> list[Document]:
    """The documents of a corpus folder (the bundled one by default), segmented."""
    folder = folder or bundled_dir()
    return [load_document(folder / meta.file, meta) for meta in load_manifest(folder)]


def load_added(sources: Path, manifest: SourcesManifest | None = None) -> list[Document]:
    """The documents added with `policykg add`, from the text kept beside each file."""
    manifest = manifest if manifest is not None else load_sources(sources)
    docs = []
    for entry in manifest.entries:
        cached = text_path(sources, entry.file)
        if cached.is_file():
            text = cached.read_text(encoding="utf-8")
        else:   # the text was lost: read the file again (limit: the file's own size)
            path = sources / entry.file
            text = read_path(path, max_bytes=path.stat().st_size).text
        docs.append(segment_document(text, entry.meta))
    return docs


def load_all(sources: Path | None = None, manifest: SourcesManifest | None = None,
             bundled: Path | None = None) -> list[Document]:
    """What a build indexes: the bundled corpus, less what was removed, plus added documents."""
    if sources is None:
        return load_corpus(bundled)
    manifest = manifest if manifest is not None else load_sources(sources)
    folder = bundled or bundled_dir()
    excluded = set(manifest.excluded)
    docs = [load_document(folder / meta.file, meta) for meta in load_manifest(folder)
            if meta.file not in excluded]
    docs += load_added(sources, manifest)
    return sorted(docs, key=lambda d: d.file)
