"""The records every later stage reads: document metadata, provisions, segmented documents."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from policykg.corpus.text import match_key


@dataclass(frozen=True)
class DocumentMeta:
    """What is known about a document, from the manifest, the `add` flags or its own text."""

    file: str                      # file name in corpus/: the `doc` key of every export
    title: str
    number: str | None = None      # 文号, e.g. 人社部发〔2021〕86号
    issuer: str | None = None      # the first issuer (what readers before `issuers` knew)
    level: str | None = None       # one of corpus.vocabulary.LEVELS
    region: str | None = None
    date: str | None = None        # ISO date
    status: str = "issued"         # issued | draft
    period: str | None = None      # plan period, "2021-2025"
    issuers: tuple[str, ...] = ()  # every issuing body of a co-issued document, in order
    # what the text could not settle, field → why (level, region …), for the document page
    unsettled: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        # rows read back from JSON carry a list and a dict: the same facts, hashable
        issuers = tuple(self.issuers or ((self.issuer,) if self.issuer else ()))
        unsettled = self.unsettled.items() if isinstance(self.unsettled, dict) else self.unsettled
        object.__setattr__(self, "issuers", issuers)
        object.__setattr__(self, "unsettled", tuple((str(k), str(v)) for k, v in unsettled))

    @property
    def key(self) -> str:
        return doc_key(self)

    def to_dict(self) -> dict:
        return {"doc": self.file, "title": self.title, "number": self.number,
                "issuer": self.issuer, "issuers": list(self.issuers), "level": self.level,
                "region": self.region, "date": self.date, "status": self.status,
                "period": self.period, "unsettled": dict(self.unsettled)}


def doc_key(meta: DocumentMeta) -> str:
    """A short stable key from the document's identity, never from build order.

    The 文号 identifies an issued document; without one, issuer + date + title do.
    Whitespace and width differences do not change the key.
    """
    if meta.number:
        basis = "no:" + match_key(meta.number)
    else:
        basis = "|".join(("t", match_key(meta.issuer or ""), meta.date or "",
                          match_key(meta.title)))
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Provision:
    """One node of a document's provision tree.

    `text` is the provision's full text with its descendants, `own_text` the part that is
    its own (marker line and its own paragraphs).  `start`/`end` are character offsets into
    the source text as received, so every fact can point back at what it was read from.
    """

    id: str
    doc: str
    path: str
    kind: str
    number: str
    heading: str
    text: str
    own_text: str
    parent: str | None
    children: tuple[str, ...]
    start: int
    end: int
    order: int
    depth: int
    annex: bool = False            # inside an annex (附件): not part of the main body
    cells: tuple[str, ...] = ()    # table rows: the cells as written
    columns: tuple[str, ...] = ()  # tables: the header cells


@dataclass(frozen=True)
class Document:
    meta: DocumentMeta
    source: str
    provisions: tuple[Provision, ...] = field(default_factory=tuple)

    @property
    def file(self) -> str:
        return self.meta.file

    def by_id(self) -> dict[str, Provision]:
        return {p.id: p for p in self.provisions}


# ---- what reading a file gives (corpus.reader, corpus.office) --------------------------------

class UnreadableDocument(ValueError):
    """A file the pipeline cannot take, with a one-line reason.

    `reason` is one of: missing, empty, too_large, unsupported, binary, zip_bomb,
    encrypted, corrupt, no_text.
    """

    def __init__(self, name: str, message: str, reason: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class ReadResult:
    text: str                      # normalised text, lines separated by "\n"
    format: str                    # one of FORMATS
    encoding: str | None = None    # for text formats: the encoding the bytes were in
    notes: tuple[str, ...] = ()    # what a user may want to know (renamed, repaired, …)
    # The text as written when it was in traditional characters (`text` is then its
    # simplified form, of the same length: offsets into `text` are offsets into this).
    original: str | None = None

    def describe(self) -> str:
        what = self.format + (f", {self.encoding}" if self.encoding else "")
        return "; ".join((what,) + self.notes)
