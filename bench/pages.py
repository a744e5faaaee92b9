"""The pages and API an official opens, measured over HTTP as users get them.

    python -m bench.pages DATA [--seconds 8] [--concurrency 8] [--label after] [--code DIR]
    python -m bench.pages --compare BEFORE.json AFTER.json

Serves the generation in DATA with `policykg serve` (gunicorn, one worker process per
core, on 127.0.0.1), then for each page kind — search, provision, document, department
list, department, indicator list, indicator, alignment list and tree, coverage, and one
export of each kind — runs `wrk` with a fixed number of connections (8) for a fixed time
over that kind's addresses, and reports requests, p50 / p90 / p95 / p99 / max and the
bytes of each response.  Every kind is measured on its own, so a slow page cannot hide
behind a fast one.

The subjects are the heaviest of the generation, read from its files (the catalog and
documents.json), not through the API, so that two versions of the code whose API
differs are asked the same things: the departments with the most tasks, the indicators
with the most targets, the largest alignment trees, the documents that take up the most
provisions of the plans above them, 200 seeded provisions, and the search query mix of
bench.search_worker.

`--code DIR` serves another checkout of the code (e.g. `git archive` of an earlier commit
unpacked in DIR) against the same data: the before of a before/after.  Results go to
bench/out/pages-<documents>-<label>.json and a table to stdout; `--compare` prints the
two runs side by side.  Timings are never asserted in tests.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

from bench.search_worker import QUERY_MIX
from bench.stats import loadavg, run_wrk

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
HTML, JSON = "text/html", "application/json"
TOP = 3                 # the heaviest subjects of each kind, cycled through
PROVISIONS = 200        # seeded provision pages
GOAL_P95_MS = 100       # issue 15: every page an official opens, at 2,000 documents
MIN_REQUESTS = 24       # fewer in wrk's window: that kind is asked this many times instead


def log(msg: str) -> None:
    print(f"[pages {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---- what to ask: the heaviest subjects, from the generation's files --------------------------

def _rows(con: sqlite3.Connection, sql: str, args: tuple = ()) -> list[tuple]:
    return con.execute(sql, args).fetchall()


def _largest_trees(con: sqlite3.Connection, n: int) -> list[tuple[str, int]]:
    """The roots of the alignment tree (taken up, taking up nothing) with the most
    provisions below them."""
    down: dict[str, set[str]] = {}
    for higher, lower in _rows(con, "SELECT higher, lower FROM alignments"):
        down.setdefault(higher, set()).add(lower)
    lowers = set().union(*down.values()) if down else set()
    sizes = []
    for root in down.keys() - lowers:
        seen, stack = {root}, [root]
        while stack:
            for kid in down.get(stack.pop(), ()):
                if kid not in seen:
                    seen.add(kid)
                    stack.append(kid)
        sizes.append((root, len(seen) - 1))
    return sorted(sizes, key=lambda s: (-s[1], s[0]))[:n]


def subjects(data: Path) -> dict:
    """The heaviest subjects of each page kind in the generation under `data`."""
    folder = (data / "current").resolve()
    docs = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
    key_of = {d["doc"]: d.get("key") or d["doc"] for d in docs}
    con = sqlite3.connect(f"file:{folder / 'catalog.sqlite'}?mode=ro&immutable=1", uri=True)
    try:
        depts = _rows(con, "SELECT id, name, lead + participant FROM departments"
                           " ORDER BY lead + participant DESC, seq LIMIT ?", (TOP,))
        # and the ones whose pages are longest for other reasons: the busiest ministry
        # (its line runs through every province), the most departments below them and
        # the most mentions
        for sql in ("SELECT id, name, lead + participant FROM departments WHERE level ="
                    " 'national' ORDER BY lead + participant DESC, seq LIMIT 1",
                    "SELECT d.id, d.name, d.lead + d.participant FROM departments d"
                    " JOIN (SELECT superior, count(*) n FROM departments WHERE superior IS NOT"
                    " NULL GROUP BY superior) s ON s.superior = d.id ORDER BY s.n DESC LIMIT 1",
                    "SELECT id, name, lead + participant FROM departments"
                    " ORDER BY mentions DESC, seq LIMIT 1"):
            depts += [r for r in _rows(con, sql) if r[0] not in {d[0] for d in depts}]
        indicators = _rows(con, "SELECT indicator_key, count(*) FROM targets"
                                " WHERE indicator_key IS NOT NULL GROUP BY indicator_key"
                                " ORDER BY 2 DESC, 1 LIMIT ?", (TOP,))
        takers = _rows(con, "SELECT p.doc, count(*) FROM alignments a JOIN provisions p"
                            " ON p.id = a.lower GROUP BY p.doc ORDER BY 2 DESC, 1 LIMIT ?",
                       (TOP,))
        plans = []
        for doc, _ in takers:
            [(higher, _n)] = _rows(
                con, "SELECT h.doc, count(*) FROM alignments a"
                     " JOIN provisions l ON l.id = a.lower JOIN provisions h ON h.id = a.higher"
                     " WHERE l.doc = ? AND h.doc != l.doc GROUP BY h.doc ORDER BY 2 DESC, 1"
                     " LIMIT 1", (doc,)) or [(None, 0)]
            plans.append((key_of.get(doc, doc), key_of.get(higher, higher)))
        ids = [r[0] for r in _rows(con, "SELECT id FROM provisions ORDER BY rowid")]
        trees = _largest_trees(con, TOP)
    finally:
        con.close()
    rng = random.Random(5)
    return {"documents": len(docs),
            "departments": [{"id": i, "name": n, "tasks": t} for i, n, t in depts],
            "indicators": [{"key": k, "targets": c} for k, c in indicators],
            "coverage": [{"doc": d, "higher": h} for d, h in plans],
            "trees": [{"root": r, "below": n} for r, n in trees],
            "provisions": rng.sample(ids, min(PROVISIONS, len(ids)))}


def page_kinds(s: dict) -> list[tuple[str, str, list[str]]]:
    """(kind, Accept, addresses) of every page kind, in the order they are measured."""
    q = lambda path, **args: path + "?" + urlencode(args)     # noqa: E731
    depts = [f"/departments/{quote(d['id'])}" for d in s["departments"]]
    inds = [q("/targets", indicator=i["key"]) for i in s["indicators"]]
    trees = [q("/alignment", root=t["root"]) for t in s["trees"]]
    docs = [f"/documents/{quote(c['doc'])}" for c in s["coverage"]]
    provs = [f"/provisions/{quote(p)}" for p in s["provisions"]]
    searches = [q("/search", q=query) for _, query in QUERY_MIX]
    first = s["coverage"][0] if s["coverage"] else None
    kinds = [
        ("home", HTML, ["/"]),
        ("search", HTML, searches),
        ("api search", JSON, ["/api" + p for p in searches]),
        ("provision", HTML, provs),
        ("api provision", JSON, ["/api" + p for p in provs]),
        ("document list", HTML, ["/documents", "/documents?sort=date"]),
        ("api document list", JSON, ["/api/documents", "/api/documents?sort=date"]),
        ("document (with coverage)", HTML, docs),
        ("api document (with coverage)", JSON, ["/api" + p for p in docs]),
        ("department list", HTML, ["/departments"]),
        ("api department list", JSON, ["/api/departments"]),
        ("department", HTML, depts),
        ("api department", JSON, ["/api" + p for p in depts]),
        ("indicator list", HTML, ["/targets"]),
        ("api indicator list", JSON, ["/api/targets"]),
        ("indicator", HTML, inds),
        ("api indicator", JSON, ["/api" + p for p in inds]),
        ("alignment list", HTML, ["/alignment"]),
        ("api alignment list", JSON, ["/api/alignment"]),
        ("alignment tree", HTML, trees),
        ("api alignment tree", JSON, ["/api" + p for p in trees]),
        # One export of each kind, in the format an official hands in most.
        ("export: department tasks (xlsx)", HTML, [p + "?format=xlsx" for p in depts[:1]]),
        ("export: responsibility matrix (docx)", HTML, [p + "?format=docx" for p in docs[:1]]),
        ("export: indicator targets (xlsx)", HTML, [p + "&format=xlsx" for p in inds[:1]]),
        ("export: indicator list (csv)", HTML, ["/targets?format=csv"]),
        ("export: search results (csv)", HTML, [searches[0] + "&format=csv"]),
    ]
    if first and first["higher"]:
        kinds.append(("export: coverage (xlsx)", HTML, [q(
            f"/documents/{quote(first['doc'])}", format="xlsx", higher=first["higher"])]))
    return [k for k in kinds if k[2]]


# ---- asking ----------------------------------------------------------------------------------------

def _get(url: str, accept: str, timeout: float = 120) -> tuple[int, int, float]:
    """(status, bytes, milliseconds) of one GET."""
    t = time.perf_counter()
    try:
        with urlopen(Request(url, headers={"Accept": accept}), timeout=timeout) as resp:
            return resp.status, len(resp.read()), (time.perf_counter() - t) * 1000
    except Exception as exc:     # noqa: BLE001 — reported as the status
        return getattr(exc, "code", 0) or 0, 0, (time.perf_counter() - t) * 1000


def _warm(base: str, accept: str, paths: list[str], rounds: int) -> dict:
    """Each address `rounds` times over 4 connections (so that every worker has made its
    per-generation caches before the timed pass): statuses and the bytes of each."""
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda p: (p, *_get(base + p, accept)), paths * rounds))
    sizes = {p: n for p, _, n, _ in got}
    return {"statuses": sorted({s for _, s, _, _ in got}),
            "bytes_mean": round(sum(sizes.values()) / len(sizes)),
            "bytes_max": max(sizes.values()),
            "first_ms": round(max(ms for _, _, _, ms in got[:len(paths)]), 1)}


def counted(base: str, accept: str, paths: list[str], count: int, concurrency: int,
            limit: float) -> dict:
    """`count` requests over `concurrency` threads (for kinds too slow for wrk's time
    window: it counts only the requests that end inside it), stopped after `limit` s."""
    started = time.perf_counter()

    def one(i: int) -> tuple[int, int, float] | None:
        if time.perf_counter() - started > limit:
            return None
        return _get(base + paths[i % len(paths)], accept)
    with ThreadPoolExecutor(concurrency) as pool:
        got = [g for g in pool.map(one, range(count)) if g is not None]
    ms = sorted(g[2] for g in got)
    pick = lambda q: round(ms[min(len(ms) - 1, max(0, -(-len(ms) * q // 100) - 1))], 1)  # noqa: E731
    secs = time.perf_counter() - started
    return {"requests": len(ms), "rps": round(len(ms) / secs, 1), "p50_ms": pick(50),
            "p90_ms": pick(90), "p95_ms": pick(95), "p99_ms": pick(99), "max_ms": ms[-1],
            "errors": sum(1 for g in got if not 200 <= g[0] < 300), "non_2xx": None,
            "seconds": round(secs, 1), "client": "python threads (fixed count)"}


def wrk(port: int, name: str, paths: list[str], accept: str, seconds: int,
        concurrency: int) -> dict:
    script = OUT / f"wrk-pages-{re.sub(r'[^a-z0-9]+', '-', name)}.lua"
    return run_wrk(script, port, paths, accept, seconds, concurrency)


@contextlib.contextmanager
def serving(data: Path, code: Path, port: int, log_path: Path, ready_within: float = 300):
    """`policykg serve` of `code`'s checkout on `data`, until /readyz answers; stopped on
    leaving (its whole process group)."""
    env = dict(os.environ, POLICYKG_DATA=str(data))
    with log_path.open("w") as fh:
        server = subprocess.Popen([sys.executable, "-m", "policykg.web.cli", "--data", str(data), "serve",
                                   "--host", "127.0.0.1", "--port", str(port)], cwd=code,
                                  stdout=fh, stderr=subprocess.STDOUT, env=env,
                                  start_new_session=True)
        try:
            t = time.perf_counter()
            while time.perf_counter() - t < ready_within and server.poll() is None:
                if _get(f"http://127.0.0.1:{port}/readyz", JSON, 10)[0] == 200:
                    break
                time.sleep(0.5)
            else:
                raise RuntimeError(f"the server did not become ready (see {log_path})")
            yield round(time.perf_counter() - t, 1)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def run(data: Path, code: Path, port: int, seconds: int, concurrency: int,
        only: set[str] | None = None) -> dict:
    s = subjects(data)
    out: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "code": str(code),
                 "data": str(data), "documents": s["documents"], "seconds": seconds,
                 "concurrency": concurrency, "load_start": loadavg(),
                 "subjects": {k: v for k, v in s.items() if k != "provisions"}, "kinds": {}}
    OUT.mkdir(parents=True, exist_ok=True)
    base = f"http://127.0.0.1:{port}"
    with serving(data, code, port, OUT / f"pages-server-{s['documents']}.log") as ready:
        out["ready_s"] = ready
        for kind, accept, paths in page_kinds(s):
            if only and kind not in only:
                continue
            log(f"{kind}: {len(paths)} addresses, warming")
            warm = _warm(base, accept, paths, rounds=2 if len(paths) > 20 else 4)
            log(f"{kind}: wrk {concurrency} connections, {seconds} s")
            res = wrk(port, kind, paths, accept, seconds, concurrency)
            if res.get("requests", 0) < MIN_REQUESTS:
                log(f"{kind}: {res.get('requests')} requests in {seconds} s; "
                    f"{MIN_REQUESTS} counted instead")
                res = counted(base, accept, paths, MIN_REQUESTS, concurrency, 20 * seconds)
            out["kinds"][kind] = {"addresses": len(paths), "example": paths[0], **warm, **res,
                                  "load": loadavg()}
            log(f"{kind}: p50 {res.get('p50_ms')} p95 {res.get('p95_ms')} ms, "
                f"{warm['bytes_mean']:,} bytes")
    out["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    out["load_end"] = loadavg()
    return out


# ---- reporting -------------------------------------------------------------------------------------

def _kb(n: int | None) -> str:
    return "—" if n is None else (f"{n / 1024:,.1f} KB" if n < 1024 * 1024
                                  else f"{n / 1024 / 1024:,.2f} MB")


def _ms(x) -> str:
    return "—" if x is None else f"{x:,.1f}"


def table(res: dict) -> str:
    lines = [f"{res['documents']:,} documents, {res['concurrency']} connections, "
             f"{res['seconds']} s per kind; load {res['load_start']} → {res['load_end']}", "",
             "| page kind | addresses | requests | req/s | p50 ms | p95 ms | p99 ms | max ms "
             "| bytes | errors |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for kind, r in res["kinds"].items():
        lines.append(f"| {kind} | {r['addresses']} | {r.get('requests', '—')} | "
                     f"{r.get('rps', '—')} | {_ms(r.get('p50_ms'))} | {_ms(r.get('p95_ms'))} | "
                     f"{_ms(r.get('p99_ms'))} | {_ms(r.get('max_ms'))} | "
                     f"{_kb(r.get('bytes_mean'))} | {r.get('errors', r.get('error', '—'))} |")
    return "\n".join(lines)


def compare(before: dict, after: dict) -> str:
    lines = [f"{after['documents']:,} documents, {after['concurrency']} connections, "
             f"{after['seconds']} s per kind", "",
             "| page kind | p50 before | p50 after | p95 before | p95 after | bytes before "
             "| bytes after | p95 ≤ 100 ms |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    for kind, a in after["kinds"].items():
        b = before["kinds"].get(kind, {})
        ok = a.get("p95_ms") is not None and a["p95_ms"] <= GOAL_P95_MS and not a.get("errors")
        lines.append(f"| {kind} | {_ms(b.get('p50_ms'))} | {_ms(a.get('p50_ms'))} | "
                     f"{_ms(b.get('p95_ms'))} | {_ms(a.get('p95_ms'))} | "
                     f"{_kb(b.get('bytes_mean'))} | {_kb(a.get('bytes_mean'))} | "
                     f"{'met' if ok else '**missed**'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path, nargs="?")
    ap.add_argument("--code", type=Path, default=ROOT, help="the checkout to serve")
    ap.add_argument("--port", type=int, default=5078)
    ap.add_argument("--seconds", type=int, default=8, help="per page kind")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--label", default="after")
    ap.add_argument("--only", default=None, help="page kinds to measure, comma-separated")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args(argv)
    if args.compare:
        before, after = (json.loads(p.read_text(encoding="utf-8")) for p in args.compare)
        print(compare(before, after))
        return
    if args.data is None:
        ap.error("DATA is required (a data folder with a built generation)")
    only = set(args.only.split(",")) if args.only else None
    res = run(args.data.resolve(), args.code.resolve(), args.port, args.seconds,
              args.concurrency, only)
    path = OUT / f"pages-{res['documents']}-{args.label}.json"
    path.write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    log(f"wrote {path}")
    print(table(res))


if __name__ == "__main__":
    main()
