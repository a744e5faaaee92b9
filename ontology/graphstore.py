"""Where a generation's graph lives when it is read: Oxigraph (default) or rdflib's memory store.

A built generation keeps its graph in an on-disk Oxigraph store (ontology.diskstore),
opened read-only by `open_graph`; the N-Triples files are loaded only for the memory store
and for generations built before there was one.

Both are handed out as an `rdflib.Graph`, so exports, `/id/…` descriptions and the CLI keep
the rdflib API.  With Oxigraph the triples are bulk-loaded by pyoxigraph (its N-Triples
parser in Rust, ~10x faster than rdflib's and ~6x smaller in memory) and wrapped by
oxrdflib; `native(graph)` returns the pyoxigraph store under it, so SPARQL runs in
Oxigraph's own engine rather than rdflib's (see ontology/sparql.py).
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Iterable, Sequence

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, XSD

from policykg.ontology import namespaces as ns
from policykg.ontology import diskstore

# "oxigraph": the generation's on-disk store, opened read-only (ontology.diskstore; the
# graph files loaded into Oxigraph in memory for a generation without one).
# "oxigraph-memory": the graph files bulk-loaded into Oxigraph in memory in every process,
# as before the disk store: faster on heavy questions (no RocksDB reads), the graph's size
# again in every worker and SPARQL zygote.  "memory": rdflib's pure-Python store.
STORES = ("oxigraph", "oxigraph-memory", "memory")
DEFAULT_STORE = "oxigraph"

_XSD_STRING = str(XSD.string)
_LANG_STRING = str(RDF.langString)
_XSD_DECIMAL = str(XSD.decimal)
# The project's prefixes as Oxigraph takes them (str → str), predeclared for every query.
OX_PREFIXES = {prefix: str(iri) for prefix, iri in ns.PREFIXES.items()}


def check_store(name: str) -> str:
    if name not in STORES:
        raise ValueError(f"graph store {name!r}: choose one of {', '.join(STORES)}")
    return name


def graph_paths(files: Path | Sequence[Path]) -> list[Path]:
    """One graph file or several (a graph split into parts) as a list."""
    if isinstance(files, (str, Path)):
        return [Path(files)]
    return [Path(f) for f in files]


def load_graph(files: Path | Sequence[Path], store: str = DEFAULT_STORE) -> Graph:
    """The N-Triples file(s) as one rdflib Graph backed by the named store."""
    paths = graph_paths(files)
    if check_store(store) == "memory":
        graph = Graph()
        for path in paths:
            graph.parse(str(path), format="nt")
    else:
        graph = wrap(load_native(paths))
    ns.bind_prefixes(graph)
    return graph


def open_graph(folder: Path) -> Graph:
    """The on-disk store of a generation folder (ontology.diskstore), opened read-only and
    wrapped as an rdflib Graph: nothing is loaded, every process shares the kernel's pages."""
    graph = wrap(diskstore.open_read_only(folder))
    ns.bind_prefixes(graph)
    return graph


def load_native(files: Path | Sequence[Path]) -> ox.Store:
    """A pyoxigraph in-memory store holding the file(s) in its default graph.

    bulk_load skips the per-triple transaction; the store is read-only from here on.  An
    in-memory store starts no threads, so the SPARQL zygote may fork with it (tested)."""
    store = ox.Store()
    for path in graph_paths(files):
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    return store


def wrap(store: ox.Store) -> Graph:
    """An rdflib Graph over a pyoxigraph store's default graph (oxrdflib)."""
    return Graph(store=_store_class()(store=store), identifier=DATASET_DEFAULT_GRAPH_ID)


@functools.lru_cache(maxsize=1)
def _store_class():
    """oxrdflib's store, reading plain literals back as rdflib reads them.

    oxrdflib turns "x" into Literal("x", datatype=xsd:string), which rdflib holds unequal
    to the Literal("x") its own parser makes: graphs compared, merged or serialised from
    the two stores would differ.  Only reading is overridden; the store is never written."""
    from oxrdflib._converter import to_ox_quad_pattern
    from oxrdflib.store import OxigraphStore

    class PlainLiteralStore(OxigraphStore):
        def triples(self, triple_pattern, context=None):
            s, p, _ = triple_pattern
            if isinstance(s, Literal) or isinstance(p, (Literal, BNode)):
                return iter(())           # (rdflib's serializers ask such questions)
            try:
                quads = self._inner.quads_for_pattern(*to_ox_quad_pattern(triple_pattern,
                                                                          context))
            except (TypeError, ValueError):
                return iter(())
            return (((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)),
                     iter((context,))) for q in quads)

        def query(self, query, initNs, initBindings, queryGraph, **kwargs):
            if isinstance(query, str) and not initBindings and not kwargs \
                    and queryGraph == DATASET_DEFAULT_GRAPH_ID:
                return rdflib_result(self._inner, query, dict(initNs))
            return super().query(query, initNs, initBindings, queryGraph, **kwargs)

    return PlainLiteralStore


def native(graph: Any) -> ox.Store | None:
    """The pyoxigraph store under an rdflib Graph, or None for any other store."""
    if isinstance(graph, ox.Store):
        return graph
    inner = getattr(getattr(graph, "store", None), "_store", None)
    if isinstance(inner, ox.Store) and graph.identifier == DATASET_DEFAULT_GRAPH_ID:
        return inner
    return None


def to_rdflib(term: Any) -> Any:
    """A pyoxigraph term as the rdflib term the rest of the code expects (None stays None).

    xsd:string literals come back as plain literals, as rdflib's parser makes them, so
    results serialise the same from either store."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == _XSD_STRING:
            return Literal(term.value)
        if dt == _XSD_DECIMAL and "." not in term.value:
            # Oxigraph keeps decimals canonical ("10"); rdflib writes and re-reads "10.0"
            return Literal(term.value + ".0", datatype=URIRef(dt))
        return Literal(term.value, datatype=URIRef(dt))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Triple):
        return to_rdflib(term.subject), to_rdflib(term.predicate), to_rdflib(term.object)
    raise TypeError(f"unexpected Oxigraph term {term!r}")


def query(store: ox.Store, text: str, prefixes: dict | None = None) -> Any:
    """Run a SPARQL query in Oxigraph's engine, the project's prefixes predeclared."""
    if prefixes:
        prefixes = {**OX_PREFIXES, **{k: str(v) for k, v in prefixes.items()}}
    return store.query(text, prefixes=prefixes or OX_PREFIXES)


def solution_rows(result: Any) -> tuple[list[str], Iterable[list[Any]]]:
    """Variable names and rows (lists of pyoxigraph terms or None) of a SELECT result."""
    names = [v.value for v in result.variables]
    n = len(names)
    return names, ([sol[i] for i in range(n)] for sol in result)


def rdflib_result(store: ox.Store, text: str, prefixes: dict | None = None):
    """An Oxigraph query's answer as an rdflib Result (for code that formats rdflib results)."""
    from rdflib.query import Result
    from rdflib.term import Variable
    res = query(store, text, prefixes)
    if isinstance(res, ox.QueryBoolean):
        out = Result("ASK")
        out.askAnswer = bool(res)
    elif isinstance(res, ox.QuerySolutions):
        out = Result("SELECT")
        names, rows = solution_rows(res)
        out.vars = [Variable(n) for n in names]
        out.bindings = [{v: to_rdflib(t) for v, t in zip(out.vars, row) if t is not None}
                        for row in rows]
    else:
        out = Result("CONSTRUCT")
        out.graph = Graph()
        ns.bind_prefixes(out.graph)
        for t in res:
            out.graph.add(to_rdflib(t))
    return out
