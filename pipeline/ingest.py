"""`policykg add` and `policykg remove`: change the corpus and rebuild, all or nothing.

An add reads and checks the document before it takes the data folder's lock (reading
writes nothing, so a bad file changes nothing; an upload over HTTP is read once the lock
is taken, `add_upload`, so uploads arriving together are not parsed at once), then,
under the lock:

1. stores the file and its text under content-derived names (a leftover if we crash:
   `tidy` removes files the manifest does not name);
2. writes a new generation — the current one updated with the one document in or out
   (pipeline.update: only what the document changes is computed again, everything
   else hard-linked), or, when the current generation has no incremental state, a full
   build of the bundled corpus + the new list of sources — with that list saved inside
   the generation as ``sources.json``; the generation switch is the commit point;
3. replaces ``sources/manifest.json`` with the new list.

A crash between 2 and 3 leaves a generation newer than the manifest: `recover` (run under
the lock before every build, add and remove) takes the served generation's
``sources.json`` as the truth.  Any failure before the switch undoes step 1, so the
sources folder, manifest and served generation are exactly as they were.

Both ways use the same commit protocol: the old generation is never written to, so a
crash at any moment leaves it served, whole.
"""
from __future__ import annotations

import contextlib
import errno
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from policykg.corpus.loader import load_all, load_document
from policykg.corpus.manifest import bundled_dir, load_manifest
from policykg.corpus.metadata import InferredMeta, check_given, explain_metadata
from policykg.corpus.reader import ReadResult, UnreadableDocument, load_file, read_bytes
from policykg.corpus.records import Document, doc_key
from policykg.corpus.text import clean_file_name
from policykg.corpus.segment import segment_document
from policykg.corpus.sources import (SourceEntry, SourcesManifest, commit_manifest, content_hash,
                            next_number, now_utc, source_name, store_source,
                            text_path, unstore)
from policykg.indexer.engines import engines_of
from policykg.pipeline.state import Change, NotIncremental, usable
from policykg.pipeline.update import update as update_generation
from policykg.pipeline.build import write_generation
from policykg.pipeline.snapshot import SNAPSHOT, recover, write_snapshot
from policykg.pipeline.datadir import DataDir, NoSpace, StoreBusy

Step = Callable[[str], None]

# What one document may be, checked before anything is built: a whole text past this is
# no policy document (the national five-year plan outline is ~70,000 characters), and one
# provision past the second would be a literal the graph store cannot hold (Oxigraph stops
# at 16 MiB: a 19.5 MB one-line text ran 38 s into a build and then failed).
MAX_TEXT_CHARS = 2_000_000
MAX_PROVISION_CHARS = 200_000


class DuplicateDocument(ValueError):
    """The document is already in the corpus under another file (same 文号 or identity)."""


class UnknownDocument(ValueError):
    """`remove` was given a reference that names no document."""


@dataclass(frozen=True)
class Candidate:
    """A document read and understood, before anything is stored."""

    data: bytes
    original: str
    read: ReadResult
    sha256: str
    given: dict


@dataclass(frozen=True)
class AddResult:
    status: str                      # "added" | "unchanged" | "restored" | "dry-run"
    file: str
    inferred: InferredMeta | None
    read: ReadResult
    provisions: int = 0
    generation: dict | None = None
    message: str = ""


@dataclass(frozen=True)
class RemoveResult:
    file: str
    title: str
    bundled: bool
    generation: dict


# What the web layer answers for each refusal (POST /api/documents).
_STATUS_BY_REASON = {"too_large": 413, "unsupported": 415, "binary": 415, "missing": 400}


# A data folder that cannot be written: read-only media, or not ours.
READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def http_status(exc: BaseException) -> int:
    """The HTTP status for an add/remove refusal: 4xx for what the client can fix, 507 for
    a full disk, 503 for a data folder that cannot be written or a server out of memory."""
    if isinstance(exc, NoSpace) or getattr(exc, "errno", None) == errno.ENOSPC:
        return 507
    if isinstance(exc, OSError) and exc.errno in READ_ONLY or isinstance(exc, MemoryError):
        return 503
    if isinstance(exc, UnreadableDocument):
        return _STATUS_BY_REASON.get(exc.reason, 422)   # empty, corrupt, bomb, encrypted…
    if isinstance(exc, (DuplicateDocument, StoreBusy)):
        return 409
    if isinstance(exc, UnknownDocument):
        return 404
    if isinstance(exc, ValueError):
        return 400                                    # a bad metadata field
    return 500


# ---- reading (no writes) ----------------------------------------------------------------------

def read_candidate(source: Path | bytes, max_bytes: int, name: str | None = None,
                   given: dict | None = None) -> Candidate:
    """Read a file (a path, or bytes with their original `name`) and check it is usable."""
    flags = check_given(given or {})        # a bad flag fails before the file is read
    if isinstance(source, (bytes, bytearray)):
        # a client's name: it may become the title, and it is shown and logged
        original = clean_file_name(name or "upload")
        data = bytes(source)
        read = read_bytes(data, original, max_bytes)
    else:
        path = Path(source)
        data = load_file(path, max_bytes)
        original = clean_file_name(path.name)
        read = read_bytes(data, original, max_bytes)
    if len(read.text) > MAX_TEXT_CHARS:
        raise UnreadableDocument(original, f"text too long: {len(read.text):,} characters "
                                 f"(limit {MAX_TEXT_CHARS:,})", "too_long")
    return Candidate(data, original, read, content_hash(data), flags)


def rebuild(data: DataDir, manifest: SourcesManifest, step: Step = lambda _: None,
            docs: Sequence[Document] | None = None) -> dict:
    """A new generation of bundled + `manifest`'s documents; under the lock."""
    docs = docs if docs is not None else load_all(data.sources, manifest)
    # An add or remove keeps the engines the served generation was indexed for.
    current = data.current()
    engines = (engines_of(current) or None) if current is not None else None
    with data.new_generation() as folder:
        meta = write_generation(folder, docs, step, engines)
        write_snapshot(folder, manifest)
    return meta


def update(data: DataDir, manifest: SourcesManifest, change: Change,
           step: Step = lambda _: None) -> dict:
    """The current generation with one document in or out, as a new generation; under the
    lock.  Incremental when the current generation was built from this data folder's
    sources and keeps the state for it, else (or if that state is unusable) a full build."""
    current = data.current()
    if current is not None and (current / SNAPSHOT).is_file() and usable(current):
        try:
            with data.new_generation() as folder:
                meta = update_generation(current, folder, change, step)
                write_snapshot(folder, manifest)
            return meta
        except NotIncremental:
            pass                     # the new folder is gone already; build it whole
    return rebuild(data, manifest, step)


# ---- add -----------------------------------------------------------------------------------------

def _all_files(manifest: SourcesManifest) -> list[str]:
    return ([m.file for m in load_manifest(bundled_dir())]
            + [e.file for e in manifest.entries] + list(manifest.excluded))


def _bundled_with_hash(sha256: str) -> str | None:
    folder = bundled_dir()
    for meta in load_manifest(folder):
        if content_hash((folder / meta.file).read_bytes()) == sha256:
            return meta.file
    return None


def _duplicate_of(key: str, manifest: SourcesManifest) -> str | None:
    excluded = set(manifest.excluded)
    for meta in load_manifest(bundled_dir()):
        if meta.file not in excluded and doc_key(meta) == key:
            return meta.file
    for entry in manifest.entries:
        if doc_key(entry.meta) == key:
            return entry.file
    return None


def plan_entry(candidate: Candidate, manifest: SourcesManifest) -> tuple[SourceEntry, InferredMeta]:
    """The manifest entry the candidate would get: its name and its metadata."""
    read = candidate.read
    file = source_name(next_number(_all_files(manifest)), candidate.sha256, read.format)
    stem = Path(candidate.original).stem or None
    inferred = explain_metadata(read.text, file, candidate.given, fallback_title=stem)
    entry = SourceEntry(file=file, sha256=candidate.sha256, original=candidate.original,
                        format=read.format, encoding=read.encoding, added=now_utc(),
                        meta=inferred.meta, given=candidate.given, notes=read.notes)
    return entry, inferred


def add_document(data: DataDir, candidate: Candidate, step: Step = lambda _: None,
                 wait: bool = False, dry_run: bool = False, locked: bool = False) -> AddResult:
    """Add a document read by `read_candidate`: store it and update, or change nothing.
    `locked`: the caller holds the data folder's lock already (add_upload)."""
    with contextlib.nullcontext() if locked else data.lock(wait=wait):
        manifest = recover(data)
        known = _already_there(candidate, manifest)
        if known is not None:
            return known
        removed = _bundled_with_hash(candidate.sha256)
        if removed is not None:        # a bundled document taken out earlier: put it back
            if dry_run:
                return AddResult("dry-run", removed, None, candidate.read,
                                 message=f"would restore the bundled {removed}")
            new = SourcesManifest(manifest.entries,
                                  tuple(x for x in manifest.excluded if x != removed))
            meta = next(m for m in load_manifest(bundled_dir()) if m.file == removed)
            back = load_document(bundled_dir() / removed, meta)
            generation = update(data, new, Change(add=back), step)
            commit_manifest(data.sources, new)
            return AddResult("restored", removed, None, candidate.read, generation=generation,
                             message=f"restored the bundled {removed}")
        entry, inferred = plan_entry(candidate, manifest)
        doc = segment_document(candidate.read.text, entry.meta)
        _check_new(doc, manifest, candidate.original)
        if dry_run:
            return AddResult("dry-run", entry.file, inferred, candidate.read,
                             len(doc.provisions))
        new = manifest.with_entry(entry)
        written = store_source(data.sources, entry.file, candidate.data, candidate.read.text)
        try:
            generation = update(data, new, Change(add=doc), step)
        except BaseException:
            unstore(written)
            raise
        commit_manifest(data.sources, new)
        return AddResult("added", entry.file, inferred, candidate.read, len(doc.provisions),
                         generation)


def add_upload(data: DataDir, read: Callable[[], Candidate], wait: float,
               step: Step = lambda _: None) -> AddResult:
    """Add a document received over HTTP: wait up to `wait` seconds for a build or add
    already running (StoreBusy after that), then read the file under the same lock, so
    one upload at a time is unpacked and parsed however many arrive together."""
    with data.lock(wait=True, timeout=wait):
        return add_document(data, read(), step, locked=True)


def _already_there(candidate: Candidate, manifest: SourcesManifest) -> AddResult | None:
    entry = manifest.by_hash(candidate.sha256)
    if entry is not None:
        return AddResult("unchanged", entry.file, None, candidate.read,
                         message=f"already added as {entry.file}; nothing changed")
    bundled = _bundled_with_hash(candidate.sha256)
    if bundled is not None and bundled not in manifest.excluded:
        return AddResult("unchanged", bundled, None, candidate.read,
                         message=f"already in the bundled corpus as {bundled}; nothing changed")
    return None


def _check_new(doc: Document, manifest: SourcesManifest, original: str) -> None:
    if not doc.provisions:
        raise UnreadableDocument(original, "no provisions found in the text", "no_text")
    longest = max(len(p.own_text) for p in doc.provisions)   # the literal the graph holds
    if longest > MAX_PROVISION_CHARS:
        raise UnreadableDocument(
            original, f"one provision is {longest:,} characters long (limit "
            f"{MAX_PROVISION_CHARS:,}): is the text one unbroken line?", "too_long")
    same = _duplicate_of(doc.meta.key, manifest)
    if same is not None:
        what = doc.meta.number or doc.meta.title
        raise DuplicateDocument(f"{original}: the same document ({what}) is already in the "
                                f"corpus as {same}; `policykg remove {same}` first to replace it")


# ---- remove --------------------------------------------------------------------------------------

def resolve(ref: str, manifest: SourcesManifest) -> tuple[str, str, bool]:
    """(file, title, bundled?) for a reference: file name, stem, doc key, 文号 or hash."""
    ref = ref.strip()
    excluded = set(manifest.excluded)
    candidates = [(m, True) for m in load_manifest(bundled_dir()) if m.file not in excluded]
    candidates += [(e.meta, False) for e in manifest.entries]
    hashes = {e.file: e.sha256 for e in manifest.entries}
    for meta, bundled in candidates:
        names = {meta.file, Path(meta.file).stem, doc_key(meta)}
        if meta.number:
            names.add(meta.number)
        if ref in names or (len(ref) >= 8 and hashes.get(meta.file, "").startswith(ref)):
            return meta.file, meta.title, bundled
    raise UnknownDocument(f"no document {ref!r} in the corpus (give its file name, e.g. "
                          "005_3f0c9a7d2b11e4c8.pdf, its key or its 文号)")


def remove_document(data: DataDir, ref: str, step: Step = lambda _: None,
                    wait: bool = False) -> RemoveResult:
    """Take a document out of the corpus and update; its source file goes last."""
    with data.lock(wait=wait):
        manifest = recover(data)
        file, title, bundled = resolve(ref, manifest)
        if bundled:
            new = SourcesManifest(manifest.entries, manifest.excluded + (file,))
        else:
            new = manifest.without(file)
        generation = update(data, new, Change(remove=file), step)
        commit_manifest(data.sources, new)
        if not bundled:
            for path in (data.sources / file, text_path(data.sources, file)):
                path.unlink(missing_ok=True)
        return RemoveResult(file, title, bundled, generation)
