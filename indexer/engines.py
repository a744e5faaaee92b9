"""Which search engines a generation is indexed for and searched with, and the build and
add steps that keep every engine's index in step: the one module that knows both the whoosh
index (indexer.index) and the tantivy one (indexer.tantivy_engine)."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from whoosh import index as whoosh_index

from policykg.corpus.files import NotBuilt
from policykg.corpus.records import Document
from policykg.corpus.tokenize import Tokenizer
from policykg.indexer import index as whoosh_side
from policykg.indexer.index import build_index
from policykg.indexer.analysis import INDEX_DIR, department_aliases
from policykg.indexer.search import Searcher
from policykg.indexer.tantivy_engine import (DEFAULT_ENGINE, ENGINES, PREPARED, TINDEX_DIR,
                                             TantivySearcher, available, check_engine,
                                             mirror_for_build, mirror_for_update)


def index_stage(ctx) -> None:
    """The build stage: index `ctx.docs` with the graph facts of `ctx.facts`.

    Runs after the graph stage (pipeline.build.EXTRA_STAGES); without a graph (facts empty) the
    index is still complete, only departments and targets are missing from it.
    """
    # Only the engines the build was asked for (ctx.engines, see index_engines): whoosh's
    # Python writer is half a 2,000-document build and is idle when tantivy serves.
    engines = index_engines(getattr(ctx, "engines", None))
    aliases = getattr(ctx, "department_aliases", None)
    if aliases is None:
        aliases = department_aliases(getattr(ctx, "graph", None))
    build_index(ctx.folder / INDEX_DIR, ctx.docs, ctx.tokenizer, getattr(ctx, "facts", None),
                aliases, mirror=mirror_for_build(ctx.folder) if "tantivy" in engines else None,
                whoosh="whoosh" in engines, facts_of=getattr(ctx, "facts_of", None))


def index_engines(wanted: Sequence[str] | None = None) -> tuple[str, ...]:
    """The engines a build indexes for: `wanted` (None: every engine there is), whoosh in
    place of tantivy when tantivy is not installed (so a generation is always searchable)."""
    out = []
    for name in wanted if wanted is not None else ENGINES:
        name = "whoosh" if check_engine(name) == "tantivy" and not available() else name
        if name not in out:
            out.append(name)
    if not out:
        raise ValueError("a build indexes for at least one search engine")
    return tuple(out)


def engines_of(generation: Path) -> tuple[str, ...]:
    """The engines a built generation has an index for."""
    has = {"whoosh": whoosh_index.exists_in(str(generation / INDEX_DIR)),
           "tantivy": (generation / TINDEX_DIR / "meta.json").is_file()}
    return tuple(name for name in ENGINES if has[name])


def update_index(old: Path, new: Path, tokenizer: Tokenizer, delete_docs: Sequence[str],
                 delete_ids: Sequence[str], write: Sequence[tuple[Document, set[str]]],
                 facts: Mapping[str, dict], aliases: Mapping[str, Sequence[str]],
                 departments: dict, count: int) -> None:
    """An add's or a remove's new index folders from the committed ones (never modified):
    the whoosh index (indexer.index.update_index) and, when the old generation has one,
    the tantivy index in step with it."""
    whoosh_side.update_index(old, new, tokenizer, delete_docs, delete_ids, write, facts, aliases,
                             departments, count, mirror=mirror_for_update(old.parent, new.parent))


def open_searcher(folder: Path, tokenizer: Tokenizer, documents: Sequence[Mapping],
                  engine: str = DEFAULT_ENGINE, cache: int | None = None) -> Searcher:
    """The searcher of a generation with the engine named; a generation without a
    tantivy index (or a machine without tantivy) is searched with whoosh.  A generation
    built for tantivy only has no whoosh index to fall back to: NotBuilt, saying so.
    `cache`: query strings tantivy's searcher keeps (None: PREPARED; 0: none)."""
    if serving_engine(folder, engine) == "tantivy":
        return TantivySearcher.open(folder, tokenizer, documents,
                                    PREPARED if cache is None else cache)
    return Searcher.open(folder, tokenizer, documents)


def serving_engine(folder: Path, engine: str) -> str:
    """The engine that searches the generation in `folder` when `engine` is asked for
    (see open_searcher); NotBuilt when it cannot be searched that way — `policykg serve`
    asks at start, so a misconfigured server fails in one line, not at every request."""
    has = engines_of(folder)
    if not has:
        raise NotBuilt(f"{folder.name} has no search index: neither tindex/ (tantivy) nor "
                       "index/ (whoosh) is whole — the generation is damaged; run "
                       "`policykg build`")
    if check_engine(engine) == "tantivy" and available() and "tantivy" in has:
        return "tantivy"
    if "whoosh" not in has and "tantivy" in has:
        raise NotBuilt(f"{folder.name} was indexed for tantivy only: search it with tantivy "
                       "(POLICYKG_ENGINE=tantivy), or rebuild with the whoosh index too "
                       "(`POLICYKG_ENGINE=whoosh policykg build`, or `policykg build "
                       "--engine whoosh`)" + ("" if available() else
                                              "; tantivy is not installed here"))
    return "whoosh"
