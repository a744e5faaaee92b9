"""The bundled corpus and its manifest (corpus/documents/manifest.toml)."""
from __future__ import annotations

import tomllib
from pathlib import Path

from policykg.corpus.records import DocumentMeta
from policykg.corpus.vocabulary import LEVELS


class ManifestError(ValueError):
    """The manifest names a file that is not there, or a field with a value it cannot have."""


def bundled_dir() -> Path:
    return Path(__file__).resolve().parent / "documents"


def load_manifest(folder: Path | None = None) -> list[DocumentMeta]:
    """Every document of a corpus folder, in file-name order, with its metadata."""
    folder = folder or bundled_dir()
    path = folder / "manifest.toml"
    with path.open("rb") as fh:
        table = tomllib.load(fh)
    metas = []
    for file, fields in sorted(table.items()):
        if not (folder / file).is_file():
            raise ManifestError(f"{path}: {file} is listed but not in {folder}")
        level = fields.get("level")
        if level is not None and level not in LEVELS:
            raise ManifestError(f"{path}: {file}: level must be one of {', '.join(LEVELS)}")
        metas.append(DocumentMeta(
            file=file, title=fields["title"], number=fields.get("number"),
            issuer=fields.get("issuer"), level=level, region=fields.get("region"),
            date=fields.get("date"), status=fields.get("status", "issued"),
            period=fields.get("period")))
    return metas
