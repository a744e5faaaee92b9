"""Running untrusted SPARQL safely: read-only, no outbound reads, bounded in time and size.

Queries run in Oxigraph's engine (ontology.graphstore; rdflib's pure-Python one with
`store="memory"`); neither can be interrupted inside a thread, so queries run in a
separate process.  One *zygote* process per generation forks a child for every query
(fork in a single-threaded process is safe and copy-on-write cheap); a child that runs
past its deadline is killed, which really stops the query and frees its slot.  When the
generation has an on-disk store (ontology.diskstore) the zygote holds no graph: each child
opens the store read-only after the fork (RocksDB starts threads when a store opens, so
the zygote never opens it).  Otherwise the zygote loads the graph files once, in memory.
Before a query gets there it is checked here: updates, SERVICE and FROM / FROM NAMED are
refused (rdflib would otherwise fetch URLs or read files), and the size and nesting are
capped.

What a query may spend is bounded three ways: its time (the zygote kills it), its memory
(each child's address space is capped, `Limits.max_memory` above what it inherits: a
600-character query doubling a string with CONCAT reached 5 GB in seconds without it) and
its place in line (`max_parallel` run, `max_queue` wait, per web process; past that the
endpoint answers 429 at once instead of holding a web thread, so searches keep theirs).
Children also run at a lower CPU priority than the web workers.
"""
from __future__ import annotations

import functools
import itertools
import math
import multiprocessing as mp
import os
import resource
import signal
import threading
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import rdflib.plugins.sparql
from rdflib import Graph
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.algebra import translateQuery

from policykg.ontology import diskstore, graphstore
from policykg.ontology.namespaces import PREFIXES


class SparqlError(ValueError):
    """A query the endpoint will not run; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class SparqlBusy(SparqlError):
    """Every slot and every place in the queue is taken: 429, try again after `retry_after`."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many SPARQL queries at once; try again in {retry_after} s", 429)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limits:
    timeout: float = 10.0
    max_rows: int = 10_000
    max_chars: int = 20_000
    max_depth: int = 60          # nesting of { } and ( ): deeper is refused, not a RecursionError
    max_parallel: int = 2        # queries evaluated at once; more wait for a slot
    max_queue: int = 2           # queries waiting for a slot; more are answered 429
    max_memory: int = 1024 * 1024 * 1024    # bytes a query's process may add to what it inherits
    start_timeout: float = 60.0  # seconds the query process may take to load the graph


# Query processes yield the CPU to the web workers (searches) when both want it.
QUERY_NICENESS = 10


@dataclass
class Result:
    kind: str                                  # "SELECT", "ASK", "CONSTRUCT", "DESCRIBE"
    vars: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)   # rdflib terms or None
    boolean: bool | None = None
    triples: list[tuple] = field(default_factory=list)
    truncated: bool = False
    elapsed: float = 0.0


_INIT_NS = {k: v for k, v in PREFIXES.items()}
# Defence in depth: even a FROM that got past check_query never makes rdflib load a graph.
rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
_parse_lock = threading.Lock()


def warm_up() -> None:
    """Parse one query before any thread does.

    pyparsing, under rdflib's SPARQL grammar, breaks when several threads make their first
    parse at the same time (every later query then fails with a TypeError); one parse in
    the main thread at start-up settles its caches.
    """
    with _parse_lock:
        prepareQuery("SELECT * WHERE { ?s ?p ?o } LIMIT 1")


def _nesting(text: str) -> int:
    depth = deepest = 0
    in_string = None
    for ch in text:
        if in_string:
            if ch == in_string:
                in_string = None
            continue
        if ch in "\"'":
            in_string = ch
        elif ch in "{(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "})":
            depth -= 1
    return deepest


def _walk(node, seen=None):
    """Every node of an rdflib algebra tree (CompValues, lists, dicts)."""
    seen = seen if seen is not None else set()
    if id(node) in seen:
        return
    seen.add(id(node))
    yield node
    if isinstance(node, dict):
        for v in node.values():
            yield from _walk(v, seen)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _walk(v, seen)


def check_query(text: str, limits: Limits) -> str:
    """The query's form (SELECT/ASK/CONSTRUCT/DESCRIBE) if it may run; else SparqlError.

    rdflib's parser takes milliseconds to tens of milliseconds per query, more than
    Oxigraph takes to answer most: the verdict on a text seen before is remembered."""
    return _checked(text, limits)


@functools.lru_cache(maxsize=512)
def _checked(text: str, limits: Limits) -> str:
    if not text or not text.strip():
        raise SparqlError("empty query")
    if len(text) > limits.max_chars:
        raise SparqlError(f"query longer than {limits.max_chars} characters", 413)
    if _nesting(text) > limits.max_depth:
        raise SparqlError(f"query nested deeper than {limits.max_depth} levels")
    try:
        with _parse_lock:
            parsed = parseQuery(text)
            algebra = translateQuery(parsed, initNs=_INIT_NS)
    except RecursionError:
        raise SparqlError("query nested too deeply") from None
    except Exception as exc:
        if _is_update(text):
            raise SparqlError("updates are refused: this endpoint is read-only", 403) from None
        if _is_empty(text):
            raise SparqlError("empty query: only comments or PREFIX / BASE lines, no "
                              "SELECT, ASK, CONSTRUCT or DESCRIBE") from None
        raise SparqlError(f"query does not parse: {str(exc).splitlines()[0][:200]}") from None
    if "datasetClause" in parsed[1]:
        raise SparqlError("FROM / FROM NAMED are refused: the endpoint queries its own graph "
                          "and reads no other file or URL")
    for node in _walk(algebra.algebra):
        if getattr(node, "name", None) == "ServiceGraphPattern":
            raise SparqlError("SERVICE is refused: the endpoint opens no outbound connection")
    return algebra.algebra.name.replace("Query", "").upper()


def _update_operations(text: str) -> int | None:
    """The operations of `text` read as an update; None if it is not one.  Comments and
    PREFIX / BASE lines alone are an update of none: an empty query, not an update."""
    try:
        with _parse_lock:
            parsed = parseUpdate(text)
    except Exception:
        return None
    return len(parsed["request"]) if "request" in parsed else 0


def _is_update(text: str) -> bool:
    return bool(_update_operations(text))


def _is_empty(text: str) -> bool:
    return _update_operations(text) == 0


# ---- evaluation in a child process ---------------------------------------------------------------

def _evaluate(graph: Graph, text: str, max_rows: int, kind: str = "CONSTRUCT") -> Result:
    store = graphstore.native(graph)
    if store is not None:
        return _evaluate_native(store, text, max_rows, kind)
    started = time.perf_counter()
    res = graph.query(text, initNs=_INIT_NS)
    out = Result(kind=res.type)
    if res.type == "SELECT":
        out.vars = [str(v) for v in res.vars]
        for row in res:
            if len(out.rows) >= max_rows:
                out.truncated = True
                break
            out.rows.append(list(row))
    elif res.type == "ASK":
        out.boolean = bool(res.askAnswer)
    else:
        for triple in res:
            if len(out.triples) >= max_rows:
                out.truncated = True
                break
            out.triples.append(triple)
    out.elapsed = time.perf_counter() - started
    return out


def _evaluate_native(store, text: str, max_rows: int, kind: str) -> Result:
    """The same Result, evaluated by Oxigraph's engine, terms converted to rdflib's."""
    import pyoxigraph as ox
    started = time.perf_counter()
    res = graphstore.query(store, text)
    if isinstance(res, ox.QueryBoolean):
        out = Result(kind="ASK", boolean=bool(res))
    elif isinstance(res, ox.QuerySolutions):
        names, rows = graphstore.solution_rows(res)
        out = Result(kind="SELECT", vars=names)
        for row in rows:
            if len(out.rows) >= max_rows:
                out.truncated = True
                break
            out.rows.append([graphstore.to_rdflib(t) for t in row])
    else:
        out = Result(kind=kind if kind in ("CONSTRUCT", "DESCRIBE") else "CONSTRUCT")
        for triple in res:
            if len(out.triples) >= max_rows:
                out.truncated = True
                break
            out.triples.append(graphstore.to_rdflib(triple))
    out.elapsed = time.perf_counter() - started
    return out


def _address_space() -> int:
    """This process's virtual size in bytes (what RLIMIT_AS counts)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _confine(max_memory: int) -> None:
    """Cap a query child's address space at what it inherited plus `max_memory`, and lower
    its priority.  An allocation past the cap fails: MemoryError in Python, an abort in
    Oxigraph's Rust (the zygote reports either as the memory limit)."""
    os.putenv("RUST_BACKTRACE", "0")        # the abort says one line, not a backtrace
    limit = _address_space() + max_memory
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.nice(QUERY_NICENESS)


def _memory_error(limits: Limits) -> SparqlError:
    return SparqlError(f"query stopped: it needed more memory than a query may use "
                       f"({limits.max_memory // (1024 * 1024)} MB)", 503)


def _child(graph: Graph | None, text: str, kind: str, limits: Limits, conn: Connection,
           store_folder: Path | None = None) -> None:
    try:
        if graph is None:
            # The on-disk store, opened here, after the fork: RocksDB starts threads when
            # a store opens, and a process with threads must not fork.  (~10-30 ms.)
            graph = diskstore.open_read_only(store_folder)
        # Capped once the store is open: its threads reserve ~300 MB of address space
        # (stacks, malloc arenas) that the query never uses.
        _confine(limits.max_memory)
        conn.send(("ok", _evaluate(graph, text, limits.max_rows, kind)))
    except RecursionError:
        conn.send(("error", SparqlError("query nested too deeply")))
    except MemoryError:
        conn.send(("error", SparqlError("query needs more memory than the endpoint allows", 503)))
    except Exception as exc:
        conn.send(("error", SparqlError(f"query failed: {type(exc).__name__}: "
                                        f"{str(exc)[:200]}")))
    finally:
        conn.close()


def _zygote(graph_files: list[str], store: str, limits: Limits, conn: Connection,
            store_folder: str | None = None) -> None:
    """Load the graph once (unless it is on disk: each child opens it); fork a child per
    query; kill children past their deadline."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    folder = Path(store_folder) if store_folder else None
    try:
        graph = None if folder else load_graph_file([Path(f) for f in graph_files], store)
    except Exception as exc:        # said at once to every query, not after a long wait
        conn.send(("failed", f"{type(exc).__name__}: {str(exc)[:300]}"))
        return
    if graph is not None and graphstore.native(graph) is None:
        prepareQuery("ASK { }")
    running: dict[Connection, tuple[int, int, float]] = {}   # pipe → (query id, pid, deadline)
    waiting: list[tuple[int, str, str]] = []   # (query id, text, form checked by the caller)
    conn.send(("ready", None if graph is None else len(graph)))   # on disk: not counted
    while True:
        while waiting and len(running) < limits.max_parallel:
            qid, text, kind = waiting.pop(0)
            r, w = mp.Pipe(duplex=False)
            pid = os.fork()
            if pid == 0:           # the child: evaluate and leave without cleanup handlers
                r.close()
                _child(graph, text, kind, limits, w, folder)
                os._exit(0)
            w.close()
            running[r] = (qid, pid, time.monotonic() + limits.timeout)
        timeout = max(0.0, min((d for _, _, d in running.values()), default=time.monotonic() + 1)
                      - time.monotonic())
        ready = wait([conn, *running], timeout=min(timeout, 1.0))
        for r in ready:
            if r is conn:
                try:
                    msg = conn.recv()
                except EOFError:
                    _kill_all(running)
                    return
                if msg is None:
                    _kill_all(running)
                    return
                waiting.append(msg)
                continue
            qid, pid, _ = running.pop(r)
            try:
                answer = r.recv()
            except EOFError:        # died without answering: an allocation past the cap
                answer = ("error", _memory_error(limits))
            r.close()
            os.waitpid(pid, 0)
            conn.send((qid, *answer))
        now = time.monotonic()
        for r, (qid, pid, deadline) in list(running.items()):
            if now >= deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                r.close()
                del running[r]
                conn.send((qid, "error", SparqlError(
                    f"query stopped after {limits.timeout:g} s (the endpoint's time limit)", 503)))


def _kill_all(running) -> None:
    for _, pid, _ in running.values():
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass


def load_graph_file(paths: Path | list[Path], store: str = graphstore.DEFAULT_STORE) -> Graph:
    """The graph file(s) in the named store (an Oxigraph in-memory store starts no
    threads, so forking a child per query stays safe)."""
    return graphstore.load_graph(paths, store)


class SparqlRunner:
    """The endpoint's side of the zygote: thread-safe, one instance per served generation."""

    def __init__(self, graph_files: Path | list[Path], limits: Limits,
                 store: str = graphstore.DEFAULT_STORE, store_folder: Path | None = None):
        """`store_folder`: a generation folder with an on-disk store (ontology.diskstore,
        Generation.store_folder); queries then read it and `graph_files` are not loaded."""
        self.limits = limits
        files = [str(p) for p in graphstore.graph_paths(graph_files)]
        folder = str(store_folder) if store_folder is not None else None
        ctx = mp.get_context("spawn")        # safe from a threaded server; loads the graph itself
        self._conn, child_conn = ctx.Pipe()
        self._proc = ctx.Process(target=_zygote,
                                 args=(files, graphstore.check_store(store), limits, child_conn,
                                       folder),
                                 daemon=True, name="policykg-sparql")
        self._proc.start()
        child_conn.close()
        self._ids = itertools.count(1)
        self._send_lock = threading.Lock()
        self._pending: dict[int, tuple[threading.Event, list]] = {}
        self._pending_lock = threading.Lock()
        self._ready = threading.Event()
        self._failure: str | None = None      # why the query process stopped or never started
        self._admitted = 0                    # queries running or waiting here
        self._admit_lock = threading.Lock()
        self.triples: int | None = 0    # None when the graph is on disk (not counted)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                msg = self._conn.recv()
            except (EOFError, OSError):
                self._stopped("the query process stopped")
                return
            if msg[0] == "ready":
                self.triples = msg[1]
                self._ready.set()
                continue
            if msg[0] == "failed":
                self._stopped(f"the query process could not load the graph ({msg[1]})")
                return
            qid, status, payload = msg
            with self._pending_lock:
                slot = self._pending.pop(qid, None)
            if slot:
                slot[1].extend([status, payload])
                slot[0].set()

    def _stopped(self, reason: str) -> None:
        """The process is gone: every query waiting, and every later one, is told why at
        once (web.app.State starts a new process for the next request)."""
        self._failure = reason
        self._ready.set()
        self._fail_all(SparqlError(reason, 503))

    def _fail_all(self, error: SparqlError) -> None:
        with self._pending_lock:
            slots, self._pending = list(self._pending.values()), {}
        for event, box in slots:
            box.extend(["error", error])
            event.set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    @property
    def alive(self) -> bool:
        return self._failure is None and self._proc.is_alive()

    @property
    def retry_after(self) -> int:
        """Seconds after which a slot is likely free: a query holds one at most this long."""
        return max(1, math.ceil(self.limits.timeout))

    def run(self, text: str) -> Result:
        """Check and evaluate one query; SparqlError for anything the endpoint refuses,
        SparqlBusy (429) when `max_parallel` run and `max_queue` wait already."""
        with self._admit_lock:
            if self._admitted >= self.limits.max_parallel + self.limits.max_queue:
                raise SparqlBusy(self.retry_after)
            self._admitted += 1
        try:
            return self._run(text)
        finally:
            with self._admit_lock:
                self._admitted -= 1

    def _run(self, text: str) -> Result:
        kind = check_query(text, self.limits)
        if not self._ready.wait(self.limits.start_timeout):
            raise SparqlError("the graph is still loading; try again shortly", 503)
        qid = next(self._ids)
        event, box = threading.Event(), []
        with self._pending_lock:
            self._pending[qid] = (event, box)
        try:
            if self._failure is not None:    # checked after registering: _stopped misses none
                raise SparqlError(self._failure, 503)
            with self._send_lock:
                self._conn.send((qid, text, kind))
        except (OSError, SparqlError) as exc:
            with self._pending_lock:
                self._pending.pop(qid, None)
            if isinstance(exc, SparqlError):
                raise
            raise SparqlError("the query process stopped", 503) from None
        # The zygote enforces the deadline; waiting here is bounded by it plus the queue.
        if not event.wait(self.limits.timeout * 4 + 30):
            raise SparqlError("query timed out waiting for a free slot", 503)
        status, payload = box
        if status == "error":
            raise payload
        return payload

    def close_when_idle(self, grace: float = 1.0) -> None:
        """Close in the background once the queries already on their way are answered.

        A generation switch must neither wait for nor cut short the queries still running
        on the generation they started with; `grace` covers a query whose thread took
        this runner just before the switch and is still checking its text.
        """
        def later() -> None:
            time.sleep(grace)
            deadline = time.monotonic() + self.limits.timeout * 4 + 30
            while time.monotonic() < deadline:
                with self._pending_lock:
                    if not self._pending:
                        break
                time.sleep(0.05)
            self.close()
        threading.Thread(target=later, daemon=True, name="policykg-sparql-retire").start()

    def close(self) -> None:
        try:
            with self._send_lock:
                self._conn.send(None)
        except (OSError, BrokenPipeError):
            pass
        self._proc.join(2)
        if self._proc.is_alive():
            self._proc.kill()


def describe_error(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


# ---- serialising results -------------------------------------------------------------------------

SELECT_FORMATS = {
    "application/sparql-results+json": "json", "application/json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
GRAPH_FORMATS = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "application/ld+json": "json-ld",
    "application/n-triples": "nt", "text/plain": "nt", "application/rdf+xml": "xml",
}
SHORT_NAMES = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
               "csv": "text/csv", "tsv": "text/tab-separated-values", "ttl": "text/turtle",
               "turtle": "text/turtle", "jsonld": "application/ld+json",
               "json-ld": "application/ld+json", "nt": "application/n-triples",
               "rdfxml": "application/rdf+xml"}


def serialize(result: Result, mime: str) -> bytes:
    """The result in the SPARQL 1.1 results format (or RDF syntax) named by `mime`."""
    from rdflib.query import Result as RdflibResult
    from rdflib.term import Variable

    if result.kind in ("SELECT", "ASK"):
        fmt = SELECT_FORMATS[mime]
        out = RdflibResult(result.kind)
        if result.kind == "SELECT":
            out.vars = [Variable(v) for v in result.vars]
            out.bindings = [{Variable(v): t for v, t in zip(result.vars, row) if t is not None}
                            for row in result.rows]
        else:
            out.askAnswer = bool(result.boolean)
        if fmt == "tsv":
            return _tsv(result)
        if fmt == "csv" and result.kind == "ASK":
            # SPARQL 1.1's CSV is defined for SELECT only (rdflib refuses ASK): a header
            # and the answer, so a CSV reader still gets a column.
            return b"boolean\n" + (b"true\n" if result.boolean else b"false\n")
        return out.serialize(format=fmt) or b""
    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
    for triple in result.triples:
        graph.add(triple)
    if GRAPH_FORMATS[mime] == "json-ld":       # compacted with the project's prefixes
        return graph.serialize(format="json-ld", encoding="utf-8",
                               context={p: str(ns) for p, ns in PREFIXES.items()})
    return graph.serialize(format=GRAPH_FORMATS[mime], encoding="utf-8")


def _tsv(result: Result) -> bytes:
    """SPARQL 1.1 TSV (rdflib has no serializer for it): terms in their Turtle form."""
    if result.kind == "ASK":
        return b"true\n" if result.boolean else b"false\n"
    lines = ["\t".join(f"?{v}" for v in result.vars)]
    for row in result.rows:
        lines.append("\t".join("" if t is None else t.n3().replace("\t", "\\t")
                               .replace("\n", "\\n") for t in row))
    return ("\n".join(lines) + "\n").encode("utf-8")


# The short names each query form comes in (`policykg sparql --format`); a graph's json
# is JSON-LD.
FORM_NAMES = {"SELECT": ("json", "csv", "tsv", "xml"), "GRAPH": ("json", "ttl", "nt", "rdfxml")}


def format_for(kind: str, fmt: str) -> str:
    """The response type the short name `fmt` asks of a query form; SparqlError when that
    form has no such serialisation (a SELECT as Turtle …)."""
    form = "SELECT" if kind in ("SELECT", "ASK") else "GRAPH"
    if fmt not in FORM_NAMES[form]:
        raise SparqlError(f"{kind} results come as {', '.join(FORM_NAMES[form])}, not {fmt}")
    return SHORT_NAMES["jsonld" if (form, fmt) == ("GRAPH", "json") else fmt]


def negotiate(kind: str, accept: str | None, fmt: str | None = None) -> str:
    """The response type for a query form, from ?format= or the Accept header."""
    table = SELECT_FORMATS if kind in ("SELECT", "ASK") else GRAPH_FORMATS
    default = "application/sparql-results+json" if kind in ("SELECT", "ASK") else "text/turtle"
    if fmt:
        mime = SHORT_NAMES.get(fmt.lower(), fmt)
        if mime in table:
            return mime
    for part in (accept or "").split(","):
        mime = part.split(";")[0].strip().lower()
        if mime in table:
            return mime
    return default
