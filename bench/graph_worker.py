"""Graph query latency over one built generation's graph, with one rdflib store.

    python -m bench.graph_worker DATA --store memory|oxigraph|oxigraph-memory [--rounds 10]
                                 [--profile OUT]

Opens the generation's graph as the server does (Generation.graph): rdflib's in-memory
store; with "oxigraph" the generation's on-disk Oxigraph store opened read-only
(pyoxigraph bulk-loaded in memory for a generation without one); with "oxigraph-memory"
always bulk-loaded in memory — wrapped for rdflib through oxrdflib, the same rdflib API,
queries.py running its questions in Oxigraph's own engine.  Then times the questions the
UI asks (ontology/queries.py): a department's tasks, one indicator across levels, the
alignment chain under a national provision, a provision's facts, a department's line
upward; and, with an Oxigraph store, the networkx view (ontology/netview.py) built from
the graph and its two path questions.  Prints JSON: load seconds, memory, p50/p95/p99.
"""
from __future__ import annotations

import argparse
import gc
import json
import random
import signal
import sys
import time
from pathlib import Path

from bench.stats import loadavg, rss, summary

SUBJECTS_PER_QUESTION = 5
INDICATOR_PAGE = 50         # rows of one indicator a page shows at a time


class CallTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise CallTimeout()


def call_with_limit(fn, arg, limit: float):
    """fn(arg), stopped after `limit` seconds (rdflib is pure Python: SIGALRM interrupts it)."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        return fn(arg)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def subjects(g) -> dict[str, list[str]]:
    """Deterministic subjects for each question: the busiest ones and a seeded sample."""
    from policykg.ontology.queries import select
    rng = random.Random(3)

    def pick(rows: list[dict], key: str) -> list[str]:
        vals = [r[key] for r in rows]
        head, rest = vals[:2], vals[2:]
        return head + rng.sample(rest, min(len(rest), SUBJECTS_PER_QUESTION - len(head)))

    depts = select(g, """SELECT ?d (COUNT(?part) AS ?n) WHERE { ?d cv:playsRole ?part }
                         GROUP BY ?d ORDER BY DESC(?n) ?d""")
    indicators = select(g, """SELECT ?c (COUNT(?t) AS ?n) WHERE { ?t a pol:Target ;
                              pol:indicator ?c } GROUP BY ?c ORDER BY DESC(?n) ?c""")
    national = select(g, """SELECT ?p (COUNT(?x) AS ?n) WHERE {
                              ?x pol:localises ?p . ?p pol:inDocument ?d .
                              ?d pol:adminLevel ?l . ?l skos:notation "national" }
                            GROUP BY ?p ORDER BY DESC(?n) ?p""")
    provisions = select(g, """SELECT ?p WHERE { ?p cv:hasParticipation ?x } ORDER BY ?p
                              LIMIT 2000""")
    return {"department": pick(depts, "d"), "indicator": pick(indicators, "c"),
            "national_provision": pick(national, "p"),
            "provision": pick(provisions, "p")}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--store", choices=("memory", "oxigraph", "oxigraph-memory"),
                    default="oxigraph",
                    help="the graph store, by its name in ontology.graphstore")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--profile", type=Path, default=None)
    ap.add_argument("--budget", type=float, default=90.0,
                    help="seconds per question at most; a slower question gets fewer samples")
    ap.add_argument("--call-limit", type=float, default=60.0,
                    help="one call slower than this is stopped and counted as a timeout")
    ap.add_argument("--subjects", type=Path, default=None,
                    help="read the subjects from this JSON (so both stores ask the same)")
    args = ap.parse_args(argv)

    from rdflib import URIRef
    from policykg.pipeline.datadir import DataDir
    from policykg.ontology import queries as Q

    from policykg.pipeline.generation import Generation
    from policykg.ontology import diskstore
    gen = Generation(DataDir(args.data).require_current(), store=args.store)
    on_disk = gen.store_folder is not None
    out: dict = {"store": args.store, "load_before": loadavg(),
                 "graph_bytes": sum(f.stat().st_size for f in gen.graph_files),
                 "on_disk": on_disk}
    if on_disk:
        folder = diskstore.store_path(gen.folder)
        out["store_bytes"] = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    gc.collect()
    base = rss()
    t = time.perf_counter()
    g = gen.graph       # as the server gets it (the module's docstring)
    out["load_s"] = round(time.perf_counter() - t, 3)
    gc.collect()
    out["graph_rss"] = rss() - base
    out["triples"] = len(g)

    if args.subjects and args.subjects.is_file():
        subj = json.loads(args.subjects.read_text(encoding="utf-8"))
    else:
        t = time.perf_counter()
        subj = subjects(g)
        out["subjects_s"] = round(time.perf_counter() - t, 3)
        if args.subjects:
            args.subjects.write_text(json.dumps(subj, ensure_ascii=False), encoding="utf-8")
    out["subjects"] = {k: len(v) for k, v in subj.items()}

    questions = {
        "department_tasks": ("department", lambda s: Q.department_tasks(g, URIRef(s))),
        "department_line": ("department", lambda s: Q.department_line(g, URIRef(s))),
        # As a page lists it: the first page of rows and the totals per level (a busy
        # indicator has thousands of targets at 2,000 documents); every row apart.
        "indicator_across_levels": ("indicator", lambda s: Q.indicator_across_levels(
            g, URIRef(s), limit=INDICATOR_PAGE) + [Q.indicator_level_counts(g, URIRef(s))]),
        "indicator_all_rows": ("indicator",
                               lambda s: Q.indicator_across_levels(g, URIRef(s))),
        "taken_up_by": ("national_provision", lambda s: Q.taken_up_by(g, URIRef(s))),
        "provision_facts": ("provision", lambda s: Q.provision_facts(g, URIRef(s))),
    }
    rows: dict[str, int] = {}
    errors: dict[str, str] = {}
    lat: dict[str, list[float]] = {name: [] for name in questions}
    cpu: dict[str, list[float]] = {name: [] for name in questions}
    spent: dict[str, float] = {name: 0.0 for name in questions}
    timeouts: dict[str, int] = {name: 0 for name in questions}
    for rnd in range(args.rounds + 1):          # round 0 warms up
        for name, (kind, fn) in questions.items():
            if name in errors:
                continue
            for s in subj.get(kind, []):
                if spent[name] > args.budget:
                    break
                # each call a fresh question: nothing remembered from the last round but
                # the document table a server reads once per generation
                Q.forget_indicator_counts(g)
                t, c = time.perf_counter(), time.process_time()
                try:
                    res = call_with_limit(fn, s, args.call_limit)
                except CallTimeout:
                    timeouts[name] += 1
                    spent[name] += args.call_limit
                    lat[name].append(args.call_limit * 1000)   # counted at the limit
                    cpu[name].append((time.process_time() - c) * 1000)
                    continue
                except Exception as exc:        # a question that does not run: say so
                    errors[name] = f"{type(exc).__name__}: {exc}"[:300]
                    break
                ms = (time.perf_counter() - t) * 1000
                spent[name] += ms / 1000
                if rnd:
                    lat[name].append(ms)
                    cpu[name].append((time.process_time() - c) * 1000)
                else:
                    rows[name] = rows.get(name, 0) + len(res)
    out["questions"] = {n: {**summary(v), "rows": rows.get(n, 0),
                            "cpu": summary(cpu[n]),
                            "budget_exhausted": spent[n] > args.budget,
                            "timeouts": timeouts[n], "call_limit_s": args.call_limit}
                        for n, v in lat.items()}
    ui = [x for n in ("department_tasks", "indicator_across_levels", "taken_up_by")
          for x in lat[n]]
    out["ui_overall"] = summary(ui)
    out["errors"] = errors

    if args.store != "memory":        # an Oxigraph store builds the server's view
        try:
            from policykg.ontology import netview
            t = time.perf_counter()
            G = netview.to_networkx(g)
            out["networkx_build_s"] = round(time.perf_counter() - t, 3)
            out["networkx_nodes"] = G.number_of_nodes()
            nx_lat = {"department_reach": [], "takes_up": []}
            for rnd in range(args.rounds + 1):
                for s in subj.get("department", []):
                    ms = time.perf_counter()
                    netview.department_reach(G, s)
                    if rnd:
                        nx_lat["department_reach"].append((time.perf_counter() - ms) * 1000)
                for s in subj.get("national_provision", []):
                    ms = time.perf_counter()
                    netview.takes_up(G, s)
                    if rnd:
                        nx_lat["takes_up"].append((time.perf_counter() - ms) * 1000)
            out["networkx"] = {n: summary(v) for n, v in nx_lat.items()}
        except Exception as exc:
            out["networkx_error"] = f"{type(exc).__name__}: {exc}"[:300]

    if args.profile:
        from pyinstrument import Profiler
        slow = max((n for n in lat if lat[n]), key=lambda n: max(lat[n]), default=None)
        if slow:
            kind, fn = questions[slow]
            prof = Profiler(interval=0.001)
            prof.start()
            for s in subj.get(kind, [])[:2]:
                try:
                    call_with_limit(fn, s, args.call_limit)
                except CallTimeout:
                    pass
            prof.stop()
            args.profile.parent.mkdir(parents=True, exist_ok=True)
            args.profile.write_text(f"{args.store}: {slow}\n" +
                                    prof.output_text(unicode=True, color=False),
                                    encoding="utf-8")
            out["profiled"] = slow
    out["rss"] = rss()
    out["load_after"] = loadavg()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
