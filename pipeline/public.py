"""The library surface that `import policykg` gives: build a data folder, add and remove a
document, search the current generation. Each call is one line over the pipeline's own
functions, so a script and `policykg` on the command line do exactly the same thing."""
from __future__ import annotations

from pathlib import Path

from policykg.indexer.results import SearchResult
from policykg.pipeline.build import build as _build
from policykg.pipeline.datadir import DataDir
from policykg.pipeline.generation import Generation
from policykg.pipeline.ingest import AddResult, RemoveResult, add_document, read_candidate, remove_document

# What a library caller may read by default (the service's own cap is Settings.max_upload).
MAX_BYTES = 20 * 1024 * 1024


def _data(data: DataDir | str | Path) -> DataDir:
    return data if isinstance(data, DataDir) else DataDir(Path(data))


def build(data: DataDir | str | Path) -> dict:
    """Build the bundled corpus and every added document into a new current generation;
    returns the generation's meta (documents, provisions, seconds)."""
    return _build(_data(data))


def add(data: DataDir | str | Path, path: str | Path, wait: bool = True, **given: str) -> AddResult:
    """Add the document at `path` (text, Word, PDF, web page); `given` fixes metadata the
    document does not settle (level, region, issuer, …, as `policykg add` flags)."""
    candidate = read_candidate(Path(path), MAX_BYTES, given=given or None)
    return add_document(_data(data), candidate, wait=wait)


def remove(data: DataDir | str | Path, ref: str, wait: bool = True) -> RemoveResult:
    """Take out a document named by its file, title or IRI."""
    return remove_document(_data(data), ref, wait=wait)


def search(data: DataDir | str | Path, text: str, page: int = 1, page_size: int = 10,
           sort: str = "relevance") -> SearchResult:
    """Run a query string (the search page's language) on the current generation."""
    generation = Generation(_data(data).require_current())
    return generation.searcher.search(text, page=page, page_size=page_size, sort=sort)
