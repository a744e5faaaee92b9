"""A second search engine: the same provisions, tokens and queries in tantivy (Rust).

whoosh visits every match in Python (for the total and the facet counts), so a broad
query over a 2,000-document corpus costs seconds; tantivy counts, ranks and aggregates
in Rust.  Nothing about the search changes but the engine:

- the index (`tindex/` beside whoosh's `index/` in a generation) holds the fields of
  `indexer.index.provision_fields`, pre-tokenised by the same code (`grams(units(…))`
  for the gram fields, the generation's Tokenizer for the word fields) and read by
  tantivy's whitespace/raw tokenizers, so one tokenizer still serves indexing and
  querying;
- a query is parsed and compiled by `indexer.query` and `indexer.compiler` exactly as for whoosh, and the
  compiled query's nodes (indexer.plan) are translated node by node (`translate`);
- the result is the same `SearchResult`, snippets, diversification and facets included
  (`TantivySearcher` and the whoosh `indexer.search.Searcher` share `indexer.results.BaseSearcher`).

Ranking is tantivy's BM25 (per field, summed) instead of whoosh's BM25F, so scores and
the order of near ties differ; the static priors are applied through tantivy's
`weight_by_field` (see `prior_weight`).  Optional: without the tantivy package, nothing
here is built or used (`available()`), and whoosh serves.
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence


from policykg.corpus.tokenize import Tokenizer
from policykg.indexer.analysis import grams, units
from policykg.indexer import plan
from policykg.indexer.compiler import Compiled, compile_query
from policykg.indexer.query import Limits, parse
from policykg.indexer.results import (BaseSearcher, DIVERSITY_WINDOW, FACETS, Hit, SearchOptions,
                                      SearchResult, diversify, has_mark, make_snippet)
from policykg.corpus.files import NotBuilt, link_tree
from policykg.indexer.analysis import ProvisionFacts, WordCache, provision_fields
from policykg.indexer.analysis import read_catalog
from policykg.indexer.compiler import QueryContext

TINDEX_DIR = "tindex"
ENGINES = ("whoosh", "tantivy")
# The engine that serves unless told otherwise (web.settings.Settings.search_engine; a
# Generation without one named): p99 39 ms against whoosh's 1.9 s at 2,000 documents.
DEFAULT_ENGINE = "tantivy"
GRAM_FIELDS = ("grams", "hgrams", "context")
WORD_FIELDS = ("words", "hwords")
TERM_FIELDS = ("id", "doc", "level", "kind", "year", "dept", "lead")
STORED_FIELDS = ("region", "number", "heading", "body", "trail", "departments")
FACET_DEPT = "dept_facet"       # canonical names, lead or participant (whoosh's dept_col)
# The same department names and the document file as u64 codes (`facet_code`), for the
# facet counts: a terms aggregation over a text fast field turns every value a segment
# holds into a string (all of them, for exact counts: 8,000 departments at 2,000
# documents), over integers it only hashes them; the few values listed are named from
# the catalog afterwards (`code_table`).
DEPT_CODE = "dept_code"
DOC_CODE = "doc_code"
# The index's own format, in FORMAT_FILE beside tantivy's files: 3, the code fields for
# facets and priors on the scale below.  An index of another format is not read (`policykg
# build` makes a new generation: the rebuild is the migration, pipeline.layout).
TINDEX_FORMAT = 3
FORMAT_FILE = "policykg.json"
PRIOR = "prior_w"
# tantivy multiplies a score by log2(2 + w), never by less than 1; so a prior p is
# stored as the w with log2(2 + w) = p × scale, the scale such that the lowest prior
# times it is ≥ 1, and scores are divided by the scale afterwards: it holds standings down
# to indexer.standing.LOWEST (0.1).
PRIOR_SCALE = 10.0
FACET_LIMIT = 100_000           # values per facet asked of tantivy: all of them
HEAP = 128_000_000


# tantivy's reader takes a lock file in the index folder even to read; where it cannot
# (read-only media, a replica's mount), the index is opened through a private folder of
# links to its files, which takes the lock instead.
LOCK_FILES = (".tantivy-meta.lock", ".tantivy-writer.lock")


def open_for_reading(path: Path) -> tuple[object, Path | None]:
    """The tantivy index in `path`, and the folder of links it was opened through (to
    remove when closed), or None when opened in place."""
    import tantivy
    try:
        return tantivy.Index.open(str(path)), None
    except ValueError as exc:
        if "Lockfile" not in str(exc):
            raise
    links = Path(tempfile.mkdtemp(prefix="policykg-tindex-"))
    for part in path.iterdir():
        if part.name not in LOCK_FILES:
            (links / part.name).symlink_to(part)
    return tantivy.Index.open(str(links)), links


TIE_MARGIN = 32     # hits fetched past the page, to order a tie at its edge by id
RANKED_KEPT = 4     # hit orders and pages of hits a query keeps (_Prepared.ranked, .hits)
PREPARED = 512      # query strings whose compiled form and counts a searcher keeps


def available() -> bool:
    """Whether the tantivy package is installed."""
    try:
        import tantivy  # noqa: F401
    except ImportError:
        return False
    return True


def check_engine(name: str) -> str:
    """A known engine name (a misspelt setting fails at start, not at the first query)."""
    if name not in ENGINES:
        raise ValueError(f"unknown search engine {name!r}: one of {', '.join(ENGINES)}")
    return name


def prior_weight(prior: float) -> float:
    """The fast-field value w with log2(2 + w) = prior × PRIOR_SCALE."""
    return max(0.0, 2.0 ** (prior * PRIOR_SCALE) - 2.0)


# ---- schema and documents ------------------------------------------------------------------

def make_schema():
    """The schema of the tantivy index (TINDEX_FORMAT)."""
    import tantivy
    sb = tantivy.SchemaBuilder()
    for name in GRAM_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name="whitespace",
                          index_option="position")
    for name in WORD_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name="whitespace", index_option="freq")
    for name in TERM_FIELDS:
        sb.add_text_field(name, stored=name in ("id", "doc", "level", "kind"),
                          tokenizer_name="raw", index_option="basic",
                          fast=name in ("doc", "level", "kind"))
    sb.add_text_field(FACET_DEPT, stored=False, tokenizer_name="raw", index_option="basic",
                      fast=True)
    for name in (DEPT_CODE, DOC_CODE):
        sb.add_unsigned_field(name, stored=False, indexed=False, fast=True)
    sb.add_float_field(PRIOR, stored=False, indexed=False, fast=True)
    for name in STORED_FIELDS:
        sb.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
    return sb.build()


def gram_text(text: str) -> str:
    """A text's grams, space-separated, one per unit (their positions are whoosh's)."""
    return " ".join(g for _, g in grams([u for u, _, _ in units(text)]))


def _word_text(words: Sequence[str]) -> str:
    # A jieba word never holds whitespace in practice; if one did, it would become two
    # terms here and not match as one.
    return " ".join(words)


@functools.lru_cache(maxsize=1 << 16)
def facet_code(value: str) -> int:
    """A facet value as a u64: the first 8 bytes of its BLAKE2b digest.  A hash, not a
    number handed out in order, so that an add codes a new department without a table
    to keep in step; a collision among the values a generation knows is found when the
    searcher opens (`code_table`), and that facet is then counted over its text."""
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(), "big")


def code_table(values: Iterable[str]) -> dict[int, str] | None:
    """code → value for `values`, or None when two of them share a code."""
    table: dict[int, str] = {}
    for value in values:
        if table.setdefault(facet_code(value), value) != value:
            return None
    return table


def tantivy_document(fields: Mapping):
    """The tantivy document for one provision, from `indexer.analysis.provision_fields`."""
    import tantivy
    doc = tantivy.Document()
    for name in GRAM_FIELDS:
        doc.add_text(name, gram_text(fields[name]))
    for name in WORD_FIELDS:
        doc.add_text(name, _word_text(fields[name]))
    for name in TERM_FIELDS:
        value = fields[name]
        for v in (value if isinstance(value, (list, tuple)) else [value]):
            if v:
                doc.add_text(name, v)
    for name in fields["dept_col"].decode("utf-8").split("\x1f"):
        if name:
            doc.add_text(FACET_DEPT, name)
            doc.add_unsigned(DEPT_CODE, facet_code(name))
    doc.add_unsigned(DOC_CODE, facet_code(fields["doc"]))
    doc.add_float(PRIOR, prior_weight(fields["prior"]))
    for name in STORED_FIELDS:
        doc.add_text(name, fields[name] or "")
    return doc


# ---- writing -------------------------------------------------------------------------------

def index_format(folder: Path) -> int:
    """The format of the tantivy index in `folder`: TINDEX_FORMAT, else NotBuilt (an index
    of another format, or an unreadable one, asks for a rebuild)."""
    path = folder / FORMAT_FILE
    try:
        fmt = int(json.loads(path.read_text(encoding="utf-8"))["format"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NotBuilt(f"{folder.parent.name}: unreadable {FORMAT_FILE} in its search index "
                       f"({exc}): run `policykg build`") from exc
    if fmt != TINDEX_FORMAT:
        raise NotBuilt(f"{folder.parent.name}: its search index has format {fmt}, this "
                       f"version reads {TINDEX_FORMAT}: run `policykg build`")
    return fmt


class TantivyMirror:
    """Mirrors what `indexer.index` writes to whoosh into a tantivy index: `add` each
    provision's fields, `delete_doc`/`delete_id`, then `commit` (or `cancel`)."""

    def __init__(self, index):
        self.index = index
        self.writer = index.writer(heap_size=HEAP, num_threads=1)

    @classmethod
    def create(cls, folder: Path) -> "TantivyMirror":
        """A new index in `folder` (which must not exist)."""
        import tantivy
        folder.mkdir(parents=True, exist_ok=False)
        (folder / FORMAT_FILE).write_text(json.dumps({"format": TINDEX_FORMAT}) + "\n",
                                          encoding="utf-8")
        return cls(tantivy.Index(make_schema(), path=str(folder)))

    @classmethod
    def copy_of(cls, old: Path, new: Path) -> "TantivyMirror":
        """An index in `new` that starts as the committed index `old`, which is never
        modified: segment files (immutable in tantivy) are hard-linked, the rest
        copied; tantivy writes its new files beside them and replaces meta.json
        atomically, in `new` only."""
        index_format(old)                  # an index of another format is not extended
        new.mkdir(parents=True, exist_ok=False)
        link_tree(old, new, skip=lambda p: p.name.startswith(".tantivy"),   # lock files
                  copy=lambda p: p.suffix == ".json")       # FORMAT_FILE too
        import tantivy
        return cls(tantivy.Index.open(str(new)))

    def add(self, fields: Mapping) -> None:
        self.writer.add_document(tantivy_document(fields))

    def delete_doc(self, file: str) -> None:
        self.writer.delete_documents_by_term("doc", file)

    def delete_id(self, pid: str) -> None:
        self.writer.delete_documents_by_term("id", pid)

    def commit(self) -> None:
        self.writer.commit()
        self.writer.wait_merging_threads()

    def cancel(self) -> None:
        try:
            self.writer.rollback()
        except Exception:       # the build is failing already; its error is the one to see
            pass


def mirror_for_build(generation: Path) -> TantivyMirror | None:
    """The tantivy index of a generation being built, or None without tantivy."""
    return TantivyMirror.create(generation / TINDEX_DIR) if available() else None


def mirror_for_update(old_generation: Path, new_generation: Path) -> TantivyMirror | None:
    """The tantivy index of a generation made from `old_generation` by an add or remove,
    or None when the old one has none (then the new one has none either: it serves
    with whoosh) or tantivy is not installed."""
    old = old_generation / TINDEX_DIR
    if not (old / "meta.json").is_file() or not available():
        return None
    return TantivyMirror.copy_of(old, new_generation / TINDEX_DIR)


def build_tantivy_index(generation: Path, docs, tokenizer: Tokenizer,
                        facts: Mapping[str, dict] | None = None,
                        aliases: Mapping[str, Sequence[str]] | None = None) -> int:
    """Only the tantivy index of `docs` into `generation/tindex` (for a generation built
    without one); the same fields as the build writes.  Returns the provisions written."""
    facts = facts or {}
    mirror = TantivyMirror.create(generation / TINDEX_DIR)
    cut = WordCache(tokenizer)
    count = 0
    for doc in docs:
        by_id = doc.by_id()
        for p in doc.provisions:
            pf = ProvisionFacts.read(facts.get(p.id), aliases)
            mirror.add(provision_fields(doc, p, by_id, tokenizer, pf, cut))
            count += 1
    mirror.commit()
    return count


# ---- queries -------------------------------------------------------------------------------

def _boosted(q, boost: float):
    import tantivy
    return q if boost == 1.0 else tantivy.Query.boost_query(q, float(boost))


def _prefix_regex(text: str) -> str:
    return re.escape(text) + ".*"


def translate(q: plan.Node, schema):
    """A compiled query (indexer.plan's nodes) → the tantivy query that matches the same
    provisions, with the same boosts as whoosh gives them (indexer.whoosh_query)."""
    import tantivy
    Q, Occur = tantivy.Query, tantivy.Occur
    boost = float(getattr(q, "boost", 1.0) or 1.0)
    if isinstance(q, plan.Nothing):
        return Q.empty_query()
    if isinstance(q, plan.Every):
        return Q.all_query()
    if isinstance(q, plan.Documents):
        if not q.files:
            return Q.empty_query()
        # One term set (a bitset of the documents' postings), not a union of hundreds of
        # term scorers: a title word can name most documents of a corpus.
        return Q.const_score_query(Q.term_set_query(schema, "doc", list(q.files)),
                                   float(q.score))
    if isinstance(q, plan.Constant):
        return Q.const_score_query(translate(q.child, schema), float(q.score))
    if isinstance(q, plan.Maybe):
        return Q.boolean_query([(Occur.Must, translate(q.required, schema)),
                                (Occur.Should, translate(q.optional, schema))])
    if isinstance(q, (plan.All, plan.Any)):
        subs = list(q.subs)
        if isinstance(q, plan.All):
            subs = _without_redundant_check(subs)
        if not subs:
            return Q.empty_query()
        occur = Occur.Must if isinstance(q, plan.All) else Occur.Should
        if len(subs) == 1:
            return _boosted(translate(subs[0], schema), boost)
        return _boosted(Q.boolean_query([(occur, translate(s, schema)) for s in subs]), boost)
    if isinstance(q, plan.Phrase):
        words = list(q.words)
        if len(words) == 1:
            return _boosted(Q.term_query(schema, q.field, words[0]), boost)
        return _boosted(Q.phrase_query(schema, q.field, words, slop=0), boost)
    if isinstance(q, plan.Prefix):
        return _boosted(Q.regex_query(schema, q.field, _prefix_regex(q.text)), boost)
    if isinstance(q, plan.Term):
        return _boosted(Q.term_query(schema, q.field, q.text), boost)
    raise TypeError(f"no tantivy form for {type(q).__name__}")


def _mentions_documents(q: plan.Node) -> bool:
    if isinstance(q, plan.Documents):
        return True
    return any(_mentions_documents(c) for c in q.children())


def _without_redundant_check(subs: list) -> list:
    """indexer.compiler requires some piece to be in the provision itself (a constant-0
    Any of the direct matches) when a piece may match by its document's title; when
    another required part cannot match by title at all, that part is the check already,
    and running the phrases a second time is only cost (whoosh memoises them)."""
    checks = [s for s in subs if isinstance(s, plan.Constant) and s.score == 0.0
              and not _mentions_documents(s)]
    direct = [s for s in subs if s not in checks and not _mentions_documents(s)]
    return [s for s in subs if s not in checks] if checks and direct else subs


def final_query(compiled: Compiled, schema):
    """What `Searcher._collect` runs, in tantivy: scoring, AND the filter (scoring
    nothing), NOT the mask."""
    import tantivy
    Occur = tantivy.Occur
    parts = [(Occur.Must, translate(compiled.scoring, schema))]
    if compiled.filter is not None:
        parts.append((Occur.Must, tantivy.Query.const_score_query(
            translate(compiled.filter, schema), 0.0)))
    if compiled.mask is not None:
        parts.append((Occur.MustNot, translate(compiled.mask, schema)))
    return parts[0][1] if len(parts) == 1 else tantivy.Query.boolean_query(parts)


# ---- searching -----------------------------------------------------------------------------

_FACET_FIELDS = {"level": "level", "doc": "doc", "kind": "kind", "dept": FACET_DEPT}
_CODE_FIELDS = {"doc": DOC_CODE, "dept": DEPT_CODE}
_TOTAL = "_matches"


@dataclass(frozen=True)
class _Page:
    """The hits one search reads stored fields of, by their rank in tantivy's order: each
    hit's document is read once, when a field of it is first asked for (most of the
    fetched hits need only an id, a document and a body, and some not even those)."""

    addresses: tuple
    docs: dict          # rank → tantivy Document


@dataclass(frozen=True)
class _Prepared:
    """A query string's compiled query and its tantivy form, and once a search has made
    them: the counts (total and facets) and the facets as shown, by facet size; the order
    of its first hits (tantivy's addresses, then (score, rank) after ties and diversify),
    by how many — as Solr's query result cache keeps a query's ordered hits, so another
    page or a return to the query reads only the stored fields of the hits it shows —
    and the hits of the last pages shown, with their snippets (Hit is frozen)."""

    compiled: Compiled
    query: object
    counts: dict = field(default_factory=dict)
    facets: dict = field(default_factory=dict)
    ranked: dict = field(default_factory=dict)
    hits: dict = field(default_factory=dict)


def _filters_key(filters: Mapping | None) -> tuple:
    """Filters as a hashable key, in their order (`parse` reads them in order)."""
    return tuple((k, v if v is None or isinstance(v, str) else tuple(v))
                 for k, v in (filters or {}).items())


class TantivySearcher(BaseSearcher):
    """The searcher of a generation's tantivy index: the same
    parsing, compiling, diversification, snippets and facets; tantivy matches, counts,
    ranks and aggregates.  Thread-safe: tantivy's searcher is shared.  There is no
    time limit (`SearchOptions.timeout`): tantivy cannot stop a search part-way, and
    its slowest at 2,000 documents is tens of milliseconds, so a result is never
    partial."""

    def __init__(self, index, context: QueryContext, codes: Mapping[str, Mapping[int, str]] | None = None,
                 cache: int = PREPARED, prior_scale: float = PRIOR_SCALE):
        super().__init__(context)
        self.index = index
        self.prior_scale = prior_scale
        # Facet → code → value, for the facets counted over code fields (`_facets`).
        self._codes = dict(codes or {})
        self.schema = index.schema
        self._searcher = index.searcher()
        self._links: Path | None = None     # open_for_reading's folder, when it made one
        self._total_by_kind = self._one_kind_each()
        # A query string is parsed, compiled and translated once, and its total and facet
        # counts (most of a search's cost: every match is visited) are kept with it, as
        # Elasticsearch's request cache keeps aggregations: a generation never changes,
        # and paging through a result or coming back to a query asks for them again.
        # `cache` strings are kept (Settings.search_cache); 0 keeps none.
        self._prepared = functools.lru_cache(maxsize=cache)(self._prepare)

    def cache_info(self):
        """The request cache's hits, misses, size and bound (functools' CacheInfo)."""
        return self._prepared.cache_info()

    def close(self) -> None:
        """Let go of the index (its files are mapped until the last reference goes; the
        request cache refers back to this searcher, so it is emptied first)."""
        self._prepared.cache_clear()
        self._searcher = self.index = None
        if self._links is not None:
            shutil.rmtree(self._links, ignore_errors=True)

    def _one_kind_each(self) -> bool:
        """Whether every provision has exactly one kind: then the kind counts of a search
        sum to its matches, and the aggregation needs no count of its own."""
        import tantivy
        n = self._searcher.num_docs
        if not n:
            return False
        having = self._searcher.search(tantivy.Query.exists_query("kind"), 1, count=True).count
        got = self._searcher.aggregate(tantivy.Query.all_query(), {"k": {"terms": {
            "field": "kind", "size": FACET_LIMIT, "segment_size": FACET_LIMIT}}})
        return having == n and sum(c for _, c in _buckets(got.get("k"))) == n

    def _prepare(self, text: str, filters: tuple, limits: Limits) -> _Prepared:
        compiled = compile_query(parse(text, limits, dict(filters)), self.context, limits)
        return _Prepared(compiled, final_query(compiled, self.schema))

    def search(self, text: str, filters: Mapping | None = None, page: int = 1,
               page_size: int = 10, options: SearchOptions = SearchOptions(),
               sort: str = "relevance") -> SearchResult:
        try:
            prepared = self._prepared(text, _filters_key(filters), options.limits)
        except TypeError:           # unhashable filter values: not kept
            return super().search(text, filters, page, page_size, options, sort)
        return self._run(prepared.compiled, page, page_size, options, prepared, sort)

    @classmethod
    def open(cls, folder: Path, tokenizer: Tokenizer, documents: Sequence[Mapping],
             cache: int = PREPARED) -> "TantivySearcher":
        if not (folder / TINDEX_DIR / "meta.json").is_file():
            raise NotBuilt(f"{folder.name} has no tantivy index: run `policykg build`")
        catalog = read_catalog(folder)
        index_format(folder / TINDEX_DIR)        # another format: NotBuilt, rebuild
        # Every department the index holds is in the catalog, every document in the
        # documents list; a facet whose values collide is counted over its text.
        values = {"doc": [d["doc"] for d in documents], "dept": catalog["departments"]}
        codes = {name: table for name, v in values.items()
                 if (table := code_table(v)) is not None}
        index, links = open_for_reading(folder / TINDEX_DIR)
        # Title words select documents by term here: ranges are a whoosh matter.
        searcher = cls(index, QueryContext(tokenizer, list(documents), catalog["departments"], None),
                       codes, cache, PRIOR_SCALE)
        searcher._links = links
        return searcher

    def run(self, compiled: Compiled, page: int = 1, page_size: int = 10,
            options: SearchOptions = SearchOptions(), sort: str = "relevance") -> SearchResult:
        return self._run(compiled, page, page_size, options, None, sort)

    def _run(self, compiled: Compiled, page: int, page_size: int, options: SearchOptions,
             prepared: _Prepared | None, sort: str = "relevance") -> SearchResult:
        q = compiled.query
        page, page_size, notes, empty, sort = self._paging(compiled, page, page_size, options,
                                                           sort)
        if empty is not None:
            return empty
        query = prepared.query if prepared is not None else final_query(compiled, self.schema)
        start = (page - 1) * page_size
        # The first DIVERSITY_WINDOW hits are re-ordered by `diversify`; past them the
        # order is tantivy's, so the top (window or page end) hits are all a page needs.
        # The total comes with the facets (one pass over the matches, unscored), so the
        # scored pass only collects the top hits.
        size = max(1, options.facet_size)
        counts = prepared.counts.get(size) if prepared is not None else None
        if counts is None:
            counts = self._facets(query, size)
            if prepared is not None:
                prepared.counts[size] = counts
        total, groups = counts
        facets = prepared.facets.get(size) if prepared is not None else None
        if facets is None:
            facets = self._facet_values(groups, options)
            if prepared is not None:
                prepared.facets[size] = facets
        if sort == "date":
            hits = tuple(self._tantivy_hit(rows, i, score, start + k + 1, compiled, options)
                         for k, (score, rows, i) in enumerate(
                             self._by_date(query, groups["doc"], start, page_size)))
            return SearchResult(q.raw, str(q), total, page, page_size, hits,
                                facets, tuple(notes), False, sort)
        limit = min(max(DIVERSITY_WINDOW, start + page_size), total)
        order = prepared.ranked.get(limit) if prepared is not None else None
        if order is None:
            order = self._order(query, compiled, limit, total)
            if prepared is not None:
                if len(prepared.ranked) >= RANKED_KEPT:     # deep pages: the latest few
                    prepared.ranked.clear()
                prepared.ranked[limit] = order
        key = (limit, start, page_size, options.snippet_chars)
        hits = prepared.hits.get(key) if prepared is not None else None
        if hits is None:
            addresses, ranked = order
            rows = _Page(addresses, {})
            hits = tuple(self._tantivy_hit(rows, i, score, start + k + 1, compiled, options)
                         for k, (score, i) in enumerate(ranked[start:start + page_size]))
            if prepared is not None:
                if len(prepared.hits) >= RANKED_KEPT:
                    prepared.hits.clear()
                prepared.hits[key] = hits
        return SearchResult(q.raw, str(q), total, page, page_size, hits,
                            facets, tuple(notes), False, sort)

    def _order(self, query, compiled: Compiled, limit: int, total: int
               ) -> tuple[tuple, list[tuple[float, int]]]:
        """The first `limit` hits by relevance: tantivy's addresses, and (score, rank in
        them) in the order shown — ties by id, then `diversify`."""
        # Equal scores come back in tantivy's segment order, which an incremental add
        # changes; a few more hits than needed, ordered by (score, provision id), make the
        # order the same as a full build's (and stable across rebuilds).
        found = self._searcher.search(query, min(limit + TIE_MARGIN, total), count=False,
                                      weight_by_field=PRIOR) if total else None
        hits = found.hits if found is not None else []
        rows = _Page(tuple(a for _, a in hits), {})
        ranked = self._ranked(rows, [score / self.prior_scale for score, _ in hits], limit)
        if compiled.query.positive:
            ranked = diversify(ranked, lambda i: self._field(rows, i, "doc"),
                               lambda i: has_mark(self._field(rows, i, "body"),
                                                  compiled.highlight))
        return rows.addresses, ranked

    def _by_date(self, query, doc_counts: Mapping[str, int], start: int, size: int
                 ) -> list[tuple[float, _Page, int]]:
        """The hits `start` to `start + size` of the order by date — the newest document
        first, each document's hits by relevance — as (score, page, rank in it).  The
        matches per document (the facet counts) say which documents the page spans and
        where in each; only those documents are searched, each for the hits it gives."""
        import tantivy
        last = len(self.date_rank)
        order = sorted((d for d, n in doc_counts.items() if n),
                       key=lambda d: (self.date_rank.get(d, last), d))
        out: list[tuple[float, _Page, int]] = []
        seen = 0
        for doc in order:
            n, lo, hi = doc_counts[doc], max(0, start - seen), start + size - seen
            seen += n
            if seen <= start:
                continue
            if hi <= 0:
                break
            within = tantivy.Query.boolean_query([
                (tantivy.Occur.Must, query),
                (tantivy.Occur.Must, tantivy.Query.const_score_query(
                    tantivy.Query.term_query(self.schema, "doc", doc), 0.0))])
            hi = min(hi, n)
            found = self._searcher.search(within, min(hi + TIE_MARGIN, n), count=False,
                                          weight_by_field=PRIOR).hits
            rows = _Page(tuple(a for _, a in found), {})
            ranked = self._ranked(rows, [sc / self.prior_scale for sc, _ in found], hi)
            out += [(score, rows, i) for score, i in ranked[lo:hi]]
        return out

    def _field(self, rows: _Page, i: int, name: str) -> str:
        doc = rows.docs.get(i)
        if doc is None:
            doc = rows.docs[i] = self._searcher.doc(rows.addresses[i])
        return doc.get_first(name) or ""

    def _ranked(self, rows: _Page, scores: list[float], limit: int) -> list[tuple[float, int]]:
        """The first `limit` hits as (score, rank in tantivy's order), by score and then
        provision id.  tantivy returns hits by score, so equal scores are neighbours: ids
        are read only within a run of equal scores (a hit with a score of its own has its
        place whatever its id) and only for runs that begin within `limit`."""
        if any(a < b for a, b in zip(scores, scores[1:])):     # not by score: sort all
            return sorted(((s, i) for i, s in enumerate(scores)),
                          key=lambda si: (-si[0], self._field(rows, si[1], "id")))[:limit]
        out: list[tuple[float, int]] = []
        i = 0
        while i < len(scores) and len(out) < limit:
            j = i + 1
            while j < len(scores) and scores[j] == scores[i]:
                j += 1
            run = sorted(range(i, j), key=lambda k: self._field(rows, k, "id")) \
                if j - i > 1 else [i]
            out.extend((scores[i], k) for k in run)
            i = j
        return out[:limit]

    def _tantivy_hit(self, rows: _Page, i: int, score: float, rank: int, compiled: Compiled,
                     options: SearchOptions) -> Hit:
        f = {k: self._field(rows, i, k) for k in ("id", "doc", "level", "kind", *STORED_FIELDS)}
        return Hit(id=f["id"], doc=f["doc"], **self._document_of(f["doc"]),
                   level=f["level"], region=f["region"], kind=f["kind"], number=f["number"],
                   heading=f["heading"], breadcrumb=tuple(json.loads(f["trail"] or "[]")),
                   snippet=make_snippet(f["body"], compiled.highlight, options.snippet_chars),
                   score=score, departments=json.loads(f["departments"] or "{}"), rank=rank)

    def _facets(self, query, size: int) -> tuple[int, dict[str, dict[str, int]]]:
        """(matches, each facet's top value counts over them), from terms aggregations
        on fast fields; the matches are the kind counts summed when every provision has
        one kind (`_one_kind_each`), else counted by the prior, which every one has.

        Each segment counts all its values (exact counts); the top `2 × size` by count
        come back, which hold whoosh's top `size` (by count, then value) exactly unless
        values tied with the `size`-th fill them all: then that facet is asked again
        whole.  (Listing all values costs: a corpus of 2,000 documents has 8,000
        departments; so documents and departments are counted by their codes, and only
        the values that come back are named.)"""
        limits = {n: 2 * size for n in FACETS}
        # Every document's count: the year and issuer facets are summed from them, and a
        # page sorted by date is found from them (`_by_date`).
        limits["doc"] = FACET_LIMIT
        if self._total_by_kind:         # every kind (a dozen at most), summed for the total
            limits["kind"] = FACET_LIMIT
        asked = {n: self._terms(n, limits[n]) for n in FACETS}
        if not self._total_by_kind:
            asked[_TOTAL] = {"value_count": {"field": PRIOR}}
        got = self._searcher.aggregate(query, asked)
        out = {n: self._named(n, _buckets(got.get(n))) for n in FACETS}
        total = sum(c for _, c in out["kind"]) if self._total_by_kind \
            else int((got.get(_TOTAL) or {}).get("value") or 0)
        # Cut among ties: asked again, whole.  Then a code the tables do not know (a
        # catalog out of step with its index) is not guessed at: that facet is counted
        # over its text, whole.
        again = [n for n in FACETS if out[n] is not None and not _complete(out[n], size, limits[n])]
        if again:
            got = self._searcher.aggregate(query, {n: self._terms(n, FACET_LIMIT) for n in again})
            out.update({n: self._named(n, _buckets(got.get(n))) for n in again})
        unknown = [n for n in FACETS if out[n] is None]
        if unknown:
            got = self._searcher.aggregate(query, {n: self._terms(n, FACET_LIMIT, coded=False)
                                                   for n in unknown})
            out.update({n: _buckets(got.get(n)) for n in unknown})
        return total, {n: dict(b) for n, b in out.items()}

    def _terms(self, name: str, limit: int, coded: bool = True) -> dict:
        """The terms aggregation of facet `name`'s top `limit` values, over its code
        field when it has one (and `coded`), else over its text field; every segment
        counts all its values, so the counts are exact."""
        field = _CODE_FIELDS[name] if coded and name in self._codes else _FACET_FIELDS[name]
        return {"terms": {"field": field, "size": limit, "segment_size": FACET_LIMIT}}

    def _named(self, name: str, buckets: list[tuple]) -> list[tuple[str, int]] | None:
        """Buckets of facet `name` with their values named (codes looked up), or None
        when a code is not in the table."""
        table = self._codes.get(name)
        if table is None:
            return buckets
        try:
            return [(table[code], count) for code, count in buckets]
        except KeyError:
            return None


def _buckets(agg) -> list[tuple[str, int]]:
    """(value, count) of a terms aggregation, most first."""
    return [(b["key"], int(b["doc_count"])) for b in (agg or {}).get("buckets", ())]


def _complete(buckets: list[tuple[str, int]], size: int, asked: int) -> bool:
    """Whether the top `asked` buckets hold every value that can be in the top `size`:
    all values came back, or the last one counts less than the `size`-th."""
    if len(buckets) < asked or len(buckets) <= size:
        return True
    return buckets[-1][1] < buckets[size - 1][1]
