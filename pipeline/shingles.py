"""The frozen shingle statistics alignment weighs passages by, kept from the last full build
so that an add aligns a new document exactly as that build would (pipeline.update)."""
from __future__ import annotations


import bisect
import json
import mmap
import os
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from policykg.corpus.records import Document
from policykg.ontology import fingerprints as fp
from policykg.ontology.alignment import Alignment, align_corpus
from policykg.ontology.plan_hierarchy import Hierarchy
from policykg.corpus.files import open_fresh, write_fresh

# ---- the frozen shingle statistics ---------------------------------------------------------------

class FrozenFrequency(fp.DocumentFrequency):
    """The shingle document frequencies of the last full build, used to weigh passages.

    A shingle two documents share was counted at least twice by the build that saw both;
    one the build never saw (only in documents added since) counts as two, i.e. rare.
    With the frequencies of the same corpus this is exactly what find_alignments uses.
    """

    def counts(self, hashes: Sequence[int]) -> list[int]:
        return [c if c >= 2 or h == fp.NO_SHINGLE else 2
                for h, c in zip(hashes, super().counts(hashes))]

    def counts_array(self, hashes):
        # kept shingles only (never NO_SHINGLE): an unseen one counts as two, as counts() says
        return np.maximum(super().counts_array(hashes), 2)

    def save(self, folder: Path) -> dict:
        # The rows written from their own buffers: tobytes() and the join copied the
        # sketch (134 MB at 2,000 documents) twice over, at the graph stage's peak.
        with open_fresh(folder / "df.bin") as fh:
            for row in self.rows:
                fh.write(memoryview(row).cast("B"))
        return {"mask": self.mask, "n_docs": self.n_docs}

    @classmethod
    def load(cls, folder: Path, info: dict) -> "FrozenFrequency":
        """The frequencies, mapped read-only (an add looks up a few thousand of the sketch's
        cells; reading its 134 MB at 2,000 documents was half a second).  df.bin is never
        written after it is made, so the mapping stays valid."""
        df = cls.__new__(cls)
        df.mask = info["mask"]
        df.n_docs = info["n_docs"]
        with open(folder / "df.bin", "rb") as fh:
            mapped = (memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))
                      if os.fstat(fh.fileno()).st_size else memoryview(b""))
        half = len(mapped) // 2
        df.rows = (mapped[:half].cast("H"), mapped[half:].cast("H"))
        df._table = []
        return df


@dataclass
class Shingled:
    """A document's alignment stream with its kept shingles."""

    stream: object
    eligible: list[int]          # kept shingle hashes that can seed a link (sorted, unique)


def shingle(doc: Document, df: fp.DocumentFrequency) -> Shingled:
    """The stream and kept shingles of one document, as find_alignments prepares them."""
    stream = fp.build_stream(doc)
    fp.keep_fingerprints(stream, fp.shingle_hash_array(stream.text))
    return Shingled(stream, eligible_shingles(stream, df))


def eligible_shingles(stream, df: fp.DocumentFrequency) -> list[int]:
    """The kept shingles find_alignments seeds and votes with (fingerprints.eligible_positions)."""
    return fp.eligible_positions(stream, df).keys.tolist()


def corpus_frequency(docs: Sequence[Document], prepared: tuple | None = None
                     ) -> tuple[FrozenFrequency, list[Shingled]]:
    """The frequencies find_alignments computes for `docs`, and each document's shingles;
    `prepared`: what find_alignments started from (fingerprints.prepare_streams(docs)), taken
    over instead of hashing the corpus again (and holding every document's hashes)."""
    if prepared is not None:
        return _frozen(*prepared)
    streams = [fp.build_stream(d) for d in docs]
    df = FrozenFrequency(sum(len(s.text) for s in streams))
    hashes = [fp.shingle_hash_array(s.text) for s in streams]
    for h in hashes:
        df.add_document(h)
    out = []
    for stream, h in zip(streams, hashes):
        fp.keep_fingerprints(stream, h)
        out.append(Shingled(stream, eligible_shingles(stream, df)))
    return df, out


def _frozen(streams: Sequence[object], df: fp.DocumentFrequency
            ) -> tuple[FrozenFrequency, list[Shingled]]:
    """corpus_frequency from prepared streams: the same counts (the same sketch, filled
    in the same order), read as frozen; the eligible shingles found again with them."""
    frozen = FrozenFrequency.__new__(FrozenFrequency)
    frozen.mask, frozen.rows, frozen.n_docs, frozen._table = df.mask, df.rows, df.n_docs, []
    out = []
    for stream in streams:
        # Computed by the alignment with live counts; frozen ones may keep more shingles.
        stream.posts = stream.cum = None
        out.append(Shingled(stream, eligible_shingles(stream, frozen)))
        stream.posts = None               # only the sorted list is kept: memory
    return frozen, out


def save_stream(path: Path, stream) -> None:
    """A document's prepared alignment stream, so that aligning with it later costs a read."""
    text = stream.text.encode("utf-8")
    head = json.dumps([len(text), len(stream.prov), len(stream.fp_pos)]).encode() + b"\n"
    write_fresh(path, head + text + fp.wide(stream.prov).tobytes()
                 + fp.wide(stream.at).tobytes() + stream.fp_pos.tobytes()
                 + stream.fp_hash.tobytes())


def load_stream(path: Path, doc: Document):
    raw = path.read_bytes()
    cut = raw.index(b"\n")
    size, n, m = json.loads(raw[:cut])
    pos = cut + 1 + size
    parts = []
    for kind, length in (("i", n), ("i", n), ("i", m), ("I", m)):
        parts.append(array(kind, raw[pos:pos + 4 * length]))
        pos += 4 * length
    stream = fp.Stream(doc, raw[cut + 1:cut + 1 + size].decode("utf-8"), parts[0], parts[1])
    stream.fp_pos, stream.fp_hash = parts[2], parts[3]
    return stream


def align_streams(streams: Sequence[object], df: fp.DocumentFrequency,
                  allowed: Callable[[Document, Document], bool] | None = None
                  ) -> list[Alignment]:
    """find_alignments over prepared streams with given frequencies (the same steps)."""
    hierarchy = Hierarchy(s.doc.meta for s in streams) if allowed is None else None
    return align_corpus(streams, df, allowed or hierarchy.allows, hierarchy=hierarchy)


def frozen_alignments(docs: Sequence[Document], df: fp.DocumentFrequency) -> list[Alignment]:
    """Every text-reuse link among `docs`, weighed with frozen frequencies `df`."""
    return align_streams([shingle(d, df).stream for d in docs], df)


def alignment_order(a: Alignment) -> tuple:
    return (a.lower_doc, tuple(a.lower_span), a.higher_doc, tuple(a.higher_span))


def flat_order(a: Alignment) -> list:
    """find_alignments' order as plain values (what a JSON round trip keeps)."""
    return [a.lower_doc, *a.lower_span, a.higher_doc, *a.higher_span]


class ShingleIndex:
    """Kept shingle → documents: the base (a full build's, sorted arrays) plus the shingles
    of documents added since (kept in their own states)."""

    def __init__(self, hashes: array, owners: array, base_docs: list[str],
                 added: dict[str, list[int]]):
        self.hashes, self.owners, self.base_docs, self.added = hashes, owners, base_docs, added

    @staticmethod
    def write(folder: Path, docs: Sequence[str], eligible: Sequence[list[int]]) -> None:
        # (hash, document) sorted, as two uint32 columns.  Sorted as one uint64 key per
        # shingle, in place, not as tuples: ~5 M shingles at 2,000 documents were ~650 MB
        # of tuples, the build's peak; the key sorts exactly as the (hash, document) tuple.
        sizes = [len(hs) for hs in eligible]
        keys = np.fromiter((h for hs in eligible for h in hs), dtype=np.uint64,
                           count=sum(sizes))
        keys <<= np.uint64(32)
        keys |= np.repeat(np.arange(len(sizes), dtype=np.uint64), sizes)
        keys.sort()
        with open_fresh(folder / "shingles.bin") as fh:
            fh.write((keys >> np.uint64(32)).astype(np.uint32))
            fh.write((keys & np.uint64(0xFFFFFFFF)).astype(np.uint32))

    @classmethod
    def load(cls, folder: Path, base_docs: list[str], added: dict[str, list[int]]) -> "ShingleIndex":
        raw = (folder / "shingles.bin").read_bytes()
        half = len(raw) // 2
        return cls(array("I", raw[:half]), array("I", raw[half:]), base_docs, added)

    def sharing(self, eligible: Sequence[int]) -> set[str]:
        """The documents that keep at least one of these shingles."""
        found: set[int] = set()
        hashes, owners = self.hashes, self.owners
        for h in eligible:
            i = bisect.bisect_left(hashes, h)
            while i < len(hashes) and hashes[i] == h:
                found.add(owners[i])
                i += 1
        out = {self.base_docs[i] for i in found}
        wanted = set(eligible)
        out |= {file for file, hs in self.added.items() if wanted.intersection(hs)}
        return out
