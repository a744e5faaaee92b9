"""Virtuoso beside the Oxigraph store (issue 18), on one built generation per corpus size.

    python -m bench.virtuoso [--sizes 5,200] [--rounds 10] [--work DIR] [--markdown]

For each size: the corpus (the bundled one at 5, bench.generate's above, cached as
bench.run caches it) built once with the default store, whose build writes the Oxigraph
store (its load seconds from oxigraph.json, its disk from the folder).  Then policykg's own
Virtuoso is started on that data folder (ontology.virtuoso_server) and the generation's
N-Triples bulk-loaded into it (ontology.virtuoso_load: ld_dir, rdf_loader_run, checkpoint,
the triples counted): load seconds, database growth, the server's memory.

Then, `rounds` times after one warm-up, through each store's endpoint runner (what /sparql
runs: Oxigraph in a process forked per query over the on-disk store; Virtuoso over HTTP),
the SPARQL page's example queries and three whole-graph aggregates; and, through each
store's rdflib Graph (what the /id/ pages read), a document's triples in and out.  Then
Virtuoso is restarted on the loaded database and its rows timed again ("virtuoso_restarted"):
a graph bulk-loaded into a running server was read far slower until a restart (measured at
2,000 documents: the /id/ row 690 ms after the load, 18 ms after a restart).
Prints JSON (and the markdown table of BENCHMARKS.md with --markdown).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import time
from pathlib import Path

from rdflib import URIRef

from bench.run import OUT, corpus_folder
from bench.stats import loadavg, summary
from policykg.corpus.loader import load_corpus
from policykg.ontology import diskstore, virtuoso, virtuoso_server
from policykg.ontology.sparql import Limits, SparqlRunner
from policykg.ontology.virtuoso_load import VirtuosoWriter
from policykg.pipeline.build import build
from policykg.pipeline.datadir import DataDir
from policykg.pipeline.generation import Generation
from policykg.web.sparql_routes import EXAMPLES

AGGREGATES = {
    "count of all triples": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "triples per predicate": "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p",
    "subjects per class": "SELECT ?t (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t",
}
LIMITS = Limits(timeout=120)
ID_ROW = "/id/ page: a document's triples in and out"
STORES = {"oxigraph": "Oxigraph", "virtuoso": "Virtuoso",
          "virtuoso_restarted": "Virtuoso restarted"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _du(path: Path) -> int:
    """Bytes of the files under `path` (as allocated: sparse database files count as written)."""
    if path.is_file():
        return path.stat().st_blocks * 512
    return sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file())


def _rss(pid: int | None) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, TypeError):
        pass
    return 0


def _times(fn, rounds: int) -> dict:
    fn()                                     # warm-up: caches, the server's plans
    ms = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - started) * 1000)
    return summary(ms)


def built(n: int, seed: int, work: Path) -> Generation:
    """The corpus of `n` documents built once into work/data-N (kept between runs)."""
    data = DataDir(work / f"data-{n}")
    if data.current() is None:
        build(data, docs=load_corpus(corpus_folder(n, seed)), engines=("tantivy",))
    return Generation(data.require_current())


def measure(n: int, seed: int, rounds: int, work: Path) -> dict:
    gen = built(n, seed, work)
    root = gen.folder.parent.parent
    out: dict = {"documents": gen.meta["documents"], "graph_lines": 0,
                 "oxigraph": {"load_s": diskstore.read_info(gen.folder).seconds,
                              "disk_bytes": _du(diskstore.store_path(gen.folder))}}
    out["graph_lines"] = sum(1 for p in gen.graph_paths() for _ in open(p, "rb"))
    shutil.rmtree(virtuoso_server.folder_of(root), ignore_errors=True)     # a fresh database
    config = virtuoso_server.VirtuosoConfig(http_port=_free_port(), sql_port=_free_port(),
                                            timeout=LIMITS.timeout)
    started = time.perf_counter()
    with virtuoso_server.session(config, root) as conn:
        out["virtuoso_start_s"] = round(time.perf_counter() - started, 2)
        db = virtuoso_server.folder_of(root) / "virtuoso.db"
        empty = _du(db)
        loaded = VirtuosoWriter(conn.access).write(gen.folder, gen.graph_paths())
        pid = virtuoso_server.server_pid(root)
        out["virtuoso"] = {"load_s": loaded.seconds, "triples": loaded.triples,
                           "disk_bytes": _du(db) - empty, "database_bytes": _du(db),
                           "rss_bytes": _rss(pid)}
        vgen = Generation(gen.folder, virtuoso.STORE, virtuoso_endpoint=conn.endpoint)
        runners = {"oxigraph": SparqlRunner(gen.graph_paths(), LIMITS, store_folder=gen.folder),
                   "virtuoso": virtuoso.VirtuosoRunner(conn.endpoint, vgen.virtuoso_target(),
                                                       LIMITS)}
        graphs = {"oxigraph": gen.graph, "virtuoso": vgen.graph}
        try:
            runners["oxigraph"].wait_ready(120)
            out["queries"] = _rows(gen, runners, graphs, rounds)
            out["rows"] = {label: len(runners["virtuoso"].run(q).rows)
                           for label, q in _queries().items()}
        finally:
            runners["oxigraph"].close()
    started = time.perf_counter()
    with virtuoso_server.session(config, root) as conn:
        out["virtuoso_restart_s"] = round(time.perf_counter() - started, 2)
        vgen = Generation(gen.folder, virtuoso.STORE, virtuoso_endpoint=conn.endpoint)
        again = _rows(gen, {"virtuoso_restarted": virtuoso.VirtuosoRunner(
            conn.endpoint, vgen.virtuoso_target(), LIMITS)},
            {"virtuoso_restarted": vgen.graph}, rounds)
    for label, timed in again.items():
        out["queries"][label] |= timed
    return out


def _queries() -> dict[str, str]:
    return {e.label: e.query for e in EXAMPLES} | AGGREGATES


def _rows(gen: Generation, runners: dict, graphs: dict, rounds: int) -> dict:
    """{row: {store: timings}}: the queries through each runner, the /id/ row through each
    store's graph."""
    rows = {label: {store: _times(lambda r=r, q=q: r.run(q), rounds)
                    for store, r in runners.items()}
            for label, q in _queries().items()}
    doc = URIRef(gen.documents[0]["uri"])
    rows[ID_ROW] = {store: _times(lambda g=g: (list(g.triples((doc, None, None))),
                                               list(g.triples((None, None, doc)))), rounds)
                    for store, g in graphs.items()}
    return rows


def markdown(results: dict) -> str:
    sizes = list(results)
    lines = ["| | " + " | ".join(f"{n:,} docs: {name}" for n in sizes
                                 for name in STORES.values()) + " |",
             "|---|" + "---:|" * len(STORES) * len(sizes)]

    def row(label: str, cell) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(results[n], s) for n in sizes
                                                   for s in STORES) + " |")
    loaded = "virtuoso_restarted"             # the database of the load, restarted: as loaded
    row("triples", lambda r, s: f"{r['virtuoso']['triples']:,}")
    row("load (s)", lambda r, s: "" if s == loaded else f"{r[s]['load_s']:.1f}")
    row("on disk (MB)", lambda r, s: "" if s == loaded else f"{r[s]['disk_bytes'] / 1e6:,.0f}")
    for label in next(iter(results.values()))["queries"]:
        row(f"{label}: p50 / p95 ms",
            lambda r, s, label=label: f"{r['queries'][label][s]['p50']:,.1f} / "
                                      f"{r['queries'][label][s]['p95']:,.1f}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5,200")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", type=Path, default=OUT / "virtuoso")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    results = {}
    info = {"load_at_start": loadavg(), "cores": os.cpu_count()}
    for n in (int(x) for x in args.sizes.split(",")):
        print(f"measuring {n} documents", file=sys.stderr, flush=True)
        results[n] = measure(n, args.seed, args.rounds, args.work)
    info["load_at_end"] = loadavg()
    print(json.dumps({"info": info, "results": results}, indent=1, ensure_ascii=False))
    if args.markdown:
        print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
