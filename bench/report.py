"""Rendering bench/out/results.json into BENCHMARKS.md and bench/latency.png.

    python -m bench.report [RESULTS.json]

Only the part of BENCHMARKS.md between `<!-- bench:begin -->` and `<!-- bench:end -->` is
rewritten; the findings written around it stay.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
GB = 1024 ** 3
MB = 1024 ** 2
STAGES = ("read", "provisions", "dictionary", "graph", "index", "incremental", "catalog", "store")
SERVER_TRAFFIC = {"search": "search", "search_fresh": "search, cache off",
                  "provision": "provision", "sparql": "sparql"}
COMMAND = ".venv/bin/python -m bench.run"


def _f(x, digits=1, unit="") -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:,.{digits}f}{unit}"
    return f"{x:,}{unit}"


def _mb(x) -> str:
    return "—" if not x else f"{x / MB:,.0f} MiB"


def _sizes(results: dict) -> list[tuple[int, dict]]:
    return sorted(((int(k), v) for k, v in results.get("sizes", {}).items()), key=lambda t: t[0])


def _build_ok(r: dict) -> bool:
    b = r.get("build") or {}
    return bool(b) and not b.get("error")


def _cpu_total(b: dict) -> float | None:
    cpu = b.get("stage_cpu") or {}
    return sum(cpu.values()) if cpu else None


def _peak(b: dict) -> int | None:
    vals = [b.get("max_rss"), (b.get("process") or {}).get("peak_rss")]
    vals = [v for v in vals if v]
    return max(vals) if vals else None


def verdicts(results: dict) -> list[tuple[str, str, str, str]]:
    """(target, goal, measured, verdict) rows, judged at the largest size measured."""
    sizes = _sizes(results)
    rows = []

    def at_largest(pred):
        for n, r in reversed(sizes):
            v = pred(r)
            if v is not None:
                return n, v
        return None, None

    def verdict(n, ok):
        if n is None:
            return "not measured"
        tag = "met" if ok else "**missed**"
        return tag if n >= 2000 else f"{tag} at {n} (2,000 not measured)"

    for key, label in (("search", "search p99 (tantivy, the default engine)"),
                       ("search_whoosh", "search p99 (whoosh, `POLICYKG_ENGINE=whoosh`)")):
        n, v = at_largest(lambda r: ((r.get(key) or {}).get("overall") or {}).get("p99"))
        rows.append((label, "≤ 50 ms", f"{_f(v, 1, ' ms')} at {n} docs" if n else "—",
                     verdict(n, v is not None and v <= 50)))

    def ratio(r):
        b, t = r.get("build") or {}, r.get("tokenize") or {}
        if not _build_ok(r) or not t.get("cpu_s"):
            return None
        return _cpu_total(b) / t["cpu_s"]
    n, v = at_largest(ratio)
    rows.append(("build ÷ tokenize-only (CPU s)", "≤ 2×", f"{_f(v, 1, '×')} at {n} docs" if n else "—",
                 verdict(n, v is not None and v <= 2)))

    def add_s(r):
        a = r.get("add") or {}
        return a.get("seconds") if a and not a.get("error") and not a.get("skipped") else None
    n, v = at_largest(add_s)
    rows.append(("add one document", "≤ 2 s", f"{_f(v, 1, ' s')} at {n} docs" if n else "—",
                 verdict(n, v is not None and v <= 2)))

    # Peak RSS: also a build that was stopped has a peak worth judging.
    n, v = at_largest(lambda r: _peak(r.get("build") or {}))
    b_err = None
    for m, r in sizes:
        if m == n:
            b_err = (r.get("build") or {}).get("error")
    note = " (build stopped: lower bound)" if b_err else ""
    # The "GB" is read as GiB, as everywhere in this report; the decimal figure is
    # shown beside it so that a reader who reads GB as 10^9 bytes can judge for themselves.
    rows.append(("peak RSS of the build", "≤ 1.5 GB (read as GiB)",
                 f"{v / GB:.2f} GiB ({v / 1e9:.2f} × 10⁹ bytes) at {n} docs{note}" if v else "—",
                 verdict(n, v is not None and v <= 1.5 * GB)))

    for kind, label in (("search", "server search"),
                        ("search_fresh", "server search, request cache off")):
        n, s = at_largest(lambda r, kind=kind: _server_pass(r, kind))
        if s:
            ok = s["rps"] >= 200 and s["p99_ms"] <= 200 and s["errors"] == 0
            rows.append((label, "≥ 200 req/s, p99 ≤ 200 ms, 0 errors",
                         f"{s['rps']:.0f} req/s, p99 {s['p99_ms']:.0f} ms, {s['errors']} errors "
                         f"at {n} docs", verdict(n, ok)))
        else:
            rows.append((label, "≥ 200 req/s, p99 ≤ 200 ms, 0 errors", "—", "not measured"))
    # SPARQL as its users get it: the server pass's sparql traffic (the SPARQL page's
    # examples on /sparql over HTTP, wrk's p95), not a library call in a process.
    n, s = at_largest(lambda r: _server_pass(r, "sparql"))
    if s:
        ok = s["p95_ms"] <= 100 and s["errors"] == 0
        rows.append(("SPARQL p95 over HTTP (the SPARQL page's examples on `/sparql`)",
                     "≤ 100 ms, 0 errors",
                     f"p95 {s['p95_ms']:.0f} ms, {s['rps']:.1f} req/s, {s['errors']} errors "
                     f"at {n} docs ({s['concurrency']} connections)", verdict(n, ok)))
    else:
        rows.append(("SPARQL p95 over HTTP (the SPARQL page's examples on `/sparql`)",
                     "≤ 100 ms, 0 errors", "—", "not measured"))
    return rows


def _server_pass(r: dict, kind: str) -> dict | None:
    """One traffic class of the server pass (`search`, `search_fresh`, `provision`,
    `sparql`), or None when it was not measured or failed."""
    s = (r.get("server") or {}).get(kind)
    return s if s and not s.get("error") else None


def render_markdown(results: dict) -> str:
    m = results.get("machine", {})
    v = m.get("versions", {})
    sizes = _sizes(results)
    L: list[str] = [BEGIN, "", "## Latest figures", ""]
    L.append(f"Run {results.get('started', '?')} → {results.get('finished', '?')}, "
             f"`{COMMAND} {' '.join(results.get('argv', []))}`, commit {m.get('commit', '?')}"
             f" with {m.get('uncommitted_files', '?')} uncommitted files (others were working "
             f"in the same tree). Load average at start {results.get('load_start')}, "
             f"at end {results.get('load_end')}: the machine was shared with other test runs, "
             "so compare CPU seconds, not wall seconds, between runs.")
    pr = results.get("partial_rerun")
    if pr:
        L += ["", f"Re-measured in this run: {', '.join(pr['only'])} at "
              f"{', '.join(map(str, pr['sizes']))} documents; the other figures are from the run "
              f"of {pr.get('previous_started')} (each measurement's time is in results.json)."]
    L += ["", f"Machine: {m.get('cpu', '?')}, {m.get('cores')} cores, {m.get('memory_gb')} GB, "
          f"{m.get('os', '?')}, kernel {m.get('kernel')}, Python {m.get('python')}.  ",
          "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val) + ".", ""]

    L += ["### Targets", "", "| target | goal | measured | verdict |", "|---|---|---|---|"]
    for row in verdicts(results):
        L.append("| " + " | ".join(row) + " |")
    L += ["", "The library's graph-question pass (`ontology/queries.py`, `ontology/netview.py`) was "
          "removed in issue 16 with those functions, which no page ran; SPARQL is measured over "
          "HTTP by the server pass below."]

    L += ["", "### Corpora", "",
          "| documents | text | provisions | triples | alignment links (export rows) | generation on disk |",
          "|---:|---:|---:|---:|---:|---:|"]
    for n, r in sizes:
        c, b = r.get("corpus", {}), r.get("build") or {}
        # Triples: the lines of the generation's graph.nt, counted by the build worker.
        L.append(f"| {n:,} | {c.get('bytes', 0) / 1e6:.1f} MB | {_f(b.get('provisions'))} | "
                 f"{_f(b.get('graph_triples'))} | {_f(b.get('alignment_rows'))} | "
                 f"{_mb(b.get('generation_bytes'))} |")

    L += ["", "### Build", "",
          "Build = `load_corpus(folder)` (reading, segmenting) + `pipeline.build.build(DataDir, docs)` "
          "in its own process; tokenize-only = jieba precise mode (general dictionary, HMM on) "
          "over the same text, every line, in this process. CPU seconds and peak RSS cover the "
          "build's whole process tree (the graph store is loaded by a child process while the "
          "index is built); the ratio is given in CPU and in wall time.", "",
          "| documents | wall s | CPU s | docs/s (CPU) | MB/s (CPU) | tokenize-only MB/s (CPU) | "
          "build ÷ tokenize (CPU) | build ÷ tokenize (wall) | peak RSS | result |",
          "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for n, r in sizes:
        b, t, c = r.get("build") or {}, r.get("tokenize") or {}, r.get("corpus", {})
        if not b:
            continue
        cpu = _cpu_total(b)
        mbs = c.get("bytes", 0) / 1e6
        ratio = cpu / t["cpu_s"] if cpu and t.get("cpu_s") and _build_ok(r) else None
        wall = b.get("seconds") or b.get("process", {}).get("wall_s")
        wall_ratio = wall / t["wall_s"] if wall and t.get("wall_s") and _build_ok(r) else None
        status = "ok" if _build_ok(r) else f"stopped: {b.get('error')}" + (
            f"; reached {', '.join(f'{s} at {x}s' for s, x in b.get('reached', []))}"
            if b.get("reached") else "")
        L.append(f"| {n:,} | {_f(wall)} | "
                 f"{_f(cpu)} | {_f(n / cpu if cpu and _build_ok(r) else None, 2)} | "
                 f"{_f(mbs / cpu if cpu and _build_ok(r) else None, 3)} | {_f(t.get('mb_per_s_cpu'), 3)} | "
                 f"{_f(ratio, 1, '×')} | {_f(wall_ratio, 1, '×')} | {_f((_peak(b) or 0) / GB, 2, ' GiB')} | "
                 f"{status} |")
    L += ["", "CPU seconds per stage (peak RSS during the stage):", "",
          "| documents | " + " | ".join(STAGES) + " |", "|---:|" + "---:|" * len(STAGES)]
    for n, r in sizes:
        b = r.get("build") or {}
        cpu, rss = b.get("stage_cpu") or {}, b.get("stage_peak_rss") or {}
        if not cpu:
            continue
        running = b.get("stage_running")
        spent = (b.get("cpu_seconds") or 0) - sum(cpu.values())
        cells = [f"{cpu[s]:,.1f} s ({rss.get(s, 0) / GB:.2f} GiB)" if s in cpu else
                 (f"≥ {spent:,.0f} s, stopped ({(_peak(b) or 0) / GB:.2f} GiB)" if s == running
                  else "—") for s in STAGES]
        L.append(f"| {n:,} | " + " | ".join(cells) + " |")

    rj_rows = [(n, r["rjieba"]) for n, r in sizes if (r.get("rjieba") or {}).get("general")]
    if rj_rows:
        L += ["", "### rjieba (jieba-rs) beside jieba", "",
              "Same lines, precise mode, HMM on. *domain*: the build's domain dictionary added to "
              "jieba as corpus/tokenize.py adds it (`add_word` + `suggest_freq(tune=True)`) and to "
              "rjieba with the frequencies jieba's tuning settled on (`add_word(w, jieba.FREQ[w])`); "
              "*domain, rjieba's own tuning*: rjieba's `add_word(w, suggest_freq(w))` instead; "
              "*search mode* is what the index is built from; *policykg Tokenizer* is "
              "`corpus.tokenize.Tokenizer(engine=\"rjieba\")` against `engine=\"jieba\"` in search mode: "
              "the project's rjieba engine (the default since issue 7) with jieba's tuned frequencies, "
              "its totals balanced and jieba-rs's number-range cut corrected.", "",
              "| documents | dictionary | identical lines | identical Chinese words | boundary agreement | speed-up (CPU) |",
              "|---:|---|---:|---:|---:|---:|"]
        for n, rj in rj_rows:
            for key, label in (("general", "general"), ("domain", "domain"),
                               ("domain_naive", "domain, rjieba's own tuning"),
                               ("domain_search_mode", "domain, search mode"),
                               ("policykg", "policykg Tokenizer (domain, search mode)")):
                x = rj.get(key)
                if x:
                    speed = f"{x['speedup_cpu']:.1f}×" if "speedup_cpu" in x else "—"
                    cjk = x.get("identical_chinese_words_pct")
                    L.append(f"| {n:,} | {label} | {x['identical_lines_pct']:.2f} % | "
                             f"{_f(cjk, 2, ' %')} | {x['boundary_agreement_pct']:.3f} % | {speed} |")
        ex = (rj_rows[-1][1].get("general") or {}).get("examples") or []
        if ex:
            L += ["", "Where they differ (all differences seen are of this kind):", ""]
            for e in ex[:2]:
                L.append(f"- jieba `{e['jieba'][:70]}` · rjieba `{e['rjieba'][:70]}`")

    L += ["", "### Search (through `Generation.searcher`, the library the API calls)", "",
          "Fixed mix of " + str(_mix_size()) + " queries (single terms, two-term AND, phrases, "
          "filters, OR / NOT, broad queries whose facet counts dominate), page 1 of 10 hits with "
          "snippets, facets and `to_dict()`; one warm-up round, then shuffled rounds. *tantivy* "
          "(the default engine, `indexer/tantivy_engine.py`) and *whoosh* (selected by "
          "`POLICYKG_ENGINE=whoosh`) answer the same parsed "
          "query over the same tokens; totals and facet counts are equal (tests), except where "
          "whoosh stops at its 5 s matching limit and reports a partial total. Each timed "
          "search is a *fresh* query: tantivy's per-searcher request cache (compiled query, "
          "total and facet counts per query string) is cleared first; *warm p99* is the same "
          "mix answered from that cache, as a repeated or paged query is.", "",
          "| documents | engine | p50 | p95 | p99 | max | samples | slowest class (p99) "
          "| warm p99 |",
          "|---:|---|---:|---:|---:|---:|---:|---|---:|"]
    p50s: dict[str, dict[int, float]] = {}
    for n, r in sizes:
        for key, engine in (("search", "tantivy"), ("search_whoosh", "whoosh")):
            s = r.get(key) or {}
            engine = s.get("engine") or engine
            o = s.get("overall")
            if not o:
                if s.get("error"):
                    L.append(f"| {n:,} | {engine} | — | — | — | — | — | error: {s['error'][:80]} |")
                continue
            p50s.setdefault(engine, {})[n] = o["p50"]
            worst = max(s.get("classes", {}).items(), key=lambda kv: kv[1].get("p99", 0),
                        default=(None, {}))
            L.append(f"| {n:,} | {engine} | {o['p50']:.1f} ms | {o['p95']:.1f} ms | "
                     f"{o['p99']:.1f} ms | {o['max']:.1f} ms | {o['n']} | "
                     f"{worst[0]} ({worst[1].get('p99', 0):.0f} ms) | "
                     f"{_f((s.get('warm') or {}).get('p99'), 1, ' ms')} |")
    cls_rows = [(n, key, r[key]) for n, r in sizes for key in ("search", "search_whoosh")
                if (r.get(key) or {}).get("classes")]
    if cls_rows:
        classes = list(cls_rows[-1][2]["classes"])
        L += ["", "p95 by query class:", "",
              "| documents | engine | " + " | ".join(classes) + " |",
              "|---:|---|" + "---:|" * len(classes)]
        for n, key, x in cls_rows:
            cl = x["classes"]
            L.append(f"| {n:,} | {x.get('engine', 'whoosh')} | " + " | ".join(
                _f(cl.get(c, {}).get("p95"), 1, " ms") for c in classes) + " |")
    for engine, by_n in p50s.items():
        if len(by_n) > 1:
            ks = sorted(by_n)
            L += ["", f"{engine} query cost against corpus size (p50): " + ", ".join(
                f"{b:,} ÷ {a:,} docs = {by_n[b] / by_n[a]:.1f}× for {b / a:.0f}× the documents"
                for a, b in zip(ks, ks[1:]) if by_n[a])]

    L += ["", "### Adding one document (`pipeline.ingest.add_document`, what `policykg add` runs)", ""]
    any_add = False
    for n, r in sizes:
        a = r.get("add")
        if not a:
            continue
        any_add = True
        if a.get("skipped"):
            L.append(f"- {n:,} documents: not run — {a['skipped']}.")
        elif a.get("error"):
            L.append(f"- {n:,} documents: {a['error']}")
        else:
            ib = a.get("initial_build")
            first = (f"into a `policykg build` of {ib['documents']} documents that took "
                     f"{ib['seconds']:.0f} s ({ib['cpu_seconds']:.0f} s CPU): " if ib else
                     "into the build measured above: " if a.get("seed_s") is not None
                     and a.get("seeded") is None else
                     "into sources never built (so the add is a full build): ")
            L.append(f"- {n:,} documents, {first}**{a['seconds']:.1f} s** wall, "
                     f"{a['cpu_seconds']:.1f} s CPU, peak RSS {_mb(a.get('peak_rss'))} "
                     f"({a.get('status')}, {a.get('documents')} documents in the new generation); "
                     "steps: " + ", ".join(f"{k} {s:.1f} s" for k, s in a.get("steps", {}).items()))
    if not any_add:
        L.append("- not measured in this run.")

    L += ["", "### Server (`policykg serve`: gunicorn, one worker process per core; on 127.0.0.1; wrk)", ""]
    srows = [(n, r["server"]) for n, r in sizes if r.get("server")]
    if srows:
        L += ["| documents | traffic | connections | req/s | p50 | p90 | p99 | max | errors |",
              "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
        for n, s in srows:
            if s.get("error"):
                L.append(f"| {n:,} | — | — | — | — | — | — | — | {s['error'][:80]} |")
                continue
            for key, kind in SERVER_TRAFFIC.items():
                x = s.get(key)
                if not x:
                    continue
                if x.get("error"):
                    L.append(f"| {n:,} | {kind} | — | — | — | — | — | — | {x['error'][:60]} |")
                    continue
                L.append(f"| {n:,} | {kind} | {x['concurrency']} | {x['rps']:.1f} | "
                         f"{x['p50_ms']:.0f} ms | {x['p90_ms']:.0f} ms | {x['p99_ms']:.0f} ms | "
                         f"{x['max_ms']:.0f} ms | {x['errors']} |")
        L += ["", "Traffic: *search* cycles through the query mix on `/api/search`, *provision* "
              "through 200 seeded `/provisions/<id>` pages, *sparql* through the SPARQL page's "
              "example queries on `/sparql` (`web/sparql_routes.EXAMPLES`) at fewer connections "
              "(the endpoint admits `sparql_parallel + sparql_queue` queries per web process and "
              "answers more 429 at once, which would put refusals among the latencies); "
              "*search, cache off* is the "
              "query mix again on a server started with `POLICYKG_SEARCH_CACHE=0` (the mix "
              "repeats 27 strings, so above every search after the first round is a request-"
              "cache hit; here each is compiled, matched and counted afresh); fixed concurrency, "
              "bounded duration, every request counted (errors = connect/read/write/timeouts + "
              "non-2xx)."]
        for n, s in srows:
            if s.get("ready_s") is not None:
                mem = s.get("server_rss")
                if isinstance(mem, dict):
                    mtext = (f"{_mb(mem.get('pss'))} proportional set size over "
                             f"{mem.get('processes')} processes (the server and its SPARQL "
                             f"workers; {_mb(mem.get('rss'))} if shared pages are counted in each)")
                else:
                    mtext = f"{_mb(mem)} summed RSS of the server and its SPARQL workers"
                L.append(f"Time to `/readyz` at {n:,} documents: {s['ready_s']:.0f} s; "
                         f"memory after the load: {mtext}.  ")
    else:
        L.append("- not measured in this run.")

    L += ["", "![latency against corpus size](bench/latency.png)", "",
          "### How to reproduce", "",
          "```sh",
          "bench/run.sh --quick      # 5 and 200 documents, 6 min (sets up .venv with the bench extra and wrk)",
          "bench/run.sh              # 5, 200 and 2,000 documents",
          "bench/run.sh --only search,server --sizes 200   # some measurements again, on the last build",
          ".venv/bin/python -m bench.generate /tmp/corpus -n 2000    # just the corpus",
          "```", "",
          "Results: `bench/out/results.json` (all figures, per query), `bench/out/*.log` (each "
          "worker's stderr), `--profile` writes pyinstrument profiles to `bench/out/profiles/`.",
          "", END]
    return "\n".join(L)


def _mix_size() -> int:
    from bench.search_worker import QUERY_MIX
    return len(QUERY_MIX)


def plot(results: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = _sizes(results)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    series = {}
    for n, r in sizes:
        o = (r.get("search") or {}).get("overall") or {}
        for q in ("p50", "p95", "p99"):
            if o.get(q):
                series.setdefault(f"search {q} (tantivy)", []).append((n, o[q]))
        w = (r.get("search_whoosh") or {}).get("overall") or {}
        if w.get("p99"):
            series.setdefault("search p99 (whoosh)", []).append((n, w["p99"]))
        sp = _server_pass(r, "sparql")
        if sp and sp.get("p95_ms"):
            series.setdefault("SPARQL p95 over HTTP", []).append((n, sp["p95_ms"]))
    styles = {"search p50 (tantivy)": "C0:", "search p95 (tantivy)": "C0--",
              "search p99 (tantivy)": "C0-",
              "search p99 (whoosh)": "C1-", "SPARQL p95 over HTTP": "C3-"}
    for name, pts in series.items():
        xs, ys = zip(*pts)
        ax1.plot(xs, ys, styles.get(name, "-"), marker="o", label=name)
    ax1.axhline(50, color="C0", lw=0.6, alpha=0.5)
    ax1.axhline(100, color="C3", lw=0.6, alpha=0.5)
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("documents")
    ax1.set_ylabel("latency, ms (log)")
    ax1.set_title("Query latency (targets: search p99 50 ms, SPARQL p95 100 ms)", fontsize=9)
    ax1.legend(fontsize=7)
    ax1.grid(True, which="both", alpha=0.3)

    bx, by, tx, ty = [], [], [], []
    for n, r in sizes:
        b, t = r.get("build") or {}, r.get("tokenize") or {}
        if _build_ok(r) and _cpu_total(b):
            bx.append(n)
            by.append(_cpu_total(b))
        if t.get("cpu_s"):
            tx.append(n)
            ty.append(t["cpu_s"])
    if bx:
        ax2.plot(bx, by, "C1-", marker="o", label="build (CPU s)")
    if tx:
        ax2.plot(tx, ty, "C7--", marker="o", label="jieba tokenize-only (CPU s)")
        ax2.plot(tx, [2 * y for y in ty], "C7:", label="target: 2× tokenize-only")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("documents")
    ax2.set_ylabel("CPU seconds (log)")
    ax2.set_title("Build against its floor", fontsize=9)
    ax2.legend(fontsize=7)
    ax2.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def render(results: dict, md: Path, png: Path) -> None:
    block = render_markdown(results)
    text = md.read_text(encoding="utf-8") if md.is_file() else \
        "# Benchmarks\n\n" + BEGIN + "\n" + END + "\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    md.write_text(text, encoding="utf-8")
    try:
        plot(results, png)
    except Exception as exc:   # noqa: BLE001 — the figures matter more than the picture
        print(f"plot failed: {exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    argv = argv if argv is not None else sys.argv[1:]
    root = Path(__file__).resolve().parent.parent
    src = Path(argv[0]) if argv else root / "bench" / "out" / "results.json"
    render(json.loads(src.read_text(encoding="utf-8")), root / "BENCHMARKS.md",
           root / "bench" / "latency.png")


if __name__ == "__main__":
    main()
