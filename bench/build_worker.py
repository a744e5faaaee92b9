"""One measured build of a corpus folder, run in its own process by bench/run.py.

    python -m bench.build_worker CORPUS DATA [--profile OUT.html] [--stop-after STAGE]
                                 [--scheduler local:2]

Prints one JSON object: the search engines indexed for, seconds per stage (segment = reading and cutting the texts into
provision trees, then the build's own stages as it reports them), the peak RSS while each
stage ran (sampled every 50 ms) and the process's max RSS (getrusage), the generation's
size on disk.  The parent process also reads the max RSS of its children from getrusage.

The build runs work in child processes (the graph store's bulk load, ontology.diskstore),
so CPU and memory are counted for the whole process tree, never for this process alone:
`stage_cpu` and `cpu_seconds` are this process's CPU plus its children's (live ones read
from /proc, finished ones from getrusage), `stage_peak_rss` and `max_rss` the peak of the
tree's summed RSS; the process's own figures are beside them (`parent_*`), and the
children's share of each stage's CPU in `stage_child_cpu`.
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


PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """The live processes below `pid` (children, their children, …), from /proc."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{p}/task/{tid}/children") as fh:
                    kids = [int(k) for k in fh.read().split()]
            except OSError:
                continue
            out += kids
            todo += kids
    return out


def _rss(pid: int | str) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE
    except OSError:          # it ended between the listing and the read
        return 0


def live_children_cpu() -> float:
    """CPU seconds (user + system) of the live processes below this one so far."""
    total = 0
    for child in descendants(os.getpid()):
        try:
            with open(f"/proc/{child}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])      # utime, stime (clock ticks)
    return total / TICK


def tree_cpu() -> float:
    """This process's CPU seconds plus its children's: those waited for (getrusage) and
    those still running (/proc).  Read from the thread that waits for the children, so
    none moves from one count to the other meanwhile."""
    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + done.ru_utime + done.ru_stime + live_children_cpu()


class RssSampler(threading.Thread):
    """Peak resident memory between marks, sampled from /proc (no psutil needed): of this
    process (`peak`) and of it plus every process below it, summed (`tree_peak`)."""

    def __init__(self, interval: float = 0.05):
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = 0
        self.tree_peak = 0
        self.stop_flag = threading.Event()

    def rss(self) -> int:
        return _rss("self")

    def tree_rss(self) -> int:
        return self.rss() + sum(map(_rss, descendants(os.getpid())))

    def run(self) -> None:
        while not self.stop_flag.is_set():
            own = self.rss()
            self.peak = max(self.peak, own)
            self.tree_peak = max(self.tree_peak, own + sum(map(_rss, descendants(os.getpid()))))
            time.sleep(self.interval)

    def take(self) -> int:
        """The peak since the last take, and start again from now."""
        peak, self.peak = max(self.peak, self.rss()), 0
        return peak

    def take_tree(self) -> int:
        """The process tree's peak since the last take_tree, and start again from now."""
        peak, self.tree_peak = max(self.tree_peak, self.tree_rss()), 0
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
    ap.add_argument("--scheduler", default="",
                    help="read and extract the documents on Dask (local[:N], tcp://host:port; "
                         "pipeline.cluster): its worker processes are this one's children, "
                         "counted in the tree's CPU and memory")
    args = ap.parse_args(argv)
    if args.time_limit:
        def _stop(signum, frame):
            raise TimeLimit(f"stopped after {args.time_limit:.0f} s")
        signal.signal(signal.SIGALRM, _stop)
        signal.setitimer(signal.ITIMER_REAL, args.time_limit)

    sampler = RssSampler()
    sampler.start()
    out: dict = {"stages": {}, "stage_cpu": {}, "stage_peak_rss": {}, "stage_child_cpu": {},
                 "stage_parent_cpu": {}, "stage_parent_peak_rss": {}, "error": None}
    profiler = None
    if args.profile:
        from pyinstrument import Profiler
        profiler = Profiler(interval=0.01)
        profiler.start()
    t_import = time.perf_counter()
    from bench.add_worker import seed_sources
    from policykg.pipeline.build import build, stage_names
    from policykg.pipeline.datadir import DataDir
    out["import_seconds"] = round(time.perf_counter() - t_import, 3)
    out["stage_names"] = stage_names()
    last: list[float] = []

    def restart() -> None:
        """Start the clocks (wall, tree CPU, own CPU) and both peaks again from now."""
        sampler.take()
        sampler.take_tree()
        last[:] = [time.perf_counter(), tree_cpu(), time.process_time()]

    restart()
    started, cpu_started, own_started = last

    def mark(name: str) -> None:
        now, cpu, own = time.perf_counter(), tree_cpu(), time.process_time()
        out["stages"][name] = round(now - last[0], 3)
        out["stage_cpu"][name] = round(cpu - last[1], 3)
        out["stage_parent_cpu"][name] = round(own - last[2], 3)
        out["stage_child_cpu"][name] = round((cpu - last[1]) - (own - last[2]), 3)
        out["stage_parent_peak_rss"][name] = sampler.take()
        out["stage_peak_rss"][name] = sampler.take_tree()
        last[:] = [now, cpu, own]
        print(f"[build_worker] {name} {now - started:.1f}s", file=sys.stderr, flush=True)

    try:
        # The documents go in as `policykg add` stores them (untimed), and the build reads
        # them from the data folder as `policykg build` does: its generation then keeps the
        # sources snapshot an incremental add starts from (bench.add_worker adds into it).
        seed_started = time.perf_counter()
        out["seeded"] = seed_sources(args.corpus, args.data)
        out["seed_seconds"] = round(time.perf_counter() - seed_started, 3)
        restart()
        started, cpu_started, own_started = last
        from policykg.web.settings import Settings
        engines = (tuple(args.engines.split(",")) if args.engines
                   else Settings.from_env(data_dir=args.data).build_engines)
        out["engines"] = list(engines)
        meta = build(DataDir(args.data), step=mark, engines=engines, scheduler=args.scheduler)
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
    out["cpu_seconds"] = round(tree_cpu() - cpu_started, 3)
    out["parent_cpu_seconds"] = round(time.process_time() - own_started, 3)
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
    # The peak to report is the tree's: work moved into a child must not hide its memory.
    # getrusage gives this process's own peak and the largest single child's (not their
    # sum while they ran together: that is the sampler's; and a child's counts the pages
    # it shared with this process until its exec, so it is never below this process's
    # size when the child started: an upper bound, kept so that nothing is missed).
    out["parent_max_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out["children_max_rss"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    out["tree_peak_rss"] = max([sampler.tree_peak, *out["stage_peak_rss"].values()])
    out["max_rss"] = max(out["parent_max_rss"], out["children_max_rss"], out["tree_peak_rss"])
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
