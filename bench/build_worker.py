"""One measured build of a corpus folder, run in its own process by bench/run.py.

    python -m bench.build_worker CORPUS DATA [--profile OUT.html] [--stop-after STAGE]

Prints one JSON object: the search engines indexed for, seconds per stage (segment = reading and cutting the texts into
provision trees, then the build's own stages as it reports them), the peak RSS while each
stage ran (sampled every 50 ms) and the process's max RSS (getrusage), the generation's
size on disk.  The parent process also reads the max RSS of its children from getrusage.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sys
import threading
import time
import traceback
from pathlib import Path


class TimeLimit(BaseException):
    """The build ran out of its time (raised by SIGALRM wherever Python code is running)."""


class RssSampler(threading.Thread):
    """Peak resident memory between marks, sampled from /proc (no psutil needed)."""

    def __init__(self, interval: float = 0.05):
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = 0
        self.stop_flag = threading.Event()
        self.page = os.sysconf("SC_PAGE_SIZE")

    def rss(self) -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * self.page

    def run(self) -> None:
        while not self.stop_flag.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(self.interval)

    def take(self) -> int:
        """The peak since the last take, and start again from now."""
        peak, self.peak = max(self.peak, self.rss()), 0
        return peak


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("data", type=Path)
    ap.add_argument("--profile", type=Path, default=None,
                    help="write a pyinstrument profile of the whole build (HTML or .txt)")
    ap.add_argument("--time-limit", type=float, default=None,
                    help="stop the build after this many seconds (the profile and the stages "
                         "reached so far are still written)")
    ap.add_argument("--engines", default=None,
                    help="search engines to index for, comma-separated (default: what "
                         "`policykg build` indexes, web.settings.Settings.build_engines)")
    args = ap.parse_args(argv)
    if args.time_limit:
        def _stop(signum, frame):
            raise TimeLimit(f"stopped after {args.time_limit:.0f} s")
        signal.signal(signal.SIGALRM, _stop)
        signal.setitimer(signal.ITIMER_REAL, args.time_limit)

    sampler = RssSampler()
    sampler.start()
    out: dict = {"stages": {}, "stage_cpu": {}, "stage_peak_rss": {}, "error": None}
    profiler = None
    if args.profile:
        from pyinstrument import Profiler
        profiler = Profiler(interval=0.01)
        profiler.start()
    t_import = time.perf_counter()
    from bench.add_worker import seed_sources
    from indexer.build import build, stage_names
    from indexer.store import DataDir
    try:     # the index stage registers itself when its module is imported
        import indexer.index  # noqa: F401
    except Exception as exc:   # not there yet, or broken right now: measured without it
        out["index_stage_missing"] = f"{type(exc).__name__}: {exc}"
    out["import_seconds"] = round(time.perf_counter() - t_import, 3)
    out["stage_names"] = stage_names()
    sampler.take()
    started, cpu_started = time.perf_counter(), time.process_time()
    last = [started, cpu_started]

    def mark(name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        out["stages"][name] = round(now - last[0], 3)
        out["stage_cpu"][name] = round(cpu - last[1], 3)
        out["stage_peak_rss"][name] = sampler.take()
        last[0], last[1] = now, cpu
        print(f"[build_worker] {name} {now - started:.1f}s", file=sys.stderr, flush=True)

    try:
        # The documents go in as `policykg add` stores them (untimed), and the build reads
        # them from the data folder as `policykg build` does: its generation then keeps the
        # sources snapshot an incremental add starts from (bench.add_worker adds into it).
        seed_started = time.perf_counter()
        out["seeded"] = seed_sources(args.corpus, args.data)
        out["seed_seconds"] = round(time.perf_counter() - seed_started, 3)
        started, cpu_started = time.perf_counter(), time.process_time()
        last[:] = [started, cpu_started]
        sampler.take()
        from web.settings import Settings
        engines = (tuple(args.engines.split(",")) if args.engines
                   else Settings.from_env(data_dir=args.data).build_engines)
        out["engines"] = list(engines)
        meta = build(DataDir(args.data), step=mark, engines=engines)
        out["meta"] = meta
        out["documents"] = meta.get("documents")
        out["provisions"] = meta.get("provisions")
        texts = [f.read_text(encoding="utf-8") for f in sorted(args.corpus.glob("*.txt"))]
        out["chars"] = sum(len(t) for t in texts)
        out["bytes"] = sum(len(t.encode("utf-8")) for t in texts)
    except BaseException as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = traceback.format_exc()[-3000:]
        out["stage_running"] = next((n for n in out.get("stage_names", [])
                                     if n not in out["stages"]), None)
    signal.setitimer(signal.ITIMER_REAL, 0)
    out["seconds"] = round(time.perf_counter() - started, 3)
    out["cpu_seconds"] = round(time.process_time() - cpu_started, 3)
    if profiler is not None:
        profiler.stop()
        text = profiler.output_text(unicode=True, color=False)
        args.profile.parent.mkdir(parents=True, exist_ok=True)
        if args.profile.suffix == ".html":
            args.profile.write_text(profiler.output_html(), encoding="utf-8")
            args.profile.with_suffix(".txt").write_text(text, encoding="utf-8")
        else:
            args.profile.write_text(text, encoding="utf-8")
    sampler.stop_flag.set()
    out["max_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    current = args.data / "current"
    if current.exists():
        folder = current.resolve()
        out["generation_bytes"] = dir_size(folder)
        out["files"] = {f.name: f.stat().st_size for f in sorted(folder.iterdir()) if f.is_file()}
        for name, key in (("alignments.jsonl", "alignment_rows"), ("graph.nt", "graph_triples")):
            if (folder / name).is_file():
                with (folder / name).open("rb") as fh:
                    out[key] = sum(1 for _ in fh)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
