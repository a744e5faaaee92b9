"""kill -9 at random moments during `policykg add` / `remove` (incremental) never leaves a
broken generation served, and the next command works (see test_crash_safety for builds)."""
import random
import signal
import time
from pathlib import Path

import pytest

from policykg.corpus.sources import load_sources
from policykg.pipeline import state
from policykg.pipeline.generation import Generation
from policykg.pipeline.datadir import DataDir
from ingest_formats import PLAN
from test_crash_safety import assert_served_generation_is_whole, start

NUMBER = "江人社发〔2023〕15号"


def served_corpus(store: DataDir) -> tuple[str, bool]:
    """(generation, has the plan) of the served generation, checked whole."""
    name = assert_served_generation_is_whole(store)
    gen = Generation(store.require_current())
    numbers = [d["number"] for d in gen.documents]
    assert len(gen.documents) == 5 + (NUMBER in numbers)
    if NUMBER in numbers:                      # the plan is there with all its parts
        doc = next(d["doc"] for d in gen.documents if d["number"] == NUMBER)
        assert any(p["doc"] == doc for p in gen.provisions)
        assert any(r["doc"] == doc for r in gen.graph_rows("citations"))
        assert gen.searcher.search("江门 学徒制").total
    return name, NUMBER in numbers


def timed(store: DataDir, *args: str) -> float:
    t0 = time.monotonic()
    assert start(store.root, *args).wait(300) == 0
    return time.monotonic() - t0


@pytest.mark.slow
@pytest.mark.timeout(1800)      # beyond the suite's per-test timeout: a kill loop, a load run
def test_kill_minus_nine_during_incremental_add_and_remove(tmp_path):
    store = DataDir(tmp_path / "data")
    assert start(store.root, "build").wait(600) == 0
    plan = tmp_path / "plan.txt"
    plan.write_text(PLAN, encoding="utf-8")
    seconds = {"add": timed(store, "add", str(plan)), "remove": timed(store, "remove", NUMBER)}
    assert "update" in Generation(store.require_current()).meta      # it was incremental
    seen, states = set(), set()
    rng = random.Random(20261122)
    for _ in range(24):
        _, has_plan = served_corpus(store)
        what = "remove" if has_plan else "add"
        proc = start(store.root, what, NUMBER if has_plan else str(plan))
        time.sleep(rng.uniform(0.0, seconds[what] * 1.5))   # a third land after the switch
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        name, has = served_corpus(store)
        seen.add(name)
        states.add(has)
    # A restart works: the next command recovers the sources, succeeds incrementally and
    # cleans up what the killed ones left behind.
    _, has_plan = served_corpus(store)
    assert start(store.root, *(("remove", NUMBER) if has_plan else ("add", str(plan)))).wait(300) == 0
    _, has = served_corpus(store)
    assert has != has_plan
    gen = Generation(store.require_current())
    assert "update" in gen.meta and state.usable(gen.folder)
    assert not list(store.generations.glob(".tmp-*"))
    assert (gen.folder / "sources.json").read_bytes() == (store.sources / "manifest.json").read_bytes()
    entries = load_sources(store.sources).entries
    assert len(entries) == int(has)
    files = sorted(p.name for p in store.sources.rglob("*") if p.is_file())
    assert files == sorted(["manifest.json"] + [n for e in entries
                                                for n in (e.file, Path(e.file).stem + ".txt")])
    assert len(seen) >= 2 and states == {True, False}
