"""A generation's graph in Virtuoso, read over the SPARQL 1.1 Protocol.

`policykg build` loads each generation's N-Triples into a Virtuoso server as one named graph
(ontology.virtuoso_load); its IRI is written into the generation folder (`virtuoso.json`),
so every reader of that folder — each web worker, each replica with a copy of it — asks
Virtuoso about the same graph, and switching the `current` link switches the graph.

Every question goes over HTTP to the endpoint, as a form POST with the generation's graph
as `default-graph-uri` and a graph that holds nothing as the only `named-graph-uri`:
without them Virtuoso also answers from its system graphs and from every other generation.
The account is a read-only one (Virtuoso's anonymous SPARQL user, or a reader given in the
settings).  The endpoint's own guard (ontology.sparql.check_query) runs first, and refuses
Virtuoso's bif: and sql: functions too; each query is sent with the endpoint's time limit
(`timeout`) and its row limit + 1 (`maxrows`).

Virtuoso's partial answers look like success, so they are read from its headers:
- rows cut at the server's ResultSetMaxRows (or `maxrows`) come back 200 with
  `X-SPARQL-MaxRows: N` (also when exactly N rows were asked for: N rows with that header
  count as cut); a CONSTRUCT cut there says nothing at all, so the limit is read when the
  graph is loaded (`Target.result_rows`) and an answer that long counts as cut;
- a query that runs past its `timeout` comes back 200 with `X-SQL-State: S1TAT` and
  whatever rows it had ("anytime" queries).
The endpoint reports the first as truncated and the second as timed out (503, as the
Oxigraph store's time limit); the pages' questions (`VirtuosoStore`) fail on either
(IncompleteAnswer), never showing part of an answer as the whole.

Virtuoso gives some values back in another lexical form than it was given: xsd:boolean as
"1" / "0", numbers canonical ("2.50" → "2.5", as Oxigraph does too), language tags in
lower case (the graph's are "zh"); graph answers come as N-Triples (its JSON for them drops
language tags).  `term` reads them back as the Oxigraph store does
(ontology.graphstore.to_rdflib), so both stores answer alike.  Where Virtuoso answers
otherwise by design (measured on 7.2.5, README): DESCRIBE gives the triples in and out; a
`+` / `*` path may repeat a row and needs one end bound; a `true` in a pattern matches the
number 1 too; long strings sort by their first characters only, and STRLEN of one fails
under an ORDER BY.
"""
from __future__ import annotations

import functools
import json
import math
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.query import Result as RdflibResult
from rdflib.store import Store
from rdflib.term import Variable

from policykg.ontology import graphstore
from policykg.ontology import namespaces as ns
from policykg.ontology.sparql import Limits, Result, SparqlBusy, SparqlError, check_query

STORE = "virtuoso"                      # the graph store's name in the settings
MANIFEST = "virtuoso.json"              # in a generation folder: its graph, once loaded
# The one named graph queries may see: none (the generation's graph is the default graph,
# as it is the Oxigraph store's; GRAPH ?g { … } finds nothing on either).
NO_NAMED_GRAPH = "urn:policykg:no-named-graph"
JSON_RESULTS = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
# Seconds a page's question may take (the endpoint's are its own, Limits.timeout).
READ_TIMEOUT = 30.0

_XSD = str(XSD)
_XSD_STRING = _XSD + "string"
_XSD_BOOLEAN = _XSD + "boolean"
_XSD_DECIMAL = _XSD + "decimal"
_BOOLEANS = {"1": "true", "0": "false"}
# Virtuoso's own function namespaces: it refuses most of them to the SPARQL user, and the
# endpoint refuses them all before they get there.
_VIRTUOSO_FUNCTIONS = re.compile(r"<\s*(?:bif|sql):", re.I)
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.I)


class VirtuosoUnavailable(RuntimeError):
    """The Virtuoso server did not answer (not running, wrong address, network)."""


class IncompleteAnswer(RuntimeError):
    """Virtuoso answered part of a question (cut at its row limit or stopped at its time
    limit): never to be shown as the whole answer."""


@dataclass(frozen=True)
class Endpoint:
    """Where the graph is queried: the server's HTTP address and the read-only account.

    No user: the anonymous `/sparql` (Virtuoso's SPARQL user, read-only on a managed
    server).  A user: `/sparql-auth` with HTTP digest authentication."""
    base: str                          # http://host:port
    user: str = ""
    password: str = ""

    @property
    def url(self) -> str:
        return self.base.rstrip("/") + ("/sparql-auth" if self.user else "/sparql")

    def __repr__(self) -> str:         # never the password in a log or a traceback
        return f"Endpoint({self.url!r}, user={self.user!r})"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]            # lower-cased names
    body: bytes


@functools.lru_cache(maxsize=8)
def _opener(endpoint: Endpoint) -> urllib.request.OpenerDirector:
    # No proxy: the server is reached directly (a loopback address through an
    # HTTP_PROXY of the environment would not be).
    handlers: list[Any] = [urllib.request.ProxyHandler({})]
    if endpoint.user:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, endpoint.url, endpoint.user, endpoint.password)
        handlers.append(urllib.request.HTTPDigestAuthHandler(passwords))
    return urllib.request.build_opener(*handlers)


def post(endpoint: Endpoint, params: Sequence[tuple[str, str]], seconds: float,
         accept: str = JSON_RESULTS) -> Reply:
    """One SPARQL Protocol request (a form POST); VirtuosoUnavailable if nothing answers,
    TimeoutError if the answer does not come within `seconds`."""
    request = urllib.request.Request(
        endpoint.url, data=urllib.parse.urlencode(params).encode("utf-8"),
        headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with _opener(endpoint).open(request, timeout=seconds) as resp:
            return Reply(resp.status, _lower(resp.headers), resp.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, _lower(exc.headers), exc.read())
    except (socket.timeout, TimeoutError):
        raise TimeoutError(f"Virtuoso did not answer within {seconds:g} s") from None
    except (urllib.error.URLError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise VirtuosoUnavailable(f"Virtuoso at {endpoint.base} does not answer: {reason}") \
            from None


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in (headers.items() if headers else ())}


def prologue(extra: dict | None = None) -> str:
    """The project's prefixes as PREFIX lines: queries are written with them predeclared,
    and Virtuoso's own (schema: is http://schema.org/ there) must not stand in.  A PREFIX
    the query declares itself comes later and wins."""
    prefixes = {**{k: str(v) for k, v in ns.PREFIXES.items()},
                **{k: str(v) for k, v in (extra or {}).items()}}
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in prefixes.items())


@dataclass(frozen=True)
class Target:
    """The graph queries are asked of, and the most rows its server gives in one answer
    (its ResultSetMaxRows, read when the graph was loaded; None: not known).  A graph
    result (CONSTRUCT, DESCRIBE) that reaches it is cut without any header saying so."""
    graph: str
    result_rows: int | None = None


@dataclass(frozen=True)
class Answer:
    """A SELECT or ASK answer, or a graph answer (CONSTRUCT, DESCRIBE) as ?s ?p ?o rows,
    with what Virtuoso's headers said about it."""
    vars: list[str]
    rows: list[list[Any]]              # rdflib terms or None
    boolean: bool | None
    cut_at: int | None                 # the server's row limit was reached: cut there
    timed_out: bool                    # X-SQL-State: S1TAT: stopped at the time limit
    elapsed: float

    @property
    def cut(self) -> bool:
        return self.cut_at is not None and len(self.rows) >= self.cut_at


GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")


def ask(endpoint: Endpoint, target: Target, text: str, timeout: float, form: str = "SELECT",
        prefixes: dict | None = None, max_rows: int | None = None) -> Answer:
    """Run one query of the given form on the target graph (the default graph, no named
    graphs), stopped by Virtuoso after `timeout` seconds, a SELECT cut after `max_rows`
    rows (its `maxrows`; the server's ResultSetMaxRows when lower, or when None).

    SELECT and ASK come as SPARQL results JSON; CONSTRUCT and DESCRIBE as N-Triples (in
    JSON Virtuoso drops their language tags).  A refusal or error of Virtuoso's is a
    SparqlError with its first line; no answer at all is VirtuosoUnavailable or
    TimeoutError."""
    params = [("query", prologue(prefixes) + text), ("default-graph-uri", target.graph),
              ("named-graph-uri", NO_NAMED_GRAPH),
              ("timeout", str(max(1, int(timeout * 1000))))]
    if max_rows is not None:
        params.append(("maxrows", str(max_rows)))
    graph_form = form in GRAPH_FORMS
    started = time.perf_counter()
    # The server stops the query at `timeout`; the socket waits a little longer for it.
    reply = post(endpoint, params, timeout + 10,
                 accept=N_TRIPLES if graph_form else JSON_RESULTS)
    elapsed = time.perf_counter() - started
    timed_out = reply.headers.get("x-sql-state", "").upper() == "S1TAT"
    if reply.status != 200:
        message = _first_line(reply.body)
        if "S1TAT" in message or "SR171" in message:     # timed out before any row
            return Answer([], [], None, None, True, elapsed)
        raise SparqlError(f"query failed: Virtuoso: {message}",
                          403 if "SECURITY" in message else
                          503 if reply.status in (502, 503, 504) else 400)
    if graph_form:
        rows = _triples(reply.body)
        cut_at = target.result_rows if target.result_rows and len(rows) >= target.result_rows \
            else None
        return Answer(["s", "p", "o"], rows, None, cut_at, timed_out, elapsed)
    try:
        data = json.loads(reply.body)
    except ValueError:
        raise SparqlError(f"query failed: Virtuoso answered {reply.headers.get('content-type')}"
                          f", not SPARQL results JSON", 502) from None
    cut = reply.headers.get("x-sparql-maxrows")
    cut_at = int(cut) if cut and cut.isdigit() else None
    if "boolean" in data:
        return Answer([], [], bool(data["boolean"]), cut_at, timed_out, elapsed)
    names = list(data.get("head", {}).get("vars", []))
    rows = [[term(b[v]) if v in b else None for v in names]
            for b in data.get("results", {}).get("bindings", [])]
    return Answer(names, rows, None, cut_at, timed_out, elapsed)


def _triples(body: bytes) -> list[list[Any]]:
    """Virtuoso's N-Triples as rows of rdflib terms, read as the Oxigraph store reads."""
    try:
        quads = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
        return [[_normal(graphstore.to_rdflib(t)) for t in (q.subject, q.predicate, q.object)]
                for q in quads]
    except SyntaxError as exc:
        raise SparqlError(f"query failed: Virtuoso's N-Triples do not parse: {exc}", 502) \
            from None


def _normal(t: Any) -> Any:
    if isinstance(t, Literal) and t.datatype is not None and str(t.datatype) == _XSD_BOOLEAN:
        return Literal(_BOOLEANS.get(str(t), str(t)), datatype=t.datatype)
    return t


def _first_line(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    return (text.splitlines() or ["(no message)"])[0][:300]


def term(binding: dict) -> Any:
    """One SPARQL JSON binding as the rdflib term the Oxigraph store gives for it."""
    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value.removeprefix("nodeID://").removeprefix("_:"))
    if binding.get("xml:lang"):
        return Literal(value, lang=binding["xml:lang"])
    dt = binding.get("datatype")
    if dt is None or dt == _XSD_STRING:
        return Literal(value)
    if dt == _XSD_BOOLEAN:
        value = _BOOLEANS.get(value, value)
    elif dt == _XSD_DECIMAL and "." not in value and "e" not in value.lower():
        value += ".0"                    # as graphstore.to_rdflib reads Oxigraph's decimals
    return Literal(value, datatype=URIRef(dt))


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first form keyword after the prologue (the
    PREFIX and BASE lines hold only names and IRIs)."""
    body = re.sub(r"<[^<>\s]*>", "<>", text)           # IRIs may hold the words
    body = re.sub(r"#[^\n]*", "", body)
    m = _FORM.search(body)
    return m.group(1).upper() if m else "SELECT"


# ---- the endpoint: SparqlRunner's interface over Virtuoso ----------------------------------------

def check_functions(text: str) -> None:
    """Refuse Virtuoso's own function namespaces (bif:, sql:): SQL built-ins and stored
    procedures, of which the guard knows nothing."""
    if _VIRTUOSO_FUNCTIONS.search(text):
        raise SparqlError("bif: and sql: functions are refused: the endpoint runs SPARQL only")


def evaluate(endpoint: Endpoint, target: Target, text: str, kind: str, limits: Limits) -> Result:
    """The endpoint's Result of a checked query: at most limits.max_rows rows, truncated
    when there were more or Virtuoso cut them; a query Virtuoso stopped at the time limit
    is refused as the Oxigraph store's are (503), whatever rows it had."""
    try:
        # one row more than is kept: Virtuoso serialises no more than that, and a
        # full answer says there were more
        answer = ask(endpoint, target, text, limits.timeout, kind,
                     max_rows=limits.max_rows + 1)
    except TimeoutError:
        answer = Answer([], [], None, None, True, limits.timeout)
    except VirtuosoUnavailable as exc:
        raise SparqlError(f"the graph store is unavailable: {exc}", 503) from None
    if answer.timed_out:
        raise SparqlError(f"query stopped after {limits.timeout:g} s (the endpoint's time "
                          "limit)", 503)
    truncated = answer.cut or len(answer.rows) > limits.max_rows
    rows = answer.rows[:limits.max_rows]
    if kind == "ASK":
        return Result(kind="ASK", boolean=bool(answer.boolean), elapsed=answer.elapsed)
    if kind in GRAPH_FORMS:
        return Result(kind=kind, triples=[tuple(r) for r in rows],
                      truncated=truncated, elapsed=answer.elapsed)
    return Result(kind="SELECT", vars=answer.vars, rows=rows, truncated=truncated,
                  elapsed=answer.elapsed)


class VirtuosoRunner:
    """The SPARQL endpoint's runner (SparqlRunner's interface) over a Virtuoso graph: the
    guard here, the evaluation there (Virtuoso's own threads; nothing to fork or kill).
    As SparqlRunner: at most limits.max_parallel queries at once per process, up to
    limits.max_queue waiting for a slot, and SparqlBusy (429) past that."""

    def __init__(self, endpoint: Endpoint, target: Target, limits: Limits):
        self.endpoint, self.target, self.limits = endpoint, target, limits
        self._slots = threading.BoundedSemaphore(limits.max_parallel)
        self._admit_lock = threading.Lock()
        self._admitted = 0
        self.triples: int | None = None        # not counted (as the on-disk store)

    @property
    def alive(self) -> bool:
        return True                           # a server that went away is a 503 per query

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.limits.timeout))

    def wait_ready(self, timeout: float | None = None) -> bool:
        return True

    def run(self, text: str) -> Result:
        with self._admit_lock:
            if self._admitted >= self.limits.max_parallel + self.limits.max_queue:
                raise SparqlBusy(self.retry_after)
            self._admitted += 1
        try:
            kind = check_query(text, self.limits)
            check_functions(text)
            if not self._slots.acquire(timeout=self.limits.timeout * 4 + 30):
                raise SparqlError("query timed out waiting for a free slot", 503)
            try:
                return evaluate(self.endpoint, self.target, text, kind, self.limits)
            finally:
                self._slots.release()
        finally:
            with self._admit_lock:
                self._admitted -= 1

    def close_when_idle(self, grace: float = 1.0) -> None:
        """Nothing to close: a query still running on the old graph finishes there."""

    def close(self) -> None:
        """Nothing to close (connections are made per request)."""


# ---- the pages' graph: an rdflib Store over the endpoint ---------------------------------------

class VirtuosoStore(Store):
    """A read-only rdflib Store whose triples are one Virtuoso graph: `/id/…`, exports and
    the CLI keep the rdflib Graph API.  Each triple pattern is one SELECT (the whole graph
    is read from the files it was loaded from); a SPARQL string runs in Virtuoso's engine.
    Any partial answer raises IncompleteAnswer."""

    context_aware = False
    graph_aware = False

    def __init__(self, endpoint: Endpoint, target: Target, files: Sequence[Path] = (),
                 timeout: float = READ_TIMEOUT):
        super().__init__()
        self.endpoint, self.target, self.timeout = endpoint, target, timeout
        # The N-Triples files the graph was loaded from: the whole graph is read from them
        # (an export) rather than paged out of the server in sorted slices.
        self.files = tuple(Path(f) for f in files)
        self._prefixes: dict[str, URIRef] = {}

    # -- reading
    def select(self, text: str, prefixes: dict | None = None) -> tuple[list[str], list[list[Any]]]:
        """A SELECT's variables and every row of it."""
        answer = self._ask(text, "SELECT", prefixes)
        if answer.cut:
            raise IncompleteAnswer(f"Virtuoso cut the answer at {answer.cut_at} rows "
                                   "(its ResultSetMaxRows); the question must ask for fewer")
        return answer.vars, answer.rows

    def _ask(self, text: str, form: str, prefixes: dict | None = None) -> Answer:
        answer = ask(self.endpoint, self.target, text, self.timeout, form, prefixes)
        if answer.timed_out:
            raise IncompleteAnswer(f"Virtuoso stopped the question after {self.timeout:g} s")
        return answer

    def triples(self, triple_pattern, context=None) -> Iterator:
        """The triples matching a pattern, in one answer (Virtuoso will not sort past its
        MaxSortedTopRows, 10,000 by default, to page one, so an answer its ResultSetMaxRows
        cuts raises IncompleteAnswer); the whole graph from the files it was loaded from."""
        s, p, o = triple_pattern
        if isinstance(s, Literal) or isinstance(p, Literal) or not all(
                t is None or isinstance(t, (URIRef, Literal)) for t in (s, p, o)):
            return     # rdflib's serializers ask such questions; a blank node has no name
        if s is None and p is None and o is None and self.files:
            yield from ((t, iter((context,))) for t in self._file_triples())
            return
        names = [n for n, t in (("s", s), ("p", p), ("o", o)) if t is None]
        pattern = " ".join(f"?{n}" if t is None else t.n3() for n, t in
                           (("s", s), ("p", p), ("o", o)))
        text = (f"SELECT {' '.join(f'?{n}' for n in names)} WHERE {{ {pattern} }}" if names
                else f"SELECT * WHERE {{ {pattern} }} LIMIT 1")
        for row in self.select(text)[1]:
            got = dict(zip(names, row))
            yield (got.get("s", s), got.get("p", p), got.get("o", o)), iter((context,))

    def _file_triples(self) -> Iterator[tuple]:
        for path in self.files:
            for q in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES):
                yield (graphstore.to_rdflib(q.subject), graphstore.to_rdflib(q.predicate),
                       graphstore.to_rdflib(q.object))

    def __len__(self, context=None) -> int:
        rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[1]
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0

    def query(self, query, initNs, initBindings, queryGraph, **kwargs) -> RdflibResult:
        """A SPARQL string without bindings runs in Virtuoso; anything else (a prepared
        query, bindings) in rdflib's engine over `triples` (NotImplementedError)."""
        if not isinstance(query, str) or initBindings or kwargs:
            raise NotImplementedError
        form = query_form(query)
        return as_rdflib_result(form, self._ask(query, form, dict(initNs or {})))

    # -- prefixes (kept for serialising; the graph has none of its own)
    def bind(self, prefix: str, namespace: URIRef, override: bool = True) -> None:
        if override or prefix not in self._prefixes:
            self._prefixes[prefix] = URIRef(namespace)

    def namespace(self, prefix: str) -> URIRef | None:
        return self._prefixes.get(prefix)

    def prefix(self, namespace: URIRef) -> str | None:
        return next((p for p, n in self._prefixes.items() if n == namespace), None)

    def namespaces(self) -> Iterator[tuple[str, URIRef]]:
        yield from list(self._prefixes.items())

    # -- never written
    def add(self, triple, context=None, quoted=False) -> None:
        raise TypeError("the Virtuoso graph is read-only here: policykg build loads it")

    def addN(self, quads: Iterable) -> None:
        raise TypeError("the Virtuoso graph is read-only here: policykg build loads it")

    def remove(self, triple, context=None) -> None:
        raise TypeError("the Virtuoso graph is read-only here: policykg build loads it")


def as_rdflib_result(kind: str, answer: Answer) -> RdflibResult:
    """An answer as an rdflib Result (for code that formats rdflib results); a cut one
    raises IncompleteAnswer."""
    if answer.cut:
        raise IncompleteAnswer(f"Virtuoso cut the answer at {answer.cut_at} rows "
                               "(its ResultSetMaxRows)")
    if kind == "ASK":
        out = RdflibResult("ASK")
        out.askAnswer = bool(answer.boolean)
    elif kind in GRAPH_FORMS:
        out = RdflibResult("CONSTRUCT")
        out.graph = Graph()
        ns.bind_prefixes(out.graph)
        for row in answer.rows:
            out.graph.add(tuple(row))
    else:
        out = RdflibResult("SELECT")
        out.vars = [Variable(n) for n in answer.vars]
        out.bindings = [{v: t for v, t in zip(out.vars, row) if t is not None}
                        for row in answer.rows]
    return out


def open_graph(endpoint: Endpoint, target: Target, files: Sequence[Path] = ()) -> Graph:
    """The generation's Virtuoso graph as an rdflib Graph (read-only)."""
    out = Graph(store=VirtuosoStore(endpoint, target, files))
    ns.bind_prefixes(out)
    return out


# ---- which graph a generation's folder names ------------------------------------------------------

@dataclass(frozen=True)
class Loaded:
    """What `virtuoso.json` says of a generation's graph."""
    graph: str                 # its IRI in the server
    state: str                 # "loading" (written first) or "loaded" (written last)
    triples: int = 0
    seconds: float = 0.0
    result_rows: int | None = None     # the server's ResultSetMaxRows when it was loaded


def read_manifest(folder: Path) -> Loaded | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Loaded(graph=data["graph"], state=data.get("state", "loading"),
                  triples=data.get("triples", 0), seconds=data.get("seconds", 0.0),
                  result_rows=data.get("result_rows"))


def write_manifest(folder: Path, loaded: Loaded) -> None:
    data = {"graph": loaded.graph, "state": loaded.state, "triples": loaded.triples,
            "seconds": loaded.seconds, "result_rows": loaded.result_rows}
    (folder / MANIFEST).write_text(json.dumps(data, indent=1), encoding="utf-8")


def loaded_target(folder: Path) -> Target | None:
    """The generation's graph in Virtuoso, if its load finished."""
    got = read_manifest(folder)
    if got is None or got.state != "loaded":
        return None
    return Target(got.graph, got.result_rows)
