"""Which sources a generation was built from: its own copy of the sources manifest
(``sources.json``), and `recover`, which makes the sources folder agree with the served
generation after a crash between the generation switch and the manifest write (the switch
is the commit; see pipeline.ingest)."""
from __future__ import annotations

from pathlib import Path

from policykg.corpus.loader import Source, all_sources
from policykg.corpus.records import Document
from policykg.corpus.sources import SourcesManifest, commit_manifest, load_sources, tidy
from policykg.pipeline import layout
from policykg.pipeline.datadir import DataDir

SNAPSHOT = layout.SOURCES


def recover(data: DataDir) -> SourcesManifest:
    """Make the sources folder agree with the served generation; call under the lock."""
    manifest = load_sources(data.sources)
    current = data.current()
    snapshot = current / SNAPSHOT if current else None
    if snapshot is not None and snapshot.is_file():
        raw = snapshot.read_bytes()
        if raw != manifest.dumps():
            # The generation switched but the manifest write did not happen: the switch
            # is the commit, so the generation's list is the truth.
            manifest = SourcesManifest.loads(raw)
            commit_manifest(data.sources, manifest)
    tidy(data.sources, manifest)
    return manifest


def corpus_for_build(data: DataDir) -> tuple[SourcesManifest, list[Document]]:
    """What `policykg build` indexes: bundled + added sources; call under the lock."""
    manifest, sources = sources_for_build(data)
    return manifest, [s.load() for s in sources]


def sources_for_build(data: DataDir) -> tuple[SourcesManifest, list[Source]]:
    """corpus_for_build's documents, not yet read (a Dask build reads them on its workers)."""
    manifest = recover(data)
    return manifest, all_sources(data.sources, manifest)


def write_snapshot(folder: Path, manifest: SourcesManifest) -> None:
    (folder / SNAPSHOT).write_bytes(manifest.dumps())
