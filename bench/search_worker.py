"""Search latency over one built generation, through the search library (indexer.search).

    python -m bench.search_worker DATA [--rounds 10] [--profile OUT.txt]

Runs a fixed query mix (single terms, two-term AND, phrases, filters, OR / NOT, broad
queries whose facet counts dominate) through `Generation.searcher.search(...)` and the
result's `to_dict()` (what the API returns), one warm-up round and then `--rounds`
shuffled rounds; prints JSON with p50/p95/p99 overall and per query class.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from bench.stats import loadavg, rss, summary

QUERY_MIX: tuple[tuple[str, str], ...] = (
    ("term", "学制技师"), ("term", "技师学院"), ("term", "校企双制"), ("term", "产教融合"),
    ("term", "就业率"), ("term", "新型学徒制"), ("term", "实训基地"), ("term", "学籍"),
    ("and", "技工院校 招生"), ("and", "师资 培训"), ("and", "专业 集群"),
    ("and", "校企合作 课程"), ("and", "职业技能 竞赛"),
    ("phrase", '"高级工班以上在校生比例"'), ("phrase", '"职业技能等级认定"'),
    ("phrase", '"一体化课程"'), ("phrase", '"技能人才培养"'),
    ("filter", "level:municipal 就业率"), ("filter", "level:provincial 技师学院"),
    ("filter", "kind:box 计划"), ("filter", "year:2025 在校生"), ("filter", "dept:省教育厅 专业"),
    ("bool", "学制技师 OR 预备技师"), ("bool", "技师学院 -广东"),
    ("facet", "技工院校"), ("facet", "技工教育"), ("facet", "level:county 培训"),
)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--profile", type=Path, default=None)
    ap.add_argument("--engine", choices=("tantivy", "whoosh"), default="tantivy",
                    help="the search engine (indexer.tantivy_engine; tantivy is the default)")
    args = ap.parse_args(argv)

    from policykg.pipeline.generation import Generation
    from policykg.pipeline.datadir import DataDir

    out: dict = {"load_before": loadavg(), "engine": args.engine}
    gen = Generation(DataDir(args.data).require_current(), engine=args.engine)
    t = time.perf_counter()
    searcher = gen.searcher
    out["searcher"] = type(searcher).__name__     # proves which engine answered
    out["open_ms"] = round((time.perf_counter() - t) * 1000, 1)

    cpu_ms: list[float] = []
    # tantivy's searcher keeps each query string's compiled form and counts (a request
    # cache).  The mix repeats 27 strings, so every timed search would be a cache hit:
    # the headline figures clear it first (a fresh query), "warm" measures the hits.
    forget = getattr(getattr(searcher, "_prepared", None), "cache_clear", lambda: None)
    fresh = True

    def one(text: str) -> tuple[float, int]:
        if fresh:
            forget()
        t, c = time.perf_counter(), time.process_time()
        result = searcher.search(text, page=1, page_size=10)
        result.to_dict()
        cpu_ms.append((time.process_time() - c) * 1000)
        return (time.perf_counter() - t) * 1000, result.total

    t = time.perf_counter()
    one(QUERY_MIX[0][1])
    out["first_query_ms"] = round((time.perf_counter() - t) * 1000, 1)
    totals = {}
    for _, q in QUERY_MIX:                       # warm-up round
        totals[q] = one(q)[1]
    cpu_ms.clear()
    rng = random.Random(1)
    by_class: dict[str, list[float]] = {}
    by_query: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        mix = list(QUERY_MIX)
        rng.shuffle(mix)
        for cls, q in mix:
            ms, _ = one(q)
            by_class.setdefault(cls, []).append(ms)
            by_query.setdefault(q, []).append(ms)
    all_ms = [x for v in by_class.values() for x in v]
    out["overall"] = summary(all_ms)
    out["overall_cpu"] = summary(cpu_ms[:len(all_ms)])
    out["classes"] = {c: summary(v) for c, v in by_class.items()}
    out["queries"] = {q: {**summary(v), "total": totals[q]} for q, v in by_query.items()}
    fresh = False
    warm = [one(q)[0] for _ in range(3) for _, q in QUERY_MIX]
    out["warm"] = summary(warm)          # the same mix answered from the request cache
    out["rss"] = rss()
    out["load_after"] = loadavg()
    if args.profile:
        from pyinstrument import Profiler
        fresh = True        # profile what the headline figures time: fresh queries
        slowest = sorted(by_query, key=lambda q: -max(by_query[q]))[:3]
        prof = Profiler(interval=0.001)
        prof.start()
        for q in slowest:
            for _ in range(3):
                one(q)
        prof.stop()
        args.profile.parent.mkdir(parents=True, exist_ok=True)
        args.profile.write_text(f"queries: {slowest}\n" + prof.output_text(unicode=True,
                                                                          color=False),
                                encoding="utf-8")
        out["profiled"] = slowest
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
