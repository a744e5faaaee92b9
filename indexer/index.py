"""The full-text index over provisions (whoosh), written into each generation's `index/`.

One whoosh document per provision, holding the provision's *own* text (its marker line
and its own paragraphs, not its children's), so a hit is the specific section, item,
paragraph or table row that says it, not every chapter above it.  What a provision needs
in order to be found but does not say itself goes into a `context` field: the headings
above it, a table's column headers, its departments and indicators.  What is true of the
whole document (title, region, issuer) is not repeated on every provision: the query
matches it against the document list and allows the document's provisions (see
indexer.compiler), which keeps the index small.

Two analyses of the same text, both with the project's one folding:
- `words`/`hwords`: jieba words in search mode, with the generation's domain dictionary
  (the one Tokenizer), for ranking: a whole word scores as a word;
- `grams`/`hgrams`/`context`: CJK character bigrams (ASCII letters and digits as runs),
  one per position.  Any run of two or more characters is then a phrase over these
  grams, so a provision that contains the query's characters is always found, however
  jieba cut the sentence ("技师学院" inside "高水平技师学院建设", where jieba yields
  高水平技师学院 but no 技师学院).
"""
from __future__ import annotations


import pickle
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

from whoosh import columns, fields, index as whoosh_index
from whoosh.analysis import SpaceSeparatedTokenizer, Token, Tokenizer as WhooshTokenizer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from policykg.corpus.records import Document
from policykg.corpus.files import link_tree
from policykg.corpus.tokenize import Tokenizer
from policykg.indexer.analysis import CATALOG_FILE, INDEX_DIR, ProvisionFacts, WordCache, grams, provision_fields, tally_departments, units, write_catalog

class GramTokenizer(WhooshTokenizer):
    """whoosh tokenizer for the gram fields: `grams(units(text))`, with positions.

    Stateless and importable, so the pickled schema opens anywhere; the query side never
    goes through whoosh's analyzers or parser (see indexer.query).
    """

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        found = units(value)
        seq = [u for u, _, _ in found]
        for i, gram in grams(seq):
            t.text = gram
            t.boost = 1.0
            if keeporiginal:
                t.original = gram
            if positions:
                t.pos = start_pos + i
            if chars:
                last = found[i + 1] if gram != seq[i] else found[i]
                t.startchar = start_char + found[i][1]
                t.endchar = start_char + last[2]
            yield t


class GramField(fields.TEXT):
    """A gram field (GramTokenizer, with positions) whose postings are computed here in
    one pass, without whoosh's Token objects: the same terms, frequencies, weights and
    positions as the analyzer path, at a fraction of the indexing time."""

    def __init__(self):
        super().__init__(analyzer=GramTokenizer(), phrase=True)

    def index(self, value, **kwargs):
        poses: dict[str, list[int]] = defaultdict(list)
        for i, gram in grams([u for u, _, _ in units(value)]):
            poses[gram].append(i)
        boost = self.format.field_boost
        for gram, where in poses.items():
            yield (gram.encode("utf-8"), len(where), len(where) * boost,
                   _encode_positions(where))


class WordsField(fields.TEXT):
    """A field given a list of words (`words`), frequencies only: postings counted
    directly, as whoosh's SpaceSeparatedTokenizer + Frequency format would give them."""

    def __init__(self):
        super().__init__(analyzer=SpaceSeparatedTokenizer(), phrase=False)

    def index(self, value, **kwargs):
        if isinstance(value, str):
            value = value.split()
        boost = self.format.field_boost
        for word, freq in Counter(value).items():
            yield word.encode("utf-8"), freq, freq * boost, pack_uint(freq)


def _encode_positions(where: list[int]) -> bytes:
    """whoosh's Positions.encode: the count, then the pickled position deltas."""
    return pack_uint(len(where)) + pickle.dumps(
        [b - a for a, b in zip([0, *where], where)], 2)


# ---- schema ---------------------------------------------------------------------------

def make_schema() -> fields.Schema:
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        doc=fields.ID(stored=True, sortable=True),
        level=fields.ID(stored=True, sortable=True),
        kind=fields.ID(stored=True, sortable=True),
        region=fields.STORED(),
        year=fields.KEYWORD(),
        dept=fields.KEYWORD(),       # canonical names and aliases, lead or participant
        lead=fields.KEYWORD(),       # the same, lead only
        dept_col=fields.COLUMN(columns.VarBytesColumn()),   # canonical names, for facets
        prior=fields.COLUMN(columns.NumericColumn("f", default=1.0)),   # see prior_of
        # Ranking and recall over the provision's own text and its heading.  The word
        # fields are given lists of words, cut by the project's tokenizer (`words`).
        words=WordsField(),
        grams=GramField(),
        hwords=WordsField(),
        hgrams=GramField(),
        # What the provision needs in order to be found and does not say itself.
        context=GramField(),
        # Shown in hits.
        number=fields.STORED(),
        heading=fields.STORED(),
        body=fields.STORED(),
        trail=fields.STORED(),
        departments=fields.STORED(),
    )


# ---- building ----------------------------------------------------------------------------

class _Lengths:
    """The per-document reader whoosh's writer asks for every posting's field length
    while it writes the postings (for block statistics): the same answers, each field's
    lengths read into memory once instead of one column read per posting."""

    def __init__(self, reader):
        self._reader = reader
        self._cache: dict[str, list] = {}

    def doc_field_length(self, docnum, fieldname, default=0):
        lengths = self._cache.get(fieldname)
        if lengths is None:
            lengths = self._cache[fieldname] = self._read(fieldname)
        if lengths is None:
            return default
        return lengths[docnum]

    def _read(self, fieldname):
        column = self._reader._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        if column is None:
            return None
        return [byte_to_length(b) if b else None for b in column]

    def close(self):
        self._reader.close()


class _Writer(SegmentWriter):
    """whoosh's SegmentWriter with `_Lengths` under the postings writer."""

    def _flush_segment(self):
        self.perdocwriter.close()
        pdr = _Lengths(self.per_document_reader()) if self.codec.length_stats else None
        self.fieldwriter.add_postings(self.schema, pdr, self.pool.iter_postings())
        self.fieldwriter.close()
        if pdr:
            pdr.close()


@dataclass(frozen=True)
class IndexStats:
    provisions: int
    departments: int


def build_index(folder: Path, docs: Sequence[Document], tokenizer: Tokenizer,
                facts: Mapping[str, dict] | None = None,
                aliases: Mapping[str, Sequence[str]] | None = None,
                limitmb: int = 256, mirror=None, whoosh: bool = True,
                facts_of: Callable[[str], Mapping[str, dict]] | None = None) -> IndexStats:
    """Write the index of `docs` into `folder` (a new, empty directory).

    One writer, one commit, one segment: whoosh spills its sorting pool to disk past
    `limitmb`, so memory stays bounded however many provisions there are.  The folder
    is inside the generation being built, so the index appears atomically with it.
    `mirror` (indexer.tantivy_engine.TantivyMirror) is given the same fields.  With
    `whoosh` false only the catalog goes into `folder` (both engines read it) and the
    rows only to the mirror: whoosh's Python writer is most of a build's indexing time.
    `facts_of(file)`, when given, stands for `facts`: one document's facts at a time, so
    that the corpus's are never all in memory.
    """
    facts = facts or {}
    folder.mkdir(parents=True, exist_ok=False)
    ix = whoosh_index.create_in(str(folder), make_schema()) if whoosh else None
    writer = _Writer(ix, limitmb=limitmb) if whoosh else _NoWriter()
    departments: dict[str, dict] = defaultdict(lambda: {"aliases": set(), "docs": Counter(),
                                                        "lead": 0, "participant": 0})
    ranges: dict[str, list[int]] = {}
    count = 0
    cut = WordCache(tokenizer)
    try:
        for doc in docs:
            by_id = doc.by_id()
            start = count
            doc_facts = facts_of(doc.file) if facts_of is not None else facts
            for p in doc.provisions:
                pf = ProvisionFacts.read(doc_facts.get(p.id), aliases)
                row = provision_fields(doc, p, by_id, tokenizer, pf, cut)
                writer.add_document(**row)
                if mirror is not None:
                    mirror.add(row)
                tally_departments(departments, doc.file, pf, aliases or {})
                count += 1
            ranges[doc.file] = [start, count]
    except BaseException:
        writer.cancel()
        if mirror is not None:
            mirror.cancel()
        raise
    writer.commit(optimize=False)
    if ix is not None:
        ix.close()
    if mirror is not None:
        mirror.commit()
    write_catalog(folder / CATALOG_FILE, count, ranges, departments)
    return IndexStats(count, len(departments))


class _NoWriter:
    """Stands in for the whoosh writer of a generation indexed without whoosh."""

    def add_document(self, **fields) -> None:
        pass

    def delete_by_term(self, fieldname: str, text: str) -> None:
        pass

    def commit(self, **options) -> None:
        pass

    def cancel(self) -> None:
        pass


def update_index(old: Path, new: Path, tokenizer: Tokenizer, delete_docs: Sequence[str],
                 delete_ids: Sequence[str], write: Sequence[tuple[Document, set[str]]],
                 facts: Mapping[str, dict], aliases: Mapping[str, Sequence[str]],
                 departments: dict, count: int, mirror=None) -> None:
    """A new index folder `new` from the committed index `old` (never modified): old
    segments hard-linked, the TOC copied, deletions and one new segment committed on top.

    `write` lists, per document, the provisions to (re)index; `departments` is the
    catalog's department tally of the whole new corpus (see write_catalog).  Document
    ranges are left out of the catalog: with more than one segment a document's
    provisions are no longer one run of numbers (indexer.compiler falls back to terms).
    """
    new.mkdir(parents=True, exist_ok=False)
    link_tree(old, new,
              skip=lambda p: p.name in (CATALOG_FILE, "MAIN_WRITELOCK") or p.name.startswith("."),
              copy=lambda p: p.suffix == ".toc")      # rewritten by whoosh: never share it
    # Each engine the old generation was indexed for is kept in step, and only those.
    ix = whoosh_index.open_dir(str(new)) if whoosh_index.exists_in(str(old)) else None
    writer = ix.writer(procs=1, multisegment=False) if ix is not None else _NoWriter()
    cut = WordCache(tokenizer)
    # `mirror`: the tantivy index kept in step (indexer.engines.update_index), or None.
    try:
        for file in delete_docs:
            writer.delete_by_term("doc", file)
            if mirror is not None:
                mirror.delete_doc(file)
        for pid in delete_ids:
            writer.delete_by_term("id", pid)
            if mirror is not None:
                mirror.delete_id(pid)
        for doc, pids in write:
            by_id = doc.by_id()
            for p in doc.provisions:
                if p.id in pids:
                    pf = ProvisionFacts.read(facts.get(p.id), aliases)
                    row = provision_fields(doc, p, by_id, tokenizer, pf, cut)
                    writer.add_document(**row)
                    if mirror is not None:
                        mirror.add(row)
    except BaseException:
        writer.cancel()
        if mirror is not None:
            mirror.cancel()
        raise
    writer.commit(merge=False, optimize=False)
    if ix is not None:
        ix.close()
    if mirror is not None:
        mirror.commit()
    write_catalog(new / CATALOG_FILE, count, {}, departments)


def open_index(folder: Path):
    """The whoosh index of a generation folder (read-only use)."""
    return whoosh_index.open_dir(str(folder / INDEX_DIR))
