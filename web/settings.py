"""Settings, declared once: read from flags and the environment by the CLI, passed in."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path


def default_data_dir() -> Path:
    """$POLICYKG_DATA, else the per-user data folder ($XDG_DATA_HOME/policykg)."""
    if os.environ.get("POLICYKG_DATA"):
        return Path(os.environ["POLICYKG_DATA"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "policykg"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 5000
    threads: int = 8               # per worker process
    workers: int = 0               # worker processes; 0 = one per core, at most 4
    # Search
    max_query_chars: int = 200
    max_page_size: int = 100
    max_query_terms: int = 12      # terms and filters per query (indexer.query.Limits)
    search_timeout: float = 5.0    # seconds of matching, then the hits found so far
    # Search engine: "tantivy" (the default: p99 39 ms against whoosh's 1.9 s at 2,000
    # documents, and complete totals where whoosh stops at its time limit; BENCHMARKS.md)
    # or "whoosh".  A generation without a tantivy index, or a machine without tantivy,
    # is searched with whoosh.  indexer.tantivy_engine.
    search_engine: str = "tantivy"
    # The engines `policykg build` indexes for (POLICYKG_INDEX_ENGINES=whoosh,tantivy);
    # empty: search_engine's only, since whoosh's writer is half a large build's time.
    index_engines: tuple[str, ...] = ()
    # SPARQL endpoint
    sparql_timeout: float = 10.0
    sparql_max_rows: int = 10_000
    sparql_max_chars: int = 20_000
    # Graph store behind the SPARQL endpoint and /id/…: "oxigraph" (the generation's on-disk
    # store, opened read-only), "oxigraph-memory" (loaded into every process: faster heavy
    # questions, far more memory) or "memory" (rdflib's store); ontology.graphstore.STORES.
    graph_store: str = "oxigraph"
    # Where the SPARQL endpoint's query processes hold the graph: like the workers, on
    # disk by default.  "oxigraph-memory" loads it into each worker's SPARQL process: scans
    # run faster (an indicator page 80 ms against 155 ms at 2,000
    # documents), but the server then holds 11.8 GB instead of 0.6 GB there and the
    # benchmark's heavy queries gain only 2x (BENCHMARKS.md).  POLICYKG_SPARQL_STORE.
    sparql_store: str = "oxigraph"
    # Query strings each worker's searcher keeps with their compiled query, total and facet
    # counts (tantivy's request cache): repeated searches and paging skip the pass over
    # every match.  0 turns it off (the benchmark's "fresh" server traffic; a tight memory
    # budget).  POLICYKG_SEARCH_CACHE.
    search_cache: int = 512
    # Ingest over HTTP: closed unless a token is configured.
    upload_token: str | None = None
    max_upload_bytes: int = 20 * 1024 * 1024
    # Where `policykg serve` writes its request log (one JSON line per request): a file
    # (reopened when rotated), or stderr when empty.  POLICYKG_REQUEST_LOG.
    request_log: str = ""

    @classmethod
    def from_env(cls, data_dir: Path | None = None, **overrides) -> "Settings":
        env = os.environ
        s = cls(data_dir=data_dir or default_data_dir(),
                upload_token=env.get("POLICYKG_TOKEN") or None)
        if env.get("POLICYKG_SPARQL_TIMEOUT"):
            s = replace(s, sparql_timeout=float(env["POLICYKG_SPARQL_TIMEOUT"]))
        if env.get("POLICYKG_WORKERS"):
            s = replace(s, workers=int(env["POLICYKG_WORKERS"]))
        if env.get("POLICYKG_STORE"):
            s = replace(s, graph_store=env["POLICYKG_STORE"])
        if env.get("POLICYKG_SPARQL_STORE"):
            s = replace(s, sparql_store=env["POLICYKG_SPARQL_STORE"])
        if env.get("POLICYKG_ENGINE"):
            s = replace(s, search_engine=env["POLICYKG_ENGINE"])
        if env.get("POLICYKG_INDEX_ENGINES"):
            s = replace(s, index_engines=tuple(
                e.strip() for e in env["POLICYKG_INDEX_ENGINES"].split(",") if e.strip()))
        if env.get("POLICYKG_SEARCH_CACHE"):
            s = replace(s, search_cache=int(env["POLICYKG_SEARCH_CACHE"]))
        if env.get("POLICYKG_REQUEST_LOG"):
            s = replace(s, request_log=env["POLICYKG_REQUEST_LOG"])
        if env.get("POLICYKG_MAX_UPLOAD"):
            s = replace(s, max_upload_bytes=int(env["POLICYKG_MAX_UPLOAD"]))
        s = replace(s, **{k: v for k, v in overrides.items() if v is not None})
        from ontology.graphstore import check_store
        check_store(s.graph_store)        # a misspelt store fails at start, not at first query
        check_store(s.sparql_store)
        if s.search_cache < 0:
            raise ValueError(f"POLICYKG_SEARCH_CACHE must be 0 or more, not {s.search_cache}")
        from indexer.tantivy_engine import check_engine
        for name in (s.search_engine, *s.index_engines):
            check_engine(name)
        return s

    @property
    def build_engines(self) -> tuple[str, ...]:
        """The engines a build indexes for: index_engines, else the one that serves."""
        return self.index_engines or (self.search_engine,)
