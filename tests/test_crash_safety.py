"""kill -9 at random moments during a build never leaves a broken generation served."""
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from policykg.pipeline.generation import Generation
from policykg.pipeline.datadir import DataDir

ROOT = Path(__file__).resolve().parent.parent


def start(data: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "policykg.web.cli", "--data", str(data), *args],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def assert_served_generation_is_whole(store: DataDir) -> str:
    folder = store.current()
    assert folder is not None, "no generation is current"
    gen = Generation(folder)
    gen.check_ready()
    assert gen.meta["documents"] == len(gen.documents)
    assert gen.meta["provisions"] == len(gen.provisions)
    return gen.name


@pytest.mark.slow
@pytest.mark.timeout(1800)      # beyond the suite's per-test timeout: a kill loop, a load run
def test_kill_minus_nine_during_build_leaves_old_or_new_generation(tmp_path):
    store = DataDir(tmp_path / "data")
    first = start(store.root, "build")
    assert first.wait(300) == 0
    seen = {assert_served_generation_is_whole(store)}
    t0 = time.monotonic()
    probe = start(store.root, "build")
    probe.wait(300)
    build_seconds = time.monotonic() - t0
    rng = random.Random(20261121)
    for _ in range(20):
        proc = start(store.root, "build")
        time.sleep(rng.uniform(0.0, build_seconds * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        seen.add(assert_served_generation_is_whole(store))
    # A restart works: the next build succeeds and cleans what killed builds left behind.
    assert start(store.root, "build").wait(300) == 0
    assert_served_generation_is_whole(store)
    assert not list(store.generations.glob(".tmp-*"))
    assert len(seen) >= 2
