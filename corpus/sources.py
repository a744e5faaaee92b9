"""Documents added with `policykg add`: their files and the sources manifest.

Layout of the data folder's ``sources/``::

    sources/
      manifest.json              the added documents and their metadata (the record)
      005_3f0c…e1.pdf            each file as received, named NNN_<16 hex of its SHA-256>
      text/005_3f0c…e1.txt       the text read from it, kept so rebuilds never re-extract
                                 (a newer pypdf must not move a provision's offsets)

A file name is derived from the content (the number only orders documents after the
bundled ones), so re-adding the same bytes finds them already there.  Files are written
to a temporary name and renamed; the manifest is replaced in one rename.  Files that the
manifest does not name are leftovers of an interrupted add and are removed by `tidy`.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from policykg.corpus.records import DocumentMeta
from policykg.corpus.files import fsync_dir

MANIFEST = "manifest.json"
TEXT_DIR = "text"
FORMAT_VERSION = 1
_NAME = re.compile(r"^(?P<n>\d{3,})_(?P<hex>[0-9a-f]{16})\.(?P<ext>[a-z0-9]+)$")


@dataclass(frozen=True)
class SourceEntry:
    """One added document: where its file is, what it was, and its metadata."""

    file: str                         # NNN_<hex>.<ext>, the document's `doc` key
    sha256: str
    original: str                     # the file name it was added under
    format: str
    encoding: str | None
    added: str                        # UTC time of the add, ISO 8601
    meta: DocumentMeta
    given: dict = field(default_factory=dict)   # the metadata flags as the user gave them
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        meta = self.meta.to_dict()
        meta.pop("doc")
        return {"file": self.file, "sha256": self.sha256, "original": self.original,
                "format": self.format, "encoding": self.encoding, "added": self.added,
                "meta": meta, "given": dict(self.given), "notes": list(self.notes)}

    @classmethod
    def from_json(cls, row: dict) -> "SourceEntry":
        meta = DocumentMeta(file=row["file"], **row["meta"])
        return cls(file=row["file"], sha256=row["sha256"], original=row["original"],
                   format=row["format"], encoding=row.get("encoding"), added=row["added"],
                   meta=meta, given=dict(row.get("given") or {}),
                   notes=tuple(row.get("notes") or ()))


@dataclass(frozen=True)
class SourcesManifest:
    entries: tuple[SourceEntry, ...] = ()
    excluded: tuple[str, ...] = ()    # bundled documents taken out with `remove`

    def to_json(self) -> dict:
        return {"format": FORMAT_VERSION, "documents": [e.to_json() for e in self.entries],
                "excluded": sorted(self.excluded)}

    def dumps(self) -> bytes:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=1).encode("utf-8")

    @classmethod
    def loads(cls, raw: bytes) -> "SourcesManifest":
        data = json.loads(raw.decode("utf-8"))
        return cls(entries=tuple(SourceEntry.from_json(r) for r in data.get("documents", [])),
                   excluded=tuple(data.get("excluded", [])))

    def by_hash(self, sha256: str) -> SourceEntry | None:
        return next((e for e in self.entries if e.sha256 == sha256), None)

    def with_entry(self, entry: SourceEntry) -> "SourcesManifest":
        return replace(self, entries=self.entries + (entry,))

    def without(self, file: str) -> "SourcesManifest":
        return replace(self, entries=tuple(e for e in self.entries if e.file != file))


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def source_name(number: int, sha256: str, fmt: str) -> str:
    """"005_3f0c9a7d2b11e4c8.pdf": the bundled corpus's naming, the hex from the content."""
    return f"{number:03d}_{sha256[:16]}.{fmt}"


def next_number(names: list[str]) -> int:
    """One more than the highest NNN_ prefix in use (bundled, added or taken out)."""
    numbers = [int(m.group("n")) for n in names if (m := _NAME.match(n))]
    return max(numbers, default=-1) + 1


def load_sources(folder: Path) -> SourcesManifest:
    path = folder / MANIFEST
    if not path.is_file():
        return SourcesManifest()
    try:
        return SourcesManifest.loads(path.read_bytes())
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: the sources manifest is damaged ({exc}); "
                         "restore it from the current generation's sources.json") from None


def text_path(folder: Path, file: str) -> Path:
    return folder / TEXT_DIR / (Path(file).stem + ".txt")


# ---- writing, always to a temporary name first --------------------------------------------------

def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader sees the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{secrets.token_hex(4)}-{path.name}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def store_source(folder: Path, file: str, data: bytes, text: str) -> list[Path]:
    """Write a document's file and its text.

    Returns what was created, deepest first, folders included, so that `unstore` can
    put the sources folder back exactly as it was.
    """
    created: list[Path] = []
    for directory in (folder, folder / TEXT_DIR):
        if not directory.is_dir():
            directory.mkdir(parents=True)
            created.insert(0, directory)
    for path, content in ((folder / file, data),
                          (text_path(folder, file), text.encode("utf-8"))):
        if path.exists() and path.read_bytes() == content:
            continue
        write_atomic(path, content)
        created.insert(0, path)
    return created


def unstore(created: list[Path]) -> None:
    """Undo `store_source`: remove the files, then the folders it made."""
    for path in created:
        try:
            path.rmdir() if path.is_dir() else path.unlink(missing_ok=True)
        except OSError:
            pass            # a folder someone else wrote into meanwhile: leave it


def commit_manifest(folder: Path, manifest: SourcesManifest) -> None:
    write_atomic(folder / MANIFEST, manifest.dumps())


def tidy(folder: Path, manifest: SourcesManifest) -> list[Path]:
    """Remove what an interrupted add or remove left behind: temporary and unlisted files."""
    if not folder.is_dir():
        return []
    keep = {e.file for e in manifest.entries} | {MANIFEST}
    keep_text = {text_path(folder, e.file).name for e in manifest.entries}
    removed = []
    for path in folder.iterdir():
        if path.is_file() and path.name not in keep:
            path.unlink()
            removed.append(path)
    text_dir = folder / TEXT_DIR
    if text_dir.is_dir():
        for path in text_dir.iterdir():
            if path.is_file() and path.name not in keep_text:
                path.unlink()
                removed.append(path)
    return removed


def now_utc() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
