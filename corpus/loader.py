"""Reading documents from disk and segmenting them: the corpus stage's entry points."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from policykg.corpus.manifest import bundled_dir, load_manifest
from policykg.corpus.records import Document, DocumentMeta
from policykg.corpus.reader import read_path
from policykg.corpus.segment import segment_document
from policykg.corpus.sources import SourcesManifest, load_sources, text_path


@dataclass(frozen=True)
class Source:
    """One document still to read: where its text is and what is known about it.  Reading
    it (`load`) needs only this, so a build can hand sources to other processes or
    machines (pipeline.cluster) that see the same paths."""

    path: Path
    meta: DocumentMeta
    # True: `path` is UTF-8 text (a bundled document, an added one's kept text); False: the
    # added file itself, read again (its text was lost; limit: the file's own size)
    text: bool = True

    def load(self) -> Document:
        if self.text:
            return load_document(self.path, self.meta)
        text = read_path(self.path, max_bytes=self.path.stat().st_size).text
        return segment_document(text, self.meta)


def load_document(path: Path, meta: DocumentMeta) -> Document:
    source = path.read_text(encoding="utf-8")
    return segment_document(source, meta)


def load_corpus(folder: Path | None = None) -> list[Document]:
    """The documents of a corpus folder (the bundled one by default), segmented."""
    return [s.load() for s in corpus_sources(folder)]


def corpus_sources(folder: Path | None = None) -> list[Source]:
    folder = folder or bundled_dir()
    return [Source(folder / meta.file, meta) for meta in load_manifest(folder)]


def load_added(sources: Path, manifest: SourcesManifest | None = None) -> list[Document]:
    """The documents added with `policykg add`, from the text kept beside each file."""
    return [s.load() for s in added_sources(sources, manifest)]


def added_sources(sources: Path, manifest: SourcesManifest | None = None) -> list[Source]:
    manifest = manifest if manifest is not None else load_sources(sources)
    out = []
    for entry in manifest.entries:
        cached = text_path(sources, entry.file)
        out.append(Source(cached, entry.meta) if cached.is_file()
                   else Source(sources / entry.file, entry.meta, text=False))
    return out


def load_all(sources: Path | None = None, manifest: SourcesManifest | None = None,
             bundled: Path | None = None) -> list[Document]:
    """What a build indexes: the bundled corpus, less what was removed, plus added documents."""
    return [s.load() for s in all_sources(sources, manifest, bundled)]


def all_sources(sources: Path | None = None, manifest: SourcesManifest | None = None,
                bundled: Path | None = None) -> list[Source]:
    """load_all's documents, not yet read, in the order load_all gives them."""
    if sources is None:
        return corpus_sources(bundled)
    manifest = manifest if manifest is not None else load_sources(sources)
    excluded = set(manifest.excluded)
    out = [s for s in corpus_sources(bundled) if s.meta.file not in excluded]
    out += added_sources(sources, manifest)
    # by file name, as the documents were sorted (a stable sort: the same order)
    return sorted(out, key=lambda s: s.meta.file)
