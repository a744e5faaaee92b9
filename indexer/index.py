"""The full-text index over provisions (whoosh), written into each generation's `index/`.

One whoosh document per provision, holding the provision's *own* text (its marker line
and its own paragraphs, not its children's), so a hit is the specific section, item,
paragraph or table row that says it, not every chapter above it.  What a provision needs
in order to be found but does not say itself goes into a `context` field: the headings
above it, a table's column headers, its departments and indicators.  What is true of the
whole document (title, region, issuer) is not repeated on every provision: the query
matches it against the document list and allows the document's provisions (see
indexer.query), which keeps the index small.

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

import json
import pickle
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

from whoosh import columns, fields, index as whoosh_index
from whoosh.analysis import SpaceSeparatedTokenizer, Token, Tokenizer as WhooshTokenizer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from policykg.corpus.records import Document, Provision
from policykg.corpus.text import CJK
from policykg.corpus.files import link_tree
from policykg.corpus.tokenize import Tokenizer, fold
from policykg.indexer.standing import prior as standing_prior

INDEX_DIR = "index"
CATALOG_FILE = "catalog.json"    # beside the whoosh files: documents and departments
# Runs of letters/digits longer than this are cut (the same way at index and query
# time): a pasted 100k-character token becomes one bounded term, never a huge one.
MAX_RUN = 32
# Units are read off the text as received: CJK characters, and runs of ASCII or
# full-width letters and digits (folded afterwards, which keeps offsets: folding is one
# character for one).  Not folding the whole text first keeps indexing fast.
_UNIT = re.compile(f"([{CJK}])|([0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+)")
_WORDLIKE = re.compile(f"[{CJK}0-9a-z]")
_YEAR = re.compile(r"(?<![0-9０-９])([12１２][09０９][0-9０-９]{2})\s*年")
SEP = "\x1f"    # joins department names in the facet column (never in a name)


# ---- the character analysis shared by indexing and querying -----------------------------

def units(text: str) -> list[tuple[str, int, int]]:
    """(unit, start, end): CJK characters and letter/digit runs, width and case folded.

    Whitespace and punctuation are not units, so "推动建成 50 所“校企双制”示范校" and
    "推动建成50所校企双制示范校" read alike; offsets point into the original text.
    """
    out = []
    for m in _UNIT.finditer(text):
        han = m.group(1)
        if han is not None:
            # CJK compatibility ideographs (U+F900…) fold to their unified forms.
            out.append((fold(han) if han >= "\uf900" else han, m.start(), m.end()))
        else:
            out.append((fold(m.group(2))[:MAX_RUN], m.start(), m.end()))
    return out


def is_cjk(unit: str) -> bool:
    """A unit is either one CJK character or an ASCII run."""
    return not unit.isascii()


def grams(seq: Sequence[str]) -> Iterator[tuple[int, str]]:
    """(position, gram), one per unit: a CJK character with the next one when that is CJK
    too (a bigram), else the unit alone (an ASCII run, or the last character of a run).

    Every character's position holds a gram that starts with it, so any run of two or
    more characters is a phrase of bigrams; a single character is a prefix.
    """
    cjk = [not u.isascii() for u in seq]
    cjk.append(False)
    return ((i, unit + seq[i + 1] if cjk[i] and cjk[i + 1] else unit)
            for i, unit in enumerate(seq))


@dataclass(frozen=True)
class GramPattern:
    """What a string is in the gram fields: a phrase of whole grams, plus possibly one
    character whose gram in the text depends on what follows it (a prefix)."""

    phrase: tuple[str, ...]
    prefix: str | None = None


def gram_pattern(text: str) -> GramPattern:
    """The grams that match `text` wherever its characters stand in a row.

    "学制技师" → 学制 制技 技师 (the last character is inside the last bigram);
    "1+1双导师" → 1 1 双导 导师; "技师50" → 技师 师 50 (师 stands before a digit run, so
    it is a gram of its own in the text too).  A CJK character that ends the string
    without a CJK character before it ("市", "50所") is a prefix: in the text it may
    be followed by anything.
    """
    seq = [u for u, _, _ in units(text)]
    out: list[str] = []
    prefix = None
    for i, unit in enumerate(seq):
        nxt = seq[i + 1] if i + 1 < len(seq) else None
        if is_cjk(unit) and nxt is not None and is_cjk(nxt):
            out.append(unit + nxt)
        elif nxt is None and is_cjk(unit):
            if not (i > 0 and is_cjk(seq[i - 1])):
                prefix = unit
        else:
            out.append(unit)
    return GramPattern(tuple(out), prefix)


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


def words(tokenizer: Tokenizer, text: str) -> list[str]:
    """jieba search-mode words (whole words and their parts), punctuation dropped."""
    return [w for w, _, _ in tokenizer.tokens(text, search=True) if _WORDLIKE.search(w)]


# jieba never joins characters across these (they end its blocks of Han characters),
# so a text's words are its sentences' words, in order.
_SENTENCE_END = re.compile(r"(?<=[。；！？])")


class WordCache:
    """`words` by sentence, for one build: policy texts repeat sentences (a municipal
    plan restates the provincial one), and each distinct sentence is cut once.
    Bounded: emptied when it holds `limit` sentences."""

    def __init__(self, tokenizer: Tokenizer, limit: int = 200_000):
        self.tokenizer = tokenizer
        self.limit = limit
        self._cache: dict[str, list[str]] = {}

    def __call__(self, text: str) -> list[str]:
        out: list[str] = []
        cache = self._cache
        for sentence in _SENTENCE_END.split(text):
            found = cache.get(sentence)
            if found is None:
                if len(cache) >= self.limit:
                    cache.clear()
                found = cache[sentence] = words(self.tokenizer, sentence)
            out += found
        return out


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


# ---- what one provision contributes ------------------------------------------------------

@dataclass(frozen=True)
class ProvisionFacts:
    """The graph facts the index uses, from one provision's entry in facts.json
    (ontology.graph.empty_facts gives its keys)."""

    lead: tuple[str, ...] = ()
    participants: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    years: tuple[str, ...] = ()

    @classmethod
    def read(cls, raw: dict | None,
             known_aliases: Mapping[str, Sequence[str]] | None = None) -> "ProvisionFacts":
        """From one entry of facts.json (None: a provision with no facts); `known_aliases`
        maps a canonical department name to its other names (from the graph)."""
        if not raw:
            return cls()
        depts = raw["departments"]
        lead, participants = tuple(dict.fromkeys(depts["lead"])), tuple(dict.fromkeys(depts["participants"]))
        aliases = [a for name in (*lead, *participants) for a in (known_aliases or {}).get(name, ())]
        indicators = [t["indicator"] for t in raw["targets"] if t["indicator"]]
        years = [str(t["target"]["year"]) for t in raw["targets"]
                 if t["target"] and t["target"].get("year") is not None]
        return cls(lead, participants, tuple(dict.fromkeys(aliases)),
                   tuple(dict.fromkeys(indicators)), tuple(dict.fromkeys(years)))


def trail_of(p: Provision, by_id: dict[str, Provision]) -> list[dict]:
    """The provisions above `p`, outermost first: the breadcrumb a hit shows."""
    out = []
    parent = p.parent
    while parent and parent in by_id:
        node = by_id[parent]
        out.append({"id": node.id, "number": node.number, "heading": node.heading})
        parent = node.parent
    return out[::-1]


def text_years(text: str) -> set[str]:
    """Years the text names ("到2025年", "２０２５年"), 1900–2099."""
    found = (fold(y) for y in _YEAR.findall(text))
    return {y for y in found if y[:2] in ("19", "20")}


def prior_of(p: Provision, by_id: Mapping[str, Provision] | None = None) -> float:
    """The static ranking prior multiplied into a provision's score: its standing
    (indexer.standing — substance first; cover, colophon, signature, salutation, annex
    forms and label lines below it at equal relevance, never hidden)."""
    return standing_prior(p, by_id or {})


def provision_fields(doc: Document, p: Provision, by_id: dict[str, Provision],
                     tokenizer: Tokenizer, facts: ProvisionFacts,
                     cut: WordCache | None = None) -> dict:
    """The whoosh document for one provision (`cut`: `words` with a build's cache)."""
    cut = cut or WordCache(tokenizer)
    meta = doc.meta
    trail = trail_of(p, by_id)
    context = [f"{t['number']} {t['heading']}" for t in trail] + list(p.columns)
    context += [*facts.lead, *facts.participants, *facts.aliases, *facts.indicators]
    names = list(dict.fromkeys([*facts.lead, *facts.participants, *facts.aliases]))
    return {
        "id": p.id, "doc": doc.file, "level": meta.level or "", "kind": p.kind,
        "region": meta.region or "",
        "year": sorted(set(facts.years) | text_years(p.own_text)),
        "dept": [fold(n) for n in names],
        "lead": [fold(n) for n in facts.lead],
        "dept_col": SEP.join(dict.fromkeys([*facts.lead, *facts.participants])).encode("utf-8"),
        "prior": prior_of(p, by_id),
        "words": cut(p.own_text),
        "grams": p.own_text,
        "hwords": cut(p.heading),
        "hgrams": p.heading,
        "context": "\n".join(context),
        "number": p.number, "heading": p.heading, "body": p.own_text,
        "trail": json.dumps(trail, ensure_ascii=False),
        "departments": json.dumps({"lead": list(facts.lead),
                                   "participants": list(facts.participants)},
                                  ensure_ascii=False),
    }


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
                _tally(departments, doc.file, pf, aliases or {})
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
    provisions are no longer one run of numbers (indexer.query falls back to terms).
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


def _tally(departments: dict, doc: str, pf: ProvisionFacts,
           aliases: Mapping[str, Sequence[str]]) -> None:
    for role, names in (("lead", pf.lead), ("participant", pf.participants)):
        for name in names:
            departments[name][role] += 1
            departments[name]["docs"][doc] += 1
            departments[name]["aliases"].update(aliases.get(name, ()))


def write_catalog(path: Path, count: int, ranges: dict[str, list[int]],
                  departments: dict) -> None:
    """What the query side needs besides the whoosh files.

    `documents`: each document's provisions as [start, stop) document numbers (one
    writer adds them document by document, one commit makes one segment), so a word of
    a document's title can select its provisions cheaply (indexer.query.DocumentsQuery).
    `departments`: every department the index knows, with its aliases and the documents
    that assign it tasks; `dept:` resolves short names against these, in context.
    """
    rows = {name: {"aliases": sorted(d["aliases"] - {name}), "docs": dict(d["docs"]),
                   "lead": d["lead"], "participant": d["participant"]}
            for name, d in sorted(departments.items())}
    data = {"format": 1, "provisions": count, "documents": ranges, "departments": rows}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def read_catalog(folder: Path) -> dict:
    """The catalog of a generation's index (empty parts when there is none)."""
    path = folder / INDEX_DIR / CATALOG_FILE
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return {"documents": data.get("documents") or {}, "departments": data.get("departments") or {}}


def open_index(folder: Path):
    """The whoosh index of a generation folder (read-only use)."""
    return whoosh_index.open_dir(str(folder / INDEX_DIR))


def department_aliases(graph) -> dict[str, list[str]]:
    """Canonical department name → its other names, from the graph when there is one.

    The ontology gives every department (org:Organization) its full name as
    skos:prefLabel and the other forms as skos:altLabel (DESIGN.md).
    """
    if graph is None:
        return {}
    from rdflib.namespace import ORG, RDF, SKOS
    out: dict[str, list[str]] = {}
    for org in set(graph.subjects(RDF.type, ORG.Organization)):
        for label in graph.objects(org, SKOS.prefLabel):
            alts = sorted({str(a) for a in graph.objects(org, SKOS.altLabel)} - {str(label)})
            out.setdefault(str(label), []).extend(alts)
    return out
