"""`policykg add` of one document into a data folder that already holds a scaled corpus.

    python -m bench.add_worker CORPUS DATA EXTRA_FILE [--level … --region … …]

The data folder's added sources are set to the synthetic documents of CORPUS (the
bundled five are part of every build anyway) through the ingest library, the way
`policykg add` stores them but without a build per document; the data folder is built
once (`policykg build`: bundled + sources, timed as `initial_build`), then the time of one
`add_document` (read, check, store, update or rebuild, switch) of EXTRA_FILE is measured.
Prints JSON: seconds (wall and CPU) per step of the add, peak RSS, the result.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import tomllib
from pathlib import Path

from bench.build_worker import RssSampler

GIVEN_KEYS = ("title", "level", "region", "issuer", "number", "date", "status")


def seed_sources(corpus: Path, data: Path) -> int:
    from policykg.corpus.manifest import bundled_dir, load_manifest
    from policykg.corpus.sources import commit_manifest, load_sources, store_source
    from policykg.pipeline.ingest import plan_entry, read_candidate
    from policykg.pipeline.datadir import DataDir

    store = DataDir(data)
    store.root.mkdir(parents=True, exist_ok=True)
    bundled = {m.file for m in load_manifest(bundled_dir())}
    table = tomllib.loads((corpus / "manifest.toml").read_text(encoding="utf-8"))
    manifest = load_sources(store.sources)
    n = 0
    for file, fields in sorted(table.items()):
        if file in bundled:
            continue
        given = {k: fields[k] for k in GIVEN_KEYS if fields.get(k)}
        cand = read_candidate(corpus / file, 50 * 1024 * 1024, given=given)
        entry, _ = plan_entry(cand, manifest)
        store_source(store.sources, entry.file, cand.data, cand.read.text)
        manifest = manifest.with_entry(entry)
        n += 1
    commit_manifest(store.sources, manifest)
    return n


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("data", type=Path)
    ap.add_argument("extra", type=Path)
    for k in GIVEN_KEYS:
        ap.add_argument(f"--{k}")
    ap.add_argument("--prebuilt", action="store_true",
                    help="DATA already holds a build of CORPUS through its sources (what "
                         "bench.build_worker leaves): add straight into it")
    ap.add_argument("--no-initial-build", action="store_true",
                    help="add into the seeded sources without building them first (the add "
                         "is then a full build)")
    args = ap.parse_args(argv)
    out: dict = {"error": None, "steps": {}, "step_cpu": {}}
    t = time.perf_counter()
    try:
        if not args.prebuilt:
            out["seeded"] = seed_sources(args.corpus, args.data)
    except Exception as exc:
        out["error"] = f"seeding the sources failed: {type(exc).__name__}: {exc}"
        print(json.dumps(out, ensure_ascii=False))
        return
    out["seed_s"] = round(time.perf_counter() - t, 2)

    from policykg.pipeline.build import build
    from policykg.pipeline.ingest import add_document, read_candidate
    from policykg.pipeline.datadir import DataDir
    # The build the add goes into: `policykg build` of bundled + added sources (it keeps
    # the state an incremental add starts from).
    if not (args.no_initial_build or args.prebuilt):
        t, c = time.perf_counter(), time.process_time()
        try:
            meta = build(DataDir(args.data))
            out["initial_build"] = {"seconds": round(time.perf_counter() - t, 2),
                                    "cpu_seconds": round(time.process_time() - c, 2),
                                    "documents": meta.get("documents"),
                                    "max_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
        except Exception as exc:
            out["error"] = f"the initial build failed: {type(exc).__name__}: {exc}"
            print(json.dumps(out, ensure_ascii=False))
            return
        print(f"[add_worker] initial build {time.perf_counter() - t:.1f}s", file=sys.stderr,
              flush=True)
    given = {k: getattr(args, k) for k in GIVEN_KEYS if getattr(args, k)}
    sampler = RssSampler()
    sampler.start()
    started, cpu0 = time.perf_counter(), time.process_time()
    last = [started, cpu0]

    def step(name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        out["steps"][name] = round(now - last[0], 3)
        out["step_cpu"][name] = round(cpu - last[1], 3)
        last[0], last[1] = now, cpu
        print(f"[add_worker] {name} {now - started:.1f}s", file=sys.stderr, flush=True)

    try:
        cand = read_candidate(args.extra, 50 * 1024 * 1024, given=given)
        step("read")
        result = add_document(DataDir(args.data), cand, step=step)
        out["status"] = result.status
        out["file"] = result.file
        out["documents"] = (result.generation or {}).get("documents")
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
    out["seconds"] = round(time.perf_counter() - started, 3)
    out["cpu_seconds"] = round(time.process_time() - cpu0, 3)
    out["peak_rss"] = sampler.take()
    out["max_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
