"""Settings, declared once: each field of `Settings` carries its name, type, default,
environment variable, command-line flag and help (`setting(...)`), and everything else is
derived from those fields — the environment reading (`Settings.from_env`), the flags of
`policykg serve` and `policykg build` (`flag_options`, used by web.cli) and README's table
(`markdown_table`; a test checks README carries it).

A default that a lower layer's component also needs (the query caps, the SPARQL limits, the
searcher's cache, the engine and store names) is the component's own: the field's default is
read from it rather than written again, since corpus ← ontology ← indexer ← web lets web
read indexer's value but not the other way round.  The service and the CLI pass these
values down (`search_options`, `sparql_limits`), so a library caller without Settings gets
exactly what the service gets by default.
"""
from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import MISSING, dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from policykg.indexer.query import Limits as QueryLimits
from policykg.indexer.results import SearchOptions
from policykg.indexer.tantivy_engine import DEFAULT_ENGINE, ENGINES, PREPARED
from policykg.ontology.graphstore import DEFAULT_STORE, STORES
from policykg.ontology.virtuoso import STORE as VIRTUOSO
from policykg.ontology.virtuoso_server import DEFAULT_SQL_PORT, VirtuosoConfig
from policykg.ontology.sparql import Limits as SparqlLimits
from policykg.pipeline.datadir import DEFAULT_MIN_FREE
from policykg.web.front import FrontLimits

# The fields of each kind of metadata, so a typo in a declaration fails at import.
_KEYS = ("help", "env", "flag", "commands", "choices", "minimum", "shown_default")


def setting(default: Any = MISSING, *, help: str, env: str | None = None,
            flag: str | None = None, commands: tuple[str, ...] = ("serve",),
            choices: tuple[str, ...] = (), minimum: int | float | None = None,
            shown_default: str | None = None) -> Any:
    """One setting's declaration (a dataclass field).  `flag`: its command-line flag, on
    `commands`; `choices`: the only values accepted; `minimum`: the least number accepted;
    `shown_default`: how README and --help say a default computed at run time."""
    meta = dict(zip(_KEYS, (help, env, flag, commands, choices, minimum, shown_default)))
    return field(default=default, metadata=meta)


def _default_data_dir() -> Path:
    """The per-user data folder: $XDG_DATA_HOME/policykg (freedesktop's convention)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "policykg"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = setting(
        help="Data folder: generations, added documents, the build lock.", env="POLICYKG_DATA",
        flag="--data", commands=("policykg",), shown_default="~/.local/share/policykg ($XDG_DATA_HOME/policykg)")
    # ---- serving
    host: str = setting("127.0.0.1", help="Address to listen on.", flag="--host")
    port: int = setting(5000, help="Port.", flag="--port", minimum=0)
    threads: int = setting(8, help="Threads per worker process.", minimum=1)
    workers: int = setting(0, help="Worker processes; 0: one per core, at most 4.",
                           env="POLICYKG_WORKERS", flag="--workers", minimum=0)
    # Each worker reads requests whole before a thread serves them (web.front): these
    # bound what a slow or silent client may hold.
    header_timeout: float = setting(
        FrontLimits.header_timeout, help="Seconds a client has to send a request's line and "
        "headers; then the connection is closed.", env="POLICYKG_HEADER_TIMEOUT", minimum=0.1)
    body_timeout: float = setting(
        FrontLimits.body_timeout, help="Seconds a client has to send a request's body after "
        "its headers.", env="POLICYKG_BODY_TIMEOUT", minimum=0.1)
    idle_timeout: float = setting(
        FrontLimits.idle_timeout, help="Seconds a connection may stay silent (kept alive, or "
        "mid-request) before it is closed.", env="POLICYKG_IDLE_TIMEOUT", minimum=1)
    max_connections: int = setting(
        FrontLimits.max_connections, help="Open connections per worker process; past it a "
        "worker stops accepting until some close.", env="POLICYKG_MAX_CONNECTIONS", minimum=1)
    request_log: str = setting(
        "", help="File the request log (one JSON line per request) goes to, reopened when "
        "rotated; empty: stderr.", env="POLICYKG_REQUEST_LOG")
    # ---- search
    max_query_chars: int = setting(QueryLimits.max_chars,
                                   help="Longer queries are cut to this many characters.")
    max_query_terms: int = setting(QueryLimits.max_terms,
                                   help="Terms and filters per query; the rest are ignored.")
    max_page_size: int = setting(SearchOptions.max_page_size, help="Hits per page, at most.")
    search_timeout: float = setting(
        SearchOptions.timeout, help="Seconds of matching (whoosh), then the hits found so far.")
    # tantivy: p99 39 ms against whoosh's 1.9 s at 2,000 documents, and complete totals
    # where whoosh stops at its time limit (BENCHMARKS.md).
    search_engine: str = setting(
        DEFAULT_ENGINE, help="Search engine that serves; a generation without its index, or "
        "a machine without tantivy, is searched with whoosh.", env="POLICYKG_ENGINE",
        choices=ENGINES)
    # whoosh's Python writer is half a large build's time: only the serving engine's index.
    index_engines: tuple[str, ...] = setting(
        (), help="Engines `policykg build` indexes for (comma-separated; repeat --engine); "
        "empty: the search engine's only.", env="POLICYKG_INDEX_ENGINES", flag="--engine",
        commands=("build",), choices=ENGINES)
    # The per-document stages on Dask (pipeline.cluster; the optional extra policykg[dask]).
    scheduler: str = setting(
        "", help="Where `policykg build` reads, segments and extracts the documents: "
        "local[:N], a Dask cluster of N worker processes on this machine (default 2), or "
        "tcp://host:8786, a running Dask scheduler (its workers see the corpus and the data "
        "folder at the same paths); empty: in the building process. Needs policykg[dask].",
        env="POLICYKG_SCHEDULER", flag="--scheduler", commands=("build",))
    search_cache: int = setting(
        PREPARED, help="Query strings each searcher keeps with their compiled query, total "
        "and facets (paging and repeats skip the pass over every match); 0: none.",
        env="POLICYKG_SEARCH_CACHE", minimum=0)
    # ---- graph and SPARQL
    graph_store: str = setting(
        DEFAULT_STORE, help="Graph store of the workers (/id/ pages, exports): oxigraph on "
        "disk, oxigraph-memory loaded in every worker, rdflib's memory store, or virtuoso: "
        "`policykg build` loads each generation into a Virtuoso server as a named graph, "
        "and the pages and the SPARQL endpoint ask it over the SPARQL protocol.",
        env="POLICYKG_GRAPH_STORE", flag="--store", choices=(*STORES, VIRTUOSO))
    # In memory the heavy scans run faster (an indicator page 80 ms against 155 ms at 2,000
    # documents) but the server holds 11.8 GB instead of 0.6 GB (BENCHMARKS.md).
    sparql_store: str = setting(
        DEFAULT_STORE, help="Graph store of the SPARQL endpoint's query processes (with the "
        "virtuoso graph store, the endpoint asks Virtuoso instead).",
        env="POLICYKG_SPARQL_STORE", flag="--sparql-store", commands=("serve", "sparql"),
        choices=STORES)
    # `policykg sparql` runs a query as the endpoint does (same guard, same bounds).
    sparql_timeout: float = setting(SparqlLimits.timeout, help="Seconds a SPARQL query may run.",
                                    env="POLICYKG_SPARQL_TIMEOUT", flag="--sparql-timeout",
                                    commands=("serve", "sparql"), minimum=0.1)
    sparql_max_rows: int = setting(SparqlLimits.max_rows, help="Rows a SPARQL result keeps.",
                                   env="POLICYKG_SPARQL_MAX_ROWS", flag="--sparql-max-rows",
                                   commands=("serve", "sparql"), minimum=1)
    sparql_max_chars: int = setting(SparqlLimits.max_chars,
                                    help="Characters of a SPARQL query, at most.")
    # Each query waiting or running holds a web thread: together they must leave some of
    # the worker's threads to searches and pages (check_capacity, when serving).
    sparql_parallel: int = setting(
        SparqlLimits.max_parallel, help="SPARQL queries each worker process runs at once.",
        env="POLICYKG_SPARQL_PARALLEL", minimum=1)
    sparql_queue: int = setting(
        SparqlLimits.max_queue, help="SPARQL queries each worker process keeps waiting for a "
        "slot; past it the answer is 429 with Retry-After.", env="POLICYKG_SPARQL_QUEUE",
        minimum=0)
    sparql_memory: int = setting(
        SparqlLimits.max_memory // (1024 * 1024), help="MB of memory one SPARQL query's "
        "process may take beyond the graph it starts with; past it the query is stopped "
        "(503).", env="POLICYKG_SPARQL_MEMORY", minimum=1)
    # ---- Virtuoso (graph_store virtuoso)
    virtuoso_url: str = setting(
        "", help="HTTP address of an existing Virtuoso server (http://host:8890); empty: "
        "policykg runs its own virtuoso-t on 127.0.0.1, in the data folder's virtuoso/, "
        "while a command needs it.", env="POLICYKG_VIRTUOSO_URL")
    virtuoso_sql: str = setting(
        "", help="host:port of that server's SQL port, where `policykg build` loads and "
        "drops graphs (with isql; the data folder must be readable by the server at the "
        f"same path); empty: the URL's host, port {DEFAULT_SQL_PORT}.",
        env="POLICYKG_VIRTUOSO_SQL")
    virtuoso_user: str = setting(
        "dba", help="Account of that server that loads and drops graphs.",
        env="POLICYKG_VIRTUOSO_USER")
    virtuoso_password: str = setting(
        "", help="Its password (policykg's own server has a random one, kept in "
        "virtuoso/credentials.json).", env="POLICYKG_VIRTUOSO_PASSWORD")
    virtuoso_read_user: str = setting(
        "", help="Read-only account the pages and the endpoint query that server as "
        "(/sparql-auth, digest); empty: the anonymous /sparql, which must only read.",
        env="POLICYKG_VIRTUOSO_READ_USER")
    virtuoso_read_password: str = setting(
        "", help="Its password.", env="POLICYKG_VIRTUOSO_READ_PASSWORD")
    virtuoso_http_port: int = setting(
        VirtuosoConfig.http_port, help="HTTP port of policykg's own Virtuoso (127.0.0.1).",
        env="POLICYKG_VIRTUOSO_HTTP_PORT", minimum=1)
    virtuoso_sql_port: int = setting(
        VirtuosoConfig.sql_port, help="SQL port of policykg's own Virtuoso (127.0.0.1).",
        env="POLICYKG_VIRTUOSO_SQL_PORT", minimum=1)
    # ---- ingest over HTTP
    upload_token: str | None = setting(
        None, help="Token that opens uploads over HTTP; unset: closed.", env="POLICYKG_TOKEN")
    max_upload_bytes: int = setting(20 * 1024 * 1024, help="Largest upload, in bytes.",
                                    env="POLICYKG_MAX_UPLOAD", minimum=1)
    min_free_mb: int = setting(
        DEFAULT_MIN_FREE // (1024 * 1024), help="MB a build or add leaves free on the data "
        "folder's disk beyond the size of the generation it writes; when short, old "
        "generations are pruned first, then it is refused (507 over HTTP).",
        env="POLICYKG_MIN_FREE", minimum=0)
    token_failures: int = setting(
        10, help="Wrong upload tokens a client may send in a minute (per worker process); "
        "past it every attempt from it is answered 429 with Retry-After.",
        env="POLICYKG_TOKEN_FAILURES", minimum=1)
    upload_wait: float = setting(
        120.0, help="Seconds an upload waits for a build or add already running (then 409 "
        "with Retry-After); uploads arriving together are read and added one after another.",
        env="POLICYKG_UPLOAD_WAIT", minimum=0)
    # ---- tools
    eval_dir: Path | None = setting(
        None, help="Folder of evaluation files for `policykg eval`; unset: shared/eval beside "
        "the working folder or the project.", env="POLICYKG_EVAL", flag="--eval-dir",
        commands=("eval",))
    debug: bool = setting(False, help="Unexpected errors print their traceback.",
                          env="POLICYKG_DEBUG")

    @classmethod
    def from_env(cls, data_dir: Path | None = None, **overrides) -> "Settings":
        """The declared defaults, then the environment, then `overrides` (flags; None
        leaves a value as it was); every value checked, so a misspelt setting fails at
        start, not at the first request."""
        values = {**{s.name: v for s in declarations() if (v := env_value(s.name)) is not None},
                  **{k: v for k, v in overrides.items() if v is not None}}
        if data_dir is not None:
            values["data_dir"] = data_dir
        values.setdefault("data_dir", _default_data_dir())
        settings = cls(**values)
        for name, value in values.items():
            check(name, value)
        return settings

    def check_capacity(self) -> None:
        """ValueError unless SPARQL queries, running and waiting, leave searches a thread."""
        if self.sparql_parallel + self.sparql_queue >= self.threads:
            raise ValueError(
                f"sparql_parallel + sparql_queue ({self.sparql_parallel} + "
                f"{self.sparql_queue}) must be fewer than the {self.threads} threads "
                "of a worker, or SPARQL queries could hold every thread searches need")

    @property
    def build_engines(self) -> tuple[str, ...]:
        """The engines a build indexes for: index_engines, else the one that serves."""
        return self.index_engines or (self.search_engine,)

    def search_options(self) -> SearchOptions:
        return SearchOptions(limits=QueryLimits(max_chars=self.max_query_chars,
                                                max_terms=self.max_query_terms),
                             max_page_size=self.max_page_size, timeout=self.search_timeout)

    def virtuoso_config(self) -> VirtuosoConfig:
        return VirtuosoConfig(url=self.virtuoso_url, sql=self.virtuoso_sql,
                              user=self.virtuoso_user, password=self.virtuoso_password,
                              read_user=self.virtuoso_read_user,
                              read_password=self.virtuoso_read_password,
                              http_port=self.virtuoso_http_port,
                              sql_port=self.virtuoso_sql_port, timeout=self.sparql_timeout)

    def sparql_limits(self) -> SparqlLimits:
        return SparqlLimits(timeout=self.sparql_timeout, max_rows=self.sparql_max_rows,
                            max_chars=self.sparql_max_chars, max_parallel=self.sparql_parallel,
                            max_queue=self.sparql_queue,
                            max_memory=self.sparql_memory * 1024 * 1024)


# ---- what is derived from the declarations ---------------------------------------------------

def declarations() -> tuple[dataclasses.Field, ...]:
    return dataclasses.fields(Settings)


def _declaration(name: str) -> dataclasses.Field:
    return next(f for f in declarations() if f.name == name)


def value_type(name: str) -> Any:
    """A setting's type, `X | None` read as X."""
    kind = typing.get_type_hints(Settings)[name]
    # `X | None` reads as X; None is what an unset variable already means
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        kind = next(a for a in typing.get_args(kind) if a is not type(None))
    return kind


def parse(name: str, text: str) -> Any:
    """A setting's value from its written form (an environment variable's text)."""
    kind = value_type(name)
    if kind is bool:
        return text.strip().lower() not in ("", "0", "false", "no", "off")
    if typing.get_origin(kind) is tuple:
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if kind is Path:
        return Path(text).expanduser()
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{_declaration(name).metadata['env']} must be "
                         f"{kind.__name__}, not {text!r}") from None


def env_value(name: str, env: Mapping[str, str] | None = None) -> Any:
    """The value the environment gives one setting, or None (unset or empty)."""
    var = _declaration(name).metadata["env"]
    text = (os.environ if env is None else env).get(var) if var else None
    return parse(name, text) if text else None


def check(name: str, value: Any) -> None:
    """ValueError naming the setting (and its variable) unless `value` is allowed."""
    meta = _declaration(name).metadata
    where = f"{name} ({meta['env']})" if meta["env"] else name
    for v in value if isinstance(value, tuple) else (value,):
        if meta["choices"] and v not in meta["choices"]:
            raise ValueError(f"{where}: {v!r} is not one of {', '.join(meta['choices'])}")
    if meta["minimum"] is not None and value is not None and value < meta["minimum"]:
        raise ValueError(f"{where} must be {meta['minimum']} or more, not {value}")


def default_text(f: dataclasses.Field) -> str:
    """A default as README and --help say it."""
    if f.metadata["shown_default"]:
        return f.metadata["shown_default"]
    value = f.default
    if isinstance(value, tuple):
        return ",".join(value) or "(none)"
    if value is None or value == "":
        return "(none)"
    return str(value).lower() if isinstance(value, bool) else str(value)


def flag_options(command: str) -> Iterator[tuple[dataclasses.Field, str]]:
    """The settings `command` takes as flags, with their flag names (web.cli makes the
    click options)."""
    for f in declarations():
        if f.metadata["flag"] and command in f.metadata["commands"]:
            yield f, f.metadata["flag"]


def flag_help(f: dataclasses.Field) -> str:
    env = f" (env {f.metadata['env']})" if f.metadata["env"] else ""
    return f"{f.metadata['help']} Default: {default_text(f)}{env}."


def _command(command: str) -> str:
    return command if command == "policykg" else f"policykg {command}"


def markdown_table() -> str:
    """README's table of settings, one row per declaration."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")
    rows = ["| setting | environment | flag | default | what it does |", "|---|---|---|---|---|"]
    for f in declarations():
        env, flag = f.metadata["env"], f.metadata["flag"]
        where = ", ".join(f"`{_command(c)} {flag}`" for c in f.metadata["commands"]) if flag else ""
        choices = f" One of: {', '.join(f.metadata['choices'])}." if f.metadata["choices"] else ""
        rows.append(f"| `{f.name}` | {f'`{env}`' if env else ''} | {where} | "
                    f"{cell(default_text(f))} | {cell(f.metadata['help'] + choices)} |")
    return "\n".join(rows) + "\n"
